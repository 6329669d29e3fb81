//! A track as the mixer takes it: its frames arriving through a bounded [`feed`](super::feed)
//! at the output rate, stereo, with its static gain and its playlist fades; and the gain that
//! levels a track to the loudness target.

use std::time::Duration;

use super::feed::{FeedReader, from_samples};
pub use super::resample::PrepareError;

/// Normalisation never lifts a track by more than this: a near-silent track (or a wrong
/// measurement) must not be boosted into noise.
pub const MAX_BOOST_DB: f64 = 12.0;

/// What playing mono on both speakers adds to its loudness: BS.1770 sums the channels' power,
/// and a file is measured with the channels it has.
const MONO_ON_TWO_SPEAKERS_DB: f64 = 3.0103;

/// The static gain a track plays at: the distance from its loudness as played (measured, on
/// `channels` channels) to the target, 0 dB when it has not been measured, plus the playlist's
/// own trim.
pub fn normalisation_db(target_lufs: f64, measured_lufs: Option<f64>, channels: u16, trim_db: f32) -> f32 {
    let upmix = if channels == 1 {
        MONO_ON_TWO_SPEAKERS_DB
    } else {
        0.0
    };
    let levelling = measured_lufs.map_or(0.0, |lufs| (target_lufs - lufs - upmix).min(MAX_BOOST_DB));
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

    #[test]
    fn normalisation_levels_to_the_target_as_played() {
        assert_eq!(normalisation_db(-23.0, Some(-13.0), 2, -1.5), -11.5);
        assert_eq!(
            normalisation_db(-23.0, None, 2, 2.0),
            2.0,
            "unmeasured: the trim alone"
        );
        assert_eq!(normalisation_db(-23.0, Some(-60.0), 2, 0.0), MAX_BOOST_DB as f32);
        let mono = normalisation_db(-23.0, Some(-23.0), 1, 0.0);
        assert!((mono + 3.01).abs() < 0.01, "{mono}");
    }

    #[test]
    fn an_in_memory_track_plays_its_samples() {
        let mut track = PreparedTrack::in_memory(7, &[0.1, 0.1, 0.2, 0.2]);
        assert_eq!(track.feed.end(), Some(2));
        assert_eq!(track.feed.next_frame(), Some([0.1, 0.1]));
    }
}
