//! The reply to `vitals` and `note`: what was written into the session's record.

use serde::{Deserialize, Serialize};

use crate::time::Millis;
use crate::timeline::Source;
use crate::vitals::Flag;

/// A reading or a note, on disk in the running session's event log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedReply {
    pub session: String,
    /// Its number in the session's log.
    pub seq: u64,
    /// Session time it was recorded at.
    pub at: Millis,
    /// Wall-clock time, RFC 3339 in UTC, as logged.
    pub wall: String,
    /// Who entered it, as the log names them.
    pub source: Source,
    /// The clinic's thresholds the reading crossed; always empty for a note.
    #[serde(default)]
    pub flags: Vec<Flag>,
    /// The waiting prompt a reading acknowledged (the oldest asking for vitals); left out
    /// when it acknowledged none, for a note, and by daemons from before readings did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<AnsweredPrompt>,
}

/// A clinical prompt acknowledged by what was recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnsweredPrompt {
    pub number: u32,
    pub text: String,
}
