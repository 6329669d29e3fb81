//! The example broker configuration in config/mosquitto/, run by the real Mosquitto with only
//! its port and file paths changed: each room's daemon user reaches its own topics and no other
//! room's, and nobody gets in without a password.

use std::fs;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::thread;
use std::time::{Duration, Instant};

use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{ConnectReturnCode, Packet, PubAckReason, PublishProperties};
use rumqttc::v5::{Client, ConnectionError, Event, MqttOptions};

use crate::support::{Daemon, eventually, repo_path};

const WAIT: Duration = Duration::from_secs(10);
const USERS: [(&str, &str); 6] = [
    ("room-a", "room-a-test-password"),
    ("room-b", "room-b-test-password"),
    ("zigbee2mqtt", "zigbee2mqtt-test-password"),
    ("ana", "ana-test-password"),
    ("bob", "bob-test-password"),
    ("homeassistant", "homeassistant-test-password"),
];

/// Mosquitto running the shipped files; killed (this process only) on drop.
struct ExampleBroker {
    child: Child,
    port: u16,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl ExampleBroker {
    fn start() -> ExampleBroker {
        let dir = tempfile::Builder::new()
            .prefix("mosquitto-example-")
            .tempdir()
            .expect("temp dir");
        let files = format!("{}/", dir.path().display());
        let shipped =
            fs::read_to_string(repo_path("config/mosquitto/mosquitto.conf")).expect("mosquitto.conf");
        let port = free_port();
        let mut conf = replace_once(&shipped, "/etc/mosquitto/setting/", &files);
        conf = replace_once(
            &conf,
            "listener 1883 127.0.0.1",
            &format!("listener {port} 127.0.0.1"),
        );
        // Started as root, Mosquitto would drop to the `mosquitto` user, which cannot read a
        // private temp dir: stay as whoever runs the tests.
        // SAFETY: getuid(2) has no preconditions.
        if unsafe { libc::getuid() } == 0 {
            conf.push_str("\nuser root\n");
        }
        let conf_path = dir.path().join("mosquitto.conf");
        fs::write(&conf_path, conf).expect("write mosquitto.conf");
        fs::copy(repo_path("config/mosquitto/acl"), dir.path().join("acl")).expect("copy the acl");
        let passwd = dir.path().join("passwd");
        for (i, (user, password)) in USERS.iter().enumerate() {
            let mut command = Command::new("mosquitto_passwd");
            if i == 0 {
                command.arg("-c");
            }
            let status = command
                .arg("-b")
                .arg(&passwd)
                .args([user, password])
                .stdout(Stdio::null())
                .status()
                .expect("cannot run mosquitto_passwd");
            assert!(status.success(), "mosquitto_passwd {user}");
        }
        let log = dir.path().join("mosquitto.log");
        let log_file = fs::File::create(&log).expect("log file");
        let child = Command::new("/usr/sbin/mosquitto")
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log handle"))
            .stderr(log_file)
            .spawn()
            .expect("cannot run /usr/sbin/mosquitto");
        let mut broker = ExampleBroker {
            child,
            port,
            log,
            _dir: dir,
        };
        broker.wait_until_listening();
        broker
    }

    fn wait_until_listening(&mut self) {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                panic!("mosquitto exited at start-up ({status}):\n{}", self.log_text());
            }
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "mosquitto never listened:\n{}",
                self.log_text()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A logged-in client whose events arrive on the receiver; `None` credentials: anonymous.
    fn connect(
        &self,
        credentials: Option<(&str, &str)>,
    ) -> (Client, Receiver<Result<Event, ConnectionError>>) {
        let id = format!(
            "example-{}-{:?}",
            credentials.map_or("anonymous", |c| c.0),
            Instant::now()
        );
        let mut options = MqttOptions::new(id, "127.0.0.1", self.port);
        options.set_keep_alive(Duration::from_secs(5));
        if let Some((user, password)) = credentials {
            options.set_credentials(user, password);
        }
        let (client, mut connection) = Client::new(options, 16);
        let (events, received) = channel();
        thread::spawn(move || {
            for event in connection.iter() {
                let stop = event.is_err();
                if events.send(event).is_err() || stop {
                    return;
                }
            }
        });
        (client, received)
    }
}

impl Drop for ExampleBroker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if thread::panicking() {
            eprintln!("--- mosquitto log ---\n{}", self.log_text());
        }
    }
}

fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "the shipped mosquitto.conf no longer has `{from}`"
    );
    text.replace(from, to)
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}

fn user(name: &str) -> (&'static str, &'static str) {
    *USERS.iter().find(|(u, _)| *u == name).expect("a test user")
}

/// The next packet `pick` accepts, skipping others; panics on a connection error.
fn next<T>(events: &Receiver<Result<Event, ConnectionError>>, pick: impl Fn(Packet) -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match events.recv_timeout(left) {
            Ok(Ok(Event::Incoming(packet))) => {
                if let Some(found) = pick(packet) {
                    return found;
                }
            }
            Ok(Ok(Event::Outgoing(_))) => {}
            Ok(Err(e)) => panic!("connection failed: {e}"),
            Err(_) => panic!("nothing expected came within {WAIT:?}"),
        }
    }
}

/// What the broker answers to a QoS 1 publish by `name` on `topic`.
fn publish_as(broker: &ExampleBroker, name: &str, topic: &str) -> PubAckReason {
    let (client, events) = broker.connect(Some(user(name)));
    client
        .publish(
            topic,
            QoS::AtLeastOnce,
            false,
            format!("from {name}").into_bytes(),
        )
        .expect("publish");
    next(&events, |p| match p {
        Packet::PubAck(ack) => Some(ack.reason),
        _ => None,
    })
}

/// A payload [`publish_as`] sent for a room's user, not for Zigbee2MQTT.
fn from_a_room(payload: &[u8]) -> bool {
    payload.starts_with(b"from room-")
}

/// Whether the broker took a publish (it may have had nobody to route it to).
fn accepted(reason: PubAckReason) -> bool {
    matches!(
        reason,
        PubAckReason::Success | PubAckReason::NoMatchingSubscribers
    )
}

#[test]
fn therapists_and_home_assistant_send_requests_only_under_their_own_names() {
    let broker = ExampleBroker::start();
    for (user, topic, allowed) in [
        ("ana", "setting/room-a/request/ana", true),
        ("ana", "setting/room-b/request/ana", true),
        ("bob", "setting/room-b/request/bob", true),
        // bob does not work in room A.
        ("bob", "setting/room-a/request/bob", false),
        // Nobody sends under another's name, or as the room itself.
        ("ana", "setting/room-a/request/bob", false),
        ("ana", "setting/room-a/request/homeassistant", false),
        ("homeassistant", "setting/room-a/request/ana", false),
        ("ana", "setting/room-a/state", false),
        ("ana", "setting/room-a/status", false),
        ("ana", "setting/room-a/reply/ana/x", false),
        ("ana", "zigbee2mqtt/room-a/ceiling-1/set", false),
        ("homeassistant", "setting/room-a/request/homeassistant", true),
        ("homeassistant", "setting/room-b/request/homeassistant", true),
        ("homeassistant", "zigbee2mqtt/room-a/ceiling-1/set", false),
        // Each room publishes its own discovery documents, not another room's.
        ("room-a", "homeassistant/select/setting_room-a/scene/config", true),
        (
            "room-a",
            "homeassistant/select/setting_room-b/scene/config",
            false,
        ),
        ("room-a", "homeassistant/status", false),
        ("homeassistant", "homeassistant/status", true),
        // A room does not steer another room.
        ("room-a", "setting/room-b/request/room-a", false),
        // Nor its own, under a therapist's name or its own: the room's account is on the
        // room's machine for the direct path, and the name must stay the sender's.
        ("room-a", "setting/room-a/request/ana", false),
        ("room-a", "setting/room-a/request/room-a", false),
        // What the room's daemon and the direct path do publish.
        ("room-a", "setting/room-a/emergency/direct", true),
        ("room-a", "setting/room-a/reply/ana/1", true),
    ] {
        let reason = publish_as(&broker, user, topic);
        assert_eq!(accepted(reason), allowed, "{user} on {topic}: {reason:?}");
    }
}

#[test]
fn a_therapist_reads_the_rooms_state_and_only_their_own_replies() {
    let broker = ExampleBroker::start();
    let (ana, heard) = broker.connect(Some(user("ana")));
    ana.subscribe("setting/#", QoS::AtLeastOnce).expect("subscribe");
    next(&heard, |p| matches!(p, Packet::SubAck(_)).then_some(()));
    let sent = [
        ("room-a", "setting/room-a/reply/bob/1"),
        ("homeassistant", "setting/room-a/request/homeassistant"),
        ("room-a", "setting/room-a/status"),
        ("room-b", "setting/room-b/reply/ana/2"),
        ("room-a", "setting/room-a/state"),
        ("room-a", "setting/room-a/reply/ana/1"),
    ];
    for (by, topic) in sent {
        assert!(accepted(publish_as(&broker, by, topic)), "{by} on {topic}");
    }
    let mut delivered = Vec::new();
    while delivered.last().map(String::as_str) != Some("setting/room-a/reply/ana/1") {
        delivered.push(next(&heard, |p| match p {
            Packet::Publish(publish) => Some(String::from_utf8_lossy(&publish.topic).into_owned()),
            _ => None,
        }));
    }
    assert_eq!(
        delivered,
        [
            "setting/room-b/reply/ana/2",
            "setting/room-a/state",
            "setting/room-a/reply/ana/1"
        ]
    );
}

#[test]
fn each_room_reaches_its_own_topics_and_not_the_other_rooms() {
    let broker = ExampleBroker::start();
    // Zigbee2MQTT's side: it sees every command that reaches the lights.
    let (z2m, lights_seen) = broker.connect(Some(user("zigbee2mqtt")));
    z2m.subscribe("zigbee2mqtt/#", QoS::AtLeastOnce)
        .expect("subscribe");
    next(&lights_seen, |p| matches!(p, Packet::SubAck(_)).then_some(()));

    for (room, other) in [("room-a", "room-b"), ("room-b", "room-a")] {
        let own_light = format!("zigbee2mqtt/{room}/ceiling-1/set");
        let own_status = format!("setting/{room}/status");
        let their_light = format!("zigbee2mqtt/{other}/ceiling-1/set");
        let their_status = format!("setting/{other}/status");
        assert_eq!(publish_as(&broker, room, &own_light), PubAckReason::Success);
        // Accepted, with nobody listening to the status here.
        assert!(matches!(
            publish_as(&broker, room, &own_status),
            PubAckReason::Success | PubAckReason::NoMatchingSubscribers
        ));
        assert_eq!(
            publish_as(&broker, room, &their_light),
            PubAckReason::NotAuthorized
        );
        assert_eq!(
            publish_as(&broker, room, &their_status),
            PubAckReason::NotAuthorized
        );
        // A light of no room at all, and the bridge's own topics, are out of reach too.
        assert_eq!(
            publish_as(&broker, room, "zigbee2mqtt/ceiling-1/set"),
            PubAckReason::NotAuthorized
        );
        assert_eq!(
            publish_as(&broker, room, "zigbee2mqtt/bridge/request/permit_join"),
            PubAckReason::NotAuthorized
        );

        // Mosquitto grants any subscription and filters what it delivers: the room is sent
        // its own lights' state and never the other room's, published just before.
        let (listener, heard_by_room) = broker.connect(Some(user(room)));
        for filter in ["zigbee2mqtt/#", "setting/#"] {
            listener.subscribe(filter, QoS::AtLeastOnce).expect("subscribe");
            next(&heard_by_room, |p| matches!(p, Packet::SubAck(_)).then_some(()));
        }
        // Each publish is acknowledged, so routed, before the next is sent.
        let sent = [
            ("zigbee2mqtt", format!("zigbee2mqtt/{other}/ceiling-1")),
            (other, format!("setting/{other}/status")),
            ("zigbee2mqtt", "zigbee2mqtt/bridge/state".to_string()),
            ("zigbee2mqtt", format!("zigbee2mqtt/{room}/ceiling-1")),
        ];
        for (by, topic) in &sent {
            assert!(matches!(
                publish_as(&broker, by, topic),
                PubAckReason::Success | PubAckReason::NoMatchingSubscribers
            ));
        }
        let mut delivered = Vec::new();
        while delivered.last() != Some(&format!("zigbee2mqtt/{room}/ceiling-1")) {
            delivered.push(next(&heard_by_room, |p| match p {
                Packet::Publish(publish) => Some(String::from_utf8_lossy(&publish.topic).into_owned()),
                _ => None,
            }));
        }
        assert_eq!(
            delivered,
            [
                "zigbee2mqtt/bridge/state".to_string(),
                format!("zigbee2mqtt/{room}/ceiling-1")
            ]
        );

        // What reached Zigbee2MQTT from the room: its own command, then a last one sent after
        // every refusal, with nothing in between (each publish was routed before its PUBACK).
        assert_eq!(publish_as(&broker, room, &own_light), PubAckReason::Success);
        let mut reached = Vec::new();
        while reached.len() < 2 {
            reached.push(next(&lights_seen, |p| match p {
                Packet::Publish(publish) if from_a_room(&publish.payload) => {
                    Some(String::from_utf8_lossy(&publish.topic).into_owned())
                }
                _ => None,
            }));
        }
        assert_eq!(reached, [own_light.clone(), own_light]);
    }
}

#[test]
fn anonymous_clients_and_wrong_passwords_are_refused() {
    let broker = ExampleBroker::start();
    for credentials in [
        None,
        Some(("room-a", "room-b-test-password")),
        Some(("nobody", "x")),
    ] {
        let (_client, events) = broker.connect(credentials);
        let refusal = loop {
            match events.recv_timeout(WAIT).expect("an answer to CONNECT") {
                Ok(Event::Incoming(Packet::ConnAck(ack))) if ack.code == ConnectReturnCode::Success => {
                    panic!("{credentials:?} was let in")
                }
                Ok(_) => {}
                Err(e) => break e,
            }
        };
        assert!(
            matches!(
                refusal,
                ConnectionError::ConnectionRefused(
                    ConnectReturnCode::NotAuthorized | ConnectReturnCode::BadUserNamePassword
                )
            ),
            "{credentials:?}: {refusal:?}"
        );
    }
}

/// The shipped files hold no password hash: the password file is made on the broker.
#[test]
fn the_example_ships_no_password_file() {
    let dir = repo_path("config/mosquitto");
    for entry in fs::read_dir(&dir).expect("config/mosquitto") {
        let path = entry.expect("entry").path();
        let text = fs::read_to_string(&path).unwrap_or_default();
        assert!(
            !text.contains("$7$") && !text.contains("$6$"),
            "{} holds a hash",
            path.display()
        );
        assert!(
            !is_named_passwd(&path),
            "{} looks like a password file",
            path.display()
        );
    }
}

fn is_named_passwd(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.contains("passwd") || n.contains("password"))
}

/// The real daemon, logged in as `room-a` with its light named under the room, as the ACL asks.
fn room_a_config(dir: &Path) -> std::path::PathBuf {
    let password_file = dir.join("mqtt-password");
    fs::write(&password_file, format!("{}\n", user("room-a").1)).expect("password file");
    let path = dir.join("settingd.toml");
    let text = format!(
        "[room]\nname = \"room-a\"\n\n[[room.zone]]\nname = \"room\"\n\n[[room.zone.light]]\n\
         name = \"ceiling-1\"\nfamily = \"zigbee2mqtt\"\ntopic = \"room-a/ceiling-1\"\nkelvin = [2200, 4000]\n\n\
         [mqtt]\nhost = \"192.0.2.1\"\nusername = \"room-a\"\npassword_file = \"{}\"\nversion = \"5\"\n\n\
         [paths]\nscenes = \"{}\"\nplaylists = \"{}\"\nmedia = \"{}\"\n\n[audio]\noutput = \"null\"\n",
        password_file.display(),
        repo_path("scenes").display(),
        repo_path("playlists").display(),
        repo_path("media").display(),
    );
    fs::write(&path, text).expect("config");
    path
}

#[test]
fn a_room_daemon_drives_its_lights_through_the_example_broker() {
    let broker = ExampleBroker::start();
    let (z2m, lights_seen) = broker.connect(Some(user("zigbee2mqtt")));
    z2m.subscribe("zigbee2mqtt/room-a/#", QoS::AtLeastOnce)
        .expect("subscribe");
    next(&lights_seen, |p| matches!(p, Packet::SubAck(_)).then_some(()));
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::builder()
        .config(room_a_config(dir.path()))
        .arg("--mqtt")
        .arg(format!("127.0.0.1:{}", broker.port))
        .start();
    let lights = || {
        daemon.status()["daemon"]["lights"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let connected = eventually(WAIT, || lights().contains(", connected").then_some(()));
    assert!(connected.is_some(), "{}", lights());

    daemon.ok(serde_json::json!({"op": "emergency"}));
    let command = next(&lights_seen, |p| match p {
        Packet::Publish(publish) => {
            (&publish.topic[..] == b"zigbee2mqtt/room-a/ceiling-1/set").then_some(publish.payload)
        }
        _ => None,
    });
    assert!(
        String::from_utf8_lossy(&command).contains("brightness"),
        "{command:?}"
    );

    // Its status, retained, is readable by the room's own user.
    let (listener, heard) = broker.connect(Some(user("room-a")));
    listener
        .subscribe("setting/room-a/status", QoS::AtLeastOnce)
        .expect("subscribe");
    let status = next(&heard, |p| match p {
        Packet::Publish(publish) => Some(String::from_utf8_lossy(&publish.payload).into_owned()),
        _ => None,
    });
    assert_eq!(status, "online");
    assert!(!lights().contains("refused"), "{}", lights());
}

#[test]
fn a_therapist_steers_room_a_through_the_example_broker() {
    let broker = ExampleBroker::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = room_a_config(dir.path());
    let mut text = fs::read_to_string(&config).expect("config");
    text.push_str("\n[remote]\nenabled = true\nhome_assistant = true\n");
    fs::write(&config, text).expect("config");
    let (ana, heard) = broker.connect(Some(user("ana")));
    for filter in ["setting/room-a/state", "setting/room-a/reply/ana/#"] {
        ana.subscribe(filter, QoS::AtLeastOnce).expect("subscribe");
        next(&heard, |p| matches!(p, Packet::SubAck(_)).then_some(()));
    }
    let daemon = Daemon::builder()
        .config(config)
        .arg("--mqtt")
        .arg(format!("127.0.0.1:{}", broker.port))
        .start();
    // The room's state, once published, says the daemon has subscribed to its requests.
    let online = next(&heard, |p| match p {
        Packet::Publish(publish) if &publish.topic[..] == b"setting/room-a/state" => {
            serde_json::from_slice::<serde_json::Value>(&publish.payload).ok()
        }
        _ => None,
    });
    assert_eq!(online["online"], serde_json::json!(true), "{online}");

    let properties = PublishProperties {
        response_topic: Some("setting/room-a/reply/ana/cli".into()),
        correlation_data: Some(b"req-1".to_vec().into()),
        ..PublishProperties::default()
    };
    ana.publish_with_properties(
        "setting/room-a/request/ana",
        QoS::AtLeastOnce,
        false,
        br#"{"id":1,"op":"emergency"}"#.to_vec(),
        properties,
    )
    .expect("publish");
    let (reply, correlation) = next(&heard, |p| match p {
        Packet::Publish(publish) if &publish.topic[..] == b"setting/room-a/reply/ana/cli" => Some((
            serde_json::from_slice::<serde_json::Value>(&publish.payload).expect("a JSON reply"),
            publish
                .properties
                .and_then(|p| p.correlation_data)
                .unwrap_or_default(),
        )),
        _ => None,
    });
    assert_eq!(
        reply["ok"],
        serde_json::json!(true),
        "{reply}\n{}",
        daemon.log_text()
    );
    assert_eq!(&correlation[..], b"req-1");
    let log = daemon.log_text();
    assert!(!log.contains("refused"), "{log}");
}

/// [`ExampleBroker::connect`] under a chosen client id.
fn connect_as(
    broker: &ExampleBroker,
    name: &str,
    client_id: &str,
) -> (Client, Receiver<Result<Event, ConnectionError>>) {
    let mut options = MqttOptions::new(client_id, "127.0.0.1", broker.port);
    options.set_keep_alive(Duration::from_secs(5));
    let (user, password) = user(name);
    options.set_credentials(user, password);
    let (client, mut connection) = Client::new(options, 16);
    let (events, received) = channel();
    thread::spawn(move || {
        for event in connection.iter() {
            let stop = event.is_err();
            if events.send(event).is_err() || stop {
                return;
            }
        }
    });
    (client, received)
}

#[test]
fn another_rooms_account_cannot_throw_room_a_off_the_broker_or_forge_a_name() {
    let broker = ExampleBroker::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = room_a_config(dir.path());
    let mut text = fs::read_to_string(&config).expect("config");
    text.push_str("\n[remote]\nenabled = true\n");
    fs::write(&config, text).expect("config");
    let (watcher, states) = broker.connect(Some(user("room-a")));
    watcher
        .subscribe("setting/room-a/state", QoS::AtLeastOnce)
        .expect("subscribe");
    next(&states, |p| matches!(p, Packet::SubAck(_)).then_some(()));
    let daemon = Daemon::builder()
        .config(config)
        .arg("--mqtt")
        .arg(format!("127.0.0.1:{}", broker.port))
        .start();
    let online = next(&states, |p| match p {
        Packet::Publish(publish) => serde_json::from_slice::<serde_json::Value>(&publish.payload).ok(),
        _ => None,
    });
    assert_eq!(online["online"], serde_json::json!(true), "{online}");
    let lights = || {
        daemon.status()["daemon"]["lights"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        eventually(WAIT, || lights().contains(", connected").then_some(())).is_some(),
        "{}",
        lights()
    );

    // Room B's account logs in, again and again, under the ids room A's daemon was once known
    // by; each login is let in (the account and password are right) and kept a moment.
    for round in 0..10 {
        for id in ["setting-room-a", "setting-room-a-remote"] {
            let (intruder, events) = connect_as(&broker, "room-b", id);
            next(&events, |p| matches!(p, Packet::ConnAck(_)).then_some(()));
            drop(intruder);
            thread::sleep(Duration::from_millis(20 + round));
        }
    }
    // Room A's own account, too, cannot send under a therapist's name.
    assert_eq!(
        publish_as(&broker, "room-a", "setting/room-a/request/ana"),
        PubAckReason::NotAuthorized
    );

    // Neither of the daemon's connections was thrown off: no offline state was published (the
    // remote link's last will), the broker closed no connection for a duplicate id, and the
    // lights still answer at once.
    let log = broker.log_text();
    let daemon_ids: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("u'room-a'"))
        .filter_map(|line| line.split(" as ").nth(1)?.split(' ').next())
        .filter(|id| id.starts_with("setting-room-a-"))
        .collect();
    assert_eq!(daemon_ids.len(), 2, "the lights' and the remote link's:\n{log}");
    for id in daemon_ids {
        assert!(!log.contains(&format!("Client {id} already connected")), "{log}");
    }
    while let Ok(event) = states.recv_timeout(Duration::from_millis(300)) {
        if let Ok(Event::Incoming(Packet::Publish(publish))) = event {
            let state: serde_json::Value = serde_json::from_slice(&publish.payload).expect("state");
            assert_eq!(state["online"], serde_json::json!(true), "{state}");
        }
    }
    assert!(lights().contains(", connected"), "{}", lights());
    let daemon_log = daemon.log_text();
    assert!(!daemon_log.contains("lost the connection"), "{daemon_log}");

    // What the broker says when it does throw a client off, so the check above can fail: room
    // B's account under one id twice.
    let (_first, first_events) = connect_as(&broker, "room-b", "probe-room-b");
    next(&first_events, |p| matches!(p, Packet::ConnAck(_)).then_some(()));
    let (_second, second_events) = connect_as(&broker, "room-b", "probe-room-b");
    next(&second_events, |p| matches!(p, Packet::ConnAck(_)).then_some(()));
    let thrown_off = eventually(WAIT, || {
        broker
            .log_text()
            .contains("probe-room-b already connected, closing old connection")
            .then_some(())
    });
    assert!(thrown_off.is_some(), "{}", broker.log_text());
}
