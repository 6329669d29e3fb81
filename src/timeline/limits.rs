//! The bounds the room's policy and a session's state are held to: by the config that sets
//! the policy, and again when a saved session (which carries its own copy) is read back, so
//! that a state file cannot bring back an emergency that lights nothing or a 1000 dB boost.

use std::ops::RangeInclusive;

use crate::time::Millis;

/// Colour temperatures a look may have, in kelvin.
pub const LOOK_KELVIN: RangeInclusive<i64> = 1000..=10_000;
/// Brightness of a look, in percent.
pub const LOOK_BRIGHTNESS: RangeInclusive<f64> = 0.0..=100.0;

/// What an override look may be.
pub struct LookLimits {
    pub min_brightness: f64,
    pub max_fade: Millis,
}

/// The emergency look must light the room, and at once.
pub const EMERGENCY_LOOK: LookLimits = LookLimits {
    min_brightness: 50.0,
    max_fade: Millis::from_secs(5),
};
pub const CHECK_LOOK: LookLimits = LookLimits {
    min_brightness: 0.0,
    max_fade: Millis::from_secs(30),
};
pub const WALK_LOOK: LookLimits = LookLimits {
    min_brightness: 0.0,
    max_fade: Millis::from_secs(60),
};

pub const CHECK_DUCK_DB: RangeInclusive<f64> = 0.0..=60.0;
pub const MAX_VOLUME_STEP_DB: RangeInclusive<f64> = 0.5..=12.0;
pub const MAX_VOLUME_BOOST_DB: RangeInclusive<f64> = 0.0..=12.0;
pub const MAX_LIGHT_STEP_PERCENT: RangeInclusive<f64> = 1.0..=100.0;
pub const MAX_KELVIN_STEP: RangeInclusive<f64> = 50.0..=5000.0;

/// The longest `resume_fade`.
pub const MAX_RESUME_FADE: Millis = Millis::from_mins(10);
/// The longest `emergency_music_fade`: the music must be out of the way at once.
pub const MAX_EMERGENCY_MUSIC_FADE: Millis = Millis::from_secs(5);
/// The longest of the other music fades (mute, pause, stop, skip, volume).
pub const MAX_MUSIC_FADE: Millis = Millis::from_secs(60);

/// How long a clinical prompt may wait before it is reminded of again: often enough to
/// matter, never so often that reminders bury the screen.
pub const PROMPT_REMINDER: RangeInclusive<Millis> = Millis::from_mins(1)..=Millis::from_mins(120);

/// No session runs for a month: session and timeline times past this are a damaged state,
/// and would overflow the clock's arithmetic long before they meant anything.
pub const MAX_SESSION_TIME: Millis = Millis::from_mins(30 * 24 * 60);

/// How far the accumulated light nudges of a zone may go (the core clamps them so).
pub const MAX_NUDGE_BRIGHTNESS: f32 = 100.0;
pub const MAX_NUDGE_KELVIN: i32 = 5000;

/// The quietest a scene's music may be set, in dB below the ceiling; never above 0.
pub const MIN_SCENE_LEVEL_DB: f32 = -60.0;
