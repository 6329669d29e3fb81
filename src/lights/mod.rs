//! The lights adapter's contract: the engine tells a [`LightOutput`] which look each zone
//! should reach and over how long; the adapter turns that into device commands.
//!
//! Non-blocking like the audio trait: a real adapter queues the order for its own MQTT task
//! (which owns the command budget and native transitions) and reports trouble back as
//! [`DeviceEvent`](crate::timeline::DeviceEvent)s through the channel it was given.

mod logging;

pub use logging::LoggingLights;

use crate::scene::Look;
use crate::time::Millis;

pub trait LightOutput: Send {
    /// Move `zone` to `look` over `fade` (zero means at once).
    fn set(&mut self, zone: &str, look: Look, fade: Millis);

    /// One line for `status`: what this output is and where it sends.
    fn describe(&self) -> String;
}
