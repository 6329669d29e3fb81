//! The MQTT lights adapter against a real Mosquitto: the payloads each family puts on the
//! wire, the command budget over a long ramp, emergencies, a broker restart, a light going
//! offline, and the broker refusing a publish or a login.

use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

use setting::config::{BrokerConfig, Curve, Family, LightConfig, MqttVersion, SecretSource};
use setting::lights::{LightOutput, MqttLights, MqttSetup, MqttTask};
use setting::scene::Look;
use setting::time::Millis;
use setting::timeline::DeviceEvent;

use crate::support::broker::{Broker, Spy};
use crate::support::eventually;
use crate::support::gate::Gate;

const PATIENCE: Duration = Duration::from_secs(20);
const ROOM: &str = "room-1";

fn light(name: &str, family: Family, topic: &str) -> LightConfig {
    LightConfig {
        name: name.into(),
        zone: "room".into(),
        family,
        topic: topic.into(),
        group: false,
        kelvin: Some((2200, 6500)),
        max_transition: Duration::from_secs(30),
        min_level: 0.0,
        curve: Curve::Linear,
        network: "test".into(),
        separate_kelvin: false,
    }
}

fn look(brightness: f32, kelvin: u16) -> Look {
    Look { brightness, kelvin }
}

/// The adapter on its own runtime, with the events it reports to the engine.
struct Adapter {
    lights: Option<MqttLights>,
    task: Option<MqttTask>,
    events: std_mpsc::Receiver<DeviceEvent>,
    runtime: Runtime,
}

impl Adapter {
    fn start(broker: BrokerConfig, lights: Vec<LightConfig>, speed: f64) -> Adapter {
        let runtime = Runtime::new().expect("tokio runtime");
        let (events_tx, mut events_rx) = mpsc::channel(64);
        let (forward, events) = std_mpsc::channel();
        let _entered = runtime.enter();
        runtime.spawn(async move {
            while let Some(event) = events_rx.recv().await {
                let _ = forward.send(event);
            }
        });
        let setup = MqttSetup {
            room: ROOM.into(),
            broker,
            lights,
            networks: Vec::new(),
            speed,
            notice_sink: None,
            handed_over: Default::default(),
        };
        let (lights, task) = MqttLights::start(setup, events_tx).expect("adapter starts");
        Adapter {
            lights: Some(lights),
            task: Some(task),
            events,
            runtime,
        }
    }

    fn lights(&mut self) -> &mut MqttLights {
        self.lights.as_mut().expect("running")
    }

    fn report(&self) -> setting::protocol::LightsReport {
        self.lights.as_ref().expect("running").report()
    }

    fn describe(&self) -> String {
        self.lights.as_ref().expect("running").describe()
    }

    fn connected(&self) {
        let connected = eventually(PATIENCE, || self.report().connected.then_some(()));
        assert!(connected.is_some(), "never connected: {}", self.describe());
    }

    /// Waits for an event whose message contains every one of `words`.
    fn event_with(&self, words: &[&str]) -> String {
        let deadline = std::time::Instant::now() + PATIENCE;
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.events.recv_timeout(left) {
                Ok(DeviceEvent::Error { message }) if words.iter().all(|w| message.contains(w)) => {
                    return message;
                }
                Ok(other) => seen.push(other),
                Err(_) => break,
            }
        }
        panic!(
            "no event naming {words:?}; saw {seen:?}; adapter: {}",
            self.describe()
        );
    }
}

impl Drop for Adapter {
    fn drop(&mut self) {
        // Dropping the handle ends the task; give it a moment to say goodbye to the broker.
        drop(self.lights.take());
        if let Some(task) = self.task.take() {
            self.runtime.block_on(task.finish(Duration::from_secs(2)));
        }
    }
}

fn plain_broker(host: &str, port: u16, version: MqttVersion) -> BrokerConfig {
    BrokerConfig {
        host: host.into(),
        port,
        tls: None,
        username: None,
        password: None,
        client_id: format!("settingd-test-{}", std::process::id()),
        version,
    }
}

/// The room's daemon as a broker user whose password is in a file.
fn room_broker(broker: &Broker, password: &str, version: MqttVersion) -> BrokerConfig {
    let path = broker.dir().join(format!("room-password-{}", password.len()));
    std::fs::write(&path, format!("{password}\n")).expect("password file");
    BrokerConfig {
        username: Some(ROOM.into()),
        password: Some(SecretSource::File(path)),
        ..plain_broker(broker.host(), broker.port(), version)
    }
}

/// A broker where `room-1` may command Zigbee2MQTT and the other families' lights, and
/// read everything.
fn open_broker() -> Broker {
    Broker::builder()
        .user(ROOM, "room-password")
        .acl(&format!("user {ROOM}\ntopic readwrite #\n"))
        .start()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The example of docs' light-protocols reference (40 %, 2700 K, 30 s) reaches the broker in
/// each family's documented form.
#[test]
fn every_family_sends_its_documented_payload() {
    let broker = open_broker();
    let spy = Spy::connect(&broker, "#");
    let lights = vec![
        light("z", Family::Zigbee2Mqtt, "desk lamp"),
        light("t", Family::Tasmota, "tasmota_desk"),
        light("s1", Family::ShellyGen1, "shellybulbduo-A1B2C3"),
        light("s2", Family::ShellyGen2, "shellyplus-desk"),
        light("w", Family::Wled, "desk-strip"),
        light("h", Family::HomeAssistant, "esphome-desk/light/desk"),
    ];
    let mut adapter = Adapter::start(
        room_broker(&broker, "room-password", MqttVersion::V5),
        lights,
        1.0,
    );
    adapter.connected();
    adapter
        .lights()
        .set("room", look(40.0, 2700), Millis::from_secs(30), false);

    let expect_json = |topic: &str, expected: Value| {
        let seen = spy
            .wait_for(PATIENCE, |s| s.topic == topic)
            .unwrap_or_else(|| panic!("nothing on {topic}; saw {:?}", spy.seen()));
        assert_eq!(json(&seen.payload), expected, "on {topic}");
        assert!(!seen.retain, "a command must never be retained ({topic})");
    };
    expect_json(
        "zigbee2mqtt/desk lamp/set",
        json!({"state":"ON","brightness":102,"color_temp":370,"transition":30}),
    );
    expect_json(
        "shellies/shellybulbduo-A1B2C3/light/0/set",
        json!({"turn":"on","brightness":40,"temp":2700,"transition":30000}),
    );
    let rpc = spy
        .wait_for(PATIENCE, |s| s.topic == "shellyplus-desk/rpc")
        .expect("Shelly Gen2 command");
    let rpc = json(&rpc.payload);
    assert_eq!(rpc["method"], "CCT.Set");
    assert_eq!(
        rpc["params"],
        json!({"id":0,"on":true,"brightness":40,"ct":2700,"transition_duration":30})
    );
    expect_json(
        "wled/desk-strip/api",
        json!({"on":true,"bri":102,"tt":300,"seg":[{"cct":2700}]}),
    );
    expect_json(
        "esphome-desk/light/desk/command",
        json!({"state":"ON","brightness":102,"color_temp":370,"transition":30}),
    );
    // Tasmota's Speed tops out at 40 half-seconds, so 30 s goes as the longest it can do, and
    // SetOption117 makes it last that long whatever the distance.
    let tasmota = spy
        .wait_for(PATIENCE, |s| s.topic == "cmnd/tasmota_desk/Backlog")
        .expect("Tasmota command");
    assert_eq!(
        tasmota.payload,
        "SetOption117 1; Fade 1; Speed 40; Dimmer 40; CT 370"
    );
    // The daemon's own status, retained.
    let status = spy
        .wait_for(PATIENCE, |s| s.topic == format!("setting/{ROOM}/status"))
        .expect("the daemon's status");
    assert_eq!(status.payload, "online");
    let report = adapter.report();
    assert!(report.lights.iter().all(|l| l.commands >= 1), "{report:?}");
}

/// How long a Tasmota light's brightness takes to follow the Backlogs it is sent, as its
/// firmware times a fade: `Speed` half-seconds for a full 0-100 % swing and a smaller change in
/// proportion, unless `SetOption117` (stored, off by default) fixes every fade at `Speed`.
#[derive(Default)]
struct TasmotaFades {
    fixed_duration: bool,
    fade: bool,
    speed: u64,
    dimmer: u64,
}

impl TasmotaFades {
    /// Carries out one Backlog; how long the change of brightness it started lasts.
    fn apply(&mut self, backlog: &str) -> Duration {
        let mut took = Duration::ZERO;
        for command in backlog.split(';').map(str::trim) {
            let (name, value) = command.split_once(' ').unwrap_or((command, ""));
            let to = match name.to_ascii_lowercase().as_str() {
                "setoption117" => {
                    self.fixed_duration = value == "1";
                    continue;
                }
                "fade" => {
                    self.fade = value == "1";
                    continue;
                }
                "speed" => {
                    self.speed = value.parse().expect("Speed is a number");
                    continue;
                }
                "dimmer" => value.parse().expect("Dimmer is a number"),
                "power" if value.eq_ignore_ascii_case("off") => 0,
                _ => continue,
            };
            let full_swing = Duration::from_millis(self.speed * 500);
            took = match (self.fade, self.fixed_duration) {
                (false, _) => Duration::ZERO,
                (true, true) => full_swing,
                (true, false) => full_swing * self.dimmer.abs_diff(to) as u32 / 100,
            };
            self.dimmer = to;
        }
        took
    }
}

/// A Tasmota light out of the box fades in proportion to the distance: a 10 s fade from 25 % to
/// 15 % sent as `Speed 20` alone was over in 1 s.
#[test]
fn a_tasmota_fade_lasts_as_long_as_asked_whatever_the_distance() {
    let broker = open_broker();
    let spy = Spy::connect(&broker, "cmnd/#");
    let mut lamp = light("t", Family::Tasmota, "floor_lamp");
    lamp.max_transition = Duration::from_secs(20);
    let mut adapter = Adapter::start(
        room_broker(&broker, "room-password", MqttVersion::V5),
        vec![lamp],
        1.0,
    );
    adapter.connected();
    let backlog = "cmnd/floor_lamp/Backlog";
    let mut device = TasmotaFades::default();
    adapter
        .lights()
        .set("room", look(25.0, 2700), Millis::ZERO, false);
    let first = spy
        .wait_for(PATIENCE, |s| s.topic == backlog)
        .expect("the starting look");
    assert_eq!(device.apply(&first.payload), Duration::ZERO, "{}", first.payload);
    spy.clear();
    for (to, fade) in [(15.0, 10), (17.0, 20), (90.0, 4)] {
        adapter
            .lights()
            .set("room", look(to, 2700), Millis::from_secs(fade), false);
        let dimmer = format!("Dimmer {to}");
        let sent = spy
            .wait_for(PATIENCE, |s| s.topic == backlog && s.payload.contains(&dimmer))
            .unwrap_or_else(|| panic!("no {dimmer}: {:?}", spy.on(backlog)));
        let from = device.dimmer;
        assert_eq!(
            device.apply(&sent.payload),
            Duration::from_secs(fade),
            "{} from {from} %",
            sent.payload
        );
        assert_eq!(spy.on(backlog).len(), 1, "{:?}", spy.on(backlog));
        spy.clear();
    }
}

/// A 15-minute ramp (at 60 times speed, 15 s) goes as a few native-transition segments, not
/// a stream of steps, and ends at the target.
#[test]
fn a_long_ramp_sends_only_a_few_commands() {
    let broker = open_broker();
    let spy = Spy::connect(&broker, "zigbee2mqtt/#");
    let mut bulb = light("z", Family::Zigbee2Mqtt, "ramp bulb");
    bulb.max_transition = Duration::from_secs(5);
    let speed = 60.0;
    let mut adapter = Adapter::start(
        room_broker(&broker, "room-password", MqttVersion::V5),
        vec![bulb.clone()],
        speed,
    );
    adapter.connected();
    let set = "zigbee2mqtt/ramp bulb/set";
    adapter.lights().set("room", look(5.0, 2200), Millis::ZERO, false);
    spy.wait_for(PATIENCE, |s| s.topic == set)
        .expect("the starting look");
    spy.clear();
    let ramp = Millis::from_secs(15 * 60);
    adapter.lights().set("room", look(60.0, 2700), ramp, false);
    // 60 % of 254 is 152.4: the last segment lands there.
    let landed = spy.wait_for(Duration::from_secs(60), |s| {
        s.topic == set && json(&s.payload)["brightness"] == json!(152)
    });
    assert!(
        landed.is_some(),
        "the ramp never reached its target: {:?}",
        spy.on(set)
    );
    let commands = spy.on(set);
    let real_seconds = ramp.as_secs_f64() / speed;
    let segments = (real_seconds / bulb.max_transition.as_secs_f64()).ceil() as usize;
    // Each segment is one command; a step stream would be one per second or more.
    assert!(
        commands.len() <= segments + 1,
        "{} commands for {segments} segments: {commands:?}",
        commands.len()
    );
    assert!(
        commands.len() >= 2,
        "a 15 s ramp over 5 s transitions needs segments: {commands:?}"
    );
    for command in &commands {
        let transition = json(&command.payload)["transition"].as_f64().unwrap_or(0.0);
        assert!(
            transition > 0.0,
            "every segment is a native transition: {}",
            command.payload
        );
    }
}

/// An emergency during a long fade stops the fade where it is, then brings full light at
/// once; nothing of the old fade comes after it.
#[test]
fn an_emergency_stops_a_running_fade_first() {
    let broker = open_broker();
    let spy = Spy::connect(&broker, "zigbee2mqtt/#");
    let mut adapter = Adapter::start(
        room_broker(&broker, "room-password", MqttVersion::V5),
        vec![light("z", Family::Zigbee2Mqtt, "mat lamp")],
        1.0,
    );
    adapter.connected();
    let set = "zigbee2mqtt/mat lamp/set";
    adapter
        .lights()
        .set("room", look(20.0, 2200), Millis::ZERO, false);
    spy.wait_for(PATIENCE, |s| s.topic == set)
        .expect("the starting look");
    adapter
        .lights()
        .set("room", look(2.0, 2200), Millis::from_secs(600), false);
    spy.wait_for(PATIENCE, |s| {
        s.topic == set && json(&s.payload)["transition"].as_f64() > Some(0.0)
    })
    .expect("the fade's first segment");
    spy.clear();
    adapter
        .lights()
        .set("room", look(100.0, 4000), Millis::ZERO, true);
    let full = spy
        .wait_for(PATIENCE, |s| {
            s.topic == set && json(&s.payload)["brightness"] == json!(254)
        })
        .expect("full light");
    let commands = spy.on(set);
    let stop = commands
        .iter()
        .position(|s| json(&s.payload).get("brightness_move").is_some())
        .unwrap_or_else(|| panic!("no stop before the emergency: {commands:?}"));
    let emergency = commands.iter().position(|s| *s == full).expect("seen");
    assert!(stop < emergency, "the stop must come first: {commands:?}");
    assert_eq!(json(&full.payload)["state"], "ON");
    assert!(
        json(&full.payload)
            .get("transition")
            .is_none_or(|t| t.as_f64() == Some(0.0)),
        "{}",
        full.payload
    );
    // Nothing dimmer follows: the fade is over.
    std::thread::sleep(Duration::from_secs(2));
    let after: Vec<_> = spy.on(set).into_iter().skip(emergency + 1).collect();
    assert!(
        after
            .iter()
            .all(|s| json(&s.payload)["brightness"] == json!(254)
                || json(&s.payload).get("brightness").is_none()),
        "{after:?}"
    );
}

/// The broker dies mid-session and comes back empty: the adapter reconnects, subscribes
/// again, says it is online, and re-asserts only the latest look; the changes made while the
/// broker was down never reach the wire.
///
/// The adapter reaches the broker through a [`Gate`] that stays shut until the spy is on the
/// restarted broker; otherwise the adapter could reconnect and publish before anyone listens.
#[test]
fn a_broker_restart_is_recovered_without_stale_steps() {
    let mut broker = open_broker();
    let gate = Gate::to(broker.port());
    let mut adapter = Adapter::start(
        BrokerConfig {
            port: gate.port(),
            ..room_broker(&broker, "room-password", MqttVersion::V5)
        },
        vec![light("z", Family::Zigbee2Mqtt, "ceiling")],
        1.0,
    );
    adapter.connected();
    let set = "zigbee2mqtt/ceiling/set";
    {
        let spy = Spy::connect(&broker, "#");
        adapter
            .lights()
            .set("room", look(30.0, 2700), Millis::ZERO, false);
        spy.wait_for(PATIENCE, |s| s.topic == set)
            .expect("the first look");
    }
    gate.close();
    broker.stop();
    let lost = eventually(PATIENCE, || (!adapter.report().connected).then_some(()));
    assert!(lost.is_some(), "the adapter did not notice the broker going");
    adapter.event_with(&["lost the connection", &gate.port().to_string()]);
    // Steps the engine asks for while the broker is away: only the last one matters.
    for brightness in [10.0, 20.0, 45.0] {
        adapter
            .lights()
            .set("room", look(brightness, 2700), Millis::ZERO, false);
        std::thread::sleep(Duration::from_millis(100));
    }
    broker.restart();
    let spy = Spy::connect(&broker, "#");
    gate.open();
    adapter.connected();
    adapter.event_with(&["reconnected"]);
    let reasserted = spy
        .wait_for(PATIENCE, |s| s.topic == set)
        .expect("the look re-asserted");
    // 45 % of 254 is 114.3.
    assert_eq!(
        json(&reasserted.payload)["brightness"],
        json!(114),
        "{}",
        reasserted.payload
    );
    assert_eq!(
        json(&reasserted.payload)["transition"],
        json!(2),
        "{}",
        reasserted.payload
    );
    let status = spy.wait_for(PATIENCE, |s| s.topic == format!("setting/{ROOM}/status"));
    assert_eq!(status.map(|s| s.payload).as_deref(), Some("online"));
    std::thread::sleep(Duration::from_secs(2));
    let commands = spy.on(set);
    assert_eq!(
        commands.len(),
        1,
        "no stale steps after the restart: {commands:?}"
    );
    // Subscriptions are back: a state report after the restart is read.
    let reported = publish_until(
        &spy,
        "zigbee2mqtt/ceiling",
        &[r#"{"state":"ON","brightness":127}"#],
        || adapter.report().lights[0].reported_level,
    );
    let level = reported.expect("the state report after the restart was not seen");
    assert!((level - 0.5).abs() < 0.01, "{level}");
}

/// A light that drops off the network and comes back is sent its look again.
#[test]
fn a_light_back_online_is_reasserted() {
    let broker = open_broker();
    let spy = Spy::connect(&broker, "zigbee2mqtt/#");
    let mut adapter = Adapter::start(
        room_broker(&broker, "room-password", MqttVersion::V5),
        vec![
            light("z", Family::Zigbee2Mqtt, "reading lamp"),
            light("y", Family::Zigbee2Mqtt, "other lamp"),
        ],
        1.0,
    );
    adapter.connected();
    let set = "zigbee2mqtt/reading lamp/set";
    adapter
        .lights()
        .set("room", look(35.0, 2400), Millis::ZERO, false);
    spy.wait_for(PATIENCE, |s| s.topic == set).expect("the look");
    let availability = "zigbee2mqtt/reading lamp/availability";
    spy.publish(availability, r#"{"state":"offline"}"#, true);
    let offline = eventually(PATIENCE, || {
        (adapter.report().lights[0].available == Some(false)).then_some(())
    });
    assert!(offline.is_some(), "{:?}", adapter.report());
    spy.clear();
    spy.publish(availability, r#"{"state":"online"}"#, true);
    let again = spy
        .wait_for(PATIENCE, |s| s.topic == set)
        .expect("the look re-asserted");
    // 35 % of 254 is 88.9.
    assert_eq!(json(&again.payload)["brightness"], json!(89), "{}", again.payload);
    assert_eq!(adapter.report().lights[0].available, Some(true));
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        spy.on("zigbee2mqtt/other lamp/set").is_empty(),
        "only the light that came back is re-sent"
    );
}

/// A command the broker's ACL refuses is reported (MQTT v5's reason code 135) to the engine
/// and in the adapter's summary, naming the light and the topic.
#[test]
fn a_publish_outside_the_acl_is_reported() {
    let broker = Broker::builder()
        .user(ROOM, "room-password")
        .acl(&format!(
            "user {ROOM}\ntopic write zigbee2mqtt/allowed/set\ntopic readwrite setting/{ROOM}/#\ntopic read zigbee2mqtt/#\n"
        ))
        .start();
    let spy = Spy::connect(&broker, "#");
    let mut adapter = Adapter::start(
        room_broker(&broker, "room-password", MqttVersion::V5),
        vec![
            light("good", Family::Zigbee2Mqtt, "allowed"),
            light("bad", Family::Zigbee2Mqtt, "forbidden"),
        ],
        1.0,
    );
    adapter.connected();
    adapter
        .lights()
        .set("room", look(50.0, 2700), Millis::ZERO, false);
    spy.wait_for(PATIENCE, |s| s.topic == "zigbee2mqtt/allowed/set")
        .expect("the allowed command");
    let message = adapter.event_with(&["`bad`", "zigbee2mqtt/forbidden/set", "135"]);
    assert!(!message.contains("`good`"), "{message}");
    assert!(
        adapter.describe().contains("zigbee2mqtt/forbidden/set"),
        "{}",
        adapter.describe()
    );
    assert!(
        spy.on("zigbee2mqtt/forbidden/set").is_empty(),
        "Mosquitto let it through"
    );
}

/// A wrong password: a clear error naming the broker and the user, never the password; the
/// adapter keeps trying (the session goes on) and says so in its summary.
#[test]
fn a_wrong_password_is_a_clear_error() {
    for version in [MqttVersion::V5, MqttVersion::V311] {
        let broker = open_broker();
        let adapter = Adapter::start(
            room_broker(&broker, "not-the-password", version),
            vec![light("z", Family::Zigbee2Mqtt, "lamp")],
            1.0,
        );
        let address = format!("{}:{}", broker.host(), broker.port());
        let message = adapter.event_with(&[&address, &format!("`{ROOM}`"), "bad username or password"]);
        assert!(!message.contains("not-the-password"), "{message}");
        let summary = adapter.describe();
        assert!(
            summary.contains("bad username or password") && !summary.contains("not-the-password"),
            "{summary}"
        );
        assert!(!adapter.report().connected);
    }
}

/// Both protocol versions reach the broker; the observer user is only the harness's.
#[test]
fn mqtt_311_also_drives_the_lights() {
    let broker = open_broker();
    let spy = Spy::connect(&broker, "zigbee2mqtt/#");
    let mut adapter = Adapter::start(
        room_broker(&broker, "room-password", MqttVersion::V311),
        vec![light("z", Family::Zigbee2Mqtt, "old lamp")],
        1.0,
    );
    adapter.connected();
    adapter
        .lights()
        .set("room", look(100.0, 2700), Millis::ZERO, false);
    let seen = spy
        .wait_for(PATIENCE, |s| s.topic == "zigbee2mqtt/old lamp/set")
        .expect("command");
    assert_eq!(json(&seen.payload)["brightness"], json!(254));
}

/// Publishes `messages` to `topic`, not retained, again and again until `check` finds what the
/// test waits for. The adapter says it is connected once the broker has let it in, which can be
/// a moment before its subscriptions are in place, and a message sent in between reaches nobody
/// (a real device's state comes retained, with the subscription).
fn publish_until<T>(
    spy: &Spy,
    topic: &str,
    messages: &[&str],
    mut check: impl FnMut() -> Option<T>,
) -> Option<T> {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        for message in messages {
            spy.publish(topic, message, false);
        }
        if let Some(found) = eventually(Duration::from_millis(500), &mut check) {
            return Some(found);
        }
        if std::time::Instant::now() > deadline {
            return None;
        }
    }
}

/// A malformed state message is ignored (and logged), and the next good one is read: a broken
/// device cannot take the adapter down.
#[test]
fn a_malformed_state_is_ignored_and_the_next_one_read() {
    let broker = open_broker();
    let spy = Spy::connect(&broker, "zigbee2mqtt/#");
    let adapter = Adapter::start(
        room_broker(&broker, "room-password", MqttVersion::V5),
        vec![light("z", Family::Zigbee2Mqtt, "flaky")],
        1.0,
    );
    adapter.connected();
    let messages = [
        "{\"brightness\":",
        "\u{0}\u{ff}",
        "[1,2,3]",
        "{\"brightness\":\"lots\"}",
        r#"{"state":"ON","brightness":254}"#,
    ];
    let level = publish_until(&spy, "zigbee2mqtt/flaky", &messages, || {
        adapter.report().lights[0].reported_level
    });
    assert_eq!(level, Some(1.0), "{:?}", adapter.report());
    assert!(adapter.report().connected);
}

/// A device state far over rumqttc's default 10 KiB, retained where the adapter subscribes,
/// neither breaks the connection (again at every reconnect) nor keeps the next report out.
#[test]
fn an_oversized_state_report_does_not_break_the_connection() {
    for version in [MqttVersion::V5, MqttVersion::V311] {
        let broker = open_broker();
        let spy = Spy::connect(&broker, "zigbee2mqtt/#");
        let padding = "x".repeat(300 * 1024);
        let huge = format!(r#"{{"state":"ON","brightness":10,"note":"{padding}"}}"#);
        spy.publish("zigbee2mqtt/big", &huge, true);
        let adapter = Adapter::start(
            room_broker(&broker, "room-password", version),
            vec![light("z", Family::Zigbee2Mqtt, "big")],
            1.0,
        );
        adapter.connected();
        let level = publish_until(
            &spy,
            "zigbee2mqtt/big",
            &[r#"{"state":"ON","brightness":254}"#],
            || adapter.report().lights[0].reported_level.filter(|l| *l > 0.99),
        );
        assert_eq!(level, Some(1.0), "{version:?}: {:?}", adapter.report());
        std::thread::sleep(Duration::from_secs(1));
        assert!(adapter.report().connected, "{version:?}: {:?}", adapter.report());
    }
}

/// TLS with the CA from the config: rustls with the ring provider against Mosquitto.
#[test]
fn tls_connects_with_the_configured_ca() {
    let broker = Broker::builder()
        .user(ROOM, "room-password")
        .acl(&format!("user {ROOM}\ntopic readwrite #\n"))
        .tls()
        .start();
    let mut config = room_broker(&broker, "room-password", MqttVersion::V5);
    config.tls = Some(setting::config::TlsConfig {
        ca: broker.ca(),
        client_cert: None,
    });
    let adapter = Adapter::start(config, vec![light("z", Family::Zigbee2Mqtt, "secure")], 1.0);
    adapter.connected();

    // A CA that did not sign the broker's certificate is refused, and said so.
    let other = Broker::builder().tls().start();
    let mut config = room_broker(&broker, "room-password", MqttVersion::V5);
    config.tls = Some(setting::config::TlsConfig {
        ca: other.ca(),
        client_cert: None,
    });
    let untrusting = Adapter::start(config, vec![light("z", Family::Zigbee2Mqtt, "secure")], 1.0);
    let message = untrusting.event_with(&["cannot reach the broker"]);
    assert!(message.to_lowercase().contains("certificate"), "{message}");
    assert!(!untrusting.report().connected);
}

/// A burst of overrides through the real broker: what reaches the wire never exceeds the
/// network's budget, and the last command each light gets is the latest look, not a stale one.
#[test]
fn a_burst_of_overrides_keeps_to_the_budget_and_ends_on_the_latest_look() {
    let broker = open_broker();
    let spy = Spy::connect(&broker, "zigbee2mqtt/#");
    let names = ["burst a", "burst b", "burst c"];
    let lights: Vec<LightConfig> = names.iter().map(|n| light(n, Family::Zigbee2Mqtt, n)).collect();
    let mut adapter = Adapter::start(
        room_broker(&broker, "room-password", MqttVersion::V5),
        lights,
        1.0,
    );
    adapter.connected();
    let started = std::time::Instant::now();
    // A hundred nudges at once, all dimmer than the last one, which is full light.
    for step in 0..100 {
        let brightness = 10.0 + (step % 50) as f32;
        adapter
            .lights()
            .set("room", look(brightness, 2700), Millis::ZERO, false);
    }
    adapter
        .lights()
        .set("room", look(100.0, 2700), Millis::ZERO, false);
    for name in names {
        let topic = format!("zigbee2mqtt/{name}/set");
        let landed = spy.wait_for(Duration::from_secs(60), |s| {
            s.topic == topic && json(&s.payload)["brightness"] == json!(254)
        });
        assert!(
            landed.is_some(),
            "{name} never got the latest look: {:?}",
            spy.on(&topic)
        );
    }
    let elapsed = started.elapsed().as_secs_f64();
    let sets: Vec<_> = spy
        .seen()
        .into_iter()
        .filter(|s| s.topic.ends_with("/set"))
        .collect();
    // Delivery delays only lengthen `elapsed`, so this bound can only be generous.
    let (burst, per_second) = setting::lights::traffic::default_budget(Family::Zigbee2Mqtt, false);
    let allowed = burst as f64 + per_second as f64 * elapsed;
    assert!(
        sets.len() as f64 <= allowed,
        "{} commands in {elapsed:.1} s; the budget allows {allowed:.1}: {sets:?}",
        sets.len()
    );
    for name in names {
        let topic = format!("zigbee2mqtt/{name}/set");
        let last = spy.on(&topic).pop().expect("seen above");
        assert_eq!(
            json(&last.payload)["brightness"],
            json!(254),
            "stale step after the latest look"
        );
    }
}
