//! The loader thread: decodes and prepares tracks ahead of time, in the order asked, so the
//! mixer thread never touches a file and the device callback never waits for one.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};

use crate::audio::decode::{DecodeError, decode_file};
use crate::audio::track::{PrepareError, PreparedTrack, Track, prepare};

#[derive(Debug)]
pub struct LoadRequest {
    pub id: u64,
    /// Which playlist start asked for it; a newer start makes it stale.
    pub generation: u64,
    pub file: PathBuf,
    pub gain_db: f32,
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

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Prepare(#[from] PrepareError),
}

pub struct Loader {
    pub requests: Sender<LoadRequest>,
    pub results: Receiver<Loaded>,
    /// The newest generation: requests older than it are dropped unread.
    pub generation: Arc<AtomicU64>,
}

impl Loader {
    pub fn spawn(rate: u32) -> std::io::Result<Loader> {
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
                    let loaded = match load(&request, rate) {
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

fn load(request: &LoadRequest, rate: u32) -> Result<PreparedTrack, LoadError> {
    let decoded = decode_file(&request.file)?;
    let track = Track::from_decoded(request.id, decoded, request.gain_db);
    Ok(prepare(&track, rate)?)
}
