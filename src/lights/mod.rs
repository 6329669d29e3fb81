//! The lights adapter's contract: the engine tells a [`LightOutput`] which look each zone
//! should reach and over how long; the adapter turns that into device commands.
//!
//! Non-blocking like the audio trait: a real adapter queues the order for its own MQTT task
//! (which owns the command budget and native transitions) and reports trouble back as
//! [`DeviceEvent`](crate::timeline::DeviceEvent)s through the channel it was given.

pub mod direct;
pub mod direct_notice;
pub mod driver;
mod error;
pub mod level;
mod logging;
pub mod mqtt;
pub mod sim;
pub mod traffic;

pub use error::LightError;
pub use logging::LoggingLights;
pub use mqtt::{MqttLights, MqttSetup, MqttTask};

use crate::protocol::{LightPace, LightsReport};
use crate::scene::Look;
use crate::time::Millis;

pub trait LightOutput: Send {
    /// Move `zone` to `look` over `fade` (zero means at once). `urgent` (an emergency) goes
    /// ahead of anything waiting and preempts a running fade at once.
    fn set(&mut self, zone: &str, look: Look, fade: Millis, urgent: bool);

    /// One line for `status`: what this output is and where it sends.
    fn describe(&self) -> String;

    /// Each light's availability, desired, estimated and reported state.
    fn report(&self) -> LightsReport {
        LightsReport {
            summary: self.describe(),
            ..LightsReport::default()
        }
    }

    /// Moves one light (or one zone, by name) to `look`, outside any scene: the technicians'
    /// `lights set`, `lights test` and `lights calibrate`. Says, per light, when its command
    /// goes: a technician's step the budget delays is told, never merged away silently.
    fn set_light(&mut self, name: &str, look: Look, fade: Millis) -> Result<Vec<LightPace>, LightError> {
        let _ = (look, fade);
        Err(LightError::Unsupported(name.to_string()))
    }

    /// Sends one light a raw device level (a fraction of its range), bypassing its curve and
    /// calibrated minimum: `setting lights calibrate` steps through low levels with it so the
    /// technician can find the lowest usable one.
    fn calibrate(&mut self, light: &str, level: f32) -> Result<(), LightError> {
        let _ = level;
        Err(LightError::Unsupported(light.to_string()))
    }

    /// The daemon took over the direct emergency `id`: its retained notice on the broker has
    /// done its work and goes, and is not honoured again should it come back.
    fn direct_handed_over(&mut self, id: &str) {
        let _ = id;
    }
}
