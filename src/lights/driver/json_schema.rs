//! The `{"state","brightness","color_temp","transition"}` shape that Zigbee2MQTT and Home
//! Assistant's MQTT JSON schema (and so ESPHome) share, both ways; they differ only in the
//! brightness scale and the topics.

use serde::Serialize;

use super::decode::{number, object, on_off, state_report};
use super::units::{Seconds, fraction, json, kelvin_from_temperature, mireds_within, scale};
use super::{DecodeError, DeviceCommand, DeviceState, Report};

/// Field order is fixed by the struct, so payloads are byte-for-byte stable.
#[derive(Serialize)]
struct Command {
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    brightness: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    color_temp: Option<u16>,
    /// Always written, zero included: left out, the device would use its own default
    /// transition, and "at once" (an emergency) must mean at once.
    transition: Seconds,
}

/// The payloads for `command`, on a brightness scale of `1..=max`: one, or with
/// `separate_kelvin` the colour temperature first and then state and brightness.
pub(super) fn encode(
    command: &DeviceCommand,
    max: u16,
    separate_kelvin: bool,
    kelvin_range: Option<(u16, u16)>,
) -> Vec<Vec<u8>> {
    let transition = Seconds(command.transition);
    if !command.on {
        return vec![json(&Command {
            state: Some("OFF"),
            brightness: None,
            color_temp: None,
            transition,
        })];
    }
    let brightness = Some(scale(command.level, max));
    let color_temp = command.kelvin.map(|k| mireds_within(k, kelvin_range));
    if separate_kelvin && color_temp.is_some() {
        // Colour first: the bulb then brightens already in the target colour, instead of
        // showing the new level in the old colour while the second message is on its way.
        vec![
            json(&Command {
                state: None,
                brightness: None,
                color_temp,
                transition,
            }),
            json(&Command {
                state: Some("ON"),
                brightness,
                color_temp: None,
                transition,
            }),
        ]
    } else {
        vec![json(&Command {
            state: Some("ON"),
            brightness,
            color_temp,
            transition,
        })]
    }
}

/// A state message: `state` ON/OFF, `brightness` on `0..=max`, `color_temp` in mireds (or
/// Kelvin, see [`kelvin_from_temperature`]); any other fields are ignored.
pub(super) fn decode(topic: &str, payload: &[u8], max: u16) -> Result<Option<Report>, DecodeError> {
    let map = object(topic, payload)?;
    let state = DeviceState {
        on: on_off(topic, &map, "state")?,
        level: number(topic, &map, "brightness")?.map(|b| fraction(b, max)),
        kelvin: number(topic, &map, "color_temp")?.and_then(kelvin_from_temperature),
    };
    Ok(state_report(state))
}
