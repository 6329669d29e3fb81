//! The clinic's thresholds (`[vitals]` in the config) and the flags a reading gets for
//! crossing them. A flag is decided when the reading is entered and written with it, so the
//! record shows what stood out under the thresholds in force then, whatever they are later.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::reading::{Measure, Reading};

/// Which way a value crossed its threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    High,
    Low,
}

/// One value past one of the clinic's thresholds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    pub measure: Measure,
    pub level: Level,
    pub value: u16,
    pub threshold: u16,
}

/// `HIGH systolic 172 mmHg (above 160)`.
impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (level, side) = match self.level {
            Level::High => ("HIGH", "above"),
            Level::Low => ("LOW", "below"),
        };
        write!(
            f,
            "{level} {} {} {} ({side} {})",
            self.measure,
            self.value,
            self.measure.unit(),
            self.threshold
        )
    }
}

/// A value strictly above an `_above` threshold, or strictly below a `_below` one, is flagged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thresholds {
    pub systolic_above: u16,
    pub systolic_below: u16,
    pub diastolic_above: u16,
    pub diastolic_below: u16,
    pub pulse_above: u16,
    pub pulse_below: u16,
    pub spo2_below: u16,
}

/// Common limits in ketamine monitoring protocols: a dose is usually held above 160/100, and
/// below 90 systolic, a pulse outside 50-120 or an SpO2 under 92 % asks for a second look.
impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            systolic_above: 160,
            systolic_below: 90,
            diastolic_above: 100,
            diastolic_below: 50,
            pulse_above: 120,
            pulse_below: 50,
            spo2_below: 92,
        }
    }
}

impl Thresholds {
    /// Each threshold with its measure and side: what the config's keys name.
    pub fn each(&self) -> [(Measure, Level, u16); 7] {
        [
            (Measure::Systolic, Level::High, self.systolic_above),
            (Measure::Systolic, Level::Low, self.systolic_below),
            (Measure::Diastolic, Level::High, self.diastolic_above),
            (Measure::Diastolic, Level::Low, self.diastolic_below),
            (Measure::Pulse, Level::High, self.pulse_above),
            (Measure::Pulse, Level::Low, self.pulse_below),
            (Measure::Spo2, Level::Low, self.spo2_below),
        ]
    }

    /// The values of `reading` past a threshold, in the order of [`Thresholds::each`].
    pub fn flags(&self, reading: &Reading) -> Vec<Flag> {
        self.each()
            .into_iter()
            .filter_map(|(measure, level, threshold)| {
                let value = reading.value(measure)?;
                let crossed = match level {
                    Level::High => value > threshold,
                    Level::Low => value < threshold,
                };
                crossed.then_some(Flag {
                    measure,
                    level,
                    value,
                    threshold,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(systolic: u16, diastolic: u16, pulse: u16, spo2: Option<u16>) -> Reading {
        Reading {
            systolic: Some(systolic),
            diastolic: Some(diastolic),
            pulse: Some(pulse),
            spo2,
            text: None,
        }
    }

    #[test]
    fn a_reading_within_the_thresholds_has_no_flags_and_their_edges_are_inside() {
        let t = Thresholds::default();
        assert!(t.flags(&reading(128, 82, 72, Some(98))).is_empty());
        assert!(
            t.flags(&reading(160, 100, 120, Some(92))).is_empty(),
            "equal is not above"
        );
        assert!(
            t.flags(&reading(90, 50, 50, None)).is_empty(),
            "equal is not below"
        );
    }

    #[test]
    fn each_crossing_is_flagged_with_its_threshold() {
        let t = Thresholds::default();
        let flags = t.flags(&reading(172, 104, 44, Some(89)));
        assert_eq!(
            flags.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "HIGH systolic 172 mmHg (above 160)",
                "HIGH diastolic 104 mmHg (above 100)",
                "LOW pulse 44 bpm (below 50)",
                "LOW SpO2 89 % (below 92)",
            ]
        );
        let strict = Thresholds {
            systolic_above: 140,
            ..Thresholds::default()
        };
        let flags = strict.flags(&reading(150, 80, 70, None));
        assert_eq!(
            flags,
            [Flag {
                measure: Measure::Systolic,
                level: Level::High,
                value: 150,
                threshold: 140
            }]
        );
        // A measure left out is never flagged.
        let pulse_only = Reading {
            pulse: Some(130),
            ..Reading::default()
        };
        assert_eq!(t.flags(&pulse_only).len(), 1);
    }
}
