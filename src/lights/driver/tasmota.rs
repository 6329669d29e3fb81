//! Tasmota: one `Backlog` per command with `Fade`/`Speed` (half-seconds, 1-40, so at most
//! 20 s) and `SetOption117 1` so that the fade lasts that long, `Dimmer` 0-100 and `CT` in
//! mireds 153-500; `Power OFF` for off.

use super::decode::{availability, number, object, on_off, state_report};
use super::units::{fraction, kelvin_from_temperature, mireds_within, scale};
use super::{DecodeError, DeviceCommand, DeviceState, Driver, LightConfig, Publish, Report};

/// Tasmota's CT range in mireds (6500 K to 2000 K).
const CT_MIN: u16 = 153;
const CT_MAX: u16 = 500;
/// `Speed` counts half-seconds, 1-40.
const SPEED_MAX: u64 = 40;
/// Fades take `Speed` whatever the distance (Tasmota 9.2 and later), not `Speed` per 100 %.
const FIXED_DURATION: &str = "SetOption117 1";

pub(super) struct Tasmota;

pub fn backlog_topic(topic: &str) -> String {
    format!("cmnd/{topic}/Backlog")
}

pub fn result_topic(topic: &str) -> String {
    format!("stat/{topic}/RESULT")
}

pub fn telemetry_topic(topic: &str) -> String {
    format!("tele/{topic}/STATE")
}

pub fn lwt_topic(topic: &str) -> String {
    format!("tele/{topic}/LWT")
}

/// `SetOption117 1; Fade 1; Speed N; ` for a transition, `Fade 0; ` for none.
///
/// By default Tasmota reads `Speed` as the time of a full 0-100 % swing and fades a smaller
/// change in proportion (a 30 s fade from 25 % to 15 % would be over in 2 s); `SetOption117 1`
/// makes every fade last `Speed` whatever the distance. Both it and `Fade` are stored settings
/// that a technician or a reset may change, so every fading command states them rather than
/// trust one sent at connect: in the same Backlog they cost no extra message, and Tasmota
/// writes its flash only when a setting actually changes.
fn fade(command: &DeviceCommand) -> String {
    let half_seconds = (command.transition.as_millis() as u64 + 250) / 500;
    if half_seconds == 0 {
        "Fade 0; ".to_string()
    } else {
        format!(
            "{FIXED_DURATION}; Fade 1; Speed {}; ",
            half_seconds.min(SPEED_MAX)
        )
    }
}

fn publish(light: &LightConfig, backlog: String) -> Publish {
    Publish {
        topic: backlog_topic(&light.topic),
        payload: backlog.into_bytes(),
    }
}

impl Driver for Tasmota {
    fn encode(&self, light: &LightConfig, command: &DeviceCommand) -> Vec<Publish> {
        let fade = fade(command);
        if !command.on {
            return vec![publish(light, format!("{fade}Power OFF"))];
        }
        // No `Power ON`: it would first restore the cached level (a flash) before the Dimmer
        // fade; `Dimmer` alone turns the light on at the level it names.
        let dimmer = format!("Dimmer {}", scale(command.level, 100));
        let ct = command
            .kelvin
            .map(|k| format!("CT {}", mireds_within(k, light.kelvin).clamp(CT_MIN, CT_MAX)));
        match ct {
            // Colour first: the light then brightens already in the target colour.
            Some(ct) if light.separate_kelvin => {
                vec![
                    publish(light, format!("{fade}{ct}")),
                    publish(light, format!("{fade}{dimmer}")),
                ]
            }
            Some(ct) => vec![publish(light, format!("{fade}{dimmer}; {ct}"))],
            None => vec![publish(light, format!("{fade}{dimmer}"))],
        }
    }

    /// A new Dimmer or Power command replaces a running fade.
    fn stop(&self, _light: &LightConfig) -> Vec<Publish> {
        Vec::new()
    }

    fn subscriptions(&self, light: &LightConfig) -> Vec<String> {
        vec![
            result_topic(&light.topic),
            telemetry_topic(&light.topic),
            lwt_topic(&light.topic),
        ]
    }

    fn decode(
        &self,
        light: &LightConfig,
        topic: &str,
        payload: &[u8],
    ) -> Result<Option<Report>, DecodeError> {
        if topic == result_topic(&light.topic) || topic == telemetry_topic(&light.topic) {
            // RESULT also answers unrelated commands (`{"Fade":"ON"}`): those carry nothing.
            let map = object(topic, payload)?;
            let state = DeviceState {
                on: on_off(topic, &map, "POWER")?,
                level: number(topic, &map, "Dimmer")?.map(|d| fraction(d, 100)),
                kelvin: number(topic, &map, "CT")?.and_then(kelvin_from_temperature),
            };
            Ok(state_report(state))
        } else if topic == lwt_topic(&light.topic) {
            availability(topic, payload, "Online", "Offline").map(Some)
        } else {
            Ok(None)
        }
    }
}
