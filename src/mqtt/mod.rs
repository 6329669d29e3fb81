//! The plumbing every connection to the MQTT broker shares, whoever makes it: the lights'
//! adapter ([`crate::lights`]), the room's remote link and the CLI's `--room` requests
//! ([`crate::remote`]), and `setting emergency` straight to the broker.
//!
//! - `options` and `tls`: the login, TLS through rustls, the keep-alive and Nagle off.
//! - `client_id`: ids drawn afresh for each connection, so no other account can take ours.
//! - [`Backoff`]: the wait between connection attempts.
//! - `polling`: an event loop's poll that a `select!` never cancels half way.
//! - [`PrivateBroker`]: the Mosquitto of its own the daemon runs for the demo, when the config
//!   names lights but no broker.

mod backoff;
mod broker;
mod client_id;
mod options;
mod polling;
mod tls;

pub use backoff::Backoff;
pub use broker::{BrokerError, PrivateBroker};
pub use client_id::{token, unguessable};
pub use options::OptionsError;
pub(crate) use options::{KEEP_ALIVE, password, transport, v5_options, without_nagle};
pub(crate) use polling::{Polling, poll, refused_subscriptions};
pub(crate) use tls::tls_config;
