//! Cue times as written: `dose+7m`, `start+1h`, `phase+5m`, a bare anchor (`dose`), or a bare
//! offset (`7m`), which counts from the phase's start.

use super::model::{Anchor, CueTime, Mark};
use crate::time::{DurationError, Millis, parse_duration};

const ANCHORS: &str = "phase, start, dose, booster or infusion";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CueTimeError {
    #[error("unknown anchor `{anchor}` in `{text}`; expected {ANCHORS}, as in `dose+7m`")]
    UnknownAnchor { anchor: String, text: String },
    #[error(
        "`{text}` is not a cue time; expected an anchor and an offset such as `dose+7m`, or an offset from the phase such as `7m`"
    )]
    Malformed { text: String },
    /// The duration's own error is part of the message, not a separate cause, because a
    /// cue time ends up as one line of a diagnostic.
    #[error("bad offset in cue time `{text}`: {reason}")]
    Offset { text: String, reason: DurationError },
}

pub fn parse_cue_time(text: &str) -> Result<CueTime, CueTimeError> {
    let trimmed = text.trim();
    let (anchor, offset) = match trimmed.split_once('+') {
        Some((anchor, offset)) => (Some(anchor.trim()), Some(offset.trim())),
        None if parse_anchor(trimmed).is_some() => (Some(trimmed), None),
        None => (None, Some(trimmed)),
    };
    let anchor = match anchor {
        None => Anchor::Phase,
        Some(a) => parse_anchor(a).ok_or_else(|| {
            if a.is_empty() || a.contains(|c: char| c.is_ascii_digit()) {
                CueTimeError::Malformed {
                    text: text.to_string(),
                }
            } else {
                CueTimeError::UnknownAnchor {
                    anchor: a.to_string(),
                    text: text.to_string(),
                }
            }
        })?,
    };
    let offset = match offset {
        None => Millis::ZERO,
        Some(o) => parse_duration(o).map_err(|reason| match reason {
            // A bare word that is neither anchor nor duration is most likely a misspelt anchor.
            DurationError::Malformed(_)
                if anchor == Anchor::Phase && !o.contains(|c: char| c.is_ascii_digit()) =>
            {
                CueTimeError::UnknownAnchor {
                    anchor: o.to_string(),
                    text: text.to_string(),
                }
            }
            DurationError::Malformed(_) if anchor == Anchor::Phase => CueTimeError::Malformed {
                text: text.to_string(),
            },
            reason => CueTimeError::Offset {
                text: text.to_string(),
                reason,
            },
        })?,
    };
    Ok(CueTime { anchor, offset })
}

fn parse_anchor(word: &str) -> Option<Anchor> {
    match word {
        "phase" => Some(Anchor::Phase),
        "start" => Some(Anchor::Session),
        other => Mark::parse(other).map(Anchor::Mark),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(anchor: Anchor, mins: u64) -> CueTime {
        CueTime {
            anchor,
            offset: Millis::from_mins(mins),
        }
    }

    #[test]
    fn reads_the_forms_people_write() {
        assert_eq!(parse_cue_time("dose+7m"), Ok(at(Anchor::Mark(Mark::Dose), 7)));
        assert_eq!(parse_cue_time("dose + 7m"), Ok(at(Anchor::Mark(Mark::Dose), 7)));
        assert_eq!(parse_cue_time("start+1h"), Ok(at(Anchor::Session, 60)));
        assert_eq!(parse_cue_time("phase+5m"), Ok(at(Anchor::Phase, 5)));
        assert_eq!(parse_cue_time("7m"), Ok(at(Anchor::Phase, 7)));
        assert_eq!(
            parse_cue_time("infusion"),
            Ok(at(Anchor::Mark(Mark::Infusion), 0))
        );
        assert_eq!(
            parse_cue_time("booster+10m"),
            Ok(at(Anchor::Mark(Mark::Booster), 10))
        );
    }

    #[test]
    fn says_what_is_wrong() {
        let e = parse_cue_time("dos+7m").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown anchor `dos` in `dos+7m`; expected phase, start, dose, booster or infusion, as in `dose+7m`"
        );
        assert!(matches!(
            parse_cue_time("dosse"),
            Err(CueTimeError::UnknownAnchor { .. })
        ));
        assert!(matches!(
            parse_cue_time("dose+7"),
            Err(CueTimeError::Offset { .. })
        ));
        assert!(matches!(
            parse_cue_time("dose-7m"),
            Err(CueTimeError::Malformed { .. })
        ));
        assert!(matches!(parse_cue_time("7"), Err(CueTimeError::Malformed { .. })));
        assert!(matches!(
            parse_cue_time("+7m"),
            Err(CueTimeError::Malformed { .. })
        ));
        assert!(matches!(parse_cue_time(""), Err(CueTimeError::Offset { .. })));
    }
}
