//! What the lights adapter reports about each light, as `status` carries it to `setting
//! status`, `setting lights list` and `setting lights watch`.

use serde::{Deserialize, Serialize};

use crate::scene::Look;

/// One light as the adapter knows it now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LightStatus {
    pub name: String,
    pub zone: String,
    /// The config's family name (`zigbee2mqtt`, ...).
    pub family: String,
    pub topic: String,
    /// `None` until the device (or its bridge) has said.
    pub available: Option<bool>,
    /// The look it is heading for, in perceived terms.
    pub desired: Option<Look>,
    /// Where the planner reckons it is now, part way through a fade.
    pub estimated: Option<Look>,
    /// What the device last reported: level as a fraction of its range, and Kelvin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_level: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_kelvin: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_on: Option<bool>,
    /// Commands sent to it since the daemon started.
    pub commands: u64,
}

/// How the summary of the demo's simulated lights begins (no `[mqtt]` in the config); for
/// people to read: whether they are simulated is [`LightsReport::simulated`].
pub const SIMULATED: &str = "SIMULATED lights";

/// The adapter as a whole: where it sends, whether it is connected, and each light.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct LightsReport {
    /// One line: the broker and whether it is connected, or "logging only".
    pub summary: String,
    pub connected: bool,
    /// These are the demo's stand-ins on a private broker (no `[mqtt]` in the config), not
    /// the room's lights. Left out by daemons from before it was kept: read as the room's.
    #[serde(default)]
    pub simulated: bool,
    pub lights: Vec<LightStatus>,
    /// Commands sent in all, and commands the budget held back and merged into later ones.
    pub commands_sent: u64,
    pub commands_merged: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulated_is_a_field_of_its_own_and_a_report_without_it_is_the_rooms() {
        let report = LightsReport {
            summary: format!("{SIMULATED}: no [mqtt] in the config"),
            simulated: true,
            ..LightsReport::default()
        };
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["simulated"], true, "{json}");
        // As a daemon from before the field wrote it: the summary alone decides nothing.
        let old = r#"{"summary":"SIMULATED lights: no [mqtt] in the config","connected":true,"lights":[],"commands_sent":0,"commands_merged":0}"#;
        let read: LightsReport = serde_json::from_str(old).unwrap();
        assert!(!read.simulated);
        assert!(read.connected);
        // A summary that merely begins with the words is not what says so.
        let real = LightsReport {
            summary: format!("{SIMULATED} ... not really"),
            ..LightsReport::default()
        };
        assert!(!real.simulated);
    }
}
