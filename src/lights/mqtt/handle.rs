//! [`MqttLights`]: the engine's side of the MQTT adapter. Every call only hands an order to
//! the MQTT task and returns; the engine loop never waits on the network.

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::config::{BrokerConfig, LightConfig, NetworkConfig};
use crate::lights::direct_notice::NoticeSink;
use crate::lights::traffic::Planner;
use crate::lights::{LightError, LightOutput, driver};
use crate::protocol::{LightPace, LightsReport, Pace};
use crate::scene::Look;
use crate::time::{Millis, format_duration};
use crate::timeline::DeviceEvent;

use super::acks::Acks;
use super::board::Board;
use super::link;
use super::options::{connect_options, status_topic};
use super::routes::{DriverFor, Routes};
use super::task::{Order, Task};
use crate::mqtt::Backoff;
use crate::mqtt::OptionsError;

/// How long `set_light` waits for the task to say when each light's command goes.
const PACE_WITHIN: Duration = Duration::from_millis(200);

/// What the adapter needs to start.
#[derive(Clone, Debug)]
pub struct MqttSetup {
    /// The room's name: the daemon's status goes to `setting/<room>/status`.
    pub room: String,
    pub broker: BrokerConfig,
    pub lights: Vec<LightConfig>,
    pub networks: Vec<NetworkConfig>,
    /// Rehearsal speed: fades arrive in session time and run `speed` times faster.
    pub speed: f64,
    /// Where a direct emergency's notice goes for the engine to take over (see
    /// [`NoticeSink`]); without one the lights only hold the zones it names.
    pub notice_sink: Option<NoticeSink>,
    /// Direct emergencies the engine took over in earlier runs: their notices, still on the
    /// broker, are only cleared.
    pub handed_over: BTreeSet<String>,
}

pub struct MqttLights {
    orders: mpsc::UnboundedSender<Order>,
    board: Board,
    lights: BTreeSet<String>,
    zones: BTreeSet<String>,
    speed: f64,
}

/// The running MQTT task, for a clean stop once the engine has let go of the adapter.
pub struct MqttTask {
    done: oneshot::Receiver<()>,
}

impl MqttTask {
    /// Waits (at most `within`) for the task to publish `offline` and disconnect, which it
    /// does once the [`MqttLights`] is dropped.
    pub async fn finish(self, within: Duration) {
        if tokio::time::timeout(within, self.done).await.is_err() {
            tracing::warn!("lights: the MQTT task did not stop in time");
        }
    }
}

impl MqttLights {
    /// Marks these as the demo's simulated lights, so that `status`, `lights list` and
    /// `lights watch` say so rather than show them as the room's.
    pub fn mark_simulated(&self) {
        self.board.simulated();
    }

    /// Starts the MQTT task on a thread of its own. Connecting happens in the background
    /// (with backoff); only a config that cannot work at all (an unreadable password or TLS
    /// file) is an error here.
    ///
    /// Its own thread and single-threaded runtime, because on the engine's runtime an order
    /// wakes the task on the engine's own worker (tokio's LIFO slot, which no other worker
    /// steals), where it would wait for the engine to yield: after the state file's and the
    /// event log's blocking writes. An emergency must not wait behind an fsync.
    pub fn start(
        setup: MqttSetup,
        device_events: mpsc::Sender<DeviceEvent>,
    ) -> Result<(MqttLights, MqttTask), OptionsError> {
        let driver_for: DriverFor = driver::driver;
        let options = connect_options(&setup.broker, &setup.room)?;
        let (link, events) = link::open(options);
        let broker = format!("{}:{}", setup.broker.host, setup.broker.port);
        let version = match setup.broker.version {
            crate::config::MqttVersion::V5 => "MQTT v5",
            crate::config::MqttVersion::V311 => "MQTT 3.1.1",
        };
        let board = Board::new(format!("broker {broker} ({version})"), &setup.lights);
        let (orders, orders_rx) = mpsc::unbounded_channel();
        let task = Task {
            link,
            routes: Routes::new(&setup.lights, driver_for),
            plan: Planner::new(&setup.lights, &setup.networks),
            driver_for,
            board: board.clone(),
            device_events,
            status_topic: status_topic(&setup.room),
            broker,
            username: setup.broker.username.clone(),
            started: Instant::now(),
            connected: false,
            ever_connected: false,
            last_failure: None,
            acks: Acks::default(),
            backoff: Backoff::standard(),
            last_denial: Default::default(),
            subscribed: Vec::new(),
            notice_topic: crate::lights::direct_notice::topic(&setup.room),
            held: Default::default(),
            kept_back: Default::default(),
            to_answer: Vec::new(),
            notice_sink: setup.notice_sink.clone(),
            handed_over: setup.handed_over.clone(),
            settling: None,
            subacks_due: 0,
            hurry: Default::default(),
            urgent_unsent: false,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(OptionsError::Task)?;
        let (finished, done) = oneshot::channel();
        std::thread::Builder::new()
            .name("settingd-mqtt".into())
            .spawn(move || {
                runtime.block_on(task.run(events, orders_rx));
                let _ = finished.send(());
            })
            .map_err(OptionsError::Task)?;
        let lights = MqttLights {
            orders,
            board,
            lights: setup.lights.iter().map(|l| l.name.clone()).collect(),
            zones: setup.lights.iter().map(|l| l.zone.clone()).collect(),
            speed: setup.speed,
        };
        Ok((lights, MqttTask { done }))
    }

    /// Session time to real time.
    fn real(&self, fade: Millis) -> Millis {
        Millis((fade.0 as f64 / self.speed).round() as u64)
    }

    /// The lights a name covers: the light itself, or a zone's lights.
    fn members(&self, name: &str) -> Vec<String> {
        if self.lights.contains(name) {
            return vec![name.to_string()];
        }
        self.board
            .report()
            .lights
            .into_iter()
            .filter(|l| l.zone == name)
            .map(|l| l.name)
            .collect()
    }

    fn send(&self, order: Order) {
        if self.orders.send(order).is_err() {
            tracing::error!("lights: the MQTT task has stopped; order lost");
        }
    }
}

impl LightOutput for MqttLights {
    fn set(&mut self, zone: &str, look: Look, fade: Millis, urgent: bool) {
        // The same line as the logging adapter's: what each zone was told, for the journal.
        tracing::info!(
            zone,
            brightness = look.brightness,
            kelvin = look.kelvin,
            fade = %format_duration(fade),
            urgent,
            "lights: set look"
        );
        self.send(Order::Zone {
            zone: zone.to_string(),
            look,
            fade: self.real(fade),
            urgent,
        });
    }

    fn describe(&self) -> String {
        self.board.summary()
    }

    fn report(&self) -> LightsReport {
        self.board.report()
    }

    fn set_light(&mut self, name: &str, look: Look, fade: Millis) -> Result<Vec<LightPace>, LightError> {
        if !self.lights.contains(name) && !self.zones.contains(name) {
            return Err(LightError::Unknown(name.to_string()));
        }
        // A technician's fade is in real seconds whatever the rehearsal speed: `lights test`
        // waits real seconds between its steps, and a scaled fade would be a jump.
        let (answer, paces) = std::sync::mpsc::sync_channel(1);
        self.send(Order::Light {
            name: name.to_string(),
            look,
            fade,
            answer: Some(answer),
        });
        // The task takes orders before anything else and answers from memory once it has
        // published what goes at once: no network round trip is waited for here, only the
        // task's own thread, and only briefly (a task that is gone answers at once).
        Ok(paces.recv_timeout(PACE_WITHIN).unwrap_or_else(|_| {
            self.members(name)
                .into_iter()
                .map(|light| LightPace {
                    light,
                    pace: Pace::Unknown,
                    replaced_waiting: false,
                })
                .collect()
        }))
    }

    fn calibrate(&mut self, light: &str, level: f32) -> Result<(), LightError> {
        if !self.lights.contains(light) {
            return Err(LightError::Unknown(light.to_string()));
        }
        self.send(Order::Calibrate {
            light: light.to_string(),
            level,
        });
        Ok(())
    }

    fn direct_handed_over(&mut self, id: &str) {
        self.send(Order::HandedOver { id: id.to_string() });
    }
}
