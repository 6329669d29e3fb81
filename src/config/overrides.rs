//! The `[overrides]` section: the clinic's override looks, fades and volume limits on top of
//! the built-in [`Policy`]. The limits ([`limits`], which a saved session's copy of the policy
//! is held to as well) keep safety overrides safe: an emergency that fades in over a minute, or
//! a mute that clicks, is refused.

use serde_spanned::Spanned;

use super::raw::{RawOverrideLook, RawOverrides};
use crate::diagnostic::Document;
use crate::scene::Look;
use crate::time::Millis;
use crate::timeline::limits::{self, LookLimits};
use crate::timeline::{OverrideLook, Policy};

pub fn policy(doc: &mut Document<'_>, raw: &RawOverrides) -> Option<Policy> {
    let d = Policy::default();
    let emergency = look(
        doc,
        raw.emergency.as_ref(),
        d.emergency,
        "emergency",
        &limits::EMERGENCY_LOOK,
    );
    let check = look(doc, raw.check.as_ref(), d.check, "check", &limits::CHECK_LOOK);
    let walk = look(doc, raw.walk.as_ref(), d.walk, "walk", &limits::WALK_LOOK);
    let check_duck_db = number(
        doc,
        raw.check_duck_db.as_ref(),
        d.check_duck_db,
        "check_duck_db",
        limits::CHECK_DUCK_DB,
    );
    let resume_fade = fade(
        doc,
        raw.resume_fade.as_ref(),
        d.resume_fade,
        "resume_fade",
        limits::MAX_RESUME_FADE,
    );
    let music = limits::MAX_MUSIC_FADE;
    let mute_fade = fade(doc, raw.mute_fade.as_ref(), d.mute_fade, "mute_fade", music);
    let pause_fade = fade(doc, raw.pause_fade.as_ref(), d.pause_fade, "pause_fade", music);
    let stop_fade = fade(doc, raw.stop_fade.as_ref(), d.stop_fade, "stop_fade", music);
    let emergency_music_fade = fade(
        doc,
        raw.emergency_music_fade.as_ref(),
        d.emergency_music_fade,
        "emergency_music_fade",
        limits::MAX_EMERGENCY_MUSIC_FADE,
    );
    let skip_crossfade = fade(
        doc,
        raw.skip_crossfade.as_ref(),
        d.skip_crossfade,
        "skip_crossfade",
        music,
    );
    let volume_ramp = fade(doc, raw.volume_ramp.as_ref(), d.volume_ramp, "volume_ramp", music);
    let max_volume_step_db = number(
        doc,
        raw.max_volume_step_db.as_ref(),
        d.max_volume_step_db,
        "max_volume_step_db",
        limits::MAX_VOLUME_STEP_DB,
    );
    let max_volume_boost_db = number(
        doc,
        raw.max_volume_boost_db.as_ref(),
        d.max_volume_boost_db,
        "max_volume_boost_db",
        limits::MAX_VOLUME_BOOST_DB,
    );
    let max_light_step_percent = raw
        .max_light_step_percent
        .as_ref()
        .map_or(Some(f64::from(d.max_light_step_percent)), |v| {
            doc.in_range(v, "max_light_step_percent", limits::MAX_LIGHT_STEP_PERCENT, " %")
        });
    let max_kelvin_step = raw
        .max_kelvin_step
        .as_ref()
        .map_or(Some(f64::from(d.max_kelvin_step)), |v| {
            doc.in_range(v, "max_kelvin_step", limits::MAX_KELVIN_STEP, " K")
        });
    Some(Policy {
        zones: d.zones,
        emergency: emergency?,
        check: check?,
        check_duck_db: check_duck_db?,
        walk: walk?,
        resume_fade: resume_fade?,
        mute_fade: mute_fade?,
        pause_fade: pause_fade?,
        stop_fade: stop_fade?,
        emergency_music_fade: emergency_music_fade?,
        skip_crossfade: skip_crossfade?,
        volume_ramp: volume_ramp?,
        max_volume_step_db: max_volume_step_db?,
        max_volume_boost_db: max_volume_boost_db?,
        max_light_step_percent: max_light_step_percent? as f32,
        max_kelvin_step: max_kelvin_step?.round() as i32,
        prompt_reminder: d.prompt_reminder,
    })
}

fn look(
    doc: &mut Document<'_>,
    raw: Option<&RawOverrideLook>,
    default: OverrideLook,
    what: &str,
    bounds: &LookLimits,
) -> Option<OverrideLook> {
    let Some(raw) = raw else {
        return Some(default);
    };
    let brightness = match &raw.brightness {
        Some(b) => doc.in_range(
            b,
            &format!("{what} brightness"),
            bounds.min_brightness..=100.0,
            " %",
        ),
        None => Some(f64::from(default.look.brightness)),
    };
    let kelvin = match &raw.kelvin {
        Some(k) => doc.in_range(k, &format!("{what} kelvin"), limits::LOOK_KELVIN, " K"),
        None => Some(i64::from(default.look.kelvin)),
    };
    let fade = match &raw.fade {
        Some(f) => doc.duration_at_most(f, &format!("{what} fade"), bounds.max_fade),
        None => Some(default.fade),
    };
    let look = Look {
        brightness: brightness? as f32,
        kelvin: u16::try_from(kelvin?).ok()?,
    };
    Some(OverrideLook { look, fade: fade? })
}

fn number(
    doc: &mut Document<'_>,
    raw: Option<&Spanned<f64>>,
    default: f32,
    what: &str,
    range: std::ops::RangeInclusive<f64>,
) -> Option<f32> {
    match raw {
        Some(v) => doc.in_range(v, what, range, " dB").map(|v| v as f32),
        None => Some(default),
    }
}

/// A music or light fade. Never zero: every volume change ramps, or it clicks.
fn fade(
    doc: &mut Document<'_>,
    raw: Option<&Spanned<String>>,
    default: Millis,
    what: &str,
    max: Millis,
) -> Option<Millis> {
    let Some(raw) = raw else {
        return Some(default);
    };
    let d = doc.duration_at_most(raw, what, max)?;
    if d == Millis::ZERO {
        doc.error_at(
            raw,
            format!("{what} must be longer than zero: every change ramps, or it clicks"),
        );
        return None;
    }
    Some(d)
}
