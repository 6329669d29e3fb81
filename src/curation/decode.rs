//! Decoding one file fully with symphonia: what it is, how many frames it really holds, and
//! where it goes wrong. Samples can be handed to a sink (the loudness meter) on the way.

use std::fs::File;
use std::io::ErrorKind;
use std::path::Path;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CODEC_TYPE_MP3, CODEC_TYPE_NULL, DecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::{MetadataOptions, MetadataRevision, StandardTagKey};
use symphonia::core::probe::Hint;

/// What a full decode found.
#[derive(Debug)]
pub struct Decoded {
    /// The codec's short name (`flac`, `vorbis`, `mp3`, `pcm_s16le`).
    pub format: String,
    pub sample_rate: u32,
    pub channels: u16,
    /// Frames actually decoded, after gapless trimming.
    pub frames: u64,
    /// What the container's header announces, when it does.
    pub header_frames: Option<u64>,
    /// REPLAYGAIN_TRACK_GAIN from Vorbis comments or ID3, in dB.
    pub replaygain_db: Option<f64>,
    /// Whether the file says how much encoder delay and padding to trim. Only MP3 can lack
    /// it (no LAME/Xing header), and then it cannot join its neighbours gaplessly.
    pub gapless_info: bool,
    /// Why the stream ended before its header said it would, if it did.
    pub problem: Option<StreamProblem>,
}

impl Decoded {
    pub fn seconds(&self) -> f64 {
        if self.sample_rate == 0 {
            0.0
        } else {
            self.frames as f64 / f64::from(self.sample_rate)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StreamProblem {
    #[error(
        "truncated: {frames} of the {expected} frames its header announces; it is cut short, or \
         damaged data was skipped"
    )]
    Truncated { frames: u64, expected: u64 },
    /// The container's timestamps jump: the reader skipped damaged data to resync.
    #[error("corrupt: damaged data skipped {seconds:.1} s in ({missing} frames lost)")]
    Skipped { frames: u64, seconds: f64, missing: u64 },
    #[error("corrupt after {frames} frames: {source}")]
    Corrupt {
        frames: u64,
        #[source]
        source: SymError,
    },
}

/// Why a file could not be decoded at all.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("missing: no such file")]
    Missing,
    #[error("unreadable")]
    Unreadable(#[source] std::io::Error),
    #[error("corrupt: not a recognised audio file")]
    Unrecognised(#[source] SymError),
    #[error("corrupt: no audio track")]
    NoTrack,
    #[error("unsupported codec")]
    Unsupported(#[source] SymError),
}

/// Interleaved samples with the stream's rate and channel count.
pub type Sink<'a> = &'a mut dyn FnMut(u32, u16, &[f32]);

/// Decodes the whole file with gapless trimming on, so the frame count is what will play.
pub fn decode_file(path: &Path, mut sink: Option<Sink<'_>>) -> Result<Decoded, DecodeError> {
    let file = File::open(path).map_err(|e| match e.kind() {
        ErrorKind::NotFound => DecodeError::Missing,
        _ => DecodeError::Unreadable(e),
    })?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(DecodeError::Unreadable(std::io::Error::other("is a directory")));
    }
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    let options = FormatOptions {
        enable_gapless: true,
        ..Default::default()
    };
    let mut probed = symphonia::default::get_probe()
        .format(&hint, stream, &options, &MetadataOptions::default())
        .map_err(|e| match e {
            SymError::IoError(io) if io.kind() != ErrorKind::UnexpectedEof => DecodeError::Unreadable(io),
            e => DecodeError::Unrecognised(e),
        })?;
    // ID3 tags sit before the container and come with the probe; Vorbis comments with it.
    let mut replaygain_db = probed
        .metadata
        .get()
        .and_then(|m| m.current().and_then(replaygain));
    let mut format = probed.format;
    replaygain_db = replaygain_db.or_else(|| format.metadata().current().and_then(replaygain));
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or(DecodeError::NoTrack)?;
    let track_id = track.id;
    let params = track.codec_params.clone();
    let mut decoder = symphonia::default::get_codecs()
        .make(&params, &DecoderOptions::default())
        .map_err(DecodeError::Unsupported)?;
    let format_name = symphonia::default::get_codecs()
        .get_codec(params.codec)
        .map_or_else(|| "unknown".to_string(), |d| d.short_name.to_string());
    let mut decoded = Decoded {
        format: format_name,
        sample_rate: params.sample_rate.unwrap_or(0),
        channels: params.channels.map_or(0, |c| c.count() as u16),
        frames: 0,
        header_frames: params.n_frames,
        replaygain_db,
        gapless_info: params.codec != CODEC_TYPE_MP3 || params.delay.is_some() || params.padding.is_some(),
        problem: None,
    };
    let mut samples: Option<SampleBuffer<f32>> = None;
    // Readers resync past damaged data without an error; a jump in timestamps shows it.
    let mut next_ts: Option<u64> = None;
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            // The normal end of a stream, and also where a cut file ends: the frame count
            // below tells the two apart.
            Err(SymError::IoError(e)) if e.kind() == ErrorKind::UnexpectedEof => break,
            Err(source) => {
                decoded.problem = Some(StreamProblem::Corrupt {
                    frames: decoded.frames,
                    source,
                });
                break;
            }
        };
        if packet.track_id() != track_id {
            continue;
        }
        if let Some(expected) = next_ts
            && packet.ts() > expected
            && decoded.problem.is_none()
        {
            decoded.problem = Some(StreamProblem::Skipped {
                frames: decoded.frames,
                seconds: decoded.seconds(),
                missing: packet.ts() - expected,
            });
        }
        next_ts = Some(packet.ts() + packet.block_dur());
        let buffer = match decoder.decode(&packet) {
            Ok(b) => b,
            Err(SymError::IoError(e)) if e.kind() == ErrorKind::UnexpectedEof => break,
            // rodio skips these silently and plays on: a check must not.
            Err(source) => {
                decoded.problem = Some(StreamProblem::Corrupt {
                    frames: decoded.frames,
                    source,
                });
                break;
            }
        };
        decoded.frames += buffer.frames() as u64;
        if decoded.sample_rate == 0 {
            decoded.sample_rate = buffer.spec().rate;
        }
        if decoded.channels == 0 {
            decoded.channels = buffer.spec().channels.count() as u16;
        }
        if let Some(sink) = sink.as_mut() {
            let spec = *buffer.spec();
            let needed = buffer.capacity() as u64;
            let buf = match &mut samples {
                Some(b) if b.capacity() as u64 >= needed * spec.channels.count() as u64 => b,
                _ => samples.insert(SampleBuffer::new(needed, spec)),
            };
            buf.copy_interleaved_ref(buffer);
            sink(spec.rate, spec.channels.count() as u16, buf.samples());
        }
    }
    if decoded.problem.is_none()
        && let Some(expected) = decoded.header_frames
        && decoded.frames < expected
    {
        decoded.problem = Some(StreamProblem::Truncated {
            frames: decoded.frames,
            expected,
        });
    }
    Ok(decoded)
}

/// REPLAYGAIN_TRACK_GAIN, written like `-6.20 dB`.
fn replaygain(revision: &MetadataRevision) -> Option<f64> {
    revision.tags().iter().find_map(|tag| {
        let is_gain = tag.std_key == Some(StandardTagKey::ReplayGainTrackGain)
            || tag.key.eq_ignore_ascii_case("REPLAYGAIN_TRACK_GAIN");
        if !is_gain {
            return None;
        }
        let text = tag.value.to_string();
        text.trim()
            .trim_end_matches("dB")
            .trim_end_matches("db")
            .trim()
            .parse()
            .ok()
    })
}

/// Opens a file's container without decoding any audio; `None` when it is not one.
fn probe(path: &Path) -> Option<symphonia::core::probe::ProbeResult> {
    let file = File::open(path).ok()?;
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    let options = FormatOptions {
        enable_gapless: true,
        ..Default::default()
    };
    symphonia::default::get_probe()
        .format(&hint, stream, &options, &MetadataOptions::default())
        .ok()
}

/// REPLAYGAIN_TRACK_GAIN from the file's tags, read without decoding any audio.
pub fn replaygain_tag(path: &Path) -> Option<f64> {
    let mut probed = probe(path)?;
    let tagged = probed
        .metadata
        .get()
        .and_then(|m| m.current().and_then(replaygain));
    tagged.or_else(|| probed.format.metadata().current().and_then(replaygain))
}

/// The length the container's header announces, without decoding: quick, and good enough
/// for an M3U's `#EXTINF`, but only `check` knows whether the file really is that long.
pub fn header_seconds(path: &Path) -> Option<f64> {
    let probed = probe(path)?;
    let params = &probed.format.default_track()?.codec_params;
    Some(params.n_frames? as f64 / f64::from(params.sample_rate?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 16-bit mono WAV whose header announces `frames` but which holds only `written`.
    fn wav(frames: u32, written: u32) -> Vec<u8> {
        let mut out = b"RIFF".to_vec();
        out.extend_from_slice(&(36 + frames * 2).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt \x10\0\0\0\x01\0\x01\0");
        out.extend_from_slice(&8000u32.to_le_bytes());
        out.extend_from_slice(&16000u32.to_le_bytes());
        out.extend_from_slice(b"\x02\0\x10\0data");
        out.extend_from_slice(&(frames * 2).to_le_bytes());
        for i in 0..written {
            out.extend_from_slice(&((i % 100) as i16 * 100).to_le_bytes());
        }
        out
    }

    #[test]
    fn counts_every_frame_and_hands_them_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wav");
        std::fs::write(&path, wav(8000, 8000)).unwrap();
        let mut seen = 0;
        let mut sink = |rate: u32, channels: u16, samples: &[f32]| {
            assert_eq!((rate, channels), (8000, 1));
            seen += samples.len();
        };
        let d = decode_file(&path, Some(&mut sink)).unwrap();
        assert_eq!(
            (d.format.as_str(), d.sample_rate, d.channels, d.frames),
            ("pcm_s16le", 8000, 1, 8000)
        );
        assert_eq!(d.seconds(), 1.0);
        assert!(d.problem.is_none() && d.gapless_info);
        assert_eq!(seen, 8000);
    }

    #[test]
    fn a_cut_file_is_truncated_and_a_missing_one_missing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.wav");
        std::fs::write(&path, wav(8000, 5000)).unwrap();
        let d = decode_file(&path, None).unwrap();
        assert!(
            matches!(d.problem, Some(StreamProblem::Truncated { frames, expected: 8000 }) if frames <= 5000),
            "{d:?}"
        );
        assert!(matches!(
            decode_file(&dir.path().join("gone.wav"), None),
            Err(DecodeError::Missing)
        ));
        assert!(matches!(
            decode_file(dir.path(), None),
            Err(DecodeError::Unreadable(_))
        ));
    }
}
