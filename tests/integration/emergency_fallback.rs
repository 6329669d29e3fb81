//! `setting emergency` when the daemon does not answer: the CLI lights the room through a real
//! Mosquitto itself, leaves the marker, says which path it took; the daemon that comes back
//! keeps the room in emergency and audits it as `cli-direct`; with nothing reachable, a loud
//! instruction and its own exit code.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::broker::{Broker, Spy};
use crate::support::gate::Gate;
use crate::support::room::Room;
use crate::support::{Daemon, eventually};

const PATIENCE: Duration = Duration::from_secs(20);
const ROOM: &str = "fallback-room";
const LIGHTS: [&str; 3] = ["ceiling-1", "ceiling-2", "mat-lamp"];
/// The exit code of an emergency that reached nothing.
const NOT_DELIVERED: i32 = 4;

/// A room of three Zigbee2MQTT lights (two in `room`, one in `mat-1`) whose `[mqtt]` names the
/// test broker and logs in as the room with the password in a file.
fn room_config(dir: &Path, broker: &Broker) -> PathBuf {
    room_config_with(dir, broker, "")
}

/// [`room_config`] with more lines for `[mqtt]` (TLS, version).
fn room_config_with(dir: &Path, broker: &Broker, mqtt_extra: &str) -> PathBuf {
    Room {
        name: ROOM,
        password: "room-password",
        zones: &[("room", &["ceiling-1", "ceiling-2"]), ("mat-1", &["mat-lamp"])],
        broker: (broker.host(), broker.port()),
        mqtt_extra,
    }
    .write(dir)
}

fn room_broker() -> Broker {
    let acl = format!(
        "user {ROOM}\ntopic readwrite setting/{ROOM}/#\ntopic read zigbee2mqtt/#\ntopic write zigbee2mqtt/+/set\n"
    );
    Broker::builder().user(ROOM, "room-password").acl(&acl).start()
}

/// `setting --config CONFIG --socket (the daemon's) emergency --state-dir (the daemon's) ARGS`.
fn emergency(config: &Path, daemon: &Daemon, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_setting"))
        .arg("--config")
        .arg(config)
        .arg("--socket")
        .arg(daemon.socket())
        .arg("emergency")
        .arg("--state-dir")
        .arg(daemon.state_dir())
        .args(args)
        .env_remove("SETTING_SOCKET")
        .env_remove("SETTING_CONFIG")
        .output()
        .expect("cannot run setting")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The marker the CLI left in the daemon's spool (a path that does not exist when there is
/// none).
fn marker(daemon: &Daemon) -> PathBuf {
    let spool = daemon.state_dir().join("emergency");
    let found = std::fs::read_dir(&spool).ok().and_then(|entries| {
        entries.flatten().map(|e| e.path()).find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("direct-") && name.ends_with(".json")
        })
    });
    found.unwrap_or_else(|| spool.join("direct-none.json"))
}

/// Where a marker goes in the state directory itself (a daemon run as the sender's user).
fn state_marker(daemon: &Daemon) -> PathBuf {
    daemon.state_dir().join("emergency-direct.json")
}

/// Full light: what the emergency look (100 %) is for a Zigbee2MQTT light.
fn is_full(payload: &str) -> bool {
    json_of(payload)["brightness"] == json!(254)
}

/// A command that takes a light below full or off.
fn dims(payload: &str) -> bool {
    let value = json_of(payload);
    value["state"] == json!("OFF") || value["brightness"].as_u64().is_some_and(|b| b < 254)
}

fn assert_every_light_lit(spy: &Spy) {
    for light in LIGHTS {
        let topic = format!("zigbee2mqtt/{light}/set");
        let full = spy.wait_for(PATIENCE, |s| s.topic == topic && is_full(&s.payload));
        assert!(full.is_some(), "no full light on {topic}: {:?}", spy.seen());
    }
}

fn assert_direct_path(out: &Output) {
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "stdout: {stdout}\nstderr: {stderr}");
    assert!(
        stdout.contains("EMERGENCY sent directly to the lights through the broker at")
            && stdout.contains("Music could not be muted"),
        "{stdout}"
    );
    for light in LIGHTS {
        assert!(stdout.contains(light), "{light} not named: {stdout}");
    }
    assert!(stderr.contains("the daemon did not answer"), "{stderr}");
}

#[test]
fn with_the_daemon_down_the_cli_lights_every_light_itself_and_leaves_the_marker() {
    let broker = room_broker();
    let spy = Spy::connect(&broker, "zigbee2mqtt/#");
    let dir = tempfile::tempdir().unwrap();
    let config = room_config(dir.path(), &broker);
    let mut daemon = Daemon::builder().config(&config).prepare();

    let out = emergency(&config, &daemon, &[]);
    assert_direct_path(&out);
    assert_every_light_lit(&spy);
    let written: Value = json_of(&std::fs::read_to_string(marker(&daemon)).expect("the marker"));
    assert_eq!(written["whole_room"], json!(true), "{written}");
    assert_eq!(written["zones"], json!(["room", "mat-1"]), "{written}");

    // With no session to resume, the daemon that starts lights the room itself and says so.
    spy.clear();
    daemon.launch();
    assert_every_light_lit(&spy);
    assert!(!marker(&daemon).exists(), "the marker must go once honoured");
    assert!(
        daemon
            .log_text()
            .contains("no session running: full light, music muted"),
        "{}",
        daemon.log_text()
    );
}

#[test]
fn a_hung_daemon_is_given_up_on_and_takes_the_emergency_over_when_it_runs_again() {
    let broker = room_broker();
    let dir = tempfile::tempdir().unwrap();
    let config = room_config(dir.path(), &broker);
    let mut daemon = Daemon::builder().config(&config).start();
    daemon.ok(json!({"op": "start", "scene": "sublingual"}));
    let spy = Spy::connect(&broker, "zigbee2mqtt/#");
    let pid = libc::pid_t::try_from(daemon.pid().expect("running")).expect("pid fits");
    // SAFETY: kill(2) on the daemon this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0);

    let out = emergency(&config, &daemon, &["--zone", "room"]);
    // SAFETY: as above.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGCONT) }, 0);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "stdout: {stdout}\nstderr: {stderr}");
    assert!(stdout.contains("EMERGENCY sent directly"), "{stdout}");
    assert!(
        stdout.contains("(the daemon did not answer within 500 ms)"),
        "{stdout}"
    );
    for light in ["ceiling-1", "ceiling-2"] {
        let topic = format!("zigbee2mqtt/{light}/set");
        let full = spy.wait_for(PATIENCE, |s| s.topic == topic && is_full(&s.payload));
        assert!(full.is_some(), "no full light on {topic}: {:?}", spy.seen());
    }
    assert!(!stdout.contains("mat-lamp"), "only the zone asked for: {stdout}");

    // Running again, the daemon takes the marker at its next heartbeat and audits it.
    let gone = eventually(PATIENCE, || (!marker(&daemon).exists()).then_some(()));
    assert!(
        gone.is_some(),
        "the marker is still there:\n{}",
        daemon.log_text()
    );
    let report = daemon.ok(json!({"op": "report"}));
    let audited = report["entries"].as_array().expect("entries").iter().any(|e| {
        e["event"] == "override_started"
            && e["source"]["via"] == "cli-direct"
            && e["target"]["zone"] == "room"
    });
    assert!(audited, "no cli-direct emergency in the log: {report}");
    // The request the CLI left on the socket is carried out too, once the daemon reads it.
    let queued = eventually(PATIENCE, || {
        let report = daemon.ok(json!({"op": "report"}));
        let entries = report["entries"].as_array().cloned().unwrap_or_default();
        entries
            .iter()
            .any(|e| e["event"] == "override_started" && e["source"]["via"] == "socket")
            .then_some(())
    });
    assert!(queued.is_some(), "{}", daemon.ok(json!({"op": "report"})));
    daemon.kill9();
}

#[test]
fn a_daemon_that_comes_back_keeps_the_room_in_emergency_and_audits_it() {
    let broker = room_broker();
    let dir = tempfile::tempdir().unwrap();
    let config = room_config(dir.path(), &broker);
    let mut daemon = Daemon::builder().config(&config).start();
    daemon.ok(json!({"op": "start", "scene": "sublingual"}));
    let session = daemon.status()["session"]["session"].clone();
    daemon.kill9();

    let spy = Spy::connect(&broker, "zigbee2mqtt/#");
    let out = emergency(&config, &daemon, &[]);
    assert_direct_path(&out);
    assert_every_light_lit(&spy);
    assert!(marker(&daemon).exists());
    spy.clear();

    daemon.launch();
    let status = daemon.status();
    assert_eq!(status["session"]["session"], session, "{status}");
    let kinds: Vec<_> = status["session"]["overrides"]
        .as_array()
        .expect("overrides")
        .iter()
        .map(|o| o["kind"].clone())
        .collect();
    assert!(kinds.contains(&json!("emergency")), "{status}");
    assert!(!marker(&daemon).exists(), "the marker must go once honoured");
    let report = daemon.ok(json!({"op": "report"}));
    let audited = report["entries"].as_array().expect("entries").iter().any(|e| {
        e["event"] == "override_started" && e["kind"] == "emergency" && e["source"]["via"] == "cli-direct"
    });
    assert!(audited, "no cli-direct emergency in the log: {report}");
    // The daemon's own emergency re-asserts full light; nothing may dim the room meanwhile.
    assert_every_light_lit(&spy);
    let dimmed: Vec<_> = spy
        .seen()
        .into_iter()
        .filter(|s| s.topic.ends_with("/set") && dims(&s.payload))
        .collect();
    assert!(dimmed.is_empty(), "the room was dimmed again: {dimmed:?}");
}

#[test]
fn with_neither_daemon_nor_broker_it_says_to_light_the_room_by_hand() {
    let broker = room_broker();
    let dir = tempfile::tempdir().unwrap();
    let config = room_config(dir.path(), &broker);
    let daemon = Daemon::builder().config(&config).prepare();
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);

    let out = emergency(&config, &daemon, &["--mqtt", &format!("127.0.0.1:{port}")]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(NOT_DELIVERED), "{stderr}");
    assert!(stderr.contains("EMERGENCY NOT DELIVERED"), "{stderr}");
    assert!(stderr.contains("BY HAND"), "{stderr}");
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    // Still left for the daemon: the therapist asked for an emergency.
    assert!(marker(&daemon).exists());
    // Scripts get the same as a JSON error document.
    let out = emergency(
        &config,
        &daemon,
        &["--mqtt", &format!("127.0.0.1:{port}"), "--json"],
    );
    assert_eq!(out.status.code(), Some(NOT_DELIVERED));
    let error = json_of(&text(&out.stdout));
    assert_eq!(error["error"]["kind"], "not_delivered", "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("BY HAND")),
        "{error}"
    );
}

/// The daemon answers and takes the emergency, but its own link to the lights is cut: the CLI
/// sees so in the daemon's status and lights the room through the broker itself.
#[test]
fn a_daemon_cut_off_from_its_lights_is_gone_around_for_the_lights() {
    let broker = room_broker();
    let gate = Gate::to(broker.port());
    let dir = tempfile::tempdir().unwrap();
    // The daemon reaches the broker through the gate; the CLI straight.
    let config = Room {
        name: ROOM,
        password: "room-password",
        zones: &[("room", &["ceiling-1", "ceiling-2"]), ("mat-1", &["mat-lamp"])],
        broker: (broker.host(), gate.port()),
        mqtt_extra: "",
    }
    .write(dir.path());
    let daemon = Daemon::builder().config(&config).start();
    daemon.ok(json!({"op": "start", "scene": "sublingual"}));
    let connected = |want: bool| {
        eventually(PATIENCE, || {
            (daemon.status()["lights"]["connected"] == json!(want)).then_some(())
        })
    };
    assert!(connected(true).is_some(), "{}", daemon.status()["lights"]);
    gate.cut();
    assert!(connected(false).is_some(), "{}", daemon.status()["lights"]);
    let spy = Spy::connect(&broker, "zigbee2mqtt/#");

    let out = emergency(
        &config,
        &daemon,
        &["--mqtt", &format!("{}:{}", broker.host(), broker.port())],
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "stdout: {stdout}\nstderr: {stderr}");
    assert!(stderr.contains("not connected to the lights"), "{stderr}");
    assert!(
        stdout.contains("EMERGENCY sent directly to the lights"),
        "{stdout}"
    );
    assert!(stdout.contains("Music muted by settingd"), "{stdout}");
    assert_every_light_lit(&spy);
    let kinds = daemon.status()["session"]["overrides"].to_string();
    assert!(kinds.contains("emergency"), "{kinds}");
    assert!(!marker(&daemon).exists(), "the daemon took it: no marker");
}

#[test]
fn with_the_daemon_up_the_normal_path_is_taken_and_said() {
    let broker = room_broker();
    let dir = tempfile::tempdir().unwrap();
    let config = room_config(dir.path(), &broker);
    let daemon = Daemon::builder().config(&config).start();
    daemon.ok(json!({"op": "start", "scene": "sublingual"}));
    let spy = Spy::connect(&broker, "zigbee2mqtt/#");

    let out = emergency(&config, &daemon, &[]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "stdout: {stdout}\nstderr: {stderr}");
    assert!(stdout.contains("sent through settingd"), "{stdout}");
    assert!(!stderr.contains("did not answer"), "{stderr}");
    assert!(!marker(&daemon).exists(), "no marker on the normal path");
    assert_every_light_lit(&spy);
    let kinds = daemon.status()["session"]["overrides"].to_string();
    assert!(kinds.contains("emergency"), "{kinds}");
    // A zone's emergency says it leaves the music and the clock alone.
    let out = emergency(&config, &daemon, &["--zone", "mat-1"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("in zone mat-1"), "{stdout}");
    assert!(stdout.contains("music and clock unchanged"), "{stdout}");
}

#[test]
fn the_direct_path_speaks_tls_and_mqtt_3_1_1_with_the_rooms_login() {
    let acl = format!("user {ROOM}\ntopic readwrite setting/{ROOM}/#\ntopic write zigbee2mqtt/+/set\n");
    let broker = Broker::builder()
        .user(ROOM, "room-password")
        .acl(&acl)
        .tls()
        .start();
    let dir = tempfile::tempdir().unwrap();
    let tls = format!(
        "version = \"3.1.1\"\n\n[mqtt.tls]\nca = \"{}\"",
        broker.ca().display()
    );
    let config = room_config_with(dir.path(), &broker, &tls);
    let daemon = Daemon::builder().config(&config).prepare();

    // Acknowledged by the broker over TLS, as the room's user: every light is named as lit.
    assert_direct_path(&emergency(&config, &daemon, &[]));

    // A wrong password is a refused connection: nothing lit, and said so.
    std::fs::write(dir.path().join("mqtt-password"), "wrong\n").unwrap();
    let out = emergency(&config, &daemon, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(NOT_DELIVERED), "{stderr}");
    assert!(stderr.to_lowercase().contains("refused"), "{stderr}");
}

/// A daemon stopped while its session ran past a dimming phase change, and the CLI went around
/// it: when it runs again, the emergency it finds is applied before what fell due, so the
/// room's lights are never sent the dimmer look.
#[test]
fn a_daemon_that_runs_again_applies_the_emergency_before_what_fell_due() {
    let broker = room_broker();
    let dir = tempfile::tempdir().unwrap();
    let config = room_config(dir.path(), &broker);
    // A minute of session a second: dosing (at most 15 min) ends on its own in 15 s.
    let mut daemon = Daemon::builder().config(&config).speed(60.0).start();
    let spy = Spy::connect(&broker, "zigbee2mqtt/#");
    daemon.ok(json!({"op": "start", "scene": "sublingual"}));
    daemon.ok(json!({"op": "next"}));
    daemon.ok(json!({"op": "next"}));
    assert_eq!(daemon.status()["session"]["phase"]["id"], "dosing");
    // Dosing's look (2400 K) is out on both ceiling lights: nothing of it waits on the budget.
    for light in ["ceiling-1", "ceiling-2"] {
        let topic = format!("zigbee2mqtt/{light}/set");
        let dosing = spy.wait_for(PATIENCE, |s| {
            s.topic == topic && json_of(&s.payload)["color_temp"] == json!(417)
        });
        assert!(
            dosing.is_some(),
            "dosing's look never reached {light}: {:?}",
            spy.seen()
        );
    }
    let pid = libc::pid_t::try_from(daemon.pid().expect("running")).expect("pid fits");
    // SAFETY: kill(2) on the daemon this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0);
    // What the CLI's direct path leaves behind, the lights themselves aside.
    setting::engine::marker::DirectEmergency {
        id: None,
        sent_unix_ms: setting::engine::persist::unix_millis(std::time::SystemTime::now()),
        whole_room: true,
        zones: vec!["room".into(), "mat-1".into()],
        lights: LIGHTS.iter().map(|l| l.to_string()).collect(),
        user: Some("test".into()),
        broker: format!("{}:{}", broker.host(), broker.port()),
    }
    .write(daemon.state_dir())
    .expect("the marker");
    // Onset (10 %) falls due while the daemon is stopped.
    std::thread::sleep(Duration::from_secs(16));
    spy.clear();
    // SAFETY: as above.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGCONT) }, 0);

    assert_every_light_lit(&spy);
    std::thread::sleep(Duration::from_secs(2));
    let dimmed: Vec<_> = spy
        .seen()
        .into_iter()
        .filter(|s| s.topic.ends_with("/set") && dims(&s.payload))
        .collect();
    assert!(
        dimmed.is_empty(),
        "dimmed after the emergency was found: {dimmed:?}"
    );
    let status = daemon.status();
    assert_eq!(status["session"]["phase"]["id"], "onset", "{status}");
    assert!(
        status["session"]["overrides"].to_string().contains("emergency"),
        "{status}"
    );
    daemon.kill9();
}

/// A room whose one light (`ceiling-1`, zone `room`) has no transitions of its own, so a fade
/// is stepped by the daemon's lights task, on the Wi-Fi budget.
fn stepped_room_config(dir: &Path, broker: &Broker) -> PathBuf {
    let password_file = dir.join("mqtt-password");
    std::fs::write(&password_file, "room-password\n").expect("password file");
    let text = format!(
        r#"[room]
name = "{ROOM}"

[[room.zone]]
name = "room"

[[room.zone.light]]
name = "ceiling-1"
family = "zigbee2mqtt"
kelvin = [2200, 4000]
max_transition = "0s"
network = "wifi"

[mqtt]
host = "{host}"
port = {port}
username = "{ROOM}"
password_file = "{password}"

{paths}"#,
        host = broker.host(),
        port = broker.port(),
        password = password_file.display(),
        paths = crate::support::paths_and_null_audio(&crate::support::repo_path("scenes")),
    );
    let path = dir.join("settingd.toml");
    std::fs::write(&path, text).expect("config");
    path
}

/// The engine is stuck (as on a state file write that never completes) while its lights task
/// runs on, stepping a fade: the CLI's direct path lights the room, and the lights task, told
/// so by the notice beside it, holds the light there instead of carrying on with the fade.
#[test]
fn a_stuck_engines_lights_task_does_not_carry_a_fade_over_the_direct_emergency() {
    let broker = room_broker();
    let dir = tempfile::tempdir().unwrap();
    let config = stepped_room_config(dir.path(), &broker);
    let mut daemon = Daemon::builder().config(&config).speed(10.0).start();
    let spy = Spy::connect(&broker, "zigbee2mqtt/#");
    daemon.ok(json!({"op": "start", "scene": "sublingual"}));
    daemon.ok(json!({"op": "next"}));
    // The engine is stuck right after it hands the lights dosing's fade from 50 % to 25 %.
    daemon.ok(json!({"op": "next"}));
    let stuck = daemon.stall_the_loop();
    let set = "zigbee2mqtt/ceiling-1/set";
    let stepping = spy.wait_for(PATIENCE, |s| {
        s.topic == set && json_of(&s.payload)["color_temp"] == json!(417) && dims(&s.payload)
    });
    assert!(stepping.is_some(), "no step of dosing's fade: {:?}", spy.seen());

    let out = emergency(&config, &daemon, &["--timeout", "300"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("EMERGENCY sent directly"), "{stdout}");
    let full = spy.wait_for(PATIENCE, |s| s.topic == set && is_full(&s.payload));
    let full = full.expect("the direct path's full light");
    // The fade would have stepped several times by now.
    std::thread::sleep(Duration::from_secs(5));
    let after: Vec<_> = spy
        .on(set)
        .into_iter()
        .filter(|s| s.at > full.at && dims(&s.payload))
        .collect();
    assert!(after.is_empty(), "the fade went on over the emergency: {after:?}");
    assert!(
        daemon.log_text().contains("holding the zone at its look"),
        "{}",
        daemon.log_text()
    );

    // Unstuck, the engine takes the emergency over from the marker.
    stuck.release();
    let taken = eventually(PATIENCE, || (!marker(&daemon).exists()).then_some(()));
    assert!(taken.is_some(), "{}", daemon.log_text());
    daemon.kill9();
}

/// `--room` naming the room of this machine (an exported `SETTING_ROOM`, say): the emergency
/// goes to the local daemon, not over the broker, where this room listens for nothing.
#[test]
fn an_emergency_for_this_machines_own_room_takes_the_local_paths() {
    let broker = room_broker();
    let dir = tempfile::tempdir().unwrap();
    let config = room_config(dir.path(), &broker);
    let daemon = Daemon::builder().config(&config).start();
    daemon.ok(json!({"op": "start", "scene": "sublingual"}));
    let out = Command::new(env!("CARGO_BIN_EXE_setting"))
        .arg("--config")
        .arg(&config)
        .arg("--socket")
        .arg(daemon.socket())
        .arg("emergency")
        .env("SETTING_ROOM", ROOM)
        .env_remove("SETTING_SOCKET")
        .env_remove("SETTING_CONFIG")
        .env_remove("SETTING_BROKER")
        .output()
        .expect("cannot run setting");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "stdout: {stdout}\nstderr: {stderr}");
    assert!(stdout.contains("sent through settingd"), "{stdout}");
    let kinds = daemon.status()["session"]["overrides"].to_string();
    assert!(kinds.contains("emergency"), "{kinds}");
}

/// A marker that can be applied but not removed (here a directory in its place, which reads as
/// unreadable and is honoured) is applied once, not at every request that follows.
#[test]
fn a_marker_that_cannot_be_removed_is_applied_once() {
    let broker = room_broker();
    let dir = tempfile::tempdir().unwrap();
    let config = room_config(dir.path(), &broker);
    let daemon = Daemon::builder().config(&config).start();
    daemon.ok(json!({"op": "start", "scene": "sublingual"}));
    let stuck = state_marker(&daemon);
    std::fs::create_dir(&stuck).expect("a directory where the marker goes");
    std::fs::write(stuck.join("keep"), "").expect("non-empty");
    for _ in 0..5 {
        daemon.status();
    }
    let status = daemon.status();
    let emergencies = daemon
        .entries()
        .iter()
        .filter(|e| e["event"] == "override_started" && e["kind"] == "emergency")
        .count();
    assert_eq!(emergencies, 1, "{}", daemon.log_text());
    let warnings = status["daemon"]["warnings"].as_array().unwrap();
    let about_marker = warnings
        .iter()
        .filter(|w| w.as_str().unwrap().contains("marker"))
        .count();
    assert_eq!(about_marker, 1, "{warnings:?}");
}
