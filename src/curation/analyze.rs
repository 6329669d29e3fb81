//! `setting playlist analyze`: loudness for every file, measured on every core, or taken from
//! the cache when the file has not changed since.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::audio::decode::replaygain_tag;
use crate::audio::loudness_cache::{CacheError, FileIdentity, Loudness, LoudnessCache};
use crate::audio::measure::measure;
use crate::audio::parallel::map_parallel;
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
    analyze_with_progress(media_root, files, &|| {})
}

/// [`analyze`], calling `file_done` as each file is measured or found in the cache, from
/// whichever thread did it, so a command line can show how far it is.
pub fn analyze_with_progress(
    media_root: &Path,
    files: &[String],
    file_done: &(dyn Fn() + Sync),
) -> Result<Analysis, CacheError> {
    let mut cache = LoudnessCache::load(media_root)?;
    let jobs: Vec<(String, Option<FileIdentity>, Option<Loudness>)> = files
        .iter()
        .map(|rel| {
            let identity = FileIdentity::of(&media_root.join(rel)).ok();
            let cached = identity.and_then(|id| cache.get(rel, id).cloned());
            (rel.clone(), identity, cached)
        })
        .collect();
    let results = map_parallel(&jobs, |(rel, _, cached)| {
        let result = match cached {
            Some(l) => (true, Ok(l.clone())),
            None => (false, measure(&media_root.join(rel)).map_err(|e| error_chain(&e))),
        };
        file_done();
        result
    });
    let mut out = Vec::new();
    for ((rel, identity, _), (cached, result)) in jobs.into_iter().zip(results) {
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
            Err(error) => AnalyzedFile {
                replaygain_db: replaygain_tag(&media_root.join(&rel)),
                path: rel,
                cached: false,
                loudness: None,
                error: Some(error),
            },
        };
        out.push(file);
    }
    cache.save(media_root)?;
    Ok(Analysis {
        cache_file: LoudnessCache::path(media_root),
        files: out,
    })
}
