//! Emergency latency in a room of 12 single Zigbee2MQTT bulbs and 2 Zigbee2MQTT groups: from
//! `setting emergency` to the LAST of the 14 lights' commands arriving at a subscriber on the
//! broker, with the daemon up. The same from the daemon's socket (no CLI process), over the
//! broker as from another machine of the clinic (`setting --room`, and a bare request published
//! to the room's request topic), and from a panic button's press as Zigbee2MQTT publishes it;
//! at several cadences: spaced, right after technicians' `lights set` on every zone, right after
//! another emergency and its resume, and back to back (every run first moves the lights away
//! from the emergency's look, which a light already at it is not sent again). Beside them, in the same run, the same
//! subscriber's arrival of 14 messages from `mosquitto_pub` and from a plain client.
//!
//! Written as an ignored test so that it needs no harness of its own; run it with
//! `cargo test --release --bench emergency_latency -- --ignored --nocapture` (RUNS=100 by
//! default). It starts a private Mosquitto on a free loopback port and a `settingd` on it,
//! and stops both by their handles.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use rumqttc::{Client, Event, MqttOptions, Packet, QoS};

use setting::mqtt::PrivateBroker;

/// Every light's command topic, and none of the daemon's own.
const COMMANDS: &str = "zigbee2mqtt/+/set";
/// Where the `mosquitto_pub -l` peer publishes its 14 lines: no light listens there.
const PEER_TOPIC: &str = "zigbee2mqtt/bench-peer/set";
/// The room's request topic for a client without a broker account.
const REQUESTS: &str = "setting/bench-room/request/anonymous";
const WAIT: Duration = Duration::from_secs(10);
/// Between spaced runs, and how long stray commands are looked for after each.
const PAUSE: Duration = Duration::from_millis(100);
/// The panic button's topic, as Zigbee2MQTT names a remote.
const PANIC: &str = "zigbee2mqtt/bench-panic";
const SPACED: &str = "100 ms after `lights set` on every zone";
const AFTER_TECHNICIAN: &str = "right after `lights set` on every zone";
const AFTER_ANOTHER: &str = "right after another emergency, its resume and `lights set`";
const BACK_TO_BACK: &str = "back to back: `lights set`, emergency, no pause";
/// Zigbee2MQTT's Stop: sent before a new look when a transition is still running.
const STOP: &[u8] = br#"{"brightness_move":0}"#;
/// A light of the room: name, Zigbee2MQTT topic, kelvin range, and whether it is a group.
type Light = (&'static str, &'static str, [u16; 2], bool);
/// The room's zones and the lights in each.
const ZONES: &[(&str, &[Light])] = &[
    (
        "room",
        &[
            ("ceiling-1", "ceiling-1", [2200, 4000], false),
            ("ceiling-2", "ceiling-2", [2200, 4000], false),
            ("ceiling-3", "ceiling-3", [2200, 4000], false),
            ("ceiling-4", "ceiling-4", [2200, 4000], false),
            ("ceiling-5", "ceiling-5", [2200, 4000], false),
            ("ceiling-6", "ceiling-6", [2200, 4000], false),
            ("cove", "Cove", [2200, 4000], true),
        ],
    ),
    ("mat-1", &[("mat-1-lamp", "mat-1-lamp", [2200, 2700], false)]),
    ("mat-2", &[("mat-2-lamp", "mat-2-lamp", [2200, 2700], false)]),
    ("mat-3", &[("mat-3-lamp", "mat-3-lamp", [2200, 2700], false)]),
    ("mat-4", &[("mat-4-lamp", "mat-4-lamp", [2200, 2700], false)]),
    (
        "floor",
        &[
            ("floor-1", "floor-1", [2200, 4000], false),
            ("floor-2", "floor-2", [2200, 4000], false),
            ("shelves", "Shelves", [2200, 2700], true),
        ],
    ),
];

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One message at the subscriber.
struct Arrival {
    at: Instant,
    topic: String,
    payload: Vec<u8>,
}

/// When a run is over.
enum Until<'a> {
    /// Every light's topic has had this payload (the emergency's look).
    Looks(&'a BTreeMap<String, Vec<u8>>),
    /// This many messages on one topic.
    Count(&'static str, usize),
}

/// The subscriber's arrivals, and the commands seen after a run that were not its look.
struct Watch {
    arrivals: mpsc::Receiver<Arrival>,
    strays: usize,
}

impl Watch {
    fn drain(&mut self) {
        while self.arrivals.try_recv().is_ok() {}
    }

    /// The last arrival that completes the run begun at `start`.
    fn last(&mut self, start: Instant, until: &Until) -> Instant {
        let mut seen: BTreeMap<&str, ()> = BTreeMap::new();
        let mut count = 0;
        loop {
            let Ok(a) = self.arrivals.recv_timeout(WAIT) else {
                panic!("within {WAIT:?} only these had their command: {:?}", seen.keys());
            };
            // A message of an earlier run, delivered late, is not this run's.
            if a.at < start {
                continue;
            }
            match until {
                Until::Looks(looks) => {
                    if let Some((topic, _)) = looks.get_key_value(&a.topic).filter(|(_, p)| **p == a.payload)
                    {
                        seen.insert(topic.as_str(), ());
                        if seen.len() == looks.len() {
                            return a.at;
                        }
                    }
                }
                Until::Count(topic, n) => {
                    if a.topic == *topic {
                        count += 1;
                        if count == *n {
                            return a.at;
                        }
                    }
                }
            }
        }
    }

    /// Waits `pause`, counting commands to a light that are neither its look nor a Stop: one
    /// after the emergency's would leave the light away from it.
    fn settle(&mut self, pause: Duration, until: &Until) {
        let end = Instant::now() + pause;
        while let Ok(a) = self
            .arrivals
            .recv_timeout(end.saturating_duration_since(Instant::now()))
        {
            if let Until::Looks(looks) = until
                && let Some(look) = looks.get(&a.topic)
                && *look != a.payload
                && a.payload != STOP
            {
                self.strays += 1;
                eprintln!(
                    "stray command after the emergency on {}: {}",
                    a.topic,
                    String::from_utf8_lossy(&a.payload)
                );
            }
        }
    }

    /// Runs `action` `runs` times, each after `prepare` (not timed), timing from just before
    /// the action until `until` is met, then waiting `pause`.
    fn measure(
        &mut self,
        runs: usize,
        pause: Duration,
        until: &Until,
        mut prepare: impl FnMut(&mut Watch),
        mut action: impl FnMut(),
    ) -> Vec<Duration> {
        self.drain();
        let mut samples = Vec::with_capacity(runs);
        for _ in 0..runs {
            prepare(self);
            let start = Instant::now();
            action();
            samples.push(self.last(start, until).saturating_duration_since(start));
            self.settle(pause, until);
        }
        samples.sort();
        samples
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
    let port = broker.port();
    let config = write_config(dir.path(), port);
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
    let (_subscriber, arrivals) = subscribe(port);
    let mut watch = Watch { arrivals, strays: 0 };
    let looks = emergency_looks(&socket, &mut watch);
    let emergency = Until::Looks(&looks);
    let lights = looks.len();

    let cli = || {
        let status = Command::new(env!("CARGO_BIN_EXE_setting"))
            .arg("--socket")
            .arg(&socket)
            .arg("emergency")
            .stdout(Stdio::null())
            .status()
            .expect("setting emergency");
        assert!(status.success());
    };
    let on_socket = || ok(&socket, r#"{"op":"emergency"}"#);
    // A light already sent the emergency's look is not sent it again, so every run first
    // moves the room elsewhere: the room resumed (technicians are refused while an emergency
    // holds it), then a technician's `setting lights set ZONE 10% 2200K --fade 0s` on every
    // zone, 14 ordinary commands the budgets may still hold back when the emergency comes.
    let moved = |_: &mut Watch| technician(&socket);
    let settled = |_: &mut Watch| {
        technician(&socket);
        thread::sleep(PAUSE);
    };
    // Another emergency, all its commands at the broker, its resume, and the technician's.
    let another = |w: &mut Watch| {
        technician(&socket);
        let start = Instant::now();
        ok(&socket, r#"{"op":"emergency"}"#);
        w.last(start, &emergency);
        technician(&socket);
    };

    let mut rows = Vec::new();
    let timed = [
        ("`setting emergency` (CLI process)", true),
        ("emergency request on the socket", false),
    ];
    for (name, is_cli) in timed {
        let act = || if is_cli { cli() } else { on_socket() };
        rows.push((name, SPACED, watch.measure(runs, PAUSE, &emergency, settled, act)));
        rows.push((
            name,
            AFTER_TECHNICIAN,
            watch.measure(runs, PAUSE, &emergency, moved, act),
        ));
        rows.push((
            name,
            AFTER_ANOTHER,
            watch.measure(runs, PAUSE, &emergency, another, act),
        ));
        rows.push((
            name,
            BACK_TO_BACK,
            watch.measure(runs, Duration::ZERO, &emergency, moved, act),
        ));
    }

    let remote_ready = Instant::now() + WAIT;
    while !remote_cli(port, "status") {
        assert!(
            Instant::now() < remote_ready,
            "the room never answered over the broker"
        );
        thread::sleep(Duration::from_millis(50));
    }
    rows.push((
        "`setting --room bench-room emergency` (CLI process, over the broker)",
        AFTER_TECHNICIAN,
        watch.measure(runs, PAUSE, &emergency, moved, || {
            assert!(remote_cli(port, "emergency"));
        }),
    ));
    // From a connection of its own, as Home Assistant's would be: sent from the subscriber's,
    // the light commands would queue behind the broker's PUBACK to it (Nagle on the broker's
    // side, delayed ACK on ours) and measure 40 ms of TCP instead of the room.
    let bridge = requester(port, "requests");
    rows.push((
        "emergency request published to the room's request topic",
        AFTER_TECHNICIAN,
        watch.measure(runs, PAUSE, &emergency, moved, || {
            bridge
                .publish(
                    REQUESTS,
                    QoS::AtLeastOnce,
                    false,
                    br#"{"op":"emergency"}"#.to_vec(),
                )
                .expect("publish");
        }),
    ));
    // A panic button's `hold`, as Zigbee2MQTT publishes it, from a connection of its own (the
    // bridge's). Each run first presses `double` (resume): the same command again within two
    // seconds would be the same press, and not sent.
    let press = |action: &str| {
        let payload = format!(r#"{{"action":"{action}","battery":100,"linkquality":120}}"#);
        bridge
            .publish(PANIC, QoS::AtLeastOnce, false, payload.into_bytes())
            .expect("publish");
    };
    rows.push((
        "a button's `hold` (Zigbee2MQTT's action message)",
        "`double` (resume), 100 ms, then right after `lights set` on every zone",
        watch.measure(
            runs,
            PAUSE,
            &emergency,
            |_| {
                press("double");
                thread::sleep(PAUSE);
                technician(&socket);
            },
            || press("hold"),
        ),
    ));

    // The peers: 14 messages, as many as the room's lights, to the same subscriber.
    let light_topics: Vec<&String> = looks.keys().collect();
    // From a connection of its own, as the daemon's is: from the subscriber's, the broker's
    // PUBACKs and the messages it forwards would share one socket and wait on each other.
    let publisher = requester(port, "publisher");
    let plain = watch.measure(
        runs,
        PAUSE,
        &emergency,
        |_| {},
        || {
            for (topic, look) in &looks {
                publisher
                    .publish(topic, QoS::AtLeastOnce, false, look.clone())
                    .expect("publish");
            }
        },
    );
    let mosquitto_one = watch.measure(
        runs,
        PAUSE,
        &Until::Count(PEER_TOPIC, 1),
        |_| {},
        || {
            let status = Command::new("mosquitto_pub")
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &port.to_string(),
                    "-q",
                    "1",
                    "-t",
                    PEER_TOPIC,
                    "-m",
                    "{}",
                ])
                .status()
                .expect("mosquitto_pub (mosquitto-clients)");
            assert!(status.success());
        },
    );
    let peer_lines = Until::Count(PEER_TOPIC, lights);
    let mosquitto_lines = watch.measure(
        runs,
        PAUSE,
        &peer_lines,
        |_| {},
        || {
            let mut child = Command::new("mosquitto_pub")
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &port.to_string(),
                    "-q",
                    "1",
                    "-t",
                    PEER_TOPIC,
                    "-l",
                ])
                .stdin(Stdio::piped())
                .spawn()
                .expect("mosquitto_pub (mosquitto-clients)");
            let mut lines = String::new();
            for topic in &light_topics {
                lines.push_str(&String::from_utf8_lossy(&looks[*topic]));
                lines.push('\n');
            }
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(lines.as_bytes())
                .expect("write");
            assert!(child.wait().expect("mosquitto_pub").success());
        },
    );
    let mosquitto_each = watch.measure(
        runs,
        PAUSE,
        &emergency,
        |_| {},
        || {
            let children: Vec<Child> = looks
                .iter()
                .map(|(topic, look)| {
                    Command::new("mosquitto_pub")
                        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q", "1", "-t", topic])
                        .arg("-m")
                        .arg(String::from_utf8_lossy(look).as_ref())
                        .spawn()
                        .expect("mosquitto_pub")
                })
                .collect();
            for mut child in children {
                assert!(child.wait().expect("mosquitto_pub").success());
            }
        },
    );
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
    println!("{lights} lights; every row to the last of {lights} commands at the subscriber");
    println!();
    println!("| path | cadence | runs | p50 | p99 | max |");
    println!("| --- | --- | --- | --- | --- | --- |");
    let peer = "100 ms apart";
    rows.extend([
        (
            "`mosquitto_pub -l`, 14 lines to one topic (one process, one connection)",
            peer,
            mosquitto_lines,
        ),
        (
            "one `mosquitto_pub -m`, one message (one process, one connection)",
            peer,
            mosquitto_one,
        ),
        (
            "14 `mosquitto_pub` processes at once, one per light's topic",
            peer,
            mosquitto_each,
        ),
        (
            "14 plain MQTT publishes from a connected client (broker baseline)",
            peer,
            plain,
        ),
        (
            "`setting --version`, start to exit (process start alone)",
            "",
            spawn,
        ),
    ]);
    for (name, cadence, samples) in rows {
        println!(
            "| {name} | {cadence} | {} | {} | {} | {} |",
            samples.len(),
            ms(&samples, 0.50),
            ms(&samples, 0.99),
            ms(&samples, 1.0)
        );
    }
    println!();
    println!(
        "commands that left a light away from the emergency's look: {}",
        watch.strays
    );
    assert_eq!(
        watch.strays, 0,
        "a light was sent something else after its emergency"
    );
}

/// One emergency from the socket, and the look each light's topic was sent: what every timed
/// emergency must reach. The room must have all of its lights in it.
fn emergency_looks(socket: &Path, watch: &mut Watch) -> BTreeMap<String, Vec<u8>> {
    technician(socket);
    thread::sleep(PAUSE);
    watch.drain();
    ok(socket, r#"{"op":"emergency"}"#);
    let mut looks = BTreeMap::new();
    let end = Instant::now() + Duration::from_secs(1);
    while let Ok(a) = watch
        .arrivals
        .recv_timeout(end.saturating_duration_since(Instant::now()))
    {
        if a.payload != STOP {
            looks.insert(a.topic, a.payload);
        }
    }
    let expected: usize = ZONES.iter().map(|(_, lights)| lights.len()).sum();
    assert_eq!(
        looks.len(),
        expected,
        "not every light had an emergency command: {looks:?}"
    );
    looks
}

fn write_config(dir: &Path, port: u16) -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = dir.join("settingd.toml");
    let mut zones = String::new();
    for (zone, lights) in ZONES {
        zones.push_str(&format!("[[room.zone]]\nname = \"{zone}\"\n\n"));
        for (name, topic, [low, high], group) in *lights {
            zones.push_str(&format!(
                "[[room.zone.light]]\nname = \"{name}\"\nfamily = \"zigbee2mqtt\"\ntopic = \"{topic}\"\nkelvin = [{low}, {high}]\ngroup = {group}\n\n"
            ));
        }
    }
    // The shipped budgets (`zigbee-unicast` for the bulbs, `zigbee` for the groups): an
    // emergency must not wait for them, at any cadence.
    let text = format!(
        r#"[room]
name = "bench-room"

{zones}[mqtt]
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

/// The room resumed (refused, and no matter, when no emergency holds it), then a technician's
/// `setting lights set ZONE 10% 2200K --fade 0s` on every zone.
fn technician(socket: &Path) {
    request(socket, r#"{"op":"resume"}"#);
    for (zone, _) in ZONES {
        ok(
            socket,
            &format!(r#"{{"op":"lights_set","target":"{zone}","brightness":10,"kelvin":2200,"fade":"0s"}}"#),
        );
    }
}

/// A request on the socket that must succeed.
fn ok(socket: &Path, line: &str) {
    let reply = request(socket, line);
    assert!(reply.contains(r#""ok":true"#), "{line} was answered {reply}");
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
fn requester(port: u16, name: &str) -> Client {
    let options = MqttOptions::new(format!("bench-{name}-{}", std::process::id()), "127.0.0.1", port);
    let (client, mut connection) = Client::new(options, 64);
    thread::spawn(move || for _ in connection.iter() {});
    client
}

/// A client subscribed to every light's command topic, sending each message with its arrival
/// time.
fn subscribe(port: u16) -> (Client, mpsc::Receiver<Arrival>) {
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
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let arrival = Arrival {
                        at: Instant::now(),
                        topic: p.topic.clone(),
                        payload: p.payload.to_vec(),
                    };
                    if arrivals.send(arrival).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    client.subscribe(COMMANDS, QoS::AtLeastOnce).expect("subscribe");
    is_ready.recv_timeout(WAIT).expect("suback");
    (client, received)
}

fn ms(sorted: &[Duration], quantile: f64) -> String {
    let index = ((sorted.len() as f64 * quantile).ceil() as usize).clamp(1, sorted.len()) - 1;
    format!("{:.2} ms", sorted[index].as_secs_f64() * 1000.0)
}
