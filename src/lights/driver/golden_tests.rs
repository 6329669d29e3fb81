//! Golden payloads: the exact topic and bytes each family is sent for the reference example
//! and for off, and the variants (separate colour temperature, no transition, clamps).

use std::time::Duration;

use super::fixtures::{light, off, reference, topic};
use super::{DeviceCommand, Publish, driver};
use crate::config::Family;

fn encode(family: Family, command: &DeviceCommand) -> Vec<(String, String)> {
    let light = light(family, topic(family));
    pretty(driver(family).encode(&light, command))
}

fn pretty(publishes: Vec<Publish>) -> Vec<(String, String)> {
    publishes
        .into_iter()
        .map(|p| (p.topic, String::from_utf8(p.payload).expect("payloads are text")))
        .collect()
}

fn one(topic: &str, payload: &str) -> Vec<(String, String)> {
    vec![(topic.to_string(), payload.to_string())]
}

#[test]
fn zigbee2mqtt_reference_and_off() {
    let f = Family::Zigbee2Mqtt;
    assert_eq!(
        encode(f, &reference()),
        one(
            "zigbee2mqtt/desk lamp/set",
            r#"{"state":"ON","brightness":102,"color_temp":370,"transition":30}"#
        )
    );
    assert_eq!(
        encode(f, &off()),
        one("zigbee2mqtt/desk lamp/set", r#"{"state":"OFF","transition":30}"#)
    );
}

#[test]
fn tasmota_reference_and_off() {
    let f = Family::Tasmota;
    // 30 s is 60 half-seconds, beyond Tasmota's Speed 40 (20 s): the planner keeps segments
    // within max_transition, the driver still never writes a Speed Tasmota rejects.
    // SetOption117 makes the fade last Speed whatever the distance, not Speed per 0-100 %.
    assert_eq!(
        encode(f, &reference()),
        one(
            "cmnd/tasmota_desk/Backlog",
            "SetOption117 1; Fade 1; Speed 40; Dimmer 40; CT 370"
        )
    );
    assert_eq!(
        encode(f, &off()),
        one(
            "cmnd/tasmota_desk/Backlog",
            "SetOption117 1; Fade 1; Speed 40; Power OFF"
        )
    );
}

#[test]
fn shelly_gen1_reference_and_off() {
    let f = Family::ShellyGen1;
    assert_eq!(
        encode(f, &reference()),
        one(
            "shellies/shellybulbduo-A1B2C3/light/0/set",
            r#"{"turn":"on","brightness":40,"temp":2700,"transition":30000}"#
        )
    );
    assert_eq!(
        encode(f, &off()),
        one(
            "shellies/shellybulbduo-A1B2C3/light/0/set",
            r#"{"turn":"off","transition":30000}"#
        )
    );
}

#[test]
fn shelly_gen2_reference_and_off() {
    let f = Family::ShellyGen2;
    assert_eq!(
        encode(f, &reference()),
        one(
            "shellyplus-desk/rpc",
            r#"{"id":1,"src":"setting","method":"CCT.Set","params":{"id":0,"on":true,"brightness":40,"ct":2700,"transition_duration":30}}"#
        )
    );
    assert_eq!(
        encode(f, &off()),
        one(
            "shellyplus-desk/rpc",
            r#"{"id":1,"src":"setting","method":"CCT.Set","params":{"id":0,"on":false,"transition_duration":30}}"#
        )
    );
}

#[test]
fn wled_reference_and_off() {
    let f = Family::Wled;
    assert_eq!(
        encode(f, &reference()),
        one(
            "wled/desk-strip/api",
            r#"{"on":true,"bri":102,"tt":300,"seg":[{"cct":2700}]}"#
        )
    );
    assert_eq!(
        encode(f, &off()),
        one("wled/desk-strip/api", r#"{"on":false,"tt":300}"#)
    );
}

#[test]
fn home_assistant_reference_and_off() {
    let f = Family::HomeAssistant;
    assert_eq!(
        encode(f, &reference()),
        one(
            "esphome-desk/light/desk/command",
            r#"{"state":"ON","brightness":102,"color_temp":370,"transition":30}"#
        )
    );
    assert_eq!(
        encode(f, &off()),
        one(
            "esphome-desk/light/desk/command",
            r#"{"state":"OFF","transition":30}"#
        )
    );
}

#[test]
fn separate_kelvin_sends_colour_temperature_first_then_the_level() {
    let expected: [(Family, &str, &str); 6] = [
        (
            Family::Zigbee2Mqtt,
            r#"{"color_temp":370,"transition":30}"#,
            r#"{"state":"ON","brightness":102,"transition":30}"#,
        ),
        (
            Family::Tasmota,
            "SetOption117 1; Fade 1; Speed 40; CT 370",
            "SetOption117 1; Fade 1; Speed 40; Dimmer 40",
        ),
        (
            Family::ShellyGen1,
            r#"{"temp":2700,"transition":30000}"#,
            r#"{"turn":"on","brightness":40,"transition":30000}"#,
        ),
        (
            Family::ShellyGen2,
            r#"{"id":1,"src":"setting","method":"CCT.Set","params":{"id":0,"ct":2700,"transition_duration":30}}"#,
            r#"{"id":1,"src":"setting","method":"CCT.Set","params":{"id":0,"on":true,"brightness":40,"transition_duration":30}}"#,
        ),
        (
            Family::Wled,
            r#"{"tt":300,"seg":[{"cct":2700}]}"#,
            r#"{"on":true,"bri":102,"tt":300}"#,
        ),
        (
            Family::HomeAssistant,
            r#"{"color_temp":370,"transition":30}"#,
            r#"{"state":"ON","brightness":102,"transition":30}"#,
        ),
    ];
    for (family, colour, level) in expected {
        let mut light = light(family, topic(family));
        light.separate_kelvin = true;
        let sent = pretty(driver(family).encode(&light, &reference()));
        let payloads: Vec<&str> = sent.iter().map(|(_, p)| p.as_str()).collect();
        assert_eq!(payloads, [colour, level], "{family:?}");
        // Off needs no colour: one message.
        assert_eq!(driver(family).encode(&light, &off()).len(), 1, "{family:?}");
    }
}

#[test]
fn no_transition_is_written_as_zero_not_left_to_the_device_default() {
    let at_once = DeviceCommand {
        transition: Duration::ZERO,
        ..reference()
    };
    let payload = |f| encode(f, &at_once).remove(0).1;
    assert_eq!(
        payload(Family::Zigbee2Mqtt),
        r#"{"state":"ON","brightness":102,"color_temp":370,"transition":0}"#
    );
    assert_eq!(payload(Family::Tasmota), "Fade 0; Dimmer 40; CT 370");
    assert_eq!(
        payload(Family::ShellyGen1),
        r#"{"turn":"on","brightness":40,"temp":2700,"transition":0}"#
    );
    assert_eq!(
        payload(Family::Wled),
        r#"{"on":true,"bri":102,"tt":0,"seg":[{"cct":2700}]}"#
    );
}

#[test]
fn fractional_transitions_keep_tenths_and_tasmota_counts_half_seconds() {
    let short = DeviceCommand {
        transition: Duration::from_millis(2500),
        ..reference()
    };
    let payload = |f| encode(f, &short).remove(0).1;
    assert_eq!(
        payload(Family::Zigbee2Mqtt),
        r#"{"state":"ON","brightness":102,"color_temp":370,"transition":2.5}"#
    );
    assert_eq!(
        payload(Family::Tasmota),
        "SetOption117 1; Fade 1; Speed 5; Dimmer 40; CT 370"
    );
    assert_eq!(
        payload(Family::Wled),
        r#"{"on":true,"bri":102,"tt":25,"seg":[{"cct":2700}]}"#
    );
}

#[test]
fn the_lowest_level_on_is_never_zero_and_full_is_the_scale_maximum() {
    let dimmest = DeviceCommand {
        level: 0.0,
        kelvin: None,
        ..reference()
    };
    let full = DeviceCommand {
        level: 1.0,
        kelvin: None,
        ..reference()
    };
    let payload = |f, c: &DeviceCommand| encode(f, c).remove(0).1;
    assert_eq!(
        payload(Family::Zigbee2Mqtt, &dimmest),
        r#"{"state":"ON","brightness":1,"transition":30}"#
    );
    assert_eq!(
        payload(Family::Zigbee2Mqtt, &full),
        r#"{"state":"ON","brightness":254,"transition":30}"#
    );
    assert_eq!(
        payload(Family::Tasmota, &dimmest),
        "SetOption117 1; Fade 1; Speed 40; Dimmer 1"
    );
    assert_eq!(payload(Family::Wled, &full), r#"{"on":true,"bri":255,"tt":300}"#);
    assert_eq!(
        payload(Family::HomeAssistant, &full),
        r#"{"state":"ON","brightness":255,"transition":30}"#
    );
}

#[test]
fn tasmota_clamps_colour_temperature_to_the_lights_range_and_its_153_to_500_mireds() {
    let warm = DeviceCommand {
        kelvin: Some(1800),
        ..reference()
    };
    let cold = DeviceCommand {
        kelvin: Some(10_000),
        ..reference()
    };
    // The light's own range ends at 2200 K: 454 mireds, not the 455 that 2200 K rounds to.
    assert_eq!(
        encode(Family::Tasmota, &warm).remove(0).1,
        "SetOption117 1; Fade 1; Speed 40; Dimmer 40; CT 454"
    );
    assert_eq!(
        encode(Family::Tasmota, &cold).remove(0).1,
        "SetOption117 1; Fade 1; Speed 40; Dimmer 40; CT 154"
    );
    // Without a range of its own, Tasmota's is the limit.
    let mut open = light(Family::Tasmota, "lamp");
    open.kelvin = None;
    let sent = |c: &DeviceCommand| {
        String::from_utf8(driver(Family::Tasmota).encode(&open, c).remove(0).payload).unwrap()
    };
    assert!(sent(&warm).ends_with("CT 500"), "{}", sent(&warm));
    assert!(sent(&cold).ends_with("CT 153"), "{}", sent(&cold));
}

#[test]
fn shelly_gen2_dimmers_use_light_set_without_a_colour_temperature() {
    let mut dimmer = light(Family::ShellyGen2, "shellyprodm1pm");
    dimmer.kelvin = None;
    let sent = pretty(driver(Family::ShellyGen2).encode(&dimmer, &reference()));
    assert_eq!(
        sent,
        one(
            "shellyprodm1pm/rpc",
            r#"{"id":1,"src":"setting","method":"Light.Set","params":{"id":0,"on":true,"brightness":40,"transition_duration":30}}"#
        )
    );
    assert_eq!(
        driver(Family::ShellyGen2).subscriptions(&dimmer),
        ["shellyprodm1pm/status/light:0", "shellyprodm1pm/online"]
    );
}

#[test]
fn shelly_gen1_channel_topics_address_bulbs_and_rgbw2_channels() {
    let rgbw2 = light(Family::ShellyGen1, "shellyrgbw2-AABBCC/white/2");
    let sent = pretty(driver(Family::ShellyGen1).encode(&rgbw2, &off()));
    assert_eq!(
        sent,
        one(
            "shellies/shellyrgbw2-AABBCC/white/2/set",
            r#"{"turn":"off","transition":30000}"#
        )
    );
    assert_eq!(
        driver(Family::ShellyGen1).subscriptions(&rgbw2),
        [
            "shellies/shellyrgbw2-AABBCC/white/2",
            "shellies/shellyrgbw2-AABBCC/white/2/status",
            "shellies/shellyrgbw2-AABBCC/online"
        ]
    );
}

#[test]
fn only_zigbee2mqtt_needs_a_stop_message() {
    for family in Family::ALL {
        let light = light(family, topic(family));
        let stop = pretty(driver(family).stop(&light));
        if family == Family::Zigbee2Mqtt {
            assert_eq!(stop, one("zigbee2mqtt/desk lamp/set", r#"{"brightness_move":0}"#));
        } else {
            assert!(stop.is_empty(), "{family:?}: {stop:?}");
        }
    }
}

#[test]
fn subscriptions_cover_state_and_availability_for_every_family() {
    let expected: [(Family, &[&str]); 6] = [
        (
            Family::Zigbee2Mqtt,
            &[
                "zigbee2mqtt/desk lamp",
                "zigbee2mqtt/desk lamp/availability",
                "zigbee2mqtt/bridge/state",
            ],
        ),
        (
            Family::Tasmota,
            &[
                "stat/tasmota_desk/RESULT",
                "tele/tasmota_desk/STATE",
                "tele/tasmota_desk/LWT",
            ],
        ),
        (
            Family::ShellyGen1,
            &[
                "shellies/shellybulbduo-A1B2C3/light/0",
                "shellies/shellybulbduo-A1B2C3/light/0/status",
                "shellies/shellybulbduo-A1B2C3/online",
            ],
        ),
        (
            Family::ShellyGen2,
            &["shellyplus-desk/status/cct:0", "shellyplus-desk/online"],
        ),
        (Family::Wled, &["wled/desk-strip/g", "wled/desk-strip/status"]),
        (
            Family::HomeAssistant,
            &["esphome-desk/light/desk/state", "esphome-desk/status"],
        ),
    ];
    for (family, topics) in expected {
        assert_eq!(
            driver(family).subscriptions(&light(family, topic(family))),
            topics,
            "{family:?}"
        );
    }
}

#[test]
fn a_zigbee2mqtt_group_has_no_availability_topic_of_its_own() {
    let mut group = light(Family::Zigbee2Mqtt, "living room");
    group.group = true;
    assert_eq!(
        driver(Family::Zigbee2Mqtt).subscriptions(&group),
        ["zigbee2mqtt/living room", "zigbee2mqtt/bridge/state"]
    );
}

#[test]
fn a_home_assistant_base_without_light_segment_keeps_status_under_itself() {
    let ha = light(Family::HomeAssistant, "home/desk");
    assert_eq!(
        driver(Family::HomeAssistant).subscriptions(&ha),
        ["home/desk/state", "home/desk/status"]
    );
}
