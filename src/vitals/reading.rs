//! What a reading may hold: a blood pressure, a pulse, an SpO2 and a short remark, each
//! checked against the range a body can show, so that a typo (`300/20`, a pulse of 500) is
//! refused with the valid ranges rather than written into a clinical record.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A note is a few sentences typed during a session, not a document.
pub const MAX_NOTE_CHARS: usize = 2000;
/// The remark that goes with a reading (`--text "after standing up"`).
pub const MAX_VITALS_TEXT_CHARS: usize = 500;

/// The values a measure can take, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidRange {
    pub min: u16,
    pub max: u16,
}

impl ValidRange {
    pub fn contains(self, value: i64) -> bool {
        (i64::from(self.min)..=i64::from(self.max)).contains(&value)
    }
}

pub const SYSTOLIC: ValidRange = ValidRange { min: 50, max: 260 };
pub const DIASTOLIC: ValidRange = ValidRange { min: 30, max: 160 };
pub const PULSE: ValidRange = ValidRange { min: 20, max: 250 };
pub const SPO2: ValidRange = ValidRange { min: 50, max: 100 };

/// One of the numbers a reading holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Measure {
    Systolic,
    Diastolic,
    Pulse,
    Spo2,
}

impl Measure {
    pub const ALL: [Measure; 4] = [
        Measure::Systolic,
        Measure::Diastolic,
        Measure::Pulse,
        Measure::Spo2,
    ];

    pub fn unit(self) -> &'static str {
        match self {
            Measure::Systolic | Measure::Diastolic => "mmHg",
            Measure::Pulse => "bpm",
            Measure::Spo2 => "%",
        }
    }

    pub fn range(self) -> ValidRange {
        match self {
            Measure::Systolic => SYSTOLIC,
            Measure::Diastolic => DIASTOLIC,
            Measure::Pulse => PULSE,
            Measure::Spo2 => SPO2,
        }
    }
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Measure::Systolic => "systolic",
            Measure::Diastolic => "diastolic",
            Measure::Pulse => "pulse",
            Measure::Spo2 => "SpO2",
        })
    }
}

/// `systolic 50-260 mmHg, diastolic 30-160 mmHg and below systolic, pulse 20-250 bpm, SpO2
/// 50-100 %`: what every refusal of a measurement ends with.
pub fn valid_ranges() -> String {
    let range = |m: Measure| format!("{m} {}-{} {}", m.range().min, m.range().max, m.unit());
    format!(
        "{}, {} and below systolic, {}, {}",
        range(Measure::Systolic),
        range(Measure::Diastolic),
        range(Measure::Pulse),
        range(Measure::Spo2)
    )
}

/// A reading as a request carries it: the numbers as sent, not yet checked.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RawReading {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub systolic: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diastolic: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pulse: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spo2: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// A checked reading: every value present is within its range, a blood pressure has both
/// numbers with the diastolic below the systolic, and at least one value is present.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub systolic: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diastolic: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pulse: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spo2: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl Reading {
    pub fn value(&self, measure: Measure) -> Option<u16> {
        match measure {
            Measure::Systolic => self.systolic,
            Measure::Diastolic => self.diastolic,
            Measure::Pulse => self.pulse,
            Measure::Spo2 => self.spo2,
        }
    }

    /// `BP 128/82 mmHg, pulse 72 bpm, SpO2 98 %`, the values present only.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if let (Some(s), Some(d)) = (self.systolic, self.diastolic) {
            parts.push(format!("BP {s}/{d} mmHg"));
        }
        if let Some(p) = self.pulse {
            parts.push(format!("pulse {p} bpm"));
        }
        if let Some(o) = self.spo2 {
            parts.push(format!("SpO2 {o} %"));
        }
        parts.join(", ")
    }
}

/// One thing wrong with an entry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VitalsProblem {
    #[error("{measure} {value} {} is outside {}-{} {}", measure.unit(), measure.range().min, measure.range().max, measure.unit())]
    OutOfRange { measure: Measure, value: i64 },
    #[error("diastolic {diastolic} mmHg is not below systolic {systolic} mmHg")]
    DiastolicNotBelow { systolic: i64, diastolic: i64 },
    #[error("a blood pressure needs both numbers, SYSTOLIC/DIASTOLIC (such as 128/82)")]
    HalfPressure,
    #[error(
        "nothing was measured: give a blood pressure (128/82), a pulse (72) or an SpO2 (--spo2 98); \
         a remark alone is `setting note`"
    )]
    Nothing,
    #[error("`{0}` is not a blood pressure; expected SYSTOLIC/DIASTOLIC in mmHg, such as 128/82")]
    BadPressure(String),
    #[error("`{0}` is not a pulse; expected whole beats per minute, such as 72")]
    BadPulse(String),
    #[error("`{0}` is one value too many: a reading has one blood pressure and one pulse")]
    Extra(String),
    #[error("the {what} is empty")]
    EmptyText { what: &'static str },
    #[error("the {what} is {chars} characters long; at most {max}")]
    LongText {
        what: &'static str,
        chars: usize,
        max: usize,
    },
    #[error("the {what} holds a control character (a line break, a tab); write it as one line")]
    ControlInText { what: &'static str },
}

impl VitalsProblem {
    fn about_a_measurement(&self) -> bool {
        !matches!(
            self,
            VitalsProblem::EmptyText { .. }
                | VitalsProblem::LongText { .. }
                | VitalsProblem::ControlInText { .. }
        )
    }
}

/// Every problem with an entry at once; a refusal of a measurement ends with the valid ranges.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Problems(pub Vec<VitalsProblem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let said: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        write!(f, "{}; nothing was recorded", said.join("; "))?;
        if self.0.iter().any(VitalsProblem::about_a_measurement) {
            write!(f, " (valid: {})", valid_ranges())?;
        }
        Ok(())
    }
}

impl From<VitalsProblem> for Problems {
    fn from(problem: VitalsProblem) -> Problems {
        Problems(vec![problem])
    }
}

impl RawReading {
    /// The reading, or every problem with it.
    pub fn check(&self) -> Result<Reading, Problems> {
        let mut problems = Vec::new();
        let mut in_range = |measure: Measure, value: Option<i64>| -> Option<u16> {
            let value = value?;
            if measure.range().contains(value) {
                u16::try_from(value).ok()
            } else {
                problems.push(VitalsProblem::OutOfRange { measure, value });
                None
            }
        };
        let systolic = in_range(Measure::Systolic, self.systolic);
        let diastolic = in_range(Measure::Diastolic, self.diastolic);
        let pulse = in_range(Measure::Pulse, self.pulse);
        let spo2 = in_range(Measure::Spo2, self.spo2);
        if self.systolic.is_some() != self.diastolic.is_some() {
            problems.push(VitalsProblem::HalfPressure);
        }
        if let (Some(s), Some(d)) = (systolic, diastolic)
            && d >= s
        {
            problems.push(VitalsProblem::DiastolicNotBelow {
                systolic: s.into(),
                diastolic: d.into(),
            });
        }
        let measured = [self.systolic, self.diastolic, self.pulse, self.spo2]
            .iter()
            .any(Option::is_some);
        if !measured {
            problems.push(VitalsProblem::Nothing);
        }
        let text = match &self.text {
            Some(text) => match check_text(text, "remark", MAX_VITALS_TEXT_CHARS) {
                Ok(text) => Some(text),
                Err(problem) => {
                    problems.push(problem);
                    None
                }
            },
            None => None,
        };
        if !problems.is_empty() {
            return Err(Problems(problems));
        }
        Ok(Reading {
            systolic,
            diastolic,
            pulse,
            spo2,
            text,
        })
    }
}

/// A note's text, trimmed, or why it cannot be one.
pub fn check_note(text: &str) -> Result<String, Problems> {
    check_text(text, "note", MAX_NOTE_CHARS).map_err(Problems::from)
}

fn check_text(text: &str, what: &'static str, max: usize) -> Result<String, VitalsProblem> {
    let text = text.trim();
    if text.is_empty() {
        return Err(VitalsProblem::EmptyText { what });
    }
    if text.chars().any(char::is_control) {
        return Err(VitalsProblem::ControlInText { what });
    }
    let chars = text.chars().count();
    if chars > max {
        return Err(VitalsProblem::LongText { what, chars, max });
    }
    Ok(text.to_string())
}

/// The measurements as typed on the command line: at most one blood pressure (`128/82`) and
/// one pulse (`72`), in either order. Only their form is checked here; the ranges are
/// [`RawReading::check`]'s.
pub fn parse_measurements(words: &[String]) -> Result<RawReading, Problems> {
    let mut raw = RawReading::default();
    let mut problems = Vec::new();
    for word in words {
        let word = word.trim();
        if let Some((s, d)) = word.split_once('/') {
            match (whole(s), whole(d)) {
                _ if raw.systolic.is_some() => problems.push(VitalsProblem::Extra(word.into())),
                (Some(s), Some(d)) => (raw.systolic, raw.diastolic) = (Some(s), Some(d)),
                _ => problems.push(VitalsProblem::BadPressure(word.into())),
            }
        } else {
            match whole(word) {
                _ if raw.pulse.is_some() => problems.push(VitalsProblem::Extra(word.into())),
                Some(p) => raw.pulse = Some(p),
                None => problems.push(VitalsProblem::BadPulse(word.into())),
            }
        }
    }
    if problems.is_empty() {
        Ok(raw)
    } else {
        Err(Problems(problems))
    }
}

/// A whole number, sign allowed (so that `-5` is refused by its range, not its form).
fn whole(text: &str) -> Option<i64> {
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn a_usual_reading_is_taken_whole() {
        let mut raw = parse_measurements(&words("128/82 72")).unwrap();
        raw.spo2 = Some(98);
        raw.text = Some("  after standing up ".into());
        let reading = raw.check().unwrap();
        assert_eq!(
            reading,
            Reading {
                systolic: Some(128),
                diastolic: Some(82),
                pulse: Some(72),
                spo2: Some(98),
                text: Some("after standing up".into()),
            }
        );
        assert_eq!(reading.summary(), "BP 128/82 mmHg, pulse 72 bpm, SpO2 98 %");
        // Either order; a pulse alone, or an SpO2 alone, is a reading too.
        let turned = parse_measurements(&words("72 128/82")).unwrap().check().unwrap();
        assert_eq!((turned.systolic, turned.pulse), (Some(128), Some(72)));
        let pulse = parse_measurements(&words("64")).unwrap().check().unwrap();
        assert_eq!(pulse.summary(), "pulse 64 bpm");
    }

    #[test]
    fn the_ends_of_each_range_are_inside_it() {
        for (measure, range) in [
            (Measure::Systolic, SYSTOLIC),
            (Measure::Diastolic, DIASTOLIC),
            (Measure::Pulse, PULSE),
            (Measure::Spo2, SPO2),
        ] {
            assert_eq!(measure.range(), range);
            assert!(range.contains(range.min.into()) && range.contains(range.max.into()));
            assert!(!range.contains(i64::from(range.min) - 1) && !range.contains(i64::from(range.max) + 1));
        }
        let edge = RawReading {
            systolic: Some(260),
            diastolic: Some(30),
            pulse: Some(20),
            spo2: Some(100),
            text: None,
        };
        assert!(edge.check().is_ok());
    }

    #[test]
    fn every_value_out_of_range_is_named_with_the_valid_ranges() {
        let error = parse_measurements(&words("300/20 500"))
            .unwrap()
            .check()
            .unwrap_err();
        assert_eq!(error.0.len(), 3, "{error}");
        let said = error.to_string();
        for part in [
            "systolic 300 mmHg is outside 50-260 mmHg",
            "diastolic 20 mmHg is outside 30-160 mmHg",
            "pulse 500 bpm is outside 20-250 bpm",
            "nothing was recorded",
            "valid: systolic 50-260 mmHg, diastolic 30-160 mmHg and below systolic, pulse 20-250 bpm, SpO2 50-100 %",
        ] {
            assert!(said.contains(part), "{part}: {said}");
        }
        let low_spo2 = RawReading {
            spo2: Some(101),
            ..RawReading::default()
        };
        assert!(
            low_spo2
                .check()
                .unwrap_err()
                .to_string()
                .contains("SpO2 101 % is outside 50-100 %")
        );
    }

    #[test]
    fn a_pressure_needs_both_numbers_the_lower_one_second() {
        let upside_down = parse_measurements(&words("80/120")).unwrap().check().unwrap_err();
        assert_eq!(
            upside_down.0,
            [VitalsProblem::DiastolicNotBelow {
                systolic: 80,
                diastolic: 120
            }]
        );
        let half = RawReading {
            systolic: Some(120),
            ..RawReading::default()
        };
        assert!(half.check().unwrap_err().0.contains(&VitalsProblem::HalfPressure));
        assert_eq!(
            RawReading::default().check().unwrap_err().0,
            [VitalsProblem::Nothing]
        );
    }

    #[test]
    fn forms_that_are_not_measurements_are_refused_by_what_they_are() {
        let error = parse_measurements(&words("128-82 fast 120/80 72 64")).unwrap_err();
        assert_eq!(
            error.0,
            [
                VitalsProblem::BadPulse("128-82".into()),
                VitalsProblem::BadPulse("fast".into()),
                VitalsProblem::Extra("64".into()),
            ]
        );
        let error = parse_measurements(&words("12x/80 120/80 110/70")).unwrap_err();
        assert_eq!(
            error.0,
            [
                VitalsProblem::BadPressure("12x/80".into()),
                VitalsProblem::Extra("110/70".into())
            ]
        );
        // A negative number has the form of one and is refused by its range.
        let negative = parse_measurements(&words("-5")).unwrap().check().unwrap_err();
        assert!(
            negative
                .to_string()
                .contains("pulse -5 bpm is outside 20-250 bpm")
        );
    }

    #[test]
    fn notes_are_one_trimmed_line_of_reasonable_length() {
        assert_eq!(
            check_note("  client asked for water ").unwrap(),
            "client asked for water"
        );
        let empty = check_note("   ").unwrap_err().to_string();
        assert_eq!(empty, "the note is empty; nothing was recorded");
        assert!(
            check_note("a\nb")
                .unwrap_err()
                .to_string()
                .contains("control character")
        );
        let long = "x".repeat(MAX_NOTE_CHARS + 1);
        assert!(
            check_note(&long)
                .unwrap_err()
                .to_string()
                .contains("at most 2000")
        );
        assert!(check_note(&"x".repeat(MAX_NOTE_CHARS)).is_ok());
    }
}
