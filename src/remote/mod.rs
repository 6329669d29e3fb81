//! Steering a room over the clinic's MQTT broker, and showing it in Home Assistant.
//!
//! Each room's daemon keeps one MQTT 5 connection of its own (apart from the lights'), on
//! which it answers requests and publishes the room's retained state. The requests and
//! replies are the control socket's own protocol types; the broker's per-room ACL decides who
//! may send them, and the topic they arrive on names who sent them.
//!
//! - [`topics`]: the topic tree, and which reply topics a sender may ask for (pure).
//! - [`state`]: the room's retained state document, which `setting rooms` and Home Assistant
//!   read (pure).
//! - [`home_assistant`]: the discovery documents that make a room one Home Assistant device
//!   (pure).
//! - `link`: the daemon's task that owns the connection.
//! - [`client`]: the CLI's side: one request, one reply; and the list of rooms.

pub mod client;
pub mod home_assistant;
mod link;
pub mod state;
pub mod topics;

pub use link::{RemoteLink, spawn};
pub use state::{RoomState, SessionState};
pub use topics::RoomTopics;
