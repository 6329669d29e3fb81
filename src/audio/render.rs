//! Rendering a playlist offline, exactly as it would play: each track measured if it has not
//! been (on every core, before the render starts), decoded, levelled to the target loudness,
//! faded as the playlist says and joined gaplessly or by crossfade, through the
//! same mixer the device pulls, into a WAV file as fast as the machine goes.
//!
//! Tracks are opened just ahead of the mixer and stream through the same bounded read-ahead as
//! in the player, moved on between blocks, so memory stays bounded however long the tracks.
//! Tracks joined gaplessly at one rate are resampled as one run, as the player does.
//!
//! Every read is watched, as the player's are: each track is measured, opened and read on a
//! thread of its own, and a read that has not come back after the read timeout (a stalled
//! share) stops the render, naming the track, rather than hang it.
//!
//! A track's decoding runs on yet another thread, a few packets ahead of its resampling (see
//! [`super::decode_ahead`]), and both beside the mixing and writing, so that a render uses
//! every core it has; the samples are those of decoding in place.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::decode::DecodeError;
use super::levelled::{Levelling, LoadError, Opening, RunSoFar, open_levelled_watched};
use super::mixer::{CHANNELS, Join, Mixer, MixerConfig};
use super::read_watch::{DEFAULT_READ_TIMEOUT, Hung};
use super::stream::{Step, StreamError, TrackStream};
use super::track::{LevelTarget, PrepareError, PreparedTrack};
use super::wav::{FloatWavWriter, WavError};
use crate::audio::loudness_cache::{CacheError, LoudnessCache};
use crate::audio::loudness_store::LoudnessStore;
use crate::audio::measure::{LoudnessError, measure_missing};
use crate::config::{DEFAULT_MAX_BOOST_DB, DEFAULT_TARGET_LUFS};
use crate::error_text::error_chain;
use crate::media_io::read_worker::{ReadWorker, Ticket};
use crate::playlist;

/// How a render is made. The defaults are what the daemon plays at unless configured.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderOptions {
    /// The output rate; tracks at another rate are resampled as the player would.
    pub rate: u32,
    pub target_lufs: f64,
    /// The largest lift levelling gives, as in the daemon's config.
    pub max_boost_db: f64,
    /// The output ceiling in dBFS, as in the daemon's config.
    pub ceiling_db: f32,
    /// Every join this long instead of as the playlist says; zero joins them all gaplessly.
    pub crossfade: Option<Duration>,
    /// Where measurements are kept when the media directory cannot be written (the daemon's
    /// state directory, whose measurements are read too).
    pub fallback_dir: Option<PathBuf>,
    /// How long one read may hang before the render stops, as the config's `read_timeout`.
    pub read_timeout: Duration,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            rate: 48_000,
            target_lufs: DEFAULT_TARGET_LUFS,
            max_boost_db: DEFAULT_MAX_BOOST_DB,
            ceiling_db: 0.0,
            crossfade: None,
            fallback_dir: None,
            read_timeout: DEFAULT_READ_TIMEOUT,
        }
    }
}

/// One track as it went into the render.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedTrack {
    pub path: String,
    /// Its length at the output rate.
    pub frames: u64,
    /// Normalisation plus the playlist's trim.
    pub gain_db: f32,
    /// Its measured loudness; none for silence.
    pub lufs: Option<f64>,
    pub join: Join,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RenderSummary {
    pub rate: u32,
    /// Frames written: the tracks' lengths less the crossfades' overlaps.
    pub frames: u64,
    pub tracks: Vec<RenderedTrack>,
    /// Files measured for this render, not measured before.
    pub measured: usize,
    /// Where those measurements were kept, or why they could not be.
    pub kept: Result<Option<PathBuf>, String>,
    /// Loudness caches that hung as they were read or written (a stalled share), and what came
    /// of it.
    pub cache_hangs: Vec<String>,
}

impl RenderSummary {
    pub fn seconds(&self) -> f64 {
        self.frames as f64 / f64::from(self.rate)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the playlist has no tracks")]
    Empty,
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error("cannot play {path}")]
    Decode {
        path: String,
        #[source]
        source: DecodeError,
    },
    #[error("cannot play {path}")]
    Prepare {
        path: String,
        #[source]
        source: PrepareError,
    },
    #[error(transparent)]
    Wav(#[from] WavError),
    /// A read of track `index` (from 0, in the playlist's order) did not come back: the render
    /// stops rather than leave the track out of what the curator listens to.
    #[error("{path}")]
    Hung {
        index: usize,
        path: String,
        #[source]
        source: Hung,
    },
    #[error("cannot start a thread to read {path}")]
    Thread {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// A track's stream, kept and read on a thread of its own.
type Reader = ReadWorker<Option<TrackStream>>;

const BLOCK_FRAMES: usize = 4096;

/// Tracks queued ahead of the one playing: enough that a crossfade never waits for a load.
const LOAD_AHEAD: usize = 2;

/// Renders `tracks` (paths relative to `media_root`) once through into `wav`. A file that does
/// not decode fully, or one of whose reads hangs for `options.read_timeout`, stops the render:
/// a curator listens to hear the real thing.
pub fn render_playlist(
    tracks: &[playlist::Track],
    media_root: &Path,
    wav: &Path,
    options: &RenderOptions,
) -> Result<RenderSummary, RenderError> {
    render_playlist_with_progress(tracks, media_root, wav, options, &mut |_| {})
}

/// [`render_playlist`], calling `frames_written` with the frames written so far after each
/// block, so a command line can show how far it is.
pub fn render_playlist_with_progress(
    tracks: &[playlist::Track],
    media_root: &Path,
    wav: &Path,
    options: &RenderOptions,
    frames_written: &mut dyn FnMut(u64),
) -> Result<RenderSummary, RenderError> {
    if tracks.is_empty() {
        return Err(RenderError::Empty);
    }
    let store = Arc::new(LoudnessStore::new(
        media_root,
        options.fallback_dir.as_deref(),
        options.read_timeout,
    ));
    // Surfaces an unreadable cache before any work: the render would measure everything again.
    // One that hangs is only said: each track's own reads are watched, and say which hang.
    store.media_cache_readable()?;
    let paths: Vec<String> = tracks.iter().map(|t| t.path.clone()).collect();
    // A file that cannot be measured cannot be decoded either, and stops the render as it opens;
    // one whose read hung would only hang again, and stops it now.
    let measured = measure_missing(&store, &paths, options.read_timeout);
    let hung = measured.failed.iter().find_map(|(rel, error)| match error {
        LoudnessError::Hung { source, .. } => Some((rel, *source)),
        _ => None,
    });
    if let Some((rel, source)) = hung {
        let index = paths.iter().position(|p| p == rel).unwrap_or_default();
        return Err(RenderError::Hung {
            index,
            path: rel.clone(),
            source,
        });
    }
    let cache = Arc::new(store.load());
    let mut mixer = Mixer::new(&MixerConfig {
        rate: options.rate,
        ceiling_db: options.ceiling_db,
        level_db: 0.0,
        max_slew_db_per_second: 60.0,
    });
    let wav_error = |source| WavError::Write {
        path: wav.to_owned(),
        source,
    };
    let mut writer = FloatWavWriter::create(wav, options.rate).map_err(wav_error)?;
    let mut summary = RenderSummary {
        rate: options.rate,
        frames: 0,
        tracks: Vec::new(),
        measured: measured.measured,
        kept: measured
            .kept
            .map(|kept| kept.map(|k| k.path().to_owned()))
            .map_err(|e| error_chain(&e)),
        cache_hangs: Vec::new(),
    };
    let mut pending = tracks.iter().enumerate();
    let mut streams: Vec<Streaming> = Vec::new();
    let mut block = vec![0.0f32; BLOCK_FRAMES * CHANNELS];
    let mut run: Option<RunSoFar> = None;
    loop {
        while mixer.queued() < LOAD_AHEAD
            && let Some((index, track)) = pending.next()
        {
            let join = join_before(tracks, index, options.crossfade);
            let after = run.take().filter(|_| join == Join::Gapless);
            let loaded = load(track, index, (join, after), media_root, &cache, options)?;
            let (prepared, mut reader, rendered, carried) = loaded;
            run = carried;
            mixer.enqueue(prepared, join);
            // Filled before the first block that could play it.
            let filling = fill_later(&mut reader);
            streams.push(Streaming {
                index,
                reader,
                filling: Some(filling),
                blocks: FILL_EVERY_BLOCKS,
            });
            summary.tracks.push(rendered);
        }
        let mut done = Vec::new();
        for (at, streaming) in streams.iter_mut().enumerate() {
            if streaming.blocks < FILL_EVERY_BLOCKS {
                continue;
            }
            if streaming.collect(tracks, &mut summary)? == Step::Done {
                done.push(at);
            } else {
                streaming.filling = Some(fill_later(&mut streaming.reader));
                streaming.blocks = 0;
            }
        }
        for at in done.into_iter().rev() {
            streams.remove(at);
        }
        let rendered = mixer.render_until_done(&mut block);
        writer.write(&block[..rendered * CHANNELS]).map_err(wav_error)?;
        summary.frames += rendered as u64;
        frames_written(summary.frames);
        for streaming in &mut streams {
            streaming.blocks += 1;
        }
        if rendered < BLOCK_FRAMES && summary.tracks.len() == tracks.len() {
            break;
        }
    }
    // The last fills say the lengths of the tracks they finished.
    for mut streaming in streams {
        streaming.collect(tracks, &mut summary)?;
    }
    writer.finalize().map_err(wav_error)?;
    summary.cache_hangs = store.hangs();
    Ok(summary)
}

/// Blocks mixed between two fills of a track, each running on the track's thread beside the
/// mixing. 16 blocks are 1.4 s at 48 kHz: well inside the 3 s a queued track is primed with
/// and the seconds a playing one holds, so a fill is always in before the mixer could reach
/// what it decodes, and the samples are those of filling before every block; handing a fill
/// over costs two thread wake-ups, which after every block were a sixth of a render's time.
const FILL_EVERY_BLOCKS: u32 = 16;

/// How far a track's decoding runs ahead of its resampling, on a thread of its own: a FLAC
/// packet is 4096 frames, so 32 are about 3 s at 44.1 kHz, more than the 1.4 s a fill takes,
/// and the decoder is never what a fill waits for while it has a core. Some 1 MB per track.
const DECODE_AHEAD_PACKETS: usize = 32;

/// One track being read on its thread for the render.
struct Streaming {
    index: usize,
    reader: Reader,
    /// The fill sent last, not collected yet.
    filling: Option<Filling>,
    /// Blocks mixed since it was sent.
    blocks: u32,
}

impl Streaming {
    /// Waits for the fill sent last (if any): how far the track got, its length noted once it
    /// is all decoded.
    fn collect(
        &mut self,
        tracks: &[playlist::Track],
        summary: &mut RenderSummary,
    ) -> Result<Step, RenderError> {
        let Some(filling) = self.filling.take() else {
            return Ok(Step::Full);
        };
        let path = &tracks[self.index].path;
        let (step, decoded) = filling
            .wait(&mut self.reader)
            .map_err(|source| RenderError::Hung {
                index: self.index,
                path: path.clone(),
                source,
            })?
            .map_err(|e| load_error(path, e.into()))?;
        if let Some(frames) = decoded {
            summary.tracks[self.index].frames = frames;
        }
        Ok(step)
    }
}

/// What a fill says: how far it got, and the track's length once it is all decoded.
type Filled = Result<(Step, Option<u64>), StreamError>;

/// A fill sent to a track's thread, still to collect.
type Filling = Ticket<Filled>;

/// Starts filling a track's read-ahead on its thread.
fn fill_later(reader: &mut Reader) -> Filling {
    reader.submit(|stream, _| {
        let stream = stream
            .as_mut()
            .expect("a track's stream is kept from its opening");
        let step = stream.fill()?;
        Ok((step, stream.is_decoded().then(|| stream.frames())))
    })
}

/// How track `index` joins the one before it: the earlier track's crossfade is its overlap
/// with the next, as the playlist file says, unless one length is imposed on every join.
pub fn join_before(tracks: &[playlist::Track], index: usize, imposed: Option<Duration>) -> Join {
    let Some(before) = index.checked_sub(1).map(|i| &tracks[i]) else {
        return Join::Gapless;
    };
    let length = imposed.or_else(|| before.crossfade.map(|c| c.to_duration()));
    match length {
        Some(length) if !length.is_zero() => Join::Crossfade(length),
        _ => Join::Gapless,
    }
}

/// Opens one track on a thread of its own, which keeps its stream, carrying on the gapless run
/// `after` when it joins it with no crossfade; returns the run as far as this track takes it.
fn load(
    track: &playlist::Track,
    index: usize,
    (join, after): (Join, Option<RunSoFar>),
    media_root: &Path,
    cache: &Arc<LoudnessCache>,
    options: &RenderOptions,
) -> Result<(PreparedTrack, Reader, RenderedTrack, Option<RunSoFar>), RenderError> {
    let level = LevelTarget {
        target_lufs: options.target_lufs,
        max_boost_db: options.max_boost_db,
        ceiling_db: f64::from(options.ceiling_db),
    };
    let opening = Opening {
        imposed_crossfade: options.crossfade,
        after,
        ..Opening::default()
    };
    let mut reader = Reader::start(options.read_timeout).map_err(|source| RenderError::Thread {
        path: track.path.clone(),
        source,
    })?;
    let (theirs, root, cache, rate) = (track.clone(), media_root.to_owned(), cache.clone(), options.rate);
    let opened = reader.run(move |stream, watch| {
        let levelling = Levelling {
            media_root: &root,
            cache: &cache,
            level,
        };
        let mut levelled = open_levelled_watched(&theirs, (index as u64, rate), &levelling, opening, watch)?;
        levelled.stream.decode_ahead(DECODE_AHEAD_PACKETS);
        *stream = Some(levelled.stream);
        Ok::<_, LoadError>((levelled.track, levelled.gain_db, levelled.lufs, levelled.run))
    });
    let (prepared, gain_db, lufs, run) = opened
        .map_err(|source| RenderError::Hung {
            index,
            path: track.path.clone(),
            source,
        })?
        .map_err(|e| load_error(&track.path, e))?;
    let end = prepared.feed.end().unwrap_or(0);
    let rendered = RenderedTrack {
        path: track.path.clone(),
        frames: end - (prepared.feed.tail() + prepared.lead_in).min(end),
        gain_db,
        lufs,
        join,
    };
    Ok((prepared, reader, rendered, run))
}

fn load_error(path: &str, error: LoadError) -> RenderError {
    let path = path.to_string();
    match error {
        LoadError::Decode(source) => RenderError::Decode { path, source },
        LoadError::Prepare(source) => RenderError::Prepare { path, source },
        // Rendering gives a hung read up as `RenderError::Hung`, with no deadline on the whole
        // track; kept for completeness.
        error @ (LoadError::NotReady { .. } | LoadError::Hung { .. } | LoadError::HungMidTrack { .. }) => {
            RenderError::Decode {
                source: crate::audio::decode::DecodeError::Unreadable {
                    path: path.clone().into(),
                    source: std::io::Error::other(error.to_string()),
                },
                path,
            }
        }
    }
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
