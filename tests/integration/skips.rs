//! `setting playlist skips` over a real daemon's logs: a track skipped in a session is listed
//! with its playlist, count and who skipped it.

use std::fs;
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Daemon, eventually};

#[test]
fn a_skip_in_a_session_is_listed_by_playlist_skips() {
    let daemon = Daemon::start();
    let session = daemon.ok(json!({"op": "start", "scene": "sublingual"}))["session"]
        .as_str()
        .expect("session id")
        .to_string();
    daemon.ok(json!({"op": "mark", "mark": "dose"}));
    let log = daemon
        .state_dir()
        .join("sessions")
        .join(&session)
        .join("events.jsonl");
    let playing = eventually(Duration::from_secs(10), || {
        let text = fs::read_to_string(&log).ok()?;
        text.lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .find(|e| e["event"] == "track")
    })
    .unwrap_or_else(|| panic!("no track started:\n{}", daemon.log_text()));
    daemon.ok(json!({"op": "skip"}));
    daemon.ok(json!({"op": "stop"}));

    let report = skips_report(&daemon);
    let tracks = report["tracks"].as_array().expect("tracks");
    assert_eq!(tracks.len(), 1, "{report}");
    assert_eq!(tracks[0]["path"], playing["path"], "{report}");
    assert_eq!(tracks[0]["playlists"], json!([playing["playlist"]]), "{report}");
    assert_eq!(tracks[0]["skips"], 1);
    assert_eq!(tracks[0]["sessions"], 1);
    assert_eq!(tracks[0]["last_session"], session.as_str());
    assert_eq!(report["problems"], json!([]));

    let table = Command::new(env!("CARGO_BIN_EXE_setting"))
        .args(["playlist", "skips", "--state-dir"])
        .arg(daemon.state_dir())
        .env_remove("SETTING_SOCKET")
        .env_remove("SETTING_CONFIG")
        .output()
        .expect("cannot run setting");
    assert!(table.status.success());
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains(playing["path"].as_str().unwrap()), "{text}");
}

#[test]
fn skip_then_skip_to_grounding_flags_the_track_once_as_a_grounding_skip() {
    let daemon = Daemon::start();
    let session = daemon.ok(json!({"op": "start", "scene": "intramuscular"}))["session"]
        .as_str()
        .expect("session id")
        .to_string();
    let log = daemon
        .state_dir()
        .join("sessions")
        .join(&session)
        .join("events.jsonl");
    let entries = || -> Vec<Value> {
        fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .collect()
    };
    let playing = eventually(Duration::from_secs(10), || {
        entries().into_iter().find(|e| e["event"] == "track")
    })
    .unwrap_or_else(|| panic!("no track started:\n{}", daemon.log_text()));
    // The second comes during the first's cross-fade, before the next track starts.
    daemon.ok(json!({"op": "skip"}));
    daemon.ok(json!({"op": "skip", "grounding": true}));
    daemon.ok(json!({"op": "stop"}));

    let flags: Vec<Value> = entries()
        .into_iter()
        .filter(|e| e["event"] == "track_skipped" && e["path"] == playing["path"])
        .collect();
    assert_eq!(flags.len(), 2, "the flag and its upgrade: {flags:?}");
    assert_eq!(flags[1]["grounding"], json!(true), "{flags:?}");

    let report = skips_report(&daemon);
    let tracks = report["tracks"].as_array().expect("tracks");
    assert_eq!(tracks.len(), 1, "{report}");
    assert_eq!(tracks[0]["path"], playing["path"], "{report}");
    assert_eq!(tracks[0]["skips"], 1, "{report}");
    assert_eq!(tracks[0]["grounding"], 1, "{report}");
}

/// `setting --json playlist skips` over the daemon's state directory, as clinic staff run it.
fn skips_report(daemon: &Daemon) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_setting"))
        .args(["--json", "playlist", "skips", "--state-dir"])
        .arg(daemon.state_dir())
        .env_remove("SETTING_SOCKET")
        .env_remove("SETTING_CONFIG")
        .output()
        .expect("cannot run setting");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON report")
}
