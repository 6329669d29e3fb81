//! The daemon's remote link: one task owns an MQTT 5 connection, answers requests through the
//! engine with the sender recorded, keeps the room's retained state current, and publishes
//! Home Assistant discovery when asked to.
//!
//! - `options`: the connection's options (the lights' broker, credentials and TLS; the room's
//!   offline state as the last will).
//! - `task`: the task that owns rumqttc's event loop, resubscribes after every ConnAck and says
//!   goodbye on shutdown.
//! - `requests`: what to do with a request that arrived (pure), and carrying it out without
//!   holding up the connection.
//! - `state_publisher`: the retained state and the discovery documents, kept current from the
//!   engine's log.

mod options;
mod requests;
mod state_publisher;
mod task;

use std::time::Duration;

use rumqttc::v5::AsyncClient;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::control::EngineHandle;
use crate::mqtt::Backoff;

use super::topics::RoomTopics;

/// Requests (publishes, subscriptions) waiting for the event loop.
const REQUEST_CAPACITY: usize = 64;
/// How long a stopping daemon waits for the offline state and the DISCONNECT to leave.
const GOODBYE: Duration = Duration::from_secs(2);

/// The running link. [`RemoteLink::stop`] says goodbye and waits for it; dropping it asks the
/// task to say goodbye without waiting.
pub struct RemoteLink {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// Starts the link for `config`'s room, if `[remote]` is enabled. A link that cannot be set up
/// (an unreadable password, a bad TLS file) is logged and left out: the room still runs.
pub fn spawn(config: &Config, handle: EngineHandle) -> Option<RemoteLink> {
    if !config.remote.enabled {
        return None;
    }
    let Some(broker) = &config.lights.broker else {
        tracing::error!("remote: `[remote]` needs an `[mqtt]` broker; remote control is off");
        return None;
    };
    let topics = RoomTopics::new(&config.remote.topic_prefix, &config.room.name);
    let options = match options::connect_options(broker, &topics) {
        Ok(options) => options,
        Err(e) => {
            tracing::error!(
                "remote: remote control is off: {}",
                crate::error_text::error_chain(&e)
            );
            return None;
        }
    };
    let (client, events) = AsyncClient::new(options, REQUEST_CAPACITY);
    let (connected_tx, connected) = watch::channel(false);
    let (nudges_tx, nudges) = mpsc::unbounded_channel();
    let publisher =
        state_publisher::Publisher::new(client.clone(), topics.clone(), handle.clone(), connected);
    let publisher = tokio::spawn(publisher.run(nudges));
    let task = task::Task {
        client: client.clone(),
        requests: requests::Requests::new(client, topics.clone(), handle, nudges_tx.clone()),
        ha_status: config
            .remote
            .home_assistant
            .then(|| super::home_assistant::status_topic(&config.remote)),
        topics,
        broker: format!("{}:{}", broker.host, broker.port),
        connected: connected_tx,
        nudges: nudges_tx,
        publisher,
        backoff: Backoff::standard(),
        last_failure: None,
    };
    let (stop, stopped) = oneshot::channel();
    tracing::info!(
        room = %config.room.name,
        broker = %task.broker,
        home_assistant = config.remote.home_assistant,
        "remote: steering over the broker is on"
    );
    let task = tokio::spawn(task.run(events, stopped, GOODBYE));
    Some(RemoteLink {
        stop: Some(stop),
        task: Some(task),
    })
}

impl RemoteLink {
    /// Marks the room offline, disconnects cleanly, and waits (briefly) until it is done.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(GOODBYE + Duration::from_millis(500), task).await;
        }
    }
}

impl Drop for RemoteLink {
    fn drop(&mut self) {
        // Dropping the sender wakes the task as a stop would; it says goodbye on its own.
        self.stop.take();
    }
}
