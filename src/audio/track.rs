//! A track as the mixer takes it: its frames arriving through a bounded [`feed`](super::feed)
//! at the output rate, stereo, with its static gain and its playlist fades; and the gain that
//! levels a track to the loudness target.

use std::time::Duration;

use super::feed::{FeedReader, from_samples};
pub use super::resample::PrepareError;

use crate::config::{AudioConfig, DEFAULT_CEILING_DB, DEFAULT_MAX_BOOST_DB, DEFAULT_TARGET_LUFS};

/// What playing mono on both speakers adds to its loudness: BS.1770 sums the channels' power,
/// and a file is measured with the channels it has.
const MONO_ON_TWO_SPEAKERS_DB: f64 = 3.0103;

/// What levelling aims at, and how far it may lift a track.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LevelTarget {
    /// The loudness every measured track is levelled to, in LUFS.
    pub target_lufs: f64,
    /// The largest lift: a near-silent track (or a wrong measurement) must not be boosted into
    /// noise.
    pub max_boost_db: f64,
    /// The output's true-peak ceiling: a lift never takes a track's true peak past it, so a
    /// quiet track is lifted as far as it has headroom, and no further, rather than into the
    /// limiter.
    pub ceiling_db: f64,
}

impl LevelTarget {
    pub fn of(audio: &AudioConfig) -> LevelTarget {
        LevelTarget {
            target_lufs: audio.target_lufs,
            max_boost_db: audio.max_boost_db,
            ceiling_db: f64::from(audio.ceiling_db),
        }
    }
}

impl Default for LevelTarget {
    fn default() -> Self {
        LevelTarget {
            target_lufs: DEFAULT_TARGET_LUFS,
            max_boost_db: DEFAULT_MAX_BOOST_DB,
            ceiling_db: f64::from(DEFAULT_CEILING_DB),
        }
    }
}

/// A track's loudness as known before it plays.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct KnownLoudness {
    pub lufs: Option<f64>,
    /// Its true peak as measured (a ReplayGain tag alone does not say).
    pub true_peak_dbtp: Option<f64>,
}

/// The loudest a track of unknown loudness can play: a stereo sine at full scale measures
/// 0 LUFS, and real masters, however loud, measure below it. Levelled from here, an unmeasured
/// track can come out quieter than the target, never louder.
pub const LOUDEST_UNMEASURED_LUFS: f64 = 0.0;

/// The static gain a track plays at: the distance from its loudness as played (measured, on
/// `channels` channels) to the target, plus the playlist's own trim. A lift is held to
/// `max_boost_db` and to the true peak's headroom under the ceiling. A track whose loudness is
/// not known (its measurement did not finish in time) is taken to be as loud as a track can be
/// ([`LOUDEST_UNMEASURED_LUFS`]): it may play quiet, but never jumps out.
pub fn normalisation_db(level: &LevelTarget, known: KnownLoudness, channels: u16, trim_db: f32) -> f32 {
    let upmix = if channels == 1 {
        MONO_ON_TWO_SPEAKERS_DB
    } else {
        0.0
    };
    let headroom = known
        .true_peak_dbtp
        .map_or(f64::INFINITY, |peak| level.ceiling_db - peak);
    let most = level.max_boost_db.min(headroom).max(0.0);
    let levelling = match known.lufs {
        Some(lufs) => (level.target_lufs - lufs - upmix).min(most),
        None => (level.target_lufs - LOUDEST_UNMEASURED_LUFS).min(0.0),
    };
    levelling as f32 + trim_db
}

/// A track at the mixer's rate, interleaved stereo, ready to be queued. Its frames come through
/// `feed` as the loader makes them, so it holds a bounded read-ahead, never the whole track.
#[derive(Debug)]
pub struct PreparedTrack {
    pub id: u64,
    pub feed: FeedReader,
    pub gain_db: f32,
    /// The playlist's fade-in from the first frame and fade-out to the last (equal power).
    pub fade_in: Duration,
    pub fade_out: Duration,
    /// Frames at the head of the feed before the track's first sample: its resampled lead-in,
    /// heard only over the tail of the track it follows in a gapless run, passed over otherwise.
    pub lead_in: u64,
    /// The track it was resampled after, as one gapless run.
    pub follows: Option<u64>,
}

impl PreparedTrack {
    /// A whole track from interleaved stereo samples already in memory.
    pub fn in_memory(id: u64, stereo: &[f32]) -> Self {
        PreparedTrack {
            id,
            feed: from_samples(stereo),
            gain_db: 0.0,
            fade_in: Duration::ZERO,
            fade_out: Duration::ZERO,
            lead_in: 0,
            follows: None,
        }
    }

    pub fn with_fades(mut self, fade_in: Duration, fade_out: Duration) -> Self {
        self.fade_in = fade_in;
        self.fade_out = fade_out;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lufs(lufs: f64) -> KnownLoudness {
        KnownLoudness {
            lufs: Some(lufs),
            true_peak_dbtp: None,
        }
    }

    #[test]
    fn normalisation_levels_to_the_target_as_played() {
        let level = LevelTarget::default();
        assert_eq!(normalisation_db(&level, lufs(-13.0), 2, -1.5), -11.5);
        assert_eq!(
            normalisation_db(&level, KnownLoudness::default(), 2, 2.0),
            (DEFAULT_TARGET_LUFS - LOUDEST_UNMEASURED_LUFS) as f32 + 2.0,
            "unmeasured: down to where the loudest master would be at the target, and the trim"
        );
        assert_eq!(normalisation_db(&level, lufs(-60.0), 2, 0.0), 20.0);
        let mono = normalisation_db(&level, lufs(-23.0), 1, 0.0);
        assert!((mono + 3.01).abs() < 0.01, "{mono}");
    }

    #[test]
    fn a_quiet_track_is_lifted_as_far_as_its_headroom_and_the_limit_allow() {
        let level = LevelTarget::default();
        // -41 LUFS with its true peak at -28.6 dBTP: 27.6 dB of headroom under -1 dBTP, so the
        // 18 dB it needs are all given.
        let quiet = KnownLoudness {
            lufs: Some(-41.0),
            true_peak_dbtp: Some(-28.6),
        };
        assert_eq!(normalisation_db(&level, quiet, 2, 0.0), 18.0);
        // The same loudness with peaks at -8 dBTP: only 7 dB fit under the ceiling.
        let peaky = KnownLoudness {
            true_peak_dbtp: Some(-8.0),
            ..quiet
        };
        assert_eq!(normalisation_db(&level, peaky, 2, 0.0), 7.0);
        // A tighter configured limit holds first.
        let careful = LevelTarget {
            max_boost_db: 12.0,
            ..level
        };
        assert_eq!(normalisation_db(&careful, quiet, 2, 0.0), 12.0);
        // A cut is never held back by the limits, even with no headroom at all.
        let loud = KnownLoudness {
            lufs: Some(-10.0),
            true_peak_dbtp: Some(0.5),
        };
        assert_eq!(normalisation_db(&level, loud, 2, 0.0), -13.0);
    }

    #[test]
    fn an_in_memory_track_plays_its_samples() {
        let mut track = PreparedTrack::in_memory(7, &[0.1, 0.1, 0.2, 0.2]);
        assert_eq!(track.feed.end(), Some(2));
        assert_eq!(track.feed.next_frame(), Some([0.1, 0.1]));
    }
}
