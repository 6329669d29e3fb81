//! What every connection of the daemon to the broker shares: the login (the password read from
//! its secret source, never kept in the config), TLS, the keep-alive and Nagle off.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rumqttc::{NetworkOptions, TlsConfiguration, Transport, v5};

use super::tls::tls_config;
use crate::config::BrokerConfig;
use crate::config::{SecretError, read_secret};

/// Long enough to spare the broker, short enough that a dead link is noticed within a phase.
pub(crate) const KEEP_ALIVE: Duration = Duration::from_secs(10);

/// The connection's socket options with Nagle's algorithm off. Every message of ours is small
/// and wanted now: held back until the previous one's TCP acknowledgement, an emergency's
/// light command can wait a round trip, or the 40 ms of a delayed ACK.
pub(crate) fn without_nagle(mut network: NetworkOptions) -> NetworkOptions {
    network.set_tcp_nodelay(true);
    network
}

#[derive(Debug, thiserror::Error)]
pub enum OptionsError {
    #[error("cannot read the broker password")]
    Secret(#[source] SecretError),
    #[error("cannot read the TLS file {path}")]
    TlsFile {
        path: PathBuf,
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    #[error("the TLS file {0} holds no certificate")]
    NoCertificate(PathBuf),
    #[error("cannot set up TLS for the broker")]
    Tls(#[source] rustls::Error),
    #[error("cannot start the MQTT task")]
    Task(#[source] std::io::Error),
}

/// The MQTT 5 options every connection of the daemon to `broker` shares, under `client_id`:
/// the login (the password read from its secret source), TLS, Nagle off, the keep-alive and a
/// clean start. Each connection adds its own last will.
pub(crate) fn v5_options(broker: &BrokerConfig, client_id: &str) -> Result<v5::MqttOptions, OptionsError> {
    let mut options = v5::MqttOptions::new(client_id, &broker.host, broker.port);
    let network = without_nagle(options.network_options());
    options
        .set_network_options(network)
        .set_keep_alive(KEEP_ALIVE)
        .set_clean_start(true);
    if let Some(user) = &broker.username {
        options.set_credentials(user, password(broker)?.unwrap_or_default());
    }
    if let Some(transport) = transport(broker)? {
        options.set_transport(transport);
    }
    Ok(options)
}

pub(crate) fn password(broker: &BrokerConfig) -> Result<Option<String>, OptionsError> {
    broker
        .password
        .as_ref()
        .map(read_secret)
        .transpose()
        .map_err(OptionsError::Secret)
}

pub(crate) fn transport(broker: &BrokerConfig) -> Result<Option<Transport>, OptionsError> {
    Ok(match &broker.tls {
        Some(tls) => Some(Transport::Tls(TlsConfiguration::Rustls(Arc::new(tls_config(
            tls,
        )?)))),
        None => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{MqttVersion, SecretSource, TlsConfig};
    use crate::error_text::error_chain;

    fn broker() -> BrokerConfig {
        BrokerConfig {
            host: "127.0.0.1".into(),
            port: 1883,
            tls: None,
            username: Some("room-1".into()),
            password: None,
            client_id: "settingd-room-1".into(),
            version: MqttVersion::V5,
        }
    }

    #[test]
    fn the_password_comes_from_its_file_without_the_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("password");
        std::fs::write(&path, "s3cret\n").unwrap();
        let mut config = broker();
        config.password = Some(SecretSource::File(path));
        let options = v5_options(&config, "settingd-room-1").unwrap();
        let login = options.credentials().expect("credentials");
        assert_eq!(
            (login.username.as_str(), login.password.as_str()),
            ("room-1", "s3cret")
        );
    }

    #[test]
    fn a_missing_password_file_is_an_error_naming_the_file() {
        let mut config = broker();
        config.password = Some(SecretSource::File("/nonexistent/setting-password".into()));
        let error = v5_options(&config, "settingd-room-1").expect_err("an error");
        let text = error_chain(&error);
        assert!(text.contains("/nonexistent/setting-password"), "{text}");
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, "not a certificate\n").unwrap();
        let mut config = broker();
        config.tls = Some(TlsConfig {
            ca,
            client_cert: None,
        });
        let error = v5_options(&config, "settingd-room-1").expect_err("an error");
        assert!(matches!(error, OptionsError::NoCertificate(_)), "{error}");
    }
}
