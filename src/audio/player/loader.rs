//! The loader thread: opens tracks in the order asked, each within a deadline, measures first
//! any that has no loudness measurement yet (one whose read hangs then is failed at once: it
//! would only hang again as it opens or plays), fills each one's read-ahead before handing it to the
//! player, then keeps it full on a thread of the track's own, so the mixer thread never touches
//! a file and only ever copies ready frames, and no read that hangs holds back any other track.
//! A watcher cuts a track whose read has hung part-way through where its data stopped, and
//! reports it, so the mixer crossfades away from it at the end of what it has rather than run
//! dry. A track asked for as the gapless follower of the one loaded just before it is resampled
//! on that one's run, so the join has no transient.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use crate::audio::feed::FeedCutter;
pub use crate::audio::levelled::LoadError;
use crate::audio::levelled::{Levelling, Opening, RunSoFar, open_levelled_watched};
use crate::audio::loudness_cache::{LoudnessCache, is_measured, known_lufs};
use crate::audio::loudness_store::LoudnessStore;
use crate::audio::measure::measure_into_watched;
use crate::audio::read_watch::{GivenUp, Hung, ReadWatch, run_watched_for};
use crate::audio::stream::{Step, TrackStream};
use crate::audio::track::LevelTarget;
use crate::audio::track::PreparedTrack;
use crate::playlist;

/// How long a track's streaming thread rests when its read-ahead is full, in real time. The
/// shortest read-ahead, a queued track's prime, holds 3 s, so a second's rest leaves it two when
/// the track starts; each wake-up then refills a second's chunks in one go rather than one chunk
/// in a hundred wake-ups. A playing track's read-ahead covers this rest (see [`hang_cover`]).
pub const IDLE_POLL: Duration = Duration::from_secs(1);

/// Unpaced (tests), the mixer outruns real time and waits for the loader: a short rest keeps
/// the waits short.
pub const UNPACED_IDLE_POLL: Duration = Duration::from_millis(10);

/// Room left in a playing track's read-ahead, on top of the time a hung read takes to be found,
/// for the threads to be scheduled on a loaded machine and a chunk more than the rest to be
/// read.
pub const HANG_SLACK: Duration = Duration::from_secs(1);

/// How often the watcher looks at the streams' reads: a quarter of the read timeout, at most a
/// second.
fn watch_period(read_timeout: Duration) -> Duration {
    (read_timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(1))
}

/// How much a playing track's read-ahead must hold beyond the crossfade away from it, so that a
/// read that hangs is found and the track cut with that crossfade still to play: its streaming
/// thread may have rested `idle` since it last topped the read-ahead up when the read starts;
/// the read is given up after `read_timeout`; the watcher sees it at most a watch period later.
/// About 13 s with the 10 s default: 5 MB of a playing track's read-ahead at 48 kHz, plus its
/// crossfade.
pub fn hang_cover(read_timeout: Duration, idle: Duration) -> Duration {
    idle + read_timeout + watch_period(read_timeout) + HANG_SLACK
}

/// How long one track may take to open and fill its read-ahead, in real time. A healthy
/// file takes a fraction of a second even from a slow disk; one that takes longer is behind a
/// read that may never return (a hung network share), and waiting for it would hold back
/// every track after it. The loader asks tracks ahead of their turn, so this is well within
/// the time the track before has left to play.
pub const LOAD_DEADLINE: Duration = Duration::from_secs(10);

/// How long the loader waits for the measurement of a track that has none (a file added since
/// the background measurer last looked) before it plays it at the safe level for a track of
/// unknown loudness instead: half the load deadline, leaving the other half to open it. Most
/// tracks measure in a second or two.
pub const MEASURE_BUDGET: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub struct LoadRequest {
    pub id: u64,
    /// Which playlist start asked for it; a newer start makes it stale.
    pub generation: u64,
    pub track: playlist::Track,
    /// Where to start in the track: a restart's resume point, else zero.
    pub start_at: Duration,
    /// The track it follows with no crossfade, asked for just before it: it carries on that
    /// one's gapless run if that one loaded and the run can go on.
    pub follows: Option<u64>,
}

#[derive(Debug)]
pub enum Loaded {
    Ready {
        generation: u64,
        track: PreparedTrack,
    },
    /// The resume point is past the track's end: the next track starts instead.
    Passed {
        generation: u64,
        id: u64,
    },
    Failed {
        generation: u64,
        id: u64,
        error: LoadError,
    },
    /// A track already handed over stops early (a truncated or damaged file): it plays up to
    /// where it stops, and the mixer crossfades from there into the next.
    Cut {
        id: u64,
        error: LoadError,
    },
}

pub struct Loader {
    pub requests: Sender<LoadRequest>,
    pub results: Receiver<Loaded>,
    /// The newest generation: requests older than it are dropped unread.
    pub generation: Arc<AtomicU64>,
}

/// A track handed to the player and still being read.
struct Open {
    id: u64,
    path: String,
    stream: TrackStream,
    /// Sees the stream's reads, while its decoder lives.
    reads: Weak<ReadWatch>,
}

/// How the loader reads: the output's rate, how tracks are levelled, how long a read may hang,
/// and how long a streaming thread rests when its read-ahead is full.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    pub rate: u32,
    pub level: LevelTarget,
    pub read_timeout: Duration,
    pub idle: Duration,
}

impl Loader {
    /// `store` holds the media's loudness measurements, and where they are kept.
    pub fn spawn(store: Arc<LoudnessStore>, reading: Reading) -> std::io::Result<Loader> {
        let (requests, inbox) = channel::<LoadRequest>();
        let (outbox, results) = channel();
        let (register, registered) = channel();
        let generation = Arc::new(AtomicU64::new(0));
        let current = generation.clone();
        let cuts = outbox.clone();
        // Detached, both: the loader ends when the player drops its request sender, and the
        // watcher when the loader has ended and every stream it watched is done.
        std::thread::Builder::new()
            .name("audio-watch".into())
            .spawn(move || watch_streams(&registered, &cuts, reading))?;
        std::thread::Builder::new()
            .name("audio-loader".into())
            .spawn(move || run(&inbox, &outbox, &register, &current, reading, &store))?;
        Ok(Loader {
            requests,
            results,
            generation,
        })
    }
}

fn run(
    inbox: &Receiver<LoadRequest>,
    outbox: &Sender<Loaded>,
    register: &Sender<Streaming>,
    current: &AtomicU64,
    reading: Reading,
    store: &Arc<LoudnessStore>,
) {
    // One request at a time, so tracks come back in the order asked for.
    let mut run: Option<RunSoFar> = None;
    while let Ok(request) = inbox.recv() {
        if request.generation < current.load(Ordering::Acquire) {
            continue;
        }
        let after = run.take().filter(|run| request.follows == Some(run.id));
        let (loaded, stream, carried) = load_within(request, reading, after, store, LOAD_DEADLINE);
        run = carried;
        if outbox.send(loaded).is_err() {
            return;
        }
        if let Some(open) = stream {
            let watched = Streaming {
                id: open.id,
                path: open.path.clone(),
                reads: open.reads.clone(),
                cutter: open.stream.cutter(),
                rate: reading.rate,
            };
            // A watcher gone leaves the track unwatched; it still plays.
            let _ = register.send(watched);
            keep_full(open, outbox.clone(), reading.idle);
        }
    }
}

/// A streaming track as its watcher sees it.
struct Streaming {
    id: u64,
    path: String,
    reads: Weak<ReadWatch>,
    cutter: FeedCutter,
    rate: u32,
}

/// Cuts each streaming track one of whose reads has hung for the read timeout where its data
/// stopped, and reports it. The mixer then plays what was read and crossfades into the next
/// track, which its own thread has kept full, instead of meeting an underrun.
fn watch_streams(registered: &Receiver<Streaming>, outbox: &Sender<Loaded>, reading: Reading) {
    let period = watch_period(reading.read_timeout);
    let mut streams: Vec<Streaming> = Vec::new();
    let mut loader_gone = false;
    loop {
        if loader_gone {
            if streams.is_empty() {
                return;
            }
            std::thread::sleep(period);
        } else {
            match registered.recv_timeout(period) {
                Ok(stream) => streams.push(stream),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => loader_gone = true,
            }
        }
        streams.retain(|stream| {
            // Its decoder is gone: the track was read to the end or let go.
            let Some(reads) = stream.reads.upgrade() else {
                return false;
            };
            if reads.hung_for() < reading.read_timeout {
                return true;
            }
            let frames = stream.cutter.cut_here();
            let at = Duration::from_secs_f64(frames as f64 / f64::from(stream.rate.max(1)));
            tracing::warn!(
                id = stream.id,
                path = stream.path,
                ?at,
                "a read hung part-way through the track"
            );
            let error = LoadError::HungMidTrack {
                path: stream.path.clone(),
                at,
                source: Hung {
                    after: reading.read_timeout,
                },
            };
            // The player gone, nobody needs to hear of it.
            let _ = outbox.send(Loaded::Cut { id: stream.id, error });
            false
        });
    }
}

/// Keeps one handed-over track's read-ahead full on a thread of its own, until it is read to
/// the end or let go (its reader dropped). A read that hangs part-way through (a share gone
/// away) stalls this track alone: its read-ahead runs dry and the mixer fades it out into the
/// next, whose own thread has kept it full.
fn keep_full(mut open: Open, outbox: Sender<Loaded>, idle: Duration) {
    let spawned = std::thread::Builder::new()
        .name("audio-stream".into())
        .spawn(move || {
            loop {
                match open.stream.step() {
                    Ok(Step::Progressed) => {}
                    Ok(Step::Full) => std::thread::sleep(idle),
                    Ok(Step::Done) => {
                        // The last of the track is in its feed: its chunks come back here to be
                        // freed as they are played, then the heap gives them back.
                        open.stream.release_until_read();
                        give_back_freed_memory();
                        return;
                    }
                    Err(error) => {
                        tracing::debug!(id = open.id, "track cut short while streaming");
                        let cut = Loaded::Cut {
                            id: open.id,
                            error: error.into(),
                        };
                        if outbox.send(cut).is_err() {
                            return;
                        }
                    }
                }
            }
        });
    if let Err(e) = spawned {
        // Without its thread the track plays its primed read-ahead, then fades into the next.
        tracing::error!("cannot start a thread to stream a track: {e}");
    }
}

/// Hands the heap's free pages back to the system. glibc keeps what is freed in the arena of the
/// thread that allocated it, for that thread to use again; a track's chunks are allocated on its
/// own thread, which ends with it, so without this a finished track's read-ahead would stay
/// resident until some later thread happened to reuse its arena.
fn give_back_freed_memory() {
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim(3) has no preconditions; it takes the allocator's locks as malloc does.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// [`load`] on a thread of its own, given up when one of its reads has hung for the read
/// timeout or the whole load has taken `deadline`: the track then counts as bad, and the thread,
/// stuck in a read, is left behind (never joined), so it can hold back no other track. Should
/// it come back later, what it opened is dropped unused.
fn load_within(
    request: LoadRequest,
    reading: Reading,
    after: Option<RunSoFar>,
    store: &Arc<LoudnessStore>,
    deadline: Duration,
) -> (Loaded, Option<Open>, Option<RunSoFar>) {
    let (id, generation, path) = (request.id, request.generation, request.track.path.clone());
    let store = store.clone();
    let job = move |watch: &Arc<ReadWatch>| load(request, reading, after, &store, MEASURE_BUDGET, watch);
    let error = match run_watched_for(reading.read_timeout, Some(deadline), job) {
        Ok(done) => return done,
        Err(GivenUp::Hung(source)) => LoadError::Hung { path, source },
        Err(GivenUp::Slow { after }) => LoadError::NotReady { path, after },
    };
    let failed = Loaded::Failed {
        generation,
        id,
        error,
    };
    (failed, None, None)
}

/// What measuring a track before its turn found.
enum Ahead {
    /// Its loudness is known: measured, or tagged.
    Known,
    /// Not known in time (or the file cannot be measured): it plays at the safe level, or
    /// fails as it opens.
    Unknown,
    /// One of its reads hung: the file is on a share or disk that stalled, and opening it
    /// would only meet the same hang again.
    Hung(Hung),
}

/// Measures `rel` if `cache` knows its loudness neither from a measurement nor from a
/// ReplayGain tag, waiting at most `budget`. The measuring runs on a thread of its own with its
/// reads watched: one that takes longer goes on after the wait, and is kept for the track's
/// next turn; one whose read hangs for `read_timeout` is given up, and so is the track.
fn measure_ahead(
    store: &Arc<LoudnessStore>,
    cache: &LoudnessCache,
    rel: &str,
    budget: Duration,
    watch: &ReadWatch,
    read_timeout: Duration,
) -> Ahead {
    // The file's status and tags are reads too: on a hung share they never return.
    let root = store.media_root();
    if watch.reading(|| is_measured(root, rel, cache) || known_lufs(root, rel, cache).is_some()) {
        return Ahead::Known;
    }
    let started = Instant::now();
    let (measuring, path) = (store.clone(), rel.to_string());
    let measured = run_watched_for(read_timeout, Some(budget), move |watch| {
        let measured = measure_into_watched(&measuring, &path, watch);
        if let Err(e) = measuring.save() {
            tracing::warn!(path, "{}", crate::error_text::error_chain(&e));
        }
        measured
    });
    match measured {
        Ok(Ok(loudness)) => {
            tracing::info!(
                path = rel,
                lufs = ?loudness.lufs,
                took_ms = started.elapsed().as_millis(),
                "track measured before its turn"
            );
            Ahead::Known
        }
        // It will not open either, and is reported as it fails to.
        Ok(Err(e)) => {
            tracing::debug!(
                path = rel,
                "cannot measure: {}",
                crate::error_text::error_chain(&e)
            );
            Ahead::Unknown
        }
        // Counted as the track's hang: it is skipped now, not met again as it opens or plays.
        Err(GivenUp::Hung(hung)) => Ahead::Hung(hung),
        Err(GivenUp::Slow { .. }) => Ahead::Unknown,
    }
}

/// Opens and primes one track, measured first if it must be (waiting at most `budget`; a read
/// that hangs while it is measured fails the track at once); the stream comes back to be kept
/// full while it plays, with the gapless run as far as it takes
/// it. `rate` and `level` are the output's rate and how tracks are levelled; `after`, the run it
/// carries on.
fn load(
    request: LoadRequest,
    reading: Reading,
    after: Option<RunSoFar>,
    store: &Arc<LoudnessStore>,
    budget: Duration,
    watch: &Arc<ReadWatch>,
) -> (Loaded, Option<Open>, Option<RunSoFar>) {
    let Reading { rate, level, .. } = reading;
    let LoadRequest {
        id,
        generation,
        track,
        start_at,
        follows: _,
    } = request;
    // Read afresh for each track: an `analyze` run while the daemon is up is used at once.
    // Watched within: a cache that hangs is gone on without, and the track is not given up.
    let mut cache = store.load();
    let known = match measure_ahead(store, &cache, &track.path, budget, watch, reading.read_timeout) {
        Ahead::Known => true,
        Ahead::Unknown => false,
        Ahead::Hung(source) => {
            let error = LoadError::Hung {
                path: track.path.clone(),
                source,
            };
            let failed = Loaded::Failed {
                generation,
                id,
                error,
            };
            return (failed, None, None);
        }
    };
    if !watch.reading(|| is_measured(store.media_root(), &track.path, &cache)) {
        // Measured just now, or since the wait ended.
        cache = store.load();
    }
    let levelling = Levelling {
        media_root: store.media_root(),
        cache: &cache,
        level,
    };
    let opening = Opening {
        start_at,
        after,
        hang_cover: Some(hang_cover(reading.read_timeout, reading.idle)),
        ..Opening::default()
    };
    match open_levelled_watched(&track, (id, rate), &levelling, opening, watch) {
        Ok(levelled) if !start_at.is_zero() && levelled.track.feed.end() == Some(0) => {
            (Loaded::Passed { generation, id }, None, None)
        }
        Ok(levelled) => {
            if !known {
                tracing::warn!(
                    path = track.path,
                    gain_db = levelled.gain_db,
                    "track not measured in time: it plays at a safe level, quieter than the target \
                     rather than louder; its measurement goes on for its next turn"
                );
            }
            let open = Open {
                id,
                path: track.path.clone(),
                stream: levelled.stream,
                reads: Arc::downgrade(watch),
            };
            let ready = Loaded::Ready {
                generation,
                track: levelled.track,
            };
            (ready, Some(open), levelled.run)
        }
        Err(error) => (
            Loaded::Failed {
                generation,
                id,
                error,
            },
            None,
            None,
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::audio::read_watch::DEFAULT_READ_TIMEOUT;
    use crate::audio::test_media::mkfifo;

    /// A streaming track whose read hangs (here a read made to wait on a channel, at the same
    /// boundary a file's reads are watched at) is cut where its data stopped once the read
    /// timeout passes, and reported; one that keeps reading is left alone.
    #[test]
    fn a_stream_whose_read_hangs_is_cut_where_its_data_stopped_and_reported() {
        let reading = Reading {
            rate: 1_000,
            level: level(),
            read_timeout: Duration::from_millis(200),
            idle: UNPACED_IDLE_POLL,
        };
        let (mut writer, reader) = crate::audio::feed::feed(10_000);
        assert_eq!(writer.write(&[0.25; 2 * 1_500]), 1_500);
        let hung = ReadWatch::new();
        let healthy = ReadWatch::new();
        let (release, held) = std::sync::mpsc::channel::<()>();
        let in_read = hung.clone();
        let stuck = std::thread::spawn(move || in_read.reading(|| held.recv()));
        let (register, registered) = channel();
        let (outbox, results) = channel();
        let streaming = |id, reads: &Arc<ReadWatch>, cutter| Streaming {
            id,
            path: format!("track{id}.flac"),
            reads: Arc::downgrade(reads),
            cutter,
            rate: 1_000,
        };
        let (other_writer, other_reader) = crate::audio::feed::feed(10_000);
        register.send(streaming(1, &hung, writer.cutter())).unwrap();
        register
            .send(streaming(2, &healthy, other_writer.cutter()))
            .unwrap();
        drop(register);
        let watcher = std::thread::spawn(move || watch_streams(&registered, &outbox, reading));
        let started = Instant::now();
        let cut = results.recv_timeout(Duration::from_secs(5)).expect("a cut");
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(150) && took < Duration::from_secs(2),
            "{took:?}"
        );
        match cut {
            Loaded::Cut { id: 1, error } => {
                let text = crate::error_text::error_chain(&error);
                assert!(
                    text.starts_with("track1.flac: ends 1.5 s in, where its data stopped")
                        && text.contains("a read hung for 0.2 s"),
                    "{text}"
                );
            }
            other => panic!("expected track 1 cut, got {other:?}"),
        }
        assert_eq!((reader.end(), reader.is_cut()), (Some(1_500), true));
        assert!(writer.is_closed(), "its writer stops, should the read come back");
        assert_eq!((other_reader.end(), other_reader.is_cut()), (None, false));
        // The read comes back after all: the track keeps the end it was cut at.
        release.send(()).unwrap();
        stuck.join().unwrap().unwrap();
        writer.finish(9_000, false);
        assert_eq!(reader.end(), Some(1_500));
        // Once every stream it watched is done, with the loader gone, the watcher ends.
        drop((hung, healthy));
        watcher.join().unwrap();
        assert!(results.try_recv().is_err(), "only the hung track was reported");
    }

    fn level() -> LevelTarget {
        LevelTarget {
            target_lufs: -18.0,
            max_boost_db: 12.0,
            ceiling_db: -1.0,
        }
    }

    /// A FIFO asked for by the loader comes back as failed with its reason, at once.
    #[test]
    fn a_fifo_asked_for_fails_at_once_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        mkfifo(&dir.path().join("pipe.wav"));
        let request = LoadRequest {
            id: 7,
            generation: 1,
            track: playlist::Track::plain("pipe.wav"),
            start_at: Duration::ZERO,
            follows: None,
        };
        let started = Instant::now();
        let reading = Reading {
            rate: 48_000,
            level: level(),
            read_timeout: Duration::from_secs(10),
            idle: UNPACED_IDLE_POLL,
        };
        let store = Arc::new(LoudnessStore::new(dir.path(), None, DEFAULT_READ_TIMEOUT));
        let (loaded, stream, _) = load_within(request, reading, None, &store, LOAD_DEADLINE);
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(stream.is_none());
        match loaded {
            Loaded::Failed { id: 7, error, .. } => {
                let text = crate::error_text::error_chain(&error);
                assert!(text.contains("pipe.wav") && text.contains("a FIFO"), "{text}");
            }
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    /// A tone of `seconds` as `tone.wav` in `dir`, and the request for it.
    fn tone_request(dir: &std::path::Path, seconds: usize) -> LoadRequest {
        let tone = crate::audio::test_media::sine(seconds * 8_000, 8_000, 440.0, 0.5);
        crate::audio::test_media::write_wav(&dir.join("tone.wav"), &tone, 8_000, 1);
        LoadRequest {
            id: 1,
            generation: 1,
            track: playlist::Track::plain("tone.wav"),
            start_at: Duration::ZERO,
            follows: None,
        }
    }

    fn reading() -> Reading {
        Reading {
            rate: 48_000,
            level: level(),
            read_timeout: Duration::from_secs(10),
            idle: UNPACED_IDLE_POLL,
        }
    }

    fn gain_of(loaded: Loaded) -> f32 {
        match loaded {
            Loaded::Ready { track, .. } => track.gain_db,
            other => panic!("expected a track, got {other:?}"),
        }
    }

    /// Queued, a track holds its prime only; once it plays, enough to outlast a read that hangs
    /// right after its streaming thread's rest: the read timeout, the watcher's look, that rest
    /// and the crossfade away from a cut track, and not much more.
    #[test]
    fn a_playing_track_reads_far_enough_ahead_to_outlast_a_hung_read_and_a_queued_one_its_prime() {
        let dir = tempfile::tempdir().unwrap();
        let request = tone_request(dir.path(), 120);
        let store = Arc::new(LoudnessStore::new(dir.path(), None, DEFAULT_READ_TIMEOUT));
        let reading = Reading {
            rate: 8_000,
            idle: IDLE_POLL,
            ..reading()
        };
        let (loaded, open, _) = load(request, reading, None, &store, MEASURE_BUDGET, &ReadWatch::new());
        let (Loaded::Ready { mut track, .. }, Some(mut open)) = (loaded, open) else {
            panic!("the tone did not load");
        };
        let seconds = |frames: u64| frames as f64 / 8_000.0;
        let chunk = seconds(crate::audio::feed::CHUNK_FRAMES as u64);
        let queued = seconds(open.stream.high_water());
        let prime = crate::audio::levelled::PRIME_MARGIN.as_secs_f64();
        assert!(
            queued >= prime && queued <= prime + 2.0 * chunk,
            "{queued} s queued"
        );
        assert!(track.feed.next_frame().is_some());
        assert_eq!(open.stream.fill().unwrap(), Step::Full);
        let playing = seconds(open.stream.high_water());
        let needed = (IDLE_POLL
            + reading.read_timeout
            + watch_period(reading.read_timeout)
            + crate::audio::mixer::CUT_CROSSFADE)
            .as_secs_f64();
        assert!(
            playing >= needed && playing <= needed + HANG_SLACK.as_secs_f64() + 2.0 * chunk,
            "{playing} s read ahead, {needed} s needed"
        );
    }

    /// A file added since the background measurer last looked is measured before it plays,
    /// levelled from that measurement, and the measurement is kept.
    #[test]
    fn an_unmeasured_track_is_measured_before_it_plays() {
        let dir = tempfile::tempdir().unwrap();
        let request = tone_request(dir.path(), 1);
        let store = Arc::new(LoudnessStore::new(dir.path(), None, DEFAULT_READ_TIMEOUT));
        let (loaded, _stream, _) = load(
            request,
            reading(),
            None,
            &store,
            MEASURE_BUDGET,
            &ReadWatch::new(),
        );
        let measured = crate::audio::measure::measure(&dir.path().join("tone.wav")).unwrap();
        // Mono on two speakers plays 3 dB louder than it measures.
        let expected = level().target_lufs - measured.lufs.unwrap() - 3.0103;
        let gain = gain_of(loaded);
        assert!(
            expected < -5.0 && (f64::from(gain) - expected).abs() < 0.01,
            "{gain} vs {expected}"
        );
        let cache = crate::audio::loudness_cache::LoudnessCache::load(dir.path()).unwrap();
        assert!(is_measured(dir.path(), "tone.wav", &cache), "kept for next time");
    }

    /// A track whose measurement does not finish in time plays as if it were as loud as a track
    /// can be: never louder than the target. The measuring goes on, for its next turn.
    #[test]
    fn a_track_not_measured_in_time_plays_at_a_safe_level() {
        let dir = tempfile::tempdir().unwrap();
        // Long enough that its measuring cannot finish between the wait's end and the opening.
        let request = tone_request(dir.path(), 600);
        let store = Arc::new(LoudnessStore::new(dir.path(), None, DEFAULT_READ_TIMEOUT));
        let (loaded, _stream, _) = load(
            request,
            reading(),
            None,
            &store,
            Duration::ZERO,
            &ReadWatch::new(),
        );
        let safe = level().target_lufs - crate::audio::track::LOUDEST_UNMEASURED_LUFS;
        assert_eq!(f64::from(gain_of(loaded)), safe);
        let started = Instant::now();
        while !is_measured(dir.path(), "tone.wav", &store.load()) {
            assert!(started.elapsed() < Duration::from_secs(20), "never measured");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
