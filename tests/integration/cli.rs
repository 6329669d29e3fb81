//! The `setting` binary as people run it: exit codes, what it says when the daemon is not
//! there, the local commands on the shipped files, and a session steered against a real
//! `settingd`.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{Daemon, setting, setting_against as against, setting_local as local};

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("setting exited by a signal")
}

#[track_caller]
fn assert_code(out: &Output, expected: i32) {
    assert_eq!(
        code(out),
        expected,
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", stdout(out)))
}

#[test]
fn no_daemon_exits_3_naming_the_socket_it_tried() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("nobody-here.sock");
    let out = setting(&["--socket", socket.to_str().unwrap(), "check"]);
    assert_code(&out, 3);
    let err = stderr(&out);
    assert!(err.contains("settingd is not running"), "{err}");
    assert!(err.contains(socket.to_str().unwrap()), "{err}");
    assert!(out.stdout.is_empty(), "nothing on stdout when nothing was done");
}

#[test]
fn a_socket_left_by_a_dead_daemon_is_not_running_too() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&socket).unwrap());
    assert!(socket.exists());
    let out = Command::new(env!("CARGO_BIN_EXE_setting"))
        .arg("status")
        .env("SETTING_SOCKET", &socket)
        .output()
        .unwrap();
    assert_code(&out, 3);
    assert!(
        stderr(&out).contains(socket.to_str().unwrap()),
        "{}",
        stderr(&out)
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_code(&setting(&["volume", "loud"]), 2);
    assert_code(&setting(&["mark", "lozenge"]), 2);
    assert_code(&setting(&["fly"]), 2);
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("s.sock");
    // A bad duration is refused before anything is sent, even with no daemon.
    let out = setting(&["--socket", socket.to_str().unwrap(), "extend", "ten minutes"]);
    assert_code(&out, 2);
    assert!(stderr(&out).contains("ten minutes"), "{}", stderr(&out));
}

#[test]
fn validate_passes_on_the_shipped_files() {
    let out = local(&["validate"]);
    assert_code(&out, 0);
    assert!(
        stdout(&out).is_empty(),
        "no diagnostics expected:\n{}",
        stdout(&out)
    );
}

#[test]
fn validate_names_file_line_and_column_of_a_broken_scene() {
    let dir = tempfile::tempdir().unwrap();
    // Under `scenes/`, as a scene would be, in case the file's place says what it is.
    std::fs::create_dir(dir.path().join("scenes")).unwrap();
    let scene = dir.path().join("scenes/broken.toml");
    std::fs::write(
        &scene,
        "title = \"Broken\"\n[[phase]]\nid = \"arrival\"\nplanned = \"ten minutes\"\n",
    )
    .unwrap();
    let out = local(&["validate", scene.to_str().unwrap()]);
    assert_ne!(
        code(&out),
        0,
        "a broken scene must fail validation:\n{}",
        stdout(&out)
    );
    let text = stdout(&out);
    let prefix = format!("{}:", scene.display());
    let located = text.lines().any(|line| {
        let Some(rest) = line.strip_prefix(&prefix) else {
            return false;
        };
        let mut parts = rest.splitn(3, ':');
        let line_no = parts.next().and_then(|l| l.parse::<usize>().ok());
        let col = parts.next().and_then(|c| c.parse::<usize>().ok());
        line_no.is_some() && col.is_some()
    });
    assert!(located, "expected a `{prefix}LINE:COL: message` line in:\n{text}");
}

#[test]
fn plan_json_lists_the_phases_in_order() {
    let out = local(&["plan", "sublingual", "--json"]);
    assert_code(&out, 0);
    let plan = json(&out);
    assert_eq!(plan["scene"], "sublingual");
    let phases = plan["phases"].as_array().expect("phases");
    assert!(
        phases.len() >= 5,
        "a sublingual session has at least five phases: {phases:?}"
    );
    let starts: Vec<u64> = phases
        .iter()
        .map(|p| p["start"].as_u64().expect("start in ms"))
        .collect();
    assert_eq!(starts[0], 0);
    assert!(
        starts.windows(2).all(|w| w[0] < w[1]),
        "starts must increase: {starts:?}"
    );
    for p in phases {
        assert!(p["end"].as_u64().unwrap() > p["start"].as_u64().unwrap(), "{p}");
    }
    assert!(
        plan["marks"].as_array().is_some_and(|m| !m.is_empty()),
        "the dose is marked in the plan"
    );
}

#[test]
fn plan_text_shows_phases_and_an_unknown_scene_is_bad_input() {
    let out = local(&["plan", "sublingual"]);
    assert_code(&out, 0);
    assert!(stdout(&out).contains("timeline"), "{}", stdout(&out));
    let out = local(&["plan", "no-such-scene"]);
    assert_code(&out, 2);
    assert!(stderr(&out).contains("no-such-scene"), "{}", stderr(&out));
}

#[test]
fn report_reads_a_log_file_without_a_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("events.jsonl");
    let lines = [
        r#"{"wall":"2025-01-01T09:00:00.000Z","session":"s1","at":0,"timeline":0,"event":"session_started","scene":"sublingual","session":"s1"}"#,
        r#"{"wall":"2025-01-01T09:00:00.000Z","session":"s1","at":0,"timeline":0,"event":"phase_entered","index":0,"id":"arrival","title":"Arrival","reason":"session start","source":{"via":"socket","who":null}}"#,
        r#"{"wall":"2025-01-01T09:10:00.000Z","session":"s1","at":600000,"timeline":600000,"event":"session_ended","reason":"stopped by the therapist","source":{"via":"socket","who":null}}"#,
        r#"{"wall":"2025-01-01T09:10:"#,
    ];
    std::fs::write(&log, lines.join("\n")).unwrap();
    let out = setting(&["report", "--log", log.to_str().unwrap()]);
    assert_code(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("Arrival"), "{text}");
    assert!(text.contains("stopped by the therapist"), "{text}");
    assert!(text.contains("1 unreadable lines"), "{text}");

    let out = setting(&["report", "--json", "--log", log.to_str().unwrap()]);
    assert_code(&out, 0);
    assert_eq!(json(&out)["phases"][0]["duration"], 600_000);

    let out = setting(&[
        "report",
        "--log",
        dir.path().join("missing.jsonl").to_str().unwrap(),
    ]);
    assert_code(&out, 2);
}

#[test]
fn a_session_steered_from_the_cli() {
    let daemon = Daemon::start();

    let out = against(&daemon, &["status"]);
    assert_code(&out, 0);
    assert!(stdout(&out).starts_with("no session running"), "{}", stdout(&out));

    let out = against(&daemon, &["start", "sublingual"]);
    assert_code(&out, 0);
    assert!(
        stdout(&out).contains("started scene sublingual"),
        "{}",
        stdout(&out)
    );

    let out = against(&daemon, &["status", "--json"]);
    assert_code(&out, 0);
    let status = json(&out);
    assert_eq!(status["session"]["scene"], "sublingual");
    assert_eq!(status["session"]["phase"]["index"], 0);
    assert_eq!(status["session"]["overrides"], Value::Array(vec![]));

    let out = against(&daemon, &["check"]);
    assert_code(&out, 0);
    assert!(stdout(&out).contains("check on"), "{}", stdout(&out));
    let status = json(&against(&daemon, &["status", "--json"]));
    assert_eq!(status["session"]["overrides"][0]["kind"], "check");

    let out = against(&daemon, &["status"]);
    assert!(
        stdout(&out).contains("OVERRIDE  check (room)"),
        "{}",
        stdout(&out)
    );

    let out = against(&daemon, &["resume"]);
    assert_code(&out, 0);
    assert!(stdout(&out).contains("scene comes back"), "{}", stdout(&out));
    let status = json(&against(&daemon, &["status", "--json"]));
    assert_eq!(status["session"]["overrides"], Value::Array(vec![]));

    // Nothing left to resume: refused, with the daemon's reason, and nothing changed.
    let out = against(&daemon, &["resume"]);
    assert_code(&out, 1);
    assert!(!stderr(&out).trim().is_empty());

    let out = against(&daemon, &["volume", "-3"]);
    assert_code(&out, 0);
    let status = json(&against(&daemon, &["status", "--json"]));
    assert_eq!(status["session"]["volume_offset_db"], -3.0);

    // A second session while one runs is refused.
    assert_code(&against(&daemon, &["start", "sublingual"]), 1);

    let out = against(&daemon, &["stop"]);
    assert_code(&out, 0);
    assert_code(&against(&daemon, &["check"]), 1);

    let out = against(&daemon, &["report", "--json"]);
    assert_code(&out, 0);
    let report = json(&out);
    assert_eq!(report["scene"], "sublingual");
    assert_eq!(report["overrides"][0]["kind"], "check");
    assert!(
        report["overrides"][0]["end"].is_object(),
        "the check was ended: {report}"
    );
    assert_eq!(report["end_reason"], "stopped by the therapist");

    let out = against(&daemon, &["sessions"]);
    assert_code(&out, 0);
    assert!(stdout(&out).contains("sublingual"), "{}", stdout(&out));

    // The same story straight from the file, with no daemon asked.
    let session = report["session"].as_str().unwrap();
    let log = daemon
        .state_dir()
        .join("sessions")
        .join(session)
        .join("events.jsonl");
    assert!(Path::new(&log).exists(), "{}", log.display());
    let from_file = json(&setting(&["report", "--json", "--log", log.to_str().unwrap()]));
    assert_eq!(from_file, report);
}
