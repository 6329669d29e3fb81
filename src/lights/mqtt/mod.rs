//! The MQTT lights adapter: [`MqttLights`] takes the engine's orders without blocking, and one
//! task owns the broker connection (rumqttc, v5 or 3.1.1), the traffic plan, the devices'
//! reports and the recovery from a lost broker.

mod acks;
mod backoff;
mod board;
mod handle;
mod link;
mod options;
mod routes;
mod task;

pub(crate) use backoff::Backoff;
pub use handle::{MqttLights, MqttSetup, MqttTask};
pub use options::{OptionsError, status_topic};
pub(crate) use options::{tls_config, v5_options, without_nagle};
