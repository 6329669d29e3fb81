//! The validated daemon config.

use std::path::PathBuf;
use std::time::Duration;

use super::LightsConfig;
use super::OutputSpec;
use super::buttons_model::ButtonConfig;
use crate::timeline::Policy;
use crate::vitals::Thresholds;

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The file it was read from; relative paths inside it were resolved against its directory.
    pub path: PathBuf,
    pub room: RoomConfig,
    pub daemon: DaemonConfig,
    pub paths: PathsConfig,
    pub audio: AudioConfig,
    /// Override looks, fades and volume limits, with `zones` filled from the room.
    pub policy: Policy,
    /// The room's lights, the broker and the network budgets. No lights: the daemon only
    /// logs what it would set. Lights and no broker: the demo's private broker.
    pub lights: LightsConfig,
    /// Steering over the broker (`setting --room`) and Home Assistant discovery; off unless
    /// the `[remote]` section turns it on, and only with a real `[mqtt]` broker.
    pub remote: RemoteConfig,
    /// Physical buttons on the broker mapped to the therapist's commands (`[[button]]`); none
    /// unless the config names some.
    pub buttons: Vec<ButtonConfig>,
    /// The thresholds that make a vital-signs reading stand out (`[vitals]`).
    pub vitals: Thresholds,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RoomConfig {
    /// A plain name (`demo-room`): it will name the room's topics on a shared broker.
    pub name: String,
    /// At least one, names unique.
    pub zones: Vec<ZoneConfig>,
    /// The clinic's time zone for reports, an IANA name this machine knows; `None`: the
    /// system's.
    pub timezone: Option<String>,
}

/// A group of lights moved together: the ceiling, or one client's reading light.
#[derive(Clone, Debug, PartialEq)]
pub struct ZoneConfig {
    pub name: String,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DaemonConfig {
    pub socket: PathBuf,
    /// Permission bits of the control socket (`0o660`).
    pub socket_mode: u32,
    /// Group that owns the socket, so therapists' accounts can steer the daemon.
    pub socket_group: Option<String>,
    /// Lets `socket_mode` give write access to every local account; off unless asked for.
    pub allow_world_writable_socket: bool,
    /// The account settingd runs as: `setting` believes a socket's answer only from it, root
    /// or the caller's own account.
    pub user: String,
    pub state_dir: PathBuf,
    /// Rehearsal speed: 1.0 is real time; above 0 and at most [`MAX_SPEED`].
    pub speed: f64,
}

/// The fastest rehearsal: a three-hour session in eleven seconds. The config, the command line
/// and a state file read back are all held to it.
pub const MAX_SPEED: f64 = 1000.0;

/// The account the shipped unit and sysusers file make for settingd.
pub const DEFAULT_DAEMON_USER: &str = "setting";

#[derive(Clone, Debug, PartialEq)]
pub struct PathsConfig {
    pub scenes: PathBuf,
    pub playlists: PathBuf,
    pub media: PathBuf,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AudioConfig {
    /// Where the music goes; a `wav:` path is resolved against the config file's directory.
    pub output: OutputSpec,
    /// The loudest sample the room may ever get, in dBFS.
    pub ceiling_db: f32,
    /// The rate the mixer and the output run at; tracks are resampled to it when loaded.
    pub rate: u32,
    /// The loudness every analysed track is levelled to, in LUFS.
    pub target_lufs: f64,
    /// How far levelling may lift a quiet track, in dB (its true peak's headroom under the
    /// ceiling limits it too).
    pub max_boost_db: f64,
    /// How long one read of a media file may hang before the file is given up: the track is
    /// skipped (or, part-way through, cut where its data stopped), and `playlist check` and
    /// `analyze` name it and go on.
    pub read_timeout: Duration,
}

/// The `[remote]` section, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct RemoteConfig {
    pub enabled: bool,
    /// Publish Home Assistant MQTT discovery for the room (one device).
    pub home_assistant: bool,
    /// Home Assistant's broker account: its buttons publish requests under this name, so the
    /// broker's ACL and the audit trail treat it like any other sender.
    pub home_assistant_user: String,
    /// Home Assistant's discovery prefix: `homeassistant` unless changed there.
    pub discovery_prefix: String,
    /// The first level of every topic of this product: `setting`.
    pub topic_prefix: String,
}

impl Default for RemoteConfig {
    fn default() -> RemoteConfig {
        RemoteConfig {
            enabled: false,
            home_assistant: false,
            home_assistant_user: "homeassistant".into(),
            discovery_prefix: "homeassistant".into(),
            topic_prefix: "setting".into(),
        }
    }
}

impl Config {
    pub fn zone_names(&self) -> Vec<String> {
        self.room.zones.iter().map(|z| z.name.clone()).collect()
    }
}
