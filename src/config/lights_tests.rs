//! The lights' rules: each light's defaults per family, every refusal pinned to its message
//! and position, and the network budgets.

use std::time::Duration;

use super::tests::{ROOM, one, parse};
use super::*;
use super::{Curve, Family, LightConfig, LightsConfig, NetworkConfig};

/// A lit demo room: a Zigbee2MQTT ceiling light in `room` and a Tasmota lamp at `mat-1`.
/// `first` and `second` are extra key lines for each light: the first's start on line 8, the
/// second's on line 13 plus the number of lines in `first`.
fn lit(first: &str, second: &str) -> String {
    format!(
        "[room]\nname = \"demo-room\"\n[[room.zone]]\nname = \"room\"\n[[room.zone.light]]\n\
         name = \"ceiling\"\nfamily = \"zigbee2mqtt\"\n{first}[[room.zone]]\nname = \"mat-1\"\n\
         [[room.zone.light]]\nname = \"mat-1-lamp\"\nfamily = \"tasmota\"\n{second}"
    )
}

fn light<'a>(c: &'a Config, name: &str) -> &'a LightConfig {
    c.lights.lights.iter().find(|l| l.name == name).unwrap()
}

#[test]
fn a_room_without_lights_is_a_rehearsal_room() {
    let c = parse(ROOM).unwrap();
    assert_eq!(
        c.lights,
        LightsConfig {
            broker: None,
            lights: vec![],
            networks: default_networks(),
        }
    );
}

#[test]
fn lights_take_their_family_defaults() {
    let c = parse(&lit("", "")).unwrap();
    assert_eq!(c.lights.broker, None, "no [mqtt]: the demo's private broker");
    assert_eq!(
        *light(&c, "ceiling"),
        LightConfig {
            name: "ceiling".into(),
            zone: "room".into(),
            family: Family::Zigbee2Mqtt,
            topic: "ceiling".into(),
            group: false,
            kelvin: None,
            max_transition: Duration::from_secs(300),
            min_level: 0.0,
            curve: Curve::Cie,
            network: "zigbee-unicast".into(),
            separate_kelvin: false,
        }
    );
    let lamp = light(&c, "mat-1-lamp");
    assert_eq!((lamp.zone.as_str(), lamp.family), ("mat-1", Family::Tasmota));
    assert_eq!(lamp.max_transition, Duration::from_secs(20));
    assert_eq!(lamp.network, "wifi");
}

#[test]
fn every_family_has_a_default_fade_within_its_device_limit() {
    let expected = [
        ("zigbee2mqtt", 300_000),
        ("tasmota", 20_000),
        ("shelly-gen1", 5_000),
        ("shelly-gen2", 300_000),
        ("wled", 25_000),
        ("home-assistant", 300_000),
    ];
    for (family, ms) in expected {
        let text = lit("", "").replace("\"tasmota\"", &format!("\"{family}\""));
        let c = parse(&text).unwrap_or_else(|e| panic!("{family}: {e:?}"));
        let lamp = light(&c, "mat-1-lamp");
        assert_eq!(lamp.family.name(), family);
        assert_eq!(lamp.max_transition, Duration::from_millis(ms), "{family}");
        assert!(lamp.max_transition <= device_limit(lamp.family), "{family}");
        assert_eq!(default_max_transition(lamp.family), lamp.max_transition);
    }
}

#[test]
fn every_key_given() {
    let first = "topic = \"Ceiling Group\"\ngroup = true\nkelvin = [2200, 4000]\nmax_transition = \"2m\"\n\
                 min_level = 3\ncurve = \"linear\"\nnetwork = \"coordinator-2\"\nseparate_kelvin = true\n";
    let text = format!(
        "{}[[lights.network]]\nname = \"coordinator-2\"\nper_second = 0.25\nburst = 3\n",
        lit(first, "")
    );
    let c = parse(&text).unwrap();
    assert_eq!(
        *light(&c, "ceiling"),
        LightConfig {
            name: "ceiling".into(),
            zone: "room".into(),
            family: Family::Zigbee2Mqtt,
            topic: "Ceiling Group".into(),
            group: true,
            kelvin: Some((2200, 4000)),
            max_transition: Duration::from_secs(120),
            min_level: 0.03,
            curve: Curve::Linear,
            network: "coordinator-2".into(),
            separate_kelvin: true,
        }
    );
    let names: Vec<&str> = c.lights.networks.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["zigbee", "zigbee-unicast", "wifi", "coordinator-2"]);
}

#[test]
fn a_configured_network_replaces_the_built_in_one() {
    let text = format!(
        "{}[[lights.network]]\nname = \"zigbee\"\nper_second = 0.2\nburst = 3\n",
        lit("", "")
    );
    let c = parse(&text).unwrap();
    let zigbee = c.lights.networks.iter().find(|n| n.name == "zigbee").unwrap();
    assert_eq!(
        *zigbee,
        NetworkConfig {
            name: "zigbee".into(),
            per_second: 0.2,
            burst: 3
        }
    );
    assert_eq!(c.lights.networks.len(), 3);
}

#[test]
fn network_budgets_must_be_budgets() {
    let p = parse(&format!(
        "{ROOM}[[lights.network]]\nname = \"zigbee\"\nper_second = 0\nburst = 0\n\
         [[lights.network]]\nname = \"zigbee\"\nper_second = 80\nburst = 2\n"
    ))
    .unwrap_err();
    assert_eq!(
        p,
        [
            "9:14: per_second 0 is out of range; expected above 0 and at most 50",
            "10:9: burst 0 is out of range; expected 1 to 100 commands",
            "12:8: duplicate network `zigbee`; first named on line 8",
            "13:14: per_second 80 is out of range; expected 0 to 50 commands a second",
        ]
    );
}

#[test]
fn unknown_family_lists_the_known_ones() {
    assert_eq!(
        one(&lit("", "").replace("\"tasmota\"", "\"hue\"")),
        "12:10: unknown light family `hue`; expected one of zigbee2mqtt, tasmota, shelly-gen1, \
         shelly-gen2, wled, home-assistant"
    );
}

#[test]
fn kelvin_ranges_must_make_sense() {
    assert_eq!(
        one(&lit("kelvin = [4000, 2200]\n", "")),
        "8:10: kelvin range [4000, 2200] is empty; expected the warmest first, such as [2200, 4000]"
    );
    assert_eq!(
        one(&lit("kelvin = [2700, 2700]\n", "")),
        "8:10: kelvin range [2700, 2700] is empty; expected the warmest first, such as [2200, 4000]"
    );
    assert_eq!(
        parse(&lit("", "kelvin = [900, 12000]\n")).unwrap_err(),
        [
            "13:11: kelvin 900 is out of range; expected 1000 to 10000 K",
            "13:16: kelvin 12000 is out of range; expected 1000 to 10000 K",
        ]
    );
    assert_eq!(
        one(&lit("kelvin = [2700]\n", "")),
        "8:10: kelvin is the fixture's range, two numbers such as [2200, 4000]"
    );
}

#[test]
fn once_the_room_has_lights_every_zone_needs_one() {
    let text = format!("{}[[room.zone]]\nname = \"mat-2\"\n", lit("", ""));
    assert_eq!(
        one(&text),
        "14:8: zone `mat-2` has no lights; give it a [[room.zone.light]] or remove the zone"
    );
}

#[test]
fn topics_are_unique_per_family_across_zones() {
    let same_family = lit("", "topic = \"ceiling\"\n").replace("\"tasmota\"", "\"zigbee2mqtt\"");
    assert_eq!(
        one(&same_family),
        "13:9: zigbee2mqtt topic `ceiling` is already used on line 6; two entries would send every \
         command twice"
    );
    let other_family = parse(&lit("", "topic = \"ceiling\"\n")).unwrap();
    assert_eq!(light(&other_family, "mat-1-lamp").topic, "ceiling");
}

#[test]
fn light_names_are_unique_and_plain() {
    assert_eq!(
        one(&lit("", "").replace("\"mat-1-lamp\"", "\"ceiling\"")),
        "11:8: duplicate light `ceiling`; first named on line 6"
    );
    assert_eq!(
        one(&lit("", "").replace("\"mat-1-lamp\"", "\"mat-1\"")),
        "11:8: light `mat-1` has the name of a zone; give it a name of its own, such as `mat-1-1`"
    );
    assert_eq!(
        one(&lit("", "").replace("\"mat-1-lamp\"", "\"Mat Lamp\"")),
        "11:8: light name `Mat Lamp` is not a plain name; expected lowercase letters, digits and `-`, \
         such as `mat-1`"
    );
}

#[test]
fn groups_are_zigbee2mqtt_only() {
    assert_eq!(
        one(&lit("", "group = true\n")),
        "13:9: group is for Zigbee2MQTT groups only; list each light of another family on its own"
    );
    assert!(light(&parse(&lit("", "group = false\n")).unwrap(), "mat-1-lamp").topic == "mat-1-lamp");
}

#[test]
fn min_level_is_a_percentage_up_to_half() {
    assert_eq!(
        one(&lit("min_level = 60\n", "")),
        "8:13: min_level 60 is out of range; expected 0 to 50 %"
    );
    assert_eq!(
        one(&lit("min_level = -1\n", "")),
        "8:13: min_level -1 is out of range; expected 0 to 50 %"
    );
    let c = parse(&lit("min_level = 12.5\n", "")).unwrap();
    assert_eq!(light(&c, "ceiling").min_level, 0.125);
}

#[test]
fn max_transition_is_within_the_device_limit_and_zero_means_stepped() {
    let stepped = parse(&lit("max_transition = \"0s\"\n", "")).expect("zero is a light without transitions");
    assert_eq!(stepped.lights.lights[0].max_transition, Duration::ZERO);
    assert_eq!(
        one(&lit("", "max_transition = \"30s\"\n")),
        "13:18: max_transition of 30s is longer than a tasmota device carries out; expected at most 20s"
    );
    assert_eq!(
        one(&lit("max_transition = \"2h\"\n", "")),
        "8:18: max_transition of 2h is longer than a zigbee2mqtt device carries out; expected at most \
         1h49m13s500ms"
    );
    let c = parse(&lit("max_transition = \"1h49m\"\n", "max_transition = \"20s\"\n")).unwrap();
    assert_eq!(light(&c, "ceiling").max_transition, Duration::from_secs(6540));
    assert!(one(&lit("max_transition = \"soon\"\n", "")).starts_with("8:18: `soon` is not a duration"));
}

#[test]
fn networks_must_exist() {
    assert_eq!(
        one(&lit("network = \"thread\"\n", "")),
        "8:11: unknown network `thread`; expected one of zigbee, zigbee-unicast, wifi, or add a [[lights.network]] of \
         that name"
    );
}

/// A light with `separate_kelvin` sends two messages per command; on a network whose burst
/// leaves ordinary commands room for only one, each command overdrew the budget (burst 2 at
/// 0.5/s carried 60 messages in 59 s against 31.5).
#[test]
fn separate_kelvin_needs_a_burst_with_room_for_both_messages() {
    let network = |burst: u32| {
        format!("[[lights.network]]\nname = \"coordinator-2\"\nper_second = 0.5\nburst = {burst}\n")
    };
    let first = "kelvin = [2200, 4000]\nnetwork = \"coordinator-2\"\nseparate_kelvin = true\n";
    for burst in [1, 2] {
        assert_eq!(
            one(&format!("{}{}", lit(first, ""), network(burst))),
            format!(
                "10:19: light `ceiling` has separate_kelvin, two messages per command, but network \
                 `coordinator-2` has a burst of {burst}, which leaves ordinary commands room for 1 \
                 beside the emergencies' reserve; raise that network's burst to 3 or more, or remove \
                 separate_kelvin"
            )
        );
    }
    let c = parse(&format!("{}{}", lit(first, ""), network(3))).unwrap();
    assert!(light(&c, "ceiling").separate_kelvin);
    // The built-in networks have room; without a colour temperature there is one message.
    let wifi = "kelvin = [2700, 6500]\nseparate_kelvin = true\n";
    assert!(light(&parse(&lit("", wifi)).unwrap(), "mat-1-lamp").separate_kelvin);
    let dimmer_only = format!(
        "{}{}",
        lit("network = \"coordinator-2\"\nseparate_kelvin = true\n", ""),
        network(1)
    );
    assert!(light(&parse(&dimmer_only).unwrap(), "ceiling").separate_kelvin);
    // A built-in network given a burst too small is refused just the same.
    let small_wifi = format!(
        "{}[[lights.network]]\nname = \"wifi\"\nper_second = 5\nburst = 2\n",
        lit("", wifi)
    );
    assert!(
        one(&small_wifi).contains("light `mat-1-lamp` has separate_kelvin")
            && one(&small_wifi).contains("`wifi`"),
        "{}",
        one(&small_wifi)
    );
}

#[test]
fn topics_are_device_names_not_full_topics() {
    assert_eq!(
        one(&lit("topic = \"zigbee2mqtt/ceiling\"\n", "")),
        "8:9: topic `zigbee2mqtt/ceiling` starts with `zigbee2mqtt/`, which the zigbee2mqtt driver adds itself"
    );
    assert_eq!(
        one(&lit("", "topic = \"cmnd/lamp\"\n")),
        "13:9: topic `cmnd/lamp` starts with `cmnd/`, which the tasmota driver adds itself"
    );
    assert_eq!(
        one(&lit("", "topic = \"lamps/#\"\n")),
        "13:9: topic `lamps/#` has an MQTT wildcard or control character in it"
    );
    assert_eq!(
        one(&lit("topic = \"living//lamp\"\n", "")),
        "8:9: topic `living//lamp` has an empty topic level; remove the extra `/`"
    );
    let nested = parse(&lit("topic = \"upstairs/ceiling\"\n", "")).unwrap();
    assert_eq!(light(&nested, "ceiling").topic, "upstairs/ceiling");
}

#[test]
fn curves_and_unknown_keys() {
    assert_eq!(
        one(&lit("curve = \"gamma\"\n", "")),
        "8:9: unknown curve `gamma`; expected one of cie, linear"
    );
    let err = one(&lit("", "colour = \"warm\"\n"));
    assert!(err.starts_with("13:1: unknown field `colour`"), "{err}");
    assert_eq!(
        one(&format!("{ROOM}[lights]\nnetworks = []\n"))
            .split_once(':')
            .unwrap()
            .0,
        "8"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let p = parse(&lit("min_level = 80\ncurve = \"log\"\n", "group = true\n")).unwrap_err();
    assert_eq!(p.len(), 3, "{p:#?}");
}

/// A single Zigbee bulb is a unicast and a group a broadcast: each draws on its own budget,
/// so that a room of single bulbs is not held to the radio's broadcast limit.
#[test]
fn zigbee_groups_draw_on_the_broadcast_budget_and_single_bulbs_on_the_unicast_one() {
    let text = format!(
        "{}[[room.zone.light]]\nname = \"bulb\"\nfamily = \"zigbee2mqtt\"\n\
         [[room.zone.light]]\nname = \"group\"\nfamily = \"zigbee2mqtt\"\ngroup = true\n\
         [[room.zone.light]]\nname = \"pinned\"\nfamily = \"zigbee2mqtt\"\nnetwork = \"zigbee\"\n",
        lit("", "")
    );
    let c = parse(&text).unwrap();
    assert_eq!(light(&c, "bulb").network, "zigbee-unicast");
    assert_eq!(light(&c, "group").network, "zigbee");
    assert_eq!(
        light(&c, "pinned").network,
        "zigbee",
        "a light that names its network keeps it"
    );
    let budget = |name: &str| {
        let n = c.lights.networks.iter().find(|n| n.name == name).unwrap();
        (n.per_second, n.burst)
    };
    assert_eq!(budget("zigbee"), (0.5, 6), "about 8 broadcasts in 9 s, as before");
    let (rate, burst) = budget("zigbee-unicast");
    assert!(
        burst >= 12 && rate > 0.5,
        "a dozen bulbs change in one burst: {rate} {burst}"
    );
}
