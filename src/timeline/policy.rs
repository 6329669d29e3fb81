//! The room's standing rules the core applies on top of any scene: override looks, fade
//! times and volume limits. They come from the daemon config, not the scene, because they are
//! the clinic's safety choices and must not vary with whoever wrote a scene.

use serde::{Deserialize, Serialize};

use crate::scene::Look;
use crate::time::Millis;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Every zone of the room, so that a room-wide override reaches lights the scene never names.
    pub zones: Vec<String>,
    pub emergency: OverrideLook,
    pub check: OverrideLook,
    /// How far `check` ducks the music, in dB.
    pub check_duck_db: f32,
    /// The low light `pause --walk` leaves on for a bathroom escort.
    pub walk: OverrideLook,
    /// How slowly the scene comes back after an override ends.
    pub resume_fade: Millis,
    pub mute_fade: Millis,
    pub pause_fade: Millis,
    pub stop_fade: Millis,
    pub emergency_music_fade: Millis,
    pub skip_crossfade: Millis,
    /// Volume nudges glide over this long.
    pub volume_ramp: Millis,
    /// The largest single volume nudge accepted, in dB; a larger one is refused as a likely typo.
    pub max_volume_step_db: f32,
    /// How far above the scene's own level nudges may take the music (still never above 0 dB).
    pub max_volume_boost_db: f32,
    /// The largest single light nudge accepted, in brightness points and kelvin; a larger one
    /// is refused as a likely typo (`+80` meant as `+8`), as a volume step is. Absent from state
    /// files written before it was kept.
    #[serde(default = "default_light_step")]
    pub max_light_step_percent: f32,
    #[serde(default = "default_kelvin_step")]
    pub max_kelvin_step: i32,
    /// How long a clinical prompt may wait unacknowledged, in timeline time, before the
    /// therapist is reminded of it again (`[session] prompt_reminder`).
    #[serde(default = "default_prompt_reminder")]
    pub prompt_reminder: Millis,
}

pub fn default_prompt_reminder() -> Millis {
    Millis::from_mins(10)
}

fn default_light_step() -> f32 {
    25.0
}

fn default_kelvin_step() -> i32 {
    1000
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct OverrideLook {
    pub look: Look,
    pub fade: Millis,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            zones: vec!["room".into()],
            emergency: OverrideLook {
                look: Look {
                    brightness: 100.0,
                    kelvin: 4000,
                },
                fade: Millis(500),
            },
            check: OverrideLook {
                look: Look {
                    brightness: 50.0,
                    kelvin: 3300,
                },
                fade: Millis(2500),
            },
            check_duck_db: 18.0,
            walk: OverrideLook {
                look: Look {
                    brightness: 15.0,
                    kelvin: 2400,
                },
                fade: Millis(5000),
            },
            resume_fade: Millis::from_secs(30),
            mute_fade: Millis::from_secs(4),
            pause_fade: Millis::from_secs(4),
            stop_fade: Millis::from_secs(10),
            emergency_music_fade: Millis(1000),
            skip_crossfade: Millis::from_secs(8),
            volume_ramp: Millis::from_secs(2),
            max_volume_step_db: 6.0,
            max_volume_boost_db: 6.0,
            max_light_step_percent: default_light_step(),
            max_kelvin_step: default_kelvin_step(),
            prompt_reminder: default_prompt_reminder(),
        }
    }
}
