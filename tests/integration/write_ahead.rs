//! The event log as the write-ahead log, against the real daemon on a real state disk: kill -9
//! while a command is in flight, a disk that fills up, a state directory that turns read-only. After
//! each, the state the daemon resumes with is what the log says, and nothing acknowledged is
//! missing from it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Daemon, eventually};

const SCENE: &str = "sublingual";
const PATIENCE: Duration = Duration::from_secs(20);

/// A small tmpfs mounted over a directory for one test, unmounted when dropped. The tests
/// run as root in CI, where mount(8) works; elsewhere they say why they cannot run.
struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    fn mount(path: &Path, size: &str) -> Tmpfs {
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0755"), "tmpfs"])
            .arg(path)
            .status()
            .expect("run mount");
        assert!(
            mounted.success(),
            "these tests need to mount a small tmpfs as the state disk (run them as root)"
        );
        Tmpfs {
            path: path.to_path_buf(),
        }
    }

    /// Fills the disk with a file, leaving nothing free.
    fn fill(&self) -> PathBuf {
        let n = fs::read_dir(&self.path).map_or(0, |d| d.count());
        let filler = self.path.join(format!("filler-{n}"));
        let mut file = fs::File::create(&filler).expect("filler");
        let block = vec![0u8; 4096];
        use std::io::Write;
        while file.write_all(&block).is_ok() {}
        let _ = file.write_all(&[0u8; 1]);
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

/// The daemon with its state directory on a tmpfs of `size`.
fn daemon_on_tmpfs(size: &str) -> (Daemon, Tmpfs) {
    let mut daemon = Daemon::builder().speed(60.0).prepare();
    let disk = Tmpfs::mount(daemon.state_dir(), size);
    daemon.launch();
    (daemon, disk)
}

fn setting(daemon: &Daemon, args: &[&str]) -> std::process::Output {
    crate::support::setting_against(daemon, args)
}

/// Entries of the session's log on disk, read directly (not through the daemon).
fn log_on_disk(daemon: &Daemon) -> Vec<Value> {
    let sessions = daemon.state_dir().join("sessions");
    let dir = fs::read_dir(&sessions)
        .expect("sessions dir")
        .map(|e| e.expect("entry").path())
        .max()
        .expect("a session");
    fs::read_to_string(dir.join("events.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn count(entries: &[Value], event: &str, command: Option<&str>) -> usize {
    entries
        .iter()
        .filter(|e| e["event"] == event && command.is_none_or(|c| e["command"] == c))
        .count()
}

/// Checks active in the session, as status says.
fn checks_in_status(daemon: &Daemon) -> usize {
    daemon.status()["session"]["overrides"]
        .as_array()
        .map_or(0, |o| o.iter().filter(|o| o["kind"] == "check").count())
}

/// Checks the log says are active: started and not ended.
fn checks_in_log(entries: &[Value]) -> usize {
    let mut active: i64 = 0;
    for e in entries {
        if e["kind"] == "check" {
            match e["event"].as_str() {
                Some("override_started") => active += 1,
                Some("override_ended") => active -= 1,
                _ => {}
            }
        }
    }
    active.max(0) as usize
}

#[test]
fn kill_9_while_a_check_is_in_flight_leaves_state_and_record_agreeing() {
    let mut daemon = Daemon::builder().speed(60.0).start();
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    for attempt in 0..15u64 {
        let mut client = daemon.client();
        client.send(&json!({"op": "check"}));
        // A spread of moments: before, during and after the write.
        thread::sleep(Duration::from_micros(attempt * 700));
        daemon.kill9();
        daemon.restart();
        let entries = daemon.entries();
        assert_eq!(
            checks_in_status(&daemon),
            checks_in_log(&entries),
            "attempt {attempt}: status and the log disagree about the check\n{}",
            daemon.log_text()
        );
        if checks_in_status(&daemon) > 0 {
            daemon.ok(json!({"op": "resume", "all": true}));
        }
    }
    assert_eq!(
        count(&daemon.entries(), "command", Some("check")),
        count(&daemon.entries(), "override_started", None),
        "every check recorded was carried out"
    );
}

#[test]
fn on_a_full_disk_acknowledged_means_on_disk_and_the_emergency_is_kept() {
    let (mut daemon, disk) = daemon_on_tmpfs("4m");
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    daemon.ok(json!({"op": "next"}));
    let filler = disk.fill();

    // The log's last block may still have room for a few entries: until it is used up,
    // commands are taken, and each one taken is on disk.
    let mut taken = 0;
    let refused = (0..400).find_map(|_| {
        let out = setting(&daemon, &["volume", "-0.5"]);
        if out.status.success() {
            taken += 1;
            None
        } else {
            Some(out)
        }
    });
    let refused = refused.expect("a full disk refuses commands at last");
    let said = String::from_utf8_lossy(&refused.stderr).to_string();
    assert_eq!(
        refused.status.code(),
        Some(6),
        "not recorded has its own exit code: {said}"
    );
    assert!(
        said.contains("not recorded: the state disk is full; nothing was changed"),
        "{said}"
    );
    assert_eq!(
        count(&log_on_disk(&daemon), "command", Some("volume")),
        taken,
        "every volume step acknowledged is on disk, and none refused"
    );
    let before = daemon.status()["session"]["volume_offset_db"].clone();
    for refused in [
        json!({"op": "extend", "by": "5m"}),
        json!({"op": "hold"}),
        json!({"op": "volume", "delta_db": -3.0}),
        // A reading or a note is refused too, so it is written down by hand, not lost.
        json!({"op": "vitals", "systolic": 128, "diastolic": 82, "pulse": 72}),
        json!({"op": "note", "text": "client asked for water"}),
    ] {
        let reply = daemon.request(refused.clone());
        assert_eq!(reply["error"]["kind"], "not_recorded", "{refused}: {reply}");
    }
    let on_disk = log_on_disk(&daemon);
    assert_eq!(count(&on_disk, "vitals", None) + count(&on_disk, "note", None), 0);
    assert_eq!(
        daemon.status()["session"]["volume_offset_db"],
        before,
        "nothing changed"
    );
    let warnings = daemon.status()["daemon"]["warnings"].to_string();
    assert!(
        warnings.contains("EVENTS NOT RECORDED"),
        "status is loud: {warnings}"
    );

    // The check goes through and is on disk: the space kept back for it.
    let check = setting(&daemon, &["check"]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert_eq!(count(&log_on_disk(&daemon), "command", Some("check")), 1);
    daemon.kill9();
    daemon.restart();
    assert_eq!(
        checks_in_status(&daemon),
        1,
        "the acknowledged check survived kill -9"
    );

    // With the reserve spent and the disk full again, an emergency is still carried out,
    // held in memory.
    let filler_2 = disk.fill();
    let reply = daemon.ok(json!({"op": "emergency"}));
    let shown = String::from_utf8_lossy(&setting(&daemon, &["status"]).stdout).to_string()
        + &String::from_utf8_lossy(&setting(&daemon, &["status"]).stderr);
    assert!(
        shown.contains("EVENTS NOT RECORDED"),
        "`setting status` shows it:\n{shown}"
    );
    let held = reply["unrecorded"].as_u64().unwrap_or(0);

    // Space comes back: what was held is written in order, the gap is marked, and
    // commands are taken again.
    fs::remove_file(filler).expect("free the disk");
    fs::remove_file(filler_2).expect("free the disk");
    let reply = eventually(PATIENCE, || {
        let reply = daemon.request(json!({"op": "volume", "delta_db": -3.0}));
        (reply["ok"] == true).then_some(reply)
    });
    assert!(reply.is_some(), "commands are taken once the disk has room");
    let entries = log_on_disk(&daemon);
    assert_eq!(count(&entries, "log_gap", None), 1, "the gap is marked once");
    assert_eq!(
        count(&entries, "command", Some("emergency")),
        1,
        "the emergency is recorded"
    );
    assert_eq!(
        count(&entries, "command", Some("extend")),
        0,
        "a refused command is not"
    );
    assert!(
        entries.iter().any(|e| e["event"] == "error"
            && e["message"]
                .as_str()
                .is_some_and(|m| m.contains("stopped while the state disk was full"))),
        "the restart on a full disk says what may be missing"
    );
    let gap = entries.iter().find(|e| e["event"] == "log_gap").unwrap();
    assert!(gap["held"].as_u64() >= Some(held), "{gap}");
    let seqs: Vec<u64> = entries.iter().filter_map(|e| e["seq"].as_u64()).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "numbered without gaps: {seqs:?}"
    );
    daemon.kill9();
    daemon.restart();
    let kinds: Vec<Value> = daemon.status()["session"]["overrides"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["kind"].clone())
        .collect();
    assert!(
        kinds.contains(&json!("emergency")),
        "resumed from the log: {kinds:?}"
    );
}

#[test]
fn a_read_only_state_directory_then_kill_9_resumes_what_the_log_says() {
    use std::os::unix::fs::PermissionsExt;
    // As installed: the daemon's own user, for whom a read-only directory is read-only.
    let mut daemon = Daemon::builder().speed(60.0).user(65534, 65534).start();
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    daemon.ok(json!({"op": "next"}));
    let state = daemon.state_dir().to_path_buf();
    fs::set_permissions(&state, fs::Permissions::from_mode(0o555)).unwrap();
    daemon.ok(json!({"op": "mark", "mark": "dose"}));
    daemon.ok(json!({"op": "check"}));
    let before = daemon.status()["session"].clone();
    daemon.kill9();
    fs::set_permissions(&state, fs::Permissions::from_mode(0o755)).unwrap();
    daemon.restart();
    let after = daemon.status()["session"].clone();
    assert_eq!(after["phase"]["id"], before["phase"]["id"], "{after}");
    assert!(after["marks"]["dose"].is_u64(), "the dose mark is back: {after}");
    assert_eq!(after["overrides"][0]["kind"], "check", "{after}");
    let entries = daemon.entries();
    let last_phase = entries
        .iter()
        .rfind(|e| e["event"] == "phase_entered")
        .expect("phases");
    assert_eq!(
        last_phase["id"], after["phase"]["id"],
        "the report and status agree"
    );
    let resumed = entries
        .iter()
        .find(|e| e["event"] == "session_resumed")
        .expect("the restart is logged");
    assert!(resumed["replayed"].as_u64() >= Some(2), "{resumed}");
}

#[test]
fn a_symlink_planted_at_the_log_is_not_followed() {
    let mut daemon = Daemon::builder().speed(60.0).start();
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    let session = daemon.status()["session"]["session"]
        .as_str()
        .unwrap()
        .to_string();
    daemon.kill9();
    let victim = daemon.state_dir().join("victim");
    fs::write(&victim, "untouched\n").unwrap();
    let log = daemon
        .state_dir()
        .join("sessions")
        .join(&session)
        .join("events.jsonl");
    fs::remove_file(&log).unwrap();
    std::os::unix::fs::symlink(&victim, &log).unwrap();
    daemon.restart();
    let _ = daemon.request(json!({"op": "volume", "delta_db": -1.0}));
    assert_eq!(fs::read_to_string(&victim).unwrap(), "untouched\n");
}
