//! The background measurer: one thread, at the lowest CPU priority, that keeps the loudness
//! cache up to date with the media directory, so that tracks are measured long before their
//! turn. It looks the directory over at start-up, when the playlists are reloaded, and every
//! [`POLL`] for files added or changed (by size and modification time), and measures one file
//! at a time: those the playlists name first, then every other audio file under the media root
//! (a scene's grounding track, a file about to go into a playlist). A file one of whose reads
//! hangs (a share that stalled) is given up after the read timeout, as the player gives it up,
//! and left alone until its size or modification time changes; the next file is measured. The
//! look-over's own looks (each file's status, each directory's listing) hang on such a share
//! too, and are watched likewise: a file or directory whose look hangs is given up after the
//! read timeout and not looked at again until the playlists are reloaded.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError, channel};
use std::time::{Duration, Instant};

use crate::audio::loudness_cache::FileIdentity;
use crate::audio::loudness_store::LoudnessStore;
use crate::audio::measure::{LoudnessError, measure_into_watched};
use crate::audio::read_watch::run_watched;
use crate::error_text::error_chain;
use crate::media_io::looker::Looker;

/// How often the media directory is looked over for new or changed files: a stat of each file,
/// a few milliseconds for a large library.
pub const POLL: Duration = Duration::from_secs(5);

/// During a long look-over (a whole library measured for the first time), measurements are
/// written at least this often, not once a file: the cache of a large library is megabytes.
const SAVE_EVERY: Duration = Duration::from_secs(30);

/// The files looked at beyond those the playlists name: the formats the decoder reads.
const AUDIO_EXTENSIONS: &[&str] = &["flac", "mp3", "ogg", "oga", "wav", "wave"];

/// Deeper directories than this under the media root are not looked into.
const MAX_DEPTH: usize = 16;

/// The thread's name, as `top -H` and /proc show it.
pub const THREAD_NAME: &str = "audio-measure";

/// The measurer's handle: dropping it stops the thread after the file it is measuring.
pub struct Measurer {
    /// The files the playlists name, to measure first.
    preferred: Sender<Vec<String>>,
}

impl Measurer {
    /// Starts measuring into `store`, `first` (paths relative to the media root) first,
    /// looking the media over every `poll`, giving a file up when one of its reads hangs for
    /// `read_timeout`.
    pub fn spawn(
        store: Arc<LoudnessStore>,
        first: Vec<String>,
        poll: Duration,
        read_timeout: Duration,
    ) -> std::io::Result<Measurer> {
        let (preferred, inbox) = channel();
        std::thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn(move || run(&store, first, &inbox, poll, read_timeout))?;
        Ok(Measurer { preferred })
    }

    /// The playlists changed: `first` is measured first from now on, and the media is looked
    /// over at once.
    pub fn prefer(&self, first: Vec<String>) {
        // A measurer that has stopped has said why in the log.
        let _ = self.preferred.send(first);
    }
}

fn run(
    store: &Arc<LoudnessStore>,
    mut first: Vec<String>,
    inbox: &Receiver<Vec<String>>,
    poll: Duration,
    read_timeout: Duration,
) {
    lower_priority();
    // Files that could not be measured (a read that hung included), as they were then: tried
    // again once they change, so that a hung file does not leave a thread stuck in it at every
    // look-over.
    let mut failed: HashMap<String, FileIdentity> = HashMap::new();
    let mut looks = Looks::new(store.media_root(), read_timeout);
    loop {
        let todo = look_over(store, &first, &failed, &mut looks);
        let mut stop = false;
        if !todo.is_empty() {
            tracing::info!(files = todo.len(), "measuring loudness in the background");
            let (mut measured, mut last_save) = (0usize, Instant::now());
            for (rel, identity) in &todo {
                match inbox.try_recv() {
                    Ok(newer) => {
                        first = newer;
                        looks.unanswered.clear();
                    }
                    Err(TryRecvError::Empty) => {}
                    Err(TryRecvError::Disconnected) => {
                        stop = true;
                        break;
                    }
                }
                // The loader, or a curator's `playlist analyze`, may have measured it since.
                if store.load().get(rel, *identity).is_some() {
                    continue;
                }
                match measure_watched(store, rel, read_timeout) {
                    Ok(loudness) => {
                        measured += 1;
                        tracing::debug!(path = rel, lufs = ?loudness.lufs, "loudness measured");
                    }
                    Err(e) if e.is_hung() => {
                        tracing::warn!(
                            path = rel,
                            "{rel}: loudness not measured: {}; not tried again until the file changes",
                            error_chain(&e)
                        );
                        failed.insert(rel.clone(), *identity);
                    }
                    Err(e) => {
                        tracing::warn!(path = rel, "cannot measure the loudness: {}", error_chain(&e));
                        failed.insert(rel.clone(), *identity);
                    }
                }
                if last_save.elapsed() >= SAVE_EVERY {
                    save(store);
                    last_save = Instant::now();
                }
            }
            save(store);
            tracing::info!(measured, "loudness measured in the background");
        }
        if stop {
            return;
        }
        match inbox.recv_timeout(poll) {
            Ok(newer) => {
                first = newer;
                looks.unanswered.clear();
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Measures `rel` on a thread of its own, also at the lowest priority, given up (and that
/// thread left in its read) once a read has hung for `read_timeout`: so that a file on a share
/// that stalled holds back no other file.
fn measure_watched(
    store: &Arc<LoudnessStore>,
    rel: &str,
    read_timeout: Duration,
) -> Result<crate::audio::loudness_cache::Loudness, LoudnessError> {
    let (measuring, owned) = (store.clone(), rel.to_string());
    run_watched(read_timeout, move |watch| {
        lower_priority();
        measure_into_watched(&measuring, &owned, watch)
    })
    .unwrap_or_else(|source| {
        Err(LoudnessError::Hung {
            path: store.media_root().join(rel),
            source,
        })
    })
}

fn save(store: &LoudnessStore) {
    if let Err(e) = store.save() {
        tracing::warn!("{}", error_chain(&e));
    }
}

/// The look-over's looks at the media, each watched as a read: one that hangs for the read
/// timeout is given up (its thread left in it), logged, and the file or directory left out of
/// every look-over until the playlists are reloaded, so that a dead share does not leave a
/// stuck thread behind at every look-over.
struct Looks {
    root: PathBuf,
    looker: Looker,
    /// Paths under the media root (the root itself as "") a look at which hung.
    unanswered: HashSet<String>,
}

impl Looks {
    fn new(root: &Path, read_timeout: Duration) -> Looks {
        Looks {
            root: root.to_owned(),
            looker: Looker::new(read_timeout),
            unanswered: HashSet::new(),
        }
    }

    /// The status of the file `rel`, if it can be had.
    fn status(&mut self, rel: &str) -> Option<std::fs::Metadata> {
        if self.unanswered.contains(rel) {
            return None;
        }
        let path = self.root.join(rel);
        match self.looker.look(move || std::fs::metadata(path)) {
            Ok(status) => status.ok(),
            Err(hung) => {
                tracing::warn!(
                    path = rel,
                    "{rel}: loudness not measured: {hung}, as its status was looked at; not looked at \
                     again until the playlists are reloaded"
                );
                self.unanswered.insert(rel.to_string());
                None
            }
        }
    }

    /// The entries of the directory `rel` that can be told apart, by name, each with whether it
    /// is a directory (as the listing says; a link to one is not followed).
    fn listing(&mut self, rel: &str) -> Option<Vec<(String, bool)>> {
        if self.unanswered.contains(rel) {
            return None;
        }
        let dir = self.root.join(rel);
        let listed = self.looker.look(move || {
            let entries = std::fs::read_dir(dir)?.flatten().filter_map(|entry| {
                let name = entry.file_name().to_str()?.to_string();
                Some((name, entry.file_type().ok()?.is_dir()))
            });
            Ok::<_, std::io::Error>(entries.collect::<Vec<_>>())
        });
        match listed {
            Ok(listing) => listing.ok(),
            Err(hung) => {
                let name = if rel.is_empty() {
                    "the media directory"
                } else {
                    rel
                };
                tracing::warn!(
                    path = rel,
                    "{name}: not looked into for files to measure: {hung}, as it was listed; not \
                     looked at again until the playlists are reloaded"
                );
                self.unanswered.insert(rel.to_string());
                None
            }
        }
    }
}

/// The files to measure, in order: the regular files of `first`, then every audio file under
/// the media root, that are neither measured as they are now nor failed as they are now.
fn look_over(
    store: &LoudnessStore,
    first: &[String],
    failed: &HashMap<String, FileIdentity>,
    looks: &mut Looks,
) -> Vec<(String, FileIdentity)> {
    let cache = store.load();
    let mut seen = HashSet::new();
    let mut todo = Vec::new();
    let mut found = Vec::new();
    walk(looks, "", 0, &mut found);
    for rel in first.iter().chain(&found) {
        if !seen.insert(rel.as_str()) {
            continue;
        }
        // Only regular files: a FIFO or a device is never opened.
        let Some(status) = looks.status(rel).filter(std::fs::Metadata::is_file) else {
            continue;
        };
        let Ok(identity) = FileIdentity::from_metadata(&status) else {
            continue;
        };
        if cache.get(rel, identity).is_none() && failed.get(rel) != Some(&identity) {
            todo.push((rel.clone(), identity));
        }
    }
    todo
}

/// Collects the audio files under the directory `rel` (under the media root), sorted, as paths
/// relative to the root with `/` between parts. Hidden entries (the caches among them) are
/// passed over, and links to directories are not followed, so no loop can form.
fn walk(looks: &mut Looks, rel: &str, depth: usize, found: &mut Vec<String>) {
    if depth > MAX_DEPTH {
        return;
    }
    let Some(mut entries) = looks.listing(rel) else {
        return;
    };
    entries.sort();
    for (name, is_dir) in entries {
        if name.starts_with('.') {
            continue;
        }
        let path = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        if is_dir {
            walk(looks, &path, depth + 1, found);
        } else if Path::new(&name)
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        {
            found.push(path);
        }
    }
}

/// Puts the calling thread at the lowest CPU priority (nice 19), so that measuring takes only
/// time nothing else wants: the audio threads, the engine and the lights always go first.
fn lower_priority() {
    // SAFETY: gettid(2) takes nothing and cannot fail.
    let tid = unsafe { libc::gettid() };
    // SAFETY: setpriority(2) only reads its arguments. On Linux each thread has its own nice
    // value, and PRIO_PROCESS with a thread's id sets that thread's alone.
    let rc = unsafe { libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 19) };
    if rc != 0 {
        tracing::debug!(
            "cannot lower the measurer's priority: {}",
            std::io::Error::last_os_error()
        );
    }
}

#[cfg(test)]
#[path = "measurer_tests.rs"]
mod tests;
