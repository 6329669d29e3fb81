//! The remote connection's options: the lights' broker, credentials and TLS, its own client id
//! (`<client_id>-remote`), a clean start, and the room's offline state as its retained last
//! will.

use std::sync::Arc;
use std::time::Duration;

use rumqttc::v5::MqttOptions;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::LastWill;
use rumqttc::{TlsConfiguration, Transport};

use crate::config::{SecretError, read_secret};
use crate::lights::model::BrokerConfig;
use crate::lights::mqtt::OptionsError;
use crate::protocol::MAX_LINE_BYTES;
use crate::remote::state::RoomState;
use crate::remote::topics::RoomTopics;

/// As the lights' connection: a dead link is noticed within seconds.
const KEEP_ALIVE: Duration = Duration::from_secs(10);
/// Room for a request's topic and properties around the largest request line. The broker is
/// told this limit in CONNECT and drops larger messages itself, rather than the connection
/// failing on them.
const PACKET_OVERHEAD: usize = 16 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum RemoteOptionsError {
    #[error("cannot read the broker password")]
    Secret(#[source] SecretError),
    #[error("cannot set up TLS for the broker")]
    Tls(#[source] OptionsError),
}

pub fn client_id(broker: &BrokerConfig) -> String {
    format!("{}-remote", broker.client_id)
}

pub fn connect_options(
    broker: &BrokerConfig,
    topics: &RoomTopics,
) -> Result<MqttOptions, RemoteOptionsError> {
    let password = broker
        .password
        .as_ref()
        .map(read_secret)
        .transpose()
        .map_err(RemoteOptionsError::Secret)?;
    let mut options = MqttOptions::new(client_id(broker), &broker.host, broker.port);
    let will = LastWill::new(
        topics.state(),
        RoomState::offline(topics.room()).to_json(),
        QoS::AtLeastOnce,
        true,
        None,
    );
    let network = crate::lights::mqtt::without_nagle(options.network_options());
    options
        .set_network_options(network)
        .set_keep_alive(KEEP_ALIVE)
        .set_clean_start(true)
        .set_max_packet_size(Some((MAX_LINE_BYTES + PACKET_OVERHEAD) as u32))
        .set_last_will(will);
    if let Some(user) = &broker.username {
        options.set_credentials(user, password.unwrap_or_default());
    }
    if let Some(tls) = &broker.tls {
        let config = crate::lights::mqtt::tls_config(tls).map_err(RemoteOptionsError::Tls)?;
        options.set_transport(Transport::Tls(TlsConfiguration::Rustls(Arc::new(config))));
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lights::model::MqttVersion;

    fn broker() -> BrokerConfig {
        BrokerConfig {
            host: "127.0.0.1".into(),
            port: 1883,
            tls: None,
            username: Some("room-a".into()),
            password: None,
            client_id: "settingd-room-a".into(),
            version: MqttVersion::V311,
        }
    }

    #[test]
    fn the_last_will_is_the_rooms_offline_state_retained() {
        let options = connect_options(&broker(), &RoomTopics::new("setting", "room-a")).unwrap();
        let will = options.last_will().expect("a last will");
        assert_eq!(&will.topic[..], b"setting/room-a/state");
        let state: RoomState = serde_json::from_slice(&will.message).unwrap();
        assert_eq!(state, RoomState::offline("room-a"));
        assert!(will.retain);
        assert_eq!(will.qos, QoS::AtLeastOnce);
    }

    #[test]
    fn the_connection_has_its_own_client_id_and_the_rooms_login() {
        let options = connect_options(&broker(), &RoomTopics::new("setting", "room-a")).unwrap();
        assert_eq!(options.client_id(), "settingd-room-a-remote");
        assert_eq!(options.credentials().expect("credentials").username, "room-a");
        assert!(options.clean_start());
        assert!(options.max_packet_size().unwrap() as usize > MAX_LINE_BYTES);
    }
}
