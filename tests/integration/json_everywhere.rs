//! `--json` on every command that prints something: stdout is one JSON document (errors too,
//! as `{"error": {"kind", "message"}}`), exit codes as without it. Offline commands run on a
//! copy of the shipped room, so caches land in a temporary directory; the rest against a real
//! daemon.

use std::path::Path;

use serde_json::Value;

use crate::support::{Daemon, repo_path, setting};

/// Runs `setting --json ARGS...`, asserts its exit code and that stdout is one JSON document.
#[track_caller]
fn json(args: &[&str], code: i32) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = setting(&all);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{args:?}: stdout is not JSON ({e}):\n{stdout}\nstderr:\n{stderr}"))
}

/// The error document a failed command prints, checked for its shape.
#[track_caller]
fn error_kind(value: &Value) -> &str {
    assert!(
        value["error"]["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{value}"
    );
    value["error"]["kind"]
        .as_str()
        .unwrap_or_else(|| panic!("no error kind: {value}"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The shipped config, scenes and playlists, with a copy of the media beside them so the
/// loudness cache is written there and not into the repository.
fn shipped_room(dir: &Path) -> String {
    for sub in ["config", "scenes", "playlists", "media"] {
        copy_dir(&repo_path(sub), &dir.join(sub));
    }
    dir.join("config/settingd.toml").to_str().unwrap().to_string()
}

#[test]
fn offline_commands_print_json() {
    let dir = tempfile::tempdir().unwrap();
    let config = shipped_room(dir.path());
    let c = config.as_str();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();

    let plan = json(&["--config", c, "plan", "preparation"], 0);
    assert!(plan["total"].is_u64(), "{plan}");
    assert!(json(&["--config", c, "validate"], 0).is_array());
    let check = json(&["--config", c, "playlist", "check", "arrival"], 0);
    assert!(check["files"].is_array(), "{check}");
    json(&["--config", c, "playlist", "analyze", "arrival"], 0);

    let exported = json(&["--config", c, "playlist", "export", "arrival"], 0);
    assert!(
        exported["m3u8"]
            .as_str()
            .is_some_and(|t| t.starts_with("#EXTM3U")),
        "{exported}"
    );
    assert_eq!(exported["tracks"], 3);
    let m3u = path("arrival.m3u8");
    let written = json(&["--config", c, "playlist", "export", "arrival", "-o", &m3u], 0);
    assert_eq!(written["file"], m3u.as_str());
    let imported = json(
        &[
            "--config",
            c,
            "playlist",
            "import",
            &m3u,
            "--name",
            "arrival-copy",
        ],
        0,
    );
    assert_eq!(imported["tracks"], 3);

    let state = path("state");
    std::fs::create_dir(&state).unwrap();
    let skips = json(&["--config", c, "playlist", "skips", "--state-dir", &state], 0);
    assert!(skips["tracks"].is_array(), "{skips}");

    let wav = path("arrival.wav");
    let render = json(
        &[
            "--config", c, "render", "arrival", "--wav", &wav, "--rate", "8000",
        ],
        0,
    );
    assert_eq!(render["tracks"].as_array().map(Vec::len), Some(3), "{render}");
    assert!(render["seconds"].as_f64().is_some_and(|s| s > 0.0), "{render}");

    let wav = path("preparation.wav");
    let dry = json(
        &[
            "--config",
            c,
            "dry-run",
            "preparation",
            "--wav",
            &wav,
            "--rate",
            "8000",
        ],
        0,
    );
    assert!(dry["light_commands"].as_u64().is_some_and(|n| n > 0), "{dry}");
    assert_eq!(dry["lights"], format!("{wav}.lights.csv").as_str());

    // Errors are JSON too, each with the exit code it has without `--json`.
    let nosuch = json(&["--config", c, "render", "nosuch", "--wav", &wav], 2);
    assert_eq!(error_kind(&nosuch), "bad_input");
    let usage = json(&["--config", c, "no-such-command"], 2);
    assert_eq!(error_kind(&usage), "bad_input");
    let socket = path("nobody-listens.sock");
    let down = json(&["--socket", &socket, "status"], 3);
    assert_eq!(error_kind(&down), "not_running");
}

#[test]
fn daemon_commands_print_json() {
    let daemon = Daemon::start();
    let socket = daemon.socket().to_str().unwrap().to_string();
    let s = socket.as_str();

    assert!(json(&["--socket", s, "status"], 0).is_object());
    assert!(json(&["--socket", s, "sessions"], 0).is_array());
    assert!(json(&["--socket", s, "lights", "list"], 0).is_object());
    json(&["--socket", s, "reload"], 0);
    let refused = json(&["--socket", s, "hold"], 1);
    assert_eq!(error_kind(&refused), "refused");

    let started = json(&["--socket", s, "start", "sublingual"], 0);
    assert!(started["session"].is_string(), "{started}");
    for steer in [
        &["mark", "dose"][..],
        &["hold"],
        &["release"],
        &["check"],
        &["resume"],
        &["mute"],
    ] {
        let mut args = vec!["--socket", s];
        args.extend_from_slice(steer);
        json(&args, 0);
    }
    let bad = json(&["--socket", s, "extend", "banana"], 2);
    assert_eq!(error_kind(&bad), "bad_input");
    json(&["--socket", s, "emergency"], 0);
    json(&["--socket", s, "resume", "--all"], 0);
    json(&["--socket", s, "stop"], 0);
    let report = json(&["--socket", s, "report"], 0);
    assert!(report.is_object(), "{report}");
}
