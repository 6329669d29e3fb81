//! The faults a session must survive, each against the real daemon through its real socket:
//! kill -9 at random points, a broker that is down or flaps, a state directory that cannot be
//! written, a file-size limit the event log runs into, a wall clock that jumps, and a crowd of
//! clients hammering the socket during an emergency.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::broker::{Broker, Spy};
use crate::support::room::Room;
use crate::support::{Daemon, eventually, repo_path};

const SCENE: &str = "sublingual";
const PATIENCE: Duration = Duration::from_secs(20);

/// A small seeded generator (splitmix64), so that a failing run can be repeated exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The seed: `FAULT_SEED` to repeat a run, else a fixed one.
fn seed() -> u64 {
    std::env::var("FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5E55_1011)
}

/// A therapist command chosen at random, with the name the event log records it under. No
/// `next`, `end` or `stop`, so that the session is still there at every kill.
fn random_command(rng: &mut Rng) -> (&'static str, Value) {
    match rng.below(9) {
        0 => ("mark", json!({"op": "mark", "mark": "dose"})),
        1 => ("check", json!({"op": "check"})),
        2 => ("resume", json!({"op": "resume", "all": true})),
        3 => ("hold", json!({"op": "hold"})),
        4 => ("release", json!({"op": "release"})),
        5 => ("mute", json!({"op": "mute"})),
        6 => ("unmute", json!({"op": "unmute"})),
        7 => ("extend", json!({"op": "extend", "by": "5m"})),
        _ => ("volume", json!({"op": "volume", "delta_db": -1.0})),
    }
}

#[test]
fn kill_9_at_five_random_points_loses_nothing_acknowledged() {
    let seed = seed();
    let mut rng = Rng(seed);
    let mut daemon = Daemon::builder().speed(60.0).start();
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    // What the clients were told was done, by the name the log records it under.
    let mut acked: BTreeMap<&str, usize> = BTreeMap::new();
    for round in 0..5 {
        for _ in 0..=rng.below(6) {
            let (name, request) = random_command(&mut rng);
            if daemon.request(request)["ok"] == json!(true) {
                *acked.entry(name).or_default() += 1;
            }
        }
        thread::sleep(Duration::from_millis(rng.below(500)));
        let before = daemon.status()["session"].clone();
        daemon.kill9();
        daemon.restart();
        let after = daemon.status()["session"].clone();
        let context = format!("seed {seed}, round {round}:\nbefore {before}\nafter {after}");

        assert_eq!(after["session"], before["session"], "{context}");
        assert_eq!(after["overrides"], before["overrides"], "{context}");
        assert_eq!(after["held"], before["held"], "{context}");
        for (mark, at) in before["marks"].as_object().expect("marks") {
            assert_eq!(&after["marks"][mark], at, "mark {mark}: {context}");
        }
        if before["phase"]["ends"] == json!("timer") {
            assert!(
                after["phase"]["index"].as_u64() >= before["phase"]["index"].as_u64(),
                "{context}"
            );
        } else {
            assert_eq!(after["phase"]["id"], before["phase"]["id"], "{context}");
        }
        assert!(
            after["session_time"].as_u64() >= before["session_time"].as_u64(),
            "{context}"
        );
    }

    let log = daemon.entries();
    for (name, told) in &acked {
        let logged = log
            .iter()
            .filter(|e| e["event"] == "command" && e["command"] == *name)
            .count();
        assert!(
            logged >= *told,
            "seed {seed}: {told} `{name}` acknowledged, {logged} in the log"
        );
    }
    let resumes = log.iter().filter(|e| e["event"] == "session_resumed").count();
    assert_eq!(resumes, 5, "seed {seed}: every restart resumed the session");
}

const ROOM: &str = "fault-room";

/// A room of two Zigbee2MQTT lights that logs in to the broker as itself.
fn lit_config(dir: &Path) -> PathBuf {
    Room {
        name: ROOM,
        password: "room-password",
        zones: &[("room", &["ceiling"]), ("mat-1", &["mat-lamp"])],
        broker: ("192.0.2.1", 1883),
        mqtt_extra: "",
    }
    .write(dir)
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Restarts the broker with a fresh spy on it, and waits until the daemon has re-asserted
/// its current look on every light it has one for, each satisfying `look` (the broker
/// remembers nothing across a restart, so whatever the spy sees was published after it).
///
/// The daemon comes back on its own reconnection backoff, which after a long outage may wait
/// up to its cap (30 s, +25 % jitter); so the wait is for the daemon to say it is connected,
/// then a grace for the looks. The daemon may win the race to the restarted broker and
/// publish before the spy has subscribed; then the broker is restarted again, up to three
/// times in all, so that a daemon that never re-asserts still fails.
fn restart_and_expect_looks(broker: &mut Broker, daemon: &Daemon, look: impl Fn(&Value) -> bool) {
    const RECONNECT_WITHIN: Duration = Duration::from_secs(45);
    const LOOKS_AFTER_CONNECT: Duration = Duration::from_secs(10);
    let report = daemon.status()["lights"].clone();
    let lit: Vec<String> = report["lights"]
        .as_array()
        .expect("lights report")
        .iter()
        .filter(|l| !l["desired"].is_null())
        .map(|l| format!("zigbee2mqtt/{}/set", l["topic"].as_str().expect("topic")))
        .collect();
    assert!(!lit.is_empty(), "no light has a look to re-assert: {report}");
    let mut missed = Vec::new();
    for _attempt in 0..3 {
        broker.restart();
        let spy = Spy::connect(broker, "zigbee2mqtt/#");
        let restarted = Instant::now();
        let mut connected_since: Option<Instant> = None;
        loop {
            let seen = spy.seen();
            let all_seen = lit.iter().all(|topic| {
                seen.iter()
                    .any(|s| &s.topic == topic && look(&json_of(&s.payload)))
            });
            if all_seen {
                return;
            }
            let connected = daemon.status()["lights"]["connected"] == json!(true);
            match (connected, connected_since) {
                (true, None) => connected_since = Some(Instant::now()),
                (false, Some(_)) => connected_since = None,
                _ => {}
            }
            let gave_up = match connected_since {
                Some(since) => since.elapsed() > LOOKS_AFTER_CONNECT,
                None => restarted.elapsed() > RECONNECT_WITHIN,
            };
            if gave_up {
                missed.push(seen);
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    panic!(
        "no look re-asserted on {lit:?} after the broker came back, three times: {missed:?}\n{}",
        daemon.status()["lights"]
    );
}

/// The session answers and its clock moves while the broker is away.
fn session_goes_on(daemon: &Daemon) {
    let first = daemon.status()["session"]["session_time"]
        .as_u64()
        .expect("session running");
    let moved = eventually(PATIENCE, || {
        let now = daemon.status()["session"]["session_time"].as_u64()?;
        (now > first).then_some(now)
    });
    assert!(moved.is_some(), "the session clock stood still without a broker");
}

/// A session started in a lit room whose broker (the room's account and ACL) is down; the
/// broker is stopped, to be restarted on the same port.
fn session_with_its_broker_down(dir: &Path) -> (Broker, Daemon) {
    let acl = format!("user {ROOM}\ntopic readwrite setting/{ROOM}/#\ntopic readwrite zigbee2mqtt/#\n");
    let mut broker = Broker::builder().user(ROOM, "room-password").acl(&acl).start();
    broker.stop();
    let daemon = Daemon::builder()
        .config(lit_config(dir))
        .speed(60.0)
        .arg("--mqtt")
        .arg(format!("{}:{}", broker.host(), broker.port()))
        .start();
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    (broker, daemon)
}

#[test]
fn the_session_rides_out_a_broker_that_is_down_then_flaps_and_an_emergency_without_one() {
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, daemon) = session_with_its_broker_down(dir.path());
    session_goes_on(&daemon);
    // Down at start-up: the daemon connects when it can and sets the scene's look.
    restart_and_expect_looks(&mut broker, &daemon, |p| p["brightness"].is_number());

    for _ in 0..3 {
        broker.stop();
        session_goes_on(&daemon);
        restart_and_expect_looks(&mut broker, &daemon, |p| p["brightness"].is_number());
    }

    broker.stop();
    let reply = daemon.request(json!({"op": "emergency"}));
    assert_eq!(reply["ok"], json!(true), "emergency without a broker: {reply}");
    let session = daemon.status()["session"].clone();
    assert_eq!(
        session["music"]["muted"],
        json!(true),
        "the music is muted: {session}"
    );
    assert!(
        session["overrides"].to_string().contains("emergency"),
        "status shows the emergency: {session}"
    );
    let log = daemon.entries();
    assert!(
        log.iter()
            .any(|e| e["event"] == "override_started" && e["kind"] == "emergency"),
        "the event log has the emergency"
    );
    // Full light as soon as the broker is back.
    restart_and_expect_looks(&mut broker, &daemon, |p| p["brightness"] == json!(254));
}

/// The longest wait between connection attempts the daemon's log shows so far, in seconds.
fn longest_retry_wait(log: &str) -> f64 {
    log.lines()
        .filter(|line| line.contains("cannot reach the broker"))
        .filter_map(|line| {
            let after = line.split("retry_in=").nth(1)?;
            debug_duration_seconds(after.split_whitespace().next()?)
        })
        .fold(0.0, f64::max)
}

/// `1.5s`, `750ms` or `2.1µs` (a `Duration`'s debug form, as the log writes it) in seconds.
fn debug_duration_seconds(text: &str) -> Option<f64> {
    let digits: String = text
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let value: f64 = digits.parse().ok()?;
    match &text[digits.len()..] {
        "s" => Some(value),
        "ms" => Some(value / 1e3),
        "µs" | "us" => Some(value / 1e6),
        "ns" => Some(value / 1e9),
        _ => None,
    }
}

#[test]
fn an_emergency_during_a_long_broker_outage_goes_out_within_a_second_or_two_of_its_return() {
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, daemon) = session_with_its_broker_down(dir.path());
    // Down long enough that the reconnection backoff has grown to several seconds.
    let grown = eventually(Duration::from_secs(40), || {
        (longest_retry_wait(&daemon.log_text()) >= 6.0).then_some(())
    });
    assert!(
        grown.is_some(),
        "the backoff never grew past 6 s:\n{}",
        daemon.log_text()
    );
    daemon.ok(json!({"op": "emergency"}));
    let restarted = Instant::now();
    broker.restart();
    let already = broker.log_text().len();
    let sent = eventually(Duration::from_secs(40), || {
        broker.log_text()[already..]
            .lines()
            .any(|line| line.contains("Received PUBLISH") && line.contains("'zigbee2mqtt/ceiling/set'"))
            .then(|| restarted.elapsed())
    });
    let sent = sent.expect("the emergency's look never reached the broker");
    assert!(
        sent < Duration::from_secs(3),
        "the emergency's look reached the restarted broker {sent:?} after it was back"
    );
}

#[test]
fn an_unwritable_state_directory_is_loud_and_persistence_resumes_when_it_is_fixed() {
    let mut daemon = Daemon::builder().speed(60.0).start();
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    // The state file is written as `session.json.tmp`, then renamed. A directory in that
    // place makes every save fail, for root too (chmod would not stop root).
    let blocker = daemon.state_dir().join("session.json.tmp");
    // The daemon may be between writing the temporary file and renaming it: try again.
    let blocked = eventually(PATIENCE, || fs::create_dir(&blocker).ok());
    assert!(
        blocked.is_some(),
        "cannot put a directory at {}",
        blocker.display()
    );
    fs::write(blocker.join("keep"), "").expect("make the blocker non-empty");

    daemon.ok(json!({"op": "mark", "mark": "dose"}));
    let status = daemon.status();
    let warnings = status["daemon"]["warnings"].to_string();
    assert!(warnings.contains("not being saved"), "status is loud: {warnings}");
    assert!(
        status["session"]["marks"]["dose"].is_u64(),
        "the session goes on: {status}"
    );
    assert!(
        daemon.log_text().contains("session snapshot not saved"),
        "the log is loud"
    );
    let cli = Command::new(env!("CARGO_BIN_EXE_setting"))
        .arg("--socket")
        .arg(daemon.socket())
        .arg("status")
        .output()
        .expect("setting status");
    let shown = String::from_utf8_lossy(&cli.stdout).to_string() + &String::from_utf8_lossy(&cli.stderr);
    assert!(
        shown.to_lowercase().contains("not being saved"),
        "`setting status` shows it:\n{shown}"
    );

    fs::remove_dir_all(&blocker).expect("unblock");
    daemon.ok(json!({"op": "volume", "delta_db": -1.0}));
    let warnings = daemon.status()["daemon"]["warnings"].to_string();
    assert!(
        !warnings.contains("not being saved"),
        "the warning clears: {warnings}"
    );
    let marked = daemon.status()["session"]["marks"]["dose"].clone();
    daemon.kill9();
    daemon.restart();
    assert_eq!(
        daemon.status()["session"]["marks"]["dose"],
        marked,
        "the mark set while nothing could be saved was saved once it could"
    );
}

/// A daemon whose files may grow to `limit` bytes at most (`ulimit -f`, systemd's
/// `LimitFSIZE=`).
fn start_with_file_size_limit(dir: &Path, limit: u64) -> OwnDaemon {
    use std::os::unix::process::CommandExt;
    OwnDaemon::launch(dir, 60.0, "warn", |command| {
        // SAFETY: between fork and exec only setrlimit(2) runs, which is async-signal-safe.
        unsafe {
            command.pre_exec(move || {
                let rlimit = libc::rlimit {
                    rlim_cur: limit,
                    rlim_max: limit,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &rlimit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    })
}

#[test]
fn an_event_log_at_the_file_size_limit_is_a_warning_not_the_end_of_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let mut daemon = start_with_file_size_limit(dir.path(), 32 * 1024);
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    // Each nudge adds a command and a music level to the log: far past 32 KB.
    for i in 0..200 {
        let delta = if i % 2 == 0 { -1.0 } else { 1.0 };
        let reply = daemon.try_request(&json!({"op": "volume", "delta_db": delta}));
        assert!(
            reply.is_some(),
            "settingd stopped answering after {i} nudges:\n{}",
            daemon.log_text()
        );
    }
    let status = daemon.ok(json!({"op": "status"}));
    let warnings = status["daemon"]["warnings"].to_string();
    assert!(
        warnings.contains("EVENTS NOT RECORDED"),
        "the full log is reported: {warnings}"
    );
    let refused = daemon
        .try_request(&json!({"op": "volume", "delta_db": -1.0}))
        .expect("a reply");
    assert_eq!(refused["error"]["kind"], "not_recorded", "{refused}");
    assert!(status["session"].is_object(), "the session goes on: {status}");
    assert!(
        daemon.child.try_wait().expect("wait").is_none(),
        "the daemon is still running"
    );
}

/// A `settingd` this file starts itself, for what the harness's `Daemon` cannot set up: a
/// faked wall clock, a file-size limit.
struct OwnDaemon {
    child: Child,
    socket: PathBuf,
    log: PathBuf,
}

const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

impl OwnDaemon {
    /// Starts it with the repository's config in `dir`, `setup` adding what the test needs,
    /// and waits until it answers.
    fn launch(dir: &Path, speed: f64, log_level: &str, setup: impl FnOnce(&mut Command)) -> OwnDaemon {
        let socket = dir.join("control.sock");
        let log = dir.join("settingd.log");
        let mut command = Command::new(env!("CARGO_BIN_EXE_settingd"));
        command
            .arg("--config")
            .arg(repo_path("config/settingd.toml"))
            .arg("--socket")
            .arg(&socket)
            .arg("--state-dir")
            .arg(dir.join("state"))
            .args(["--speed", &speed.to_string(), "--audio", "null"])
            .args(["--log-level", log_level])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).expect("log"));
        setup(&mut command);
        let child = command.spawn().expect("run settingd");
        let daemon = OwnDaemon { child, socket, log };
        let ready = eventually(PATIENCE, || daemon.try_request(&json!({"op": "ping"})));
        assert!(ready.is_some(), "settingd did not answer:\n{}", daemon.log_text());
        daemon
    }

    /// Under libfaketime: only the wall clock is faked, read from `clock_file` at every call,
    /// so a test can move it while the daemon runs.
    fn faked(dir: &Path, clock_file: &Path, speed: f64) -> OwnDaemon {
        OwnDaemon::launch(dir, speed, "debug", |command| {
            command
                .env("LD_PRELOAD", LIBFAKETIME)
                .env("FAKETIME_TIMESTAMP_FILE", clock_file)
                .env("FAKETIME_NO_CACHE", "1")
                .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
        })
    }

    fn try_request(&self, request: &Value) -> Option<Value> {
        let mut stream = UnixStream::connect(&self.socket).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        stream.write_all(format!("{request}\n").as_bytes()).ok()?;
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line).ok()?;
        serde_json::from_str(&line).ok()
    }

    fn ok(&self, request: Value) -> Value {
        let reply = self.try_request(&request).expect("a reply");
        assert_eq!(
            reply["ok"],
            json!(true),
            "{request}: {reply}\n{}",
            self.log_text()
        );
        reply["result"].clone()
    }

    fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for OwnDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Seconds the wall time of the daemon's newest log entry is ahead of the real clock.
fn wall_offset_of_last_entry(daemon: &OwnDaemon) -> f64 {
    let report = daemon.ok(json!({"op": "report"}));
    let last = report["entries"]
        .as_array()
        .and_then(|e| e.last())
        .expect("an entry")
        .clone();
    let wall = humantime::parse_rfc3339(last["wall"].as_str().expect("wall")).expect("rfc3339");
    let now = std::time::SystemTime::now();
    match wall.duration_since(now) {
        Ok(ahead) => ahead.as_secs_f64(),
        Err(behind) => -behind.duration().as_secs_f64(),
    }
}

#[test]
fn a_wall_clock_jump_of_an_hour_either_way_leaves_session_time_alone() {
    assert!(
        Path::new(LIBFAKETIME).exists(),
        "libfaketime is missing: install the `faketime` package (scripts/deps.sh lists it)"
    );
    let speed = 10.0;
    let dir = tempfile::tempdir().unwrap();
    let clock_file = dir.path().join("faketime");
    fs::write(&clock_file, "+0\n").unwrap();
    let daemon = OwnDaemon::faked(dir.path(), &clock_file, speed);
    daemon.ok(json!({"op": "start", "scene": SCENE}));

    for (offset, jump) in [("+1h", 3600.0), ("-1h", -3600.0)] {
        let real_before = Instant::now();
        let before = daemon.ok(json!({"op": "status"}))["session"]["session_time"]
            .as_u64()
            .unwrap();
        fs::write(&clock_file, format!("{offset}\n")).unwrap();
        thread::sleep(Duration::from_millis(300));
        daemon.ok(json!({"op": "volume", "delta_db": -0.5}));
        let after = daemon.ok(json!({"op": "status"}))["session"]["session_time"]
            .as_u64()
            .unwrap();
        let real_ms = real_before.elapsed().as_secs_f64() * 1000.0;

        // The daemon's wall clock did jump: the entry it just logged is stamped an hour off.
        let ahead = wall_offset_of_last_entry(&daemon);
        assert!(
            (ahead - jump).abs() < 120.0,
            "the daemon's wall clock is {ahead} s off, not {jump}"
        );
        // Session time moved only as the monotonic clock did (at most the real time that
        // passed, at speed), nowhere near the hour at speed the wall clock jumped.
        let moved = after.saturating_sub(before) as f64;
        assert!(after >= before, "session time went back: {before} -> {after}");
        assert!(
            moved <= real_ms * speed + 1000.0,
            "session time moved {moved} ms in {real_ms} real ms at speed {speed}"
        );
    }
}

#[test]
fn an_emergency_gets_through_fifty_clients_hammering_the_socket() {
    let daemon = Arc::new(Daemon::builder().speed(60.0).start());
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let hammers: Vec<_> = (0..50)
        .map(|i| {
            let (daemon, stop, answered) = (daemon.clone(), stop.clone(), answered.clone());
            thread::spawn(move || {
                let mut client = daemon.client();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let request = if (n + i).is_multiple_of(2) {
                        json!({"op": "status"})
                    } else {
                        json!({"op": "volume", "delta_db": if n % 4 < 2 { 0.5 } else { -0.5 }})
                    };
                    let reply = client.request(request);
                    assert!(reply["ok"].is_boolean(), "a reply: {reply}");
                    answered.fetch_add(1, Ordering::Relaxed);
                    n += 1;
                }
            })
        })
        .collect();
    // Let the crowd build up before the emergency.
    let crowd = eventually(PATIENCE, || {
        (answered.load(Ordering::Relaxed) >= 500).then_some(())
    });
    assert!(crowd.is_some(), "the hammering clients were not being answered");

    let reply = daemon.request(json!({"op": "emergency"}));
    assert_eq!(reply["ok"], json!(true), "{reply}");
    let overrides = daemon.status()["session"]["overrides"].to_string();
    assert!(
        overrides.contains("emergency"),
        "status shows the emergency: {overrides}"
    );
    let during = answered.load(Ordering::Relaxed);
    let still = eventually(PATIENCE, || {
        (answered.load(Ordering::Relaxed) >= during + 100).then_some(())
    });
    stop.store(true, Ordering::Relaxed);
    for hammer in hammers {
        hammer.join().expect("a hammering client failed");
    }
    assert!(still.is_some(), "the daemon stopped answering the crowd");
    assert_eq!(daemon.status()["session"]["music"]["muted"], json!(true));
}
