//! From the raw playlist to [`Playlist`]: at least one track, paths that stay under the
//! media root, sane trims and fades, and a `next` that exists when the playlist continues.

use super::model::{Playlist, Track, WhenDone};
use super::raw::{RawPlaylist, RawTrack};
use crate::diagnostic::Document;
use crate::time::Millis;

#[derive(Clone, Copy)]
enum Then {
    Loop,
    Silence,
    Continue,
}

const WHEN_DONE: &[(&str, Then)] = &[
    ("loop", Then::Loop),
    ("silence", Then::Silence),
    ("continue", Then::Continue),
];

/// Longer than any musical crossfade; a longer value is most likely a typo (`20m` for `20s`).
const MAX_FADE: Millis = Millis::from_mins(2);

pub fn playlist(doc: &mut Document<'_>, name: &str, raw: RawPlaylist, known: &[String]) -> Option<Playlist> {
    let complete = !doc.has_problems();
    let then = match &raw.when_done {
        Some(w) => doc.one_of(w, "when_done", WHEN_DONE),
        None => Some(Then::Loop),
    };
    let when_done = match (then, &raw.next) {
        (Some(Then::Continue), Some(next)) if next.get_ref() == name => {
            doc.error_at(
                next,
                "`next` names this playlist itself; use when_done = \"loop\"",
            );
            None
        }
        (Some(Then::Continue), Some(next)) if !known.contains(next.get_ref()) => {
            let known = if known.is_empty() {
                "there are none".to_string()
            } else {
                known.join(", ")
            };
            doc.error_at(
                next,
                format!("unknown playlist `{}`; known playlists: {known}", next.get_ref()),
            );
            None
        }
        (Some(Then::Continue), Some(next)) => Some(WhenDone::Continue(next.get_ref().clone())),
        (Some(Then::Continue), None) => {
            let w = raw.when_done.as_ref().expect("continue was written");
            doc.error_at(
                w,
                "when_done = \"continue\" needs `next`, the playlist to go on with",
            );
            None
        }
        (Some(_), Some(next)) => {
            doc.error_at(next, "`next` only applies with when_done = \"continue\"");
            None
        }
        (Some(Then::Loop), None) => Some(WhenDone::Loop),
        (Some(Then::Silence), None) => Some(WhenDone::Silence),
        (None, _) => None,
    };
    if raw.track.is_empty() && complete {
        doc.error_whole("the playlist has no tracks; expected at least one [[track]] with a `path`");
    }
    let tracks: Vec<Option<Track>> = raw.track.iter().map(|t| track(doc, t)).collect();
    Some(Playlist {
        name: name.to_string(),
        title: raw.title.unwrap_or_else(|| name.to_string()),
        when_done: when_done?,
        tracks: tracks.into_iter().collect::<Option<_>>()?,
    })
}

fn track(doc: &mut Document<'_>, raw: &RawTrack) -> Option<Track> {
    let path = doc.media_path(&raw.path);
    let gain_db = match &raw.gain_db {
        Some(g) => doc.in_range(g, "gain_db", -24.0..=12.0, " dB"),
        None => Some(0.0),
    };
    let fade_in = fade(doc, raw.fade_in.as_ref(), "fade_in");
    let fade_out = fade(doc, raw.fade_out.as_ref(), "fade_out");
    let crossfade = match &raw.crossfade {
        Some(c) => doc.duration_at_most(c, "crossfade", MAX_FADE).map(Some),
        None => Some(None),
    };
    Some(Track {
        path: path?,
        gain_db: gain_db? as f32,
        fade_in: fade_in?,
        fade_out: fade_out?,
        crossfade: crossfade?,
        note: raw.note.clone(),
    })
}

fn fade(doc: &mut Document<'_>, raw: Option<&serde_spanned::Spanned<String>>, what: &str) -> Option<Millis> {
    match raw {
        Some(f) => doc.duration_at_most(f, what, MAX_FADE),
        None => Some(Millis::ZERO),
    }
}
