//! Home Assistant MQTT discovery for one room: the documents that make the room one device
//! with a scene select, phase, mode and session-time sensors, emergency/check/resume/next
//! buttons, pause and mute switches and a volume number. Commands are the room's own protocol
//! requests, published by Home Assistant to its request topic under its own broker account. The
//! lights are not exposed again: Home Assistant owns them already.
//!
//! - [`entities`]: what each entity shows and sends.
//! - this file: the parts every document shares (device, availability, origin, ids) and the
//!   discovery topics.

mod entities;
#[cfg(test)]
mod tests;

use serde_json::{Map, Value, json};

use crate::config::RemoteConfig;

use super::topics::RoomTopics;
use entities::Entity;

/// One retained discovery document. An empty payload removes the entity from Home Assistant
/// (and clears the retained document): it is what the scene select becomes when the room has
/// no scene it could offer.
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
    let device = Device::new(room, remote, version);
    entities::all(&device, scenes, max_volume_boost_db)
        .into_iter()
        .map(|entity| device.document(entity))
        .collect()
}

/// What every entity of the room shares.
struct Device<'a> {
    room: &'a RoomTopics,
    remote: &'a RemoteConfig,
    version: &'a str,
    /// `setting_<room>`: the device's identifier and the node level of its discovery topics.
    node_id: String,
}

impl<'a> Device<'a> {
    fn new(room: &'a RoomTopics, remote: &'a RemoteConfig, version: &'a str) -> Device<'a> {
        Device {
            room,
            remote,
            version,
            node_id: format!("setting_{}", node_level(room.room())),
        }
    }

    /// Where Home Assistant's controls publish: its own account's request topic, so the
    /// broker's ACL and the room's audit trail treat it like any other sender.
    fn command_topic(&self) -> String {
        self.room.request(&self.remote.home_assistant_user)
    }

    fn state_topic(&self) -> String {
        self.room.state()
    }

    fn topic(&self, entity: &Entity) -> String {
        format!(
            "{}/{}/{}/{}/config",
            self.remote.discovery_prefix, entity.component, self.node_id, entity.object
        )
    }

    fn document(&self, entity: Entity) -> Discovery {
        let topic = self.topic(&entity);
        let Some(fields) = entity.fields else {
            return Discovery {
                topic,
                payload: Vec::new(),
            };
        };
        let unique_id = format!("{}_{}", self.node_id, entity.object);
        let mut document = Map::new();
        document.insert("name".into(), entity.name.into());
        document.insert("unique_id".into(), unique_id.clone().into());
        document.insert(
            "default_entity_id".into(),
            format!("{}.{}", entity.component, entity_slug(&unique_id)).into(),
        );
        document.insert("icon".into(), entity.icon.into());
        document.insert("device".into(), self.device_block());
        document.insert(
            "origin".into(),
            json!({"name": "setting", "sw_version": self.version}),
        );
        document.insert(
            "availability".into(),
            json!([{
                "topic": self.state_topic(),
                // The state document says whether the daemon is there; its last will says not.
                "value_template": "{{ 'online' if value_json.online else 'offline' }}",
            }]),
        );
        // At least once: a pressed emergency button must reach the room.
        document.insert("qos".into(), 1.into());
        document.extend(fields);
        Discovery {
            topic,
            payload: serde_json::to_vec(&Value::Object(document)).expect("a discovery document serialises"),
        }
    }

    fn device_block(&self) -> Value {
        json!({
            "identifiers": [self.node_id],
            "name": format!("Room {}", self.room.room()),
            "manufacturer": "setting",
            "model": "settingd",
            "sw_version": self.version,
        })
    }
}

/// The room's name as one discovery topic level, which Home Assistant reads as a node id: only
/// `[a-zA-Z0-9_-]`. Room names are plain (`room-a`) already; anything else becomes `_`.
fn node_level(room: &str) -> String {
    room.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// An entity id's object part: lowercase `[a-z0-9_]` only, so `room-a` becomes `room_a`.
fn entity_slug(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}
