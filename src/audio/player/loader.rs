//! The loader thread: opens tracks in the order asked, fills each one's read-ahead before handing
//! it to the player, then keeps every open track's read-ahead full, so the mixer thread never
//! touches a file and only ever copies ready frames.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError, channel};
use std::time::Duration;

pub use crate::audio::levelled::LoadError;
use crate::audio::levelled::{Levelling, Opening, open_levelled};
use crate::audio::loudness_cache::LoudnessCache;
use crate::audio::stream::{Step, TrackStream};
use crate::audio::track::LevelTarget;
use crate::audio::track::PreparedTrack;
use crate::playlist;

/// How long the loader rests when every read-ahead is full, in real time. The shortest
/// read-ahead holds tens of seconds, so a second's rest costs it a second at most; each wake-up
/// then refills a second's chunks in one go rather than one chunk in a hundred wake-ups.
pub const IDLE_POLL: Duration = Duration::from_secs(1);

/// Unpaced (tests), the mixer outruns real time and waits for the loader: a short rest keeps
/// the waits short.
pub const UNPACED_IDLE_POLL: Duration = Duration::from_millis(10);

#[derive(Debug)]
pub struct LoadRequest {
    pub id: u64,
    /// Which playlist start asked for it; a newer start makes it stale.
    pub generation: u64,
    pub track: playlist::Track,
    /// Where to start in the track: a restart's resume point, else zero.
    pub start_at: Duration,
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
        media_root: PathBuf,
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
            .spawn(move || run(&inbox, &outbox, &current, (rate, level), &media_root, idle))?;
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
    root: &Path,
    idle: Duration,
) {
    let mut open: Vec<Open> = Vec::new();
    let mut busy = false;
    loop {
        let request = if busy {
            match inbox.try_recv() {
                Ok(request) => Some(request),
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => return,
            }
        } else {
            match inbox.recv_timeout(idle) {
                Ok(request) => Some(request),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        };
        if let Some(request) = request
            && request.generation >= current.load(Ordering::Acquire)
        {
            let (loaded, stream) = load(request, (rate, level), root);
            if let Some(stream) = stream {
                open.push(stream);
            }
            if outbox.send(loaded).is_err() {
                return;
            }
        }
        busy = false;
        let mut index = 0;
        while index < open.len() {
            let track = &mut open[index];
            match track.stream.step() {
                Ok(Step::Progressed) => busy = true,
                Ok(Step::Full) => {}
                Ok(Step::Done) => {
                    open.swap_remove(index);
                    continue;
                }
                Err(error) => {
                    tracing::debug!(id = track.id, "track cut short while streaming");
                    let cut = Loaded::Cut {
                        id: track.id,
                        error: error.into(),
                    };
                    if outbox.send(cut).is_err() {
                        return;
                    }
                    busy = true;
                }
            }
            index += 1;
        }
    }
}

/// Opens and primes one track; the stream comes back to be kept full while it plays.
/// `rate` and `level` are the output's rate and how tracks are levelled.
fn load(
    request: LoadRequest,
    (rate, level): (u32, LevelTarget),
    media_root: &Path,
) -> (Loaded, Option<Open>) {
    let LoadRequest {
        id,
        generation,
        track,
        start_at,
    } = request;
    // Read afresh for each track: an `analyze` run while the daemon is up is used at once, and
    // a missing or unreadable cache only means unlevelled tracks, never silence.
    let cache = LoudnessCache::load(media_root).unwrap_or_default();
    let levelling = Levelling {
        media_root,
        cache: &cache,
        level,
    };
    let opening = Opening {
        start_at,
        ..Opening::default()
    };
    match open_levelled(&track, id, rate, &levelling, opening) {
        Ok(levelled) if !start_at.is_zero() && levelled.track.feed.end() == Some(0) => {
            (Loaded::Passed { generation, id }, None)
        }
        Ok(levelled) => {
            let open = Open {
                id,
                stream: levelled.stream,
            };
            let ready = Loaded::Ready {
                generation,
                track: levelled.track,
            };
            (ready, Some(open))
        }
        Err(error) => (
            Loaded::Failed {
                generation,
                id,
                error,
            },
            None,
        ),
    }
}
