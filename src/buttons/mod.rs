//! Panic buttons on the wall: physical buttons that already speak MQTT (Zigbee2MQTT remotes
//! and wall switches, Shelly buttons and inputs, Tasmota buttons), mapped by the config's
//! `[[button]]` tables to the therapist's commands. A press goes to the engine exactly as
//! `setting` would send it, through the same queues (an emergency takes the urgent lane), and
//! the event log records the button's name as who sent it, via `button`.
//!
//! - `payload`: the press a device's message reports (pure).
//! - `debounce`: one press however often it repeats (pure).
//! - `task`: the connection that hears the buttons and hands their commands to the engine.

mod debounce;
mod payload;
mod task;

use std::time::Duration;

use rumqttc::v5::AsyncClient;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::{ButtonCommand, Config};
use crate::control::EngineHandle;
use crate::mqtt::{Backoff, unguessable, v5_options};
use crate::protocol::Op;

pub use debounce::{Debounce, REPEAT_WITHIN};
pub use payload::{PayloadError, presses};

/// Requests (subscriptions) waiting for the event loop.
const REQUEST_CAPACITY: usize = 16;

/// The running buttons' connection; dropping it stops the task.
pub struct Buttons {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// Starts listening to `config`'s buttons, if it names any. A connection that cannot be set up
/// (an unreadable password, a bad TLS file) is logged and left out: the room still runs, and
/// the CLI still works.
pub fn spawn(config: &Config, handle: EngineHandle) -> Option<Buttons> {
    if config.buttons.is_empty() {
        return None;
    }
    let Some(broker) = &config.lights.broker else {
        tracing::error!("buttons: `[[button]]` needs an `[mqtt]` broker; the buttons are off");
        return None;
    };
    let client_id = unguessable(&format!("{}-buttons", broker.client_id));
    let options = match v5_options(broker, &client_id) {
        Ok(options) => options,
        Err(e) => {
            tracing::error!(
                "buttons: the buttons are off: {}",
                crate::error_text::error_chain(&e)
            );
            return None;
        }
    };
    let (client, events) = AsyncClient::new(options, REQUEST_CAPACITY);
    let task = task::Task::new(
        client,
        config.buttons.clone(),
        handle,
        format!("{}:{}", broker.host, broker.port),
        Backoff::standard(),
    );
    tracing::info!(
        buttons = config.buttons.len(),
        broker = %task.broker,
        "buttons: listening for the room's buttons"
    );
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(task.run(events, stopped));
    Some(Buttons {
        stop: Some(stop),
        task: Some(task),
    })
}

impl Buttons {
    /// Disconnects and waits (briefly) until it is done.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(1), task).await;
        }
    }
}

impl Drop for Buttons {
    fn drop(&mut self) {
        self.stop.take();
    }
}

/// The request a button's command makes: what `setting emergency`, `check`, `resume` and
/// `pause` send, on the button's zone.
pub fn op_for(command: ButtonCommand, zone: Option<&str>) -> Op {
    let zone = zone.map(str::to_string);
    match command {
        ButtonCommand::Emergency => Op::Emergency { zone },
        ButtonCommand::Check => Op::Check { zone },
        ButtonCommand::Resume => Op::Resume {
            all: false,
            zone,
            kind: None,
        },
        ButtonCommand::Pause => Op::Pause { walk: false },
    }
}
