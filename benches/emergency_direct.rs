//! The emergency's direct path: with the daemon SIGSTOPped (its socket still accepts, nothing
//! answers), from starting `setting emergency` to the LAST light's full-light command arriving
//! at a subscriber on the broker, for a room of 12 single Zigbee2MQTT bulbs and 2 groups. Bar:
//! every light within 600 ms of the command (500 of them the CLI's wait for the daemon).
//! Beside it, in the same run: `mosquitto_pub` publishing the same 14 messages from a fresh
//! process (process start, connection, 14 publishes at QoS 1), the CLI's wait alone, and the
//! CLI's direct path with the daemon not running at all (nothing to wait for).
//!
//! Written as an ignored test so that it needs no harness of its own; run it with
//! `cargo test --release --bench emergency_direct -- --ignored --nocapture` (RUNS=30 by
//! default). It starts a private Mosquitto on a free loopback port and a `settingd` on it,
//! stops the daemon with SIGSTOP, and kills both by their handles.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use rumqttc::{Client, Event, MqttOptions, Packet, QoS};

use setting::mqtt::PrivateBroker;

const WAIT: Duration = Duration::from_secs(10);
const SINGLES: usize = 12;
const GROUPS: [&str; 2] = ["ceiling-group", "mats-group"];
/// The bar: every light lit within this of the command.
const BAR: Duration = Duration::from_millis(600);
/// What the CLI gives the daemon before it goes to the lights itself (its default).
const DAEMON_TIMEOUT: Duration = Duration::from_millis(500);

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        // A stopped process must run again to die of SIGKILL's aftermath cleanly; SIGKILL
        // itself works on a stopped process, the SIGCONT only lets the reaping happen at once.
        // SAFETY: kill(2) on our own child, not yet reaped.
        unsafe { libc::kill(self.0.id() as libc::pid_t, libc::SIGCONT) };
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn light_names() -> Vec<String> {
    let mut names: Vec<String> = (1..=SINGLES).map(|i| format!("bulb-{i}")).collect();
    names.extend(GROUPS.iter().map(|g| g.to_string()));
    names
}

#[test]
#[ignore = "a benchmark: run with --ignored --nocapture"]
fn emergency_direct() {
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(30);
    let dir = tempfile::tempdir().expect("temp dir");
    let broker = PrivateBroker::start(&dir.path().join("broker")).expect("mosquitto");
    let config = write_config(dir.path(), broker.port());
    let socket = dir.path().join("control.sock");
    let state = dir.path().join("state");
    let log = std::fs::File::create(dir.path().join("settingd.log")).expect("log");
    let daemon = Killed(
        Command::new(env!("CARGO_BIN_EXE_settingd"))
            .arg("--config")
            .arg(&config)
            .arg("--socket")
            .arg(&socket)
            .arg("--state-dir")
            .arg(&state)
            .args(["--audio", "null", "--log-level", "warn"])
            .stdin(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("settingd"),
    );
    let ready = Instant::now() + WAIT;
    while !socket.exists() {
        assert!(Instant::now() < ready, "settingd never made its socket");
        thread::sleep(Duration::from_millis(20));
    }
    // Let it connect and settle, then stop it: its socket accepts, nothing answers.
    thread::sleep(Duration::from_millis(500));
    // SAFETY: kill(2) on the daemon this benchmark started.
    assert_eq!(
        unsafe { libc::kill(daemon.0.id() as libc::pid_t, libc::SIGSTOP) },
        0
    );

    let names = light_names();
    let (_subscriber, arrivals) = subscribe(broker.port());
    let stopped = measure(runs, &arrivals, &names, || {
        cli_emergency(&config, &socket, &state);
    });
    let absent_socket = dir.path().join("nobody.sock");
    let absent = measure(runs, &arrivals, &names, || {
        cli_emergency(&config, &absent_socket, &state);
    });
    let baseline = measure(runs, &arrivals, &names, || {
        mosquitto_pub(broker.port(), &names);
    });
    let met = stopped.iter().filter(|d| **d <= BAR).count();

    println!(
        "| path (daemon SIGSTOPped unless said) | runs | p50 | p99 | max |\n| --- | --- | --- | --- | --- |"
    );
    for (name, samples) in [
        (
            "`setting emergency` → the last of 14 lights' full-light command at a subscriber",
            &stopped,
        ),
        (
            "the same, daemon not running (no socket: no wait for it)",
            &absent,
        ),
        (
            "`mosquitto_pub -l`, the same 14 messages at QoS 1 from a fresh process (baseline)",
            &baseline,
        ),
    ] {
        println!(
            "| {name} | {} | {} | {} | {} |",
            samples.len(),
            ms(samples, 0.50),
            ms(samples, 0.99),
            ms(samples, 1.0)
        );
    }
    let median = |s: &[Duration]| s[s.len() / 2].as_secs_f64() * 1000.0;
    println!(
        "\nwithin {} ms: {met} of {runs}; after the {} ms wait for the daemon, the direct path's \
         median share is {:.1} ms, {:.1}x mosquitto_pub's {:.1} ms",
        BAR.as_millis(),
        DAEMON_TIMEOUT.as_millis(),
        median(&stopped) - DAEMON_TIMEOUT.as_secs_f64() * 1000.0,
        median(&absent) / median(&baseline),
        median(&baseline),
    );
    assert_eq!(met, runs, "runs over {} ms: {stopped:?}", BAR.as_millis());
}

fn cli_emergency(config: &Path, socket: &Path, state: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_setting"))
        .arg("--config")
        .arg(config)
        .arg("--socket")
        .arg(socket)
        .arg("emergency")
        .arg("--state-dir")
        .arg(state)
        .env_remove("SETTING_ROOM")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("setting emergency");
    assert!(status.success(), "setting emergency: {status}");
}

/// The 14 lights' full-light messages from a fresh `mosquitto_pub` process: one topic per
/// process is all it takes, so the messages go to one topic and the subscriber counts them.
fn mosquitto_pub(port: u16, names: &[String]) {
    let mut child = Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q", "1", "-l"])
        .args(["-t", "zigbee2mqtt/baseline/set"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("mosquitto_pub (package mosquitto-clients)");
    let mut stdin = child.stdin.take().expect("stdin");
    for _ in names {
        writeln!(stdin, r#"{{"state":"ON","brightness":254}}"#).expect("write");
    }
    drop(stdin);
    assert!(child.wait().expect("mosquitto_pub").success());
}

fn write_config(dir: &Path, port: u16) -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = dir.join("settingd.toml");
    let mut text = String::from("[room]\nname = \"bench-room\"\n");
    for (zone, range, group) in [
        ("room", 1..=6, GROUPS[0]),
        ("mat-1", 7..=9, GROUPS[1]),
        ("mat-2", 10..=12, ""),
    ] {
        text.push_str(&format!("\n[[room.zone]]\nname = \"{zone}\"\n"));
        for i in range {
            text.push_str(&format!(
                "\n[[room.zone.light]]\nname = \"bulb-{i}\"\nfamily = \"zigbee2mqtt\"\n"
            ));
        }
        if !group.is_empty() {
            text.push_str(&format!(
                "\n[[room.zone.light]]\nname = \"{group}\"\nfamily = \"zigbee2mqtt\"\ngroup = true\n"
            ));
        }
    }
    text.push_str(&format!(
        "\n[mqtt]\nhost = \"127.0.0.1\"\nport = {port}\n\n[paths]\nscenes = \"{}\"\nplaylists = \"{}\"\nmedia = \"{}\"\n",
        root.join("scenes").display(),
        root.join("playlists").display(),
        root.join("media").display(),
    ));
    std::fs::write(&path, text).expect("config");
    path
}

/// A client subscribed to every light's command topic, sending each full-light command's
/// topic and arrival time.
fn subscribe(port: u16) -> (Client, mpsc::Receiver<(String, Instant)>) {
    let mut options = MqttOptions::new(format!("bench-{}", std::process::id()), "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(30));
    let (client, mut connection) = Client::new(options, 256);
    let (arrivals, received) = mpsc::channel();
    let (ready, is_ready) = mpsc::channel();
    thread::spawn(move || {
        for event in connection.iter() {
            match event {
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    let _ = ready.send(());
                }
                Ok(Event::Incoming(Packet::Publish(p)))
                    if String::from_utf8_lossy(&p.payload).contains("\"brightness\":254") =>
                {
                    if arrivals.send((p.topic, Instant::now())).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    client
        .subscribe("zigbee2mqtt/+/set", QoS::AtLeastOnce)
        .expect("subscribe");
    is_ready.recv_timeout(WAIT).expect("suback");
    (client, received)
}

/// Runs `action` `runs` times, each time timing until every light has had its full-light
/// command (for the baseline: as many messages as there are lights).
fn measure(
    runs: usize,
    arrivals: &mpsc::Receiver<(String, Instant)>,
    names: &[String],
    mut action: impl FnMut(),
) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        while arrivals.try_recv().is_ok() {}
        let start = Instant::now();
        action();
        let mut lit: Vec<String> = Vec::new();
        let mut baseline = 0;
        let mut last = start;
        while lit.len() < names.len() && baseline < names.len() {
            let (topic, at) = arrivals
                .recv_timeout(WAIT)
                .expect("a light's command never arrived");
            last = at;
            if topic == "zigbee2mqtt/baseline/set" {
                baseline += 1;
            } else if !lit.contains(&topic) {
                lit.push(topic);
            }
        }
        samples.push(last.saturating_duration_since(start));
        thread::sleep(Duration::from_millis(50));
    }
    samples.sort();
    samples
}

fn ms(sorted: &[Duration], quantile: f64) -> String {
    let index = ((sorted.len() as f64 * quantile).ceil() as usize).clamp(1, sorted.len()) - 1;
    format!("{:.2} ms", sorted[index].as_secs_f64() * 1000.0)
}
