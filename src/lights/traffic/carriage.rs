//! What one command costs the network that carries it, in the units its budget counts: for
//! Zigbee2MQTT the transactions the coordinator really sends, for the rest MQTT messages.
//!
//! Zigbee2MQTT turns one `set` into a Zigbee command per attribute group: `state` and
//! `brightness` go as one Move to Level (with On/Off), `color_temp` as a Move to Colour
//! Temperature of its own, so a light with a colour-temperature range costs two. Its stop
//! (`brightness_move` 0) is the Level cluster's Stop followed, half a second later, by reads
//! of `onOff` and `currentLevel` (zigbee-herdsman-converters, `light_brightness_move`): three.

use crate::config::{Family, LightConfig};
use crate::lights::driver::driver;

/// Tokens one set command to `light` takes.
pub fn set_cost(light: &LightConfig) -> u32 {
    match light.family {
        Family::Zigbee2Mqtt => 1 + u32::from(light.kelvin.is_some()),
        _ if light.separate_kelvin && light.kelvin.is_some() => 2,
        _ => 1,
    }
}

/// Tokens the stop before an emergency's set takes; 0 for a family with no stop message.
pub fn stop_cost(light: &LightConfig) -> u32 {
    let messages = driver(light.family).stop(light).len() as u32;
    match light.family {
        // The Stop, then two attribute reads.
        Family::Zigbee2Mqtt => messages * 3,
        _ => messages,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lights::traffic::tests::bulb;

    #[test]
    fn a_zigbee_stop_and_set_cost_what_the_coordinator_sends() {
        let mut b = bulb("b", "room", 120);
        assert_eq!((set_cost(&b), stop_cost(&b)), (2, 3));
        b.kelvin = None;
        assert_eq!(set_cost(&b), 1);
        b.family = Family::Tasmota;
        assert_eq!((set_cost(&b), stop_cost(&b)), (1, 0));
    }
}
