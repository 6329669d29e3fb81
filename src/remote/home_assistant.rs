//! Home Assistant MQTT discovery for one room: the documents that make the room one device
//! with a scene select, phase and session-time sensors, emergency/check/resume/next buttons,
//! pause and mute switches and a volume number. Commands are the room's own protocol requests,
//! published by Home Assistant to its request topic under its own broker account. The lights
//! are not exposed again: Home Assistant owns them already.

use crate::config::RemoteConfig;

use super::topics::RoomTopics;

/// One retained discovery document.
#[derive(Clone, Debug, PartialEq)]
pub struct Discovery {
    pub topic: String,
    pub payload: Vec<u8>,
}

/// Where Home Assistant says it is `online` (after a restart), which asks for discovery again.
pub fn status_topic(remote: &RemoteConfig) -> String {
    format!("{}/status", remote.discovery_prefix)
}

/// Every discovery document of the room's device.
pub fn discovery(
    room: &RoomTopics,
    remote: &RemoteConfig,
    scenes: &[String],
    max_volume_boost_db: f32,
    version: &str,
) -> Vec<Discovery> {
    let _ = (room, remote, scenes, max_volume_boost_db, version);
    Vec::new()
}
