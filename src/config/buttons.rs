//! The `[[button]]` tables: physical buttons on the clinic's broker mapped to the therapist's
//! commands. Checked when the config is read, so a misspelt press or command stops the daemon
//! (and `settingd --check`) before a session, never during one.

use std::collections::{BTreeMap, HashMap};

use serde_spanned::Spanned;

use super::buttons_model::{ButtonCommand, ButtonConfig, ButtonKind};
use super::raw_buttons::RawButton;
use super::raw_lights::RawMqtt;
use crate::diagnostic::Document;

const KINDS: &str = "`zigbee2mqtt`, `shelly-gen1`, `shelly-gen2` or `tasmota`";

pub fn buttons(
    doc: &mut Document<'_>,
    raw: &[Spanned<RawButton>],
    zones: &[Spanned<String>],
    mqtt: Option<&Spanned<RawMqtt>>,
) -> Option<Vec<ButtonConfig>> {
    let mut ok = true;
    // An `[mqtt]` of the wrong type has had its error; it is not missing as well.
    if let (Some(first), None, false) = (raw.first(), mqtt, doc.was_refused_anywhere("mqtt")) {
        doc.error_at(
            first,
            "`[[button]]` needs an `[mqtt]` broker that the buttons publish to; add one",
        );
        ok = false;
    }
    let mut first_seen: HashMap<&str, usize> = HashMap::new();
    let mut buttons = Vec::new();
    for b in raw {
        let key = b.get_ref().name.get_ref().as_str();
        if let Some(line) = first_seen.get(key) {
            doc.error_at(
                &b.get_ref().name,
                format!("duplicate button `{key}`; first named on line {line}"),
            );
            ok = false;
        } else {
            first_seen.insert(key, doc.line_of(b.get_ref().name.span()));
        }
        match button(doc, b.get_ref(), zones) {
            Some(button) => buttons.push(button),
            None => ok = false,
        }
    }
    ok.then_some(buttons)
}

fn button(doc: &mut Document<'_>, b: &RawButton, zones: &[Spanned<String>]) -> Option<ButtonConfig> {
    let name = doc.plain_name(&b.name, "button name");
    let kind = kind(doc, b);
    let topic = topic(doc, &b.topic);
    let zone = match &b.zone {
        None => Some(None),
        Some(zone) if zones.iter().any(|z| z.get_ref() == zone.get_ref()) => {
            Some(Some(zone.get_ref().clone()))
        }
        Some(zone) => {
            let known: Vec<&str> = zones.iter().map(|z| z.get_ref().as_str()).collect();
            doc.error_at(
                zone,
                format!(
                    "`zone`: the room has no zone `{}`; its zones are {}",
                    zone.get_ref(),
                    known.join(", ")
                ),
            );
            None
        }
    };
    let presses = kind.and_then(|kind| presses(doc, b, kind));
    Some(ButtonConfig {
        name: name?,
        kind: kind?,
        topic: topic?,
        zone: zone?,
        presses: presses?,
    })
}

fn kind(doc: &mut Document<'_>, b: &RawButton) -> Option<ButtonKind> {
    let input = |doc: &mut Document<'_>, default: i64, least: i64| -> Option<u32> {
        let Some(input) = &b.input else {
            return Some(default as u32);
        };
        let value = *input.get_ref();
        if value < least || value > 64 {
            doc.error_at(input, format!("`input` must be from {least} to 64, not {value}"));
            return None;
        }
        Some(value as u32)
    };
    let kind = match b.kind.get_ref().as_str() {
        "zigbee2mqtt" => ButtonKind::Zigbee2Mqtt,
        "shelly-gen1" => ButtonKind::ShellyGen1,
        // Shelly numbers its inputs from 0, Tasmota its buttons from 1, as each shows them.
        "shelly-gen2" => ButtonKind::ShellyGen2 {
            input: input(doc, 0, 0)?,
        },
        "tasmota" => ButtonKind::Tasmota {
            input: input(doc, 1, 1)?,
        },
        other => {
            doc.error_at(
                &b.kind,
                format!("`kind` `{other}` is not a kind of button; expected {KINDS}"),
            );
            return None;
        }
    };
    if let (ButtonKind::Zigbee2Mqtt | ButtonKind::ShellyGen1, Some(input)) = (kind, &b.input) {
        doc.error_at(
            input,
            format!(
                "`input` is for `shelly-gen2` and `tasmota`; a {} button's topic names its device and input",
                kind.name()
            ),
        );
        return None;
    }
    Some(kind)
}

fn topic(doc: &mut Document<'_>, topic: &Spanned<String>) -> Option<String> {
    let text = topic.get_ref();
    let problem = if text.is_empty() {
        Some("must not be empty")
    } else if text.contains(['+', '#']) {
        Some("must name one device's topic, without the wildcards `+` and `#`")
    } else if text.chars().any(char::is_control) {
        Some("contains control characters")
    } else {
        None
    };
    match problem {
        Some(problem) => {
            doc.error_at(topic, format!("`topic` {problem}"));
            None
        }
        None => Some(text.clone()),
    }
}

fn presses(
    doc: &mut Document<'_>,
    b: &RawButton,
    kind: ButtonKind,
) -> Option<BTreeMap<String, ButtonCommand>> {
    let mut ok = true;
    let mut presses = BTreeMap::new();
    if b.press.get_ref().is_empty() {
        doc.error_at(
            &b.press,
            "`press` maps nothing; add at least one press, such as `hold = \"emergency\"`",
        );
        ok = false;
    }
    for (press, command) in b.press.get_ref() {
        let known = kind.presses();
        if let Some(known) = known.filter(|known| !known.contains(&press.as_str())) {
            doc.error_at(
                command,
                format!(
                    "`press.{press}`: a {} button never reports `{press}`; it reports {}",
                    kind.name(),
                    known.join(", ")
                ),
            );
            ok = false;
        } else if press.is_empty() || press.chars().any(char::is_control) {
            doc.error_at(command, "`press`: a press needs a name, such as `single`");
            ok = false;
        }
        match ButtonCommand::ALL.iter().find(|c| c.name() == command.get_ref()) {
            Some(found) => {
                presses.insert(press.clone(), *found);
            }
            None => {
                let names: Vec<&str> = ButtonCommand::ALL.iter().map(|c| c.name()).collect();
                doc.error_at(
                    command,
                    format!(
                        "`press.{press}`: `{}` is not a command a button can send; expected {}",
                        command.get_ref(),
                        names.join(", ")
                    ),
                );
                ok = false;
            }
        }
    }
    ok.then_some(presses)
}
