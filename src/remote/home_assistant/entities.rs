//! The room's entities in Home Assistant: what each one reads from the state document and
//! which protocol request each control sends. The templates render exactly one request line
//! that `protocol::decode_request` accepts; the value templates read
//! [`RoomState`](crate::remote::RoomState) and render `None` (Home Assistant's "unknown")
//! where there is no session to show.

use serde_json::{Map, Value, json};

use super::Device;
use crate::timeline::MIN_VOLUME_OFFSET_DB;

/// One entity before the shared parts are added.
pub(super) struct Entity {
    /// Home Assistant's platform: `select`, `sensor`, `button`, `switch`, `number`.
    pub component: &'static str,
    /// The entity's last id level, unique within the room.
    pub object: &'static str,
    pub name: &'static str,
    pub icon: &'static str,
    /// `None` asks Home Assistant to remove the entity.
    pub fields: Option<Map<String, Value>>,
}

/// The select's command, with Home Assistant's chosen option for `{{ value }}`.
pub(super) const START_TEMPLATE: &str = r#"{"op":"start","scene":"{{ value }}"}"#;
/// The slider's command, with Home Assistant's number (`-6`, `2.5`) for `{{ value }}`.
pub(super) const VOLUME_TEMPLATE: &str = r#"{"op":"volume_to","db":{{ value }}}"#;

/// The modes the state document's `mode` takes, and `idle` when no session runs (or
/// `emergency`, when one holds the room without a session).
pub(super) const MODES: [&str; 7] = [
    "idle",
    "running",
    "paused",
    "held",
    "check",
    "emergency",
    "finished",
];

pub(super) fn all(device: &Device<'_>, scenes: &[String], max_volume_boost_db: f32) -> Vec<Entity> {
    let command = device.command_topic();
    let state = device.state_topic();
    let button = |object, name, icon, op: &str| Entity {
        component: "button",
        object,
        name,
        icon,
        fields: Some(fields(json!({
            "command_topic": command,
            "payload_press": request(op),
        }))),
    };
    let switch = |object, name, icon, (on, off): (String, String), field: &str| Entity {
        component: "switch",
        object,
        name,
        icon,
        fields: Some(fields(json!({
            "command_topic": command,
            "payload_on": on,
            "payload_off": off,
            "state_topic": state,
            "state_on": "ON",
            "state_off": "OFF",
            "value_template": session_value(&format!("('ON' if value_json.session.{field} else 'OFF')"), "None"),
        }))),
    };
    // Off ends the pause alone: a plain `resume` would end the most urgent override, and
    // switching the pause off must never end an emergency.
    let unpause = json!({ "op": "resume", "kind": "pause" }).to_string();
    vec![
        scene_select(device, scenes),
        Entity {
            component: "sensor",
            object: "phase",
            name: "Phase",
            icon: "mdi:timeline-clock-outline",
            fields: Some(fields(json!({
                "state_topic": state,
                "value_template": session_value("value_json.session.phase_title", "'no session'"),
            }))),
        },
        Entity {
            component: "sensor",
            object: "mode",
            name: "Mode",
            icon: "mdi:list-status",
            fields: Some(fields(json!({
                "state_topic": state,
                "device_class": "enum",
                "options": MODES,
                "value_template": session_value(
                    "value_json.session.mode",
                    "('emergency' if value_json.emergency_without_session else 'idle')",
                ),
            }))),
        },
        Entity {
            component: "sensor",
            object: "session_time",
            name: "Session time",
            icon: "mdi:timer-outline",
            fields: Some(fields(json!({
                "state_topic": state,
                "device_class": "duration",
                // Whole minutes read better on a dashboard than seconds. Sent as minutes, not
                // as seconds with a suggested unit: Home Assistant drops that key from MQTT
                // discovery and would show seconds.
                "unit_of_measurement": "min",
                "suggested_display_precision": 0,
                "value_template": session_value("value_json.session.session_seconds // 60", "None"),
            }))),
        },
        button("emergency", "Emergency", "mdi:alarm-light", "emergency"),
        button("check", "Check", "mdi:account-eye", "check"),
        button("resume", "Resume", "mdi:play-circle-outline", "resume"),
        button("next", "Next phase", "mdi:skip-next", "next"),
        switch(
            "pause",
            "Pause",
            "mdi:pause",
            (request("pause"), unpause),
            "paused",
        ),
        switch(
            "mute",
            "Mute",
            "mdi:volume-off",
            (request("mute"), request("unmute")),
            "muted",
        ),
        Entity {
            component: "number",
            object: "volume",
            name: "Volume",
            icon: "mdi:volume-high",
            fields: Some(fields(json!({
                "command_topic": command,
                "command_template": VOLUME_TEMPLATE,
                "state_topic": state,
                "value_template": session_value("value_json.session.volume_offset_db", "None"),
                "min": MIN_VOLUME_OFFSET_DB,
                "max": max_volume_boost_db,
                "step": 1,
                "mode": "slider",
                "unit_of_measurement": "dB",
            }))),
        },
    ]
}

/// The scenes `start` accepts, as a select; removed when there is none to offer.
fn scene_select(device: &Device<'_>, scenes: &[String]) -> Entity {
    let options: Vec<&String> = scenes.iter().filter(|s| fits_the_template(s)).collect();
    Entity {
        component: "select",
        object: "scene",
        name: "Scene",
        icon: "mdi:movie-open-play-outline",
        fields: (!options.is_empty()).then(|| {
            fields(json!({
                "command_topic": device.command_topic(),
                "command_template": START_TEMPLATE,
                "options": options,
                "state_topic": device.state_topic(),
                "value_template": session_value("value_json.session.scene", "None"),
            }))
        }),
    }
}

/// Whether a scene name, put into [`START_TEMPLATE`] as it is, leaves a valid JSON string:
/// Home Assistant substitutes it without escaping.
fn fits_the_template(scene: &str) -> bool {
    !scene.is_empty() && !scene.contains(['"', '\\']) && !scene.chars().any(char::is_control)
}

/// One request line for an op without fields.
fn request(op: &str) -> String {
    json!({ "op": op }).to_string()
}

/// A value template showing `expression` during a session and `otherwise` without one.
fn session_value(expression: &str, otherwise: &str) -> String {
    format!("{{{{ {expression} if value_json.session else {otherwise} }}}}")
}

fn fields(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => unreachable!("entity fields are written as a JSON object"),
    }
}
