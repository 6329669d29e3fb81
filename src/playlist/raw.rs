//! The playlist file as written: serde structures that mirror the TOML and reject unknown
//! keys; each track is read on its own so that every malformed one is reported.

use serde::Deserialize;
use serde_spanned::Spanned;

use crate::diagnostic::Document;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlaylist {
    pub title: Option<String>,
    pub when_done: Option<Spanned<String>>,
    pub next: Option<Spanned<String>>,
    /// Filled by [`read`] one track at a time.
    #[serde(default)]
    pub track: Vec<RawTrack>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTrack {
    pub path: Spanned<String>,
    pub gain_db: Option<Spanned<f64>>,
    pub fade_in: Option<Spanned<String>>,
    pub fade_out: Option<Spanned<String>>,
    pub crossfade: Option<Spanned<String>>,
    pub note: Option<String>,
}

/// `None` when the file is not TOML or its top-level keys are wrong; tracks that fail are
/// left out (their problems are in `doc`).
pub fn read(doc: &mut Document<'_>) -> Option<RawPlaylist> {
    let mut root = doc.parse()?;
    let tracks = doc.take_tables(root.get_mut(), "track");
    let playlist: Option<RawPlaylist> = doc.read_table(root);
    let tracks: Vec<RawTrack> = tracks.into_iter().filter_map(|t| doc.read(t)).collect();
    let mut playlist = playlist?;
    playlist.track = tracks;
    Some(playlist)
}
