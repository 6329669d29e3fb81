//! The config file as written: serde structures that mirror the TOML and reject unknown keys.
//! Sections are tables so that additions are new keys, not a new layout; the lights' part
//! lives in `raw_lights`.

use serde::Deserialize;
use serde_spanned::Spanned;

use super::raw_buttons::RawButton;
use super::raw_lights::{RawLight, RawLights, RawMqtt};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub room: Spanned<RawRoom>,
    #[serde(default)]
    pub daemon: RawDaemon,
    #[serde(default)]
    pub paths: RawPaths,
    #[serde(default)]
    pub overrides: RawOverrides,
    /// `[session]`: how the session treats the therapist (prompt reminders).
    #[serde(default)]
    pub session: RawSession,
    #[serde(default)]
    pub audio: RawAudio,
    pub mqtt: Option<Spanned<RawMqtt>>,
    #[serde(default)]
    pub lights: RawLights,
    pub remote: Option<Spanned<RawRemote>>,
    /// Physical buttons on the broker (`[[button]]`).
    #[serde(default)]
    pub button: Vec<Spanned<RawButton>>,
    /// The thresholds that make a vital-signs reading stand out.
    #[serde(default)]
    pub vitals: RawVitals,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRoom {
    pub name: Spanned<String>,
    /// The clinic's time zone for reports (`Europe/Berlin`); the system's when left out.
    pub timezone: Option<Spanned<String>>,
    #[serde(default)]
    pub zone: Vec<RawZone>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawZone {
    pub name: Spanned<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub light: Vec<Spanned<RawLight>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDaemon {
    pub socket: Option<String>,
    pub socket_mode: Option<Spanned<String>>,
    pub socket_group: Option<Spanned<String>>,
    pub user: Option<Spanned<String>>,
    pub state_dir: Option<String>,
    pub speed: Option<Spanned<f64>>,
    pub allow_world_writable_socket: Option<Spanned<bool>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPaths {
    pub scenes: Option<String>,
    pub playlists: Option<String>,
    pub media: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOverrides {
    pub emergency: Option<RawOverrideLook>,
    pub check: Option<RawOverrideLook>,
    pub check_duck_db: Option<Spanned<f64>>,
    pub walk: Option<RawOverrideLook>,
    pub resume_fade: Option<Spanned<String>>,
    pub mute_fade: Option<Spanned<String>>,
    pub pause_fade: Option<Spanned<String>>,
    pub stop_fade: Option<Spanned<String>>,
    pub emergency_music_fade: Option<Spanned<String>>,
    pub skip_crossfade: Option<Spanned<String>>,
    pub volume_ramp: Option<Spanned<String>>,
    pub max_volume_step_db: Option<Spanned<f64>>,
    pub max_volume_boost_db: Option<Spanned<f64>>,
    pub max_light_step_percent: Option<Spanned<f64>>,
    pub max_kelvin_step: Option<Spanned<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSession {
    pub prompt_reminder: Option<Spanned<String>>,
}

/// Each key optional: what is left out keeps the built-in value.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOverrideLook {
    pub brightness: Option<Spanned<f64>>,
    pub kelvin: Option<Spanned<i64>>,
    pub fade: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAudio {
    pub output: Option<Spanned<String>>,
    pub ceiling_db: Option<Spanned<f64>>,
    pub rate: Option<Spanned<i64>>,
    pub target_lufs: Option<Spanned<f64>>,
    pub max_boost_db: Option<Spanned<f64>>,
    pub read_timeout: Option<Spanned<String>>,
}

/// `[remote]`: steering the room over the clinic's broker, and Home Assistant discovery.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRemote {
    pub enabled: Option<Spanned<bool>>,
    pub home_assistant: Option<Spanned<bool>>,
    pub home_assistant_user: Option<Spanned<String>>,
    pub discovery_prefix: Option<Spanned<String>>,
    pub topic_prefix: Option<Spanned<String>>,
}

/// `[vitals]`: each threshold optional, the built-in one kept when left out.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVitals {
    pub systolic_above: Option<Spanned<i64>>,
    pub systolic_below: Option<Spanned<i64>>,
    pub diastolic_above: Option<Spanned<i64>>,
    pub diastolic_below: Option<Spanned<i64>>,
    pub pulse_above: Option<Spanned<i64>>,
    pub pulse_below: Option<Spanned<i64>>,
    pub spo2_below: Option<Spanned<i64>>,
}
