//! The daemon's config file (`settingd.toml`): the room, its zones and their lights, the MQTT
//! broker, where the daemon listens and keeps state, where scenes, playlists and media live,
//! and the clinic's override policy. Located, read in two stages (raw, then validated) like
//! every file people write.

mod audio;
mod broker;
mod broker_model;
mod broker_override;
mod buttons;
mod buttons_model;
mod defaults;
mod error;
mod family_limits;
mod lights;
mod lights_model;
mod load;
mod locate;
mod model;
mod networks;
mod output_spec;
mod overrides;
mod raw;
mod raw_buttons;
mod raw_lights;
mod remote;
mod secret;
mod validate;
mod vitals;

pub use audio::{DEFAULT_CEILING_DB, DEFAULT_MAX_BOOST_DB, DEFAULT_TARGET_LUFS};
pub use broker::{DEFAULT_PORT, DEFAULT_TLS_PORT, default_client_id};
pub use broker_model::{BrokerConfig, MqttVersion, SecretSource, TlsConfig};
pub use broker_override::{BrokerOverrideError, broker_override};
pub use buttons_model::{ButtonCommand, ButtonConfig, ButtonKind};
pub use defaults::Environment;
pub use error::ConfigError;
pub use family_limits::{default_max_transition, default_network, device_limit};
pub use lights_model::{Curve, Family, LightConfig, LightsConfig, NetworkConfig};
pub use load::{load_config, parse_config, parse_config_in};
pub use locate::{locate_config, locate_config_in};
pub use model::{
    AudioConfig, Config, DEFAULT_DAEMON_USER, DaemonConfig, MAX_SPEED, PathsConfig, RemoteConfig, RoomConfig,
    ZoneConfig,
};
pub use networks::{burst_for, default_networks, ordinary_room, reserve_for};
pub use output_spec::{OutputSpec, OutputSpecError};
pub use remote::user_level_problem;
pub use secret::{SecretError, read_secret};

#[cfg(test)]
mod broker_tests;
#[cfg(test)]
mod buttons_tests;
#[cfg(test)]
mod lights_tests;
#[cfg(test)]
mod shipped_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod vitals_tests;
