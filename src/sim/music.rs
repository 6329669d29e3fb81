//! A model of what the room hears: the music targets the core sends, as the player would take
//! them, checked as they arrive. Never above the ceiling; never a change of what is heard
//! without a glide (the policy's fades are all longer than zero).

use crate::time::Millis;
use crate::timeline::MusicTarget;

use super::Violation;

#[derive(Default)]
pub struct Music {
    /// What the player was last told, `None` before anything or after the daemon died.
    heard: Option<MusicTarget>,
    pub changes: u64,
}

/// What comes out of the speakers: a playlist at a level, or nothing.
fn audible(target: Option<&MusicTarget>) -> Option<(&str, f32)> {
    let t = target?;
    if t.muted || t.paused {
        return None;
    }
    Some((t.playlist.as_deref()?, t.level_db))
}

impl Music {
    pub fn apply(&mut self, target: &MusicTarget) -> Result<(), Violation> {
        if !target.level_db.is_finite() || target.level_db > 0.0 {
            return Err(Violation::new(
                "music above the ceiling",
                format!(
                    "the player was sent {:.2} dB over the ceiling: {target:?}",
                    target.level_db
                ),
            ));
        }
        let before = audible(self.heard.as_ref());
        let after = audible(Some(target));
        let changed = match (before, after) {
            (Some((a, la)), Some((b, lb))) => a != b || (la - lb).abs() > 0.01,
            (None, None) => false,
            _ => true,
        };
        if changed {
            self.changes += 1;
            if target.fade == Millis::ZERO {
                return Err(Violation::new(
                    "music jump",
                    format!("{before:?} to {after:?} with no fade: {target:?}"),
                ));
            }
        }
        self.heard = Some(target.clone());
        Ok(())
    }

    pub fn skip(&mut self, crossfade: Millis) -> Result<(), Violation> {
        if crossfade == Millis::ZERO && audible(self.heard.as_ref()).is_some() {
            return Err(Violation::new("music jump", "a skip with no crossfade".into()));
        }
        Ok(())
    }

    /// The daemon died: the player with it.
    pub fn silence(&mut self) {
        self.heard = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn playing(level_db: f32, fade: u64) -> MusicTarget {
        MusicTarget {
            playlist: Some("peak".into()),
            level_db,
            fade: Millis(fade),
            ..MusicTarget::silence()
        }
    }

    #[test]
    fn a_change_without_a_fade_is_a_jump_and_a_glide_is_not() {
        let mut music = Music::default();
        music.apply(&playing(-20.0, 10_000)).unwrap();
        music.apply(&playing(-14.0, 2000)).unwrap();
        // The same level again needs no fade.
        music.apply(&playing(-14.0, 0)).unwrap();
        let jump = music.apply(&playing(-8.0, 0)).unwrap_err();
        assert_eq!(jump.invariant, "music jump");
    }

    #[test]
    fn a_level_over_the_ceiling_is_refused_whatever_the_fade() {
        let mut music = Music::default();
        assert_eq!(
            music.apply(&playing(0.5, 10_000)).unwrap_err().invariant,
            "music above the ceiling"
        );
        assert!(music.apply(&playing(f32::NAN, 10_000)).is_err());
    }

    #[test]
    fn after_the_daemon_died_the_music_must_fade_back_in() {
        let mut music = Music::default();
        music.apply(&playing(-20.0, 10_000)).unwrap();
        music.silence();
        assert!(music.apply(&playing(-20.0, 0)).is_err());
    }
}
