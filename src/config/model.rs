//! The validated daemon config.

use std::path::PathBuf;

use crate::timeline::Policy;

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The file it was read from; relative paths inside it were resolved against its directory.
    pub path: PathBuf,
    pub room: RoomConfig,
    pub daemon: DaemonConfig,
    pub paths: PathsConfig,
    /// Override looks, fades and volume limits, with `zones` filled from the room.
    pub policy: Policy,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RoomConfig {
    /// A plain name (`demo-room`): it will name the room's topics on a shared broker.
    pub name: String,
    /// At least one, names unique.
    pub zones: Vec<ZoneConfig>,
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
    pub state_dir: PathBuf,
    /// Rehearsal speed: 1.0 is real time.
    pub speed: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PathsConfig {
    pub scenes: PathBuf,
    pub playlists: PathBuf,
    pub media: PathBuf,
}

impl Config {
    pub fn zone_names(&self) -> Vec<String> {
        self.room.zones.iter().map(|z| z.name.clone()).collect()
    }
}
