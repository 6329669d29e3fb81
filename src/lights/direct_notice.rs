//! The notice the emergency's direct path leaves on the broker, beside the lights it lit: a
//! daemon whose engine is stuck may still have a running lights task, and that task must not
//! carry a fade's next steps over the emergency. On the notice it puts the zones named at the
//! emergency look and holds them there until the engine itself sends an emergency.
//!
//! It is retained, so a daemon that starts after a direct emergency (and finds no marker the
//! therapist could leave) hears of it too: its lights task turns it into a marker in the spool
//! and clears it from the broker once that is on disk.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::scene::Look;

/// Where the notice goes, beside the daemon's status: `setting/<room>/emergency/direct`.
pub fn topic(room: &str) -> String {
    format!("setting/{room}/emergency/direct")
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DirectNotice {
    pub zones: Vec<String>,
    pub look: Look,
    /// When the direct path began to publish the lights' messages (ms since 1970, this
    /// machine's clock): a command the daemon sent a light before then was overtaken by the
    /// look; one sent since may have overtaken it. `None` from a CLI older than the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lights_from_unix_ms: Option<u64>,
    /// The emergency's own name, shared with the marker the same command left: a daemon that
    /// took over one does not take over the other again.
    #[serde(default)]
    pub id: Option<String>,
    /// Wall time it was sent, in milliseconds since the Unix epoch.
    #[serde(default)]
    pub sent_unix_ms: u64,
    /// The whole room; else only `zones`.
    #[serde(default)]
    pub whole_room: bool,
    /// Who sent it, as they say (the broker account proves only the room's).
    #[serde(default)]
    pub user: Option<String>,
}

/// What the daemon's lights task does with a notice so the engine takes the emergency over:
/// settingd leaves it in the spool as a marker. `Ok` names where, once it is on disk, and the
/// notice may leave the broker; on `Err` it stays there for the next start.
#[derive(Clone)]
pub struct NoticeSink(pub Arc<LeaveNotice>);

/// Leaves a notice where the engine finds it: `Ok` names the place, `Err` says why not.
pub type LeaveNotice = dyn Fn(&DirectNotice) -> Result<String, String> + Send + Sync;

impl fmt::Debug for NoticeSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NoticeSink")
    }
}

/// Milliseconds since 1970 by this machine's clock, as the notice's `lights_from_unix_ms`
/// counts them (0 for a clock set before 1970).
pub fn unix_now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl DirectNotice {
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a notice is always JSON")
    }

    pub fn from_json(payload: &[u8]) -> Result<DirectNotice, serde_json::Error> {
        serde_json::from_slice(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_reads_back_and_a_malformed_one_is_an_error() {
        let notice = DirectNotice {
            zones: vec!["room".into(), "mat-1".into()],
            look: Look {
                brightness: 100.0,
                kelvin: 4000,
            },
            lights_from_unix_ms: Some(1_700_000_000_012),
            id: Some("1700000000000-42".into()),
            sent_unix_ms: 1_700_000_000_000,
            whole_room: false,
            user: Some("ana".into()),
        };
        assert_eq!(DirectNotice::from_json(&notice.to_json()).unwrap(), notice);
        // What an earlier version sent still reads.
        let earlier =
            DirectNotice::from_json(br#"{"zones":["room"],"look":{"brightness":100.0,"kelvin":4000}}"#)
                .unwrap();
        assert_eq!(earlier.id, None);
        assert!(DirectNotice::from_json(br#"{"zones": "room"}"#).is_err());
        assert_eq!(topic("room-1"), "setting/room-1/emergency/direct");
    }
}
