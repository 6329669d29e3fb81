//! [`LogEntry`]: one line of a session's event log and of the `watch` stream, the core's
//! event with the wall-clock time and session id added.
//!
//! Written by hand rather than derived because the entry's `session` and the
//! `session_started` event's own `session` field would otherwise both be written as a
//! `session` key, and the derived reader refuses the duplicate: every log's first line would
//! be unreadable. The writer emits the key once (the two always agree).
//!
//! The reader refuses any key said twice, at any depth ([`crate::strict_json`]), with one
//! exception: a top-level `session` written twice with the same value, as older versions
//! wrote every log's first line, still reads. Two different `session`s are refused: which
//! session the line belongs to cannot be guessed.

use std::fmt;

use serde::de::{Error as _, MapAccess, Visitor};
use serde::ser::{Error as _, SerializeMap};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::strict_json::UniqueValue;
use crate::timeline::Event;

/// The one key a line may carry twice (see the module's note).
const REPEATABLE_KEY: &str = "session";

#[derive(Clone, Debug, PartialEq)]
pub struct LogEntry {
    /// Position in the session's log, from 1, with no gaps: what a snapshot names as the
    /// last entry it covers. 0 on entries of logs written before it was kept, and on the
    /// `watch` stream's entries that were never written.
    pub seq: u64,
    /// Wall-clock time, RFC 3339 in UTC.
    pub wall: String,
    pub session: String,
    /// Flattened into the entry: `at`, `timeline`, `event` and the event's own fields.
    pub event: Event,
}

impl Serialize for LogEntry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Value::Object(event) = serde_json::to_value(&self.event).map_err(S::Error::custom)? else {
            return Err(S::Error::custom("an event must serialise as an object"));
        };
        let mut map = serializer.serialize_map(None)?;
        if self.seq != 0 {
            map.serialize_entry("seq", &self.seq)?;
        }
        map.serialize_entry("wall", &self.wall)?;
        map.serialize_entry("session", &self.session)?;
        for (key, value) in event
            .iter()
            .filter(|(key, _)| !matches!(key.as_str(), "seq" | "wall" | "session"))
        {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for LogEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<LogEntry, D::Error> {
        let mut fields = deserializer.deserialize_map(Fields)?;
        let seq = match fields.remove("seq") {
            Some(Value::Number(n)) => n
                .as_u64()
                .ok_or_else(|| D::Error::custom("field `seq` must be a whole number"))?,
            Some(_) => return Err(D::Error::custom("field `seq` must be a whole number")),
            None => 0,
        };
        let wall = match fields.remove("wall") {
            Some(Value::String(wall)) => wall,
            Some(_) => return Err(D::Error::custom("field `wall` must be a string")),
            None => return Err(D::Error::missing_field("wall")),
        };
        // Left in the map: `session_started` carries it as its own field too.
        let session = match fields.get("session") {
            Some(Value::String(session)) => session.clone(),
            Some(_) => return Err(D::Error::custom("field `session` must be a string")),
            None => return Err(D::Error::missing_field("session")),
        };
        let event = match Event::deserialize(Value::Object(fields.clone())) {
            Ok(event) => event,
            // A command as logs before the typed entry wrote it: its name and detail only.
            Err(e) if fields.get("event").and_then(Value::as_str) == Some("command") => {
                fields.insert("event".into(), Value::from("legacy_command"));
                Event::deserialize(Value::Object(fields)).map_err(|_| D::Error::custom(e))?
            }
            Err(e) => return Err(D::Error::custom(e)),
        };
        Ok(LogEntry {
            seq,
            wall,
            session,
            event,
        })
    }
}

/// A line's fields, each key once (bar [`REPEATABLE_KEY`]), each value with no key repeated
/// inside it.
struct Fields;

impl<'de> Visitor<'de> for Fields {
    type Value = Map<String, Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a log entry object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let UniqueValue(value) = map.next_value()?;
            match fields.get(&key) {
                None => {}
                Some(earlier) if key == REPEATABLE_KEY && *earlier == value => continue,
                Some(_) if key == REPEATABLE_KEY => {
                    return Err(A::Error::custom(
                        "the key `session` appears twice with two different values",
                    ));
                }
                Some(_) => {
                    return Err(A::Error::custom(format!(
                        "the key `{key}` appears more than once"
                    )));
                }
            }
            fields.insert(key, value);
        }
        Ok(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Millis;
    use crate::timeline::{EventKind, OverrideKind, Source, Target};

    fn entry(kind: EventKind) -> LogEntry {
        LogEntry {
            seq: 0,
            wall: "2025-01-01T09:00:00.000Z".into(),
            session: "s1".into(),
            event: Event {
                at: Millis(5),
                timeline: Millis(4),
                kind,
            },
        }
    }

    #[test]
    fn every_entry_reads_back_as_written() {
        let started = entry(EventKind::SessionStarted {
            scene: "sublingual".into(),
            session: "s1".into(),
        });
        let check = entry(EventKind::OverrideStarted {
            kind: OverrideKind::Check,
            target: Target::Zone("mat-1".into()),
            source: Source::daemon(),
        });
        for e in [started, check] {
            let line = serde_json::to_string(&e).unwrap();
            assert_eq!(line.matches("\"session\"").count(), 1, "{line}");
            assert_eq!(serde_json::from_str::<LogEntry>(&line).unwrap(), e, "{line}");
        }
    }

    #[test]
    fn reads_the_session_key_written_twice() {
        let line = r#"{"wall":"w","session":"s1","at":0,"timeline":0,"event":"session_started","scene":"x","session":"s1"}"#;
        let e: LogEntry = serde_json::from_str(line).unwrap();
        assert_eq!(
            e.event.kind,
            EventKind::SessionStarted {
                scene: "x".into(),
                session: "s1".into()
            }
        );
    }

    #[test]
    fn refuses_a_key_said_twice_anywhere_but_the_session_written_twice_alike() {
        for (bad, key) in [
            (
                r#"{"wall":"w","session":"s1","at":0,"timeline":0,"event":"prompt","text":"x","text":"y"}"#,
                "`text`",
            ),
            (
                r#"{"wall":"w","wall":"v","session":"s1","at":0,"timeline":0,"event":"prompt","text":"x"}"#,
                "`wall`",
            ),
            (
                r#"{"wall":"w","session":"s1","at":0,"timeline":0,"event":"override_started","kind":"check","target":{"zone":"a","zone":"b"},"source":{"via":"cli"}}"#,
                "`zone`",
            ),
            (
                r#"{"wall":"w","session":"s1","at":0,"timeline":0,"event":"session_started","scene":"x","session":"s2"}"#,
                "`session`",
            ),
        ] {
            let error = serde_json::from_str::<LogEntry>(bad).unwrap_err().to_string();
            assert!(error.contains(key), "{bad}: {error}");
            assert!(error.contains("line 1"), "{bad}: {error}");
        }
    }

    #[test]
    fn a_command_as_older_logs_wrote_it_still_reads() {
        let line = r#"{"wall":"w","session":"s1","at":0,"timeline":0,"event":"command","command":"volume","detail":"-3 dB","source":{"via":"socket","who":"ana"}}"#;
        let e: LogEntry = serde_json::from_str(line).unwrap();
        let EventKind::LegacyCommand { command, detail, .. } = &e.event.kind else {
            panic!("{:?}", e.event.kind)
        };
        assert_eq!((command.as_str(), detail.as_str()), ("volume", "-3 dB"));
        let again: LogEntry = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(again, e);
    }

    #[test]
    fn refuses_lines_that_are_not_entries() {
        for bad in [
            r#"{"session":"s1","at":0,"timeline":0,"event":"prompt","text":"x"}"#,
            r#"{"wall":1}"#,
            "[]",
        ] {
            assert!(serde_json::from_str::<LogEntry>(bad).is_err(), "{bad}");
        }
    }
}
