//! [`DeviceEvents`]: how the player's threads and the sound card's error callback tell the
//! engine what happened, without ever blocking on it.

use tokio::sync::mpsc;

use crate::timeline::DeviceEvent;

#[derive(Debug, Clone, Default)]
pub struct DeviceEvents {
    sender: Option<mpsc::Sender<DeviceEvent>>,
}

impl DeviceEvents {
    pub fn new(sender: mpsc::Sender<DeviceEvent>) -> Self {
        DeviceEvents { sender: Some(sender) }
    }

    /// Reports nowhere: for offline use and tests that do not listen.
    pub fn none() -> Self {
        DeviceEvents::default()
    }

    /// Never waits: this runs on the audio threads, and a full queue means the engine is far
    /// behind, when one lost report matters less than a stalled player.
    pub fn send(&self, event: DeviceEvent) {
        tracing::debug!(?event, "audio event");
        if let Some(sender) = &self.sender
            && let Err(e) = sender.try_send(event)
        {
            tracing::warn!("audio event dropped: {e}");
        }
    }
}
