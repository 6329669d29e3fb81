//! The validated playlist.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::time::Millis;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Playlist {
    /// The file stem, which is how scenes name it.
    pub name: String,
    pub title: String,
    pub when_done: WhenDone,
    /// At least one.
    pub tracks: Vec<Track>,
}

/// What plays after the last track.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "then", content = "playlist", rename_all = "lowercase")]
pub enum WhenDone {
    Loop,
    Silence,
    /// Go on with another playlist (an existing one, checked when loading).
    Continue(String),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Track {
    /// Relative to the media root, never escaping it.
    pub path: String,
    /// Trim on top of loudness normalisation, -24 to +12 dB.
    pub gain_db: f32,
    pub fade_in: Millis,
    pub fade_out: Millis,
    /// Overlap with the next track; `None` plays the two gaplessly.
    pub crossfade: Option<Millis>,
    /// For the curators; never shown in a session.
    pub note: Option<String>,
}

impl Track {
    /// A track with no settings of its own, as an M3U line gives it: full level, no fades,
    /// joined gaplessly to the next.
    pub fn plain(path: impl Into<String>) -> Track {
        Track {
            path: path.into(),
            gain_db: 0.0,
            fade_in: Millis::ZERO,
            fade_out: Millis::ZERO,
            crossfade: None,
            note: None,
        }
    }

    pub fn file(&self, media_root: &Path) -> PathBuf {
        media_root.join(&self.path)
    }
}
