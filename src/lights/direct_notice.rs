//! The notice the emergency's direct path leaves on the broker, beside the lights it lit: a
//! daemon whose engine is stuck may still have a running lights task, and that task must not
//! carry a fade's next steps over the emergency. On the notice it puts the zones named at the
//! emergency look and holds them there until the engine itself sends an emergency.

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
            lights_from_unix_ms: Some(1_796_620_494_492),
        };
        assert_eq!(DirectNotice::from_json(&notice.to_json()).unwrap(), notice);
        assert!(DirectNotice::from_json(br#"{"zones": "room"}"#).is_err());
        assert_eq!(topic("room-1"), "setting/room-1/emergency/direct");
    }
}
