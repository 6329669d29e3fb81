//! The room's retained state and Home Assistant's discovery documents, kept current: the
//! state after each change in the engine's log (a burst of changes is one publish), every 10 s
//! while a session runs (its clock), and in full after every ConnAck; discovery after every
//! ConnAck, when Home Assistant comes back online (at most once in 10 s), and when the scene
//! list changes. Nothing is
//! published that is the same as the last time; a document the client's queue would not take
//! is tried again a second later.

use std::sync::Arc;
use std::time::Duration;

use rumqttc::v5::AsyncClient;
use rumqttc::v5::mqttbytes::QoS;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::config::Config;
use crate::control::EngineHandle;
use crate::protocol::{Answer, Op, StatusReply};
use crate::remote::home_assistant;
use crate::remote::state::RoomState;
use crate::remote::topics::RoomTopics;
use crate::timeline::Source;

/// Changes that come together (a phase change and its cues) are published as one state.
const DEBOUNCE: Duration = Duration::from_millis(200);
/// How often the state is refreshed: the session-time sensor, and what changes without a log
/// entry.
const SESSION_CLOCK: Duration = Duration::from_secs(10);
/// When the client's queue would not take a document, how soon it is tried again: an idle
/// room has no other change coming that would retry it, and would stay shown as offline.
const RETRY: Duration = Duration::from_secs(1);
/// Home Assistant's `online` within this long of the last republish is let pass: the
/// documents are retained, so a Home Assistant that came up meanwhile has them, and a flood of
/// `online` must not become a flood of documents.
const ONLINE_GAP: Duration = Duration::from_secs(10);

/// What the connection's task tells the publisher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nudge {
    /// A new connection (a clean start): publish everything again.
    Connected,
    /// Home Assistant restarted and asks for discovery again.
    HomeAssistantOnline,
    /// A request was carried out: the state may have changed.
    Changed,
}

pub struct Publisher {
    client: AsyncClient,
    topics: RoomTopics,
    config: Arc<Config>,
    handle: EngineHandle,
    connected: watch::Receiver<bool>,
    /// The last state document published.
    last_state: Option<Vec<u8>>,
    /// The scenes the last discovery documents were made with.
    last_discovery: Option<Vec<String>>,
    scenes: Vec<String>,
    /// When discovery was last republished for Home Assistant's `online`.
    last_online: Option<Instant>,
}

impl Publisher {
    pub fn new(
        client: AsyncClient,
        topics: RoomTopics,
        handle: EngineHandle,
        connected: watch::Receiver<bool>,
    ) -> Publisher {
        Publisher {
            client,
            topics,
            // The engine's own, as `reload` leaves it (see `run`).
            config: handle.config().borrow().clone(),
            handle,
            connected,
            last_state: None,
            last_discovery: None,
            scenes: Vec::new(),
            last_online: None,
        }
    }

    pub async fn run(mut self, mut nudges: mpsc::UnboundedReceiver<Nudge>) {
        let mut log = self.handle.watch();
        let mut log_open = true;
        let mut config = self.handle.config();
        let mut config_open = true;
        let mut due: Option<Instant> = None;
        let mut clock = tokio::time::interval(SESSION_CLOCK);
        clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                nudge = nudges.recv() => match nudge {
                    None => return,
                    Some(Nudge::Changed) => {
                        due.get_or_insert_with(|| Instant::now() + DEBOUNCE);
                    }
                    Some(Nudge::Connected) => {
                        // A clean start may follow a broker restart that lost every retained
                        // message: nothing counts as published any more.
                        self.last_state = None;
                        self.last_discovery = None;
                        if !self.refresh().await {
                            due = Some(Instant::now() + RETRY);
                        }
                    }
                    Some(Nudge::HomeAssistantOnline) => {
                        if self.last_online.is_some_and(|t| t.elapsed() < ONLINE_GAP) {
                            tracing::debug!("remote: Home Assistant online again within {ONLINE_GAP:?}; documents are retained");
                            continue;
                        }
                        tracing::info!("remote: Home Assistant is online; publishing discovery");
                        self.last_online = Some(Instant::now());
                        self.last_discovery = None;
                        let sent = if self.last_state.is_none() {
                            self.refresh().await
                        } else {
                            self.discovery()
                        };
                        if !sent {
                            due = Some(Instant::now() + RETRY);
                        }
                    }
                },
                entry = log.recv(), if log_open => match entry {
                    Ok(_) | Err(RecvError::Lagged(_)) => {
                        due.get_or_insert_with(|| Instant::now() + DEBOUNCE);
                    }
                    Err(RecvError::Closed) => log_open = false,
                },
                _ = tokio::time::sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                    due = (!self.refresh().await).then(|| Instant::now() + RETRY);
                }
                // A reload took on another config: the scenes offered and the volume slider's
                // range may have changed.
                changed = config.changed(), if config_open => {
                    if changed.is_err() {
                        config_open = false;
                        continue;
                    }
                    self.config = config.borrow_and_update().clone();
                    self.last_discovery = None;
                    due.get_or_insert_with(|| Instant::now() + DEBOUNCE);
                }
                // Idle too: an emergency with no session changes the state without a log entry.
                _ = clock.tick() => {
                    if !self.refresh().await {
                        due.get_or_insert_with(|| Instant::now() + RETRY);
                    }
                }
            }
        }
    }

    /// Asks the engine where the room stands and publishes it (and discovery) if it changed.
    /// False when a document could not be queued and should be tried again soon; not
    /// connected counts as done (the next connection publishes everything).
    async fn refresh(&mut self) -> bool {
        if !*self.connected.borrow() {
            return true;
        }
        let reply = self.handle.request(None, Op::Status, Source::daemon()).await;
        let status: StatusReply = match reply.result {
            Some(Answer::Status(status)) => *status,
            Some(other) => {
                tracing::warn!("remote: the daemon answered `status` with {other:?}");
                return true;
            }
            None => {
                let message = reply.error.map(|e| e.message).unwrap_or_default();
                tracing::debug!("remote: no status for the room's state: {message}");
                return true;
            }
        };
        match crate::catalog::scene_names(&self.config) {
            Ok(scenes) => self.scenes = scenes,
            // The last list known is better than none; the directory may be back next time.
            Err(e) => tracing::warn!(
                "remote: cannot list the scenes: {}",
                crate::error_text::error_chain(&e)
            ),
        }
        let state = RoomState::from_status(&status, self.scenes.clone());
        let json = state.to_json();
        let mut sent = true;
        if self.last_state.as_ref() != Some(&json) {
            let topic = self.topics.state();
            sent = self.publish(&topic, json.clone());
            if sent {
                self.last_state = Some(json);
            }
        }
        self.discovery() && sent
    }

    /// Publishes the discovery documents when Home Assistant is on and they would change;
    /// false when some could not be queued.
    fn discovery(&mut self) -> bool {
        let remote = &self.config.remote;
        if !remote.home_assistant || self.last_discovery.as_ref() == Some(&self.scenes) {
            return true;
        }
        if !*self.connected.borrow() {
            return true;
        }
        let documents = home_assistant::discovery(
            &self.topics,
            remote,
            &self.scenes,
            self.config.policy.max_volume_boost_db,
            env!("CARGO_PKG_VERSION"),
        );
        let mut all_sent = true;
        for document in documents {
            all_sent &= self.publish(&document.topic, document.payload);
        }
        if all_sent {
            self.last_discovery = Some(self.scenes.clone());
        }
        all_sent
    }

    /// Queues a retained publish; false when the queue would not take it (it is tried again
    /// at the next refresh).
    fn publish(&self, topic: &str, payload: Vec<u8>) -> bool {
        match self.client.try_publish(topic, QoS::AtLeastOnce, true, payload) {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(topic, "remote: cannot publish: {e}");
                false
            }
        }
    }
}
