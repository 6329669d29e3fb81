//! Session time: whole milliseconds, and the human duration syntax (`90s`, `15m`, `1h30m`).

use std::fmt;
use std::ops::{Add, AddAssign, Sub};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A span or a point on a session's clock, in whole milliseconds.
///
/// Milliseconds rather than `Duration` so that state files and event logs stay readable
/// integers, and so arithmetic on the pure timeline is exact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Millis(pub u64);

impl Millis {
    pub const ZERO: Millis = Millis(0);

    pub const fn from_secs(s: u64) -> Millis {
        Millis(s * 1000)
    }

    pub const fn from_mins(m: u64) -> Millis {
        Millis(m * 60_000)
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    pub fn saturating_sub(self, other: Millis) -> Millis {
        Millis(self.0.saturating_sub(other.0))
    }

    pub fn to_duration(self) -> std::time::Duration {
        std::time::Duration::from_millis(self.0)
    }
}

/// Saturates, as subtraction does: an absurd duration from a file or a request (`extend` by
/// 2^64 ms) is never-ending, not a crash or a time in the past.
impl Add for Millis {
    type Output = Millis;
    fn add(self, rhs: Millis) -> Millis {
        Millis(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign for Millis {
    fn add_assign(&mut self, rhs: Millis) {
        *self = *self + rhs;
    }
}

impl Sub for Millis {
    type Output = Millis;
    /// Saturates: a time before the origin is the origin.
    fn sub(self, rhs: Millis) -> Millis {
        self.saturating_sub(rhs)
    }
}

/// Clock form, `h:mm:ss` (or `m:ss` under an hour), as therapists read it.
impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.0 / 1000;
        let (h, m, s) = (total / 3600, (total / 60) % 60, total % 60);
        if h > 0 {
            write!(f, "{h}:{m:02}:{s:02}")
        } else {
            write!(f, "{m}:{s:02}")
        }
    }
}

/// Why a duration did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("empty duration; expected a duration such as `90s`, `15m` or `1h30m`")]
    Empty,
    #[error(
        "`{0}` is not a duration; expected a number and a unit (h, m, s, ms), such as `90s`, `15m` or `1h30m`"
    )]
    Malformed(String),
    #[error("`{0}` is too long a duration")]
    Overflow(String),
}

/// Parses `90s`, `15m`, `1h30m`, `2h 5m 10s`, `500ms`. humantime reads the numbers and units,
/// in the narrower form docs/scenes.md promises: whole numbers; the units `h`, `m` (or `min`),
/// `s` and `ms`, largest first and each at most once; a space only between two parts. So
/// `30m1h` (probably a typo), `1.5h` and `10 minutes` are refused rather than guessed at.
pub fn parse_duration(text: &str) -> Result<Millis, DurationError> {
    let s = text.trim();
    if s.is_empty() {
        return Err(DurationError::Empty);
    }
    let malformed = || DurationError::Malformed(text.to_string());
    let overflow = || DurationError::Overflow(text.to_string());
    if !in_the_promised_form(s) {
        return Err(malformed());
    }
    let duration = humantime::parse_duration(s).map_err(|e| match e {
        humantime::DurationError::NumberOverflow => overflow(),
        _ => malformed(),
    })?;
    u64::try_from(duration.as_millis())
        .map(Millis)
        .map_err(|_| overflow())
}

/// Whether `s` (trimmed) keeps to the form [`parse_duration`] promises, which humantime
/// alone is wider than: it also takes fractions, days to years, microseconds, words
/// (`minutes`), units in any order, and spaces inside a number or before its unit.
fn in_the_promised_form(s: &str) -> bool {
    let characters = s
        .bytes()
        .all(|b| b.is_ascii_digit() || b.is_ascii_alphabetic() || b == b' ');
    // `10 m` and `1 0m` break one part in two; `2h 5m` separates two.
    let spaces = s
        .as_bytes()
        .windows(2)
        .all(|w| w[1] != b' ' || w[0] == b' ' || w[0].is_ascii_alphabetic());
    let mut last_rank = usize::MAX;
    let units = s
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|unit| !unit.is_empty())
        .all(|unit| {
            let rank = match unit {
                "h" => 3,
                "m" | "min" => 2,
                "s" => 1,
                "ms" => 0,
                _ => return false,
            };
            let falling = rank < last_rank;
            last_rank = rank;
            falling
        });
    characters && spaces && units
}

/// The shortest human form that [`parse_duration`] reads back, e.g. `1h30m`.
pub fn format_duration(d: Millis) -> String {
    if d.0 == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let (h, rest) = (d.0 / 3_600_000, d.0 % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    let (s, ms) = (rest / 1000, rest % 1000);
    for (n, unit) in [(h, "h"), (m, "m"), (s, "s"), (ms, "ms")] {
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    out
}

/// Milliseconds since the Unix epoch (0 for a time before it: a clock that bad counts as no
/// time at all, never as a panic).
pub fn unix_millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_people_write() {
        assert_eq!(parse_duration("90s"), Ok(Millis::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Millis::from_mins(15)));
        assert_eq!(parse_duration("1h30m"), Ok(Millis::from_mins(90)));
        assert_eq!(parse_duration("2h 5m 10s"), Ok(Millis(7_510_000)));
        assert_eq!(parse_duration("500ms"), Ok(Millis(500)));
        assert_eq!(parse_duration("0s"), Ok(Millis::ZERO));
    }

    #[test]
    fn refuses_what_it_would_have_to_guess() {
        for bad in ["", "15", "m", "1.5h", "30m1h", "1h1h", "10 minutes", "-5m", "5x"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(matches!(
            parse_duration("99999999999999999999h"),
            Err(DurationError::Overflow(_))
        ));
        assert!(matches!(
            parse_duration("5124095576030432h"),
            Err(DurationError::Overflow(_))
        ));
    }

    #[test]
    fn refuses_what_humantime_alone_would_take() {
        for bad in [
            "10 m", "1 0m", "90 s", "2d", "1w", "3M", "1y", "1us", "500ns", "5sec", "5mins", "1hr", "1.5h",
            "0.5s", "1h\t30m", "1h,30m", "1h30m1h", "5m 1h", "1m1min", "2H",
        ] {
            assert!(
                matches!(parse_duration(bad), Err(DurationError::Malformed(_))),
                "{bad:?} should be refused as malformed: {:?}",
                parse_duration(bad)
            );
        }
    }

    #[test]
    fn takes_spaces_between_parts_and_around_the_whole() {
        assert_eq!(parse_duration(" 1h  30m "), Ok(Millis::from_mins(90)));
        assert_eq!(parse_duration("1h30min"), Ok(Millis::from_mins(90)));
        assert_eq!(parse_duration("5m"), Ok(Millis::from_mins(5)));
        assert_eq!(parse_duration("1h 0m 0s 1ms"), Ok(Millis(3_600_001)));
    }

    #[test]
    fn errors_quote_what_was_written() {
        assert_eq!(parse_duration("   "), Err(DurationError::Empty));
        let error = parse_duration("10 minutes").unwrap_err().to_string();
        assert!(
            error.starts_with("`10 minutes` is not a duration; expected"),
            "{error}"
        );
    }

    proptest::proptest! {
        #[test]
        fn every_formatted_duration_reads_back(ms in 0u64..=u64::MAX / 2) {
            proptest::prop_assert_eq!(parse_duration(&format_duration(Millis(ms))), Ok(Millis(ms)));
        }
    }

    #[test]
    fn formats_round_trip() {
        for ms in [0, 500, 90_000, 5_400_000, 7_510_250] {
            let d = Millis(ms);
            assert_eq!(parse_duration(&format_duration(d)), Ok(d));
        }
        assert_eq!(Millis(3_723_000).to_string(), "1:02:03");
        assert_eq!(Millis(62_000).to_string(), "1:02");
    }
}
