//! Replies, and the event-log entry that `watch` streams and `report` reads.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::clinical::RecordedReply;
use super::lights::{LightsCalibrateReply, LightsSetReply, LightsTestReply};
use super::lights_report::LightsReport;
use crate::audio::heard::Heard;
use crate::timeline::Status;

use super::log_entry::LogEntry;

/// One reply line. Exactly one of `result` and `error` is set.
///
/// The daemon builds `Reply` with a typed [`Answer`]; a client reads the line as a
/// [`ReplyLine`], whose result stays unparsed until it is read as the type the request
/// asked for ([`ReplyLine::result_as`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reply<R = Answer> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<R>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ReplyError>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplyError {
    pub kind: ErrorKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The request could not be read; nothing changed.
    BadRequest,
    /// Understood but refused (wrong moment, unknown scene, ...); nothing changed.
    Refused,
    /// A session command while no session runs.
    NoSession,
    /// The daemon failed; the message says how.
    Internal,
    /// The state disk refuses the event log, so the command was not carried out: nothing
    /// changed. Emergency, check and resume are never refused this way.
    NotRecorded,
}

impl Reply {
    pub fn ok(id: Option<u64>, result: impl Into<Answer>) -> Reply {
        Reply {
            id,
            ok: true,
            result: Some(result.into()),
            error: None,
        }
    }

    pub fn error(id: Option<u64>, kind: ErrorKind, message: impl Into<String>) -> Reply {
        Reply {
            id,
            ok: false,
            result: None,
            error: Some(ReplyError {
                kind,
                message: message.into(),
            }),
        }
    }
}

/// A reply as a client reads it: the result is kept as the JSON text it came in.
pub type ReplyLine = Reply<Box<RawValue>>;

impl ReplyLine {
    /// The result read as `T`, the type the request's op answers with; `None` for a refusal.
    /// An ok reply whose result is `null` (a command that ended the session) reads as `null`.
    pub fn result_as<T: DeserializeOwned>(&self) -> Option<Result<T, serde_json::Error>> {
        if !self.ok {
            return None;
        }
        let text = self.result.as_deref().map_or("null", RawValue::get);
        Some(serde_json::from_str(text))
    }
}

/// Makes the enum and, from the same list, a `From` for each type it holds (a boxed variant is
/// built from the type inside the box).
macro_rules! answers {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$doc:meta])* $variant:ident($held:ty) from $ty:ty),* $(,)?
        }
    ) => {
        $(#[$meta])*
        pub enum $name {
            $($(#[$doc])* $variant($held),)*
        }

        $(impl From<$ty> for $name {
            fn from(value: $ty) -> $name {
                $name::$variant(value.into())
            }
        })*
    };
}

answers! {
    /// What an ok reply carries: one typed result for each kind of request. On the wire it is
    /// the inner value alone, so the protocol's JSON is what each type says.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    #[serde(untagged)]
    pub enum Answer {
        Pong(PingReply) from PingReply,
        Status(Box<StatusReply>) from StatusReply,
        /// `start` and every session command: where the session now stands.
        Session(Box<Option<Status>>) from Option<Status>,
        IdleEmergency(IdleEmergencyReply) from IdleEmergencyReply,
        IdleResume(IdleResumeReply) from IdleResumeReply,
        Report(ReportReply) from ReportReply,
        Sessions(Vec<SessionSummary>) from Vec<SessionSummary>,
        Lights(LightsReport) from LightsReport,
        LightsSet(LightsSetReply) from LightsSetReply,
        LightsCalibrate(LightsCalibrateReply) from LightsCalibrateReply,
        LightsTest(LightsTestReply) from LightsTestReply,
        Reload(ReloadReply) from ReloadReply,
        Watching(WatchingReply) from WatchingReply,
        /// `vitals` and `note`: what was written into the record.
        Recorded(RecordedReply) from RecordedReply,
    }
}

/// The reply to a session command (`start`, `check`, `resume`, `volume`, ...): where the
/// session now stands, or, with no session running, what an emergency or its resume did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CommandReply {
    IdleEmergency(IdleEmergencyReply),
    IdleResume(IdleResumeReply),
    Session(Box<Status>),
}

impl CommandReply {
    /// Where the session stands, when one runs.
    pub fn status(&self) -> Option<&Status> {
        match self {
            CommandReply::Session(status) => Some(status),
            CommandReply::IdleEmergency(_) | CommandReply::IdleResume(_) => None,
        }
    }
}

/// The acknowledgement that starts a `watch` stream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WatchingReply {
    pub watching: bool,
}

/// The reply to a `reload` that was taken on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReloadReply {
    /// Parts of the config that changed and are now in effect (for sessions started from now).
    pub applied: Vec<String>,
    /// Parts that changed in the file but only take effect when the daemon restarts; until
    /// then the daemon keeps what it started with.
    pub needs_restart: Vec<String>,
    /// The scenes `start` can now name.
    pub scenes: Vec<String>,
    /// The playlists that loaded.
    pub playlists: Vec<String>,
}

/// The reply to `status`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusReply {
    pub daemon: DaemonInfo,
    /// `None` when no session is running.
    pub session: Option<Status>,
    /// Each light as the adapter knows it; left out by daemons older than the lights report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lights: Option<LightsReport>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DaemonInfo {
    pub version: String,
    pub room: String,
    pub speed: f64,
    pub socket: String,
    pub state_dir: String,
    pub audio: String,
    /// What the room really hears of the music; left out by daemons older than it, and for
    /// music that goes nowhere but the log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heard: Option<Heard>,
    pub lights: String,
    /// Standing problems the therapist should know about (a damaged state file set aside,
    /// persistence failing, an adapter down).
    pub warnings: Vec<String>,
    /// The zones an emergency with no session running holds at full light.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emergency_without_session: Vec<String>,
}

/// The reply to `report`: a session's whole event log as recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportReply {
    pub session: String,
    pub entries: Vec<LogEntry>,
    /// Lines of the log that could not be read (torn by a crash) and are left out.
    pub skipped_lines: usize,
}

/// One line of `sessions`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionSummary {
    pub session: String,
    pub scene: String,
    pub started: String,
    pub ended: Option<String>,
}

/// The reply to `ping`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PingReply {
    pub pong: bool,
}

/// The reply to `emergency`: where the session stands, or, with no session running, the
/// zones the room is held in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EmergencyReply {
    Idle(IdleEmergencyReply),
    Session(Box<Status>),
}

impl EmergencyReply {
    /// Entries the state disk refused and the daemon holds in memory (0 when all is on disk).
    pub fn unrecorded(&self) -> usize {
        match self {
            EmergencyReply::Idle(_) => 0,
            EmergencyReply::Session(status) => status.unrecorded,
        }
    }
}

/// An emergency with no session running: full light in `emergency_zones`, music muted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IdleEmergencyReply {
    /// Always `null`: there is no session.
    pub session: Option<String>,
    pub emergency_zones: Vec<String>,
}

/// `resume` that ended an emergency with no session running.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IdleResumeReply {
    /// Always `null`: there is no session.
    pub session: Option<String>,
    pub emergency_ended: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the daemon sends, read back the way a client reads it.
    fn through_the_wire(reply: Reply) -> ReplyLine {
        serde_json::from_str(&serde_json::to_string(&reply).unwrap()).unwrap()
    }

    #[test]
    fn an_answer_is_its_inner_value_on_the_wire() {
        let idle = IdleEmergencyReply {
            session: None,
            emergency_zones: vec!["mat-1".into()],
        };
        let text = serde_json::to_string(&Reply::ok(Some(3), idle.clone())).unwrap();
        assert_eq!(
            text,
            r#"{"id":3,"ok":true,"result":{"session":null,"emergency_zones":["mat-1"]}}"#
        );
        let line = through_the_wire(Reply::ok(Some(3), idle.clone()));
        let read: EmergencyReply = line.result_as().unwrap().unwrap();
        assert_eq!(read, EmergencyReply::Idle(idle));
    }

    #[test]
    fn session_commands_read_as_a_command_reply() {
        let ended = IdleResumeReply {
            session: None,
            emergency_ended: true,
        };
        let line = through_the_wire(Reply::ok(None, ended.clone()));
        let read: CommandReply = line.result_as().unwrap().unwrap();
        assert_eq!(read, CommandReply::IdleResume(ended));
        assert!(read.status().is_none());
        // A command that ended the session answers `null`.
        let stopped = through_the_wire(Reply::ok(None, None::<Status>));
        let read: Option<CommandReply> = stopped.result_as().unwrap().unwrap();
        assert_eq!(read, None);
    }

    #[test]
    fn a_result_of_another_shape_is_an_error_not_a_default() {
        let line = through_the_wire(Reply::ok(None, WatchingReply { watching: true }));
        assert!(line.result_as::<PingReply>().unwrap().is_err());
        let refused = through_the_wire(Reply::error(Some(1), ErrorKind::Refused, "no"));
        assert!(refused.result_as::<PingReply>().is_none());
        assert_eq!(refused.error.unwrap().kind, ErrorKind::Refused);
    }
}
