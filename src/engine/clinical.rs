//! `vitals` and `note`: a reading or a note checked, then written into the running session's
//! event log before the answer, like an ordinary command: a disk that refuses it refuses the
//! request, so the therapist knows to write it down by hand. Nothing in the room changes; a
//! reading goes through the core, which acknowledges the oldest prompt waiting for vitals.
//!
//! With no session running both are refused: the record they belong to is a session's, and a
//! reading filed nowhere in particular would be missed by whoever reads the client's report.

use crate::protocol::{AnsweredPrompt, ErrorKind, LogEntry, Op, RecordedReply, Reply};
use crate::room::Refusal;
use crate::timeline::{Event, EventKind, Source};
use crate::vitals::{Thresholds, check_note};

use super::session::Engine;

/// Why a reading or a note cannot be recorded with no session.
pub const NO_SESSION_FOR_RECORD: &str = "no session is running, so there is no record to add this to; \
     vitals and notes belong to a session's report: start one with `setting start SCENE` first \
     (nothing was recorded)";

/// The entry for a `vitals` or `note` op, or why its content is refused.
pub fn clinical_entry(op: &Op, thresholds: &Thresholds, source: Source) -> Result<EventKind, String> {
    match op {
        Op::Note { text } => {
            let text = check_note(text).map_err(|e| e.to_string())?;
            Ok(EventKind::Note { text, source })
        }
        op => {
            let raw = op
                .raw_reading()
                .ok_or_else(|| format!("{op:?} is neither vitals nor a note"))?;
            let reading = raw.check().map_err(|e| e.to_string())?;
            let flags = thresholds.flags(&reading);
            Ok(EventKind::Vitals {
                reading,
                flags,
                source,
                answers: None,
            })
        }
    }
}

impl Engine {
    pub(super) fn record_clinical(&mut self, id: Option<u64>, op: &Op, source: Source) -> Reply {
        // The content first: bad input is refused as such, session or not.
        let kind = match clinical_entry(op, &self.options.config.vitals, source.clone()) {
            Ok(kind) => kind,
            Err(message) => return Reply::error(id, ErrorKind::BadRequest, message),
        };
        let (Some(now), Some(running)) = (self.advance(), self.session.as_ref()) else {
            return Reply::error(id, ErrorKind::NoSession, NO_SESSION_FOR_RECORD);
        };
        let timeline = running.core.timeline.status(now).timeline_time;
        let written = match kind {
            // Through the core: a reading may acknowledge the prompt that asked for it.
            EventKind::Vitals {
                reading,
                flags,
                source,
                ..
            } => self.vitals_at(now, reading, flags, source),
            kind => self
                .record_written(Event {
                    at: now,
                    timeline,
                    kind,
                })
                .map(|entry| entry.map(|e| vec![e])),
        };
        match written {
            Ok(None) => Reply::error(id, ErrorKind::NoSession, NO_SESSION_FOR_RECORD),
            Ok(Some(entries)) => match recorded_reply(&entries, source) {
                Some(reply) => {
                    if !reply.flags.is_empty() {
                        tracing::warn!(flags = ?reply.flags, "vital signs past the clinic's thresholds recorded");
                    }
                    Reply::ok(id, reply)
                }
                None => Reply::error(id, ErrorKind::Internal, "the entry was written but not found"),
            },
            Err(Refusal::NotRecorded(reason)) => {
                tracing::warn!(%reason, "vitals or note refused: it cannot be recorded");
                Reply::error(
                    id,
                    ErrorKind::NotRecorded,
                    format!("not recorded: {reason}; write it down by hand"),
                )
            }
            Err(Refusal::Command(e)) => Reply::error(id, ErrorKind::Refused, e.to_string()),
        }
    }
}

/// The answer for what was written: the reading or the note (the first of `entries` that is
/// one), its flags, and the prompt it acknowledged.
fn recorded_reply(entries: &[LogEntry], source: Source) -> Option<RecordedReply> {
    let entry = entries
        .iter()
        .find(|e| matches!(e.event.kind, EventKind::Vitals { .. } | EventKind::Note { .. }))?;
    let flags = match &entry.event.kind {
        EventKind::Vitals { flags, .. } => flags.clone(),
        _ => Vec::new(),
    };
    let acknowledged = entries.iter().find_map(|e| match &e.event.kind {
        EventKind::PromptAcknowledged {
            number,
            text,
            answered_by: Some(_),
            ..
        } => Some(AnsweredPrompt {
            number: *number,
            text: text.clone(),
        }),
        _ => None,
    });
    Some(RecordedReply {
        session: entry.session.clone(),
        seq: entry.seq,
        at: entry.event.at,
        wall: entry.wall.clone(),
        source,
        flags,
        acknowledged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vitals::{Level, Measure};

    fn vitals(systolic: i64, diastolic: i64, pulse: i64) -> Op {
        Op::Vitals {
            systolic: Some(systolic),
            diastolic: Some(diastolic),
            pulse: Some(pulse),
            spo2: None,
            text: None,
        }
    }

    #[test]
    fn a_reading_gets_its_flags_and_its_source() {
        let kind = clinical_entry(&vitals(172, 90, 80), &Thresholds::default(), Source::daemon()).unwrap();
        let EventKind::Vitals {
            reading,
            flags,
            source,
            ..
        } = kind
        else {
            panic!("{kind:?}")
        };
        assert_eq!(reading.systolic, Some(172));
        assert_eq!(source, Source::daemon());
        assert_eq!(
            flags.iter().map(|f| (f.measure, f.level)).collect::<Vec<_>>(),
            [(Measure::Systolic, Level::High)]
        );
    }

    #[test]
    fn bad_content_is_refused_with_the_ranges() {
        let error =
            clinical_entry(&vitals(300, 20, 500), &Thresholds::default(), Source::daemon()).unwrap_err();
        assert!(
            error.contains("systolic 300 mmHg is outside 50-260 mmHg"),
            "{error}"
        );
        assert!(error.contains("valid: "), "{error}");
        let note = Op::Note { text: " ".into() };
        let error = clinical_entry(&note, &Thresholds::default(), Source::daemon()).unwrap_err();
        assert!(error.contains("the note is empty"), "{error}");
    }
}
