//! Offline rendering: pulls the mixer as fast as it will go and writes what a device would have
//! played to a WAV file.
//!
//! Samples are written as 32-bit float so the file holds exactly the mixer's output, not a
//! re-quantised copy; measurements on it then measure the mixer.

use std::path::{Path, PathBuf};

use super::mixer::{CHANNELS, Mixer};

/// How much to render.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RenderLength {
    /// Exactly this many seconds, silence included.
    Seconds(f64),
    /// Until the last queued frame has played (and not a frame more), but never longer than
    /// this many seconds.
    UntilIdle { max_seconds: f64 },
}

#[derive(Debug, thiserror::Error)]
pub enum WavError {
    #[error("{}: cannot write WAV", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: hound::Error,
    },
}

const BLOCK_FRAMES: usize = 4096;

/// Renders `mixer` into `path`; returns the number of frames written.
pub fn render_to_wav(mixer: &mut Mixer, path: &Path, length: RenderLength) -> Result<u64, WavError> {
    let error = |source| WavError::Write {
        path: path.to_owned(),
        source,
    };
    let spec = hound::WavSpec {
        channels: CHANNELS as u16,
        sample_rate: mixer.rate(),
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut writer = hound::WavWriter::create(path, spec).map_err(error)?;
    let (limit, until_idle) = match length {
        RenderLength::Seconds(s) => (s, false),
        RenderLength::UntilIdle { max_seconds } => (max_seconds, true),
    };
    let limit = (limit.max(0.0) * f64::from(mixer.rate())).round() as u64;
    let mut block = vec![0.0f32; BLOCK_FRAMES * CHANNELS];
    let mut written = 0u64;
    while written < limit {
        let frames = (limit - written).min(BLOCK_FRAMES as u64) as usize;
        let block = &mut block[..frames * CHANNELS];
        let rendered = if until_idle {
            mixer.render_until_done(block)
        } else {
            mixer.render(block);
            frames
        };
        for &sample in &block[..rendered * CHANNELS] {
            writer.write_sample(sample).map_err(error)?;
        }
        written += rendered as u64;
        if rendered < frames {
            break;
        }
    }
    writer.finalize().map_err(error)?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::mixer::{Join, MixerConfig};
    use crate::audio::track::PreparedTrack;

    fn mixer() -> Mixer {
        Mixer::new(&MixerConfig {
            rate: 1000,
            ceiling_db: 0.0,
            level_db: 0.0,
            max_slew_db_per_second: 60.0,
        })
    }

    #[test]
    fn renders_exact_seconds_of_silence() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("silence.wav");
        let frames = render_to_wav(&mut mixer(), &path, RenderLength::Seconds(2.5)).unwrap();
        assert_eq!(frames, 2500);
        let reader = hound::WavReader::open(&path).unwrap();
        assert_eq!(reader.spec().channels, 2);
        assert_eq!(reader.len(), 5000);
    }

    #[test]
    fn until_idle_stops_after_the_queue_and_keeps_every_sample() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("track.wav");
        let samples: Vec<f32> = (0..6000).map(|i| (i % 100) as f32 / 1000.0).collect();
        let mut mixer = mixer();
        mixer.enqueue(PreparedTrack::in_memory(1, &samples), Join::Gapless);
        let limit = RenderLength::UntilIdle { max_seconds: 60.0 };
        let frames = render_to_wav(&mut mixer, &path, limit).unwrap();
        // It ends on the track's last frame: no trailing silence, nothing cut.
        assert_eq!(frames, 3000);
        let written: Vec<f32> = hound::WavReader::open(&path)
            .unwrap()
            .samples::<f32>()
            .map(Result::unwrap)
            .collect();
        assert_eq!(written, samples);
    }
}
