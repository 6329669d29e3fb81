//! `settingd --mqtt HOST:PORT`: points the daemon at another broker for one run (a test broker,
//! a technician's laptop) without editing the room's config.

use super::broker::{default_client_id, host_problem};
use super::model::Config;
use super::{BrokerConfig, MqttVersion};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BrokerOverrideError {
    #[error("`{0}` is not HOST:PORT; expected a broker address such as 127.0.0.1:1883 or [::1]:1883")]
    Malformed(String),
    #[error("`{text}`: the host {problem}")]
    Host { text: String, problem: &'static str },
    #[error("`{0}`: the port must be a number from 1 to 65535")]
    Port(String),
}

/// Splits `HOST:PORT` (an IPv6 address in brackets: `[::1]:1883`). The port is required:
/// guessing 1883 against a TLS broker would fail in a less obvious way.
pub fn broker_override(text: &str) -> Result<(String, u16), BrokerOverrideError> {
    let malformed = || BrokerOverrideError::Malformed(text.to_string());
    let (host, port) = text.rsplit_once(':').ok_or_else(malformed)?;
    let host = match host.strip_prefix('[') {
        Some(inner) => inner.strip_suffix(']').ok_or_else(malformed)?,
        None if host.contains(':') => return Err(malformed()),
        None => host,
    };
    if let Some(problem) = host_problem(host) {
        return Err(BrokerOverrideError::Host {
            text: text.to_string(),
            problem,
        });
    }
    match port.parse::<u16>() {
        Ok(port) if port > 0 => Ok((host.to_string(), port)),
        _ => Err(BrokerOverrideError::Port(text.to_string())),
    }
}

impl Config {
    /// Sends the lights to `host:port` instead of the configured broker. Credentials, TLS and
    /// the client id of a configured `[mqtt]` stay (the same broker behind another address);
    /// without one, a plain connection with the room's default client id.
    pub fn override_broker(&mut self, host: String, port: u16) {
        match &mut self.lights.broker {
            Some(broker) => {
                broker.host = host;
                broker.port = port;
            }
            None => {
                self.lights.broker = Some(BrokerConfig {
                    host,
                    port,
                    tls: None,
                    username: None,
                    password: None,
                    client_id: default_client_id(&self.room.name),
                    version: MqttVersion::default(),
                })
            }
        }
    }
}
