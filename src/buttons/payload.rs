//! What a button's message says: the presses it reports, read from each kind's own payload.
//! Pure, so every device's real payloads are tested without a broker.

use serde_json::Value;

use crate::config::ButtonKind;

/// A message on a button's topic that is not what its kind publishes.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum PayloadError {
    #[error("it is not JSON ({0})")]
    NotJson(String),
    #[error("it is not a JSON object")]
    NotObject,
    #[error("`{field}` is {found}, not {expected}")]
    Field {
        field: String,
        found: String,
        expected: &'static str,
    },
    #[error("it has no `{0}`")]
    Missing(&'static str),
}

/// The presses a message reports for a button of `kind`, in order; none when it carries no
/// press (a Zigbee2MQTT battery report, the empty `action` some versions publish after each
/// press, a Shelly status, another input's or another command's result).
pub fn presses(kind: ButtonKind, payload: &[u8]) -> Result<Vec<String>, PayloadError> {
    let value: Value = serde_json::from_slice(payload).map_err(|e| PayloadError::NotJson(e.to_string()))?;
    let object = value.as_object().ok_or(PayloadError::NotObject)?;
    match kind {
        ButtonKind::Zigbee2Mqtt => Ok(object
            .get("action")
            .map(|action| text(action, "action"))
            .transpose()?
            .into_iter()
            .flatten()
            .collect()),
        ButtonKind::ShellyGen1 => {
            let event = object.get("event").ok_or(PayloadError::Missing("event"))?;
            Ok(text(event, "event")?.into_iter().collect())
        }
        ButtonKind::ShellyGen2 { input } => shelly_gen2(object, input),
        ButtonKind::Tasmota { input } => {
            let key = format!("Button{input}");
            let Some(button) = object.get(&key) else {
                return Ok(Vec::new());
            };
            let action = button
                .as_object()
                .ok_or_else(|| wrong(&key, button, "an object with an `Action`"))?
                .get("Action")
                .ok_or(PayloadError::Missing("Action"))?;
            Ok(text(action, "Action")?.into_iter().collect())
        }
    }
}

/// A Gen2 device's notification: `NotifyEvent` carries `params.events`, each naming its
/// component (`input:0`) and the event (`single_push`); statuses carry no press.
fn shelly_gen2(object: &serde_json::Map<String, Value>, input: u32) -> Result<Vec<String>, PayloadError> {
    let method = object.get("method").ok_or(PayloadError::Missing("method"))?;
    if method.as_str() != Some("NotifyEvent") {
        return Ok(Vec::new());
    }
    let events = object
        .get("params")
        .and_then(|p| p.get("events"))
        .ok_or(PayloadError::Missing("params.events"))?;
    let events = events
        .as_array()
        .ok_or_else(|| wrong("params.events", events, "a list"))?;
    let component = format!("input:{input}");
    let mut presses = Vec::new();
    for event in events {
        if event.get("component").and_then(Value::as_str) != Some(component.as_str()) {
            continue;
        }
        let name = event.get("event").ok_or(PayloadError::Missing("event"))?;
        presses.extend(text(name, "event")?);
    }
    Ok(presses)
}

/// A string field; empty means no press.
fn text(value: &Value, field: &str) -> Result<Option<String>, PayloadError> {
    match value {
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        // Zigbee2MQTT clears `action` with `null` in some versions.
        Value::Null => Ok(None),
        other => Err(wrong(field, other, "a string")),
    }
}

fn wrong(field: &str, found: &Value, expected: &'static str) -> PayloadError {
    let mut found = found.to_string();
    if found.len() > 40 {
        found.truncate(37);
        found.push_str("...");
    }
    PayloadError::Field {
        field: field.to_string(),
        found,
        expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const Z2M: ButtonKind = ButtonKind::Zigbee2Mqtt;

    fn of(kind: ButtonKind, payload: &str) -> Result<Vec<String>, PayloadError> {
        presses(kind, payload.as_bytes())
    }

    #[test]
    fn zigbee2mqtt_reports_its_action_beside_the_device_state() {
        // Aqara WXKG11LM, IKEA E1743, Philips Hue dimmer (324131092621), as Zigbee2MQTT
        // publishes them.
        for (payload, press) in [
            (
                r#"{"action":"hold","battery":100,"linkquality":120,"voltage":3025}"#,
                "hold",
            ),
            (r#"{"action":"single","battery":91,"linkquality":87}"#, "single"),
            (r#"{"action":"on","battery":74,"linkquality":63}"#, "on"),
            (
                r#"{"action":"brightness_move_up","battery":74,"linkquality":63}"#,
                "brightness_move_up",
            ),
            (
                r#"{"action":"on_press_release","battery":100,"linkquality":102}"#,
                "on_press_release",
            ),
        ] {
            assert_eq!(of(Z2M, payload), Ok(vec![press.to_string()]), "{payload}");
        }
    }

    #[test]
    fn a_zigbee2mqtt_message_without_a_press_reports_none() {
        for payload in [
            r#"{"battery":100,"linkquality":120}"#,
            r#"{"action":"","battery":100}"#,
            r#"{"action":null}"#,
        ] {
            assert_eq!(of(Z2M, payload), Ok(vec![]), "{payload}");
        }
    }

    #[test]
    fn malformed_messages_say_what_is_wrong() {
        assert!(matches!(of(Z2M, "hold"), Err(PayloadError::NotJson(_))));
        assert_eq!(of(Z2M, "[1]"), Err(PayloadError::NotObject));
        let Err(error) = of(Z2M, r#"{"action":7}"#) else {
            panic!("a number is not an action");
        };
        assert_eq!(error.to_string(), "`action` is 7, not a string");
        assert_eq!(
            of(ButtonKind::ShellyGen1, r#"{"event_cnt":3}"#),
            Err(PayloadError::Missing("event"))
        );
    }

    #[test]
    fn shelly_gen1_reports_its_event_letters() {
        let kind = ButtonKind::ShellyGen1;
        assert_eq!(of(kind, r#"{"event":"L","event_cnt":12}"#), Ok(vec!["L".into()]));
        assert_eq!(
            of(kind, r#"{"event":"SS","event_cnt":13}"#),
            Ok(vec!["SS".into()])
        );
        // What a device publishes at boot, before any press.
        assert_eq!(of(kind, r#"{"event":"","event_cnt":0}"#), Ok(vec![]));
    }

    #[test]
    fn shelly_gen2_reports_the_events_of_its_own_input() {
        let kind = ButtonKind::ShellyGen2 { input: 1 };
        let event = r#"{"src":"shellyplusi4-a8032ab1b2c3","dst":"shellyplusi4-a8032ab1b2c3/events","method":"NotifyEvent","params":{"ts":1733550000.12,"events":[{"component":"input:1","id":1,"event":"long_push","ts":1733550000.12}]}}"#;
        assert_eq!(of(kind, event), Ok(vec!["long_push".into()]));
        // Another input's press, and a status, are not this button's.
        assert_eq!(of(ButtonKind::ShellyGen2 { input: 0 }, event), Ok(vec![]));
        let status = r#"{"src":"shellyplusi4-a8032ab1b2c3","dst":"shellyplusi4-a8032ab1b2c3/events","method":"NotifyStatus","params":{"ts":1733550000.2,"input:1":{"id":1,"state":false}}}"#;
        assert_eq!(of(kind, status), Ok(vec![]));
    }

    #[test]
    fn tasmota_reports_its_own_buttons_action() {
        let kind = ButtonKind::Tasmota { input: 2 };
        assert_eq!(
            of(kind, r#"{"Button2":{"Action":"DOUBLE"}}"#),
            Ok(vec!["DOUBLE".into()])
        );
        assert_eq!(of(kind, r#"{"Button1":{"Action":"SINGLE"}}"#), Ok(vec![]));
        // Another command's result on the same topic.
        assert_eq!(of(kind, r#"{"POWER1":"ON"}"#), Ok(vec![]));
        assert!(matches!(
            of(kind, r#"{"Button2":"SINGLE"}"#),
            Err(PayloadError::Field { .. })
        ));
    }
}
