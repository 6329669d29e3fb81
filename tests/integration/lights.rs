//! `settingd` with real lights on a real Mosquitto: which adapter it says it chose, an
//! emergency reaching the broker, and the broker's refusals (ACL, password) showing in
//! `status` and the session's event log while the daemon carries on.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::broker::{Broker, Spy};
use crate::support::room::Room;
use crate::support::{Daemon, eventually, repo_path};

const PATIENCE: Duration = Duration::from_secs(20);
const ROOM: &str = "lit-room";

/// A room of two Zigbee2MQTT lights (`ceiling` in zone `room`, `mat-lamp` in `mat-1`) whose
/// `[mqtt]` logs in as the room with the password in a file; the host and port come from
/// `settingd --mqtt`, as a technician pointing the daemon at a test broker would.
fn lit_config(dir: &Path, password: &str) -> PathBuf {
    Room {
        name: ROOM,
        password,
        zones: &[("room", &["ceiling"]), ("mat-1", &["mat-lamp"])],
        broker: ("192.0.2.1", 1883),
        mqtt_extra: "",
    }
    .write(dir)
}

/// A broker on which the room may command `allowed` lights only (`ceiling`), and read
/// everything of Zigbee2MQTT.
fn room_broker(allowed: &[&str]) -> Broker {
    let mut acl = format!("user {ROOM}\ntopic readwrite setting/{ROOM}/#\ntopic read zigbee2mqtt/#\n");
    for light in allowed {
        acl.push_str(&format!("topic write zigbee2mqtt/{light}/set\n"));
    }
    Broker::builder().user(ROOM, "room-password").acl(&acl).start()
}

fn lit_daemon(broker: &Broker, dir: &Path, password: &str) -> Daemon {
    Daemon::builder()
        .config(lit_config(dir, password))
        .arg("--mqtt")
        .arg(format!("{}:{}", broker.host(), broker.port()))
        .start()
}

fn daemon_lights(daemon: &Daemon) -> String {
    daemon.status()["daemon"]["lights"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn an_emergency_reaches_the_lights_through_the_broker() {
    let broker = room_broker(&["ceiling", "mat-lamp"]);
    let spy = Spy::connect(&broker, "zigbee2mqtt/#");
    let dir = tempfile::tempdir().unwrap();
    let daemon = lit_daemon(&broker, dir.path(), "room-password");
    let said = format!("lights: broker {}:{}, 2 lights", broker.host(), broker.port());
    assert!(daemon.log_text().contains(&said), "{}", daemon.log_text());
    let connected = eventually(PATIENCE, || {
        daemon_lights(&daemon).contains(", connected").then_some(())
    });
    assert!(connected.is_some(), "{}", daemon_lights(&daemon));

    daemon.ok(json!({"op": "emergency"}));
    for light in ["ceiling", "mat-lamp"] {
        let topic = format!("zigbee2mqtt/{light}/set");
        let full = spy.wait_for(PATIENCE, |s| {
            s.topic == topic && json_of(&s.payload)["brightness"] == json!(254)
        });
        assert!(full.is_some(), "no full light on {topic}: {:?}", spy.seen());
    }
}

#[test]
fn a_publish_the_acl_refuses_shows_in_status_and_the_event_log() {
    let broker = room_broker(&["ceiling"]);
    let dir = tempfile::tempdir().unwrap();
    let daemon = lit_daemon(&broker, dir.path(), "room-password");
    daemon.ok(json!({"op": "start", "scene": "sublingual"}));
    // A check lights the mat: the command the ACL refuses.
    daemon.ok(json!({"op": "check", "zone": "mat-1"}));
    let refused = eventually(PATIENCE, || {
        let text = daemon_lights(&daemon);
        text.contains("zigbee2mqtt/mat-lamp/set").then_some(text)
    });
    let text = refused.unwrap_or_else(|| panic!("status never said: {}", daemon_lights(&daemon)));
    assert!(text.contains("`mat-lamp`") && text.contains("135"), "{text}");
    let logged = eventually(PATIENCE, || {
        let report = daemon.ok(json!({"op": "report"}));
        report["entries"]
            .as_array()?
            .iter()
            .find(|e| {
                e["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("mat-lamp") && m.contains("refused"))
            })
            .cloned()
    });
    assert!(logged.is_some(), "the refusal is not in the event log");
}

#[test]
fn a_wrong_password_is_reported_and_the_daemon_carries_on() {
    let broker = room_broker(&["ceiling", "mat-lamp"]);
    let dir = tempfile::tempdir().unwrap();
    let daemon = lit_daemon(&broker, dir.path(), "wrong-password");
    let address = format!("{}:{}", broker.host(), broker.port());
    let said = eventually(PATIENCE, || {
        let text = daemon_lights(&daemon);
        text.contains("bad username or password").then_some(text)
    });
    let text = said.unwrap_or_else(|| panic!("status never said: {}", daemon_lights(&daemon)));
    assert!(
        text.contains(&address) && text.contains(&format!("`{ROOM}`")),
        "{text}"
    );
    assert!(
        !daemon.log_text().contains("wrong-password"),
        "the password reached the log"
    );
    // The session goes on without its lights.
    daemon.ok(json!({"op": "start", "scene": "sublingual"}));
    assert!(daemon.status()["session"].is_object());
}

#[test]
fn a_room_without_lights_says_it_only_logs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settingd.toml");
    let text = format!(
        "[room]\nname = \"bare\"\n\n[[room.zone]]\nname = \"room\"\n\n[paths]\nscenes = \"{}\"\nplaylists = \"{}\"\nmedia = \"{}\"\n",
        repo_path("scenes").display(),
        repo_path("playlists").display(),
        repo_path("media").display(),
    );
    std::fs::write(&path, text).unwrap();
    let daemon = Daemon::builder().config(&path).start();
    assert!(
        daemon
            .log_text()
            .contains("lights: none configured, logging only"),
        "{}",
        daemon.log_text()
    );
}

/// The daemon's retained status: `online` while it runs; `offline` when it stops cleanly
/// (it says so itself) and when it dies (the broker sends its last will).
#[test]
fn the_daemon_status_is_retained_with_a_last_will() {
    let broker = room_broker(&["ceiling", "mat-lamp"]);
    let dir = tempfile::tempdir().unwrap();
    let mut daemon = lit_daemon(&broker, dir.path(), "room-password");
    let topic = format!("setting/{ROOM}/status");
    let status_is =
        |spy: &Spy, payload: &str| spy.wait_for(PATIENCE, |s| s.topic == topic && s.payload == payload);

    let spy = Spy::connect(&broker, &topic);
    assert!(status_is(&spy, "online").is_some(), "{:?}", spy.seen());
    daemon.kill9();
    assert!(
        status_is(&spy, "offline").is_some(),
        "no last will: {:?}",
        spy.seen()
    );

    spy.clear();
    daemon.launch();
    assert!(status_is(&spy, "online").is_some(), "{:?}", spy.seen());
    // A late subscriber gets the retained status.
    let late = Spy::connect(&broker, &topic);
    let retained = late
        .wait_for(PATIENCE, |s| s.topic == topic)
        .expect("a retained status");
    assert!(retained.retain && retained.payload == "online", "{retained:?}");
    spy.clear();
    assert!(daemon.terminate().success());
    assert!(
        status_is(&spy, "offline").is_some(),
        "no goodbye on SIGTERM: {:?}",
        spy.seen()
    );
}

/// Twelve single Zigbee bulbs, right after a technician's override to all of them: the
/// emergency reaches every one at once (not a few at a time as the old shared budget let them
/// go, the last seconds later), and 2200 K went out as 454 mireds, within the bulbs' range.
#[test]
fn an_emergency_reaches_a_dozen_bulbs_at_once_right_after_an_override() {
    let names: Vec<String> = (1..=12).map(|i| format!("bulb-{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let broker = room_broker(&refs);
    let spy = Spy::connect(&broker, "zigbee2mqtt/#");
    let dir = tempfile::tempdir().unwrap();
    let config = Room {
        name: ROOM,
        password: "room-password",
        zones: &[("room", &refs)],
        broker: ("192.0.2.1", 1883),
        mqtt_extra: "",
    }
    .write(dir.path());
    let daemon = Daemon::builder()
        .config(config)
        .arg("--mqtt")
        .arg(format!("{}:{}", broker.host(), broker.port()))
        .start();
    let connected = eventually(PATIENCE, || {
        daemon_lights(&daemon).contains(", connected").then_some(())
    });
    assert!(connected.is_some(), "{}", daemon_lights(&daemon));

    daemon.ok(json!({"op": "lights_set", "target": "room", "brightness": 10, "kelvin": 2200, "fade": "0s"}));
    for name in &names {
        let topic = format!("zigbee2mqtt/{name}/set");
        let dim = spy.wait_for(PATIENCE, |s| s.topic == topic);
        let dim = dim.unwrap_or_else(|| panic!("{name} never got the override: {:?}", spy.seen()));
        assert_eq!(json_of(&dim.payload)["color_temp"], json!(454), "{}", dim.payload);
    }
    std::thread::sleep(Duration::from_millis(300));
    spy.clear();
    let asked = std::time::Instant::now();
    daemon.ok(json!({"op": "emergency"}));
    let mut latest = Duration::ZERO;
    for name in &names {
        let topic = format!("zigbee2mqtt/{name}/set");
        let full = spy.wait_for(PATIENCE, |s| {
            s.topic == topic && json_of(&s.payload)["brightness"] == json!(254)
        });
        assert!(full.is_some(), "no full light on {topic}: {:?}", spy.seen());
        latest = latest.max(asked.elapsed());
    }
    // Every light's command was already on the broker when the first was seen; generous for a
    // loaded test machine, where the old budget took over ten seconds for the last.
    assert!(latest < Duration::from_secs(2), "the last light took {latest:?}");
    // A second emergency sends nothing to lights already at full.
    std::thread::sleep(Duration::from_millis(2500));
    spy.clear();
    daemon.ok(json!({"op": "emergency"}));
    std::thread::sleep(Duration::from_millis(700));
    let again: Vec<_> = spy
        .seen()
        .into_iter()
        .filter(|s| s.topic.ends_with("/set"))
        .collect();
    assert!(again.is_empty(), "sent again: {again:?}");
}
