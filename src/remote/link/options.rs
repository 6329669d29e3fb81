//! The remote connection's options: the lights' broker, credentials and TLS, its own client id
//! (`<client_id>-remote-` and a part drawn at each start), a clean start, and the room's offline state as its retained last
//! will.

use rumqttc::v5::MqttOptions;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::LastWill;

use crate::config::BrokerConfig;
use crate::mqtt::{OptionsError, unguessable, v5_options};
use crate::protocol::MAX_LINE_BYTES;
use crate::remote::state::RoomState;
use crate::remote::topics::RoomTopics;

/// Room for a request's topic and properties around the largest request line. The broker is
/// told this limit in CONNECT and drops larger messages itself, rather than the connection
/// failing on them.
const PACKET_OVERHEAD: usize = 16 * 1024;

/// `<client_id>-remote-` and a part drawn for this start: another account cannot guess it.
pub fn client_id(broker: &BrokerConfig) -> String {
    unguessable(&format!("{}-remote", broker.client_id))
}

/// The lights' connection's options (login, TLS, keep-alive, clean start) under the remote
/// client id, with the room's offline state as the last will and a packet limit.
pub fn connect_options(broker: &BrokerConfig, topics: &RoomTopics) -> Result<MqttOptions, OptionsError> {
    let mut options = v5_options(broker, &client_id(broker))?;
    let will = LastWill::new(
        topics.state(),
        RoomState::offline(topics.room()).to_json(),
        QoS::AtLeastOnce,
        true,
        None,
    );
    options
        .set_max_packet_size(Some((MAX_LINE_BYTES + PACKET_OVERHEAD) as u32))
        .set_last_will(will);
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MqttVersion;

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
        let id = options.client_id();
        assert!(id.starts_with("settingd-room-a-remote-"), "{id}");
        let again = connect_options(&broker(), &RoomTopics::new("setting", "room-a")).unwrap();
        assert_ne!(again.client_id(), id, "drawn afresh, so nobody can guess it");
        assert_eq!(options.credentials().expect("credentials").username, "room-a");
        assert!(options.clean_start());
        assert!(options.max_packet_size().unwrap() as usize > MAX_LINE_BYTES);
    }
}
