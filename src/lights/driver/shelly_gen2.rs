//! Shelly second generation over JSON-RPC: `Light.Set` for dimmers, `CCT.Set` (with `ct` in
//! Kelvin) for lights with a colour-temperature range, on component id 0; brightness in
//! percent, `transition_duration` in seconds. `light.topic` is the device's MQTT prefix.
//!
//! Every request names `src` "setting": the device sends its reply to `setting/rpc`, which
//! nothing reads (state comes from the status topics), and a fixed id is enough for that.

use serde::Serialize;

use super::decode::{availability, boolean, number, object, state_report};
use super::units::{Seconds, fraction, json, kelvin, scale};
use super::{DecodeError, DeviceCommand, DeviceState, Driver, LightConfig, Publish, Report};

/// The `src` of every request, where the device addresses its replies.
pub const CLIENT: &str = "setting";
const REQUEST_ID: u32 = 1;

pub(super) struct ShellyGen2;

pub fn rpc_topic(prefix: &str) -> String {
    format!("{prefix}/rpc")
}

pub fn light_status_topic(prefix: &str) -> String {
    format!("{prefix}/status/light:0")
}

pub fn cct_status_topic(prefix: &str) -> String {
    format!("{prefix}/status/cct:0")
}

pub fn online_topic(prefix: &str) -> String {
    format!("{prefix}/online")
}

/// A light with a colour-temperature range is a CCT component; any other a Light one.
fn is_cct(light: &LightConfig) -> bool {
    light.kelvin.is_some()
}

#[derive(Serialize)]
struct Request {
    id: u32,
    src: &'static str,
    method: &'static str,
    params: Params,
}

/// Field order fixed by the struct, so payloads are byte-for-byte stable.
#[derive(Serialize)]
struct Params {
    id: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    on: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    brightness: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ct: Option<u16>,
    transition_duration: Seconds,
}

fn publish(light: &LightConfig, params: Params) -> Publish {
    let request = Request {
        id: REQUEST_ID,
        src: CLIENT,
        method: if is_cct(light) { "CCT.Set" } else { "Light.Set" },
        params,
    };
    Publish {
        topic: rpc_topic(&light.topic),
        payload: json(&request),
    }
}

impl Driver for ShellyGen2 {
    fn encode(&self, light: &LightConfig, command: &DeviceCommand) -> Vec<Publish> {
        let transition_duration = Seconds(command.transition);
        if !command.on {
            let params = Params {
                id: 0,
                on: Some(false),
                brightness: None,
                ct: None,
                transition_duration,
            };
            return vec![publish(light, params)];
        }
        let brightness = Some(scale(command.level, 100));
        // `Light.Set` has no colour temperature to send.
        let ct = command.kelvin.filter(|_| is_cct(light));
        if light.separate_kelvin && ct.is_some() {
            // Colour first: the light then brightens already in the target colour.
            vec![
                publish(
                    light,
                    Params {
                        id: 0,
                        on: None,
                        brightness: None,
                        ct,
                        transition_duration,
                    },
                ),
                publish(
                    light,
                    Params {
                        id: 0,
                        on: Some(true),
                        brightness,
                        ct: None,
                        transition_duration,
                    },
                ),
            ]
        } else {
            let params = Params {
                id: 0,
                on: Some(true),
                brightness,
                ct,
                transition_duration,
            };
            vec![publish(light, params)]
        }
    }

    /// A new `Set` replaces a running transition.
    fn stop(&self, _light: &LightConfig) -> Vec<Publish> {
        Vec::new()
    }

    fn subscriptions(&self, light: &LightConfig) -> Vec<String> {
        let status = if is_cct(light) {
            cct_status_topic(&light.topic)
        } else {
            light_status_topic(&light.topic)
        };
        vec![status, online_topic(&light.topic)]
    }

    fn decode(
        &self,
        light: &LightConfig,
        topic: &str,
        payload: &[u8],
    ) -> Result<Option<Report>, DecodeError> {
        if topic == light_status_topic(&light.topic) || topic == cct_status_topic(&light.topic) {
            let map = object(topic, payload)?;
            let state = DeviceState {
                on: boolean(topic, &map, "output")?,
                level: number(topic, &map, "brightness")?.map(|b| fraction(b, 100)),
                kelvin: number(topic, &map, "ct")?.and_then(kelvin),
            };
            Ok(state_report(state))
        } else if topic == online_topic(&light.topic) {
            availability(topic, payload, "true", "false").map(Some)
        } else {
            Ok(None)
        }
    }
}
