//! The discovery documents as Home Assistant would read them, and every command they make it
//! send decoded by the daemon's own protocol decoder.

use std::collections::BTreeSet;

use serde_json::Value;

use super::entities::{MODES, START_TEMPLATE, VOLUME_TEMPLATE};
use super::*;
use crate::protocol::{Op, decode_request};
use crate::remote::{RoomState, SessionState};
use crate::timeline::MIN_VOLUME_OFFSET_DB;

fn remote() -> RemoteConfig {
    RemoteConfig {
        enabled: true,
        home_assistant: true,
        ..RemoteConfig::default()
    }
}

fn scenes() -> Vec<String> {
    ["sublingual", "intramuscular", "iv-infusion"]
        .map(String::from)
        .to_vec()
}

fn documents_for(room: &str) -> Vec<Discovery> {
    discovery(
        &RoomTopics::new("setting", room),
        &remote(),
        &scenes(),
        6.0,
        "1.2.3",
    )
}

/// Every document as JSON, by its object id (the topic's fourth level).
fn parsed(documents: &[Discovery]) -> Vec<(String, Value)> {
    documents
        .iter()
        .map(|d| {
            let value: Value = serde_json::from_slice(&d.payload)
                .unwrap_or_else(|e| panic!("{} is not JSON ({e}): {:?}", d.topic, d.payload));
            assert!(value.is_object(), "{} is not a JSON object", d.topic);
            let object = d.topic.split('/').nth(3).expect("object level").to_string();
            (object, value)
        })
        .collect()
}

fn by_object<'a>(docs: &'a [(String, Value)], object: &str) -> &'a Value {
    &docs
        .iter()
        .find(|(o, _)| o == object)
        .unwrap_or_else(|| panic!("no {object}"))
        .1
}

/// Home Assistant's rendering of a command template, for the templates these documents use.
fn render(template: &str, value: &str) -> String {
    assert!(
        template.contains("{{ value }}"),
        "{template} has no `{{{{ value }}}}`"
    );
    template.replace("{{ value }}", value)
}

fn op(payload: &str) -> Op {
    decode_request(payload.as_bytes())
        .unwrap_or_else(|e| panic!("the daemon refuses {payload}: {e}"))
        .op
}

#[test]
fn every_document_is_a_json_object_with_a_unique_id() {
    let documents = documents_for("room-a");
    let docs = parsed(&documents);
    assert_eq!(docs.len(), 11);
    let unique: BTreeSet<&str> = docs
        .iter()
        .map(|(_, d)| d["unique_id"].as_str().unwrap())
        .collect();
    assert_eq!(unique.len(), docs.len(), "unique ids repeat: {unique:?}");
    let entity_ids: BTreeSet<&str> = docs
        .iter()
        .map(|(_, d)| d["default_entity_id"].as_str().unwrap())
        .collect();
    assert_eq!(entity_ids.len(), docs.len());
    let topics: BTreeSet<&str> = documents.iter().map(|d| d.topic.as_str()).collect();
    assert_eq!(topics.len(), documents.len());
}

#[test]
fn topics_are_per_component_under_the_rooms_node() {
    let documents = documents_for("room-a");
    for (d, (object, value)) in documents.iter().zip(parsed(&documents)) {
        let levels: Vec<&str> = d.topic.split('/').collect();
        assert_eq!(levels.len(), 5, "{}", d.topic);
        assert_eq!(levels[0], "homeassistant");
        assert!(
            ["select", "sensor", "button", "switch", "number"].contains(&levels[1]),
            "{}",
            d.topic
        );
        assert_eq!(levels[2], "setting_room-a");
        assert_eq!(levels[4], "config");
        for level in [levels[2], levels[3]] {
            assert!(
                level
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
                "{level} is not a Home Assistant id"
            );
        }
        let entity_id = value["default_entity_id"].as_str().unwrap();
        assert_eq!(entity_id, format!("{}.setting_room_a_{object}", levels[1]));
        assert!(
            entity_id
                .split_once('.')
                .unwrap()
                .1
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{entity_id}"
        );
        assert_eq!(value["unique_id"], format!("setting_room-a_{object}"));
        for (key, topic) in value
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| k.ends_with("_topic"))
        {
            let expected = if key == "command_topic" {
                "setting/room-a/request/homeassistant"
            } else {
                "setting/room-a/state"
            };
            assert_eq!(topic, expected, "{} {key}", d.topic);
        }
    }
}

#[test]
fn every_entity_belongs_to_one_device_and_follows_the_state_for_availability() {
    let docs = parsed(&documents_for("room-a"));
    let first = &docs[0].1;
    assert_eq!(
        first["device"]["identifiers"],
        serde_json::json!(["setting_room-a"])
    );
    assert_eq!(first["device"]["name"], "Room room-a");
    assert_eq!(first["device"]["manufacturer"], "setting");
    assert_eq!(first["device"]["model"], "settingd");
    assert_eq!(first["device"]["sw_version"], "1.2.3");
    for (object, d) in &docs {
        assert_eq!(d["device"], first["device"], "{object}");
        assert_eq!(d["origin"]["name"], "setting", "{object}");
        let availability = d["availability"].as_array().expect("availability list");
        assert_eq!(availability.len(), 1);
        assert_eq!(availability[0]["topic"], "setting/room-a/state");
        assert!(
            availability[0]["value_template"]
                .as_str()
                .unwrap()
                .contains("value_json.online"),
            "{object}"
        );
        assert!(d["name"].as_str().is_some_and(|n| !n.is_empty()), "{object}");
    }
}

#[test]
fn every_control_sends_a_request_the_daemon_decodes_to_the_right_op() {
    let docs = parsed(&documents_for("room-a"));
    let press = |object: &str| op(by_object(&docs, object)["payload_press"].as_str().unwrap());
    assert_eq!(press("emergency"), Op::Emergency { zone: None });
    assert_eq!(press("check"), Op::Check { zone: None });
    assert_eq!(
        press("resume"),
        Op::Resume {
            all: false,
            zone: None,
            kind: None
        }
    );
    assert_eq!(press("next"), Op::Next);

    let switch = |object: &str| {
        let d = by_object(&docs, object);
        (
            op(d["payload_on"].as_str().unwrap()),
            op(d["payload_off"].as_str().unwrap()),
        )
    };
    assert_eq!(
        switch("pause"),
        (
            Op::Pause { walk: false },
            Op::Resume {
                all: false,
                zone: None,
                kind: Some(crate::timeline::OverrideKind::Pause)
            }
        )
    );
    assert_eq!(switch("mute"), (Op::Mute, Op::Unmute));

    let select = by_object(&docs, "scene");
    assert_eq!(select["command_template"], START_TEMPLATE);
    for scene in select["options"].as_array().unwrap() {
        let scene = scene.as_str().unwrap();
        assert_eq!(
            op(&render(START_TEMPLATE, scene)),
            Op::Start { scene: scene.into() }
        );
    }

    let volume = by_object(&docs, "volume");
    assert_eq!(volume["command_template"], VOLUME_TEMPLATE);
    // Home Assistant renders whole steps as integers, and other values as decimals.
    for (rendered, db) in [
        ("-6", -6.0),
        ("3", 3.0),
        ("-40", -40.0),
        ("2.5", 2.5),
        ("-12.0", -12.0),
    ] {
        assert_eq!(op(&render(VOLUME_TEMPLATE, rendered)), Op::VolumeTo { db });
    }
}

#[test]
fn the_volume_slider_spans_the_offsets_the_timeline_allows() {
    let docs = parsed(&documents_for("room-a"));
    let volume = by_object(&docs, "volume");
    assert_eq!(volume["min"].as_f64(), Some(f64::from(MIN_VOLUME_OFFSET_DB)));
    assert_eq!(volume["max"].as_f64(), Some(6.0));
    assert_eq!(volume["step"], 1);
    assert_eq!(volume["mode"], "slider");
    assert_eq!(volume["unit_of_measurement"], "dB");
}

#[test]
fn sensors_read_the_state_document() {
    let docs = parsed(&documents_for("room-a"));
    let session_time = by_object(&docs, "session_time");
    assert_eq!(session_time["device_class"], "duration");
    assert_eq!(session_time["unit_of_measurement"], "min");
    assert!(
        session_time.get("suggested_unit_of_measurement").is_none(),
        "Home Assistant drops it from discovery"
    );
    assert_eq!(
        session_time["value_template"],
        "{{ value_json.session.session_seconds // 60 if value_json.session else None }}"
    );
    // The mode's template reads the key whether or not an emergency holds the room.
    let idle: Value = serde_json::from_slice(&RoomState::offline("room-a").to_json()).unwrap();
    assert_eq!(idle["emergency_without_session"], serde_json::json!([]));
    assert!(
        by_object(&docs, "phase")["value_template"]
            .as_str()
            .unwrap()
            .contains("'no session'")
    );
    let mode = by_object(&docs, "mode");
    assert_eq!(mode["device_class"], "enum");
    assert_eq!(mode["options"], serde_json::json!(MODES));
}

/// The fields a value template reads, written `value_json.session.FIELD`.
fn session_fields(template: &str) -> Vec<&str> {
    template
        .split("value_json.session.")
        .skip(1)
        .map(|rest| {
            rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .next()
                .unwrap()
        })
        .collect()
}

#[test]
fn value_templates_read_only_fields_the_state_document_has() {
    let session = SessionState {
        id: "s".into(),
        scene: "sublingual".into(),
        scene_title: "Sublingual".into(),
        phase: "arrival".into(),
        phase_title: "Arrival".into(),
        phase_index: 0,
        phase_count: 5,
        session_seconds: 61,
        phase_remaining_seconds: 10,
        mode: "running".into(),
        paused: false,
        muted: false,
        emergency: false,
        volume_offset_db: 0.0,
    };
    let state = RoomState {
        online: true,
        room: "room-a".into(),
        version: Some("1.2.3".into()),
        scenes: scenes(),
        session: Some(session),
        emergency_without_session: Vec::new(),
    };
    let state: Value = serde_json::from_slice(&state.to_json()).unwrap();
    let mut read = BTreeSet::new();
    for (object, d) in parsed(&documents_for("room-a")) {
        if let Some(template) = d["value_template"].as_str() {
            for field in session_fields(template) {
                assert!(
                    !state["session"][field].is_null(),
                    "{object} reads a missing `session.{field}`"
                );
                read.insert(field.to_string());
            }
            assert!(
                template.contains("if value_json.session else"),
                "{object}: {template}"
            );
        }
    }
    for field in [
        "scene",
        "phase_title",
        "mode",
        "session_seconds",
        "paused",
        "muted",
        "volume_offset_db",
    ] {
        assert!(read.contains(field), "no entity shows `session.{field}`");
    }
    // The mode sensor's options cover every mode the state can report.
    for mode in ["running", "paused", "held", "check", "emergency", "finished"] {
        assert!(MODES.contains(&mode), "{mode}");
    }
}

#[test]
fn lights_are_never_exposed() {
    for d in documents_for("room-a") {
        assert!(!d.topic.contains("/light/"), "{}", d.topic);
        let text = String::from_utf8(d.payload).unwrap();
        assert!(
            !text.contains("lights_set") && !text.contains(r#""op":"light""#),
            "{text}"
        );
    }
}

#[test]
fn scenes_that_would_break_the_request_are_left_out_and_no_scene_removes_the_select() {
    let room = RoomTopics::new("setting", "room-a");
    let scenes = ["ok", "quo\"te", "back\\slash", ""].map(String::from);
    let documents = discovery(&room, &remote(), &scenes, 6.0, "1");
    let docs = parsed(&documents);
    assert_eq!(by_object(&docs, "scene")["options"], serde_json::json!(["ok"]));

    let documents = discovery(&room, &remote(), &[], 6.0, "1");
    let select = documents
        .iter()
        .find(|d| d.topic == "homeassistant/select/setting_room-a/scene/config")
        .expect("the select's topic is still published, to remove it");
    assert!(select.payload.is_empty());
    assert_eq!(documents.len(), 11);
}

#[test]
fn prefixes_and_the_home_assistant_account_come_from_the_config() {
    let remote = RemoteConfig {
        home_assistant_user: "hass-clinic".into(),
        discovery_prefix: "ha".into(),
        topic_prefix: "clinic".into(),
        ..remote()
    };
    let room = RoomTopics::new("clinic", "room-b");
    assert_eq!(status_topic(&remote), "ha/status");
    for d in discovery(&room, &remote, &scenes(), 3.0, "1") {
        assert!(
            d.topic.starts_with("ha/") && d.topic.contains("/setting_room-b/"),
            "{}",
            d.topic
        );
        let value: Value = serde_json::from_slice(&d.payload).unwrap();
        if let Some(command) = value.get("command_topic") {
            assert_eq!(command, "clinic/room-b/request/hass-clinic");
        }
    }
}

#[test]
fn odd_room_names_still_make_valid_ids() {
    assert_eq!(node_level("room-a"), "room-a");
    assert_eq!(node_level("room a.1"), "room_a_1");
    assert_eq!(entity_slug("setting_Room-A"), "setting_room_a");
}
