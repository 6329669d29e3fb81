//! The shipped demo room's lights, every example in `config/settingd.toml` once uncommented,
//! and every TOML example in `docs/lighting.md`: what technicians copy must load.

use std::path::{Path, PathBuf};

use super::Family;
use super::tests::{ROOM, parse};
use super::*;

fn repo(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(file)
}

#[test]
fn the_demo_room_has_zigbee2mqtt_lights_in_every_zone_and_no_broker() {
    let c = load_config(&repo("config/settingd.toml")).unwrap_or_else(|e| panic!("{e}"));
    let lights: Vec<(&str, &str)> = c
        .lights
        .lights
        .iter()
        .map(|l| (l.zone.as_str(), l.name.as_str()))
        .collect();
    assert_eq!(
        lights,
        [
            ("room", "ceiling-1"),
            ("room", "ceiling-2"),
            ("mat-1", "mat-1-lamp"),
            ("mat-2", "mat-2-lamp"),
            ("mat-3", "mat-3-lamp"),
        ]
    );
    assert!(c.lights.lights.iter().all(|l| l.family == Family::Zigbee2Mqtt));
    assert!(
        c.lights
            .lights
            .iter()
            .all(|l| l.kelvin.is_some() && l.min_level > 0.0)
    );
    assert_eq!(c.lights.broker, None, "the demo runs its private broker");
}

/// A commented line that is TOML: a table header or a `key = value`.
fn is_commented_toml(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("# ")?;
    let header = rest.starts_with('[') && rest.trim_end().ends_with(']');
    let key = rest
        .split_once(" = ")
        .is_some_and(|(k, _)| !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
    (header || key).then_some(rest)
}

#[test]
fn every_commented_example_in_the_shipped_config_is_valid() {
    let path = repo("config/settingd.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let uncommented: Vec<&str> = text
        .lines()
        .map(|line| is_commented_toml(line).unwrap_or(line))
        .collect();
    let uncommented = uncommented.join("\n");
    let c = parse_config(&path, &uncommented).unwrap_or_else(|e| panic!("{e}\n{uncommented}"));
    let families: Vec<Family> = c.lights.lights.iter().map(|l| l.family).collect();
    for family in Family::ALL {
        assert!(families.contains(&family), "an example of {}", family.name());
    }
    assert!(c.lights.lights.iter().any(|l| l.group), "the group example");
    let broker = c.lights.broker.expect("the [mqtt] example");
    assert_eq!((broker.host.as_str(), broker.port), ("broker.clinic.lan", 8883));
    assert!(broker.tls.unwrap().client_cert.is_some());
}

/// Every ```toml block of a document.
fn toml_blocks(doc: &str) -> Vec<String> {
    let text = std::fs::read_to_string(repo(doc)).unwrap();
    text.split("```toml\n")
        .skip(1)
        .map(|rest| rest[..rest.find("```").unwrap()].to_string())
        .collect()
}

/// Parses every TOML example of `doc`; fragments are read as part of a room, as a technician
/// would paste them.
fn parse_examples(doc: &str) -> Vec<Config> {
    let blocks = toml_blocks(doc);
    assert!(!blocks.is_empty(), "{doc} has examples");
    blocks
        .iter()
        .map(|block| {
            let text = if block.contains("[room]\n") {
                block.clone()
            } else if block.starts_with("[[room.zone]]") {
                format!("[room]\nname = \"r\"\n{block}")
            } else {
                format!("{ROOM}{block}")
            };
            parse(&text).unwrap_or_else(|e| panic!("{doc}: {e:#?}\n{text}"))
        })
        .collect()
}

#[test]
fn every_example_in_the_lighting_guide_is_valid() {
    let examples = parse_examples("docs/lighting.md");
    assert!(examples.len() >= 4, "{} examples", examples.len());
    let complete = examples.last().unwrap();
    assert_eq!(complete.lights.lights.len(), 3);
    assert_eq!(
        complete.lights.broker.as_ref().unwrap().port,
        8883,
        "TLS moves the default port"
    );
}

#[test]
fn the_configuration_example_has_a_light_and_a_broker() {
    let examples = parse_examples("docs/configuration.md");
    let example = examples.last().unwrap();
    assert_eq!(example.lights.lights[0].topic, "room-2/downlights");
    assert!(example.lights.lights[0].group);
    assert_eq!(
        example.lights.broker.as_ref().unwrap().client_id,
        "setting-room-2"
    );
}
