//! The daemon over its real socket: sessions and overrides, several clients, malformed
//! requests, and surviving kill -9, SIGTERM and a corrupt state file.

use std::fs;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::Daemon;

const SCENE: &str = "sublingual";

fn kinds(overrides: &Value) -> Vec<String> {
    overrides
        .as_array()
        .expect("overrides list")
        .iter()
        .map(|o| o["kind"].as_str().unwrap().to_string())
        .collect()
}

/// The status with the fields that move on their own as time passes taken out, so that two
/// statuses taken a moment apart can be compared for what a request could have changed.
/// The status without the lights adapter's part: the demo's simulated lights connect and
/// report their availability on their own time, which no request changes.
fn without_lights(mut status: Value) -> Value {
    if let Some(map) = status.as_object_mut() {
        map.remove("lights");
    }
    if let Some(daemon) = status.get_mut("daemon").and_then(Value::as_object_mut) {
        daemon.remove("lights");
    }
    status
}

fn without_clock(mut status: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for key in ["session_time", "timeline_time", "elapsed", "remaining", "in_"] {
                    map.remove(key);
                }
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut status);
    status
}

fn has_event(entries: &[Value], event: &str) -> bool {
    entries.iter().any(|e| e["event"] == event)
}

#[test]
fn an_idle_daemon_reports_itself_and_no_session() {
    let daemon = Daemon::start();
    let status = daemon.status();
    assert_eq!(status["session"], Value::Null);
    assert_eq!(
        status["daemon"]["socket"],
        json!(daemon.socket().display().to_string())
    );
    assert_eq!(
        status["daemon"]["state_dir"],
        json!(daemon.state_dir().display().to_string())
    );
    assert_eq!(status["daemon"]["speed"], json!(1.0));
    assert!(!status["daemon"]["room"].as_str().unwrap().is_empty());
    assert_eq!(status["daemon"]["warnings"], json!([]));
    assert_eq!(daemon.ok(json!({"op": "ping"})), json!({"pong": true}));
    assert_eq!(daemon.ok(json!({"op": "sessions"})), json!([]));
}

#[test]
fn start_check_resume_and_emergency_show_in_status_and_log() {
    let daemon = Daemon::start();
    let started = daemon.ok(json!({"op": "start", "scene": SCENE, "id": 1}));
    assert_eq!(started["scene"], SCENE);
    assert_eq!(started["phase"]["index"], 0);
    let session = started["session"].as_str().unwrap().to_string();
    assert!(session.ends_with(&format!("-{SCENE}")), "{session}");

    let refused = daemon.request(json!({"op": "start", "scene": SCENE}));
    assert_eq!(refused["error"]["kind"], "refused", "{refused}");

    let reply = daemon.request(json!({"id": 7, "op": "check"}));
    assert_eq!(reply["id"], 7);
    assert_eq!(kinds(&reply["result"]["overrides"]), ["check"]);
    let status = daemon.status();
    assert_eq!(status["session"]["session"], json!(session));
    assert_eq!(kinds(&status["session"]["overrides"]), ["check"]);

    daemon.ok(json!({"op": "resume"}));
    assert_eq!(
        kinds(&daemon.status()["session"]["overrides"]),
        Vec::<String>::new()
    );

    daemon.ok(json!({"op": "emergency"}));
    let status = daemon.status();
    assert_eq!(kinds(&status["session"]["overrides"]), ["emergency"]);
    assert_eq!(status["session"]["overrides"][0]["target"], "room");

    let entries = daemon.entries();
    let started_check = entries
        .iter()
        .find(|e| e["event"] == "override_started" && e["kind"] == "check")
        .expect("the check is in the log");
    assert_eq!(started_check["source"]["via"], "socket");
    // The account's name, as `id` reads it from the same user database.
    let id = std::process::Command::new("id")
        .arg("-un")
        .output()
        .expect("id -un");
    let me = String::from_utf8_lossy(&id.stdout).trim().to_string();
    assert!(!me.is_empty(), "id -un names this account");
    assert_eq!(started_check["source"]["who"], json!(me));
    assert!(entries.iter().all(|e| e["session"] == json!(session)));
    assert!(has_event(&entries, "session_started"));
    assert!(
        entries
            .iter()
            .any(|e| e["event"] == "override_ended" && e["kind"] == "check")
    );
    assert!(
        entries
            .iter()
            .any(|e| e["event"] == "override_started" && e["kind"] == "emergency")
    );
}

#[test]
fn several_clients_are_served_at_once_while_others_stall() {
    let daemon = Daemon::start();
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    // Clients that hold a connection without finishing a request must block nobody.
    let mut silent = daemon.client();
    let mut half = daemon.client();
    half.send_raw(br#"{"op": "sta"#);
    let mut watcher = daemon.client();
    assert_eq!(watcher.request(json!({"op": "watch"}))["ok"], true);

    let started = Instant::now();
    thread::scope(|scope| {
        for n in 0..8 {
            let daemon = &daemon;
            scope.spawn(move || {
                let mut client = daemon.client();
                for i in 0..20 {
                    let id = n * 100 + i;
                    let reply = client.request(json!({"id": id, "op": "status"}));
                    assert_eq!(reply["id"], id);
                    assert_eq!(reply["ok"], true, "{reply}");
                }
            });
        }
    });
    assert!(started.elapsed() < Duration::from_secs(30));

    daemon.ok(json!({"op": "mute"}));
    let heard = (0..50)
        .map(|_| watcher.recv())
        .find(|entry| entry.to_string().contains("mute"));
    let entry = heard.expect("the watcher hears the mute");
    assert!(
        entry["session"].is_string() && entry["wall"].is_string(),
        "{entry}"
    );

    // The stalled clients are still connected and still get answers once they speak.
    half.send_raw(b"tus\"}\n");
    assert_eq!(half.recv()["ok"], true);
    assert_eq!(silent.request(json!({"op": "ping"}))["ok"], true);
}

#[test]
fn malformed_requests_get_an_error_and_change_nothing() {
    let daemon = Daemon::start();
    let idle_before = without_lights(daemon.status());
    let no_session = daemon.request(json!({"op": "next", "id": 3}));
    assert_eq!(no_session["error"]["kind"], "no_session", "{no_session}");
    assert_eq!(no_session["id"], 3);
    assert!(
        no_session["error"]["message"]
            .as_str()
            .unwrap()
            .contains("setting start")
    );
    assert_eq!(without_lights(daemon.status()), idle_before);

    daemon.ok(json!({"op": "start", "scene": SCENE}));
    let before = without_lights(without_clock(daemon.status()));
    let cases: [(&str, &[u8]); 10] = [
        ("not json", b"hello there\n"),
        ("an array", b"[1, 2]\n"),
        ("unknown op", b"{\"op\": \"fly\"}\n"),
        ("unknown field", b"{\"op\": \"check\", \"zonee\": \"mat-1\"}\n"),
        ("negative id", b"{\"id\": -1, \"op\": \"check\"}\n"),
        ("string id", b"{\"id\": \"x\", \"op\": \"check\"}\n"),
        ("bad duration", b"{\"op\": \"extend\", \"by\": \"soon\"}\n"),
        ("not utf-8", b"{\"op\": \"\xff\xfe\"}\n"),
        ("missing op", b"{\"scene\": \"sublingual\"}\n"),
        ("wrong type", b"{\"op\": \"volume\", \"delta_db\": \"loud\"}\n"),
    ];
    for (what, bytes) in cases {
        let text = daemon.raw(bytes);
        let reply: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: {e}: {text:?}"));
        assert_eq!(reply["ok"], false, "{what}: {reply}");
        assert_eq!(reply["error"]["kind"], "bad_request", "{what}: {reply}");
        assert!(!reply["error"]["message"].as_str().unwrap().is_empty(), "{what}");
        assert_eq!(
            without_lights(without_clock(daemon.status())),
            before,
            "{what} changed the status"
        );
    }

    // An id that can be read is echoed even when the rest is refused.
    let reply = daemon.request(json!({"id": 42, "op": "fly"}));
    assert_eq!(
        (reply["id"].clone(), reply["error"]["kind"].clone()),
        (json!(42), json!("bad_request"))
    );

    let mut oversized = vec![b' '; 64 * 1024 + 10];
    oversized.extend_from_slice(b"{\"op\": \"emergency\"}\n");
    let mut client = daemon.client();
    client.send_raw(&oversized);
    let reply = client.recv();
    assert_eq!(reply["error"]["kind"], "bad_request", "{reply}");
    assert!(client.is_closed(), "an oversized line closes the connection");
    assert_eq!(
        without_lights(without_clock(daemon.status())),
        before,
        "oversized line changed the status"
    );
    assert!(kinds(&daemon.status()["session"]["overrides"]).is_empty());
}

#[test]
fn kill_9_mid_session_resumes_phase_marks_and_overrides_with_the_downtime_counted() {
    let speed = 60.0;
    let mut daemon = Daemon::builder().speed(speed).start();
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    daemon.ok(json!({"op": "next"}));
    daemon.ok(json!({"op": "mark", "mark": "dose"}));
    daemon.ok(json!({"op": "check"}));
    let before = daemon.status()["session"].clone();
    let before_wall = Instant::now();
    assert!(before["marks"]["dose"].is_u64(), "{before}");

    daemon.kill9();
    thread::sleep(Duration::from_millis(1500));
    let restart_wall = Instant::now();
    daemon.restart();
    let after = daemon.status()["session"].clone();

    assert_eq!(after["session"], before["session"]);
    assert_eq!(after["marks"], before["marks"], "marks survive");
    assert_eq!(
        after["overrides"], before["overrides"],
        "the check is still active"
    );
    if before["phase"]["ends"] != "timer" {
        assert_eq!(after["phase"]["id"], before["phase"]["id"], "the same phase");
    } else {
        assert!(after["phase"]["index"].as_u64() >= before["phase"]["index"].as_u64());
    }
    // At least the session time before the kill plus the real time since then, at speed,
    // less a generous allowance for rounding and for the moments around the kill.
    let at_least = before["session_time"].as_u64().unwrap() as f64
        + (restart_wall - before_wall).as_secs_f64() * 1000.0 * speed
        - 5_000.0;
    let now = after["session_time"].as_u64().unwrap() as f64;
    assert!(
        now >= at_least,
        "session time {now} after restart, expected at least {at_least}"
    );

    let entries = daemon.entries();
    assert!(
        entries
            .iter()
            .any(|e| e["event"] == "mark_set" && e["mark"] == "dose"),
        "the log kept the dose"
    );
    let resumed = entries
        .iter()
        .find(|e| e["event"] == "session_resumed")
        .expect("the log shows the resume");
    assert!(resumed["downtime"].as_u64().unwrap() > 0, "{resumed}");
    // Nothing went wrong in the resume.
    let status = daemon.status();
    let warnings = status["daemon"]["warnings"].as_array().unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn a_corrupt_state_file_is_set_aside_and_the_daemon_starts_idle() {
    let mut daemon = Daemon::builder().prepare();
    let state_file = daemon.state_dir().join("session.json");
    fs::write(&state_file, b"{\"version\": 1, \"snapshot\": garbage").unwrap();
    daemon.launch();

    let status = daemon.status();
    assert_eq!(status["session"], Value::Null);
    let warnings = status["daemon"]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].as_str().unwrap().contains("damaged"), "{warnings:?}");
    assert!(!state_file.exists());
    let aside: Vec<_> = fs::read_dir(daemon.state_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("session.json.damaged-")
        })
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(
        fs::read(&aside[0]).unwrap(),
        b"{\"version\": 1, \"snapshot\": garbage"
    );
    assert!(
        warnings[0].as_str().unwrap().contains(aside[0].to_str().unwrap()),
        "{warnings:?}"
    );

    daemon.ok(json!({"op": "start", "scene": SCENE}));
    assert!(state_file.exists(), "the new session is saved");
    assert_eq!(daemon.status()["session"]["scene"], SCENE);
}

#[test]
fn a_state_file_naming_a_phase_the_scene_lacks_is_set_aside() {
    let mut daemon = Daemon::start();
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    daemon.kill9();
    let state_file = daemon.state_dir().join("session.json");
    let mut saved: Value = serde_json::from_slice(&fs::read(&state_file).unwrap()).unwrap();
    saved["snapshot"]["state"]["phase"] = json!(99);
    fs::write(&state_file, serde_json::to_vec(&saved).unwrap()).unwrap();
    daemon.launch();

    let status = daemon.status();
    assert_eq!(status["session"], Value::Null);
    let warnings = status["daemon"]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .contains("`snapshot.state.phase` is 99, but the scene has only 8 phases"),
        "{warnings:?}"
    );
    assert!(!state_file.exists());
    daemon.ok(json!({"op": "start", "scene": SCENE}));
}

#[test]
fn sigterm_saves_the_session_and_the_next_start_resumes_it() {
    let mut daemon = Daemon::builder().speed(10.0).start();
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    daemon.ok(json!({"op": "next"}));
    daemon.ok(json!({"op": "hold"}));
    let before = daemon.status()["session"].clone();

    let exit = daemon.terminate();
    assert!(exit.success(), "settingd exited with {exit}");
    assert!(
        daemon.state_dir().join("session.json").exists(),
        "the session stays resumable"
    );
    assert!(!daemon.socket().exists(), "a clean exit removes its socket");

    daemon.launch();
    let after = daemon.status()["session"].clone();
    assert_eq!(after["session"], before["session"]);
    assert_eq!(after["phase"]["id"], before["phase"]["id"]);
    assert_eq!(after["held"], true);
    assert!(after["session_time"].as_u64() >= before["session_time"].as_u64());
    let entries = daemon.entries();
    assert!(
        entries.iter().any(|e| e["event"] == "daemon_stopped"),
        "stop is logged"
    );
    assert!(has_event(&entries, "session_resumed"));
}

#[test]
fn stop_ends_the_session_keeps_its_log_and_forgets_its_state() {
    let daemon = Daemon::start();
    let session = daemon.ok(json!({"op": "start", "scene": SCENE}))["session"].clone();
    let stopped = daemon.ok(json!({"op": "stop"}));
    assert_eq!(stopped["finished"], true, "{stopped}");
    assert_eq!(daemon.status()["session"], Value::Null);
    assert!(!daemon.state_dir().join("session.json").exists());
    let no_session = daemon.request(json!({"op": "check"}));
    assert_eq!(no_session["error"]["kind"], "no_session");

    let sessions = daemon.ok(json!({"op": "sessions"}));
    assert_eq!(sessions.as_array().unwrap().len(), 1);
    assert_eq!(sessions[0]["session"], session);
    assert_eq!(sessions[0]["scene"], SCENE);
    assert!(sessions[0]["ended"].is_string(), "{sessions}");
    let report = daemon.ok(json!({"op": "report", "session": session}));
    assert!(has_event(report["entries"].as_array().unwrap(), "session_ended"));
    assert_eq!(report["skipped_lines"], 0);

    let bad = daemon.request(json!({"op": "report", "session": "../../etc"}));
    assert_eq!(bad["error"]["kind"], "bad_request");
    let unknown = daemon.request(json!({"op": "report", "session": "20000101-000000-none"}));
    assert_eq!(unknown["error"]["kind"], "refused");

    // A new session can start at once, even within the same second.
    let again = daemon.ok(json!({"op": "start", "scene": SCENE}))["session"].clone();
    assert_ne!(again, session);
}

#[test]
fn an_unknown_scene_is_refused_with_its_reason() {
    let daemon = Daemon::start();
    for scene in ["no-such-scene", "../config/settingd"] {
        let reply = daemon.request(json!({"op": "start", "scene": scene}));
        assert_eq!(reply["error"]["kind"], "refused", "{reply}");
        assert!(
            reply["error"]["message"].as_str().unwrap().contains(scene),
            "{reply}"
        );
    }
    assert_eq!(daemon.status()["session"], Value::Null);
}

#[test]
fn an_emergency_with_no_session_still_lights_the_room() {
    let daemon = Daemon::start();
    let reply = daemon.request(json!({"id": 9, "op": "emergency"}));
    assert_eq!(reply["ok"], true, "{reply}");
    let zones = reply["result"]["emergency_zones"]
        .as_array()
        .expect("zones lit")
        .clone();
    assert!(!zones.is_empty());
    // The logging adapter says what it set; every zone of the room must have been told.
    let log = daemon.log_text();
    for zone in &zones {
        let line = format!("lights: set look zone={zone} brightness=100");
        assert!(log.contains(&line), "no {line:?} in:\n{log}");
    }
    assert_eq!(daemon.status()["session"], Value::Null);
    let unknown = daemon.request(json!({"op": "emergency", "zone": "mat-99"}));
    assert_eq!(unknown["error"]["kind"], "refused", "{unknown}");
}
