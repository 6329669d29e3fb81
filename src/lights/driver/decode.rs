//! Reading device messages without trusting them: every helper returns a [`DecodeError`]
//! naming the topic and what was wrong, never panics, and clamps numbers to what they mean.

use serde_json::{Map, Value};

use super::{DecodeError, DeviceState, Report};

pub(super) fn error(topic: &str, reason: impl Into<String>) -> DecodeError {
    DecodeError {
        topic: topic.to_string(),
        reason: reason.into(),
    }
}

/// The payload as text, trimmed: devices add newlines.
pub(super) fn text<'a>(topic: &str, payload: &'a [u8]) -> Result<&'a str, DecodeError> {
    std::str::from_utf8(payload)
        .map(str::trim)
        .map_err(|cause| error(topic, format!("payload is not UTF-8 ({cause})")))
}

/// The payload as a JSON object.
pub(super) fn object(topic: &str, payload: &[u8]) -> Result<Map<String, Value>, DecodeError> {
    match serde_json::from_slice::<Value>(payload) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(error(
            topic,
            format!("expected a JSON object, got {}", kind(&other)),
        )),
        Err(cause) => Err(error(topic, format!("invalid JSON ({cause})"))),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A numeric field; absent or `null` (Zigbee2MQTT's "unknown") is `None`.
pub(super) fn number(topic: &str, map: &Map<String, Value>, key: &str) -> Result<Option<f64>, DecodeError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|n| n.is_finite())
            .map(Some)
            .ok_or_else(|| error(topic, format!("`{key}` is not a finite number"))),
        Some(other) => Err(error(
            topic,
            format!("`{key}` should be a number, got {}", kind(other)),
        )),
    }
}

/// A boolean field (Shelly's `ison`, `output`).
pub(super) fn boolean(topic: &str, map: &Map<String, Value>, key: &str) -> Result<Option<bool>, DecodeError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(error(
            topic,
            format!("`{key}` should be a boolean, got {}", kind(other)),
        )),
    }
}

/// An `"ON"`/`"OFF"` field (Zigbee2MQTT, Tasmota, Home Assistant), case-insensitive.
pub(super) fn on_off(topic: &str, map: &Map<String, Value>, key: &str) -> Result<Option<bool>, DecodeError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => on_off_word(s)
            .map(Some)
            .ok_or_else(|| error(topic, format!("`{key}` should be ON or OFF, got {:?}", clip(s)))),
        Some(other) => Err(error(
            topic,
            format!("`{key}` should be ON or OFF, got {}", kind(other)),
        )),
    }
}

pub(super) fn on_off_word(word: &str) -> Option<bool> {
    if word.eq_ignore_ascii_case("on") {
        Some(true)
    } else if word.eq_ignore_ascii_case("off") {
        Some(false)
    } else {
        None
    }
}

/// An availability message written as one of two words (`online`/`offline`, Tasmota's
/// `Online`/`Offline`, Shelly's `true`/`false`), compared case-insensitively.
pub(super) fn availability(
    topic: &str,
    payload: &[u8],
    online: &str,
    offline: &str,
) -> Result<Report, DecodeError> {
    let word = text(topic, payload)?;
    if word.eq_ignore_ascii_case(online) {
        Ok(Report::Availability(true))
    } else if word.eq_ignore_ascii_case(offline) {
        Ok(Report::Availability(false))
    } else {
        Err(error(
            topic,
            format!("expected {online} or {offline}, got {:?}", clip(word)),
        ))
    }
}

/// Zigbee2MQTT's availability, which depending on its version and `legacy` setting is either
/// the bare word or `{"state":"online"}`.
pub(super) fn word_or_json_state(topic: &str, payload: &[u8]) -> Result<Report, DecodeError> {
    let word = text(topic, payload)?;
    if !word.starts_with('{') {
        return availability(topic, payload, "online", "offline");
    }
    let map = object(topic, payload)?;
    match map.get("state") {
        Some(Value::String(s)) => availability(topic, s.as_bytes(), "online", "offline"),
        Some(other) => Err(error(
            topic,
            format!("`state` should be online or offline, got {}", kind(other)),
        )),
        None => Err(error(topic, "no `state` in the availability message")),
    }
}

/// A state with nothing in it carries nothing of use.
pub(super) fn state_report(state: DeviceState) -> Option<Report> {
    (state != DeviceState::default()).then_some(Report::State(state))
}

/// A device's text cut short for an error message: a hostile payload must not flood the log.
pub(super) fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}
