//! `setting reload` and SIGHUP against the real daemon: a config or scene with an error is
//! refused with every problem shown and nothing changes (the running session keeps its scene);
//! a good one is taken on, and what only a restart can change is said to need one.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::{Daemon, eventually, repo_path};

const SCENE: &str = "sublingual";

/// A room of its own: the repository's config, scenes and playlists copied where a test may
/// edit them, with the media left where they are.
pub struct Room {
    dir: TempDir,
}

impl Room {
    pub fn new() -> Room {
        let dir = tempfile::Builder::new()
            .prefix("settingd-room-")
            .tempdir()
            .expect("temp dir");
        for sub in ["config", "scenes", "playlists"] {
            fs::create_dir_all(dir.path().join(sub)).expect("room dir");
        }
        for sub in ["scenes", "playlists"] {
            for entry in fs::read_dir(repo_path(sub)).expect("repo dir") {
                let path = entry.expect("entry").path();
                fs::copy(&path, dir.path().join(sub).join(path.file_name().unwrap())).expect("copy");
            }
        }
        let media = repo_path("media");
        let config = fs::read_to_string(repo_path("config/settingd.toml"))
            .expect("config")
            .replace(
                "media = \"../media\"",
                &format!("media = {:?}", media.display().to_string()),
            );
        fs::write(dir.path().join("config/settingd.toml"), config).expect("write config");
        Room { dir }
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("config/settingd.toml")
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Replaces the first `from` in a file of the room, which must hold it.
    pub fn edit(&self, relative: &str, from: &str, to: &str) {
        let path = self.path(relative);
        let text = fs::read_to_string(&path).expect("read");
        assert!(text.contains(from), "{relative} has no `{from}`");
        fs::write(&path, text.replacen(from, to, 1)).expect("write");
    }
}

/// 1-based line of the first `needle` in a file.
fn line_of(path: &Path, needle: &str) -> usize {
    let text = fs::read_to_string(path).expect("read");
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle in file")
        + 1
}

fn setting(daemon: &Daemon, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_setting"))
        .arg("--socket")
        .arg(daemon.socket())
        .args(args)
        .output()
        .expect("run setting")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn reload_entries(daemon: &Daemon) -> Vec<Value> {
    let report = daemon.ok(json!({"op": "report"}));
    report["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["event"] == "reloaded")
        .cloned()
        .collect()
}

fn sighup(daemon: &Daemon) {
    let pid = libc::pid_t::try_from(daemon.pid().expect("running")).expect("pid fits");
    // SAFETY: kill(2) on the daemon this test spawned and still holds (not reaped).
    assert_eq!(unsafe { libc::kill(pid, libc::SIGHUP) }, 0, "kill -HUP {pid}");
}

#[test]
fn a_broken_scene_is_refused_with_its_place_and_the_running_session_keeps_its_scene() {
    let room = Room::new();
    let daemon = Daemon::builder().config(room.config()).speed(60.0).start();
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    let before = daemon.status()["session"]["phase"].clone();

    let scene = room.path("scenes/sublingual.toml");
    let broken_line = line_of(&scene, "planned = \"15m\"");
    room.edit(
        "scenes/sublingual.toml",
        "planned = \"15m\"",
        "planned = \"fifteen minutes\"",
    );
    let out = setting(&daemon, &["reload"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "a refused reload exits 1:\n{shown}");
    // The daemon names the scene as the config reaches it (`config/../scenes/...`).
    let place = format!("sublingual.toml:{broken_line}:");
    assert!(shown.contains(&place), "the refusal names {place}:\n{shown}");
    assert!(shown.contains("reload refused"), "{shown}");
    assert!(
        daemon.log_text().contains("reload refused"),
        "the daemon logs the refusal:\n{}",
        daemon.log_text()
    );

    let status = daemon.status();
    assert_eq!(status["session"]["scene"], json!(SCENE), "{status}");
    assert_eq!(status["session"]["phase"]["count"], before["count"]);
    assert_eq!(status["session"]["phase"]["title"], before["title"]);
    // The session moves on through the scene it started with.
    daemon.ok(json!({"op": "next"}));
    let moved = daemon.status()["session"]["phase"].clone();
    assert_eq!(
        moved["index"],
        json!(before["index"].as_u64().unwrap() + 1),
        "{moved}"
    );
    assert_eq!(moved["id"], json!("intention"));

    let noted = reload_entries(&daemon);
    assert_eq!(noted.len(), 1, "{noted:?}");
    assert_eq!(
        noted[0]["detail"],
        json!("reload refused: 1 problem; nothing changed"),
        "{noted:?}"
    );
    assert_eq!(noted[0]["source"]["via"], json!("socket"), "{noted:?}");
    // The report says it once, in words.
    let report = text(&setting(&daemon, &["report"]));
    assert!(
        report.contains("reload refused: 1 problem; nothing changed (socket"),
        "{report}"
    );
    assert!(!report.contains("reload reload"), "{report}");
}

#[test]
fn a_broken_config_is_refused_and_the_old_one_stays() {
    let room = Room::new();
    let daemon = Daemon::builder().config(room.config()).speed(60.0).start();
    room.edit(
        "config/settingd.toml",
        "[overrides]",
        "[overrides]\nemergency_music_fade = \"soon\"",
    );
    let line = line_of(&room.config(), "emergency_music_fade = \"soon\"");
    let reply = daemon.request(json!({"op": "reload"}));
    assert_eq!(reply["ok"], json!(false), "{reply}");
    assert_eq!(reply["error"]["kind"], json!("refused"), "{reply}");
    let message = reply["error"]["message"].as_str().unwrap();
    let place = format!("{}:{line}:", room.config().display());
    assert!(message.contains(&place), "the refusal names {place}: {message}");

    // Still running on the config it had: a session starts, an emergency works.
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    daemon.ok(json!({"op": "emergency"}));
    let overrides = daemon.status()["session"]["overrides"].clone();
    assert!(overrides.to_string().contains("emergency"), "{overrides}");
}

#[test]
fn a_good_reload_by_sighup_or_command_applies_the_policy_and_names_what_needs_a_restart() {
    let room = Room::new();
    let daemon = Daemon::builder().config(room.config()).speed(60.0).start();
    daemon.ok(json!({"op": "start", "scene": SCENE}));

    // A new scene, new override fades, and a socket the daemon cannot move to while running.
    fs::copy(
        room.path("scenes/sublingual.toml"),
        room.path("scenes/second-room.toml"),
    )
    .expect("copy");
    room.edit(
        "config/settingd.toml",
        "[overrides]",
        "[overrides]\nemergency_music_fade = \"4s\"",
    );
    room.edit(
        "config/settingd.toml",
        "[daemon]",
        "[daemon]\nsocket = \"/tmp/elsewhere.sock\"",
    );

    sighup(&daemon);
    let noted = eventually(Duration::from_secs(10), || {
        let noted = reload_entries(&daemon);
        (!noted.is_empty()).then_some(noted)
    })
    .expect("SIGHUP reloads and notes it in the session's log");
    let detail = noted[0]["detail"].as_str().unwrap();
    assert!(detail.contains("overrides"), "{detail}");
    // Credited to the signal, not to whoever the socket would name.
    assert_eq!(
        noted[0]["source"],
        json!({"via": "signal", "who": "SIGHUP"}),
        "{noted:?}"
    );
    assert!(detail.contains("needs a restart: daemon"), "{detail}");
    assert!(
        daemon.status()["session"].is_object(),
        "SIGHUP did not stop the daemon"
    );

    let out = setting(&daemon, &["--json", "reload"]);
    assert!(out.status.success(), "{}", text(&out));
    let reply: Value = serde_json::from_slice(&out.stdout).expect("json reply");
    assert!(
        reply["scenes"]
            .as_array()
            .unwrap()
            .contains(&json!("second-room")),
        "{reply}"
    );
    // Compared with what the daemon now runs with: the policy is already in effect, the
    // socket still waits for a restart.
    assert_eq!(reply["applied"], json!([]), "{reply}");
    assert_eq!(
        reply["needs_restart"],
        json!(["daemon (socket, state directory, speed)"]),
        "{reply}"
    );

    // The daemon still listens where it did, and the running session was left alone.
    daemon.ok(json!({"op": "stop"}));
    daemon.ok(json!({"op": "start", "scene": "second-room"}));
}

/// Waits for a `track` entry in the session's event log that `check` accepts.
fn track_started(daemon: &Daemon, check: impl Fn(&Value) -> bool) -> Option<Value> {
    eventually(Duration::from_secs(20), || {
        let report = daemon.ok(json!({"op": "report"}));
        report["entries"]
            .as_array()?
            .iter()
            .find(|e| e["event"] == "track" && check(e))
            .cloned()
    })
}

/// A playlist added, and a scene edited to play it, after the daemon started: the session
/// started next plays it (the player takes the playlists the scene was checked against).
#[test]
fn a_playlist_added_after_start_up_plays_in_the_next_session() {
    let room = Room::new();
    let daemon = Daemon::builder().config(room.config()).start();
    fs::write(
        room.path("playlists/calm2.toml"),
        "title = \"Calm, second take\"\n\n[[track]]\npath = \"arrival/02-slow-water.ogg\"\n",
    )
    .expect("new playlist");
    room.edit(
        "scenes/sublingual.toml",
        "music = { playlist = \"arrival\"",
        "music = { playlist = \"calm2\"",
    );
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    let played = track_started(&daemon, |e| e["playlist"] == "calm2");
    assert!(
        played.is_some(),
        "{}\n{}",
        daemon.ok(json!({"op": "report"})),
        daemon.log_text()
    );
    let report = daemon.ok(json!({"op": "report"})).to_string();
    assert!(!report.contains("no playlist"), "{report}");
}

/// A reload that would take away a playlist the running session plays is refused: the
/// session keeps its scene, and so its music.
#[test]
fn a_reload_that_takes_away_the_running_sessions_playlist_is_refused() {
    let room = Room::new();
    let daemon = Daemon::builder().config(room.config()).start();
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    fs::rename(
        room.path("playlists/arrival.toml"),
        room.path("playlists/arrival-calm.toml"),
    )
    .expect("rename");
    for entry in fs::read_dir(room.path("scenes")).expect("scenes") {
        let path = entry.expect("entry").path();
        let text = fs::read_to_string(&path).expect("scene");
        fs::write(
            &path,
            text.replace("playlist = \"arrival\"", "playlist = \"arrival-calm\""),
        )
        .expect("scene");
    }
    let refused = daemon.request(json!({"op": "reload"}));
    assert_eq!(refused["ok"], json!(false), "{refused}");
    let message = refused["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("playlist `arrival`"), "{message}");
    assert!(message.contains("take away"), "{message}");
}

/// A scene whose playlist file is there but does not load is refused at `start`, with the
/// file's problem, rather than started with a silent phase.
#[test]
fn a_start_with_a_playlist_that_does_not_load_is_refused_with_its_problem() {
    let room = Room::new();
    let daemon = Daemon::builder().config(room.config()).start();
    let path = room.path("playlists/arrival.toml");
    let mut text = fs::read_to_string(&path).expect("playlist");
    text.push_str("\n[[track]]\npath = \"arrival/01-morning-room.flac\"\ngain_db = \"loud\"\n");
    fs::write(&path, text).expect("playlist");
    let refused = daemon.request(json!({"op": "start", "scene": SCENE}));
    assert_eq!(refused["ok"], json!(false), "{refused}");
    let message = refused["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("arrival does not load"), "{message}");
    assert!(message.contains("arrival.toml:"), "{message}");
    assert!(daemon.status()["session"].is_null());
}
