//! Lights and commands the driver tests share: the reference example of light-protocols.md
//! (40 % device level, 2700 K, 30 s) and a light of each family.

use std::time::Duration;

use super::DeviceCommand;
use crate::config::{Curve, Family, LightConfig};

pub(super) fn light(family: Family, topic: &str) -> LightConfig {
    LightConfig {
        name: format!("{}-light", family.name()),
        zone: "room".to_string(),
        family,
        topic: topic.to_string(),
        group: false,
        kelvin: Some((2200, 6500)),
        max_transition: Duration::from_secs(60),
        min_level: 0.05,
        curve: Curve::Cie,
        network: "default".to_string(),
        separate_kelvin: false,
    }
}

/// The reference example: 40 % of the device's range, 2700 K, over 30 s.
pub(super) fn reference() -> DeviceCommand {
    DeviceCommand {
        on: true,
        level: 0.4,
        kelvin: Some(2700),
        transition: Duration::from_secs(30),
    }
}

pub(super) fn off() -> DeviceCommand {
    DeviceCommand {
        on: false,
        level: 0.0,
        kelvin: None,
        transition: Duration::from_secs(30),
    }
}

/// The topic each family's tests use, in the form its driver expects.
pub(super) fn topic(family: Family) -> &'static str {
    match family {
        Family::Zigbee2Mqtt => "desk lamp",
        Family::Tasmota => "tasmota_desk",
        Family::ShellyGen1 => "shellybulbduo-A1B2C3",
        Family::ShellyGen2 => "shellyplus-desk",
        Family::Wled => "desk-strip",
        Family::HomeAssistant => "esphome-desk/light/desk",
    }
}
