//! WLED's JSON API over MQTT: `on`, `bri` 0-255, `tt` (this command's transition, in 100 ms
//! units) and the segment's `cct` in Kelvin. State comes back as the bare brightness on `/g`.

use serde::Serialize;

use super::decode::{availability, error, state_report, text};
use super::units::{fraction, json, scale, tenths};
use super::{DecodeError, DeviceCommand, DeviceState, Driver, LightConfig, Publish, Report, decode};

const BRIGHTNESS_MAX: u16 = 255;

pub(super) struct Wled;

pub fn api_topic(name: &str) -> String {
    format!("wled/{name}/api")
}

pub fn brightness_topic(name: &str) -> String {
    format!("wled/{name}/g")
}

pub fn status_topic(name: &str) -> String {
    format!("wled/{name}/status")
}

/// Field order fixed by the struct, so payloads are byte-for-byte stable.
#[derive(Serialize)]
struct Command {
    #[serde(skip_serializing_if = "Option::is_none")]
    on: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bri: Option<u16>,
    tt: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    seg: Option<[Segment; 1]>,
}

#[derive(Serialize)]
struct Segment {
    cct: u16,
}

fn publish(light: &LightConfig, command: &Command) -> Publish {
    Publish {
        topic: api_topic(&light.topic),
        payload: json(command),
    }
}

impl Driver for Wled {
    fn encode(&self, light: &LightConfig, command: &DeviceCommand) -> Vec<Publish> {
        let tt = tenths(command.transition).min(u64::from(u16::MAX)) as u16;
        if !command.on {
            let off = Command {
                on: Some(false),
                bri: None,
                tt,
                seg: None,
            };
            return vec![publish(light, &off)];
        }
        let bri = Some(scale(command.level, BRIGHTNESS_MAX));
        let seg = command.kelvin.map(|cct| [Segment { cct }]);
        if light.separate_kelvin && seg.is_some() {
            // Colour first: the light then brightens already in the target colour.
            let colour = Command {
                on: None,
                bri: None,
                tt,
                seg,
            };
            let level = Command {
                on: Some(true),
                bri,
                tt,
                seg: None,
            };
            vec![publish(light, &colour), publish(light, &level)]
        } else {
            vec![publish(
                light,
                &Command {
                    on: Some(true),
                    bri,
                    tt,
                    seg,
                },
            )]
        }
    }

    /// A new command replaces a running transition.
    fn stop(&self, _light: &LightConfig) -> Vec<Publish> {
        Vec::new()
    }

    fn subscriptions(&self, light: &LightConfig) -> Vec<String> {
        vec![brightness_topic(&light.topic), status_topic(&light.topic)]
    }

    fn decode(
        &self,
        light: &LightConfig,
        topic: &str,
        payload: &[u8],
    ) -> Result<Option<Report>, DecodeError> {
        if topic == brightness_topic(&light.topic) {
            let word = text(topic, payload)?;
            let bri: u64 = word.parse().map_err(|cause| {
                error(
                    topic,
                    format!(
                        "expected a brightness 0-255, got {:?} ({cause})",
                        decode::clip(word)
                    ),
                )
            })?;
            let bri = bri.min(u64::from(BRIGHTNESS_MAX));
            // WLED reports 0 while off and its level while on.
            Ok(state_report(DeviceState {
                on: Some(bri > 0),
                level: (bri > 0).then(|| fraction(bri as f64, BRIGHTNESS_MAX)),
                kelvin: None,
            }))
        } else if topic == status_topic(&light.topic) {
            availability(topic, payload, "online", "offline").map(Some)
        } else {
            Ok(None)
        }
    }
}
