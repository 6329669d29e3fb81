//! Where a process keeps the loudness measurements it makes: the media root's cache, which
//! travels with the library, or, when the media directory cannot be written (a read-only share,
//! files owned by the curators' account), a cache of the same shape in a directory of the
//! process's own (the daemon's state directory). Reads see both, and what was measured but not
//! yet written; writes are batched, so measuring a whole library does not rewrite the cache
//! once a file.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use super::loudness_cache::{CacheError, FileIdentity, Loudness, LoudnessCache};
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
/// and its loader), who take turns at writing.
pub struct LoudnessStore {
    media_root: PathBuf,
    fallback_dir: Option<PathBuf>,
    unsaved: Mutex<Unsaved>,
}

#[derive(Default)]
struct Unsaved {
    cache: LoudnessCache,
    /// The fall-back has been said in the log; it is said once.
    told_fallback: bool,
}

impl LoudnessStore {
    /// Measurements for the library at `media_root`, written beside it, else into
    /// `fallback_dir` (which must already exist).
    pub fn new(media_root: &Path, fallback_dir: Option<&Path>) -> LoudnessStore {
        LoudnessStore {
            media_root: media_root.to_owned(),
            fallback_dir: fallback_dir.map(Path::to_owned),
            unsaved: Mutex::new(Unsaved::default()),
        }
    }

    pub fn media_root(&self) -> &Path {
        &self.media_root
    }

    fn fallback_path(&self) -> Option<PathBuf> {
        self.fallback_dir.as_ref().map(|d| d.join(FALLBACK_FILE))
    }

    fn unsaved(&self) -> MutexGuard<'_, Unsaved> {
        // Plain data: a panic elsewhere leaves it whole.
        self.unsaved.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every measurement known: the media root's cache, the fall-back's, and those not yet
    /// written. Read afresh each time, so a curator's `playlist analyze` counts at once. A cache
    /// that cannot be read counts as empty: the tracks are then measured again.
    pub fn load(&self) -> LoudnessCache {
        let mut cache = LoudnessCache::load(&self.media_root).unwrap_or_default();
        if let Some(path) = self.fallback_path() {
            merge(&mut cache, LoudnessCache::load_from(&path).unwrap_or_default());
        }
        merge(&mut cache, clone_of(&self.unsaved().cache));
        cache
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
    /// failure the measurements are kept to be tried again.
    pub fn save(&self) -> Result<Option<Kept>, StoreError> {
        let mut unsaved = self.unsaved();
        if unsaved.cache.files.is_empty() {
            return Ok(None);
        }
        let media = LoudnessCache::path(&self.media_root);
        let media_error = match add_to(&media, &unsaved.cache) {
            Ok(()) => {
                unsaved.cache.files.clear();
                return Ok(Some(Kept::Media(media)));
            }
            Err(e) => e,
        };
        let Some(fallback) = self.fallback_path() else {
            return Err(StoreError::Unwritable {
                media: media_error,
                fallback: None,
            });
        };
        match add_to(&fallback, &unsaved.cache) {
            Ok(()) => {
                unsaved.cache.files.clear();
                if !unsaved.told_fallback {
                    unsaved.told_fallback = true;
                    // The installed daemon's usual case (the media are read-only to it).
                    tracing::info!(
                        cache = %fallback.display(),
                        "the media directory's loudness cache cannot be written ({}); measurements are kept in {} instead",
                        error_chain(&media_error),
                        fallback.display()
                    );
                }
                Ok(Some(Kept::Fallback(fallback)))
            }
            Err(e) => Err(StoreError::Unwritable {
                media: media_error,
                fallback: Some(e),
            }),
        }
    }
}

/// Adds `from`'s measurements to the cache file at `path`, as it is on disk now.
fn add_to(path: &Path, from: &LoudnessCache) -> Result<(), CacheError> {
    let mut cache = LoudnessCache::load_from(path)?;
    merge(&mut cache, clone_of(from));
    cache.save_to(path)
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
