//! The MQTT lights adapter: [`MqttLights`] takes the engine's orders without blocking, and one
//! task owns the broker connection (rumqttc, v5 or 3.1.1), the traffic plan, the devices'
//! reports and the recovery from a lost broker.

mod acks;
mod board;
mod handle;
mod link;
mod options;
mod routes;
mod task;

pub use handle::{MqttLights, MqttSetup, MqttTask};
pub use options::status_topic;
