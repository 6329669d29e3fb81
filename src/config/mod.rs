//! The daemon's config file (`settingd.toml`): the room, its zones and their lights, the MQTT
//! broker, where the daemon listens and keeps state, where scenes, playlists and media live,
//! and the clinic's override policy. Located, read in two stages (raw, then validated) like
//! every file people write.

mod audio;
mod broker;
mod broker_override;
mod defaults;
mod error;
mod family_limits;
mod lights;
mod load;
mod locate;
mod model;
mod networks;
mod overrides;
mod raw;
mod raw_lights;
mod remote;
mod secret;
mod validate;

pub use broker::{DEFAULT_PORT, DEFAULT_TLS_PORT, default_client_id};
pub use broker_override::{BrokerOverrideError, broker_override};
pub use defaults::Environment;
pub use error::ConfigError;
pub use family_limits::{default_max_transition, default_network, device_limit};
pub use load::{load_config, parse_config, parse_config_in};
pub use locate::{locate_config, locate_config_in};
pub use model::{
    AudioConfig, Config, DaemonConfig, MAX_SPEED, PathsConfig, RemoteConfig, RoomConfig, ZoneConfig,
};
pub use networks::default_networks;
pub use secret::{SecretError, read_secret};

#[cfg(test)]
mod broker_tests;
#[cfg(test)]
mod lights_tests;
#[cfg(test)]
mod shipped_tests;
#[cfg(test)]
mod tests;
