//! Home Assistant MQTT discovery for one room: the documents that make the room one device
//! with a scene select, phase and session-time sensors, emergency/check/resume/next buttons,
//! pause and mute switches and a volume number. Commands are the room's own protocol requests,
//! published by Home Assistant to its request topic under its own broker account. The lights
//! are not exposed again: Home Assistant owns them already.
