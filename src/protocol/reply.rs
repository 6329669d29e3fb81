//! Replies, and the event-log entry that `watch` streams and `report` reads.

use serde::{Deserialize, Serialize};

use super::lights_report::LightsReport;
use crate::timeline::Status;

use super::log_entry::LogEntry;

/// One reply line. Exactly one of `result` and `error` is set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
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
    pub fn ok<T: Serialize>(id: Option<u64>, result: &T) -> Reply {
        let result = serde_json::to_value(result).expect("protocol types serialise");
        Reply {
            id,
            ok: true,
            result: Some(result),
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
