//! Offline rendering: pulls the mixer as fast as it will go and writes what a device would have
//! played to a WAV file.
//!
//! Samples are written as 32-bit float so the file holds exactly the mixer's output, not a
//! re-quantised copy; measurements on it then measure the mixer.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
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

/// A 32-bit float stereo WAV file written a block at a time. Byte for byte what
/// `hound::WavWriter` writes for the same samples (its WAVE_FORMAT_EXTENSIBLE header), but a
/// block goes out as one copy rather than one checked call per sample, which showed in
/// profiles of long renders.
pub struct FloatWavWriter {
    file: BufWriter<File>,
    data_bytes: u64,
    bytes: Vec<u8>,
}

/// The header's length: RIFF, the 40-byte WAVE_FORMAT_EXTENSIBLE fmt chunk, the data chunk's.
const HEADER_BYTES: u64 = 68;
/// KSDATAFORMAT_SUBTYPE_IEEE_FLOAT.
const SUBTYPE_FLOAT: [u8; 16] = [
    0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
];

impl FloatWavWriter {
    pub fn create(path: &Path, rate: u32) -> Result<Self, hound::Error> {
        let mut file = BufWriter::with_capacity(1 << 16, File::create(path)?);
        let channels = CHANNELS as u16;
        let block_align = channels * 4;
        let mut header = Vec::with_capacity(HEADER_BYTES as usize);
        header.extend_from_slice(b"RIFF");
        header.extend_from_slice(&0u32.to_le_bytes());
        header.extend_from_slice(b"WAVEfmt ");
        header.extend_from_slice(&40u32.to_le_bytes());
        header.extend_from_slice(&0xfffeu16.to_le_bytes());
        header.extend_from_slice(&channels.to_le_bytes());
        header.extend_from_slice(&rate.to_le_bytes());
        header.extend_from_slice(&(rate * u32::from(block_align)).to_le_bytes());
        header.extend_from_slice(&block_align.to_le_bytes());
        header.extend_from_slice(&32u16.to_le_bytes()); // container bits
        header.extend_from_slice(&22u16.to_le_bytes()); // cbSize
        header.extend_from_slice(&32u16.to_le_bytes()); // valid bits
        header.extend_from_slice(&3u32.to_le_bytes()); // front left and right
        header.extend_from_slice(&SUBTYPE_FLOAT);
        header.extend_from_slice(b"data");
        header.extend_from_slice(&0u32.to_le_bytes());
        file.write_all(&header)?;
        Ok(FloatWavWriter {
            file,
            data_bytes: 0,
            bytes: Vec::new(),
        })
    }

    /// Appends interleaved stereo samples.
    pub fn write(&mut self, samples: &[f32]) -> Result<(), hound::Error> {
        self.bytes.clear();
        self.bytes.extend(samples.iter().flat_map(|s| s.to_le_bytes()));
        self.file.write_all(&self.bytes)?;
        self.data_bytes += self.bytes.len() as u64;
        Ok(())
    }

    /// Writes the sizes into the header and flushes: the file is complete. Past 4 GiB (over
    /// 3 h at 48 kHz) the sizes do not fit their 32 bits and are written as the largest they
    /// can be, which readers take as "to the end of the file".
    pub fn finalize(mut self) -> Result<(), hound::Error> {
        let size = |bytes: u64| u32::try_from(bytes).unwrap_or(u32::MAX);
        let data = size(self.data_bytes);
        self.file.seek(SeekFrom::Start(4))?;
        self.file
            .write_all(&size(self.data_bytes + HEADER_BYTES - 8).to_le_bytes())?;
        self.file.seek(SeekFrom::Start(HEADER_BYTES - 4))?;
        self.file.write_all(&data.to_le_bytes())?;
        self.file.flush()?;
        Ok(())
    }
}

/// Renders `mixer` into `path`; returns the number of frames written.
pub fn render_to_wav(mixer: &mut Mixer, path: &Path, length: RenderLength) -> Result<u64, WavError> {
    let error = |source| WavError::Write {
        path: path.to_owned(),
        source,
    };
    let mut writer = FloatWavWriter::create(path, mixer.rate()).map_err(error)?;
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
        writer.write(&block[..rendered * CHANNELS]).map_err(error)?;
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
    fn float_writer_writes_what_hound_writes_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let samples: Vec<f32> = (0..20_000)
            .map(|i| ((i as f32) * 0.013).sin() * 0.9 - 1e-7 * i as f32)
            .chain([f32::MIN_POSITIVE, -0.0, 1.0, -1.0])
            .collect();
        let ours = dir.path().join("ours.wav");
        let mut writer = FloatWavWriter::create(&ours, 44_100).unwrap();
        // In uneven blocks, as a render writes them.
        for block in samples.chunks(2 * 777) {
            writer.write(block).unwrap();
        }
        writer.finalize().unwrap();
        let theirs = dir.path().join("hound.wav");
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 44_100,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut writer = hound::WavWriter::create(&theirs, spec).unwrap();
        for &sample in &samples {
            writer.write_sample(sample).unwrap();
        }
        writer.finalize().unwrap();
        let (ours, theirs) = (std::fs::read(ours).unwrap(), std::fs::read(theirs).unwrap());
        assert_eq!(ours.len(), 68 + samples.len() * 4);
        assert!(ours == theirs, "the files differ");
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
