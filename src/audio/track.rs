//! Decoded tracks and their one-time conversion to the mixer's stereo output rate.
//!
//! Conversion happens once, when a track is loaded and off the audio thread, so the mixer only
//! ever copies samples. Other rates go through rubato's band-limited sinc resampler: linear
//! interpolation would alias audibly on the quiet, sustained material played here.
//!
//! Each track is resampled on its own, so a gapless join between two tracks that both need
//! resampling is exact in length but not in waveform: the filter rings for a few dozen frames
//! at each edge. Resampling a gapless album as one stream would fix that; not done yet.

use std::sync::Arc;
use std::time::Duration;

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{
    Async, FixedAsync, Resampler, SincInterpolationParameters, SincInterpolationType, WindowFunction,
};

use super::decode::Decoded;

/// A decoded track as it came out of the file.
#[derive(Debug, Clone)]
pub struct Track {
    /// Identifies the track in mixer state and reports; chosen by the caller.
    pub id: u64,
    /// Interleaved samples, `channels` per frame.
    pub samples: Arc<[f32]>,
    pub rate: u32,
    pub channels: u16,
    /// Static trim for this track (loudness normalisation and the playlist's own trim).
    pub gain_db: f32,
}

impl Track {
    pub fn from_decoded(id: u64, decoded: Decoded, gain_db: f32) -> Self {
        Track {
            id,
            rate: decoded.info.sample_rate,
            channels: decoded.info.channels,
            samples: decoded.samples.into(),
            gain_db,
        }
    }
}

/// The loudness every track is levelled to when nothing else is configured: EBU R 128's
/// programme level. Quiet, sustained music sits well there with room below the ceiling, so
/// the limiter rarely has to act.
pub const DEFAULT_TARGET_LUFS: f64 = -23.0;

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

/// A track at the mixer's rate, interleaved stereo, ready to be queued.
#[derive(Debug, Clone)]
pub struct PreparedTrack {
    pub id: u64,
    pub stereo: Arc<[f32]>,
    pub gain_db: f32,
    /// The playlist's fade-in from the first frame and fade-out to the last (equal power).
    pub fade_in: Duration,
    pub fade_out: Duration,
}

impl PreparedTrack {
    pub fn frames(&self) -> usize {
        self.stereo.len() / 2
    }

    /// The rest of the track from `frame` on, or `None` if it ends before then. The track's
    /// own fade-in is dropped: it belongs to its first frame, and a start mid-track brings its
    /// own fade. Copies the tail, so it is for a one-off start, not the audio path.
    pub fn from_frame(self, frame: usize) -> Option<Self> {
        if frame >= self.frames() {
            return None;
        }
        Some(PreparedTrack {
            stereo: self.stereo[frame * 2..].into(),
            fade_in: Duration::ZERO,
            ..self
        })
    }

    pub fn with_fades(mut self, fade_in: Duration, fade_out: Duration) -> Self {
        self.fade_in = fade_in;
        self.fade_out = fade_out;
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error("track {id}: {channels} channels; only mono and stereo are played")]
    Channels { id: u64, channels: u16 },
    #[error("track {id}: sample rate {rate} Hz is not usable")]
    Rate { id: u64, rate: u32 },
    #[error("track {id}: cannot set up the resampler")]
    ResamplerSetup {
        id: u64,
        #[source]
        source: rubato::ResamplerConstructionError,
    },
    #[error("track {id}: resampling failed")]
    Resample {
        id: u64,
        #[source]
        source: rubato::ResampleError,
    },
}

/// Upmixes mono to stereo and resamples to `output_rate` if needed.
pub fn prepare(track: &Track, output_rate: u32) -> Result<PreparedTrack, PrepareError> {
    let id = track.id;
    let stereo: Arc<[f32]> = match track.channels {
        1 => track.samples.iter().flat_map(|&s| [s, s]).collect(),
        2 => track.samples.clone(),
        channels => return Err(PrepareError::Channels { id, channels }),
    };
    if track.rate == 0 {
        return Err(PrepareError::Rate { id, rate: track.rate });
    }
    let stereo = if track.rate == output_rate {
        stereo
    } else {
        resample(id, &stereo, track.rate, output_rate)?.into()
    };
    Ok(PreparedTrack {
        id,
        stereo,
        gain_db: track.gain_db,
        fade_in: Duration::ZERO,
        fade_out: Duration::ZERO,
    })
}

fn resample(id: u64, stereo: &[f32], from: u32, to: u32) -> Result<Vec<f32>, PrepareError> {
    let frames = stereo.len() / 2;
    if frames == 0 {
        return Ok(Vec::new());
    }
    let window = WindowFunction::BlackmanHarris2;
    let sinc_len = 128;
    let parameters = SincInterpolationParameters {
        sinc_len,
        f_cutoff: None,
        oversampling_factor: 256,
        interpolation: SincInterpolationType::Cubic,
        window,
    };
    let ratio = f64::from(to) / f64::from(from);
    let mut resampler = Async::<f32>::new_sinc(ratio, 1.0, &parameters, 1024, 2, FixedAsync::Input)
        .map_err(|source| PrepareError::ResamplerSetup { id, source })?;
    let input = InterleavedSlice::new(stereo, 2, frames).expect("length is whole stereo frames");
    let output = resampler
        .process_all(&input, frames, None)
        .map_err(|source| PrepareError::Resample { id, source })?;
    // rubato rounds the length up; the exact rational length keeps a resampled playlist in
    // step with its source durations.
    let exact = (frames as u64 * u64::from(to)).div_ceil(u64::from(from)) as usize;
    let mut data = output.take_data();
    data.resize(exact * 2, 0.0);
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(samples: Vec<f32>, rate: u32, channels: u16) -> Track {
        Track {
            id: 7,
            samples: samples.into(),
            rate,
            channels,
            gain_db: 0.0,
        }
    }

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
    fn mono_is_copied_to_both_sides() {
        let prepared = prepare(&track(vec![0.1, 0.2, 0.3], 48_000, 1), 48_000).unwrap();
        assert_eq!(&*prepared.stereo, &[0.1, 0.1, 0.2, 0.2, 0.3, 0.3]);
    }

    #[test]
    fn more_than_two_channels_is_refused() {
        let err = prepare(&track(vec![0.0; 12], 48_000, 6), 48_000).unwrap_err();
        assert!(matches!(err, PrepareError::Channels { channels: 6, .. }));
    }

    /// Amplitude and phase of `signal` at `freq`, fitted over `range` (a whole number of cycles).
    fn fit(signal: &[f32], freq: f64, rate: u32, range: std::ops::Range<usize>) -> (f64, f64) {
        let n = range.len() as f64;
        let (mut s, mut c) = (0.0, 0.0);
        for i in range {
            let phase = std::f64::consts::TAU * freq * i as f64 / f64::from(rate);
            s += f64::from(signal[i]) * phase.sin();
            c += f64::from(signal[i]) * phase.cos();
        }
        (2.0 * s.hypot(c) / n, c.atan2(s))
    }

    #[test]
    fn resampling_keeps_duration_pitch_and_level() {
        let (from, to) = (44_100, 48_000);
        let freq = 441.0;
        let sine: Vec<f32> = (0..from)
            .map(|i| (0.5 * (std::f64::consts::TAU * freq * f64::from(i) / f64::from(from)).sin()) as f32)
            .collect();
        let prepared = prepare(&track(sine, from, 1), to).unwrap();
        assert_eq!(prepared.frames(), to as usize);
        let left: Vec<f32> = prepared.stereo.iter().step_by(2).copied().collect();
        // Away from the edges: the same level, and the same phase in both halves, so the same
        // pitch; the whole stays within a fraction of a sample of where it was.
        let (amp_a, phase_a) = fit(&left, freq, to, 4_800..24_000);
        let (amp_b, phase_b) = fit(&left, freq, to, 24_000..43_200);
        assert!(
            (amp_a - 0.5).abs() < 1e-3 && (amp_b - 0.5).abs() < 1e-3,
            "{amp_a} {amp_b}"
        );
        assert!(
            (phase_a - phase_b).abs() < 1e-3,
            "pitch drifts: {phase_a} vs {phase_b}"
        );
        let offset = phase_a / (std::f64::consts::TAU * freq / f64::from(to));
        assert!(offset.abs() < 0.5, "shifted by {offset} samples");
    }
}
