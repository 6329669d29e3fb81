//! Checks a snapshot read back from a state file before the core trusts it: every value the
//! core computes with or the room would feel (the emergency look, the volume offset, phase
//! indices, times) within the bounds a live session keeps it in. The first value out of
//! bounds is named by its path in the file (`policy.emergency.look.brightness`).

use crate::scene::{Look, MusicSpec, Scene};
use crate::time::{Millis, format_duration};

use super::command::Target;
use super::core::Snapshot;
use super::limits::{self, LookLimits};
use super::outputs::MIN_VOLUME_OFFSET_DB;
use super::policy::{OverrideLook, Policy};
use super::state::State;

/// A value that cannot be right, named by its path.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("`{field}` {problem}")]
pub struct FieldError {
    /// `policy.emergency.look.brightness`, `state.phase`.
    pub field: String,
    /// `is 0, below the 50 an emergency must light the room with`.
    pub problem: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            problem: problem.into(),
        }
    }

    /// The same error, its path taken as under `parent` (`snapshot`).
    pub fn within(mut self, parent: &str) -> FieldError {
        self.field = format!("{parent}.{}", self.field);
        self
    }
}

type Checked = Result<(), FieldError>;

impl Snapshot {
    /// Every value the core relies on, within its bounds.
    pub fn validate(&self) -> Checked {
        policy(&self.policy)?;
        scene(&self.scene)?;
        state(&self.state, &self.scene, &self.policy)
    }
}

fn policy(p: &Policy) -> Checked {
    if p.zones.is_empty() {
        return Err(FieldError::new(
            "policy.zones",
            "is empty; a room has at least one zone",
        ));
    }
    override_look(
        &p.emergency,
        "policy.emergency",
        &limits::EMERGENCY_LOOK,
        "an emergency",
    )?;
    override_look(&p.check, "policy.check", &limits::CHECK_LOOK, "a check")?;
    override_look(&p.walk, "policy.walk", &limits::WALK_LOOK, "the walking light")?;
    within(
        p.check_duck_db.into(),
        &limits::CHECK_DUCK_DB,
        "policy.check_duck_db",
        " dB",
    )?;
    within(
        p.max_volume_step_db.into(),
        &limits::MAX_VOLUME_STEP_DB,
        "policy.max_volume_step_db",
        " dB",
    )?;
    within(
        p.max_volume_boost_db.into(),
        &limits::MAX_VOLUME_BOOST_DB,
        "policy.max_volume_boost_db",
        " dB",
    )?;
    within(
        p.max_light_step_percent.into(),
        &limits::MAX_LIGHT_STEP_PERCENT,
        "policy.max_light_step_percent",
        " %",
    )?;
    within(
        p.max_kelvin_step.into(),
        &limits::MAX_KELVIN_STEP,
        "policy.max_kelvin_step",
        " K",
    )?;
    if !limits::PROMPT_REMINDER.contains(&p.prompt_reminder) {
        return Err(FieldError::new(
            "policy.prompt_reminder",
            format!(
                "is {}, not between {} and {}",
                format_duration(p.prompt_reminder),
                format_duration(*limits::PROMPT_REMINDER.start()),
                format_duration(*limits::PROMPT_REMINDER.end())
            ),
        ));
    }
    for (fade, name, max) in [
        (p.resume_fade, "resume_fade", limits::MAX_RESUME_FADE),
        (p.mute_fade, "mute_fade", limits::MAX_MUSIC_FADE),
        (p.pause_fade, "pause_fade", limits::MAX_MUSIC_FADE),
        (p.stop_fade, "stop_fade", limits::MAX_MUSIC_FADE),
        (
            p.emergency_music_fade,
            "emergency_music_fade",
            limits::MAX_EMERGENCY_MUSIC_FADE,
        ),
        (p.skip_crossfade, "skip_crossfade", limits::MAX_MUSIC_FADE),
        (p.volume_ramp, "volume_ramp", limits::MAX_MUSIC_FADE),
    ] {
        let field = format!("policy.{name}");
        if fade == Millis::ZERO {
            return Err(FieldError::new(
                field,
                "is zero; every change ramps, or it clicks",
            ));
        }
        at_most(fade, max, &field)?;
    }
    Ok(())
}

fn override_look(o: &OverrideLook, field: &str, bounds: &LookLimits, what: &str) -> Checked {
    look(o.look, &format!("{field}.look"))?;
    let brightness = f64::from(o.look.brightness);
    if brightness < bounds.min_brightness {
        return Err(FieldError::new(
            format!("{field}.look.brightness"),
            format!(
                "is {brightness} %, below the {} % {what} must light the room with",
                bounds.min_brightness
            ),
        ));
    }
    at_most(o.fade, bounds.max_fade, &format!("{field}.fade"))
}

fn scene(s: &Scene) -> Checked {
    let phases = s.phases.len();
    if phases == 0 {
        return Err(FieldError::new(
            "scene.phases",
            "is empty; a scene has at least one phase",
        ));
    }
    index(s.closing_phase, phases, "scene.closing_phase")?;
    for (i, phase) in s.phases.iter().enumerate() {
        let field = |name: &str| format!("scene.phases[{i}].{name}");
        for (name, time) in [
            ("planned", Some(phase.planned)),
            ("min", phase.min),
            ("max", phase.max),
        ] {
            if let Some(time) = time {
                session_time(time, &field(name))?;
            }
        }
        if let Some(MusicSpec::Playlist { level_db, .. }) = &phase.music {
            level(*level_db, &field("music.level_db"))?;
        }
        for (zone, light) in &phase.light {
            look(light.look, &field(&format!("light.{zone}.look")))?;
            if let Some(ramp) = &light.ramp {
                look(ramp.to, &field(&format!("light.{zone}.ramp.to")))?;
            }
        }
    }
    Ok(())
}

fn state(s: &State, scene: &Scene, policy: &Policy) -> Checked {
    index(s.phase, scene.phases.len(), "state.phase")?;
    for (time, name) in [
        (s.now, "now"),
        (s.timeline, "timeline"),
        (s.music_clock, "music_clock"),
        (s.phase_entered, "phase_entered"),
        (s.phase_anchor, "phase_anchor"),
        (s.extension, "extension"),
    ] {
        session_time(time, &format!("state.{name}"))?;
    }
    for (mark, time) in &s.marks {
        session_time(*time, &format!("state.marks.{mark}"))?;
    }
    let offset = s.volume_offset_db;
    if !(offset.is_finite() && (MIN_VOLUME_OFFSET_DB..=policy.max_volume_boost_db).contains(&offset)) {
        return Err(FieldError::new(
            "state.volume_offset_db",
            format!(
                "is {offset} dB, outside the {MIN_VOLUME_OFFSET_DB} to +{} dB the room's policy allows",
                policy.max_volume_boost_db
            ),
        ));
    }
    level(s.scene_music.level_db, "state.scene_music.level_db")?;
    for (zone, scene_light) in &s.scene_lights {
        look(scene_light.look, &format!("state.scene_lights.{zone}.look"))?;
        if let Some(ramp) = &scene_light.ramp {
            look(ramp.to, &format!("state.scene_lights.{zone}.ramp.to"))?;
        }
    }
    for (zone, emitted) in &s.emitted_lights {
        look(*emitted, &format!("state.emitted_lights.{zone}"))?;
    }
    for (zone, nudge) in &s.light_nudges {
        let field = format!("state.light_nudges.{zone}");
        if !(nudge.brightness.is_finite() && nudge.brightness.abs() <= limits::MAX_NUDGE_BRIGHTNESS) {
            return Err(FieldError::new(
                format!("{field}.brightness"),
                format!(
                    "is {}, beyond the ±{} a nudge may reach",
                    nudge.brightness,
                    limits::MAX_NUDGE_BRIGHTNESS
                ),
            ));
        }
        if nudge.kelvin.unsigned_abs() > limits::MAX_NUDGE_KELVIN.unsigned_abs() {
            return Err(FieldError::new(
                format!("{field}.kelvin"),
                format!(
                    "is {} K, beyond the ±{} K a nudge may reach",
                    nudge.kelvin,
                    limits::MAX_NUDGE_KELVIN
                ),
            ));
        }
    }
    for (i, o) in s.overrides.iter().enumerate() {
        session_time(o.since, &format!("state.overrides[{i}].since"))?;
        if let Target::Zone(zone) = &o.target
            && !policy.zones.contains(zone)
            && !scene.phases.iter().any(|p| p.light.contains_key(zone))
        {
            return Err(FieldError::new(
                format!("state.overrides[{i}].target"),
                format!("names the zone `{zone}`, which neither the room nor the scene has"),
            ));
        }
    }
    Ok(())
}

fn look(l: Look, field: &str) -> Checked {
    let brightness = f64::from(l.brightness);
    if !(l.brightness.is_finite() && limits::LOOK_BRIGHTNESS.contains(&brightness)) {
        return Err(FieldError::new(
            format!("{field}.brightness"),
            format!("is {brightness}, outside 0 to 100 %"),
        ));
    }
    if !limits::LOOK_KELVIN.contains(&i64::from(l.kelvin)) {
        return Err(FieldError::new(
            format!("{field}.kelvin"),
            format!(
                "is {} K, outside {} to {} K",
                l.kelvin,
                limits::LOOK_KELVIN.start(),
                limits::LOOK_KELVIN.end()
            ),
        ));
    }
    Ok(())
}

fn level(db: f32, field: &str) -> Checked {
    if !(db.is_finite() && (limits::MIN_SCENE_LEVEL_DB..=0.0).contains(&db)) {
        return Err(FieldError::new(
            field,
            format!("is {db} dB, outside {} to 0 dB", limits::MIN_SCENE_LEVEL_DB),
        ));
    }
    Ok(())
}

fn within(value: f64, range: &std::ops::RangeInclusive<f64>, field: &str, unit: &str) -> Checked {
    if !range.contains(&value) {
        return Err(FieldError::new(
            field,
            format!(
                "is {value}{unit}, outside {} to {}{unit}",
                range.start(),
                range.end()
            ),
        ));
    }
    Ok(())
}

fn at_most(duration: Millis, max: Millis, field: &str) -> Checked {
    if duration > max {
        return Err(FieldError::new(
            field,
            format!(
                "is {}, longer than the {} allowed",
                format_duration(duration),
                format_duration(max)
            ),
        ));
    }
    Ok(())
}

fn session_time(time: Millis, field: &str) -> Checked {
    at_most(time, limits::MAX_SESSION_TIME, field)
}

fn index(index: usize, len: usize, field: &str) -> Checked {
    if index >= len {
        return Err(FieldError::new(
            field,
            format!("is {index}, but the scene has only {len} phases (counted from 0)"),
        ));
    }
    Ok(())
}
