//! The validated `[mqtt]` broker: where it is, how to log in and whether over TLS. The lights'
//! connection, the remote link and `setting --room` all connect with it.

use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MqttVersion {
    V311,
    /// The default: a denied publish is visible in its reason code.
    #[default]
    V5,
}

/// Where a secret comes from. The secret itself is never written in the config, logged or shown.
#[derive(Clone, Debug, PartialEq)]
pub enum SecretSource {
    File(PathBuf),
    Env(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct TlsConfig {
    pub ca: PathBuf,
    /// A client certificate and its key, for brokers that authenticate clients by certificate.
    pub client_cert: Option<(PathBuf, PathBuf)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BrokerConfig {
    pub host: String,
    pub port: u16,
    pub tls: Option<TlsConfig>,
    pub username: Option<String>,
    pub password: Option<SecretSource>,
    pub client_id: String,
    pub version: MqttVersion,
}
