//! The long soak: a whole `sublingual` session at rehearsal speed against a real Mosquitto and
//! simulated Zigbee2MQTT bulbs, under random therapist commands, repeated `kill -9` of
//! `settingd`, broker restarts and a bulb dropping off the network; then the checks that
//! nothing acknowledged was lost.
//!
//! Run with `cargo bench --bench soak`. `SOAK_SEED=N` repeats a run exactly (the seed is
//! printed); `SOAK_SPEED` (default 60) sets the rehearsal speed: 3 h of session take ~3 min.
//! The sound card's loss is not soaked here: `cargo test --lib audio::output::device_loss_tests`
//! covers it against a real ALSA device.

#[path = "soak/broker.rs"]
mod broker;
#[path = "soak/commands.rs"]
mod commands;
#[path = "soak/daemon.rs"]
mod daemon;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use setting::config::LightConfig;
use setting::lights::level;
use setting::lights::sim::SimulatedLights;
use setting::scene::Look;

use broker::Broker;
use commands::{Rng, Therapist};
use daemon::Daemon;

const SCENE: &str = "sublingual";
/// The zone the scene lights; its last look is what the room must be left in.
const ZONE: &str = "room";
/// The bulb that drops off the network now and then.
const LOST_LIGHT: &str = "ceiling-2";
/// Far beyond the ~4 min a run takes: a session that never ends must not hang CI's runner.
const GIVE_UP_AFTER: Duration = Duration::from_secs(15 * 60);

/// Something the soak does later than it decided to.
enum Later {
    Cli(Vec<String>, &'static str),
    BrokerUp,
    LightBack,
}

/// What the soak did and saw, for the checks and the summary.
#[derive(Default)]
struct Tally {
    /// Acknowledged commands (exit 0 from `setting`), by the event log's name for them.
    acked: BTreeMap<&'static str, usize>,
    refused: usize,
    unanswered: usize,
    kills: u32,
    light_losses: u32,
    /// The `room` zone's nudge from acknowledged `light` commands.
    nudge: (f32, i32),
    failures: Vec<String>,
}

fn main() {
    let seed = env_or("SOAK_SEED", 0x50A4_5EED_u64);
    let speed = env_or("SOAK_SPEED", 60.0_f64);
    let mut rng = Rng::new(seed);
    let dir = tempfile::Builder::new()
        .prefix("setting-soak-")
        .tempdir()
        .expect("temp dir");
    for sub in ["broker", "daemon"] {
        fs::create_dir_all(dir.path().join(sub)).expect("work dirs");
    }
    println!("soak: scene {SCENE} at {speed}x, SOAK_SEED={seed}");

    let mut broker = Broker::start(&dir.path().join("broker"));
    let config_path = write_config(dir.path(), broker.port());
    let config = setting::config::load_config(&config_path).expect("the soak's config loads");
    let lights = config.lights.lights.clone();
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let sim = runtime
        .block_on(SimulatedLights::start("127.0.0.1", broker.port(), &lights))
        .expect("simulated lights on the broker");
    let mut daemon = Daemon::start(&dir.path().join("daemon"), &config_path, speed);

    let started = Instant::now();
    let mut tally = Tally::default();
    let (code, _) = daemon.cli(&args(&["start", SCENE]));
    assert_eq!(code, 0, "setting start {SCENE} failed:\n{}", daemon.log_text());
    let session_id = daemon.status().expect("status")["session"]["session"]
        .as_str()
        .expect("a session id")
        .to_string();

    drive(
        &mut daemon,
        &mut broker,
        &sim,
        &mut rng,
        speed,
        &session_id,
        &mut tally,
    );
    let real = started.elapsed();

    // The room is left as it ends: broker and bulb back, and every light given time to arrive.
    if !broker.is_up() {
        broker.restart();
    }
    sim.set_available(LOST_LIGHT, true);
    let expected = expected_look(tally.nudge);
    let looks = settle_lights(&sim, &lights, expected);
    let (report_code, _) = daemon.cli(&args(&["report", &session_id]));
    let exit = daemon.terminate();

    let events = read_events(daemon.state_dir(), &session_id);
    check(&mut tally, &events, &looks, report_code, exit, &daemon.log_text());
    summary(&tally, &events, &looks, expected, &daemon, &broker, real);
    // Before the exit below, which runs no destructors: a failed soak must not leave its
    // broker or daemon running.
    drop(sim);
    drop(daemon);
    drop(broker);
    if !tally.failures.is_empty() {
        std::process::exit(1);
    }
}

/// Plays the session to its end: the therapist's commands every few session minutes, `next`
/// (or `mark dose`, or the last phase's `stop`) when a phase's planned time is up, as its
/// prompt asks; a `kill -9` every 30-40 s of real time, a broker restart every 40-50 s, a
/// bulb lost every 25-35 s.
#[allow(clippy::too_many_arguments)]
fn drive(
    daemon: &mut Daemon,
    broker: &mut Broker,
    sim: &SimulatedLights,
    rng: &mut Rng,
    speed: f64,
    session_id: &str,
    tally: &mut Tally,
) {
    let t0 = Instant::now();
    let real =
        |lo: f64, hi: f64, rng: &mut Rng| Instant::now() + Duration::from_secs_f64(rng.between(lo, hi));
    let mut next_kill = real(30.0, 40.0, rng);
    let mut next_broker = real(40.0, 50.0, rng);
    let mut next_loss = real(25.0, 35.0, rng);
    // The first command a few minutes in, once the client has arrived.
    let mut next_command_ms = 180_000u64;
    let mut next_attempt = Instant::now();
    let mut later: Vec<(Instant, Later)> = Vec::new();
    let mut wound_down = false;
    loop {
        if t0.elapsed() > GIVE_UP_AFTER {
            tally
                .failures
                .push(format!("the session had not ended after {GIVE_UP_AFTER:?}"));
            return;
        }
        let Some(status) = daemon.status() else {
            tally.failures.push("status went unanswered".into());
            thread::sleep(Duration::from_millis(500));
            continue;
        };
        let session = &status["session"];
        if session.is_null() {
            return;
        }
        let now_ms = session["session_time"].as_u64().unwrap_or(0);
        let phase = &session["phase"];
        let number = |key: &str| phase[key].as_u64().unwrap_or(0);
        let last = number("index") + 1 == number("count");
        let to_longest = number("max").saturating_sub(number("elapsed"));

        // In the last phase the random commands, broker restarts and bulb losses stop (what
        // is pending is done at once), so that the room settles on the scene's own last look
        // before the therapist's `stop`; kill -9 goes on until 3 session minutes before.
        let now = Instant::now();
        let (due, rest): (Vec<_>, Vec<_>) = later.drain(..).partition(|(at, _)| last || *at <= now);
        later = rest;
        for (_, what) in due {
            match what {
                Later::Cli(words, name) => {
                    therapist(daemon, &words, name, (0.0, 0), tally);
                }
                Later::BrokerUp => broker.restart(),
                Later::LightBack => {
                    sim.set_available(LOST_LIGHT, true);
                }
            }
        }
        if last && !wound_down {
            wound_down = true;
            wind_down(daemon, session, tally);
        }

        if phase["ends"] != "timer" && number("elapsed") >= number("planned") && now >= next_attempt {
            // The therapist answers the prompt: the dose ends the preparation, `stop` the
            // last phase (which waits for it), `next` the others.
            let (words, name) = match phase["id"].as_str() {
                _ if last => (args(&["stop"]), "stop"),
                Some("intention") => (args(&["mark", "dose"]), "mark"),
                _ => (args(&["next"]), "next"),
            };
            therapist(daemon, &words, name, (0.0, 0), tally);
            // A refused `next` (in an emergency, say) is tried again a little later.
            next_attempt = now + Duration::from_secs(2);
        }
        if !last && now_ms >= next_command_ms {
            let command = commands::random(rng, session["marks"]["dose"].is_u64());
            let Therapist {
                args,
                name,
                room_nudge,
                undo,
            } = command;
            if therapist(daemon, &args, name, room_nudge, tally)
                && let Some((undo, undo_name)) = undo
            {
                later.push((real(1.0, 4.0, rng), Later::Cli(undo, undo_name)));
            }
            next_command_ms = now_ms + (rng.between(2.0, 6.0) * 60_000.0) as u64;
        }
        if now >= next_kill && to_longest > 180_000 {
            // Fresh: a command sent above may have changed what the restart must keep.
            let before = daemon.status().map(|s| s["session"].clone()).unwrap_or_default();
            kill_and_resume(daemon, session_id, &before, tally);
            next_kill = real(30.0, 40.0, rng);
        }
        if now >= next_broker && broker.is_up() && !last {
            broker.stop();
            later.push((real(2.0, 6.0, rng), Later::BrokerUp));
            next_broker = real(40.0, 50.0, rng);
        }
        if now >= next_loss && !last {
            sim.set_available(LOST_LIGHT, false);
            tally.light_losses += 1;
            later.push((real(2.0, 5.0, rng), Later::LightBack));
            next_loss = real(25.0, 35.0, rng);
        }
        // A few session seconds at 60x: fine enough to answer each prompt in time.
        thread::sleep(Duration::from_secs_f64((3.0 / speed).clamp(0.01, 0.1)));
    }
}

/// Sends one command through `setting`; true if the daemon acknowledged it.
fn therapist(
    daemon: &Daemon,
    words: &[String],
    name: &'static str,
    nudge: (f32, i32),
    tally: &mut Tally,
) -> bool {
    let (code, stdout) = daemon.cli(words);
    // An emergency the daemon did not answer in time went to the lights directly: not the
    // daemon's acknowledgement, so not counted as one. One the daemon took while cut off from
    // the lights (a broker restart) went to them directly as well, and was acknowledged.
    let direct =
        name == "emergency" && stdout.contains("\"direct\"") && !stdout.contains("\"daemon_took_it\":true");
    match code {
        0 if !direct => {
            *tally.acked.entry(name).or_default() += 1;
            tally.nudge.0 += nudge.0;
            tally.nudge.1 += nudge.1;
            true
        }
        1 => {
            tally.refused += 1;
            false
        }
        _ => {
            tally.unanswered += 1;
            tally.failures.push(format!(
                "`setting {}` got no answer (exit {code})",
                words.join(" ")
            ));
            false
        }
    }
}

/// Ends whatever the random therapist left standing, as one would before discharge.
fn wind_down(daemon: &Daemon, session: &Value, tally: &mut Tally) {
    if session["overrides"].as_array().is_some_and(|o| !o.is_empty()) {
        therapist(daemon, &args(&["resume", "--all"]), "resume", (0.0, 0), tally);
    }
    if session["held"] == true {
        therapist(daemon, &args(&["release"]), "release", (0.0, 0), tally);
    }
    if session["muted"] == true {
        therapist(daemon, &args(&["unmute"]), "unmute", (0.0, 0), tally);
    }
}

/// `kill -9` and a restart; the new process must carry on the same session.
fn kill_and_resume(daemon: &mut Daemon, session_id: &str, before: &Value, tally: &mut Tally) {
    daemon.kill9_and_restart();
    tally.kills += 1;
    let after = daemon.status().map(|s| s["session"].clone()).unwrap_or_default();
    if after["session"] != session_id {
        tally.failures.push(format!(
            "kill {}: the restarted daemon has session {} instead of {session_id}",
            tally.kills, after["session"]
        ));
        return;
    }
    for key in ["overrides", "held", "marks"] {
        if after[key] != before[key] {
            tally.failures.push(format!(
                "kill {}: {key} was {} before and {} after",
                tally.kills, before[key], after[key]
            ));
        }
    }
}

/// The `room` zone's last look in the scene, plus the nudges the therapist made.
fn expected_look(nudge: (f32, i32)) -> Look {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenes/{SCENE}.toml"));
    let scene: toml::Table = fs::read_to_string(&path)
        .expect("the scene")
        .parse()
        .expect("the scene is TOML");
    let phases = scene["phase"].as_array().expect("phases");
    let look = &phases.last().expect("a last phase")["light"][ZONE];
    let brightness = look["brightness"].as_integer().expect("brightness") as f32;
    let kelvin = look["kelvin"].as_integer().expect("kelvin") as i32;
    Look {
        brightness: (brightness + nudge.0).clamp(0.0, 100.0),
        kelvin: (kelvin + nudge.1).clamp(1000, 10_000) as u16,
    }
}

/// Where each of the zone's bulbs is and where it should be: (light, on, level, kelvin,
/// expected level, expected kelvin), once they agree or after 20 s.
type LightEnd = (String, bool, f32, u16, f32, u16);

fn settle_lights(sim: &SimulatedLights, lights: &[LightConfig], look: Look) -> Vec<LightEnd> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ends: Vec<LightEnd> = lights
            .iter()
            .filter(|l| l.zone == ZONE)
            .map(|light| {
                let want = level::command(light, look, Duration::ZERO);
                let state = sim.state(&light.name).unwrap_or_default();
                (
                    light.name.clone(),
                    state.on.unwrap_or(false),
                    state.level.unwrap_or(0.0),
                    state.kelvin.unwrap_or(0),
                    want.level,
                    want.kelvin.unwrap_or(0),
                )
            })
            .collect();
        if ends.iter().all(arrived) || Instant::now() > deadline {
            return ends;
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// On, within a device step of the level, and within the mireds rounding of the Kelvin.
fn arrived(end: &LightEnd) -> bool {
    let (_, on, lvl, kelvin, want_level, want_kelvin) = end;
    *on && (lvl - want_level).abs() <= 1.5 / 254.0
        && (i32::from(*kelvin) - i32::from(*want_kelvin)).abs() <= 20
}

fn read_events(state_dir: &Path, session: &str) -> Vec<Value> {
    let path = state_dir.join(format!("sessions/{session}/events.jsonl"));
    fs::read_to_string(&path)
        .unwrap_or_default()
        .lines()
        // A line torn by a kill -9 is the report's to skip; it cannot be an acknowledged one,
        // since acknowledgement waits for the fsync.
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

fn count(events: &[Value], event: &str) -> usize {
    events.iter().filter(|e| e["event"] == event).count()
}

fn check(
    tally: &mut Tally,
    events: &[Value],
    looks: &[LightEnd],
    report_code: i32,
    exit: Option<std::process::ExitStatus>,
    log: &str,
) {
    let mut fail = |text: String| tally.failures.push(text);
    match events.iter().find(|e| e["event"] == "session_ended") {
        // The last phase waits for the therapist's `stop` once its planned time is up.
        Some(end) if end["reason"] == "stopped by the therapist" => {}
        Some(end) => fail(format!("the session ended early: {end}")),
        None => fail("the event log has no session_ended".into()),
    }
    for (name, told) in &tally.acked {
        let logged = events
            .iter()
            .filter(|e| e["event"] == "command" && e["command"] == *name)
            .count();
        if logged < *told {
            fail(format!("{told} `{name}` acknowledged, {logged} in the event log"));
        }
    }
    let resumed = count(events, "session_resumed");
    if resumed != tally.kills as usize {
        fail(format!(
            "{} kill -9 and restarts, {resumed} session_resumed",
            tally.kills
        ));
    }
    for end in looks.iter().filter(|end| !arrived(end)) {
        fail(format!(
            "light {} ended away from the scene's last look: {end:?}",
            end.0
        ));
    }
    if report_code != 0 {
        fail(format!("`setting report` exited {report_code}"));
    }
    if !exit.is_some_and(|s| s.success()) {
        fail(format!("settingd did not stop cleanly on SIGTERM: {exit:?}"));
    }
    if log.contains("panicked") {
        fail("a panic in the daemon's log".into());
    }
}

fn summary(
    tally: &Tally,
    events: &[Value],
    looks: &[LightEnd],
    look: Look,
    daemon: &Daemon,
    broker: &Broker,
    real: Duration,
) {
    let ended_at = events
        .iter()
        .find(|e| e["event"] == "session_ended")
        .and_then(|e| e["at"].as_u64())
        .unwrap_or(0);
    let acked: usize = tally.acked.values().sum();
    let names: Vec<String> = tally.acked.iter().map(|(n, c)| format!("{n} {c}")).collect();
    let peaks: Vec<String> = daemon
        .peaks_kib()
        .iter()
        .map(|k| format!("{:.1}", *k as f64 / 1024.0))
        .collect();
    println!(
        "session: {} of session time in {:.0} s real; {} phases entered; ended: {}",
        hms(ended_at),
        real.as_secs_f64(),
        count(events, "phase_entered"),
        events
            .iter()
            .find(|e| e["event"] == "session_ended")
            .map_or("no".into(), |e| e["reason"].to_string()),
    );
    println!(
        "commands: {acked} acknowledged ({}), {} refused, {} unanswered; all acknowledged in events.jsonl: {}",
        names.join(", "),
        tally.refused,
        tally.unanswered,
        if tally.failures.iter().any(|f| f.contains("acknowledged")) {
            "NO"
        } else {
            "yes"
        }
    );
    println!(
        "faults: {} kill -9 + restart, {} session_resumed; {} broker restarts; {} losses of bulb {LOST_LIGHT}",
        tally.kills,
        count(events, "session_resumed"),
        broker.restarts(),
        tally.light_losses
    );
    println!(
        "lights: zone {ZONE} expected {:.0} % {} K (scene's last look + nudges {:+} points {:+} K)",
        look.brightness, look.kelvin, tally.nudge.0, tally.nudge.1
    );
    for (name, on, lvl, kelvin, want_level, want_kelvin) in looks {
        println!(
            "  {name}: {} level {:.3} (want {want_level:.3}) {kelvin} K (want {want_kelvin} K)",
            if *on { "on" } else { "OFF" },
            lvl
        );
    }
    println!("settingd peak RSS per run (MiB): {}", peaks.join(" "));
    // The daemon reports each outage it saw as an `error`: expected here, but worth reading.
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for e in events.iter().filter(|e| e["event"] == "error") {
        let text = e["message"].as_str().unwrap_or("").to_string();
        // Up to the broker's address, so that the same report from each outage groups.
        let head: String = text
            .split(" 127.0.0.1")
            .next()
            .unwrap_or("")
            .chars()
            .take(60)
            .collect();
        *errors.entry(head).or_default() += 1;
    }
    for (head, n) in &errors {
        println!("  event log error x{n}: {head}");
    }
    if tally.failures.is_empty() {
        println!("soak: PASS");
    } else {
        println!("soak: FAIL (SOAK_SEED={})", env_or("SOAK_SEED", 0x50A4_5EED_u64));
        for failure in &tally.failures {
            println!("  - {failure}");
        }
    }
}

/// The shipped config with its paths made absolute and an `[mqtt]` pointing at the soak's
/// broker, so that the daemon drives the simulated bulbs rather than its private demo broker.
fn write_config(dir: &Path, port: u16) -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shipped = fs::read_to_string(repo.join("config/settingd.toml")).expect("config/settingd.toml");
    assert_eq!(
        shipped.matches("= \"../").count(),
        3,
        "config/settingd.toml's [paths] changed shape"
    );
    let mut text = shipped.replace("= \"../", &format!("= \"{}/", repo.display()));
    text.push_str(&format!("\n[mqtt]\nhost = \"127.0.0.1\"\nport = {port}\n"));
    let path = dir.join("settingd.toml");
    fs::write(&path, text).expect("soak config");
    path
}

fn args(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

fn hms(ms: u64) -> String {
    let s = ms / 1000;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
