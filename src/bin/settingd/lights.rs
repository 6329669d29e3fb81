//! Choosing the lights adapter: MQTT to the configured broker; with lights but no broker, the
//! demo's private Mosquitto with simulated lights; with no lights (or no Mosquitto for the
//! demo), logging only. One line at start-up says which.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use setting::config::{BrokerConfig, Family, MqttVersion};
use setting::config::{Config, default_client_id};
use setting::engine::marker::DirectEmergency;
use setting::engine::marker_spool::spool_dir;
use setting::engine::taken_over::TakenOver;
use setting::error_text::error_chain;
use setting::lights::direct_notice::{DirectNotice, NoticeSink};
use setting::lights::sim::SimulatedLights;
use setting::lights::{LightOutput, LoggingLights, MqttLights, MqttSetup, MqttTask};
use setting::mqtt::PrivateBroker;
use setting::timeline::DeviceEvent;

/// How long a stopping daemon gives the MQTT task to say `offline` and disconnect.
const MQTT_GOODBYE: Duration = Duration::from_secs(2);

/// The adapter for the engine, and what must outlive it.
pub struct Lights {
    pub output: Box<dyn LightOutput>,
    pub running: Running,
}

/// The MQTT task and the demo's broker and simulated lights, stopped after the engine.
#[derive(Default)]
pub struct Running {
    task: Option<MqttTask>,
    simulated: Option<SimulatedLights>,
    broker: Option<PrivateBroker>,
}

impl Running {
    /// Call once the engine has returned (and so dropped the adapter).
    pub async fn finish(self) {
        if let Some(task) = self.task {
            task.finish(MQTT_GOODBYE).await;
        }
        drop(self.simulated);
        drop(self.broker);
    }
}

/// `taken_over` is the record of direct emergencies taken over in earlier runs: a notice of
/// one still retained on the broker is not honoured again.
pub async fn lights_output(
    config: &Config,
    state_dir: &Path,
    speed: f64,
    events: mpsc::Sender<DeviceEvent>,
    taken_over: &TakenOver,
) -> Lights {
    let lights = &config.lights;
    if lights.lights.is_empty() {
        tracing::info!("lights: none configured, logging only");
        return logging();
    }
    let count = lights.lights.len();
    if let Some(broker) = &lights.broker {
        let label = format!("{}:{}", broker.host, broker.port);
        return match start_mqtt(
            config,
            state_dir,
            broker.clone(),
            speed,
            events,
            false,
            taken_over,
        ) {
            Ok((output, task)) => {
                tracing::info!("lights: broker {label}, {count} lights");
                Lights {
                    output,
                    running: Running {
                        task: Some(task),
                        ..Running::default()
                    },
                }
            }
            Err(e) => {
                tracing::error!("lights: cannot use the broker {label} ({e}); logging only");
                logging()
            }
        };
    }
    let broker = match PrivateBroker::start(&state_dir.join("demo-broker")) {
        Ok(broker) => broker,
        Err(e) => {
            tracing::warn!(
                "lights: {count} lights configured but no broker, and the demo broker cannot start ({}); logging only",
                error_chain(&e)
            );
            return logging();
        }
    };
    let simulated = match SimulatedLights::start(broker.host(), broker.port(), &lights.lights).await {
        Ok(simulated) => simulated,
        Err(e) => {
            tracing::warn!(
                "lights: the demo's simulated lights cannot start ({}); logging only",
                error_chain(&e)
            );
            return logging();
        }
    };
    let demo = BrokerConfig {
        host: broker.host().to_string(),
        port: broker.port(),
        tls: None,
        username: None,
        password: None,
        client_id: default_client_id(&config.room.name),
        version: MqttVersion::V5,
    };
    let simulated_count = lights
        .lights
        .iter()
        .filter(|l| l.family == Family::Zigbee2Mqtt)
        .count();
    match start_mqtt(config, state_dir, demo, speed, events, true, taken_over) {
        Ok((output, task)) => {
            tracing::info!(
                "lights: demo — private broker on {}:{} with {simulated_count} simulated lights",
                broker.host(),
                broker.port()
            );
            Lights {
                output,
                running: Running {
                    task: Some(task),
                    simulated: Some(simulated),
                    broker: Some(broker),
                },
            }
        }
        Err(e) => {
            tracing::warn!("lights: cannot connect to the demo broker ({e}); logging only");
            logging()
        }
    }
}

fn start_mqtt(
    config: &Config,
    state_dir: &Path,
    broker: BrokerConfig,
    speed: f64,
    events: mpsc::Sender<DeviceEvent>,
    simulated: bool,
    taken_over: &TakenOver,
) -> Result<(Box<dyn LightOutput>, MqttTask), String> {
    let broker_name = format!("{}:{} (its notice)", broker.host, broker.port);
    let setup = MqttSetup {
        room: config.room.name.clone(),
        broker,
        lights: config.lights.lights.clone(),
        networks: config.lights.networks.clone(),
        speed,
        notice_sink: Some(notice_sink(state_dir, broker_name)),
        handed_over: taken_over.ids().map(str::to_string).collect(),
    };
    let (output, task) = MqttLights::start(setup, events).map_err(|e| error_chain(&e))?;
    if simulated {
        output.mark_simulated();
    }
    Ok((Box::new(output), task))
}

/// A direct emergency's notice on the broker becomes a marker in the spool, which the engine
/// honours as it honours the one `setting emergency` leaves there.
fn notice_sink(state_dir: &Path, broker: String) -> NoticeSink {
    let spool = spool_dir(state_dir);
    NoticeSink(Arc::new(move |notice: &DirectNotice| {
        let marker = DirectEmergency {
            id: notice.id.clone(),
            sent_unix_ms: notice.sent_unix_ms,
            whole_room: notice.whole_room,
            zones: notice.zones.clone(),
            lights: Vec::new(),
            user: notice.user.clone(),
            broker: broker.clone(),
        };
        marker
            .leave_in_spool(&spool)
            .map(|path| path.display().to_string())
            .map_err(|e| error_chain(&e))
    }))
}

fn logging() -> Lights {
    Lights {
        output: Box::new(LoggingLights::new()),
        running: Running::default(),
    }
}
