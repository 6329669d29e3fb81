//! The technicians' light requests checked into orders, and their replies: shared so that
//! `setting` refuses a bad value before sending it and `settingd` refuses it all the same.

use serde::{Deserialize, Serialize};

use crate::scene::Look;
use crate::time::{Millis, format_duration, parse_duration};

/// The colour temperatures a look may ask for; the scenes accept the same range.
pub const KELVIN_RANGE: std::ops::RangeInclusive<u16> = 1000..=10_000;

/// `lights_set` with its values checked.
#[derive(Clone, Debug, PartialEq)]
pub struct LightOrder {
    pub target: String,
    pub look: Look,
    pub fade: Millis,
}

impl LightOrder {
    /// `Err` names the field and what it should be.
    pub fn new(target: &str, brightness: f32, kelvin: u16, fade: Option<&str>) -> Result<LightOrder, String> {
        let target = target.trim();
        if target.is_empty() {
            return Err("field `target`: name a zone or a light".into());
        }
        if !(brightness.is_finite() && (0.0..=100.0).contains(&brightness)) {
            return Err(format!(
                "field `brightness`: {brightness} is not a perceived brightness between 0 and 100 %"
            ));
        }
        if !KELVIN_RANGE.contains(&kelvin) {
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
            look: Look { brightness, kelvin },
            fade,
        })
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
        let order = LightOrder::new("room", 40.0, 2700, Some("30s")).unwrap();
        assert_eq!(order.look.brightness, 40.0);
        assert_eq!(order.fade, Millis::from_secs(30));
        assert_eq!(
            LightOrder::new("mat-1", 0.0, 2200, None).unwrap().fade,
            Millis::ZERO
        );
        for (target, brightness, kelvin, fade, field) in [
            ("", 40.0, 2700, None, "target"),
            ("room", 140.0, 2700, None, "brightness"),
            ("room", -1.0, 2700, None, "brightness"),
            ("room", f32::NAN, 2700, None, "brightness"),
            ("room", 40.0, 200, None, "kelvin"),
            ("room", 40.0, 2700, Some("soon"), "fade"),
        ] {
            let err = LightOrder::new(target, brightness, kelvin, fade).unwrap_err();
            assert!(err.contains(&format!("`{field}`")), "{err}");
        }
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
                kelvin: 2700,
                fade: None
            }
        );
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
