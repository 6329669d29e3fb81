//! One phase: its id, durations, how it ends, the mark it sets, its music, light and cues.

use std::collections::BTreeMap;

use serde_spanned::Spanned;

use super::window::Timing;
use super::{cue, light, music, not_empty};
use crate::diagnostic::Document;
use crate::scene::load::SceneContext;
use crate::scene::model::{Mark, Phase, PhaseEnd};
use crate::scene::raw::RawPhase;
use crate::time::{Millis, format_duration};

const ENDS: &[(&str, PhaseEnd)] = &[
    ("timer", PhaseEnd::Timer),
    ("therapist", PhaseEnd::Therapist),
    ("prompt", PhaseEnd::Prompt),
];

/// Marks a phase may set on entry. The booster is absent on purpose: it is given when the
/// therapist judges it is needed, never at a planned moment.
const SETTABLE_MARKS: &[(&str, Mark)] = &[("dose", Mark::Dose), ("infusion", Mark::Infusion)];

pub fn validate(doc: &mut Document<'_>, raw: &RawPhase, ctx: &SceneContext<'_>) -> Option<Phase> {
    let id = doc.plain_name(&raw.id, "phase id");
    let title =
        required(doc, raw, raw.title.as_ref(), "title").and_then(|t| not_empty(doc, t, "phase title"));
    let durations = durations(doc, raw);
    let ends = required(doc, raw, raw.ends.as_ref(), "ends").and_then(|e| doc.one_of(e, "ends", ENDS));
    let sets_mark = match &raw.sets_mark {
        Some(mark) => settable_mark(doc, mark).map(Some),
        None => Some(None),
    };
    let music = match &raw.music {
        Some(m) => music::phase(doc, m, ctx).map(Some),
        None => Some(None),
    };
    let timing = durations.map(|(planned, _, max)| Timing { planned, max });
    let mut light = Some(BTreeMap::new());
    for (zone, spec) in &raw.light {
        let zone = light::zone(doc, zone, ctx);
        let spec = light::spec(doc, spec, timing);
        match (zone, spec, light.as_mut()) {
            (Some(zone), Some(spec), Some(light)) => {
                light.insert(zone, spec);
            }
            _ => light = None,
        }
    }
    let cues: Vec<_> = raw
        .cue
        .iter()
        .map(|c| cue::validate(doc, c, cue::Level::Phase, ctx))
        .collect();
    let (planned, min, max) = durations?;
    Some(Phase {
        id: id?,
        title: title?,
        planned,
        min,
        max,
        ends: ends?,
        sets_mark: sets_mark?,
        music: music?,
        light: light?,
        cues: cues.into_iter().collect::<Option<_>>()?,
    })
}

/// A key the phase must have, or an error at the phase's table naming it. A key written
/// with a value of the wrong type has had its error; it is not missing as well.
fn required<'r>(
    doc: &mut Document<'_>,
    raw: &RawPhase,
    value: Option<&'r Spanned<String>>,
    key: &str,
) -> Option<&'r Spanned<String>> {
    if value.is_none() && !doc.was_refused(&raw.place, key) {
        let msg = format!(
            "phase `{}` has no `{key}`; every phase needs one",
            raw.id.get_ref()
        );
        doc.error(raw.place.clone(), msg);
    }
    value
}

type Durations = (Millis, Option<Millis>, Option<Millis>);

/// Planned, min and max, checked against each other. `None` if any is wrong, a `min` or
/// `max` of the wrong type included: the phase's limits are then unknown, not absent.
fn durations(doc: &mut Document<'_>, raw: &RawPhase) -> Option<Durations> {
    let written = required(doc, raw, raw.planned.as_ref(), "planned");
    let limits_known = !["min", "max"].iter().any(|key| doc.was_refused(&raw.place, key));
    let planned = written.and_then(|p| doc.duration(p));
    let min = raw.min.as_ref().map(|m| (m, doc.duration(m)));
    let max = raw.max.as_ref().map(|m| (m, doc.duration(m)));
    let mut ok = planned.is_some() && limits_known;
    if let (Some(Millis::ZERO), Some(written)) = (planned, written) {
        doc.error_at(written, "planned must be longer than zero");
        ok = false;
    }
    if let (Some((min_raw, Some(lo))), Some((_, Some(hi)))) = (&min, &max)
        && lo > hi
    {
        let msg = format!(
            "min {} is above max {}",
            format_duration(*lo),
            format_duration(*hi)
        );
        doc.error_at(min_raw, msg);
        ok = false;
    } else if let (Some(p), Some(written)) = (planned, written) {
        if let Some((_, Some(lo))) = &min
            && p < *lo
        {
            let msg = format!(
                "planned {} is below min {}",
                format_duration(p),
                format_duration(*lo)
            );
            doc.error_at(written, msg);
            ok = false;
        }
        if let Some((_, Some(hi))) = &max
            && p > *hi
        {
            let msg = format!(
                "planned {} is above max {}",
                format_duration(p),
                format_duration(*hi)
            );
            doc.error_at(written, msg);
            ok = false;
        }
    }
    let min = match min {
        Some((_, parsed)) => Some(parsed?),
        None => None,
    };
    let max = match max {
        Some((_, parsed)) => Some(parsed?),
        None => None,
    };
    if !ok {
        return None;
    }
    Some((planned?, min, max))
}

fn settable_mark(doc: &mut Document<'_>, mark: &Spanned<String>) -> Option<Mark> {
    if mark.get_ref() == "booster" {
        let msg = "a phase cannot set `booster`: the therapist marks it by hand (`setting mark booster`); \
                   expected dose or infusion";
        doc.error_at(mark, msg);
        return None;
    }
    doc.one_of(mark, "mark", SETTABLE_MARKS)
}
