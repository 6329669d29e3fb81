//! The simulation against a real Mosquitto, watched by a plain MQTT client and read back with
//! the real Zigbee2MQTT decoder.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::Packet;
use rumqttc::v5::{AsyncClient, Event, MqttOptions};
use tokio::sync::mpsc;

use super::SimulatedLights;
use crate::config::{Curve, Family, LightConfig};
use crate::lights::driver::{DeviceState, Report, driver};

/// Long enough for a loaded machine; only a guard against hanging, never a speed check.
const PATIENCE: Duration = Duration::from_secs(20);

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A private Mosquitto on a free loopback port, killed on drop.
struct Broker {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Broker {
    fn start() -> Broker {
        Broker::start_on(free_port())
    }

    /// On a given port: a restarted broker comes back where its clients expect it.
    fn start_on(port: u16) -> Broker {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("mosquitto.conf");
        std::fs::write(
            &config,
            format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"),
        )
        .unwrap();
        let child = Command::new("/usr/sbin/mosquitto")
            .arg("-c")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto is installed at /usr/sbin/mosquitto");
        let broker = Broker {
            child,
            port,
            _dir: dir,
        };
        let deadline = std::time::Instant::now() + PATIENCE;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "mosquitto did not start listening"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        broker
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn z2m(name: &str, topic: &str, group: bool) -> LightConfig {
    LightConfig {
        name: name.to_string(),
        zone: "room".to_string(),
        family: Family::Zigbee2Mqtt,
        topic: topic.to_string(),
        group,
        kelvin: Some((2200, 6500)),
        max_transition: Duration::from_secs(120),
        min_level: 0.05,
        curve: Curve::Cie,
        network: "zigbee".to_string(),
        separate_kelvin: false,
    }
}

fn room() -> Vec<LightConfig> {
    let mut tasmota = z2m("reading", "tasmota_reading", false);
    tasmota.family = Family::Tasmota;
    vec![
        z2m("desk", "desk lamp", false),
        z2m("ceiling", "living room", true),
        tasmota,
    ]
}

/// A plain client that sees everything under `zigbee2mqtt/` and can publish commands.
struct Observer {
    client: AsyncClient,
    messages: mpsc::UnboundedReceiver<(String, Vec<u8>)>,
    task: tokio::task::JoinHandle<()>,
}

impl Observer {
    async fn start(port: u16) -> Observer {
        let (client, mut eventloop) = AsyncClient::new(MqttOptions::new("observer", "127.0.0.1", port), 64);
        let (sender, messages) = mpsc::unbounded_channel();
        let (subscribed, is_subscribed) = tokio::sync::oneshot::channel();
        client.subscribe("zigbee2mqtt/#", QoS::AtLeastOnce).await.unwrap();
        let task = tokio::spawn(async move {
            let mut subscribed = Some(subscribed);
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        if let Some(s) = subscribed.take() {
                            let _ = s.send(());
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let topic = String::from_utf8_lossy(&p.topic).into_owned();
                        let _ = sender.send((topic, p.payload.to_vec()));
                    }
                    Ok(_) => {}
                    Err(error) => panic!("observer lost the broker: {error}"),
                }
            }
        });
        tokio::time::timeout(PATIENCE, is_subscribed)
            .await
            .unwrap()
            .unwrap();
        Observer {
            client,
            messages,
            task,
        }
    }

    async fn publish(&self, topic: &str, payload: &str) {
        self.client
            .publish(topic, QoS::AtLeastOnce, false, payload.as_bytes().to_vec())
            .await
            .unwrap();
    }

    /// The next report about `light` (decoded by the real driver) on `topic`.
    async fn next(&mut self, light: &LightConfig, topic: &str) -> Report {
        let wait = async {
            loop {
                let (at, payload) = self.messages.recv().await.expect("observer running");
                if at == topic {
                    let report = driver(Family::Zigbee2Mqtt).decode(light, &at, &payload);
                    return report.unwrap().expect("a report about the light");
                }
            }
        };
        tokio::time::timeout(PATIENCE, wait)
            .await
            .expect("the simulation reported")
    }

    async fn next_state(&mut self, light: &LightConfig) -> DeviceState {
        match self.next(light, &format!("zigbee2mqtt/{}", light.topic)).await {
            Report::State(state) => state,
            other => panic!("expected a state, got {other:?}"),
        }
    }
}

impl Drop for Observer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn brightness(state: &DeviceState) -> u16 {
    (state.level.expect("a level") * 254.0).round() as u16
}

#[tokio::test]
async fn announces_bridge_and_devices_online_and_skips_other_families() {
    let broker = Broker::start();
    let lights = room();
    let sim = SimulatedLights::start("127.0.0.1", broker.port, &lights)
        .await
        .unwrap();
    // Subscribing after the announcement: only retained messages can arrive.
    let mut observer = Observer::start(broker.port).await;
    let desk = &lights[0];
    assert_eq!(
        observer.next(desk, "zigbee2mqtt/bridge/state").await,
        Report::Availability(true)
    );
    assert_eq!(
        observer.next(desk, "zigbee2mqtt/desk lamp/availability").await,
        Report::Availability(true)
    );
    assert!(sim.state("desk").is_some());
    assert!(sim.state("living room").is_some());
    assert_eq!(sim.state("reading"), None);
    assert!(
        !sim.set_available("ceiling", false),
        "a group has no availability"
    );
}

#[tokio::test]
async fn a_transition_is_reported_part_way_and_ends_at_its_target() {
    let broker = Broker::start();
    let lights = room();
    let desk = &lights[0];
    let sim = SimulatedLights::start("127.0.0.1", broker.port, &lights)
        .await
        .unwrap();
    let mut observer = Observer::start(broker.port).await;
    observer
        .publish(
            "zigbee2mqtt/desk lamp/set",
            r#"{"state":"ON","brightness":200,"color_temp":250}"#,
        )
        .await;
    let on = observer.next_state(desk).await;
    assert_eq!((on.on, brightness(&on), on.kelvin), (Some(true), 200, Some(4000)));

    observer
        .publish(
            "zigbee2mqtt/desk lamp/set",
            r#"{"brightness":100,"color_temp":400,"transition":4}"#,
        )
        .await;
    let mut seen = Vec::new();
    loop {
        let state = observer.next_state(desk).await;
        seen.push(brightness(&state));
        if brightness(&state) == 100 && state.kelvin == Some(2500) {
            break;
        }
    }
    assert!(
        seen.iter().any(|&b| b > 100 && b < 200),
        "no report part way: {seen:?}"
    );
    assert!(
        seen.windows(2).all(|w| w[0] >= w[1]),
        "brightness went back up: {seen:?}"
    );
    assert_eq!(brightness(&sim.state("desk").unwrap()), 100);
}

#[tokio::test]
async fn brightness_move_zero_stops_a_running_transition_where_it_is() {
    let broker = Broker::start();
    let lights = room();
    let desk = &lights[0];
    let sim = SimulatedLights::start("127.0.0.1", broker.port, &lights)
        .await
        .unwrap();
    let mut observer = Observer::start(broker.port).await;
    observer
        .publish("zigbee2mqtt/desk lamp/set", r#"{"state":"ON","brightness":254}"#)
        .await;
    observer.next_state(desk).await;
    observer
        .publish("zigbee2mqtt/desk lamp/set", r#"{"brightness":1,"transition":60}"#)
        .await;
    observer.next_state(desk).await;
    // Wait for a progress report so the stop lands part way.
    let moving = observer.next_state(desk).await;
    assert!(brightness(&moving) < 254);
    let stop = driver(Family::Zigbee2Mqtt).stop(desk).remove(0);
    observer
        .publish(&stop.topic, std::str::from_utf8(&stop.payload).unwrap())
        .await;
    let stopped = brightness(&observer.next_state(desk).await);
    assert!(stopped > 1 && stopped < 254, "{stopped}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    observer
        .publish("zigbee2mqtt/desk lamp/get", r#"{"state":""}"#)
        .await;
    assert_eq!(brightness(&observer.next_state(desk).await), stopped);
    assert_eq!(brightness(&sim.state("desk").unwrap()), stopped);
}

#[tokio::test]
async fn an_unavailable_device_says_so_and_ignores_commands() {
    let broker = Broker::start();
    let lights = room();
    let (desk, ceiling) = (&lights[0], &lights[1]);
    let sim = SimulatedLights::start("127.0.0.1", broker.port, &lights)
        .await
        .unwrap();
    let mut observer = Observer::start(broker.port).await;
    let before = sim.state("desk").unwrap();

    assert!(sim.set_available("desk", false));
    let availability = "zigbee2mqtt/desk lamp/availability";
    // The retained online comes first to a new subscriber; then the change.
    assert_eq!(
        observer.next(desk, availability).await,
        Report::Availability(true)
    );
    assert_eq!(
        observer.next(desk, availability).await,
        Report::Availability(false)
    );
    observer
        .publish("zigbee2mqtt/desk lamp/set", r#"{"state":"ON","brightness":50}"#)
        .await;
    // Messages from one client arrive in order: once the group has answered, the desk's
    // command has been seen (and ignored).
    observer
        .publish("zigbee2mqtt/living room/set", r#"{"state":"ON","brightness":80}"#)
        .await;
    assert_eq!(brightness(&observer.next_state(ceiling).await), 80);
    assert_eq!(sim.state("desk").unwrap(), before);

    assert!(sim.set_available("desk", true));
    assert_eq!(
        observer.next(desk, availability).await,
        Report::Availability(true)
    );
    observer
        .publish("zigbee2mqtt/desk lamp/set", r#"{"state":"ON","brightness":50}"#)
        .await;
    assert_eq!(brightness(&observer.next_state(desk).await), 50);
}

#[tokio::test]
async fn dropping_the_simulation_takes_the_bridge_offline_through_its_last_will() {
    let broker = Broker::start();
    let lights = room();
    let sim = SimulatedLights::start("127.0.0.1", broker.port, &lights)
        .await
        .unwrap();
    let mut observer = Observer::start(broker.port).await;
    let bridge = "zigbee2mqtt/bridge/state";
    assert_eq!(
        observer.next(&lights[0], bridge).await,
        Report::Availability(true)
    );
    drop(sim);
    assert_eq!(
        observer.next(&lights[0], bridge).await,
        Report::Availability(false)
    );
}

#[tokio::test]
async fn after_a_broker_restart_it_announces_itself_again_and_takes_commands() {
    let broker = Broker::start();
    let port = broker.port;
    let lights = room();
    let desk = &lights[0];
    let sim = SimulatedLights::start("127.0.0.1", port, &lights).await.unwrap();
    // The restarted broker keeps nothing: no retained messages, no subscriptions.
    drop(broker);
    let _broker = Broker::start_on(port);
    let mut observer = Observer::start(port).await;
    assert_eq!(
        observer.next(desk, "zigbee2mqtt/bridge/state").await,
        Report::Availability(true)
    );
    observer
        .publish("zigbee2mqtt/desk lamp/set", r#"{"state":"ON","brightness":77}"#)
        .await;
    // The re-announced state (off, as before) may come first, when the observer subscribed
    // before the simulation was back.
    let mut state = observer.next_state(desk).await;
    if state.on == Some(false) {
        state = observer.next_state(desk).await;
    }
    assert_eq!((state.on, brightness(&state)), (Some(true), 77));
    assert_eq!(brightness(&sim.state("desk").unwrap()), 77);
}

#[tokio::test]
async fn start_fails_with_the_broker_address_when_nothing_listens() {
    let port = free_port();
    let error = SimulatedLights::start("127.0.0.1", port, &room())
        .await
        .err()
        .expect("no broker");
    assert!(
        error.to_string().contains(&format!("127.0.0.1:{port}")),
        "{error}"
    );
}
