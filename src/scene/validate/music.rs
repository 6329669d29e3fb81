//! Music in a scene: a phase's playlist or silence, and a cue's change of level, playlist or
//! silence.

use serde_spanned::Spanned;

use crate::diagnostic::Document;
use crate::scene::load::SceneContext;
use crate::scene::model::{MusicCue, MusicSpec};
use crate::scene::raw::{RawCueMusic, RawPhaseMusic};
use crate::time::Millis;

/// Between phases; long enough to blend, short enough that the new phase is felt to begin.
pub const DEFAULT_CROSSFADE: Millis = Millis::from_secs(10);
pub const DEFAULT_FADE: Millis = Millis::from_secs(10);
pub const DEFAULT_RAMP: Millis = Millis::from_secs(10);

pub fn phase(
    doc: &mut Document<'_>,
    raw: &Spanned<RawPhaseMusic>,
    ctx: &SceneContext<'_>,
) -> Option<MusicSpec> {
    let m = raw.get_ref();
    if is_true(&m.silence) {
        let mut ok = true;
        for (key, span) in [
            ("playlist", m.playlist.as_ref().map(Spanned::span)),
            ("level_db", m.level_db.as_ref().map(Spanned::span)),
            ("crossfade", m.crossfade.as_ref().map(Spanned::span)),
        ] {
            if let Some(span) = span {
                doc.error(
                    span,
                    format!("`{key}` does not go with `silence = true`; silence takes only `fade`"),
                );
                ok = false;
            }
        }
        let fade = music_fade(doc, m.fade.as_ref(), DEFAULT_FADE, "fade");
        return if ok {
            Some(MusicSpec::Silence { fade: fade? })
        } else {
            None
        };
    }
    if let Some(fade) = &m.fade {
        doc.error_at(
            fade,
            "`fade` is for `silence = true`; a playlist fades in with `crossfade`",
        );
    }
    let Some(name) = &m.playlist else {
        doc.error_at(
            raw,
            "music needs a `playlist` and its `level_db`, or `silence = true`",
        );
        return None;
    };
    let name = playlist(doc, name, ctx);
    let level_db = match &m.level_db {
        Some(level) => level_db(doc, level),
        None => {
            doc.error_at(
                raw,
                "music with a playlist needs `level_db`, in dB below the ceiling (-60 to 0)",
            );
            None
        }
    };
    let crossfade = music_fade(doc, m.crossfade.as_ref(), DEFAULT_CROSSFADE, "crossfade");
    if m.fade.is_some() {
        return None;
    }
    Some(MusicSpec::Playlist {
        name: name?,
        level_db: level_db?,
        crossfade: crossfade?,
    })
}

pub fn cue(doc: &mut Document<'_>, raw: &Spanned<RawCueMusic>, ctx: &SceneContext<'_>) -> Option<MusicCue> {
    let m = raw.get_ref();
    let silence = is_true(&m.silence);
    if m.level_db.is_none() && m.playlist.is_none() && !silence {
        doc.error_at(
            raw,
            "a music cue needs `level_db`, `playlist` or `silence = true`",
        );
        return None;
    }
    let mut ok = true;
    if silence {
        for (key, span) in [
            ("playlist", m.playlist.as_ref().map(Spanned::span)),
            ("level_db", m.level_db.as_ref().map(Spanned::span)),
        ] {
            if let Some(span) = span {
                doc.error(span, format!("`{key}` does not go with `silence = true`"));
                ok = false;
            }
        }
    }
    let playlist = match &m.playlist {
        Some(name) => playlist(doc, name, ctx).map(Some),
        None => Some(None),
    };
    let level_db = match &m.level_db {
        Some(level) => level_db(doc, level).map(Some),
        None => Some(None),
    };
    let ramp = music_fade(doc, m.ramp.as_ref(), DEFAULT_RAMP, "ramp");
    if !ok {
        return None;
    }
    Some(MusicCue {
        level_db: level_db?,
        silence,
        playlist: playlist?,
        ramp: ramp?,
    })
}

/// `silence = false` says nothing, so it counts as absent.
fn is_true(flag: &Option<Spanned<bool>>) -> bool {
    flag.as_ref().is_some_and(|f| *f.get_ref())
}

/// Levels are relative to the room's hard ceiling, so nothing above 0 dB can be asked for.
fn level_db(doc: &mut Document<'_>, level: &Spanned<f64>) -> Option<f32> {
    doc.in_range(level, "level_db", -60.0..=0.0, " dB")
        .map(|v| v as f32)
}

fn playlist(doc: &mut Document<'_>, name: &Spanned<String>, ctx: &SceneContext<'_>) -> Option<String> {
    if ctx.playlists.iter().any(|p| p == name.get_ref()) {
        return Some(name.get_ref().clone());
    }
    let known = if ctx.playlists.is_empty() {
        "there are none".to_string()
    } else {
        ctx.playlists.join(", ")
    };
    doc.error_at(
        name,
        format!("unknown playlist `{}`; known playlists: {known}", name.get_ref()),
    );
    None
}

fn music_fade(
    doc: &mut Document<'_>,
    value: Option<&Spanned<String>>,
    default: Millis,
    what: &str,
) -> Option<Millis> {
    super::gliding(doc, value, default, what, "the music's level")
}
