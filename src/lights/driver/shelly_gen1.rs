//! Shelly first generation: `turn`, `brightness` in percent, `temp` in Kelvin and
//! `transition` in milliseconds. `light.topic` is the device id (`shellies/<id>/light/0`), or
//! `<id>/<channel>/<n>` for other channels (bulbs' `color/0`, RGBW2's `white/<n>`).

use serde::Serialize;

use super::decode::{availability, boolean, number, object, on_off_word, state_report, text};
use super::units::{fraction, json, kelvin, scale};
use super::{DecodeError, DeviceCommand, DeviceState, Driver, LightConfig, Publish, Report, decode};

pub(super) struct ShellyGen1;

/// `shellies/<id>/light/0`, or `shellies/<topic>` when the topic names its channel.
pub fn channel_topic(topic: &str) -> String {
    if topic.contains('/') {
        format!("shellies/{topic}")
    } else {
        format!("shellies/{topic}/light/0")
    }
}

pub fn set_topic(topic: &str) -> String {
    format!("{}/set", channel_topic(topic))
}

pub fn status_topic(topic: &str) -> String {
    format!("{}/status", channel_topic(topic))
}

pub fn online_topic(topic: &str) -> String {
    let id = topic.split('/').next().unwrap_or(topic);
    format!("shellies/{id}/online")
}

/// Field order fixed by the struct, so payloads are byte-for-byte stable.
#[derive(Serialize)]
struct Command {
    #[serde(skip_serializing_if = "Option::is_none")]
    turn: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    brightness: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temp: Option<u16>,
    transition: u64,
}

fn publish(light: &LightConfig, command: &Command) -> Publish {
    Publish {
        topic: set_topic(&light.topic),
        payload: json(command),
    }
}

impl Driver for ShellyGen1 {
    fn encode(&self, light: &LightConfig, command: &DeviceCommand) -> Vec<Publish> {
        let transition = command.transition.as_millis() as u64;
        if !command.on {
            return vec![publish(
                light,
                &Command {
                    turn: Some("off"),
                    brightness: None,
                    temp: None,
                    transition,
                },
            )];
        }
        let brightness = Some(scale(command.level, 100));
        if light.separate_kelvin && command.kelvin.is_some() {
            // Colour first: the light then brightens already in the target colour.
            vec![
                publish(
                    light,
                    &Command {
                        turn: None,
                        brightness: None,
                        temp: command.kelvin,
                        transition,
                    },
                ),
                publish(
                    light,
                    &Command {
                        turn: Some("on"),
                        brightness,
                        temp: None,
                        transition,
                    },
                ),
            ]
        } else {
            vec![publish(
                light,
                &Command {
                    turn: Some("on"),
                    brightness,
                    temp: command.kelvin,
                    transition,
                },
            )]
        }
    }

    /// A new command replaces a running transition.
    fn stop(&self, _light: &LightConfig) -> Vec<Publish> {
        Vec::new()
    }

    fn subscriptions(&self, light: &LightConfig) -> Vec<String> {
        vec![
            channel_topic(&light.topic),
            status_topic(&light.topic),
            online_topic(&light.topic),
        ]
    }

    fn decode(
        &self,
        light: &LightConfig,
        topic: &str,
        payload: &[u8],
    ) -> Result<Option<Report>, DecodeError> {
        if topic == status_topic(&light.topic) {
            let map = object(topic, payload)?;
            let state = DeviceState {
                on: boolean(topic, &map, "ison")?,
                level: number(topic, &map, "brightness")?.map(|b| fraction(b, 100)),
                kelvin: number(topic, &map, "temp")?.and_then(kelvin),
            };
            Ok(state_report(state))
        } else if topic == channel_topic(&light.topic) {
            // The bare `on`/`off` the channel topic carries.
            let word = text(topic, payload)?;
            let on = on_off_word(word).ok_or_else(|| {
                decode::error(topic, format!("expected on or off, got {:?}", decode::clip(word)))
            })?;
            Ok(state_report(DeviceState {
                on: Some(on),
                ..DeviceState::default()
            }))
        } else if topic == online_topic(&light.topic) {
            availability(topic, payload, "true", "false").map(Some)
        } else {
            Ok(None)
        }
    }
}
