//! The connection's options from the validated broker config: client id, credentials (the
//! password read from its secret source, never kept in the config), the retained status topic
//! and its last will, and TLS through rustls with the ring provider.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rumqttc::{NetworkOptions, QoS, TlsConfiguration, Transport, v5};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::{BrokerConfig, MqttVersion, TlsConfig};
use crate::config::{SecretError, read_secret};

/// Long enough to spare the broker, short enough that a dead link is noticed within a phase.
const KEEP_ALIVE: Duration = Duration::from_secs(10);

/// Publishes awaiting their acknowledgement. The planner keeps light traffic to each network's
/// budget, far below this; left unset, rumqttc sizes its table for 65,535 (14 MB).
const MAX_INFLIGHT: u16 = 256;

/// The connection's socket options with Nagle's algorithm off. Every message of ours is small
/// and wanted now: held back until the previous one's TCP acknowledgement, an emergency's
/// light command can wait a round trip, or the 40 ms of a delayed ACK.
pub(crate) fn without_nagle(mut network: NetworkOptions) -> NetworkOptions {
    network.set_tcp_nodelay(true);
    network
}

/// The daemon's own retained status: `online` while connected, `offline` by its last will.
pub fn status_topic(room: &str) -> String {
    format!("setting/{room}/status")
}

/// The largest message the lights' connection takes from the broker (MQTT 5), and sends.
const MAX_INCOMING: usize = 256 * 1024;
/// The same over MQTT 3.1.1, where a larger one fails the connection instead of being dropped.
const MAX_INCOMING_311: usize = 4 * 1024 * 1024;

pub const ONLINE: &str = "online";
pub const OFFLINE: &str = "offline";

pub enum ConnectOptions {
    V5(Box<v5::MqttOptions>),
    V311(Box<rumqttc::MqttOptions>),
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

fn password(broker: &BrokerConfig) -> Result<Option<String>, OptionsError> {
    broker
        .password
        .as_ref()
        .map(read_secret)
        .transpose()
        .map_err(OptionsError::Secret)
}

fn transport(broker: &BrokerConfig) -> Result<Option<Transport>, OptionsError> {
    Ok(match &broker.tls {
        Some(tls) => Some(Transport::Tls(TlsConfiguration::Rustls(Arc::new(tls_config(
            tls,
        )?)))),
        None => None,
    })
}

/// Everything needed to connect `room`'s daemon to `broker`.
pub fn connect_options(broker: &BrokerConfig, room: &str) -> Result<ConnectOptions, OptionsError> {
    let status = status_topic(room);
    Ok(match broker.version {
        MqttVersion::V5 => {
            let mut options = v5_options(broker, &broker.client_id)?;
            options
                .set_outgoing_inflight_upper_limit(MAX_INFLIGHT)
                // Said to the broker, which then drops a larger message for us rather than the
                // client failing the whole connection on it, again at every reconnect.
                .set_max_packet_size(Some(MAX_INCOMING as u32))
                .set_last_will(v5::mqttbytes::v5::LastWill::new(
                    status,
                    OFFLINE,
                    v5::mqttbytes::QoS::AtLeastOnce,
                    true,
                    None,
                ));
            ConnectOptions::V5(Box::new(options))
        }
        MqttVersion::V311 => {
            let mut options = rumqttc::MqttOptions::new(&broker.client_id, &broker.host, broker.port);
            options
                .set_keep_alive(KEEP_ALIVE)
                .set_clean_session(true)
                // MQTT 3.1.1 cannot tell the broker a limit: a generous one keeps a device's
                // long state report (WLED's, say) from failing the connection.
                .set_max_packet_size(MAX_INCOMING_311, MAX_INCOMING)
                .set_last_will(rumqttc::LastWill::new(status, OFFLINE, QoS::AtLeastOnce, true));
            if let Some(user) = &broker.username {
                options.set_credentials(user, password(broker)?.unwrap_or_default());
            }
            if let Some(transport) = transport(broker)? {
                options.set_transport(transport);
            }
            ConnectOptions::V311(Box::new(options))
        }
    })
}

pub(crate) fn tls_config(tls: &TlsConfig) -> Result<rustls::ClientConfig, OptionsError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in certificates(&tls.ca)? {
        roots.add(cert).map_err(OptionsError::Tls)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(OptionsError::Tls)?
        .with_root_certificates(roots);
    match &tls.client_cert {
        None => Ok(builder.with_no_client_auth()),
        Some((cert, key)) => {
            let key = PrivateKeyDer::from_pem_file(key).map_err(|source| OptionsError::TlsFile {
                path: key.clone(),
                source,
            })?;
            builder
                .with_client_auth_cert(certificates(cert)?, key)
                .map_err(OptionsError::Tls)
        }
    }
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, OptionsError> {
    let file_error = |source| OptionsError::TlsFile {
        path: path.to_path_buf(),
        source,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(file_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(file_error)?;
    if certs.is_empty() {
        return Err(OptionsError::NoCertificate(path.to_path_buf()));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SecretSource;
    use crate::error_text::error_chain;

    fn broker(version: MqttVersion) -> BrokerConfig {
        BrokerConfig {
            host: "127.0.0.1".into(),
            port: 1883,
            tls: None,
            username: Some("room-1".into()),
            password: None,
            client_id: "settingd-room-1".into(),
            version,
        }
    }

    #[test]
    fn the_last_will_marks_the_status_offline_and_retained() {
        let Ok(ConnectOptions::V5(options)) = connect_options(&broker(MqttVersion::V5), "room-1") else {
            panic!("expected v5 options");
        };
        let will = options.last_will().expect("a last will");
        assert_eq!(&will.topic[..], b"setting/room-1/status");
        assert_eq!(&will.message[..], b"offline");
        assert!(will.retain);
        let Ok(ConnectOptions::V311(options)) = connect_options(&broker(MqttVersion::V311), "room-1") else {
            panic!("expected 3.1.1 options");
        };
        assert_eq!(
            options.last_will().expect("a last will").topic,
            "setting/room-1/status"
        );
    }

    #[test]
    fn the_password_comes_from_its_file_without_the_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("password");
        std::fs::write(&path, "s3cret\n").unwrap();
        let mut config = broker(MqttVersion::V5);
        config.password = Some(SecretSource::File(path));
        let Ok(ConnectOptions::V5(options)) = connect_options(&config, "room-1") else {
            panic!("expected v5 options");
        };
        let login = options.credentials().expect("credentials");
        assert_eq!(
            (login.username.as_str(), login.password.as_str()),
            ("room-1", "s3cret")
        );
    }

    #[test]
    fn a_missing_password_file_is_an_error_naming_the_file() {
        let mut config = broker(MqttVersion::V5);
        config.password = Some(SecretSource::File("/nonexistent/setting-password".into()));
        let error = connect_options(&config, "room-1").err().expect("an error");
        let text = error_chain(&error);
        assert!(text.contains("/nonexistent/setting-password"), "{text}");
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, "not a certificate\n").unwrap();
        let mut config = broker(MqttVersion::V5);
        config.tls = Some(TlsConfig {
            ca,
            client_cert: None,
        });
        let error = connect_options(&config, "room-1").err().expect("an error");
        assert!(matches!(error, OptionsError::NoCertificate(_)), "{error}");
    }
}
