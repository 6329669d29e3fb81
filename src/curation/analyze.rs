//! `setting playlist analyze`: loudness for every file, measured on every core, or taken from
//! the cache when the file has not changed since.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::audio::decode::Decoder;
use crate::audio::loudness_cache::{CacheEntry, CacheError, FileIdentity, Loudness, LoudnessCache};
use crate::audio::loudness_file::CacheFile;
use crate::audio::measure::measure_watched;
use crate::audio::parallel::map_parallel;
use crate::audio::read_watch::{DEFAULT_READ_TIMEOUT, run_watched};
use crate::error_text::error_chain;

#[derive(Clone, Debug, Serialize)]
pub struct AnalyzedFile {
    /// Relative to the media root.
    pub path: String,
    /// Taken from the cache rather than measured now.
    pub cached: bool,
    pub loudness: Option<Loudness>,
    /// Why it could not be measured; its ReplayGain tag, if any, is in `replaygain_db`.
    pub error: Option<String>,
    /// The file's REPLAYGAIN_TRACK_GAIN, also read for files that could not be measured.
    pub replaygain_db: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct Analysis {
    pub cache_file: PathBuf,
    pub files: Vec<AnalyzedFile>,
    /// The cache hung as it was read or written (a stalled share), and what came of it.
    pub cache_hangs: Vec<String>,
}

impl Analysis {
    pub fn measured(&self) -> usize {
        self.files
            .iter()
            .filter(|f| f.loudness.is_some() && !f.cached)
            .count()
    }
    pub fn cached(&self) -> usize {
        self.files.iter().filter(|f| f.cached).count()
    }
    pub fn failed(&self) -> usize {
        self.files.iter().filter(|f| f.error.is_some()).count()
    }
}

/// Measures each file (paths relative to `media_root`, without duplicates) that the cache
/// does not already hold as it is now, then saves the cache.
pub fn analyze(media_root: &Path, files: &[String]) -> Result<Analysis, CacheError> {
    analyze_with_progress(media_root, files, DEFAULT_READ_TIMEOUT, &|| {})
}

/// [`analyze`], calling `file_done` as each file is measured or found in the cache, from
/// whichever thread did it, so a command line can show how far it is. A file one of whose
/// reads hangs for `read_timeout` is not measured, and the others go on. So does a cache whose
/// read hangs: every file is measured as if there were none, and the measurements are not
/// written over the cache (which would lose what it holds); one whose write hangs is given up.
/// Each is said in [`Analysis::cache_hangs`].
pub fn analyze_with_progress(
    media_root: &Path,
    files: &[String],
    read_timeout: Duration,
    file_done: &(dyn Fn() + Sync),
) -> Result<Analysis, CacheError> {
    let cache_file = CacheFile::new(LoudnessCache::path(media_root), read_timeout);
    let mut cache_hangs = Vec::new();
    let (mut cache, read) = match cache_file.load() {
        Ok(cache) => (cache, true),
        Err(e) if e.is_hung() => {
            cache_hangs.push(format!(
                "{}; going on without it: every file is measured now, and the measurements are not kept",
                error_chain(&e)
            ));
            (LoudnessCache::default(), false)
        }
        Err(e) => return Err(e),
    };
    let jobs: Vec<(String, Option<CacheEntry>)> = files
        .iter()
        .map(|rel| (rel.clone(), cache.files.get(rel).cloned()))
        .collect();
    let results = map_parallel(&jobs, |(rel, entry)| {
        let result = analyze_within(media_root.join(rel), entry.clone(), read_timeout);
        file_done();
        result
    });
    let mut out = Vec::new();
    for ((rel, _), (identity, cached, result)) in jobs.into_iter().zip(results) {
        let file = match result {
            Ok(loudness) => {
                if let (false, Some(id)) = (cached, identity) {
                    cache.put(&rel, id, loudness.clone());
                }
                AnalyzedFile {
                    replaygain_db: loudness.replaygain_db,
                    path: rel,
                    cached,
                    loudness: Some(loudness),
                    error: None,
                }
            }
            Err((error, replaygain_db)) => AnalyzedFile {
                replaygain_db,
                path: rel,
                cached: false,
                loudness: None,
                error: Some(error),
            },
        };
        out.push(file);
    }
    if read {
        match cache_file.save(&cache) {
            Ok(()) => {}
            Err(e) if e.is_hung() => {
                cache_hangs.push(format!("{}; the measurements are not kept", error_chain(&e)));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Analysis {
        cache_file: cache_file.path().to_owned(),
        files: out,
        cache_hangs,
    })
}

/// What analysing one file found: its identity as it was looked at (none when it could not be
/// had), whether its loudness came from the cache, and the loudness or why there is none.
type Analysed = (
    Option<FileIdentity>,
    bool,
    Result<Loudness, (String, Option<f64>)>,
);

/// Looks at one file and measures it unless `entry`, its line in the cache, still holds, on a
/// thread of its own, given up if one of its reads (the look at its status among them) hangs
/// for `read_timeout`. A file that cannot be measured comes back with why, and its ReplayGain
/// tag if it has one.
fn analyze_within(path: PathBuf, entry: Option<CacheEntry>, read_timeout: Duration) -> Analysed {
    let analysed = run_watched(read_timeout, move |watch| {
        let identity = watch.reading(|| FileIdentity::of(&path)).ok();
        if let Some(entry) = entry.filter(|e| identity == Some(e.identity)) {
            return (identity, true, Ok(entry.loudness));
        }
        let measured = measure_watched(&path, watch).map_err(|e| {
            let tag = Decoder::open_watched(&path, watch)
                .ok()
                .and_then(|d| d.replaygain_db());
            (error_chain(&e), tag)
        });
        (identity, false, measured)
    });
    analysed.unwrap_or_else(|hung| (None, false, Err((hung.to_string(), None))))
}
