//! Home Assistant's MQTT JSON schema, which ESPHome speaks too. `light.topic` is the base the
//! command and state topics hang off (`<base>/command`, `<base>/state`), so an ESPHome light
//! is configured with `<prefix>/light/<name>`; availability is `<prefix>/status`, the prefix
//! being the base up to `/light/` (or the base itself when it has none).

use super::decode::availability;
use super::{DecodeError, DeviceCommand, Driver, LightConfig, Publish, Report, json_schema};

/// Home Assistant's default brightness scale.
const BRIGHTNESS_MAX: u16 = 255;

pub(super) struct HomeAssistant;

pub fn command_topic(base: &str) -> String {
    format!("{base}/command")
}

pub fn state_topic(base: &str) -> String {
    format!("{base}/state")
}

pub fn availability_topic(base: &str) -> String {
    let prefix = base.rsplit_once("/light/").map_or(base, |(prefix, _)| prefix);
    format!("{prefix}/status")
}

impl Driver for HomeAssistant {
    fn encode(&self, light: &LightConfig, command: &DeviceCommand) -> Vec<Publish> {
        json_schema::encode(command, BRIGHTNESS_MAX, light.separate_kelvin, light.kelvin)
            .into_iter()
            .map(|payload| Publish {
                topic: command_topic(&light.topic),
                payload,
            })
            .collect()
    }

    /// A new command replaces a running transition on the device.
    fn stop(&self, _light: &LightConfig) -> Vec<Publish> {
        Vec::new()
    }

    fn subscriptions(&self, light: &LightConfig) -> Vec<String> {
        vec![state_topic(&light.topic), availability_topic(&light.topic)]
    }

    fn decode(
        &self,
        light: &LightConfig,
        topic: &str,
        payload: &[u8],
    ) -> Result<Option<Report>, DecodeError> {
        if topic == state_topic(&light.topic) {
            json_schema::decode(topic, payload, BRIGHTNESS_MAX)
        } else if topic == availability_topic(&light.topic) {
            availability(topic, payload, "online", "offline").map(Some)
        } else {
            Ok(None)
        }
    }
}
