//! The daemon's config file (`settingd.toml`): the room and its zones, where the daemon
//! listens and keeps state, where scenes, playlists and media live, and the clinic's override
//! policy. Located, read in two stages (raw, then validated) like every file people write.

mod audio;
mod defaults;
mod error;
mod load;
mod locate;
mod model;
mod overrides;
mod raw;
mod validate;

pub use defaults::Environment;
pub use error::ConfigError;
pub use load::{load_config, parse_config, parse_config_in};
pub use locate::{locate_config, locate_config_in};
pub use model::{AudioConfig, Config, DaemonConfig, PathsConfig, RoomConfig, ZoneConfig};

#[cfg(test)]
mod tests;
