//! A daemon stopped whole (SIGSTOP) while its lights fade, gone around by `setting emergency`'s
//! direct path, then resumed (SIGCONT): what it sends the lights afterwards, read off a real
//! Mosquitto. Nothing it had due while stopped may go before the emergency, and taking the
//! emergency over must not send every light its stop and set again.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::Daemon;
use crate::support::broker::{Broker, Spy};

const PATIENCE: Duration = Duration::from_secs(20);
const ROOM: &str = "stuck-room";

fn broker() -> Broker {
    let acl = format!(
        "user {ROOM}\ntopic readwrite setting/{ROOM}/#\ntopic read zigbee2mqtt/#\ntopic write zigbee2mqtt/+/set\n\
         topic read shellies/#\ntopic write shellies/+/light/0/set\n"
    );
    Broker::builder().user(ROOM, "room-password").acl(&acl).start()
}

/// A room whose zone `room` holds the given `[[room.zone.light]]` bodies.
fn config(dir: &Path, broker: &Broker, lights: &[&str]) -> PathBuf {
    let password_file = dir.join("mqtt-password");
    std::fs::write(&password_file, "room-password\n").expect("password file");
    let lights: String = lights
        .iter()
        .map(|body| format!("\n[[room.zone.light]]\n{body}\n"))
        .collect();
    let text = format!(
        "[room]\nname = \"{ROOM}\"\n\n[[room.zone]]\nname = \"room\"\n{lights}\n\
         [mqtt]\nhost = \"{host}\"\nport = {port}\nusername = \"{ROOM}\"\npassword_file = \"{password}\"\n\n{paths}",
        host = broker.host(),
        port = broker.port(),
        password = password_file.display(),
        paths = crate::support::paths_and_null_audio(&crate::support::repo_path("scenes")),
    );
    let path = dir.join("settingd.toml");
    std::fs::write(&path, text).expect("config");
    path
}

fn emergency(config: &Path, daemon: &Daemon) -> Output {
    Command::new(env!("CARGO_BIN_EXE_setting"))
        .arg("--config")
        .arg(config)
        .arg("--socket")
        .arg(daemon.socket())
        .arg("emergency")
        .arg("--state-dir")
        .arg(daemon.state_dir())
        .args(["--timeout", "300"])
        .env_remove("SETTING_SOCKET")
        .env_remove("SETTING_CONFIG")
        .output()
        .expect("cannot run setting")
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn signal(daemon: &Daemon, signal: libc::c_int) {
    let pid = libc::pid_t::try_from(daemon.pid().expect("running")).expect("pid fits");
    // SAFETY: kill(2) on the daemon this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
}

/// Starts `sublingual` and moves on to dosing, whose look fades the room down: once the
/// arrival's look has reached the lights (`set` topics), so that dosing's fade starts from a
/// known level and steps, rather than going straight to its end as a first command would.
fn into_dosing(daemon: &Daemon, spy: &Spy, set: &str) {
    daemon.ok(json!({"op": "start", "scene": "sublingual"}));
    let arrived = spy.wait_for(PATIENCE, |s| s.topic.starts_with(set));
    assert!(
        arrived.is_some(),
        "the arrival's look never came: {:?}",
        spy.seen()
    );
    daemon.ok(json!({"op": "next"}));
    daemon.ok(json!({"op": "next"}));
}

/// Runs the direct path around the stopped daemon and waits until `lit` has seen each of
/// `topics` get the emergency's look from it.
fn go_around(config: &Path, daemon: &Daemon, spy: &Spy, topics: &[String], lit: impl Fn(&Value) -> bool) {
    let out = emergency(config, daemon);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("EMERGENCY sent directly"), "{stdout}");
    for topic in topics {
        let full = spy.wait_for(PATIENCE, |s| s.topic == *topic && lit(&json_of(&s.payload)));
        assert!(
            full.is_some(),
            "the direct path's look never reached {topic}: {:?}",
            spy.seen()
        );
    }
}

/// A Shelly light stepping dosing's fade: the daemon is stopped with a step overdue by the time
/// it runs again, and the direct emergency's notice waiting on its socket. The first thing it
/// sends that light must not be the old fade's step.
#[test]
fn after_a_direct_emergency_the_resumed_daemon_sends_no_overdue_fade_step_first() {
    let broker = broker();
    let dir = tempfile::tempdir().unwrap();
    let config = config(
        dir.path(),
        &broker,
        &["name = \"lamp\"\nfamily = \"shelly-gen1\"\ntopic = \"lamp-1\"\nkelvin = [2700, 6500]"],
    );
    let mut daemon = Daemon::builder().config(&config).speed(10.0).start();
    let spy = Spy::connect(&broker, "shellies/#");
    let set = "shellies/lamp-1/light/0/set".to_string();
    into_dosing(&daemon, &spy, &set);
    let brightness = |v: &Value| v["brightness"].as_u64();
    // Dosing's fade is stepping: two steps down one after the other.
    let first = spy.wait_for(PATIENCE, |s| {
        s.topic == set && brightness(&json_of(&s.payload)).is_some()
    });
    let first = brightness(&json_of(&first.expect("a first command").payload)).unwrap();
    let stepping = spy.wait_for(PATIENCE, |s| {
        s.topic == set && brightness(&json_of(&s.payload)).is_some_and(|b| b < first)
    });
    assert!(
        stepping.is_some(),
        "dosing's fade never stepped: {:?}",
        spy.seen()
    );

    signal(&daemon, libc::SIGSTOP);
    // Long enough that the fade's next step falls due while the daemon is stopped.
    std::thread::sleep(Duration::from_secs(6));
    let is_full = |v: &Value| v["turn"] == json!("on") && v["brightness"] == json!(100);
    go_around(&config, &daemon, &spy, std::slice::from_ref(&set), is_full);
    spy.clear();
    let resumed = Instant::now();
    signal(&daemon, libc::SIGCONT);

    std::thread::sleep(Duration::from_secs(4));
    let sent: Vec<Value> = spy.on(&set).iter().map(|s| json_of(&s.payload)).collect();
    if let Some(first) = sent.first() {
        assert!(
            is_full(first),
            "the first command after resuming ({:?} after SIGCONT) is not the emergency's: {sent:?}\n{}",
            resumed.elapsed(),
            daemon.log_text()
        );
    }
    assert!(
        sent.iter().all(is_full),
        "the resumed daemon dimmed the light: {sent:?}"
    );
    daemon.kill9();
}

/// Zigbee bulbs mid-transition: the direct path stops and lights each one. The resumed daemon
/// takes the emergency over (the notice, then its engine with the marker) without sending any
/// light its stop and set once more.
#[test]
fn taking_a_direct_emergency_over_sends_no_light_its_stop_and_set_again() {
    let broker = broker();
    let dir = tempfile::tempdir().unwrap();
    let names = ["ceiling-1", "ceiling-2", "ceiling-3"];
    let bodies: Vec<String> = names
        .iter()
        .map(|n| format!("name = \"{n}\"\nfamily = \"zigbee2mqtt\"\nkelvin = [2200, 4000]"))
        .collect();
    let bodies: Vec<&str> = bodies.iter().map(String::as_str).collect();
    let config = config(dir.path(), &broker, &bodies);
    let mut daemon = Daemon::builder().config(&config).speed(10.0).start();
    let spy = Spy::connect(&broker, "zigbee2mqtt/#");
    into_dosing(&daemon, &spy, "zigbee2mqtt/ceiling-");
    let topics: Vec<String> = names.iter().map(|n| format!("zigbee2mqtt/{n}/set")).collect();
    // Dosing's look (2400 K) has gone out to every bulb: their transitions are running.
    for topic in &topics {
        let dosing = spy.wait_for(PATIENCE, |s| {
            s.topic == *topic && json_of(&s.payload)["color_temp"] == json!(417)
        });
        assert!(
            dosing.is_some(),
            "dosing's look never reached {topic}: {:?}",
            spy.seen()
        );
    }

    signal(&daemon, libc::SIGSTOP);
    let is_full = |v: &Value| v["brightness"] == json!(254);
    go_around(&config, &daemon, &spy, &topics, is_full);
    spy.clear();
    signal(&daemon, libc::SIGCONT);

    // The engine takes the marker at its next heartbeat: the emergency is the daemon's now.
    // The CLI leaves its marker in the spool; the engine removes it once taken over.
    let spool = daemon.state_dir().join("emergency");
    let markers_left = || {
        std::fs::read_dir(&spool).map_or(0, |entries| {
            entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("direct-"))
                .count()
        })
    };
    let taken = crate::support::eventually(PATIENCE, || (markers_left() == 0).then_some(()));
    assert!(taken.is_some(), "{}", daemon.log_text());
    let status = daemon.status();
    assert!(
        status["session"]["overrides"].to_string().contains("emergency"),
        "{status}"
    );
    std::thread::sleep(Duration::from_secs(2));
    for topic in &topics {
        let sent: Vec<String> = spy.on(topic).into_iter().map(|s| s.payload).collect();
        let stops = sent
            .iter()
            .filter(|p| json_of(p).get("brightness_move").is_some())
            .count();
        let sets = sent.len() - stops;
        assert_eq!(
            (stops, sets),
            (0, 0),
            "{topic} was sent again after the direct path lit it: {sent:?}\n{}",
            daemon.log_text()
        );
    }
    daemon.kill9();
}
