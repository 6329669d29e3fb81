//! Panic buttons on the wall over a real Mosquitto: Zigbee2MQTT's, Shelly's and Tasmota's own
//! payloads reach the daemon as the therapist's commands, logged with the button as their
//! source; a held or double-pressed emergency is one emergency; a retained or malformed
//! message is ignored with a warning and never stops the session.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::broker::{Broker, Spy};
use crate::support::{Daemon, eventually, paths_and_null_audio, repo_path, setting_against};

const PATIENCE: Duration = Duration::from_secs(10);
const PANIC: &str = "zigbee2mqtt/room-a/panic";
const DOOR: &str = "shellies/room-a-door/input_event/0";
const PLUS: &str = "shellyplusi4-room-a/events/rpc";
const WALL: &str = "stat/room-a-wall/RESULT";

fn broker() -> Broker {
    Broker::builder()
        .user("room-a", "room-a-password")
        .acl(
            "user room-a\ntopic readwrite setting/room-a/#\ntopic readwrite zigbee2mqtt/room-a/#\n\
             topic read shellies/room-a-door/#\ntopic read shellyplusi4-room-a/events/rpc\n\
             topic read stat/room-a-wall/RESULT\n",
        )
        .start()
}

/// Room A with one Zigbee2MQTT light and four buttons, one of each kind.
fn config(dir: &Path, broker: &Broker) -> PathBuf {
    let password_file = dir.join("mqtt-password");
    std::fs::write(&password_file, "room-a-password\n").expect("password file");
    let text = format!(
        r#"[room]
name = "room-a"

[[room.zone]]
name = "room"

[[room.zone.light]]
name = "ceiling-1"
family = "zigbee2mqtt"
topic = "room-a/ceiling-1"
kelvin = [2200, 4000]

[mqtt]
host = "{host}"
port = {port}
username = "room-a"
password_file = "{password_file}"

[[button]]
name = "by-the-mat"
kind = "zigbee2mqtt"
topic = "{PANIC}"
press = {{ hold = "emergency", single = "check", double = "resume" }}

[[button]]
name = "door"
kind = "shelly-gen1"
topic = "{DOOR}"
press = {{ S = "check", L = "emergency" }}

[[button]]
name = "plus"
kind = "shelly-gen2"
topic = "{PLUS}"
input = 1
press = {{ single_push = "check" }}

[[button]]
name = "wall"
kind = "tasmota"
topic = "{WALL}"
press = {{ SINGLE = "check" }}

{paths}"#,
        host = broker.host(),
        port = broker.port(),
        password_file = password_file.display(),
        paths = paths_and_null_audio(&repo_path("scenes")),
    );
    let path = dir.join("settingd.toml");
    std::fs::write(&path, text).expect("config");
    path
}

fn kinds(daemon: &Daemon) -> Vec<String> {
    daemon.status()["session"]["overrides"]
        .as_array()
        .expect("overrides")
        .iter()
        .map(|o| o["kind"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn started(entries: &[Value], kind: &str) -> Vec<Value> {
    entries
        .iter()
        .filter(|e| e["event"] == "override_started" && e["kind"] == kind)
        .cloned()
        .collect()
}

/// The daemon running a session, its buttons subscribed (it says so once connected).
fn room_with_buttons(broker: &Broker, dir: &Path) -> Daemon {
    let daemon = idle_room_with_buttons(broker, dir);
    daemon.ok(json!({"op": "start", "scene": "sublingual"}));
    // The subscription's SUBACK follows the ConnAck at once; a last beat for it to settle.
    std::thread::sleep(Duration::from_millis(200));
    daemon
}

/// The daemon with no session, its buttons subscribed.
fn idle_room_with_buttons(broker: &Broker, dir: &Path) -> Daemon {
    let daemon = Daemon::builder().config(config(dir, broker)).start();
    let ready = eventually(PATIENCE, || {
        daemon
            .log_text()
            .contains("buttons: connected to the broker")
            .then_some(())
    });
    assert!(ready.is_some(), "{}", daemon.log_text());
    std::thread::sleep(Duration::from_millis(200));
    daemon
}

fn idle_zones(daemon: &Daemon) -> Value {
    daemon.status()["daemon"]["emergency_without_session"].clone()
}

#[test]
fn an_emergency_pressed_again_after_a_resume_the_button_did_not_hear_is_carried_out() {
    let broker = broker();
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = idle_room_with_buttons(&broker, dir.path());
    let device = Spy::connect(&broker, "nothing/at/all");
    let hold = r#"{"action":"hold","battery":100,"linkquality":120}"#;

    device.publish(PANIC, hold, false);
    let held = eventually(PATIENCE, || {
        (idle_zones(&daemon) == json!(["room"])).then_some(())
    });
    assert!(held.is_some(), "{}\n{}", idle_zones(&daemon), daemon.log_text());
    // The therapist ends it from the CLI: with no session nothing is logged, so the buttons'
    // task cannot hear it.
    daemon.ok(json!({"op": "resume"}));
    assert_eq!(idle_zones(&daemon), Value::Null, "{}", daemon.status());
    // Pressed again within the repeat window: the room must light again all the same.
    device.publish(PANIC, hold, false);
    let again = eventually(PATIENCE, || {
        (idle_zones(&daemon) == json!(["room"])).then_some(())
    });
    assert!(again.is_some(), "{}\n{}", idle_zones(&daemon), daemon.log_text());
}

#[test]
fn a_zigbee_remotes_hold_is_one_emergency_from_the_button_and_reaches_the_lights() {
    let broker = broker();
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = room_with_buttons(&broker, dir.path());
    let lights = Spy::connect(&broker, "zigbee2mqtt/room-a/ceiling-1/set");
    lights.clear();

    // An Aqara WXKG11LM held: Zigbee2MQTT publishes `hold`, and the anxious hand holds twice.
    let device = Spy::connect(&broker, "nothing/at/all");
    let hold = r#"{"action":"hold","battery":100,"linkquality":120,"voltage":3025}"#;
    device.publish(PANIC, hold, false);
    device.publish(PANIC, hold, false);
    let emergency = eventually(PATIENCE, || (kinds(&daemon) == ["emergency"]).then_some(()));
    assert!(emergency.is_some(), "{:?}\n{}", kinds(&daemon), daemon.log_text());
    let command = lights.wait_for(PATIENCE, |s| s.payload.contains("brightness"));
    assert!(command.is_some(), "{:?}", lights.seen());
    // Zigbee2MQTT then clears the action; nothing more happens.
    device.publish(PANIC, r#"{"action":"","battery":100,"linkquality":120}"#, false);
    std::thread::sleep(Duration::from_millis(300));

    let entries = daemon.entries();
    let emergencies = started(&entries, "emergency");
    assert_eq!(emergencies.len(), 1, "{emergencies:#?}");
    assert_eq!(
        emergencies[0]["source"],
        json!({"via": "button", "who": "by-the-mat"})
    );
    let log = daemon.log_text();
    assert!(
        log.contains("a repeat of the emergency; the room is in it already"),
        "{log}"
    );
    // The report tells who pressed.
    let report = setting_against(&daemon, &["report"]);
    let told = String::from_utf8_lossy(&report.stdout);
    assert!(told.contains("button (by-the-mat)"), "{told}");

    // A double press resumes, through the same path, logged the same way.
    device.publish(
        PANIC,
        r#"{"action":"double","battery":100,"linkquality":118}"#,
        false,
    );
    let resumed = eventually(PATIENCE, || kinds(&daemon).is_empty().then_some(()));
    assert!(resumed.is_some(), "{:?}\n{}", kinds(&daemon), daemon.log_text());
    let ended = daemon
        .entries()
        .into_iter()
        .find(|e| e["event"] == "override_ended" && e["kind"] == "emergency")
        .expect("the emergency ended");
    assert_eq!(ended["source"]["via"], "button", "{ended}");
}

#[test]
fn shelly_and_tasmota_presses_are_checks_from_their_buttons() {
    let broker = broker();
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = room_with_buttons(&broker, dir.path());
    let device = Spy::connect(&broker, "nothing/at/all");
    let presses = [
        ("door", DOOR, r#"{"event":"S","event_cnt":7}"#.to_string()),
        (
            "plus",
            PLUS,
            r#"{"src":"shellyplusi4-room-a","dst":"shellyplusi4-room-a/events","method":"NotifyEvent","params":{"ts":1733550000.12,"events":[{"component":"input:1","id":1,"event":"single_push","ts":1733550000.12}]}}"#.to_string(),
        ),
        ("wall", WALL, r#"{"Button1":{"Action":"SINGLE"}}"#.to_string()),
    ];
    for (n, (button, topic, payload)) in presses.iter().enumerate() {
        device.publish(topic, payload, false);
        let checked = eventually(PATIENCE, || {
            (started(&daemon.entries(), "check").len() == n + 1).then_some(())
        });
        assert!(checked.is_some(), "{button}: {}", daemon.log_text());
        let check = started(&daemon.entries(), "check").pop().expect("a check");
        assert_eq!(
            check["source"],
            json!({"via": "button", "who": button}),
            "{check}"
        );
        // Resumed from the CLI's socket: the next button's check, though within the two
        // seconds in which the same command is one press, is a new one.
        daemon.ok(json!({"op": "resume"}));
    }
}

#[test]
fn retained_and_malformed_messages_are_ignored_with_a_warning_and_the_session_goes_on() {
    let broker = broker();
    let dir = tempfile::tempdir().expect("temp dir");
    let device = Spy::connect(&broker, "nothing/at/all");
    // A press left retained on the broker before the daemon starts: an old one.
    device.publish(DOOR, r#"{"event":"L","event_cnt":3}"#, true);
    let daemon = room_with_buttons(&broker, dir.path());
    for (topic, payload) in [
        (PANIC, "hold"),
        (PANIC, r#"{"action":7}"#),
        (DOOR, r#"{"event_cnt":4}"#),
        (
            PLUS,
            r#"{"method":"NotifyEvent","params":{"events":"single_push"}}"#,
        ),
        (WALL, r#"{"Button1":"SINGLE"}"#),
        (PANIC, r#"{"action":"brightness_move_up"}"#),
    ] {
        device.publish(topic, payload, false);
    }
    let warned = eventually(PATIENCE, || {
        (daemon
            .log_text()
            .matches("buttons: ignored a message that is not a")
            .count()
            == 5)
            .then_some(())
    });
    let log = daemon.log_text();
    assert!(warned.is_some(), "{log}");
    assert!(log.contains("buttons: ignored a retained message"), "{log}");
    assert!(log.contains("`action` is 7, not a string"), "{log}");
    // Nothing was carried out, and the session runs on and still takes a real press.
    assert!(kinds(&daemon).is_empty(), "{:?}", kinds(&daemon));
    assert!(daemon.status()["session"]["scene"] == "sublingual");
    device.publish(PANIC, r#"{"action":"single","linkquality":90}"#, false);
    let checked = eventually(PATIENCE, || (kinds(&daemon) == ["check"]).then_some(()));
    assert!(checked.is_some(), "{}", daemon.log_text());
}
