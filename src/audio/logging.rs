//! [`LoggingAudio`]: an audio output that only says, through tracing, what it would play.
//! It stands in until the real player exists and keeps rehearsals silent.

use crate::time::{Millis, format_duration};
use crate::timeline::MusicTarget;

use super::AudioOutput;

#[derive(Debug, Default)]
pub struct LoggingAudio {
    last: Option<MusicTarget>,
    skips: usize,
}

impl LoggingAudio {
    pub fn new() -> LoggingAudio {
        LoggingAudio::default()
    }

    /// The most recent target applied, so tests of the adapter can see what it was told.
    pub fn last_target(&self) -> Option<&MusicTarget> {
        self.last.as_ref()
    }

    pub fn skips(&self) -> usize {
        self.skips
    }
}

impl AudioOutput for LoggingAudio {
    fn apply(&mut self, target: &MusicTarget) {
        tracing::info!(
            playlist = target.playlist.as_deref().unwrap_or("(silence)"),
            level_db = target.level_db,
            muted = target.muted,
            paused = target.paused,
            fade = %format_duration(target.fade),
            "audio: glide to target"
        );
        self.last = Some(target.clone());
    }

    fn skip(&mut self, crossfade: Millis, to: Option<&str>) {
        tracing::info!(crossfade = %format_duration(crossfade), to, "audio: skip");
        self.skips += 1;
    }

    fn describe(&self) -> String {
        "logging (no sound; prints what it would play)".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_what_it_was_told() {
        let mut audio = LoggingAudio::new();
        assert!(audio.last_target().is_none());
        let mut target = MusicTarget::silence();
        target.playlist = Some("onset".into());
        target.level_db = -12.0;
        audio.apply(&target);
        audio.skip(Millis::from_secs(8), None);
        assert_eq!(audio.last_target(), Some(&target));
        assert_eq!(audio.skips(), 1);
    }
}
