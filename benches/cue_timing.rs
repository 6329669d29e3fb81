//! Cue timing of a real `settingd`: how late each cue is, against the quality bar (within
//! 10 ms, no drift over a three-hour session), beside a naive sum-of-sleeps scheduler measured
//! in the same run.
//!
//! Run with `cargo bench --bench cue_timing`; `CUE_BENCH_SPEED` (default 120) sets the
//! rehearsal speed, so the three hours take 90 s of real time at the default.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// A cue every session minute across three hours.
const CUES: u32 = 180;

const SCENE: &str = r#"
title = "Cue timing"
description = "One timer phase of three hours with a prompt every minute."
kind = "individual"

[[phase]]
id = "long"
title = "Long"
planned = "3h"
ends = "timer"
[phase.light.room]
brightness = 10
kelvin = 2200

[[phase.cue]]
at = "phase+1m"
prompt = "tick"
repeat = { every = "1m", times = 179 }
"#;

fn main() {
    let speed: f64 = std::env::var("CUE_BENCH_SPEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(120.0);
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    for sub in ["scenes", "playlists", "media", "state"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    std::fs::write(root.join("scenes/timing.toml"), SCENE).unwrap();
    std::fs::write(
        root.join("settingd.toml"),
        "[room]\nname = \"bench\"\n[[room.zone]]\nname = \"room\"\n\n[paths]\nscenes = \"scenes\"\nplaylists = \"playlists\"\nmedia = \"media\"\n",
    )
    .unwrap();
    let socket = root.join("settingd.sock");
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_settingd"))
        .arg("--config")
        .arg(root.join("settingd.toml"))
        .arg("--socket")
        .arg(&socket)
        .arg("--state-dir")
        .arg(root.join("state"))
        .arg("--speed")
        .arg(speed.to_string())
        .arg("--log-level")
        .arg("error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("settingd starts");

    let watch = connect(&socket);
    let mut lines = BufReader::new(watch.try_clone().unwrap()).lines();
    send(&watch, r#"{"op":"watch"}"#);
    lines.next();
    let control = connect(&socket);
    send(&control, r#"{"op":"start","scene":"timing"}"#);

    // The peer: the same schedule kept by sleeping one interval after another.
    let interval = Duration::from_secs_f64(60.0 / speed);
    let naive = thread::spawn(move || {
        let t0 = Instant::now();
        (1..=CUES)
            .map(|i| {
                thread::sleep(interval);
                (t0.elapsed().as_secs_f64() - interval.as_secs_f64() * i as f64) * 1000.0
            })
            .collect::<Vec<f64>>()
    });

    let mut start_wall = None;
    let mut lateness = Vec::new();
    for line in lines {
        let Ok(line) = line else { break };
        let entry: Value = serde_json::from_str(&line).expect("a log entry");
        let wall = wall_ms(entry["wall"].as_str().unwrap());
        match entry["event"].as_str() {
            Some("session_started") => start_wall = Some(wall),
            Some("cue_fired") => {
                let due = start_wall.unwrap() + entry["at"].as_f64().unwrap() / speed;
                lateness.push(wall - due);
            }
            Some("session_ended") => break,
            _ => {}
        }
        if lateness.len() as u32 == CUES - 1 {
            break;
        }
    }
    let naive = naive.join().unwrap();
    let _ = daemon.kill();
    let _ = daemon.wait();

    println!(
        "cue timing over a 3 h session at {speed}x ({} cues)",
        lateness.len()
    );
    report("settingd (deadline against the monotonic clock)", &lateness);
    report("peer: sum of sleeps, same schedule", &naive);
}

fn report(name: &str, lateness_ms: &[f64]) {
    let mut sorted = lateness_ms.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pick = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    let drift = lateness_ms.last().unwrap() - lateness_ms.first().unwrap();
    println!(
        "  {name}: late by p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; drift first to last {:+.1} ms",
        pick(0.5),
        pick(0.99),
        pick(1.0),
        drift
    );
}

fn connect(socket: &Path) -> UnixStream {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match UnixStream::connect(socket) {
            Ok(s) => return s,
            Err(_) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("settingd did not open {}: {e}", socket.display()),
        }
    }
}

fn send(mut stream: &UnixStream, line: &str) {
    stream.write_all(line.as_bytes()).unwrap();
    stream.write_all(b"\n").unwrap();
}

/// Wall-clock milliseconds since the epoch from the log's RFC 3339 time.
fn wall_ms(text: &str) -> f64 {
    let t: SystemTime = humantime::parse_rfc3339(text).expect("an RFC 3339 time");
    t.duration_since(UNIX_EPOCH).unwrap().as_secs_f64() * 1000.0
}
