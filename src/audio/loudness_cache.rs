//! The loudness cache: measurements keyed by file identity (path under the media root, size
//! and modification time), kept as JSON in `<media root>/.setting-loudness.json` so that it
//! travels with the library it describes. The curators' analysis ([`crate::curation`]), the
//! renders and the daemon write it (through [`super::loudness_store`], which falls back on a
//! directory of the daemon's own when the media cannot be written); playback reads it to level
//! each track. They read and write it through [`super::loudness_file`], which gives up a read or
//! write that hangs (the media's share stalled).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::decode::replaygain_tag;
use super::parallel::map_parallel;
use super::read_watch::{Hung, run_watched};
use super::track::KnownLoudness;
use crate::safe_file::{self, Limit, SafeFileError};

pub const CACHE_FILE: &str = ".setting-loudness.json";

/// A measurement is about 200 bytes: 64 MiB is hundreds of thousands of tracks.
const CACHE_LIMIT: Limit = Limit {
    bytes: 64 << 20,
    what: "a loudness cache",
};

/// What makes a cached measurement still true: an edit or a replaced file changes the size
/// or the modification time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileIdentity {
    pub size: u64,
    /// Nanoseconds since the Unix epoch.
    pub mtime_ns: u64,
}

impl FileIdentity {
    pub fn of(path: &Path) -> std::io::Result<FileIdentity> {
        FileIdentity::from_metadata(&std::fs::metadata(path)?)
    }

    /// The identity of the file whose status is `meta`.
    pub fn from_metadata(meta: &std::fs::Metadata) -> std::io::Result<FileIdentity> {
        let mtime_ns = meta
            .modified()?
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        Ok(FileIdentity {
            size: meta.len(),
            mtime_ns,
        })
    }
}

/// One file's measurement. Silence has no integrated loudness and a peak of minus infinity;
/// both are `None` so that the JSON cache can hold them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Loudness {
    pub lufs: Option<f64>,
    pub true_peak_dbtp: Option<f64>,
    pub seconds: f64,
    /// REPLAYGAIN_TRACK_GAIN as tagged in the file, for comparison.
    pub replaygain_db: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CacheEntry {
    pub identity: FileIdentity,
    pub loudness: Loudness,
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cannot read the loudness cache {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: Box<SafeFileError>,
    },
    #[error("cannot write the loudness cache {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Its read hung (a stalled share) and was given up, or an earlier one is still stuck.
    #[error("cannot read the loudness cache {}", path.display())]
    ReadHung {
        path: PathBuf,
        #[source]
        source: Hung,
    },
    /// Its write hung and was given up, or a read or write of it is still stuck.
    #[error("cannot write the loudness cache {}", path.display())]
    WriteHung {
        path: PathBuf,
        #[source]
        source: Hung,
    },
}

impl CacheError {
    /// Whether the cache did not answer, rather than answered with an error.
    pub fn is_hung(&self) -> bool {
        matches!(self, CacheError::ReadHung { .. } | CacheError::WriteHung { .. })
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct LoudnessCache {
    /// By path relative to the media root.
    pub files: BTreeMap<String, CacheEntry>,
}

impl LoudnessCache {
    pub fn path(media_root: &Path) -> PathBuf {
        media_root.join(CACHE_FILE)
    }

    /// The cache, or an empty one when there is none yet. A cache that no longer parses
    /// (an older layout, a half-written file) is only a cache: it is started afresh.
    pub fn load(media_root: &Path) -> Result<LoudnessCache, CacheError> {
        Self::load_from(&Self::path(media_root))
    }

    /// [`LoudnessCache::load`] from a cache file wherever it is. Read as the daemon reads
    /// its own files: the media directory is the curators', and a FIFO or a link to a device
    /// planted at the cache's name must not hang or flood whoever reads it.
    pub fn load_from(path: &Path) -> Result<LoudnessCache, CacheError> {
        match safe_file::read_limited(path, CACHE_LIMIT) {
            Ok(bytes) => Ok(serde_json::from_slice(&bytes).unwrap_or_default()),
            Err(e) if e.is_not_found() => Ok(LoudnessCache::default()),
            Err(source) => Err(CacheError::Read {
                path: path.to_owned(),
                source: Box::new(source),
            }),
        }
    }

    /// Writes through a temporary file, so that a reader never sees half a cache.
    pub fn save(&self, media_root: &Path) -> Result<(), CacheError> {
        self.save_to(&Self::path(media_root))
    }

    /// The cache as it is written.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the cache is plain data")
    }

    /// [`LoudnessCache::save`] to a cache file wherever it is.
    pub fn save_to(&self, path: &Path) -> Result<(), CacheError> {
        Self::write_json(path, &self.to_json())
    }

    /// Writes `text` (a cache's JSON) to the cache file at `path`, through a temporary file.
    pub fn write_json(path: &Path, text: &str) -> Result<(), CacheError> {
        // Per process and per write, so that two writers at once (two runs, or two threads of
        // one) cannot interleave their writes.
        static WRITES: AtomicU64 = AtomicU64::new(0);
        let mut tmp = path.as_os_str().to_owned();
        let write = WRITES.fetch_add(1, Ordering::Relaxed);
        tmp.push(format!(".{}.{write}.tmp", std::process::id()));
        let tmp = PathBuf::from(tmp);
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|source| {
                let _ = std::fs::remove_file(&tmp);
                CacheError::Write {
                    path: path.to_owned(),
                    source,
                }
            })
    }

    /// The cached measurement if the file is still the one measured.
    pub fn get(&self, rel: &str, identity: FileIdentity) -> Option<&Loudness> {
        self.files
            .get(rel)
            .filter(|e| e.identity == identity)
            .map(|e| &e.loudness)
    }

    pub fn put(&mut self, rel: &str, identity: FileIdentity, loudness: Loudness) {
        self.files
            .insert(rel.to_string(), CacheEntry { identity, loudness });
    }
}

/// How loud a track is without decoding it: its cached measurement, else what its
/// ReplayGain tag implies (ReplayGain 2 aims tracks at -18 LUFS).
pub fn known_lufs(media_root: &Path, rel: &str, cache: &LoudnessCache) -> Option<f64> {
    known_loudness(media_root, rel, cache).lufs
}

/// [`known_lufs`], with the true peak when the track was measured.
pub fn known_loudness(media_root: &Path, rel: &str, cache: &LoudnessCache) -> KnownLoudness {
    let file = media_root.join(rel);
    let measured = FileIdentity::of(&file)
        .ok()
        .and_then(|id| cache.get(rel, id))
        .filter(|l| l.lufs.is_some());
    match measured {
        Some(l) => KnownLoudness {
            lufs: l.lufs,
            true_peak_dbtp: l.true_peak_dbtp,
        },
        None => KnownLoudness {
            lufs: replaygain_tag(&file).map(|gain| -18.0 - gain),
            true_peak_dbtp: None,
        },
    }
}

/// Whether `cache` holds a measurement of `rel` as the file is now. A silent file counts: it
/// was measured, and has no loudness to level by.
pub fn is_measured(media_root: &Path, rel: &str, cache: &LoudnessCache) -> bool {
    FileIdentity::of(&media_root.join(rel)).is_ok_and(|id| cache.get(rel, id).is_some())
}

/// The files of `files` (under `media_root`) that are there but whose loudness is known
/// neither from `cache` nor from a ReplayGain tag: they are measured before they play. Each is
/// looked at (its status, its tags) on every core, each look on a thread of its own given up
/// once it has hung for `read_timeout` (a stalled share): a file given up is not listed, since
/// nothing can be said of it.
pub fn unmeasured(
    media_root: &Path,
    cache: &LoudnessCache,
    files: &[String],
    read_timeout: Duration,
) -> Vec<String> {
    let mut files: Vec<&String> = files.iter().collect();
    files.sort();
    files.dedup();
    let entries: Vec<(&String, Option<CacheEntry>)> = files
        .into_iter()
        .map(|rel| (rel, cache.files.get(rel).cloned()))
        .collect();
    let unknown = map_parallel(&entries, |(rel, entry)| {
        let (root, rel) = (media_root.to_owned(), (*rel).clone());
        // Its own line of the cache, rather than the whole cache, goes to its thread.
        let mut alone = LoudnessCache::default();
        alone.files.extend(entry.clone().map(|e| (rel.clone(), e)));
        run_watched(read_timeout, move |watch| {
            watch.reading(|| root.join(&rel).is_file() && known_lufs(&root, &rel, &alone).is_none())
        })
        .unwrap_or(false)
    });
    entries
        .into_iter()
        .zip(unknown)
        .filter(|(_, unknown)| *unknown)
        .map(|((rel, _), _)| rel.clone())
        .collect()
}
