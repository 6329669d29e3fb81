//! A playlist's track made ready to play: opened, levelled to the loudness target (measured
//! loudness from the analysis cache, else ReplayGain tags), trimmed, faded as the playlist says,
//! and streaming at the output rate through a bounded read-ahead. The player and the offline
//! renders all open tracks here and move them on with the same [`TrackStream`] steps, so a
//! render sounds exactly as the room will.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::decode::{DecodeError, Decoder};
use super::feed::primed_feed;
use super::mixer::CUT_CROSSFADE;
use super::read_watch::{Hung, ReadWatch};
use super::stream::{StreamError, TrackStream};
use super::track::{LevelTarget, PrepareError, PreparedTrack, normalisation_db};
use crate::audio::loudness_cache::{LoudnessCache, known_loudness};
use crate::playlist;

/// Read-ahead of an offline render beyond the longest fade a track needs to see coming before
/// its end (its fade-out, its crossfade into the next): the end must be known before the mixer
/// reaches the point where that fade starts. A render reads every file before each block, so
/// nothing it reads can hang behind the mixer's back; the player's read-ahead is instead sized
/// from the read timeout (see [`Opening::hang_cover`]).
pub const READ_AHEAD_MARGIN: Duration = Duration::from_secs(20);

/// A track queued behind another holds only this much until it starts, plus its end lead when
/// its header does not state its length (minutes of full read-aheads waiting would be most of
/// the player's memory): enough to start on while its streaming thread, woken at least once a
/// second, fills the rest of its read-ahead at many times real time.
pub const PRIME_MARGIN: Duration = Duration::from_secs(3);

/// What levelling a track needs to know.
pub struct Levelling<'a> {
    pub media_root: &'a Path,
    pub cache: &'a LoudnessCache,
    pub level: LevelTarget,
}

/// A gapless run as far as a track takes it: what the next track, joined to it with no
/// crossfade, needs to be resampled as the same stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSoFar {
    /// The track the run has got to.
    pub id: u64,
    /// The run's source rate.
    pub rate: u32,
    /// Frames of the run at that rate, up to the end of that track.
    pub frames: u64,
}

/// Where to start a track and how far ahead to read it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Opening {
    /// The gapless run the track carries on, when it follows the run's last track with no
    /// crossfade. Ignored when it cannot: another rate, a resume point, a length not known.
    pub after: Option<RunSoFar>,
    /// Into the track (a restart's resume point); its fade-in is then dropped.
    pub start_at: Duration,
    /// A crossfade into the next track imposed on every join (a render's `--crossfade`).
    pub imposed_crossfade: Option<Duration>,
    /// How much of the track its read-ahead must hold, beyond the crossfade away from it, for
    /// a read that hangs to be found and the track cut while there is still that crossfade's
    /// worth to play (see `player::loader::hang_cover`). `None` offline, where the read-ahead
    /// only has to see the end coming ([`READ_AHEAD_MARGIN`]).
    pub hang_cover: Option<Duration>,
}

/// An opened track: the mixer's end and the loader's end of it, with the figures that went
/// into its level.
pub struct Levelled {
    pub track: PreparedTrack,
    pub stream: TrackStream,
    /// The gain applied: levelling plus the playlist's trim.
    pub gain_db: f32,
    /// The loudness it was levelled from, when known.
    pub lufs: Option<f64>,
    /// The gapless run up to its end, when the next track can carry it on.
    pub run: Option<RunSoFar>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Prepare(#[from] PrepareError),
    /// Opening it and filling its read-ahead took longer than the loader waits: a read that
    /// does not return (a hung network share) is left behind, never waited for.
    #[error("{path}: not ready after {} s (a read that does not return?); skipped", after.as_secs_f64())]
    NotReady { path: String, after: Duration },
    /// One read, opening it or filling its read-ahead, did not come back in time.
    #[error("{path}")]
    Hung {
        path: String,
        #[source]
        source: Hung,
    },
    /// It played, then a read did not come back: it ends where its data stopped.
    #[error("{path}: ends {} s in, where its data stopped, crossfading into the next", format_seconds(*at))]
    HungMidTrack {
        path: String,
        at: Duration,
        #[source]
        source: Hung,
    },
}

fn format_seconds(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64())
}

impl From<StreamError> for LoadError {
    fn from(error: StreamError) -> Self {
        match error {
            StreamError::Decode(e) => LoadError::Decode(e),
            StreamError::Prepare(e) => LoadError::Prepare(e),
        }
    }
}

/// The longest stretch before `track`'s end that the mixer must see coming.
pub fn end_lead(track: &playlist::Track, imposed_crossfade: Option<Duration>) -> Duration {
    let crossfade = imposed_crossfade.or(track.crossfade.map(|c| c.to_duration()));
    track.fade_out.to_duration().max(crossfade.unwrap_or_default())
}

/// How far ahead a playing track is read, given its end lead and, live, the time a hung read
/// takes to be found and the track cut ([`Opening::hang_cover`]). A track cut short crossfades
/// away over its end lead or [`CUT_CROSSFADE`], whichever is longer; live, that much must still
/// be buffered when the cut comes.
pub fn read_ahead(end_lead: Duration, hang_cover: Option<Duration>) -> Duration {
    match hang_cover {
        Some(cover) => end_lead.max(CUT_CROSSFADE) + cover,
        None => end_lead + READ_AHEAD_MARGIN,
    }
}

/// Opens `track` and primes its read-ahead, so that it can start at once. A file that stops
/// early within that prime fails here, as one that does not open at all; one that stops later
/// plays up to where it stops.
pub fn open_levelled(
    track: &playlist::Track,
    id: u64,
    rate: u32,
    levelling: &Levelling<'_>,
    opening: Opening,
) -> Result<Levelled, LoadError> {
    open_levelled_watched(track, (id, rate), levelling, opening, &ReadWatch::new())
}

/// [`open_levelled`], with every read of the file, then and while it streams, seen by `watch`.
pub fn open_levelled_watched(
    track: &playlist::Track,
    (id, rate): (u64, u32),
    levelling: &Levelling<'_>,
    opening: Opening,
    watch: &Arc<ReadWatch>,
) -> Result<Levelled, LoadError> {
    let decoder = Decoder::open_watched(&track.file(levelling.media_root), watch)?;
    let info = decoder.info().clone();
    // A file with no measurement is opened again for its tags: a read that may hang too.
    let known = watch.reading(|| known_loudness(levelling.media_root, &track.path, levelling.cache));
    let lufs = known.lufs;
    let gain_db = normalisation_db(&levelling.level, known, info.channels, track.gain_db);
    let end_lead = end_lead(track, opening.imposed_crossfade);
    let lead = read_ahead(end_lead, opening.hang_cover);
    let frames = |d: Duration| (d.as_secs_f64() * f64::from(rate)).ceil() as u64;
    // A track whose header states its length has its end in the feed from the start.
    let prime = if info.header_frames.is_some() {
        PRIME_MARGIN
    } else {
        end_lead + PRIME_MARGIN
    };
    let (writer, reader) = primed_feed(frames(lead), frames(prime));
    let skip = (opening.start_at.as_secs_f64() * f64::from(info.sample_rate)).round() as u64;
    // Both lengths must be exact to place the track on the run's grid; a file that lies about
    // its length is found cut, and the mixer crossfades away from it anyway.
    let length = info
        .header_frames
        .filter(|_| info.gapless)
        .map(|f| f.saturating_sub(skip));
    let after = opening
        .after
        .filter(|run| run.rate == info.sample_rate && skip == 0 && length.is_some_and(|f| f > 0));
    let before = after.map_or(0, |run| run.frames);
    let mut stream = TrackStream::in_run(decoder, rate, skip, before, writer)?;
    let run = length.filter(|&f| stream.can_run_on(f)).map(|f| RunSoFar {
        id,
        rate: info.sample_rate,
        frames: before + f,
    });
    let lead_in = stream.lead_in();
    stream.fill()?;
    let fade_in = if opening.start_at.is_zero() {
        track.fade_in.to_duration()
    } else {
        Duration::ZERO
    };
    let prepared = PreparedTrack {
        id,
        feed: reader,
        gain_db,
        fade_in: Duration::ZERO,
        fade_out: Duration::ZERO,
        lead_in,
        follows: after.map(|run| run.id),
    }
    .with_fades(fade_in, track.fade_out.to_duration());
    Ok(Levelled {
        track: prepared,
        stream,
        gain_db,
        lufs,
        run,
    })
}
