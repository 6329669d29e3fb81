//! Steering a room over a real Mosquitto: requests answered on their MQTT 5 response topic
//! with the correlation data echoed, the sender recorded in the event log, a response topic
//! outside the sender's branch refused, the retained state, the last will, and an emergency
//! with no session.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, channel};
use std::thread;
use std::time::{Duration, Instant};

use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Packet, PublishProperties};
use rumqttc::v5::{Client, ConnectionError, Event, MqttOptions};
use serde_json::{Value, json};

use crate::support::broker::{Broker, Spy};
use crate::support::room::Room;
use crate::support::{Daemon, eventually};

const ROOM: &str = "room-a";
const WAIT: Duration = Duration::from_secs(15);
const STATE: &str = "setting/room-a/state";

/// The room's daemon account, two therapists and Home Assistant, with the per-room ACL of
/// docs/remote.md.
fn remote_broker() -> Broker {
    Broker::builder()
        .user(ROOM, "room-password")
        .user("ana", "ana-password")
        .user("bob", "bob-password")
        .user("homeassistant", "ha-password")
        .acl(&format!(
            "user {ROOM}\ntopic readwrite setting/{ROOM}/#\ntopic read zigbee2mqtt/#\ntopic write zigbee2mqtt/+/set\n\
             topic write homeassistant/+/setting_{ROOM}/#\ntopic read homeassistant/status\n\n\
             user ana\ntopic write setting/{ROOM}/request/ana\ntopic read setting/{ROOM}/reply/ana/#\n\
             topic read setting/{ROOM}/state\n\n\
             user bob\ntopic write setting/{ROOM}/request/bob\ntopic read setting/{ROOM}/reply/bob/#\n\n\
             user homeassistant\ntopic write setting/{ROOM}/request/homeassistant\n\
             topic read setting/{ROOM}/state\ntopic readwrite homeassistant/#\n"
        ))
        .start()
}

fn remote_config(dir: &Path, broker: &Broker) -> PathBuf {
    let path = Room {
        name: ROOM,
        password: "room-password",
        zones: &[("room", &["ceiling"])],
        broker: (broker.host(), broker.port()),
        mqtt_extra: "",
    }
    .write(dir);
    let mut text = std::fs::read_to_string(&path).expect("config");
    text.push_str("\n[remote]\nenabled = true\nhome_assistant = true\n");
    std::fs::write(&path, text).expect("config");
    path
}

/// A daemon whose remote link has published its state (so it has subscribed to requests).
fn remote_daemon(broker: &Broker, dir: &Path) -> Daemon {
    let daemon = Daemon::builder()
        .speed(60.0)
        .config(remote_config(dir, broker))
        .start();
    let spy = Spy::connect(broker, STATE);
    let online = spy.wait_for(WAIT, |s| state_of(&s.payload)["online"] == json!(true));
    assert!(online.is_some(), "no online state:\n{}", daemon.log_text());
    daemon
}

fn state_of(payload: &str) -> Value {
    serde_json::from_str(payload).unwrap_or(Value::Null)
}

/// A therapist's MQTT 5 client.
struct Sender {
    user: &'static str,
    client: Client,
    events: Receiver<Result<Event, ConnectionError>>,
}

impl Sender {
    fn connect(broker: &Broker, user: &'static str, password: &str) -> Sender {
        let mut options = MqttOptions::new(
            format!("test-{user}-{}", std::process::id()),
            broker.host(),
            broker.port(),
        );
        options.set_keep_alive(Duration::from_secs(5));
        options.set_credentials(user, password);
        let (client, mut connection) = Client::new(options, 16);
        let (tx, events) = channel();
        thread::spawn(move || {
            for event in connection.iter() {
                let stop = event.is_err();
                if tx.send(event).is_err() || stop {
                    return;
                }
            }
        });
        let sender = Sender { user, client, events };
        sender
            .client
            .subscribe(format!("setting/{ROOM}/reply/{user}/#"), QoS::AtLeastOnce)
            .expect("subscribe");
        sender.next(|p| matches!(p, Packet::SubAck(_)).then_some(()));
        sender
    }

    fn next<T>(&self, pick: impl Fn(Packet) -> Option<T>) -> T {
        self.next_within(WAIT, pick)
            .unwrap_or_else(|| panic!("nothing expected came within {WAIT:?}"))
    }

    fn next_within<T>(&self, within: Duration, pick: impl Fn(Packet) -> Option<T>) -> Option<T> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(Ok(Event::Incoming(packet))) => {
                    if let Some(found) = pick(packet) {
                        return Some(found);
                    }
                }
                Ok(Ok(Event::Outgoing(_))) => {}
                Ok(Err(e)) => panic!("connection failed: {e}"),
                Err(_) => return None,
            }
        }
    }

    /// Publishes `request` on the user's request topic, asking for the reply on `reply_to`.
    fn send(&self, request: &Value, reply_to: Option<&str>, correlation: &[u8]) {
        let properties = PublishProperties {
            response_topic: reply_to.map(str::to_string),
            correlation_data: Some(correlation.to_vec().into()),
            ..PublishProperties::default()
        };
        self.client
            .publish_with_properties(
                format!("setting/{ROOM}/request/{}", self.user),
                QoS::AtLeastOnce,
                false,
                serde_json::to_vec(request).expect("json"),
                properties,
            )
            .expect("publish");
    }

    /// Sends `request` and waits for its reply: the reply's JSON and its correlation data.
    fn request(&self, request: Value, correlation: &[u8]) -> (Value, Vec<u8>) {
        let reply_to = format!("setting/{ROOM}/reply/{}/test", self.user);
        self.send(&request, Some(&reply_to), correlation);
        self.next(|p| match p {
            Packet::Publish(publish) if publish.topic[..] == *reply_to.as_bytes() => Some((
                serde_json::from_slice(&publish.payload).expect("a JSON reply"),
                publish
                    .properties
                    .and_then(|p| p.correlation_data)
                    .map(|c| c.to_vec())
                    .unwrap_or_default(),
            )),
            _ => None,
        })
    }
}

#[test]
fn a_request_is_answered_with_its_correlation_data_and_the_sender_is_in_the_event_log() {
    let broker = remote_broker();
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = remote_daemon(&broker, dir.path());
    let state = Spy::connect(&broker, STATE);
    let ana = Sender::connect(&broker, "ana", "ana-password");

    let (reply, correlation) = ana.request(json!({"id": 7, "op": "start", "scene": "sublingual"}), b"corr-7");
    assert_eq!(reply["ok"], json!(true), "{reply}");
    assert_eq!(reply["id"], json!(7));
    assert_eq!(correlation, b"corr-7");

    let (reply, correlation) = ana.request(json!({"id": 8, "op": "check"}), b"\x00binary\xff");
    assert_eq!(reply["ok"], json!(true), "{reply}");
    assert_eq!(correlation, b"\x00binary\xff");
    let check = daemon
        .entries()
        .into_iter()
        .find(|e| e["event"] == "override_started" && e["kind"] == "check")
        .expect("the check is in the log");
    assert_eq!(check["source"], json!({"via": "mqtt", "who": "ana"}));

    // The retained state shows the session and its phase.
    let session = state.wait_for(WAIT, |s| {
        let state = state_of(&s.payload);
        state["session"]["scene"] == "sublingual" && state["session"]["mode"] == "check"
    });
    let session = state_of(&session.expect("the state shows the session").payload);
    assert_eq!(session["online"], json!(true));
    assert_eq!(session["room"], ROOM);
    assert!(
        session["session"]["phase"]
            .as_str()
            .is_some_and(|p| !p.is_empty()),
        "{session}"
    );
    assert!(
        session["scenes"]
            .as_array()
            .unwrap()
            .contains(&json!("sublingual")),
        "{session}"
    );
    // A new subscriber gets it at once: it is retained.
    let late = Spy::connect(&broker, STATE);
    let retained = late.wait_for(WAIT, |s| s.retain);
    assert_eq!(
        state_of(&retained.expect("a retained state").payload)["session"]["scene"],
        "sublingual"
    );

    // Bad input is answered, naming the problem; `watch` is refused.
    let (reply, _) = ana.request(json!({"id": 9, "op": "warp"}), b"c-9");
    assert_eq!(reply["error"]["kind"], "bad_request", "{reply}");
    assert_eq!(reply["id"], json!(9));
    assert!(
        reply["error"]["message"].as_str().unwrap().contains("warp"),
        "{reply}"
    );
    let (reply, _) = ana.request(json!({"op": "watch"}), b"c-w");
    assert_eq!(reply["error"]["kind"], "bad_request", "{reply}");
    assert!(
        reply["error"]["message"].as_str().unwrap().contains(STATE),
        "{reply}"
    );

    let log = daemon.log_text();
    assert!(
        log.lines()
            .any(|l| l.contains("remote: request") && l.contains("ana") && l.contains("check")),
        "{log}"
    );
}

#[test]
fn home_assistant_sets_the_volume_without_a_response_topic() {
    let broker = remote_broker();
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = remote_daemon(&broker, dir.path());
    daemon.ok(json!({"op": "start", "scene": "sublingual"}));
    let ha = Sender::connect(&broker, "homeassistant", "ha-password");

    ha.send(&json!({"op": "volume_to", "db": -4.0}), None, b"");
    let volume = eventually(WAIT, || {
        let v = daemon.status()["session"]["volume_offset_db"].as_f64()?;
        (v != 0.0).then_some(v)
    });
    assert_eq!(volume, Some(-4.0));
    // Past the policy's largest step (6 dB), one request moves one step only.
    ha.send(&json!({"op": "volume_to", "db": -20.0}), None, b"");
    let volume = eventually(WAIT, || {
        let v = daemon.status()["session"]["volume_offset_db"].as_f64()?;
        (v != -4.0).then_some(v)
    });
    assert_eq!(volume, Some(-10.0));
    let volume = daemon
        .entries()
        .into_iter()
        .find(|e| e["event"] == "command" && e["command"] == "volume")
        .expect("the volume change is in the log");
    assert_eq!(volume["source"], json!({"via": "mqtt", "who": "homeassistant"}));

    // Discovery documents are retained under Home Assistant's prefix.
    let discovery = Spy::connect(&broker, "homeassistant/#");
    let document = discovery.wait_for(WAIT, |s| s.topic.ends_with("/config") && s.retain);
    assert!(
        document.is_some(),
        "no discovery documents:\n{}",
        daemon.log_text()
    );
}

#[test]
fn a_response_topic_outside_the_senders_branch_is_refused_and_nothing_is_done() {
    let broker = remote_broker();
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = remote_daemon(&broker, dir.path());
    let ana = Sender::connect(&broker, "ana", "ana-password");
    let bob = Sender::connect(&broker, "bob", "bob-password");

    ana.send(
        &json!({"op": "start", "scene": "sublingual"}),
        Some(&format!("setting/{ROOM}/reply/bob/x")),
        b"c-1",
    );
    // Requests from one client are handled in order: once a later one is answered, the
    // refused one was seen and dropped.
    let (reply, _) = ana.request(json!({"op": "ping"}), b"c-2");
    assert_eq!(reply["ok"], json!(true), "{reply}");
    assert_eq!(daemon.status()["session"], Value::Null);
    assert!(
        bob.next_within(Duration::from_secs(1), |p| matches!(p, Packet::Publish(_))
            .then_some(()))
            .is_none(),
        "bob received a reply meant for nobody"
    );
    let log = daemon.log_text();
    assert!(log.contains("outside"), "{log}");
}

#[test]
fn a_retained_request_is_not_carried_out_even_while_the_room_is_connected() {
    let broker = remote_broker();
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = remote_daemon(&broker, dir.path());
    let ana = Sender::connect(&broker, "ana", "ana-password");

    let properties = PublishProperties {
        response_topic: Some(format!("setting/{ROOM}/reply/ana/retained")),
        correlation_data: Some(b"r".to_vec().into()),
        ..PublishProperties::default()
    };
    ana.client
        .publish_with_properties(
            format!("setting/{ROOM}/request/ana"),
            QoS::AtLeastOnce,
            true,
            serde_json::to_vec(&json!({"op": "start", "scene": "sublingual"})).expect("json"),
            properties,
        )
        .expect("publish");
    // Requests from one client are handled in order: once a later one is answered, the
    // retained one was seen.
    let (reply, _) = ana.request(json!({"op": "ping"}), b"after");
    assert_eq!(reply["ok"], json!(true), "{reply}");
    assert_eq!(daemon.status()["session"], Value::Null, "{}", daemon.log_text());
    let log = daemon.log_text();
    assert!(log.contains("a retained request from `ana`"), "{log}");
}

#[test]
fn an_emergency_over_mqtt_lights_the_room_with_no_session() {
    let broker = remote_broker();
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = remote_daemon(&broker, dir.path());
    let lights = Spy::connect(&broker, "zigbee2mqtt/ceiling/set");
    let ana = Sender::connect(&broker, "ana", "ana-password");

    let (reply, _) = ana.request(json!({"op": "emergency"}), b"e");
    assert_eq!(reply["ok"], json!(true), "{reply}");
    let command = lights.wait_for(WAIT, |s| s.payload.contains("brightness"));
    assert!(command.is_some(), "no light command:\n{}", daemon.log_text());
}

#[test]
fn the_room_shows_offline_after_a_stop_and_by_the_last_will_after_kill_9() {
    let broker = remote_broker();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut daemon = remote_daemon(&broker, dir.path());
    let state = Spy::connect(&broker, STATE);

    assert!(daemon.terminate().success());
    let offline = state.wait_for(WAIT, |s| state_of(&s.payload)["online"] == json!(false));
    assert!(
        offline.is_some(),
        "no offline state after SIGTERM:\n{}",
        daemon.log_text()
    );
    // Said by the daemon before its clean DISCONNECT, which discards the last will.
    assert!(
        daemon.log_text().contains("remote: disconnected from the broker"),
        "{}",
        daemon.log_text()
    );

    daemon.launch();
    let online = state.wait_for(WAIT, |s| {
        s.at > offline.as_ref().unwrap().at && state_of(&s.payload)["online"] == json!(true)
    });
    assert!(online.is_some(), "{}", daemon.log_text());
    state.clear();
    daemon.kill9();
    // The broker notices the lost connection within 1.5 keep-alives and publishes the will.
    let will = state.wait_for(WAIT + WAIT, |s| state_of(&s.payload)["online"] == json!(false));
    let will = state_of(&will.expect("the last will marks the room offline").payload);
    assert_eq!(will["room"], ROOM);
    assert_eq!(will["session"], Value::Null);
}

#[test]
fn after_a_broker_restart_the_room_resubscribes_and_publishes_its_state_again() {
    let mut broker = remote_broker();
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = remote_daemon(&broker, dir.path());
    daemon.ok(json!({"op": "start", "scene": "sublingual"}));

    // Nothing is remembered across the restart: the state must come from the daemon again.
    broker.restart();
    let state = Spy::connect(&broker, STATE);
    let back = state.wait_for(WAIT + WAIT, |s| {
        state_of(&s.payload)["session"]["scene"] == "sublingual"
    });
    assert!(
        back.is_some(),
        "no state after the restart:\n{}",
        daemon.log_text()
    );
    let ana = Sender::connect(&broker, "ana", "ana-password");
    let (reply, correlation) = ana.request(json!({"op": "hold"}), b"after");
    assert_eq!(reply["ok"], json!(true), "{reply}");
    assert_eq!(correlation, b"after");
}

#[test]
fn an_acl_that_refuses_the_discovery_documents_is_reported() {
    let broker = Broker::builder()
        .user(ROOM, "room-password")
        .acl(&format!(
            "user {ROOM}\ntopic readwrite setting/{ROOM}/#\ntopic read homeassistant/status\n"
        ))
        .start();
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = remote_daemon(&broker, dir.path());
    let warned = eventually(WAIT, || {
        daemon
            .log_text()
            .contains("the broker refused a publish")
            .then_some(())
    });
    assert!(warned.is_some(), "{}", daemon.log_text());
}

#[test]
fn requests_sent_together_are_carried_out_in_order() {
    let broker = remote_broker();
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = remote_daemon(&broker, dir.path());
    daemon.ok(json!({"op": "start", "scene": "sublingual"}));
    let ana = Sender::connect(&broker, "ana", "ana-password");
    let reply_to = format!("setting/{ROOM}/reply/ana/burst");
    let ops = [
        json!("hold"),
        json!("release"),
        json!("hold"),
        json!("release"),
        json!("hold"),
    ];
    for (id, op) in ops.iter().enumerate() {
        ana.send(&json!({"id": id, "op": op}), Some(&reply_to), b"burst");
    }
    let mut ids = Vec::new();
    while ids.len() < ops.len() {
        ids.push(ana.next(|p| match p {
            Packet::Publish(publish) if publish.topic[..] == *reply_to.as_bytes() => {
                let reply: Value = serde_json::from_slice(&publish.payload).ok()?;
                assert_eq!(reply["ok"], json!(true), "{reply}");
                reply["id"].as_u64()
            }
            _ => None,
        }));
    }
    assert_eq!(ids, [0, 1, 2, 3, 4]);
    assert_eq!(daemon.status()["session"]["held"], json!(true));
}
