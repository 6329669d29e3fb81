//! [`LoggingLights`]: a light output that only says, through tracing, what it would set.
//! It stands in until the MQTT adapter exists and lets a rehearsal run without fixtures.

use std::collections::BTreeMap;

use crate::scene::Look;
use crate::time::{Millis, format_duration};

use super::LightOutput;

#[derive(Debug, Default)]
pub struct LoggingLights {
    zones: BTreeMap<String, Look>,
}

impl LoggingLights {
    pub fn new() -> LoggingLights {
        LoggingLights::default()
    }

    /// The last look set per zone, so tests of the adapter can see what it was told.
    pub fn zones(&self) -> &BTreeMap<String, Look> {
        &self.zones
    }
}

impl LightOutput for LoggingLights {
    fn set(&mut self, zone: &str, look: Look, fade: Millis, urgent: bool) {
        tracing::info!(
            zone,
            brightness = look.brightness,
            kelvin = look.kelvin,
            fade = %format_duration(fade),
            urgent,
            "lights: set look"
        );
        self.zones.insert(zone.to_string(), look);
    }

    fn describe(&self) -> String {
        "logging (no fixtures; prints what it would set)".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_the_last_look_per_zone() {
        let mut lights = LoggingLights::new();
        let dim = Look {
            brightness: 10.0,
            kelvin: 2200,
        };
        let full = Look {
            brightness: 100.0,
            kelvin: 4000,
        };
        lights.set("room", dim, Millis::from_secs(30), false);
        lights.set("mat-1", dim, Millis::ZERO, true);
        lights.set("room", full, Millis(500), false);
        assert_eq!(lights.zones().get("room"), Some(&full));
        assert_eq!(lights.zones().get("mat-1"), Some(&dim));
    }
}
