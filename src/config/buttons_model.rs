//! The validated buttons: which device, on which topic, and what each of its presses sends.

use std::collections::BTreeMap;

/// How a device reports a press; each speaks its own payload (docs/configuration.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ButtonKind {
    /// A Zigbee remote or wall switch through Zigbee2MQTT: `{"action": "single", ...}` on the
    /// device's topic.
    Zigbee2Mqtt,
    /// A Shelly Gen1 button or input: `{"event": "S", "event_cnt": 3}` on
    /// `shellies/<id>/input_event/<n>`.
    ShellyGen1,
    /// A Shelly Gen2 or later (Plus, Pro): a `NotifyEvent` on `<id>/events/rpc` naming
    /// `input:<input>` and the event (`single_push`).
    ShellyGen2 { input: u32 },
    /// A Tasmota button detached from its relay (`SetOption73 1`):
    /// `{"Button<input>": {"Action": "SINGLE"}}` on `stat/<topic>/RESULT`.
    Tasmota { input: u32 },
}

impl ButtonKind {
    /// The name the config spells it with.
    pub fn name(self) -> &'static str {
        match self {
            ButtonKind::Zigbee2Mqtt => "zigbee2mqtt",
            ButtonKind::ShellyGen1 => "shelly-gen1",
            ButtonKind::ShellyGen2 { .. } => "shelly-gen2",
            ButtonKind::Tasmota { .. } => "tasmota",
        }
    }

    /// Every press the device can report, where the kind fixes them; Zigbee2MQTT's `action`
    /// values differ from model to model, so any is taken there.
    pub fn presses(self) -> Option<&'static [&'static str]> {
        match self {
            ButtonKind::Zigbee2Mqtt => None,
            ButtonKind::ShellyGen1 => Some(&["S", "SS", "SSS", "L", "SL", "LS"]),
            ButtonKind::ShellyGen2 { .. } => Some(&[
                "single_push",
                "double_push",
                "triple_push",
                "long_push",
                "btn_down",
                "btn_up",
            ]),
            ButtonKind::Tasmota { .. } => Some(&["SINGLE", "DOUBLE", "TRIPLE", "QUAD", "PENTA", "HOLD"]),
        }
    }
}

/// The therapist's commands a button may send, as `setting` sends them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ButtonCommand {
    Emergency,
    Check,
    Resume,
    Pause,
}

impl ButtonCommand {
    pub const ALL: [ButtonCommand; 4] = [
        ButtonCommand::Emergency,
        ButtonCommand::Check,
        ButtonCommand::Resume,
        ButtonCommand::Pause,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ButtonCommand::Emergency => "emergency",
            ButtonCommand::Check => "check",
            ButtonCommand::Resume => "resume",
            ButtonCommand::Pause => "pause",
        }
    }
}

/// One physical button.
#[derive(Clone, Debug, PartialEq)]
pub struct ButtonConfig {
    /// A plain name, unique among the buttons: the event log records it as who sent the command.
    pub name: String,
    pub kind: ButtonKind,
    /// The topic the device reports on; no wildcards.
    pub topic: String,
    /// The zone its commands cover; the whole room when `None`.
    pub zone: Option<String>,
    /// What the device reports for a press (`single`, `S`, `long_push`) → the command.
    pub presses: BTreeMap<String, ButtonCommand>,
}
