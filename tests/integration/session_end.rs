//! A session that ends on its own (its last phase on a timer) with nobody asking the daemon
//! anything: the next command finds no session, an emergency still lights the room, and the
//! ended session never comes back after a restart. When the heartbeat saves what is a
//! decision of the room core, tested in virtual time (`room::Heartbeat`); here the real
//! daemon runs it, at rehearsal speed, for a few beats.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;

use setting::room::Heartbeat;

use crate::support::{Daemon, eventually, paths_and_null_audio};

/// Session time runs this much faster than real time: the one-minute scene lasts 0.1 s.
const SPEED: f64 = 600.0;

/// A room with one zone, no lights, and a scene `short` of one minute that ends on its timer.
fn short_scene_config(dir: &Path) -> PathBuf {
    let scenes = dir.join("scenes");
    std::fs::create_dir_all(&scenes).expect("scenes dir");
    std::fs::write(
        scenes.join("short.toml"),
        r#"title = "One minute on a timer"
kind = "preparation"

[[phase]]
id = "only"
title = "The only phase"
planned = "1m"
ends = "timer"
music = { silence = true }
light.room = { brightness = 30, kelvin = 2700, fade = "5s" }
"#,
    )
    .expect("scene");
    let config = dir.join("settingd.toml");
    std::fs::write(
        &config,
        format!(
            r#"[room]
name = "room-1"

[[room.zone]]
name = "room"

{paths}"#,
            paths = paths_and_null_audio(&scenes),
        ),
    )
    .expect("config");
    config
}

/// Waits, without a word to the daemon, until the one-minute session is well over.
fn let_it_end() {
    std::thread::sleep(Duration::from_secs_f64(60.0 / SPEED) + Duration::from_millis(400));
}

#[test]
fn the_first_emergency_after_a_session_ended_on_its_own_lights_the_room() {
    let dir = tempfile::tempdir().unwrap();
    let daemon = Daemon::builder()
        .config(short_scene_config(dir.path()))
        .speed(SPEED)
        .start();
    daemon.ok(json!({"op": "start", "scene": "short"}));
    let_it_end();
    let reply = daemon.request(json!({"id": 1, "op": "emergency"}));
    assert_eq!(reply["ok"], json!(true), "{reply}\n{}", daemon.log_text());
    let status = daemon.status();
    assert!(status["session"].is_null(), "{status}");
    assert!(
        daemon.log_text().contains("no session running: full light"),
        "{}",
        daemon.log_text()
    );
}

#[test]
fn a_session_that_ended_on_its_own_is_not_saved_again_nor_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let mut daemon = Daemon::builder()
        .config(short_scene_config(dir.path()))
        .speed(SPEED)
        .start();
    daemon.ok(json!({"op": "start", "scene": "short"}));
    let state_file = daemon.state_dir().join("session.json");
    assert!(state_file.exists(), "a running session is saved");
    // The daemon removes the state file as the session ends, with nobody asking.
    let gone = eventually(Duration::from_secs(10), || (!state_file.exists()).then_some(()));
    assert!(gone.is_some(), "the ended session's state file stayed");
    // Past a few of the heartbeats that save a running session as it stands (every 10 s of
    // session time).
    let beat = Duration::from_millis(Heartbeat::every_ms(SPEED));
    std::thread::sleep(beat * 5);
    assert!(!state_file.exists(), "the ended session was saved again");
    daemon.kill9();
    daemon.restart();
    let status = daemon.status();
    assert!(status["session"].is_null(), "{status}");
}
