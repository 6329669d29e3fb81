//! The channels to the engine loop: requests with a oneshot for their reply (emergencies on
//! their own queue, so they overtake anything waiting), the broadcast of log entries that
//! `watch` clients follow, and the config the engine runs with.
//!
//! Apart from the engine, so that what sends it requests (the socket server, and the remote
//! link the engine starts) holds an [`EngineHandle`] without depending on the engine itself.

use std::sync::Arc;

use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::config::Config;
use crate::protocol::{ErrorKind, LogEntry, Op, Reply};
use crate::timeline::Source;

/// Requests that may wait behind one another before the engine takes them.
const QUEUE: usize = 64;
/// Log entries a `watch` client may fall behind by before it is cut off.
const WATCH_BACKLOG: usize = 1024;

/// One decoded request on its way to the engine.
#[derive(Debug)]
pub struct ControlRequest {
    pub id: Option<u64>,
    pub op: Op,
    pub source: Source,
    pub reply: oneshot::Sender<Reply>,
}

/// The server's side: cheap to clone, one per connection.
#[derive(Clone, Debug)]
pub struct EngineHandle {
    normal: mpsc::Sender<ControlRequest>,
    urgent: mpsc::Sender<ControlRequest>,
    log: broadcast::Sender<LogEntry>,
    /// The config the engine runs with, as `reload` leaves it.
    config: watch::Receiver<Arc<Config>>,
}

/// The engine's side.
#[derive(Debug)]
pub struct EngineQueues {
    pub normal: mpsc::Receiver<ControlRequest>,
    pub urgent: mpsc::Receiver<ControlRequest>,
    /// Where the engine says which config it runs with after a `reload`.
    pub config: watch::Sender<Arc<Config>>,
}

pub fn channels(config: &Config) -> (EngineHandle, EngineQueues) {
    let (normal_tx, normal) = mpsc::channel(QUEUE);
    let (urgent_tx, urgent) = mpsc::channel(QUEUE);
    let (log, _) = broadcast::channel(WATCH_BACKLOG);
    let (config_tx, config_rx) = watch::channel(Arc::new(config.clone()));
    (
        EngineHandle {
            normal: normal_tx,
            urgent: urgent_tx,
            log,
            config: config_rx,
        },
        EngineQueues {
            normal,
            urgent,
            config: config_tx,
        },
    )
}

/// Whether a request jumps the queue. Only the emergency: it is the one command whose delay
/// could harm someone, and letting more through would make the fast lane slow.
pub fn is_urgent(op: &Op) -> bool {
    matches!(op, Op::Emergency { .. })
}

impl EngineHandle {
    /// Sends a request to the engine and waits for its reply.
    pub async fn request(&self, id: Option<u64>, op: Op, source: Source) -> Reply {
        let (reply, answer) = oneshot::channel();
        let queue = if is_urgent(&op) {
            &self.urgent
        } else {
            &self.normal
        };
        if queue
            .send(ControlRequest {
                id,
                op,
                source,
                reply,
            })
            .await
            .is_err()
        {
            return Reply::error(id, ErrorKind::Internal, "the daemon is shutting down");
        }
        answer
            .await
            .unwrap_or_else(|_| Reply::error(id, ErrorKind::Internal, "the daemon stopped before answering"))
    }

    pub fn watch(&self) -> broadcast::Receiver<LogEntry> {
        self.log.subscribe()
    }

    pub fn log_sender(&self) -> broadcast::Sender<LogEntry> {
        self.log.clone()
    }

    /// The config the engine runs with; it changes when a `reload` is taken on.
    pub fn config(&self) -> watch::Receiver<Arc<Config>> {
        self.config.clone()
    }
}
