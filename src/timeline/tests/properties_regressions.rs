//! Scenes the property tests found to break a rule, each pinned by a test named after it.

use std::path::Path;

use super::fixture::{Run, m, music, policy};
use crate::scene::{SceneContext, parse_scene};
use crate::time::Millis;
use crate::timeline::Command;

/// Two phases, the second cutting straight to louder music with `crossfade = "0s"`.
const ZERO_CROSSFADE: &str = r#"
title = "Zero crossfade"
kind = "preparation"

[[phase]]
id = "arrival"
title = "Arrival"
planned = "10m"
ends = "therapist"
music = { playlist = "preparation", level_db = -30, crossfade = "10s" }

[[phase]]
id = "practice"
title = "Practice"
planned = "10m"
ends = "therapist"
music = { playlist = "practice", level_db = -6, crossfade = "0s" }
"#;

/// Found by `volume_stays_under_the_ceiling_and_every_change_fades`: a scene could set a music
/// fade of zero (`crossfade`, a silence's `fade`, a music cue's `ramp`), which the core passed
/// on, so entering the phase jumped the gain by 24 dB at once. The validator now refuses it.
#[test]
fn a_zero_crossfade_in_a_scene_jumps_the_gain() {
    let zones = vec!["room".to_string()];
    let playlists = vec!["preparation".to_string(), "practice".to_string()];
    let ctx = SceneContext {
        zones: &zones,
        playlists: &playlists,
    };
    let scene = match parse_scene("zero", Path::new("zero.toml"), ZERO_CROSSFADE, &ctx) {
        // The validator refuses it, naming the field and where it is.
        Err(e) => {
            let text = e.to_string();
            assert!(
                text.contains("zero.toml:17:61:") && text.contains("crossfade"),
                "{text}"
            );
            return;
        }
        Ok(scene) => scene,
    };
    let mut run = Run::start(scene, policy(&["room"]));
    let out = run.cmd(m(5), Command::Next);
    let changes = music(&out);
    assert!(!changes.is_empty(), "entering the phase changes the music");
    for change in changes {
        assert!(change.fade > Millis::ZERO, "a gain jump: {change:?}");
    }
}
