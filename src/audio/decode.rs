//! Decoding one audio file to interleaved f32 at its own rate, gapless-trimmed, telling a file
//! that ends early apart from one that ends normally. Both the player and the curators' tools
//! (`playlist check`, `analyze`) decode through here, so a file the check passes is a file
//! that plays.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::read_watch::{ReadWatch, WatchedFile};
use crate::safe_file::{self, FileKind, SafeFileError};
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{self, CODEC_TYPE_NULL, DecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::{MetadataOptions, MetadataRevision, StandardTagKey};
use symphonia::core::probe::{Hint, ProbeResult};

/// What a file holds, as far as its headers say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    /// Short codec name from symphonia ("flac", "mp3", "vorbis", "pcm_s16le", ...).
    pub codec: &'static str,
    pub sample_rate: u32,
    pub channels: u16,
    /// Frames the header promises after gapless trimming, when the header states it exactly.
    /// `None` for an MP3 without a LAME tag, whose length symphonia only estimates.
    pub header_frames: Option<u64>,
    /// Whether the file says how much encoder delay and padding to trim. Only MP3 can lack it
    /// (no LAME/Xing header), and then it cannot join its neighbours gaplessly.
    pub gapless: bool,
}

/// A whole file, decoded.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub info: StreamInfo,
    /// Interleaved, `info.channels` samples per frame.
    pub samples: Vec<f32>,
}

impl Decoded {
    pub fn frames(&self) -> u64 {
        (self.samples.len() / usize::from(self.info.channels.max(1))) as u64
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("{}: no such file", path.display())]
    Missing {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: cannot be read", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A FIFO, a device, a directory, or a link to one: opening or reading it could block the
    /// loader for ever (a FIFO with no writer) or never end (`/dev/zero`).
    #[error("{}: {kind}, not a regular file; only regular files are played", path.display())]
    NotRegular { path: PathBuf, kind: FileKind },
    #[error("{}: unsupported format or codec ({reason})", path.display())]
    Unsupported {
        path: PathBuf,
        reason: &'static str,
        #[source]
        source: Option<SymphoniaError>,
    },
    #[error("{}: corrupt data after {at_frame} frames", path.display())]
    Corrupt {
        path: PathBuf,
        at_frame: u64,
        #[source]
        source: SymphoniaError,
    },
    #[error("{}: truncated: ends after {decoded} frames{}", path.display(),
        expected.map(|e| format!(" of {e}")).unwrap_or_default())]
    Truncated {
        path: PathBuf,
        decoded: u64,
        expected: Option<u64>,
        #[source]
        source: Option<SymphoniaError>,
    },
}

impl DecodeError {
    pub fn path(&self) -> &Path {
        match self {
            DecodeError::Missing { path, .. }
            | DecodeError::NotRegular { path, .. }
            | DecodeError::Unreadable { path, .. }
            | DecodeError::Unsupported { path, .. }
            | DecodeError::Corrupt { path, .. }
            | DecodeError::Truncated { path, .. } => path,
        }
    }
}

/// Decodes a file packet by packet, so a player can start before the whole file is in memory.
pub struct Decoder {
    path: PathBuf,
    reader: Box<dyn FormatReader>,
    codec: Box<dyn codecs::Decoder>,
    track_id: u32,
    info: StreamInfo,
    decoded_frames: u64,
    /// Where the next packet should start, to notice packets the reader skipped.
    next_ts: Option<u64>,
    buffer: Option<SampleBuffer<f32>>,
    finished: bool,
    replaygain_db: Option<f64>,
}

impl Decoder {
    pub fn open(path: &Path) -> Result<Self, DecodeError> {
        Decoder::open_watched(path, &ReadWatch::new())
    }

    /// Opens `path` with its every read (and the open itself) seen by `watch`, so that whoever
    /// waits for this decoder can tell a read that has hung.
    pub fn open_watched(path: &Path, watch: &Arc<ReadWatch>) -> Result<Self, DecodeError> {
        let mut probed = probe(path, watch)?;
        // ID3 tags sit before the container and come with the probe; Vorbis comments with it.
        let replaygain_db = probed
            .metadata
            .get()
            .and_then(|m| m.current().and_then(replaygain))
            .or_else(|| probed.format.metadata().current().and_then(replaygain));
        let reader = probed.format;
        let unsupported = |reason| DecodeError::Unsupported {
            path: path.to_owned(),
            reason,
            source: None,
        };
        let track = reader
            .tracks()
            .iter()
            .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
            .ok_or_else(|| unsupported("no audio track"))?;
        let params = &track.codec_params;
        let sample_rate = params.sample_rate.ok_or_else(|| unsupported("no sample rate"))?;
        let channels = params
            .channels
            .map(|c| c.count() as u16)
            .filter(|&c| c > 0)
            .ok_or_else(|| unsupported("no channel layout"))?;
        let registry = symphonia::default::get_codecs();
        let codec_name = registry
            .get_codec(params.codec)
            .map_or("unknown", |d| d.short_name);
        let is_mpeg = [
            codecs::CODEC_TYPE_MP1,
            codecs::CODEC_TYPE_MP2,
            codecs::CODEC_TYPE_MP3,
        ]
        .contains(&params.codec);
        // symphonia estimates an MP3's length from its bitrate unless a LAME tag states it;
        // an estimate must not make a whole file look truncated.
        let header_frames = if is_mpeg && params.delay.is_none() {
            None
        } else {
            params.n_frames
        };
        let info = StreamInfo {
            codec: codec_name,
            sample_rate,
            channels,
            header_frames,
            gapless: !is_mpeg || params.delay.is_some() || params.padding.is_some(),
        };
        let codec = registry
            .make(params, &DecoderOptions::default())
            .map_err(|e| open_error(path, e))?;
        let track_id = track.id;
        Ok(Decoder {
            path: path.to_owned(),
            reader,
            codec,
            track_id,
            info,
            decoded_frames: 0,
            next_ts: None,
            buffer: None,
            finished: false,
            replaygain_db,
        })
    }

    pub fn info(&self) -> &StreamInfo {
        &self.info
    }

    /// REPLAYGAIN_TRACK_GAIN from the file's tags, in dB.
    pub fn replaygain_db(&self) -> Option<f64> {
        self.replaygain_db
    }

    pub fn decoded_frames(&self) -> u64 {
        self.decoded_frames
    }

    /// Appends the next packet's frames to `out`. `Ok(false)` is the normal end of the file;
    /// an early end is an error, never a quiet `Ok(false)`.
    pub fn decode_next(&mut self, out: &mut Vec<f32>) -> Result<bool, DecodeError> {
        if self.finished {
            return Ok(false);
        }
        loop {
            let packet = match self.reader.next_packet() {
                Ok(packet) => packet,
                Err(SymphoniaError::IoError(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    self.finished = true;
                    return self.check_complete();
                }
                Err(e) => return Err(self.fail(e)),
            };
            if packet.track_id() != self.track_id {
                continue;
            }
            // The FLAC and MP3 readers resynchronise past damaged frames without a word; the
            // only trace is a jump in the timestamps, and it means a hole in the music.
            if self.next_ts.is_some_and(|expected| packet.ts() > expected) {
                return Err(self.fail(SymphoniaError::DecodeError("data missing between packets")));
            }
            self.next_ts = Some(packet.ts() + packet.dur());
            let decoded = match self.codec.decode(&packet) {
                Ok(decoded) => decoded,
                Err(e) => return Err(self.fail(e)),
            };
            let spec = *decoded.spec();
            if spec.rate != self.info.sample_rate || spec.channels.count() != usize::from(self.info.channels)
            {
                self.finished = true;
                return Err(DecodeError::Unsupported {
                    path: self.path.clone(),
                    reason: "format changes mid-stream",
                    source: None,
                });
            }
            let needed = decoded.capacity() as u64;
            let buffer = match &mut self.buffer {
                Some(b) if b.capacity() as u64 >= needed => b,
                slot => slot.insert(SampleBuffer::new(needed, spec)),
            };
            buffer.copy_interleaved_ref(decoded);
            let channels = usize::from(self.info.channels);
            let mut frames = (buffer.samples().len() / channels) as u64;
            // symphonia 0.5 takes the end padding of a short Ogg Vorbis stream (one or two audio
            // pages) for a start delay and trims neither; the start is right and the header's
            // length is right, so whatever runs past the stated end is padding.
            if let Some(end) = self.info.header_frames {
                frames = frames.min(end.saturating_sub(self.decoded_frames));
            }
            out.extend_from_slice(&buffer.samples()[..frames as usize * channels]);
            self.decoded_frames += frames;
            return Ok(true);
        }
    }

    fn check_complete(&self) -> Result<bool, DecodeError> {
        match self.info.header_frames {
            Some(expected) if self.decoded_frames < expected => Err(DecodeError::Truncated {
                path: self.path.clone(),
                decoded: self.decoded_frames,
                expected: Some(expected),
                source: None,
            }),
            _ => Ok(false),
        }
    }

    /// Classifies a failure met while reading. Damage right before the end of the data is a
    /// cut-off file; damage followed by more packets is corruption. Either way decoding stops:
    /// skipping a bad packet would leave a hole in the music.
    fn fail(&mut self, error: SymphoniaError) -> DecodeError {
        self.finished = true;
        let at_end = matches!(error, SymphoniaError::DecodeError(_)) && self.at_end_of_data();
        let truncated = |source| DecodeError::Truncated {
            path: self.path.clone(),
            decoded: self.decoded_frames,
            expected: self.info.header_frames,
            source: Some(source),
        };
        match error {
            SymphoniaError::IoError(_) => truncated(error),
            SymphoniaError::Unsupported(reason) => DecodeError::Unsupported {
                path: self.path.clone(),
                reason,
                source: Some(error),
            },
            SymphoniaError::ResetRequired => DecodeError::Unsupported {
                path: self.path.clone(),
                reason: "chained streams",
                source: Some(error),
            },
            SymphoniaError::DecodeError(_) if at_end => truncated(error),
            _ => DecodeError::Corrupt {
                path: self.path.clone(),
                at_frame: self.decoded_frames,
                source: error,
            },
        }
    }

    fn at_end_of_data(&mut self) -> bool {
        matches!(self.reader.next_packet(), Err(SymphoniaError::IoError(_)))
    }
}

/// Opens a file's container without decoding any audio.
fn probe(path: &Path, watch: &Arc<ReadWatch>) -> Result<ProbeResult, DecodeError> {
    // Regular files only, opened without blocking: a FIFO or a device in a playlist is refused
    // at once rather than left to hang the loader or `playlist check` (see safe_file). Looking
    // at a file on a hung share can itself hang, so the open counts as a read.
    let file = watch
        .reading(|| safe_file::open_media(path))
        .map_err(|error| match error {
            SafeFileError::NotRegular { kind, .. } => DecodeError::NotRegular {
                path: path.to_owned(),
                kind,
            },
            SafeFileError::Open { source, .. } if source.kind() == io::ErrorKind::NotFound => {
                DecodeError::Missing {
                    path: path.to_owned(),
                    source,
                }
            }
            other => DecodeError::Unreadable {
                path: path.to_owned(),
                source: io::Error::other(other.problem()),
            },
        })?;
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let file = WatchedFile::new(file, watch.clone());
    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    // Without gapless trimming MP3 and Vorbis carry encoder delay and padding: a gap at every
    // join of a continuous album.
    let options = FormatOptions {
        enable_gapless: true,
        ..Default::default()
    };
    symphonia::default::get_probe()
        .format(&hint, stream, &options, &MetadataOptions::default())
        .map_err(|e| open_error(path, e))
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

/// REPLAYGAIN_TRACK_GAIN from the file's tags, read without decoding any audio.
pub fn replaygain_tag(path: &Path) -> Option<f64> {
    Decoder::open(path).ok()?.replaygain_db()
}

/// The length the container's header announces, without decoding: quick, and good enough for
/// an M3U's `#EXTINF`, but only a full decode knows whether the file really is that long.
pub fn header_seconds(path: &Path) -> Option<f64> {
    let probed = probe(path, &ReadWatch::new()).ok()?;
    let params = &probed.format.default_track()?.codec_params;
    Some(params.n_frames? as f64 / f64::from(params.sample_rate?))
}

fn open_error(path: &Path, error: SymphoniaError) -> DecodeError {
    match error {
        SymphoniaError::IoError(source) if source.kind() == io::ErrorKind::UnexpectedEof => {
            DecodeError::Truncated {
                path: path.to_owned(),
                decoded: 0,
                expected: None,
                source: Some(SymphoniaError::IoError(source)),
            }
        }
        SymphoniaError::IoError(source) => DecodeError::Unreadable {
            path: path.to_owned(),
            source,
        },
        SymphoniaError::Unsupported(reason) => DecodeError::Unsupported {
            path: path.to_owned(),
            reason,
            source: Some(error),
        },
        _ => DecodeError::Corrupt {
            path: path.to_owned(),
            at_frame: 0,
            source: error,
        },
    }
}

/// Decodes a whole file; what `playlist check` and the loader use.
pub fn decode_file(path: &Path) -> Result<Decoded, DecodeError> {
    let mut decoder = Decoder::open(path)?;
    let mut samples = Vec::new();
    if let Some(frames) = decoder.info.header_frames {
        samples.reserve(frames as usize * usize::from(decoder.info.channels));
    }
    while decoder.decode_next(&mut samples)? {}
    Ok(Decoded {
        info: decoder.info.clone(),
        samples,
    })
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
