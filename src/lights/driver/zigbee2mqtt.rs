//! Zigbee2MQTT devices and groups under the default base topic `zigbee2mqtt`: brightness
//! 0-254, colour temperature in mireds, transitions in seconds.

use super::decode::word_or_json_state;
use super::{DecodeError, DeviceCommand, Driver, LightConfig, Publish, Report, json_schema};

const BASE: &str = "zigbee2mqtt";
const BRIGHTNESS_MAX: u16 = 254;

pub(super) struct Zigbee2Mqtt;

pub fn state_topic(name: &str) -> String {
    format!("{BASE}/{name}")
}

pub fn set_topic(name: &str) -> String {
    format!("{BASE}/{name}/set")
}

pub fn get_topic(name: &str) -> String {
    format!("{BASE}/{name}/get")
}

pub fn availability_topic(name: &str) -> String {
    format!("{BASE}/{name}/availability")
}

/// The bridge's own state (retained, with a last will): while it is offline no device or
/// group of it can be reached.
pub fn bridge_state_topic() -> String {
    format!("{BASE}/bridge/state")
}

impl Driver for Zigbee2Mqtt {
    fn encode(&self, light: &LightConfig, command: &DeviceCommand) -> Vec<Publish> {
        json_schema::encode(command, BRIGHTNESS_MAX, light.separate_kelvin, light.kelvin)
            .into_iter()
            .map(|payload| Publish {
                topic: set_topic(&light.topic),
                payload,
            })
            .collect()
    }

    /// `brightness_move` 0 is the Level cluster's Stop: the light holds wherever its running
    /// transition has got to.
    fn stop(&self, light: &LightConfig) -> Vec<Publish> {
        vec![Publish {
            topic: set_topic(&light.topic),
            payload: br#"{"brightness_move":0}"#.to_vec(),
        }]
    }

    fn subscriptions(&self, light: &LightConfig) -> Vec<String> {
        let mut topics = vec![state_topic(&light.topic)];
        // A group has no availability of its own; it is reachable while the bridge is.
        if !light.group {
            topics.push(availability_topic(&light.topic));
        }
        topics.push(bridge_state_topic());
        topics
    }

    fn decode(
        &self,
        light: &LightConfig,
        topic: &str,
        payload: &[u8],
    ) -> Result<Option<Report>, DecodeError> {
        if topic == state_topic(&light.topic) {
            json_schema::decode(topic, payload, BRIGHTNESS_MAX)
        } else if (!light.group && topic == availability_topic(&light.topic)) || topic == bridge_state_topic()
        {
            word_or_json_state(topic, payload).map(Some)
        } else {
            Ok(None)
        }
    }
}
