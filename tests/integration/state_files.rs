//! The daemon's own files with something planted in their place or values no session could
//! have, and requests that say a key twice, against the real daemon: it answers at once,
//! starts idle saying why, never follows a link, and does nothing a request did not clearly ask.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::Daemon;

const SCENE: &str = "sublingual";

fn state_file(daemon: &Daemon) -> PathBuf {
    daemon.state_dir().join("session.json")
}

fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).expect("no NUL");
    // SAFETY: mkfifo(3) with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "mkfifo");
}

/// Launches the prepared daemon and returns how long it took to answer.
fn launch_timed(daemon: &mut Daemon) -> Duration {
    let started = Instant::now();
    daemon.launch();
    started.elapsed()
}

/// The daemon's warnings, as one string per warning.
fn warnings(daemon: &Daemon) -> Vec<String> {
    daemon.status()["daemon"]["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w.as_str().expect("a warning is text").to_string())
        .collect()
}

/// What the state directory holds that was set aside.
fn set_aside(daemon: &Daemon) -> Vec<PathBuf> {
    fs::read_dir(daemon.state_dir())
        .expect("state dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("session.json.damaged-"))
        })
        .collect()
}

/// Resident memory of the daemon, in KiB.
fn rss_kib(daemon: &Daemon) -> u64 {
    let status =
        fs::read_to_string(format!("/proc/{}/status", daemon.pid().expect("running"))).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

#[test]
fn a_fifo_at_the_state_file_is_set_aside_and_the_daemon_answers_at_once() {
    let mut daemon = Daemon::builder().prepare();
    mkfifo(&state_file(&daemon));
    let took = launch_timed(&mut daemon);
    // Launching waits for the lights too; well under a second here, never the harness's 15 s
    // a daemon blocked opening the FIFO ran into.
    assert!(took < Duration::from_secs(3), "took {took:?} to answer");

    let status = daemon.status();
    assert_eq!(status["session"], Value::Null);
    let warnings = warnings(&daemon);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("is a FIFO, not a regular file"),
        "{warnings:?}"
    );
    assert_eq!(set_aside(&daemon).len(), 1);
    // The next session saves as usual.
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    assert!(fs::metadata(state_file(&daemon)).expect("saved").is_file());
}

#[test]
fn a_link_to_dev_zero_at_the_state_file_is_refused_unread() {
    let mut daemon = Daemon::builder().prepare();
    symlink("/dev/zero", state_file(&daemon)).unwrap();
    daemon.launch();

    assert_eq!(daemon.status()["session"], Value::Null);
    let warnings = warnings(&daemon);
    assert!(
        warnings.iter().any(|w| w.contains("is a symbolic link")),
        "{warnings:?}"
    );
    // A few seconds of reading /dev/zero took gigabytes; the daemon must not have read it.
    std::thread::sleep(Duration::from_secs(1));
    let rss = rss_kib(&daemon);
    assert!(rss < 512 * 1024, "the daemon holds {rss} KiB");
    let aside = set_aside(&daemon);
    assert_eq!(aside.len(), 1);
    assert_eq!(fs::read_link(&aside[0]).unwrap(), Path::new("/dev/zero"));
}

#[test]
fn a_link_planted_at_the_temporary_copy_is_never_written_through() {
    let daemon = Daemon::start();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    fs::write(&victim, b"precious").unwrap();
    symlink(&victim, daemon.state_dir().join("session.json.tmp")).unwrap();

    // A start saves the session, as does every command after it.
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    daemon.ok(json!({"op": "mark", "mark": "dose"}));
    assert_eq!(fs::read(&victim).unwrap(), b"precious");
    let saved: Value = serde_json::from_slice(&fs::read(state_file(&daemon)).unwrap()).unwrap();
    assert!(saved["snapshot"]["state"]["marks"]["dose"].is_u64(), "{saved}");
    let warnings = warnings(&daemon);
    assert!(
        warnings.iter().all(|w| !w.contains("not being saved")),
        "{warnings:?}"
    );
}

/// Runs a session, stops the daemon hard, changes the saved session with `spoil`, and
/// restarts it: the warnings it starts with.
fn restart_with_a_spoilt_state_file(spoil: impl FnOnce(&mut Value)) -> (Daemon, Vec<String>) {
    let mut daemon = Daemon::builder().speed(60.0).start();
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    daemon.kill9();
    let path = state_file(&daemon);
    let mut saved: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    spoil(&mut saved);
    fs::write(&path, serde_json::to_vec_pretty(&saved).unwrap()).unwrap();
    daemon.launch();
    assert_eq!(daemon.status()["session"], Value::Null, "{}", daemon.log_text());
    let warnings = warnings(&daemon);
    assert!(!state_file(&daemon).exists());
    assert_eq!(set_aside(&daemon).len(), 1);
    (daemon, warnings)
}

#[test]
fn a_state_file_at_the_end_of_time_starts_the_daemon_idle_naming_the_field() {
    let (_daemon, warnings) = restart_with_a_spoilt_state_file(|s| s["session_time"] = json!(u64::MAX));
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("`session_time` is 18446744073709551615 ms")),
        "{warnings:?}"
    );
}

#[test]
fn a_state_file_with_speed_zero_starts_the_daemon_idle_naming_the_field() {
    let (_daemon, warnings) = restart_with_a_spoilt_state_file(|s| s["speed"] = json!(0.0));
    assert!(
        warnings.iter().any(|w| w.contains("`speed` is 0")),
        "{warnings:?}"
    );
}

#[test]
fn a_state_file_with_an_emergency_that_lights_nothing_starts_the_daemon_idle_naming_the_field() {
    let (_daemon, warnings) = restart_with_a_spoilt_state_file(|s| {
        s["snapshot"]["policy"]["emergency"]["look"]["brightness"] = json!(0.0)
    });
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("`snapshot.policy.emergency.look.brightness` is 0 %")),
        "{warnings:?}"
    );
}

fn override_kinds(daemon: &Daemon) -> Vec<Value> {
    daemon.status()["session"]["overrides"]
        .as_array()
        .expect("overrides")
        .iter()
        .map(|o| o["kind"].clone())
        .collect()
}

#[test]
fn a_request_saying_a_key_twice_is_refused_and_does_nothing() {
    let daemon = Daemon::start();
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    for (line, key) in [
        (&br#"{"op":"status","op":"emergency"}"#[..], "op"),
        (br#"{"op":"check","zone":"mat-1","zone":"room"}"#, "zone"),
    ] {
        let mut request = line.to_vec();
        request.push(b'\n');
        let reply: Value = serde_json::from_str(&daemon.raw(&request)).expect("a JSON reply");
        assert_eq!(reply["ok"], json!(false), "{reply}");
        assert_eq!(reply["error"]["kind"], "bad_request", "{reply}");
        let message = reply["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!("the key `{key}` appears more than once")),
            "{reply}"
        );
    }
    assert_eq!(override_kinds(&daemon), Vec::<Value>::new());
    let entries = daemon.entries();
    assert!(
        !entries
            .iter()
            .any(|e| e["event"] == "override_started" || e["event"] == "command" && e["command"] != "start"),
        "{entries:?}"
    );
}
