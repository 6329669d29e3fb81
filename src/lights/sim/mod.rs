//! Simulated lights for the demo and the tests: a Zigbee2MQTT bridge and its bulbs, on a
//! real broker, that take the same `/set` payloads a real bridge does, carry out their
//! transitions and report their state as they go.
//!
//! Only Zigbee2MQTT lights (devices and groups) are simulated; lights of other families are
//! skipped with a log line. The bridge's retained `zigbee2mqtt/bridge/state` is online while
//! the simulation runs and goes offline through its last will when it stops.

mod device;
mod task;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::LastWill;
use rumqttc::v5::{AsyncClient, ConnectionError, MqttOptions};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::driver::zigbee2mqtt::{availability_topic, bridge_state_topic};
use super::driver::{DeviceState, Publish};
use crate::config::{Family, LightConfig};
use device::Device;

/// How long [`SimulatedLights::start`] waits for the broker to take the connection and the
/// subscriptions.
const READY_TIMEOUT: Duration = Duration::from_secs(10);
const ONLINE: &[u8] = br#"{"state":"online"}"#;
const OFFLINE: &[u8] = br#"{"state":"offline"}"#;

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("simulated lights could not connect to the broker at {host}:{port}")]
    Connect {
        host: String,
        port: u16,
        #[source]
        source: ConnectionError,
    },
    #[error("simulated lights: the broker at {host}:{port} did not accept the connection within {timeout:?}")]
    Timeout {
        host: String,
        port: u16,
        timeout: Duration,
    },
}

/// One simulated light: a Zigbee2MQTT device or group.
#[derive(Debug)]
struct Simulated {
    /// The Zigbee2MQTT friendly name (the light's `topic`).
    topic: String,
    /// The config's name for it, which [`SimulatedLights::state`] also answers to.
    name: String,
    group: bool,
    available: bool,
    device: Device,
}

type Lights = Arc<Mutex<Vec<Simulated>>>;

fn lock(lights: &Lights) -> std::sync::MutexGuard<'_, Vec<Simulated>> {
    // A panic elsewhere must not stop the simulation answering the test that is looking.
    lights.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Running simulated lights; dropping it stops them.
pub struct SimulatedLights {
    client: AsyncClient,
    lights: Lights,
    tasks: Vec<JoinHandle<()>>,
}

static INSTANCES: AtomicUsize = AtomicUsize::new(0);

impl SimulatedLights {
    /// Connects to the broker at `host:port` (MQTT v5, client id `setting-sim-<pid>-<n>`),
    /// announces the bridge and each device online (retained), and subscribes to each
    /// light's `/set` and `/get`. Returns once the broker has acknowledged all that.
    pub async fn start(host: &str, port: u16, lights: &[LightConfig]) -> Result<SimulatedLights, SimError> {
        let simulated: Vec<Simulated> = lights
            .iter()
            .filter(|light| {
                let simulated = light.family == Family::Zigbee2Mqtt;
                if !simulated {
                    tracing::info!(light = %light.name, family = light.family.name(), "not simulated: only Zigbee2MQTT lights are");
                }
                simulated
            })
            .map(|light| Simulated {
                topic: light.topic.clone(),
                name: light.name.clone(),
                group: light.group,
                available: true,
                device: Device::default(),
            })
            .collect();
        let n = INSTANCES.fetch_add(1, Ordering::Relaxed);
        let mut options = MqttOptions::new(format!("setting-sim-{}-{n}", std::process::id()), host, port);
        options.set_keep_alive(Duration::from_secs(30));
        // A handful of bulbs report a few states a second; left unset, rumqttc sizes its table of
        // unacknowledged publishes for 65,535 (14 MB).
        options.set_outgoing_inflight_upper_limit(64);
        options.set_last_will(LastWill::new(
            bridge_state_topic(),
            OFFLINE,
            QoS::AtLeastOnce,
            true,
            None,
        ));
        let (client, eventloop) = AsyncClient::new(options, 256);
        let lights: Lights = Arc::new(Mutex::new(simulated));
        let (events, received) = mpsc::unbounded_channel();
        let (ready, is_ready) = oneshot::channel();
        let tasks = vec![
            tokio::spawn(task::poll(eventloop, events)),
            tokio::spawn(task::simulate(client.clone(), lights.clone(), received, ready)),
        ];
        let running = SimulatedLights {
            client,
            lights,
            tasks,
        };
        let failed = |source| SimError::Connect {
            host: host.to_string(),
            port,
            source,
        };
        match tokio::time::timeout(READY_TIMEOUT, is_ready).await {
            Ok(Ok(Ok(()))) => Ok(running),
            Ok(Ok(Err(source))) => Err(failed(source)),
            Ok(Err(_)) | Err(_) => Err(SimError::Timeout {
                host: host.to_string(),
                port,
                timeout: READY_TIMEOUT,
            }),
        }
    }

    /// Where the light named `name` (its config name or its Zigbee2MQTT friendly name) is
    /// now, part way through a transition included; `None` for a light not simulated.
    pub fn state(&self, name: &str) -> Option<DeviceState> {
        let now = Instant::now();
        lock(&self.lights)
            .iter()
            .find(|light| light.name == name || light.topic == name)
            .map(|light| light.device.state(now))
    }

    /// Makes a device drop off the network (or come back): it publishes its availability and,
    /// while unavailable, ignores commands. Returns false for an unknown light or a group,
    /// which has no availability of its own.
    pub fn set_available(&self, name: &str, available: bool) -> bool {
        let topic = {
            let mut lights = lock(&self.lights);
            let Some(light) = lights
                .iter_mut()
                .find(|l| (l.name == name || l.topic == name) && !l.group)
            else {
                return false;
            };
            light.available = available;
            light.topic.clone()
        };
        let payload = if available { ONLINE } else { OFFLINE };
        task::send(&self.client, retained(availability_topic(&topic), payload));
        true
    }
}

fn retained(topic: String, payload: &[u8]) -> (Publish, bool) {
    (
        Publish {
            topic,
            payload: payload.to_vec(),
        },
        true,
    )
}

impl Drop for SimulatedLights {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
