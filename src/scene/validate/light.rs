//! Light in a scene: looks, a phase's look per zone with its fade and ramp, and a cue's
//! change of look.

use serde_spanned::Spanned;

use super::window::Timing;
use crate::diagnostic::Document;
use crate::scene::load::SceneContext;
use crate::scene::model::{LightCue, LightSpec, Look, Ramp};
use crate::scene::raw::{RawCueLight, RawLight, RawRamp};
use crate::time::{Millis, format_duration};

/// Slow enough not to startle a client with eyes closed; the product's floor for scene fades.
pub const DEFAULT_FADE: Millis = Millis::from_secs(30);

pub fn look(doc: &mut Document<'_>, brightness: &Spanned<f64>, kelvin: &Spanned<i64>) -> Option<Look> {
    let brightness = doc.in_range(brightness, "brightness", 0.0..=100.0, " %");
    let kelvin = doc.in_range(kelvin, "kelvin", 1000..=10_000, " K");
    Some(Look {
        brightness: brightness? as f32,
        kelvin: u16::try_from(kelvin?).ok()?,
    })
}

/// A zone the scene names must be one of the room's, or the look would go nowhere.
pub fn zone(doc: &mut Document<'_>, name: &Spanned<String>, ctx: &SceneContext<'_>) -> Option<String> {
    if ctx.zones.iter().any(|z| z == name.get_ref()) {
        return Some(name.get_ref().clone());
    }
    let known = if ctx.zones.is_empty() {
        "the room has no zones".to_string()
    } else {
        ctx.zones.join(", ")
    };
    doc.error_at(
        name,
        format!(
            "unknown zone `{}`; expected one of the room's zones: {known}",
            name.get_ref()
        ),
    );
    None
}

/// A phase's look for one zone. With `timing` unknown (the phase's durations are wrong) the
/// ramp cannot be placed, and the phase fails on those durations anyway.
pub fn spec(doc: &mut Document<'_>, raw: &RawLight, timing: Option<Timing>) -> Option<LightSpec> {
    let look = look(doc, &raw.brightness, &raw.kelvin);
    let fade = light_fade(doc, raw.fade.as_ref());
    let ramp = match &raw.ramp {
        Some(r) => ramp(doc, r, timing).map(Some),
        None => Some(None),
    };
    Some(LightSpec {
        look: look?,
        fade: fade?,
        ramp: ramp?,
    })
}

fn ramp(doc: &mut Document<'_>, raw: &Spanned<RawRamp>, timing: Option<Timing>) -> Option<Ramp> {
    let r = raw.get_ref();
    let to = look(doc, &r.to.brightness, &r.to.kelvin);
    let start = doc.duration_or(r.start.as_ref(), Millis::ZERO);
    let over = match &r.over {
        Some(o) => {
            let over = doc.duration(o);
            if over == Some(Millis::ZERO) {
                doc.error_at(o, "ramp `over` must be longer than zero");
                return None;
            }
            over
        }
        None => match (start, timing) {
            (Some(start), Some(t)) if start >= t.planned => {
                let msg = format!(
                    "the ramp starts at {}, at or after the phase's planned end ({}); give `over`",
                    format_duration(start),
                    format_duration(t.planned)
                );
                doc.error_at(raw, msg);
                return None;
            }
            (Some(start), Some(t)) => Some(t.planned - start),
            _ => None,
        },
    };
    if let (Some(start), Some(over), Some(t)) = (start, over, timing)
        && start + over > t.limit()
    {
        let msg = format!(
            "the ramp runs until {}, past the phase's {}",
            format_duration(start + over),
            t.describe_limit()
        );
        doc.error_at(raw, msg);
        return None;
    }
    Some(Ramp {
        to: to?,
        start: start?,
        over: over?,
    })
}

pub fn cue_light(doc: &mut Document<'_>, raw: &RawCueLight) -> Option<LightCue> {
    let look = look(doc, &raw.brightness, &raw.kelvin);
    let fade = light_fade(doc, raw.fade.as_ref());
    Some(LightCue {
        look: look?,
        fade: fade?,
    })
}

fn light_fade(doc: &mut Document<'_>, value: Option<&Spanned<String>>) -> Option<Millis> {
    super::gliding(doc, value, DEFAULT_FADE, "fade", "the light")
}
