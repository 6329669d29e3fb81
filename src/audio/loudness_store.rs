//! Where a process keeps the loudness measurements it makes: the media root's cache, which
//! travels with the library, or, when the media directory cannot be written (a read-only share,
//! files owned by the curators' account), a cache of the same shape in a directory of the
//! process's own (the daemon's state directory). Reads see both, and what was measured but not
//! yet written; writes are batched, so measuring a whole library does not rewrite the cache
//! once a file. A cache that hangs as it is read or written is gone on without, and said.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use super::loudness_cache::{CacheError, FileIdentity, Loudness, LoudnessCache};
use super::loudness_file::CacheFile;
use crate::error_text::error_chain;

/// The fall-back cache's name in its directory.
pub const FALLBACK_FILE: &str = "loudness.json";

/// Where measurements were written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kept {
    /// The media root's own cache.
    Media(PathBuf),
    /// The fall-back directory's: the media root could not be written.
    Fallback(PathBuf),
}

impl Kept {
    pub fn path(&self) -> &Path {
        match self {
            Kept::Media(path) | Kept::Fallback(path) => path,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Neither the media root's cache nor the fall-back (if any) could be written: the
    /// measurements are used, but will be made again by the next process.
    #[error(
        "cannot keep loudness measurements: {}{}",
        error_chain(media),
        fallback.as_ref().map(|f| format!("; nor {}", error_chain(f))).unwrap_or_default()
    )]
    Unwritable {
        media: CacheError,
        fallback: Option<CacheError>,
    },
}

/// A process's measurements: shared by whoever measures in it (the daemon's background measurer
/// and its loader), who take turns at writing. Every read and write of a cache file is watched
/// (see [`CacheFile`]): a cache that hangs is given up after the read timeout, and counts as
/// unreadable. No lock is held while a file is read or written but the writers' own turn, so
/// whoever only reads (the loader) always gets what is measured, at worst without the file.
pub struct LoudnessStore {
    media_root: PathBuf,
    media: CacheFile,
    fallback: Option<CacheFile>,
    unsaved: Mutex<Unsaved>,
    /// The writers' turn: two saves at once would each write the file as it was before the other.
    saving: Mutex<()>,
    /// What hung, each said once, for a command to print.
    hangs: Mutex<Vec<String>>,
}

#[derive(Default)]
struct Unsaved {
    cache: LoudnessCache,
    /// The fall-back has been said in the log; it is said once.
    told_fallback: bool,
}

impl LoudnessStore {
    /// Measurements for the library at `media_root`, written beside it, else into
    /// `fallback_dir` (which must already exist); a read or write of either cache that hangs
    /// for `read_timeout` is given up.
    pub fn new(media_root: &Path, fallback_dir: Option<&Path>, read_timeout: Duration) -> LoudnessStore {
        LoudnessStore {
            media_root: media_root.to_owned(),
            media: CacheFile::new(LoudnessCache::path(media_root), read_timeout),
            fallback: fallback_dir.map(|d| CacheFile::new(d.join(FALLBACK_FILE), read_timeout)),
            unsaved: Mutex::new(Unsaved::default()),
            saving: Mutex::new(()),
            hangs: Mutex::new(Vec::new()),
        }
    }

    pub fn media_root(&self) -> &Path {
        &self.media_root
    }

    fn unsaved(&self) -> MutexGuard<'_, Unsaved> {
        // Plain data: a panic elsewhere leaves it whole.
        self.unsaved.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every measurement known: the media root's cache, the fall-back's, and those not yet
    /// written. Read afresh each time, so a curator's `playlist analyze` counts at once. A cache
    /// that cannot be read counts as empty: the tracks are then measured again. One that hangs
    /// too, said in the log and in [`LoudnessStore::hangs`].
    pub fn load(&self) -> LoudnessCache {
        let mut cache = self.read(&self.media);
        if let Some(fallback) = &self.fallback {
            merge(&mut cache, self.read(fallback));
        }
        merge(&mut cache, clone_of(&self.unsaved().cache));
        cache
    }

    /// Whether the media root's cache can be read, for a command that would rather stop than
    /// measure a whole library again: one that hangs is said and gone on without, as by
    /// [`LoudnessStore::load`].
    pub fn media_cache_readable(&self) -> Result<(), CacheError> {
        self.load_said(&self.media).map(drop)
    }

    fn read(&self, file: &CacheFile) -> LoudnessCache {
        self.load_said(file).unwrap_or_default()
    }

    /// Reads `file`; one that hangs is said and counts as empty, any other error is returned.
    fn load_said(&self, file: &CacheFile) -> Result<LoudnessCache, CacheError> {
        match file.load() {
            Err(e) if e.is_hung() => {
                self.hung(&e, "going on without its measurements");
                Ok(LoudnessCache::default())
            }
            other => other,
        }
    }

    /// Says in the log, the first time, that a cache file hung and what comes of it.
    fn hung(&self, error: &CacheError, so: &str) {
        let said = format!("{}; {so}", error_chain(error));
        let mut hangs = self.hangs.lock().unwrap_or_else(|e| e.into_inner());
        if !hangs.contains(&said) {
            tracing::warn!("{said}");
            hangs.push(said);
        }
    }

    /// What hung so far (a cache file read or written on a share that stalled), and what came
    /// of it, each once.
    pub fn hangs(&self) -> Vec<String> {
        self.hangs.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Notes a measurement of `rel` (relative to the media root) as it was when measured; it
    /// is read back at once and written at the next [`LoudnessStore::save`].
    pub fn record(&self, rel: &str, identity: FileIdentity, loudness: Loudness) {
        self.unsaved().cache.put(rel, identity, loudness);
    }

    /// How many measurements wait to be written.
    pub fn unsaved_count(&self) -> usize {
        self.unsaved().cache.files.len()
    }

    /// Writes what was recorded: into the media root's cache, else into the fall-back's,
    /// saying so in the log the first time. `Ok(None)` when there was nothing to write. On
    /// failure the measurements are kept to be tried again. What is recorded meanwhile is read
    /// back at once as ever: the measurements are only taken out once written.
    pub fn save(&self) -> Result<Option<Kept>, StoreError> {
        let _turn = self.saving.lock().unwrap_or_else(|e| e.into_inner());
        let pending = clone_of(&self.unsaved().cache);
        if pending.files.is_empty() {
            return Ok(None);
        }
        let media_error = match add_to(&self.media, &pending) {
            Ok(()) => {
                self.written(&pending);
                return Ok(Some(Kept::Media(self.media.path().to_owned())));
            }
            Err(e) => e,
        };
        let Some(fallback) = &self.fallback else {
            if media_error.is_hung() {
                self.hung(&media_error, "the measurements are not kept");
            }
            return Err(StoreError::Unwritable {
                media: media_error,
                fallback: None,
            });
        };
        if media_error.is_hung() {
            let so = format!("measurements are kept in {} instead", fallback.path().display());
            self.hung(&media_error, &so);
        }
        match add_to(fallback, &pending) {
            Ok(()) => {
                self.written(&pending);
                let path = fallback.path().to_owned();
                let mut unsaved = self.unsaved();
                if !unsaved.told_fallback {
                    unsaved.told_fallback = true;
                    // The installed daemon's usual case (the media are read-only to it).
                    tracing::info!(
                        cache = %path.display(),
                        "the media directory's loudness cache cannot be written ({}); measurements are kept in {} instead",
                        error_chain(&media_error),
                        path.display()
                    );
                }
                Ok(Some(Kept::Fallback(path)))
            }
            Err(e) => {
                if e.is_hung() {
                    self.hung(&e, "the measurements are not kept");
                }
                Err(StoreError::Unwritable {
                    media: media_error,
                    fallback: Some(e),
                })
            }
        }
    }

    /// Takes out of the unsaved measurements those `written`, unless measured again since.
    fn written(&self, written: &LoudnessCache) {
        let mut unsaved = self.unsaved();
        unsaved
            .cache
            .files
            .retain(|rel, entry| written.files.get(rel) != Some(entry));
    }
}

/// Adds `from`'s measurements to the cache file, as it is on disk now.
fn add_to(file: &CacheFile, from: &LoudnessCache) -> Result<(), CacheError> {
    let mut cache = file.load()?;
    merge(&mut cache, clone_of(from));
    file.save(&cache)
}

fn clone_of(cache: &LoudnessCache) -> LoudnessCache {
    LoudnessCache {
        files: cache.files.clone(),
    }
}

/// Takes `newer`'s entries into `into`, except where `into` holds a measurement of a later
/// version of the file (one measured since from a copy edited since).
fn merge(into: &mut LoudnessCache, newer: LoudnessCache) {
    for (rel, entry) in newer.files {
        let keep_old = into
            .files
            .get(&rel)
            .is_some_and(|old| old.identity.mtime_ns > entry.identity.mtime_ns);
        if !keep_old {
            into.files.insert(rel, entry);
        }
    }
}

#[cfg(test)]
#[path = "loudness_store_tests.rs"]
mod tests;
