//! `setting watch` away from a terminal: piped or with `--plain`, it still streams one line per
//! event from the real daemon, as scripts/demo.sh relies on.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::Duration;

use serde_json::json;

use crate::support::Daemon;

const SCENE: &str = "sublingual";

/// Kills the watcher however the test ends; it only stops by itself when the daemon goes.
struct Watcher(Child);

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn watch(daemon: &Daemon, extra: &[&str]) -> (Watcher, Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_setting"))
        .arg("--socket")
        .arg(daemon.socket())
        .arg("watch")
        .args(extra)
        .env_remove("SETTING_SOCKET")
        .env_remove("SETTING_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot run setting watch");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    (Watcher(child), rx)
}

/// The first line containing `needle`, reading at most `limit` lines; generous waits, because
/// this checks what is said, not how fast.
fn line_with(rx: &Receiver<String>, needle: &str, limit: usize) -> Option<String> {
    (0..limit)
        .map_while(|_| rx.recv_timeout(Duration::from_secs(30)).ok())
        .find(|line| line.contains(needle))
}

#[test]
fn plain_watch_streams_one_line_per_event() {
    let daemon = Daemon::start();
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    let (_watcher, rx) = watch(&daemon, &["--plain"]);
    let first = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("watch printed nothing");
    assert!(first.starts_with("watching "), "{first}");
    daemon.ok(json!({"op": "mute"}));
    let line = line_with(&rx, "mute", 200).expect("the watch never showed the mute");
    // `session-time  timeline-time  what happened`: plain text, not the full-screen view.
    assert!(!line.contains('\u{1b}'), "escape codes in {line:?}");
    assert!(!line.starts_with('{'), "JSON in plain mode: {line}");
}

#[test]
fn piped_watch_without_flags_is_still_lines_and_json_stays_json() {
    let daemon = Daemon::start();
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    let (_plain, plain_rx) = watch(&daemon, &[]);
    let (_json, json_rx) = watch(&daemon, &["--json"]);
    assert!(line_with(&plain_rx, "watching ", 1).is_some());
    // The JSON watch announces nothing when it is subscribed, so the room is muted and unmuted
    // until it hears one of them.
    let heard = (0..20).find_map(|i| {
        daemon.ok(json!({"op": if i % 2 == 0 { "mute" } else { "unmute" }}));
        json_rx
            .recv_timeout(Duration::from_secs(2))
            .ok()
            .filter(|line| line.contains("mute"))
    });
    let entry = heard.expect("the JSON watch never showed a mute");
    assert!(line_with(&plain_rx, "mute", 200).is_some());
    let entry: serde_json::Value = serde_json::from_str(&entry).expect("a JSON line");
    assert!(entry["session"].is_string(), "{entry}");
}
