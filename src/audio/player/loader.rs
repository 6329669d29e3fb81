//! The loader thread: opens tracks in the order asked, each within a deadline, measures first
//! any that has no loudness measurement yet, fills each one's read-ahead before handing it to the
//! player, then keeps it full on a thread of the track's own, so the mixer thread never touches
//! a file and only ever copies ready frames, and no read that hangs holds back any other track.
//! A track asked for as the gapless follower of the one loaded just before it is resampled on
//! that one's run, so the join has no transient.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel, sync_channel};
use std::time::{Duration, Instant};

pub use crate::audio::levelled::LoadError;
use crate::audio::levelled::{Levelling, Opening, RunSoFar, open_levelled};
use crate::audio::loudness_cache::{LoudnessCache, is_measured, known_lufs};
use crate::audio::loudness_store::LoudnessStore;
use crate::audio::measure::measure_into;
use crate::audio::stream::{Step, TrackStream};
use crate::audio::track::LevelTarget;
use crate::audio::track::PreparedTrack;
use crate::playlist;

/// How long a track's streaming thread rests when its read-ahead is full, in real time. The shortest
/// read-ahead holds tens of seconds, so a second's rest costs it a second at most; each wake-up
/// then refills a second's chunks in one go rather than one chunk in a hundred wake-ups.
pub const IDLE_POLL: Duration = Duration::from_secs(1);

/// Unpaced (tests), the mixer outruns real time and waits for the loader: a short rest keeps
/// the waits short.
pub const UNPACED_IDLE_POLL: Duration = Duration::from_millis(10);

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
    stream: TrackStream,
}

impl Loader {
    /// `idle` is how long it rests when every read-ahead is full and nothing is asked for.
    pub fn spawn(
        rate: u32,
        store: Arc<LoudnessStore>,
        level: LevelTarget,
        idle: Duration,
    ) -> std::io::Result<Loader> {
        let (requests, inbox) = channel::<LoadRequest>();
        let (outbox, results) = channel();
        let generation = Arc::new(AtomicU64::new(0));
        let current = generation.clone();
        // Detached: it ends when the player drops its request sender.
        std::thread::Builder::new()
            .name("audio-loader".into())
            .spawn(move || run(&inbox, &outbox, &current, (rate, level), &store, idle))?;
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
    current: &AtomicU64,
    (rate, level): (u32, LevelTarget),
    store: &Arc<LoudnessStore>,
    idle: Duration,
) {
    // One request at a time, so tracks come back in the order asked for.
    let mut run: Option<RunSoFar> = None;
    while let Ok(request) = inbox.recv() {
        if request.generation < current.load(Ordering::Acquire) {
            continue;
        }
        let after = run.take().filter(|run| request.follows == Some(run.id));
        let (loaded, stream, carried) = load_within(request, (rate, level), after, store, LOAD_DEADLINE);
        run = carried;
        if outbox.send(loaded).is_err() {
            return;
        }
        if let Some(open) = stream {
            keep_full(open, outbox.clone(), idle);
        }
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
                    Ok(Step::Done) => return,
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

/// [`load`] on a thread of its own, given up after `deadline`: the track then counts as bad,
/// and the thread, stuck in a read, is left behind (never joined), so it can hold back no
/// other track. Should it come back later, what it opened is dropped unused.
fn load_within(
    request: LoadRequest,
    params: (u32, LevelTarget),
    after: Option<RunSoFar>,
    store: &Arc<LoudnessStore>,
    deadline: Duration,
) -> (Loaded, Option<Open>, Option<RunSoFar>) {
    let (id, generation, path) = (request.id, request.generation, request.track.path.clone());
    let store = store.clone();
    match within_deadline(deadline, move || {
        load(request, params, after, &store, MEASURE_BUDGET)
    }) {
        Some(done) => done,
        None => {
            let error = LoadError::NotReady {
                path,
                after: deadline,
            };
            let failed = Loaded::Failed {
                generation,
                id,
                error,
            };
            (failed, None, None)
        }
    }
}

/// Runs `job` on a new thread and waits for it at most `deadline`; `None` if it did not finish
/// in time (or no thread could be started).
fn within_deadline<T: Send + 'static>(
    deadline: Duration,
    job: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (done, result) = sync_channel(1);
    std::thread::Builder::new()
        .name("audio-open".into())
        .spawn(move || {
            // The loader may have stopped waiting: then nobody wants the result.
            let _ = done.send(job());
        })
        .ok()?;
    result.recv_timeout(deadline).ok()
}

/// Measures `rel` if `cache` knows its loudness neither from a measurement nor from a
/// ReplayGain tag, waiting at most `budget`; whether it is known now. The measuring runs on a
/// thread of its own: one that takes longer goes on after the wait, and is kept for the track's
/// next turn.
fn measure_ahead(store: &Arc<LoudnessStore>, cache: &LoudnessCache, rel: &str, budget: Duration) -> bool {
    if is_measured(store.media_root(), rel, cache) || known_lufs(store.media_root(), rel, cache).is_some() {
        return true;
    }
    let started = Instant::now();
    let (measuring, path) = (store.clone(), rel.to_string());
    let measured = within_deadline(budget, move || {
        let measured = measure_into(&measuring, &path);
        if let Err(e) = measuring.save() {
            tracing::warn!(path, "{}", crate::error_text::error_chain(&e));
        }
        measured
    });
    match measured {
        Some(Ok(loudness)) => {
            tracing::info!(
                path = rel,
                lufs = ?loudness.lufs,
                took_ms = started.elapsed().as_millis(),
                "track measured before its turn"
            );
            true
        }
        // It will not open either, and is reported as it fails to.
        Some(Err(e)) => {
            tracing::debug!(
                path = rel,
                "cannot measure: {}",
                crate::error_text::error_chain(&e)
            );
            false
        }
        None => false,
    }
}

/// Opens and primes one track, measured first if it must be (waiting at most `budget`); the
/// stream comes back to be kept full while it plays, with the gapless run as far as it takes
/// it. `rate` and `level` are the output's rate and how tracks are levelled; `after`, the run it
/// carries on.
fn load(
    request: LoadRequest,
    (rate, level): (u32, LevelTarget),
    after: Option<RunSoFar>,
    store: &Arc<LoudnessStore>,
    budget: Duration,
) -> (Loaded, Option<Open>, Option<RunSoFar>) {
    let LoadRequest {
        id,
        generation,
        track,
        start_at,
        follows: _,
    } = request;
    // Read afresh for each track: an `analyze` run while the daemon is up is used at once.
    let mut cache = store.load();
    let known = measure_ahead(store, &cache, &track.path, budget);
    if !is_measured(store.media_root(), &track.path, &cache) {
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
        ..Opening::default()
    };
    match open_levelled(&track, id, rate, &levelling, opening) {
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
                stream: levelled.stream,
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
    use std::io::Read;
    use std::time::Instant;

    use super::*;
    use crate::audio::test_media::mkfifo;

    /// A read that never returns (a FIFO whose writer never writes, as a hung share behaves) is
    /// given up at the deadline, and the caller goes on.
    #[test]
    fn a_read_that_hangs_is_abandoned_at_the_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("hung.flac");
        mkfifo(&fifo);
        let reader_path = fifo.clone();
        let job = move || {
            // A plain blocking open and read, as a read on a hung mount blocks.
            let mut file = std::fs::File::open(&reader_path).unwrap();
            let mut byte = [0u8; 1];
            file.read(&mut byte)
        };
        // The writer opens and never writes, and stays open past the deadline.
        let writer_path = fifo.clone();
        let writer = std::thread::spawn(move || {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(&writer_path)
                .unwrap();
            std::thread::sleep(Duration::from_secs(3));
            drop(file);
        });
        let started = Instant::now();
        let outcome = within_deadline(Duration::from_millis(300), job);
        let took = started.elapsed();
        assert!(outcome.is_none(), "the read should still hang: {outcome:?}");
        assert!(
            took >= Duration::from_millis(300) && took < Duration::from_secs(2),
            "{took:?}"
        );
        writer.join().unwrap();
    }

    #[test]
    fn a_job_that_finishes_in_time_gives_its_result() {
        assert_eq!(within_deadline(Duration::from_secs(5), || 42), Some(42));
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
        let store = Arc::new(LoudnessStore::new(dir.path(), None));
        let (loaded, stream, _) = load_within(request, (48_000, level()), None, &store, LOAD_DEADLINE);
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

    fn gain_of(loaded: Loaded) -> f32 {
        match loaded {
            Loaded::Ready { track, .. } => track.gain_db,
            other => panic!("expected a track, got {other:?}"),
        }
    }

    /// A file added since the background measurer last looked is measured before it plays,
    /// levelled from that measurement, and the measurement is kept.
    #[test]
    fn an_unmeasured_track_is_measured_before_it_plays() {
        let dir = tempfile::tempdir().unwrap();
        let request = tone_request(dir.path(), 1);
        let store = Arc::new(LoudnessStore::new(dir.path(), None));
        let (loaded, _stream, _) = load(request, (48_000, level()), None, &store, MEASURE_BUDGET);
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
        let store = Arc::new(LoudnessStore::new(dir.path(), None));
        let (loaded, _stream, _) = load(request, (48_000, level()), None, &store, Duration::ZERO);
        let safe = level().target_lufs - crate::audio::track::LOUDEST_UNMEASURED_LUFS;
        assert_eq!(f64::from(gain_of(loaded)), safe);
        let started = Instant::now();
        while !is_measured(dir.path(), "tone.wav", &store.load()) {
            assert!(started.elapsed() < Duration::from_secs(20), "never measured");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
