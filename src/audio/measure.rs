//! Measuring a file's integrated loudness and true peak (EBU R 128) while decoding it: what levels
//! every track, for the curators' analysis, the renders and the daemon alike.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ebur128::{EbuR128, Mode};

use super::decode::{DecodeError, Decoder};
use super::loudness_cache::{FileIdentity, Loudness, LoudnessCache, is_measured};
use super::loudness_store::{Kept, LoudnessStore, StoreError};
use super::parallel::map_parallel;
use super::read_watch::{Hung, ReadWatch, run_watched};

#[derive(Debug, thiserror::Error)]
pub enum LoudnessError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("the loudness meter refused the stream: {0:?}")]
    Meter(ebur128::Error),
    #[error("cannot read {}", path.display())]
    Stat {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// One of its reads did not come back: the file is on a share or disk that stalled.
    #[error("cannot read {}", path.display())]
    Hung {
        path: PathBuf,
        #[source]
        source: Hung,
    },
}

impl LoudnessError {
    /// Whether a read hung: the file is left alone rather than read again at once.
    pub fn is_hung(&self) -> bool {
        matches!(self, LoudnessError::Hung { .. })
    }
}

/// Decodes the whole file through a meter, one packet at a time. A truncated or corrupt file is
/// an error: its measurement would describe only part of the music.
pub fn measure(path: &Path) -> Result<Loudness, LoudnessError> {
    measure_watched(path, &ReadWatch::new())
}

/// [`measure`], with every read seen by `watch`.
pub fn measure_watched(path: &Path, watch: &Arc<ReadWatch>) -> Result<Loudness, LoudnessError> {
    let mut decoder = Decoder::open_watched(path, watch)?;
    let info = decoder.info().clone();
    let mut meter = EbuR128::new(
        u32::from(info.channels),
        info.sample_rate,
        Mode::I | Mode::TRUE_PEAK,
    )
    .map_err(LoudnessError::Meter)?;
    let mut packet = Vec::new();
    loop {
        packet.clear();
        if !decoder.decode_next(&mut packet)? {
            break;
        }
        meter.add_frames_f32(&packet).map_err(LoudnessError::Meter)?;
    }
    let lufs = meter.loudness_global().map_err(LoudnessError::Meter)?;
    let mut peak = 0.0f64;
    for ch in 0..u32::from(info.channels) {
        peak = peak.max(meter.true_peak(ch).map_err(LoudnessError::Meter)?);
    }
    let peak = 20.0 * peak.log10();
    Ok(Loudness {
        lufs: lufs.is_finite().then_some(lufs),
        true_peak_dbtp: peak.is_finite().then_some(peak),
        seconds: decoder.decoded_frames() as f64 / f64::from(info.sample_rate),
        replaygain_db: decoder.replaygain_db(),
    })
}

/// Measures `rel` (under `store`'s media root) and records it in `store`, as the file was
/// before it was read: a file replaced meanwhile no longer matches, and is measured again.
pub fn measure_into(store: &LoudnessStore, rel: &str) -> Result<Loudness, LoudnessError> {
    measure_into_watched(store, rel, &ReadWatch::new())
}

/// [`measure_into`], with every read seen by `watch`.
pub fn measure_into_watched(
    store: &LoudnessStore,
    rel: &str,
    watch: &Arc<ReadWatch>,
) -> Result<Loudness, LoudnessError> {
    let path = store.media_root().join(rel);
    let identity = watch
        .reading(|| FileIdentity::of(&path))
        .map_err(|source| LoudnessError::Stat {
            path: path.clone(),
            source,
        })?;
    let loudness = measure_watched(&path, watch)?;
    store.record(rel, identity, loudness.clone());
    Ok(loudness)
}

/// What [`measure_missing`] did.
#[derive(Debug)]
pub struct Measured {
    /// Files measured now.
    pub measured: usize,
    /// Files that could not be measured, and why.
    pub failed: Vec<(String, LoudnessError)>,
    /// Where the measurements were written, if they could be.
    pub kept: Result<Option<Kept>, StoreError>,
}

/// Measures, on every core, each regular file of `files` that `store` holds no measurement of
/// as it is now, and writes them. Those that cannot be written are still in `store` for this
/// process. A file one of whose reads hangs for `read_timeout` (the look at its status among
/// them) is given up, and failed.
pub fn measure_missing(store: &Arc<LoudnessStore>, files: &[String], read_timeout: Duration) -> Measured {
    let cache = Arc::new(store.load());
    let mut files: Vec<&String> = files.iter().collect();
    files.sort();
    files.dedup();
    let results = map_parallel(&files, |rel| measure_if_missing(store, &cache, rel, read_timeout));
    let mut measured = 0;
    let mut failed = Vec::new();
    for (rel, result) in files.into_iter().zip(results) {
        match result {
            Ok(true) => measured += 1,
            Ok(false) => {}
            Err(e) => failed.push((rel.clone(), e)),
        }
    }
    Measured {
        measured,
        failed,
        kept: store.save(),
    }
}

/// Measures `rel` into `store` if it is a regular file that `cache` holds no measurement of as
/// it is now; whether it was measured. On a thread of its own, given up once one of its reads
/// has hung for `read_timeout` (that thread is left in the read; should the read come back after
/// all, the measurement is still recorded). The look at the file comes first, on that thread:
/// on a stalled share it hangs as a read does.
fn measure_if_missing(
    store: &Arc<LoudnessStore>,
    cache: &Arc<LoudnessCache>,
    rel: &str,
    read_timeout: Duration,
) -> Result<bool, LoudnessError> {
    let (store, cache, owned) = (store.clone(), cache.clone(), rel.to_string());
    let path = store.media_root().join(rel);
    run_watched(read_timeout, move |watch| {
        let root = store.media_root();
        let missing = watch.reading(|| root.join(&owned).is_file() && !is_measured(root, &owned, &cache));
        if !missing {
            return Ok(false);
        }
        measure_into_watched(&store, &owned, watch).map(|_| true)
    })
    .unwrap_or_else(|source| Err(LoudnessError::Hung { path, source }))
}
