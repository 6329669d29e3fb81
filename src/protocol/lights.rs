//! The technicians' light requests checked into orders, and their replies: shared so that
//! `setting` refuses a bad value before sending it and `settingd` refuses it all the same.

use serde::{Deserialize, Serialize};

use crate::scene::Look;
use crate::time::{Millis, format_duration, parse_duration};

use super::LightsReport;

/// The colour temperatures a look may ask for; the scenes accept the same range.
pub const KELVIN_RANGE: std::ops::RangeInclusive<u16> = 1000..=10_000;

/// What a light given no colour temperature is sent when neither the daemon nor the light
/// has said what it has: the warm white the test pattern and the shipped scenes begin with.
pub const KELVIN_WHEN_UNKNOWN: u16 = 2700;

/// `lights_set` with its values checked.
#[derive(Clone, Debug, PartialEq)]
pub struct LightOrder {
    pub target: String,
    pub brightness: f32,
    /// `None` keeps each light's colour temperature (see [`LightOrder::looks`]).
    pub kelvin: Option<u16>,
    pub fade: Millis,
}

impl LightOrder {
    /// `Err` names the field and what it should be.
    pub fn new(
        target: &str,
        brightness: f32,
        kelvin: Option<u16>,
        fade: Option<&str>,
    ) -> Result<LightOrder, String> {
        let target = target.trim();
        if target.is_empty() {
            return Err("field `target`: name a zone or a light".into());
        }
        if !(brightness.is_finite() && (0.0..=100.0).contains(&brightness)) {
            return Err(format!(
                "field `brightness`: {brightness} is not a perceived brightness between 0 and 100 %"
            ));
        }
        if let Some(kelvin) = kelvin
            && !KELVIN_RANGE.contains(&kelvin)
        {
            return Err(format!(
                "field `kelvin`: {kelvin} K is outside {}-{} K",
                KELVIN_RANGE.start(),
                KELVIN_RANGE.end()
            ));
        }
        let fade = match fade {
            None => Millis::ZERO,
            Some(text) => parse_duration(text).map_err(|e| format!("field `fade`: {e}"))?,
        };
        Ok(LightOrder {
            target: target.to_string(),
            brightness,
            kelvin,
            fade,
        })
    }

    /// What to send, as (zone or light, look). With a colour temperature, the target as
    /// named. Without one, each light keeps its own: the one it is heading for, else the one
    /// it last reported, else [`KELVIN_WHEN_UNKNOWN`]; the target goes whole when its lights
    /// agree, else light by light. A target the report does not know goes as named, for the
    /// adapter to refuse.
    pub fn looks(&self, report: &LightsReport) -> Vec<(String, Look)> {
        let look = |kelvin| Look {
            brightness: self.brightness,
            kelvin,
        };
        if let Some(kelvin) = self.kelvin {
            return vec![(self.target.clone(), look(kelvin))];
        }
        let members: Vec<(String, u16)> = report
            .lights
            .iter()
            .filter(|l| l.name == self.target || l.zone == self.target)
            .map(|l| {
                let kept = l.desired.map(|d| d.kelvin).or(l.reported_kelvin);
                (l.name.clone(), kept.unwrap_or(KELVIN_WHEN_UNKNOWN))
            })
            .collect();
        match members.first() {
            None => vec![(self.target.clone(), look(KELVIN_WHEN_UNKNOWN))],
            Some((_, first)) if members.iter().all(|(_, k)| k == first) => {
                vec![(self.target.clone(), look(*first))]
            }
            Some(_) => members.into_iter().map(|(name, k)| (name, look(k))).collect(),
        }
    }
}

/// A raw calibration level: a fraction of the device's range, 0 to 1.
pub fn check_raw_level(level: f32) -> Result<f32, String> {
    if level.is_finite() && (0.0..=1.0).contains(&level) {
        Ok(level)
    } else {
        Err(format!(
            "field `level`: {level} is not a fraction between 0 and 1"
        ))
    }
}

/// One step of the test pattern: where to go and how long to take getting there.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestStep {
    pub look: Look,
    pub fade: Millis,
}

/// The gentle pattern `lights test` runs: warm and dim, a little brighter and cooler, then off,
/// each over a few seconds, so nothing in the room jumps or flashes.
pub fn test_pattern() -> [TestStep; 3] {
    let step = |brightness, kelvin, secs| TestStep {
        look: Look { brightness, kelvin },
        fade: Millis::from_secs(secs),
    };
    [step(30.0, 2700, 3), step(60.0, 4000, 3), step(0.0, 2700, 3)]
}

/// The reply to `lights_test`: what will run on which zones or lights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LightsTestReply {
    pub targets: Vec<String>,
    pub steps: Vec<TestStep>,
}

impl LightsTestReply {
    /// How long the whole pattern takes.
    pub fn takes(&self) -> String {
        format_duration(self.steps.iter().map(|s| s.fade).fold(Millis::ZERO, |a, b| a + b))
    }
}

/// The reply to `lights_calibrate`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LightsCalibrateReply {
    pub light: String,
    pub level: f32,
}

/// When one light's command from a `lights_set` goes out.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "goes", rename_all = "snake_case")]
pub enum Pace {
    /// Sent as the order came.
    AtOnce,
    /// Held by the network's command budget for this long; a newer order for the light before
    /// then replaces it.
    Waits { ms: u64 },
    /// Not connected to the broker: it goes when the connection is back.
    NotConnected,
    /// Kept back: an emergency sent around the daemon holds the light's zone.
    Held,
    /// The adapter did not say in time (it is busy or has stopped).
    Unknown,
}

/// One light of a `lights_set`: when its command goes, and whether it replaced a step of an
/// earlier order that was still waiting for the budget (which is then never sent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LightPace {
    pub light: String,
    #[serde(flatten)]
    pub pace: Pace,
    pub replaced_waiting: bool,
}

impl LightPace {
    /// `goes at once`, `waits 1.8 s for the network's budget`, with what it replaced.
    pub fn describe(&self) -> String {
        let when = match self.pace {
            Pace::AtOnce => "goes at once".to_string(),
            Pace::Waits { ms } => format!("waits {} for the network's budget", format_duration(Millis(ms))),
            Pace::NotConnected => "waits for the broker (not connected)".to_string(),
            Pace::Held => "kept back: an emergency sent around the daemon holds its zone".to_string(),
            Pace::Unknown => "sent to the lights task (no word on when it goes)".to_string(),
        };
        if self.replaced_waiting {
            format!("{when}; it replaces an earlier step still waiting, which is not sent")
        } else {
            when
        }
    }
}

/// The reply to `lights_set`: each light's pace, and the lights as the adapter knows them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LightsSetReply {
    pub paces: Vec<LightPace>,
    #[serde(flatten)]
    pub report: super::LightsReport,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_check_every_field() {
        let order = LightOrder::new("room", 40.0, Some(2700), Some("30s")).unwrap();
        assert_eq!(order.brightness, 40.0);
        assert_eq!(order.fade, Millis::from_secs(30));
        assert_eq!(
            LightOrder::new("mat-1", 0.0, Some(2200), None).unwrap().fade,
            Millis::ZERO
        );
        assert_eq!(LightOrder::new("mat-1", 0.0, None, None).unwrap().kelvin, None);
        for (target, brightness, kelvin, fade, field) in [
            ("", 40.0, 2700, None, "target"),
            ("room", 140.0, 2700, None, "brightness"),
            ("room", -1.0, 2700, None, "brightness"),
            ("room", f32::NAN, 2700, None, "brightness"),
            ("room", 40.0, 200, None, "kelvin"),
            ("room", 40.0, 2700, Some("soon"), "fade"),
        ] {
            let err = LightOrder::new(target, brightness, Some(kelvin), fade).unwrap_err();
            assert!(err.contains(&format!("`{field}`")), "{err}");
        }
    }

    #[test]
    fn without_a_colour_temperature_each_light_keeps_its_own() {
        use crate::protocol::LightStatus;
        let light = |name: &str, zone: &str, desired: Option<u16>, reported: Option<u16>| LightStatus {
            name: name.into(),
            zone: zone.into(),
            family: "zigbee2mqtt".into(),
            topic: name.into(),
            available: Some(true),
            desired: desired.map(|kelvin| Look {
                brightness: 30.0,
                kelvin,
            }),
            estimated: None,
            reported_level: None,
            reported_kelvin: reported,
            reported_on: None,
            commands: 0,
        };
        let report = LightsReport {
            lights: vec![
                light("ceiling-1", "room", Some(3000), Some(2900)),
                light("ceiling-2", "room", None, Some(3000)),
                light("lamp-1", "mat-1", None, None),
                light("lamp-2", "mat-2", Some(2200), None),
            ],
            ..LightsReport::default()
        };
        let order =
            |target: &str, brightness, kelvin| LightOrder::new(target, brightness, kelvin, None).unwrap();
        let at = |brightness, kelvin| Look { brightness, kelvin };
        // The zone's lights agree (heading for 3000 K, and reporting 3000 K): one order.
        assert_eq!(
            order("room", 40.0, None).looks(&report),
            [("room".into(), at(40.0, 3000))]
        );
        assert_eq!(
            order("lamp-2", 0.0, None).looks(&report),
            [("lamp-2".into(), at(0.0, 2200))]
        );
        assert_eq!(
            order("lamp-1", 20.0, None).looks(&report),
            [("lamp-1".into(), at(20.0, KELVIN_WHEN_UNKNOWN))]
        );
        // A colour temperature given is sent as given.
        assert_eq!(
            order("room", 40.0, Some(4000)).looks(&report),
            [("room".into(), at(40.0, 4000))]
        );
        // Lights that disagree go one by one, each with its own.
        let mut report = report;
        report.lights[1].reported_kelvin = Some(2400);
        assert_eq!(
            order("room", 40.0, None).looks(&report),
            [
                ("ceiling-1".into(), at(40.0, 3000)),
                ("ceiling-2".into(), at(40.0, 2400))
            ]
        );
        assert_eq!(
            order("nowhere", 40.0, None).looks(&report),
            [("nowhere".into(), at(40.0, KELVIN_WHEN_UNKNOWN))]
        );
    }

    #[test]
    fn lights_requests_decode_and_refuse_unknown_fields() {
        use crate::protocol::{Op, decode_request};
        let set =
            decode_request(br#"{"op":"lights_set","target":"room","brightness":40,"kelvin":2700}"#).unwrap();
        assert_eq!(
            set.op,
            Op::LightsSet {
                target: "room".into(),
                brightness: 40.0,
                kelvin: Some(2700),
                fade: None
            }
        );
        let off = decode_request(br#"{"op":"lights_set","target":"room","brightness":0}"#).unwrap();
        assert!(matches!(off.op, Op::LightsSet { kelvin: None, .. }), "{off:?}");
        let test = decode_request(br#"{"op":"lights_test"}"#).unwrap();
        assert_eq!(test.op, Op::LightsTest { target: None });
        assert!(decode_request(br#"{"op":"lights_test","zone":"room"}"#).is_err());
        assert!(
            decode_request(br#"{"op":"lights_set","target":"room","brightness":40,"kelvin":-5}"#).is_err()
        );
        assert!(decode_request(br#"{"op":"lights_calibrate","light":"a"}"#).is_err());
    }

    #[test]
    fn raw_levels_are_fractions() {
        assert_eq!(check_raw_level(0.05), Ok(0.05));
        assert!(check_raw_level(1.5).is_err());
        assert!(check_raw_level(f32::INFINITY).is_err());
    }

    #[test]
    fn the_test_pattern_fades_and_ends_off() {
        let steps = test_pattern();
        assert!(steps.iter().all(|s| s.fade > Millis::ZERO), "no step jumps");
        assert_eq!(steps.last().unwrap().look.brightness, 0.0);
        let reply = LightsTestReply {
            targets: vec!["room".into()],
            steps: steps.to_vec(),
        };
        assert_eq!(reply.takes(), "9s");
    }
}
