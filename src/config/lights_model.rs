//! The validated description of a room's lights (`[[lights]]` and `[[lights.network]]`), as
//! the config file gives it: what every driver, the traffic planner and the MQTT task read.

use std::time::Duration;

use super::broker_model::BrokerConfig;

/// The device families a light can belong to; each has its own driver and payloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// A Zigbee2MQTT device or group (`zigbee2mqtt/<name>/set`).
    Zigbee2Mqtt,
    /// Tasmota firmware (`cmnd/<topic>/Backlog`).
    Tasmota,
    /// Shelly first generation (`shellies/<id>/light/0/set`).
    ShellyGen1,
    /// Shelly second generation, JSON-RPC over MQTT (`<prefix>/rpc`).
    ShellyGen2,
    /// WLED (`wled/<name>/api`).
    Wled,
    /// Home Assistant's MQTT JSON schema, which ESPHome also speaks.
    HomeAssistant,
}

impl Family {
    /// The name written in the config file.
    pub fn name(self) -> &'static str {
        match self {
            Family::Zigbee2Mqtt => "zigbee2mqtt",
            Family::Tasmota => "tasmota",
            Family::ShellyGen1 => "shelly-gen1",
            Family::ShellyGen2 => "shelly-gen2",
            Family::Wled => "wled",
            Family::HomeAssistant => "home-assistant",
        }
    }

    pub const ALL: [Family; 6] = [
        Family::Zigbee2Mqtt,
        Family::Tasmota,
        Family::ShellyGen1,
        Family::ShellyGen2,
        Family::Wled,
        Family::HomeAssistant,
    ];
}

/// How perceived brightness (what scenes speak) maps to the level a light is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Curve {
    /// CIE 1976 lightness: the usual choice for fixtures that take a raw level.
    #[default]
    Cie,
    /// For fixtures whose firmware already corrects for perception: applying a curve twice
    /// would crush the low end.
    Linear,
}

/// One fixture (or one Zigbee2MQTT group) of the room.
#[derive(Clone, Debug, PartialEq)]
pub struct LightConfig {
    /// Unique within the room; what technicians and `status` call it.
    pub name: String,
    /// The zone it belongs to.
    pub zone: String,
    pub family: Family,
    /// The family's device name or topic: the Zigbee2MQTT friendly name, the Tasmota topic,
    /// the Shelly id or prefix, the WLED name, or the Home Assistant command topic's base.
    pub topic: String,
    /// A Zigbee2MQTT group rather than a single device: commands are broadcasts, and there is
    /// no availability of its own.
    pub group: bool,
    /// The colour-temperature range in Kelvin, `None` for a fixture without one.
    pub kelvin: Option<(u16, u16)>,
    /// The longest transition the device carries out itself in one command.
    pub max_transition: Duration,
    /// The lowest usable level as a fraction of the device's range (0.0-1.0), calibrated with
    /// `setting lights calibrate`: anything dimmer but not off is sent as this.
    pub min_level: f32,
    pub curve: Curve,
    /// The network budget it draws on (`[[lights.network]]`).
    pub network: String,
    /// Brightness and colour temperature must go in separate commands (some bulbs cannot fade
    /// both at once).
    pub separate_kelvin: bool,
}

/// A command budget shared by the lights on one network (one Zigbee coordinator, one Wi-Fi).
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkConfig {
    pub name: String,
    /// Sustained commands per second.
    pub per_second: f32,
    /// How many may go at once after a quiet spell.
    pub burst: u32,
}

/// Everything about the room's lights. With no lights the daemon only logs what it would set;
/// with lights and no broker it runs a private demo broker and simulated lights.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LightsConfig {
    pub broker: Option<BrokerConfig>,
    pub lights: Vec<LightConfig>,
    pub networks: Vec<NetworkConfig>,
}

impl LightsConfig {
    /// Lights and no `[mqtt]`: the daemon drives simulated stand-ins, not the room's lights.
    pub fn simulated(&self) -> bool {
        self.broker.is_none() && !self.lights.is_empty()
    }

    /// What `validate` and `settingd --check` say of a room whose lights will be simulated.
    pub fn simulated_note(&self) -> Option<String> {
        self.simulated().then(|| {
            format!(
                "note: no [mqtt] in the config: its {} lights will be SIMULATED on a private demo broker, \
                 not driven; add [mqtt] to drive the room's real lights",
                self.lights.len()
            )
        })
    }
}
