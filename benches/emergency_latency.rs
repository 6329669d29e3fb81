//! Emergency latency: from `setting emergency` to the light command arriving at a subscriber
//! on the broker, with the daemon up; beside it, the same subscriber's latency for a plain
//! publish on the same broker, and the daemon's part alone (the request written straight to
//! its socket, no CLI process). The same over the broker, as from another machine of the
//! clinic: `setting --room`, and a bare request published to the room's request topic; and a
//! panic button's press, as Zigbee2MQTT publishes it.
//!
//! Written as an ignored test so that it needs no harness of its own; run it with
//! `cargo test --release --bench emergency_latency -- --ignored --nocapture` (RUNS=100 by
//! default). It starts a private Mosquitto on a free loopback port and a `settingd` on it,
//! and stops both by their handles.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use rumqttc::{Client, Event, MqttOptions, Packet, QoS};

use setting::mqtt::PrivateBroker;

const TOPIC: &str = "zigbee2mqtt/bench-lamp/set";
/// The room's request topic for a client without a broker account.
const REQUESTS: &str = "setting/bench-room/request/anonymous";
const WAIT: Duration = Duration::from_secs(10);
/// The panic button's topic, as Zigbee2MQTT names a remote.
const PANIC: &str = "zigbee2mqtt/bench-panic";

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
#[ignore = "a benchmark: run with --ignored --nocapture"]
fn emergency_latency() {
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(100);
    let dir = tempfile::tempdir().expect("temp dir");
    let broker = PrivateBroker::start(&dir.path().join("broker")).expect("mosquitto");
    let config = write_config(dir.path(), broker.port());
    let socket = dir.path().join("control.sock");
    let log = std::fs::File::create(dir.path().join("settingd.log")).expect("log");
    let _daemon = Killed(
        Command::new(env!("CARGO_BIN_EXE_settingd"))
            .arg("--config")
            .arg(&config)
            .arg("--socket")
            .arg(&socket)
            .arg("--state-dir")
            .arg(dir.path().join("state"))
            .args(["--audio", "null", "--log-level", "warn"])
            .stdin(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("settingd"),
    );
    if !lights_connected(&socket) {
        let log = std::fs::read_to_string(dir.path().join("settingd.log")).unwrap_or_default();
        panic!("settingd did not connect its lights within {WAIT:?}:\n{log}");
    }
    let (subscriber, arrivals) = subscribe(broker.port());

    let cli = measure(runs, &arrivals, || {
        let status = Command::new(env!("CARGO_BIN_EXE_setting"))
            .arg("--socket")
            .arg(&socket)
            .arg("emergency")
            .stdout(Stdio::null())
            .status()
            .expect("setting emergency");
        assert!(status.success());
    });
    let direct = measure(runs, &arrivals, || {
        request(&socket, r#"{"op":"emergency"}"#);
    });
    let remote_ready = Instant::now() + WAIT;
    while !remote_cli(broker.port(), "status") {
        assert!(
            Instant::now() < remote_ready,
            "the room never answered over the broker"
        );
        thread::sleep(Duration::from_millis(50));
    }
    let remote = measure(runs, &arrivals, || {
        assert!(remote_cli(broker.port(), "emergency"));
    });
    // From a connection of its own, as Home Assistant's would be: sent from the subscriber's,
    // the light command would queue behind the broker's PUBACK to it (Nagle on the broker's
    // side, delayed ACK on ours) and measure 40 ms of TCP instead of the room.
    let requester = requester(broker.port());
    let remote_direct = measure(runs, &arrivals, || {
        requester
            .publish(
                REQUESTS,
                QoS::AtLeastOnce,
                false,
                br#"{"op":"emergency"}"#.to_vec(),
            )
            .expect("publish");
    });
    // A panic button's `hold`, as Zigbee2MQTT publishes it, from a connection of its own (the
    // bridge's). Each run first presses `double` (resume): the same command again within two
    // seconds would be the same press, and not sent.
    let button = measure_button(runs, &arrivals, &requester);
    let plain = measure(runs, &arrivals, || {
        subscriber
            .publish(TOPIC, QoS::AtLeastOnce, false, b"{}".to_vec())
            .expect("publish");
    });
    // What the CLI's process start costs alone, to tell it apart from the daemon's part.
    let mut spawn: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let status = Command::new(env!("CARGO_BIN_EXE_setting"))
                .arg("--version")
                .stdout(Stdio::null())
                .status()
                .expect("setting --version");
            assert!(status.success());
            start.elapsed()
        })
        .collect();
    spawn.sort();
    println!("| path | runs | p50 | p99 | max |");
    println!("| --- | --- | --- | --- | --- |");
    for (name, samples) in [
        (
            "`setting emergency` (CLI process) → light command at a subscriber",
            cli,
        ),
        (
            "emergency request on the socket → light command at a subscriber",
            direct,
        ),
        (
            "`setting --room bench-room emergency` (CLI process, over the broker) → light command at a subscriber",
            remote,
        ),
        (
            "emergency request published to the room's request topic → light command at a subscriber",
            remote_direct,
        ),
        (
            "a button's `hold` (Zigbee2MQTT's action message) → light command at a subscriber",
            button,
        ),
        (
            "plain MQTT publish → the same subscriber (broker baseline)",
            plain,
        ),
        ("`setting --version`, start to exit (process start alone)", spawn),
    ] {
        println!(
            "| {name} | {} | {} | {} | {} |",
            samples.len(),
            ms(&samples, 0.50),
            ms(&samples, 0.99),
            ms(&samples, 1.0)
        );
    }
}

fn write_config(dir: &Path, port: u16) -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = dir.join("settingd.toml");
    // The largest budget the config allows, so that back-to-back emergencies measure the
    // path and not the token bucket.
    let text = format!(
        r#"[room]
name = "bench-room"

[[room.zone]]
name = "room"

[[room.zone.light]]
name = "bench-lamp"
family = "zigbee2mqtt"
network = "bench"

[[lights.network]]
name = "bench"
per_second = 50
burst = 100

[mqtt]
host = "127.0.0.1"
port = {port}

[remote]
enabled = true

[[button]]
name = "bench-panic"
kind = "zigbee2mqtt"
topic = "{PANIC}"
press = {{ hold = "emergency", double = "resume" }}

[paths]
scenes = "{scenes}"
playlists = "{playlists}"
media = "{media}"
"#,
        scenes = root.join("scenes").display(),
        playlists = root.join("playlists").display(),
        media = root.join("media").display(),
    );
    std::fs::write(&path, text).expect("config");
    path
}

/// `setting --room bench-room COMMAND` through the broker; whether it succeeded.
fn remote_cli(port: u16, command: &str) -> bool {
    Command::new(env!("CARGO_BIN_EXE_setting"))
        .args([
            "--room",
            "bench-room",
            "--broker",
            &format!("127.0.0.1:{port}"),
            command,
        ])
        .env_remove("SETTING_CONFIG")
        .env_remove("SETTING_BROKER_USER")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("setting --room")
        .success()
}

fn request(socket: &Path, line: &str) -> String {
    let mut stream = UnixStream::connect(socket).expect("connect");
    stream.write_all(format!("{line}\n").as_bytes()).expect("write");
    let mut reply = String::new();
    BufReader::new(stream).read_line(&mut reply).expect("reply");
    reply
}

fn lights_connected(socket: &Path) -> bool {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if UnixStream::connect(socket).is_ok()
            && request(socket, r#"{"op":"status"}"#).contains(", connected")
        {
            return true;
        }
        thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A client of its own for sending requests to the room, its connection driven by a thread.
fn requester(port: u16) -> Client {
    let options = MqttOptions::new(
        format!("bench-requests-{}", std::process::id()),
        "127.0.0.1",
        port,
    );
    let (client, mut connection) = Client::new(options, 64);
    thread::spawn(move || for _ in connection.iter() {});
    client
}

/// A client subscribed to the light's command topic, sending the arrival time of each message.
fn subscribe(port: u16) -> (Client, mpsc::Receiver<Instant>) {
    let mut options = MqttOptions::new(format!("bench-{}", std::process::id()), "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(30));
    let (client, mut connection) = Client::new(options, 64);
    let (arrivals, received) = mpsc::channel();
    let (ready, is_ready) = mpsc::channel();
    thread::spawn(move || {
        for event in connection.iter() {
            match event {
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    let _ = ready.send(());
                }
                Ok(Event::Incoming(Packet::Publish(p))) if p.topic == TOPIC => {
                    if arrivals.send(Instant::now()).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    client.subscribe(TOPIC, QoS::AtLeastOnce).expect("subscribe");
    is_ready.recv_timeout(WAIT).expect("suback");
    (client, received)
}

/// Runs `action` `runs` times, each time timing until the next message arrives.
fn measure(runs: usize, arrivals: &mpsc::Receiver<Instant>, mut action: impl FnMut()) -> Vec<Duration> {
    while arrivals.try_recv().is_ok() {}
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        action();
        let arrived = arrivals.recv_timeout(WAIT).expect("the message never arrived");
        samples.push(arrived.saturating_duration_since(start));
        // Spaced so that the network's budget never holds one back: an emergency stopping
        // the previous one's transition costs two commands.
        thread::sleep(Duration::from_millis(100));
        while arrivals.try_recv().is_ok() {}
    }
    samples.sort();
    samples
}

/// [`measure`] for the button: before each timed `hold`, a `double` resumes the room, and its
/// own light command is let go by.
fn measure_button(runs: usize, arrivals: &mpsc::Receiver<Instant>, bridge: &Client) -> Vec<Duration> {
    let press = |action: &str| {
        let payload = format!(r#"{{"action":"{action}","battery":100,"linkquality":120}}"#);
        bridge
            .publish(PANIC, QoS::AtLeastOnce, false, payload.into_bytes())
            .expect("publish");
    };
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        press("double");
        thread::sleep(Duration::from_millis(100));
        while arrivals.try_recv().is_ok() {}
        let start = Instant::now();
        press("hold");
        let arrived = arrivals
            .recv_timeout(WAIT)
            .expect("the button's command never arrived");
        samples.push(arrived.saturating_duration_since(start));
        thread::sleep(Duration::from_millis(100));
        while arrivals.try_recv().is_ok() {}
    }
    samples.sort();
    samples
}

fn ms(sorted: &[Duration], quantile: f64) -> String {
    let index = ((sorted.len() as f64 * quantile).ceil() as usize).clamp(1, sorted.len()) - 1;
    format!("{:.2} ms", sorted[index].as_secs_f64() * 1000.0)
}
