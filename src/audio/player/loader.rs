//! The loader thread: decodes and prepares tracks ahead of time, in the order asked, so the
//! mixer thread never touches a file and the device callback never waits for one.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};

pub use crate::audio::levelled::LoadError;
use crate::audio::levelled::{Levelling, load_levelled};
use crate::audio::track::{DEFAULT_TARGET_LUFS, PreparedTrack};
use crate::curation::LoudnessCache;
use crate::playlist;

#[derive(Debug)]
pub struct LoadRequest {
    pub id: u64,
    /// Which playlist start asked for it; a newer start makes it stale.
    pub generation: u64,
    pub track: playlist::Track,
}

#[derive(Debug)]
pub enum Loaded {
    Ready {
        generation: u64,
        track: PreparedTrack,
    },
    Failed {
        generation: u64,
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

impl Loader {
    pub fn spawn(rate: u32, media_root: PathBuf) -> std::io::Result<Loader> {
        let (requests, inbox) = channel::<LoadRequest>();
        let (outbox, results) = channel();
        let generation = Arc::new(AtomicU64::new(0));
        let current = generation.clone();
        // Detached: it ends when the player drops its request sender.
        std::thread::Builder::new()
            .name("audio-loader".into())
            .spawn(move || {
                for request in inbox {
                    if request.generation < current.load(Ordering::Acquire) {
                        continue;
                    }
                    let generation = request.generation;
                    let id = request.id;
                    let loaded = match load(&request, rate, &media_root) {
                        Ok(track) => Loaded::Ready { generation, track },
                        Err(error) => Loaded::Failed {
                            generation,
                            id,
                            error,
                        },
                    };
                    if outbox.send(loaded).is_err() {
                        break;
                    }
                }
            })?;
        Ok(Loader {
            requests,
            results,
            generation,
        })
    }
}

fn load(request: &LoadRequest, rate: u32, media_root: &std::path::Path) -> Result<PreparedTrack, LoadError> {
    // Read afresh for each track: an `analyze` run while the daemon is up is used at once, and
    // a missing or unreadable cache only means unlevelled tracks, never silence.
    let cache = LoudnessCache::load(media_root).unwrap_or_default();
    let levelling = Levelling {
        media_root,
        cache: &cache,
        target_lufs: DEFAULT_TARGET_LUFS,
    };
    Ok(load_levelled(&request.track, request.id, rate, &levelling)?.track)
}
