//! Home Assistant's side of a room, through a real Mosquitto with per-account ACLs: the
//! discovery documents arrive retained and again when Home Assistant says it is `online`; the
//! select, the volume slider and the emergency button (published as Home Assistant publishes
//! them, under its own account) steer the room; the slider moves at most one policy step; and a
//! Home Assistant account the ACL does not let into this room changes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use rumqttc::{Client, Event, MqttOptions, Packet, QoS};
use serde_json::{Value, json};

use crate::support::broker::Broker;
use crate::support::room::Room;
use crate::support::{Daemon, eventually};

const PATIENCE: Duration = Duration::from_secs(20);
const ROOM: &str = "room-a";
const ROOM_PASSWORD: &str = "room-password";
/// The account the room's Home Assistant controls publish under (`home_assistant_user`).
const HA: (&str, &str) = ("homeassistant", "ha-password");
/// Another Home Assistant, which the ACL lets into `room-b` only.
const OTHER_HA: (&str, &str) = ("ha-other", "other-password");
const NODE: &str = "setting_room-a";
const REQUESTS: &str = "setting/room-a/request/homeassistant";
const STATE: &str = "setting/room-a/state";
/// The room's entities, as `component/object`.
const ENTITIES: [&str; 11] = [
    "select/scene",
    "sensor/phase",
    "sensor/mode",
    "sensor/session_time",
    "button/emergency",
    "button/check",
    "button/resume",
    "button/next",
    "switch/pause",
    "switch/mute",
    "number/volume",
];
/// `policy.max_volume_step_db` when the config leaves it out.
const VOLUME_STEP_DB: f64 = 6.0;

fn room_broker() -> Broker {
    let acl = format!(
        "user {ROOM}\n\
         topic readwrite setting/{ROOM}/#\n\
         topic write homeassistant/+/{NODE}/+/config\n\
         topic read homeassistant/status\n\
         topic read zigbee2mqtt/#\n\
         topic write zigbee2mqtt/+/set\n\n\
         user {ha}\n\
         topic read homeassistant/#\n\
         topic write homeassistant/status\n\
         topic read setting/+/state\n\
         topic write setting/{ROOM}/request/{ha}\n\n\
         user {other}\n\
         topic read homeassistant/#\n\
         topic read setting/+/state\n\
         topic write setting/room-b/request/{other}\n",
        ha = HA.0,
        other = OTHER_HA.0,
    );
    Broker::builder()
        .user(ROOM, ROOM_PASSWORD)
        .user(HA.0, HA.1)
        .user(OTHER_HA.0, OTHER_HA.1)
        .acl(&acl)
        .start()
}

/// One Zigbee2MQTT light on the test broker, remote control on, and Home Assistant discovery.
fn room_config(dir: &Path, broker: &Broker) -> PathBuf {
    let path = Room {
        name: ROOM,
        password: ROOM_PASSWORD,
        zones: &[("room", &["ceiling"])],
        broker: (broker.host(), broker.port()),
        mqtt_extra: "",
    }
    .write(dir);
    let mut text = std::fs::read_to_string(&path).expect("room config");
    text.push_str("\n[remote]\nhome_assistant = true\n");
    std::fs::write(&path, text).expect("room config");
    path
}

/// One message Home Assistant received.
#[derive(Clone, Debug)]
struct Received {
    topic: String,
    payload: Vec<u8>,
    retain: bool,
}

/// An MQTT 3.1.1 client logged in as a Home Assistant account, as Home Assistant's MQTT
/// integration is: it records what it receives, and counts the broker's PUBACKs so a test
/// knows the broker has dealt with what it sent (even when the ACL dropped it).
struct HomeAssistant {
    client: Client,
    received: Arc<Mutex<Vec<Received>>>,
    acked: Arc<AtomicUsize>,
}

impl HomeAssistant {
    fn connect(broker: &Broker, (user, password): (&str, &str), filters: &[&str]) -> HomeAssistant {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let mut options = MqttOptions::new(
            format!("{user}-{}-{n}", std::process::id()),
            broker.host(),
            broker.port(),
        );
        options.set_credentials(user, password);
        options.set_keep_alive(Duration::from_secs(5));
        let (client, mut connection) = Client::new(options, 64);
        let received = Arc::new(Mutex::new(Vec::new()));
        let acked = Arc::new(AtomicUsize::new(0));
        let (subscribed_tx, subscribed) = std::sync::mpsc::channel();
        let (record, acks) = (Arc::clone(&received), Arc::clone(&acked));
        thread::spawn(move || {
            for event in connection.iter() {
                match event {
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        let _ = subscribed_tx.send(());
                    }
                    Ok(Event::Incoming(Packet::PubAck(_))) => {
                        acks.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => record.lock().unwrap().push(Received {
                        topic: p.topic.clone(),
                        payload: p.payload.to_vec(),
                        retain: p.retain,
                    }),
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        });
        for filter in filters {
            client.subscribe(*filter, QoS::AtLeastOnce).expect("subscribe");
            subscribed
                .recv_timeout(PATIENCE)
                .unwrap_or_else(|_| panic!("{user} got no SUBACK for {filter}:\n{}", broker.log_text()));
        }
        HomeAssistant {
            client,
            received,
            acked,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    fn forget(&self) {
        self.received.lock().unwrap().clear();
    }

    /// Publishes at QoS 1 and waits for the broker's PUBACK: by then the broker has passed it
    /// on, or dropped it for the ACL.
    fn publish(&self, topic: &str, payload: &str) {
        let before = self.acked.load(Ordering::SeqCst);
        self.client
            .publish(topic, QoS::AtLeastOnce, false, payload.as_bytes().to_vec())
            .expect("publish");
        assert!(
            eventually(PATIENCE, || (self.acked.load(Ordering::SeqCst) > before)
                .then_some(()))
            .is_some(),
            "no PUBACK for {topic}"
        );
    }

    /// The room's discovery documents received so far, by `component/object`, the latest
    /// of each.
    fn discovery(&self) -> BTreeMap<String, Received> {
        self.received()
            .into_iter()
            .filter_map(|r| {
                let levels: Vec<&str> = r.topic.split('/').collect();
                match levels.as_slice() {
                    ["homeassistant", component, NODE, object, "config"] => {
                        Some((format!("{component}/{object}"), r.clone()))
                    }
                    _ => None,
                }
            })
            .collect()
    }

    /// Waits until every entity's document has arrived, and returns them.
    fn wait_for_discovery(&self, what: &str, daemon: &Daemon) -> BTreeMap<String, Received> {
        eventually(PATIENCE, || {
            let documents = self.discovery();
            ENTITIES
                .iter()
                .all(|e| documents.contains_key(*e))
                .then_some(documents)
        })
        .unwrap_or_else(|| {
            panic!(
                "{what}: Home Assistant has {:?} of {ENTITIES:?}:\n{}",
                self.discovery().keys().collect::<Vec<_>>(),
                daemon.log_text()
            )
        })
    }

    /// Waits for a state document matching `check`.
    fn wait_for_state(&self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        eventually(PATIENCE, || {
            self.received()
                .into_iter()
                .filter(|r| r.topic == STATE)
                .filter_map(|r| serde_json::from_slice::<Value>(&r.payload).ok())
                .find(|state| check(state))
        })
        .unwrap_or_else(|| panic!("no state with {what}"))
    }
}

impl Drop for HomeAssistant {
    fn drop(&mut self) {
        let _ = self.client.disconnect();
    }
}

fn document(documents: &BTreeMap<String, Received>, entity: &str) -> Value {
    serde_json::from_slice(&documents[entity].payload)
        .unwrap_or_else(|e| panic!("{entity}'s document is not JSON ({e})"))
}

/// Home Assistant's rendering of a command template with the control's value.
fn render(template: &Value, value: &str) -> String {
    template
        .as_str()
        .expect("a template")
        .replace("{{ value }}", value)
}

fn volume_offset(daemon: &Daemon) -> f64 {
    daemon.status()["session"]["volume_offset_db"]
        .as_f64()
        .expect("a session with a volume offset")
}

fn in_emergency(daemon: &Daemon) -> bool {
    daemon.status()["session"]["overrides"]
        .as_array()
        .is_some_and(|overrides| overrides.iter().any(|o| o["kind"] == json!("emergency")))
}

#[test]
fn home_assistant_discovers_the_room_and_steers_it_under_its_own_account() {
    let broker = room_broker();
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::builder().config(room_config(dir.path(), &broker)).start();

    // The documents arrive, and a Home Assistant that subscribes afterwards gets them
    // retained.
    let ha = HomeAssistant::connect(&broker, HA, &["homeassistant/#", "setting/+/state"]);
    ha.wait_for_discovery("after start-up", &daemon);
    let late = HomeAssistant::connect(&broker, HA, &["homeassistant/#"]);
    let documents = late.wait_for_discovery("subscribing late", &daemon);
    for (entity, received) in &documents {
        assert!(received.retain, "{entity}'s document is not retained");
        let d = document(&documents, entity);
        assert_eq!(d["device"]["identifiers"], json!([NODE]), "{entity}");
        if let Some(command) = d.get("command_topic") {
            assert_eq!(command, REQUESTS, "{entity}");
        }
    }
    drop(late);

    // Home Assistant restarts and says so: the documents come again, once for a burst.
    ha.forget();
    for _ in 0..20 {
        ha.publish("homeassistant/status", "online");
    }
    ha.wait_for_discovery("after `online` on homeassistant/status", &daemon);
    std::thread::sleep(Duration::from_secs(2));
    let selects = ha
        .received()
        .into_iter()
        .filter(|r| r.topic == format!("homeassistant/select/{NODE}/scene/config"))
        .count();
    assert_eq!(selects, 1, "twenty `online` in a burst republish once");

    // The scene select starts a session.
    let select = document(&documents, "select/scene");
    assert!(
        select["options"]
            .as_array()
            .unwrap()
            .contains(&json!("sublingual")),
        "{select}"
    );
    ha.publish(REQUESTS, &render(&select["command_template"], "sublingual"));
    let session = eventually(PATIENCE, || {
        let status = daemon.status();
        (!status["session"].is_null()).then(|| status["session"].clone())
    })
    .unwrap_or_else(|| panic!("the select started no session:\n{}", daemon.log_text()));
    assert_eq!(session["scene"], "sublingual");
    ha.wait_for_state("the session's scene", |s| {
        s["session"]["scene"] == json!("sublingual")
    });

    // The slider asks for -30 dB; the room moves one policy step towards it.
    let volume = document(&documents, "number/volume");
    assert_eq!(volume_offset(&daemon), 0.0);
    ha.publish(REQUESTS, &render(&volume["command_template"], "-30"));
    let moved = eventually(PATIENCE, || Some(volume_offset(&daemon)).filter(|db| *db != 0.0))
        .unwrap_or_else(|| panic!("the slider moved nothing:\n{}", daemon.log_text()));
    assert_eq!(moved, -VOLUME_STEP_DB, "one step, not the whole way");
    ha.wait_for_state("the new volume", |s| {
        s["session"]["volume_offset_db"] == json!(-VOLUME_STEP_DB)
    });

    // Another Home Assistant presses this room's emergency button, under its own name and
    // under this room's Home Assistant's: the broker drops both.
    let emergency = document(&documents, "button/emergency");
    let press = emergency["payload_press"].as_str().expect("payload_press");
    let other = HomeAssistant::connect(&broker, OTHER_HA, &["setting/+/state"]);
    other.publish(&format!("setting/{ROOM}/request/{}", OTHER_HA.0), press);
    other.publish(REQUESTS, press);
    // A request sent after those, which does arrive, shows they had their chance.
    ha.publish(REQUESTS, &render(&volume["command_template"], "-30"));
    let moved = eventually(PATIENCE, || {
        Some(volume_offset(&daemon)).filter(|db| *db != -VOLUME_STEP_DB)
    })
    .unwrap_or_else(|| panic!("the second slider move did nothing:\n{}", daemon.log_text()));
    assert_eq!(moved, -2.0 * VOLUME_STEP_DB);
    assert!(
        !in_emergency(&daemon),
        "an account the ACL keeps out put the room in emergency"
    );

    // This room's Home Assistant presses it: the room goes into emergency, and Home
    // Assistant's mode sensor sees it.
    ha.publish(emergency["command_topic"].as_str().expect("command_topic"), press);
    assert!(
        eventually(PATIENCE, || in_emergency(&daemon).then_some(())).is_some(),
        "the emergency button did nothing:\n{}",
        daemon.log_text()
    );
    ha.wait_for_state("mode emergency", |s| s["session"]["mode"] == json!("emergency"));

    // The event log names Home Assistant's account as the sender.
    let report = daemon.ok(json!({"op": "report"}));
    let entries = report["entries"].as_array().expect("entries");
    assert!(
        entries
            .iter()
            .any(|e| e.to_string().contains("emergency") && e.to_string().contains(HA.0)),
        "no emergency from {} in the log: {report}",
        HA.0
    );
}

/// The emergency button pressed with no session running: the room's state says the room is in
/// an emergency (Home Assistant's mode reads it), and says so no more once it is resumed.
#[test]
fn an_emergency_with_no_session_shows_in_the_rooms_state() {
    let broker = room_broker();
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::builder().config(room_config(dir.path(), &broker)).start();
    let ha = HomeAssistant::connect(&broker, HA, &["homeassistant/#", "setting/+/state"]);
    let documents = ha.wait_for_discovery("after start-up", &daemon);
    let emergency = document(&documents, "button/emergency");
    ha.publish(
        emergency["command_topic"].as_str().expect("command_topic"),
        emergency["payload_press"].as_str().expect("payload_press"),
    );
    ha.wait_for_state("an emergency with no session", |s| {
        s["session"].is_null() && s["emergency_without_session"] == json!(["room"])
    });
    let resume = document(&documents, "button/resume");
    ha.forget();
    ha.publish(
        resume["command_topic"].as_str().expect("command_topic"),
        resume["payload_press"].as_str().expect("payload_press"),
    );
    ha.wait_for_state("the emergency ended", |s| {
        s["session"].is_null() && s["emergency_without_session"] == json!([])
    });
}

/// A reload that raises the policy's volume boost republishes discovery with the slider's new
/// range, without a restart.
#[test]
fn a_reload_republishes_discovery_with_the_new_policy() {
    let broker = room_broker();
    let dir = tempfile::tempdir().expect("temp dir");
    // Every shipped scene must check for a reload to be taken on: the group scene's mats too.
    let config = Room {
        name: ROOM,
        password: ROOM_PASSWORD,
        zones: &[
            ("room", &["ceiling"]),
            ("mat-1", &["mat-1-lamp"]),
            ("mat-2", &["mat-2-lamp"]),
            ("mat-3", &["mat-3-lamp"]),
        ],
        broker: (broker.host(), broker.port()),
        mqtt_extra: "",
    }
    .write(dir.path());
    let mut text = std::fs::read_to_string(&config).expect("config");
    text.push_str("\n[remote]\nhome_assistant = true\n");
    std::fs::write(&config, &text).expect("config");
    let daemon = Daemon::builder().config(&config).start();
    let ha = HomeAssistant::connect(&broker, HA, &["homeassistant/#"]);
    let documents = ha.wait_for_discovery("after start-up", &daemon);
    let max = |documents: &BTreeMap<String, Received>| document(documents, "number/volume")["max"].clone();
    assert_eq!(max(&documents), json!(6.0), "the default boost");

    text.push_str("\n[overrides]\nmax_volume_boost_db = 3\n");
    std::fs::write(&config, text).expect("config");
    ha.forget();
    daemon.ok(json!({"op": "reload"}));
    let republished = eventually(PATIENCE, || {
        let documents = ha.discovery();
        documents.contains_key("number/volume").then(|| max(&documents))
    });
    assert_eq!(republished, Some(json!(3.0)), "{}", daemon.log_text());
}
