//! The lights' connection's options: the shared login, TLS and keep-alive, the daemon's
//! client id, the retained status topic and its last will, and the limits on what is in flight
//! and how large a message may be.

use rumqttc::{QoS, v5};

use crate::config::{BrokerConfig, MqttVersion};
use crate::mqtt::{KEEP_ALIVE, OptionsError, password, transport, unguessable, v5_options};

/// Publishes awaiting their acknowledgement. The planner keeps light traffic to each network's
/// budget, far below this; left unset, rumqttc sizes its table for 65,535 (14 MB).
const MAX_INFLIGHT: u16 = 256;

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

/// Everything needed to connect `room`'s daemon to `broker`.
/// The client id is the config's `client_id` with a part drawn for this start
/// ([`unguessable`]), so another account cannot log in under it and throw the room off.
pub fn connect_options(broker: &BrokerConfig, room: &str) -> Result<ConnectOptions, OptionsError> {
    let status = status_topic(room);
    let client_id = unguessable(&broker.client_id);
    Ok(match broker.version {
        MqttVersion::V5 => {
            let mut options = v5_options(broker, &client_id)?;
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
            let mut options = rumqttc::MqttOptions::new(client_id, &broker.host, broker.port);
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn the_client_id_is_the_configured_stem_and_a_part_nobody_can_guess() {
        for version in [MqttVersion::V5, MqttVersion::V311] {
            let ids: Vec<String> = (0..2)
                .map(|_| match connect_options(&broker(version), "room-1") {
                    Ok(ConnectOptions::V5(options)) => options.client_id(),
                    Ok(ConnectOptions::V311(options)) => options.client_id(),
                    Err(e) => panic!("{e}"),
                })
                .collect();
            assert!(ids[0].starts_with("settingd-room-1-"), "{ids:?}");
            assert_ne!(ids[0], ids[1]);
        }
    }
}
