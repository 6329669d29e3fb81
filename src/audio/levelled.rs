//! A playlist's track made ready to play: decoded, levelled to the loudness target (measured
//! loudness from the analysis cache, else ReplayGain tags), trimmed, faded as the playlist says
//! and at the output rate. The player and the offline render both load through here, so a
//! render sounds exactly as the room will.

use std::path::Path;

use super::decode::{DecodeError, decode_file};
use super::track::{PrepareError, PreparedTrack, Track, normalisation_db, prepare};
use crate::curation::{LoudnessCache, known_lufs};
use crate::playlist;

/// What levelling a track needs to know.
pub struct Levelling<'a> {
    pub media_root: &'a Path,
    pub cache: &'a LoudnessCache,
    pub target_lufs: f64,
}

/// A loaded track with the figures that went into its level.
pub struct Levelled {
    pub track: PreparedTrack,
    /// The gain applied: levelling plus the playlist's trim.
    pub gain_db: f32,
    /// The loudness it was levelled from, when known.
    pub lufs: Option<f64>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Prepare(#[from] PrepareError),
}

pub fn load_levelled(
    track: &playlist::Track,
    id: u64,
    rate: u32,
    levelling: &Levelling<'_>,
) -> Result<Levelled, LoadError> {
    let decoded = decode_file(&track.file(levelling.media_root))?;
    let lufs = known_lufs(levelling.media_root, &track.path, levelling.cache);
    let gain_db = normalisation_db(levelling.target_lufs, lufs, decoded.info.channels, track.gain_db);
    let prepared = prepare(&Track::from_decoded(id, decoded, gain_db), rate)?
        .with_fades(track.fade_in.to_duration(), track.fade_out.to_duration());
    Ok(Levelled {
        track: prepared,
        gain_db,
        lufs,
    })
}
