//! What each device family can carry out in one command: the longest native transition the
//! device accepts, and the default the config uses when a light does not say. Kept in one
//! place because the traffic planner splits every longer fade at these lengths.

use std::time::Duration;

use super::Family;

/// Zigbee2MQTT: the device limit is the 16-bit transition time in tenths of a second.
const ZIGBEE_LIMIT: Duration = Duration::from_millis(6_553_500);
/// Zigbee2MQTT default: five minutes, well under the device limit, because the planner shapes
/// the perceived curve of a long ramp out of several native segments, and each segment is a
/// straight line in the device's own level.
const ZIGBEE_DEFAULT: Duration = Duration::from_secs(300);
/// Tasmota: `Speed` counts half-seconds from 1 to 40, so one command fades for 20 s at most.
const TASMOTA_LIMIT: Duration = Duration::from_secs(20);
/// Shelly Gen1: `transition` is milliseconds from 0 to 5000.
const SHELLY_GEN1_LIMIT: Duration = Duration::from_secs(5);
/// WLED: `tt` counts 100 ms units; older firmware keeps the transition in a byte, so 25.5 s is
/// the most every version carries out.
const WLED_LIMIT: Duration = Duration::from_millis(25_500);
const WLED_DEFAULT: Duration = Duration::from_secs(25);
/// Shelly Gen2 and Home Assistant (ESPHome) take seconds with no small documented ceiling; an
/// hour bounds typos (`5h` for `5m`) without refusing any fade a scene asks of one segment.
const OPEN_LIMIT: Duration = Duration::from_secs(3600);
/// Their default matches Zigbee2MQTT's for the same reason: the planner shapes long ramps.
const OPEN_DEFAULT: Duration = Duration::from_secs(300);

/// The longest transition a device of `family` accepts in one command.
pub fn device_limit(family: Family) -> Duration {
    match family {
        Family::Zigbee2Mqtt => ZIGBEE_LIMIT,
        Family::Tasmota => TASMOTA_LIMIT,
        Family::ShellyGen1 => SHELLY_GEN1_LIMIT,
        Family::Wled => WLED_LIMIT,
        Family::ShellyGen2 | Family::HomeAssistant => OPEN_LIMIT,
    }
}

/// A light's `max_transition` when the config leaves it out.
pub fn default_max_transition(family: Family) -> Duration {
    match family {
        Family::Zigbee2Mqtt => ZIGBEE_DEFAULT,
        Family::Tasmota => TASMOTA_LIMIT,
        Family::ShellyGen1 => SHELLY_GEN1_LIMIT,
        Family::Wled => WLED_DEFAULT,
        Family::ShellyGen2 | Family::HomeAssistant => OPEN_DEFAULT,
    }
}

/// The network budget a light of `family` draws on unless it names one: a Zigbee2MQTT group is
/// a broadcast (`zigbee`, held to the radio's broadcast limit), a single Zigbee2MQTT device a
/// unicast through the same coordinator (`zigbee-unicast`); everything else talks Wi-Fi.
pub fn default_network(family: Family, group: bool) -> &'static str {
    match (family, group) {
        (Family::Zigbee2Mqtt, true) => "zigbee",
        (Family::Zigbee2Mqtt, false) => super::networks::ZIGBEE_UNICAST,
        _ => "wifi",
    }
}

/// The topic prefix the driver adds itself, which people tend to write into `topic` too.
pub fn driver_prefixes(family: Family) -> &'static [&'static str] {
    match family {
        Family::Zigbee2Mqtt => &["zigbee2mqtt/"],
        Family::Tasmota => &["cmnd/", "stat/", "tele/"],
        Family::ShellyGen1 => &["shellies/"],
        Family::Wled => &["wled/"],
        Family::ShellyGen2 | Family::HomeAssistant => &[],
    }
}
