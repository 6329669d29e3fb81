//! Device families' payloads: each [`Driver`] turns a [`DeviceCommand`] into its family's
//! MQTT messages and reads its family's state and availability messages back. Pure code, no
//! I/O, so every payload is pinned by golden tests and every decoder can be fuzzed.

mod decode;
pub mod home_assistant;
mod json_schema;
pub mod shelly_gen1;
pub mod shelly_gen2;
pub mod tasmota;
mod units;
pub mod wled;
pub mod zigbee2mqtt;

#[cfg(test)]
mod decode_tests;
#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod golden_tests;
#[cfg(test)]
mod malformed_tests;

use std::time::Duration;

use crate::config::{Family, LightConfig};

/// One MQTT message to send. Commands always go at QoS 1 and are never retained: a retained
/// command replays when a device reconnects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Publish {
    pub topic: String,
    pub payload: Vec<u8>,
}

/// What one light should do now, already in device terms: `level` is a fraction of the
/// device's own range after the light's curve and calibrated minimum (see `lights::level`),
/// `kelvin` is within the light's range or `None` when it has none.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DeviceCommand {
    /// `false` sends an explicit OFF (with the transition), never a level of 1.
    pub on: bool,
    /// 0.0-1.0 of the device's range; ignored when `on` is false.
    pub level: f32,
    pub kelvin: Option<u16>,
    /// Within the light's `max_transition`; zero means at once.
    pub transition: Duration,
}

/// A light's state as the device reports it, in the same terms as [`DeviceCommand`].
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct DeviceState {
    pub on: Option<bool>,
    pub level: Option<f32>,
    pub kelvin: Option<u16>,
}

/// What a message from a device said.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Report {
    State(DeviceState),
    /// The device (or, for Zigbee2MQTT, its bridge) went online or offline.
    Availability(bool),
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{topic}: {reason}")]
pub struct DecodeError {
    pub topic: String,
    pub reason: String,
}

pub trait Driver: Send + Sync {
    /// The messages that move `light` to `command`. Usually one; two for a light that needs
    /// brightness and colour temperature sent separately.
    fn encode(&self, light: &LightConfig, command: &DeviceCommand) -> Vec<Publish>;

    /// The messages that stop a running transition where it is, sent before a new target
    /// preempts it; empty where a new command already replaces the old one.
    fn stop(&self, light: &LightConfig) -> Vec<Publish>;

    /// The topics to subscribe to for `light`'s state and availability.
    fn subscriptions(&self, light: &LightConfig) -> Vec<String>;

    /// Reads a message that arrived on one of `subscriptions`. `Ok(None)` for a message that
    /// is not about this light or carries nothing of use; `Err` for a malformed one, which the
    /// caller logs and ignores.
    fn decode(&self, light: &LightConfig, topic: &str, payload: &[u8])
    -> Result<Option<Report>, DecodeError>;
}

/// The driver for a family.
pub fn driver(family: Family) -> &'static dyn Driver {
    match family {
        Family::Zigbee2Mqtt => &zigbee2mqtt::Zigbee2Mqtt,
        Family::Tasmota => &tasmota::Tasmota,
        Family::ShellyGen1 => &shelly_gen1::ShellyGen1,
        Family::ShellyGen2 => &shelly_gen2::ShellyGen2,
        Family::Wled => &wled::Wled,
        Family::HomeAssistant => &home_assistant::HomeAssistant,
    }
}
