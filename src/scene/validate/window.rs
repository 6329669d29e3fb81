//! The planned timeline of a scene (phases back to back at their planned durations, each
//! mark at the entry of the phase that sets it) and the check that every cue falls inside
//! the phase it belongs to: a cue outside its phase would silently never fire.

use crate::diagnostic::Document;
use crate::scene::cue_time::parse_cue_time;
use crate::scene::model::{Anchor, CueTime, Mark};
use crate::scene::raw::{RawCue, RawPhase};
use crate::time::{Millis, format_duration, parse_duration};

/// A phase's planned length and its longest allowed one.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub planned: Millis,
    pub max: Option<Millis>,
}

impl Timing {
    /// How long the phase can last before it moves on or prompts for the last time.
    pub fn limit(self) -> Millis {
        self.max.unwrap_or(self.planned)
    }

    pub fn describe_limit(self) -> String {
        match self.max {
            Some(max) => format!("max of {}", format_duration(max)),
            None => format!("planned {}; it has no max", format_duration(self.planned)),
        }
    }
}

/// Timing read again quietly: the problems with these values were reported by the phase's
/// own validation, and a phase whose timing is wrong is left out of these checks. A `max`
/// refused for its type is unknown rather than absent.
fn timing(doc: &Document<'_>, p: &RawPhase) -> Option<Timing> {
    let planned = parse_duration(p.planned.as_ref()?.get_ref()).ok()?;
    Some(Timing {
        planned,
        max: max(doc, p)?,
    })
}

/// `Some(None)` when the phase has no `max`, `None` when it is wrong.
fn max(doc: &Document<'_>, p: &RawPhase) -> Option<Option<Millis>> {
    if doc.was_refused(&p.place, "max") {
        return None;
    }
    match &p.max {
        Some(m) => parse_duration(m.get_ref()).ok().map(Some),
        None => Some(None),
    }
}

/// How long a phase can last, for the windows of cues: its timing, or with its planned length
/// unknown (left out, wrong, or of the wrong type) its `max` alone still bounds it, so that
/// its cues are checked all the same; only where the phases after it start is then unknown.
fn limit(doc: &Document<'_>, p: &RawPhase) -> Option<Timing> {
    timing(doc, p).or_else(|| {
        let max = max(doc, p)??;
        Some(Timing {
            planned: max,
            max: Some(max),
        })
    })
}

fn mark_set_by(p: &RawPhase) -> Option<Mark> {
    p.sets_mark
        .as_ref()
        .and_then(|m| Mark::parse(m.get_ref()))
        .filter(|m| *m != Mark::Booster)
}

/// A cue's repetitions beyond the first, read quietly like [`timing`].
fn repeat_span(cue: &RawCue) -> Millis {
    let Some(r) = &cue.repeat else {
        return Millis::ZERO;
    };
    let every = parse_duration(r.get_ref().every.get_ref()).unwrap_or_default();
    let times = u64::try_from(*r.get_ref().times.get_ref()).unwrap_or(1).max(1);
    Millis(every.0.saturating_mul(times - 1))
}

pub fn check(doc: &mut Document<'_>, phases: &[RawPhase], scene_cues: &[RawCue]) {
    // A mark written wrong is reported at its place; without it, where the cues counting from
    // it fall is unknown, and errors about them would only repeat that one mistake.
    if phases.iter().any(|p| {
        (p.sets_mark.is_some() && mark_set_by(p).is_none()) || doc.was_refused(&p.place, "sets_mark")
    }) {
        return;
    }
    let marks: Vec<Option<Mark>> = phases.iter().map(mark_set_by).collect();
    let mut starts = Vec::with_capacity(phases.len());
    let mut next = Some(Millis::ZERO);
    for p in phases {
        starts.push(next);
        next = next.zip(timing(doc, p)).map(|(start, t)| start + t.planned);
    }
    let timings: Vec<Option<Timing>> = phases.iter().map(|p| limit(doc, p)).collect();
    for (i, phase) in phases.iter().enumerate() {
        let id = phase.id.get_ref();
        for cue in &phase.cue {
            let Ok(at) = parse_cue_time(cue.at.get_ref()) else {
                continue;
            };
            // Where the anchor falls on the planned timeline; a phase anchor needs only the
            // phase's own timing, so it is counted from a phase start of zero.
            let (anchor_time, phase_start) = match at.anchor {
                Anchor::Phase => (Some(Millis::ZERO), Some(Millis::ZERO)),
                Anchor::Session => (Some(Millis::ZERO), starts[i]),
                Anchor::Mark(Mark::Booster) => {
                    if !marks[..=i].iter().any(Option::is_some) {
                        let msg = format!(
                            "the cue counts from `booster`, but no phase at or before `{id}` sets dose or infusion \
                             for a booster to follow"
                        );
                        doc.error_at(&cue.at, msg);
                    }
                    // When a booster comes is the therapist's call, so no window can be checked.
                    continue;
                }
                Anchor::Mark(mark) => match marks[..=i].iter().rposition(|m| *m == Some(mark)) {
                    Some(j) => (starts[j], starts[i]),
                    None => {
                        let msg = format!(
                            "the cue counts from `{mark}`, but no phase at or before `{id}` sets it \
                             (sets_mark = \"{mark}\")"
                        );
                        doc.error_at(&cue.at, msg);
                        continue;
                    }
                },
            };
            if let (Some(anchor_time), Some(phase_start), Some(timing)) =
                (anchor_time, phase_start, timings[i])
            {
                let window = Window {
                    id,
                    start: phase_start,
                    timing,
                };
                window.check(doc, cue, at, anchor_time + at.offset);
            }
        }
    }
    for cue in scene_cues {
        let Ok(at) = parse_cue_time(cue.at.get_ref()) else {
            continue;
        };
        match at.anchor {
            Anchor::Mark(Mark::Booster) if !marks.iter().any(Option::is_some) => {
                let msg = "the cue counts from `booster`, but no phase sets dose or infusion for a booster to follow";
                doc.error_at(&cue.at, msg);
            }
            Anchor::Mark(mark) if mark != Mark::Booster && !marks.contains(&Some(mark)) => {
                let msg =
                    format!("the cue counts from `{mark}`, but no phase sets it (sets_mark = \"{mark}\")");
                doc.error_at(&cue.at, msg);
            }
            Anchor::Session => {
                before_the_end(doc, cue, at.offset, phases, &timings, 0, "the session's start");
            }
            Anchor::Mark(mark) if mark != Mark::Booster => {
                let j = marks
                    .iter()
                    .position(|m| *m == Some(mark))
                    .expect("matched above");
                let from = format!("`{mark}`, set as phase `{}` begins,", phases[j].id.get_ref());
                before_the_end(doc, cue, at.offset, phases, &timings, j, &from);
            }
            Anchor::Mark(_) => {
                // When a booster comes is the therapist's call, and it may come again, but a
                // `booster+` cue counts from the latest one, and a booster restarts the timer
                // of the phase it is given in: from it, the session lasts at most that phase
                // and every later one at their longest. That is longest when the booster comes
                // in the first phase it may, the one that sets the dose or infusion it needs.
                let j = marks.iter().position(Option::is_some).expect("matched above");
                let from = format!(
                    "a booster (given at the earliest in phase `{}`, after the {}; it restarts that phase's timer)",
                    phases[j].id.get_ref(),
                    marks[j].expect("found above")
                );
                before_the_end(doc, cue, at.offset, phases, &timings, j, &from);
            }
            // A phase anchor is refused at scene level by the cue's own validation.
            Anchor::Phase => {}
        }
    }
}

/// A scene-level cue `offset` after the entry of phase `from` must come before the session
/// can have ended, with every phase from there at its longest: else it would never fire.
fn before_the_end(
    doc: &mut Document<'_>,
    cue: &RawCue,
    offset: Millis,
    phases: &[RawPhase],
    timings: &[Option<Timing>],
    from: usize,
    anchor: &str,
) {
    let Some(longest) = timings[from..]
        .iter()
        .try_fold(Millis::ZERO, |sum, t| t.map(|t| sum + t.limit()))
    else {
        return;
    };
    let last_phase = phases.last().map_or("", |p| p.id.get_ref().as_str());
    let written = cue.at.get_ref().trim();
    let last = offset + repeat_span(cue);
    if offset > longest {
        let msg = format!(
            "the cue at `{written}` comes after the session ends: from {anchor} to the end of phase \
             `{last_phase}` is at most {} (every phase at its longest), so it would never fire",
            format_duration(longest)
        );
        doc.error_at(&cue.at, msg);
    } else if let Some(repeat) = cue.repeat.as_ref().filter(|_| last > longest) {
        let msg = format!(
            "the last repeat of the cue at `{written}` comes {} after {anchor}, after the session ends \
             (at most {} after it, every phase at its longest)",
            format_duration(last),
            format_duration(longest)
        );
        doc.error_at(repeat, msg);
    }
}

/// Where a phase sits on the planned timeline.
struct Window<'a> {
    id: &'a str,
    start: Millis,
    timing: Timing,
}

impl Window<'_> {
    fn end(&self) -> Millis {
        self.start + self.timing.limit()
    }

    /// `time` is the cue's first time on the planned timeline; it and its last repetition
    /// must fall within the phase.
    fn check(&self, doc: &mut Document<'_>, cue: &RawCue, at: CueTime, time: Millis) {
        let written = cue.at.get_ref().trim();
        let (id, limit) = (self.id, self.timing.describe_limit());
        let last = time + repeat_span(cue);
        let relative = at.anchor == Anchor::Phase;
        if time < self.start {
            let msg = format!(
                "the cue at `{written}` comes at {time} on the planned timeline, before phase `{id}` begins at {}",
                self.start
            );
            doc.error_at(&cue.at, msg);
        } else if time > self.end() && relative {
            let msg = format!("the cue at `{written}` comes after the end of phase `{id}` (its {limit})");
            doc.error_at(&cue.at, msg);
        } else if time > self.end() {
            let msg = format!(
                "the cue at `{written}` comes at {time} on the planned timeline, after phase `{id}` ends at {} (its {limit})",
                self.end()
            );
            doc.error_at(&cue.at, msg);
        } else if let Some(repeat) = cue.repeat.as_ref().filter(|_| last > self.end()) {
            let when = if relative {
                format!("{} into the phase", format_duration(last))
            } else {
                format!("at {last} on the planned timeline")
            };
            let msg = format!(
                "the last repeat of the cue at `{written}` comes {when}, after phase `{id}` ends (its {limit})"
            );
            doc.error_at(repeat, msg);
        }
    }
}
