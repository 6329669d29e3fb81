//! Arbitrary (family, topic, payload) to every light decoder: none may panic, an error must
//! name the topic it came from, and a decoded level must be a fraction of the device's range.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use setting::config::{Curve, Family, LightConfig};
use setting::lights::driver::{Report, driver};

fn light(family: Family, group: bool) -> LightConfig {
    let topic = match family {
        Family::Zigbee2Mqtt => "desk lamp",
        Family::Tasmota => "tasmota_desk",
        Family::ShellyGen1 => "shellybulbduo-A1B2C3",
        Family::ShellyGen2 => "shellyplus-desk",
        Family::Wled => "desk-strip",
        Family::HomeAssistant => "esphome-desk/light/desk",
    };
    LightConfig {
        name: "fuzzed".to_string(),
        zone: "room".to_string(),
        family,
        topic: topic.to_string(),
        group,
        kelvin: Some((2200, 6500)),
        max_transition: Duration::from_secs(60),
        min_level: 0.05,
        curve: Curve::Cie,
        network: "default".to_string(),
        separate_kelvin: false,
    }
}

fuzz_target!(|data: &[u8]| {
    let [family, choice, payload @ ..] = data else {
        return;
    };
    let family = Family::ALL[usize::from(*family) % Family::ALL.len()];
    let light = light(family, choice & 0x80 != 0);
    let decoder = driver(family);
    let mut topics = decoder.subscriptions(&light);
    // An unrelated topic too: it must be ignored, whatever its payload.
    topics.push(format!("{}/unrelated", light.topic));
    let topic = &topics[usize::from(choice & 0x7f) % topics.len()];
    match decoder.decode(&light, topic, payload) {
        Err(error) => assert_eq!(&error.topic, topic),
        Ok(Some(Report::State(state))) => {
            assert!(
                state.level.is_none_or(|level| (0.0..=1.0).contains(&level)),
                "{state:?}"
            );
        }
        Ok(_) => {}
    }
});
