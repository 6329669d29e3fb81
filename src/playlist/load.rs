//! Reading a playlist, from text or from a file whose stem names it.

use std::path::Path;

use super::error::PlaylistError;
use super::model::Playlist;
use super::{raw, validate};
use crate::diagnostic::{Diagnostics, Document};

/// Parses and validates a playlist's text. `known_playlists` are the names `next` may use.
pub fn parse_playlist(
    name: &str,
    path: &Path,
    text: &str,
    known_playlists: &[String],
) -> Result<Playlist, Diagnostics> {
    let mut doc = Document::new(path, text);
    let playlist =
        raw::read(&mut doc).and_then(|raw| validate::playlist(&mut doc, name, raw, known_playlists));
    doc.finish(playlist)
}

/// Reads and validates a playlist file, named after its stem.
pub fn load_playlist(path: &Path, known_playlists: &[String]) -> Result<Playlist, PlaylistError> {
    let bytes = std::fs::read(path).map_err(|source| PlaylistError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = crate::diagnostic::utf8_text(path, bytes).map_err(Diagnostics::from)?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(parse_playlist(&name, path, &text, known_playlists)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playlist::WhenDone;
    use crate::time::Millis;

    fn parse(text: &str) -> Result<Playlist, Vec<String>> {
        let known = vec!["peak".to_string(), "return".to_string()];
        parse_playlist("peak", Path::new("p.toml"), text, &known).map_err(|e| {
            e.iter()
                .map(|d| d.to_string().trim_start_matches("p.toml:").trim().to_string())
                .collect()
        })
    }

    fn one(text: &str) -> String {
        let p = parse(text).unwrap_err();
        assert_eq!(p.len(), 1, "{p:#?}");
        p[0].clone()
    }

    const TRACK: &str = "[[track]]\npath = \"peak/01.flac\"\n";

    #[test]
    fn a_full_playlist() {
        let text = "title = \"Peak\"\nwhen_done = \"continue\"\nnext = \"return\"\n[[track]]\npath = \"peak/01.flac\"\n\
                    gain_db = -1.5\nfade_in = \"2s\"\nfade_out = \"3s\"\ncrossfade = \"8s\"\nnote = \"soft\"\n\
                    [[track]]\npath = \"peak/02.flac\"\n";
        let p = parse(text).unwrap();
        assert_eq!(p.name, "peak");
        assert_eq!(p.when_done, WhenDone::Continue("return".into()));
        assert_eq!(p.tracks.len(), 2);
        let t = &p.tracks[0];
        assert_eq!(
            (t.gain_db, t.fade_in, t.crossfade),
            (-1.5, Millis::from_secs(2), Some(Millis::from_secs(8)))
        );
        assert_eq!(p.tracks[1].crossfade, None, "gapless unless asked");
        assert_eq!(p.tracks[1].file(Path::new("/m")), Path::new("/m/peak/02.flac"));
    }

    #[test]
    fn defaults() {
        let p = parse(TRACK).unwrap();
        assert_eq!((p.title.as_str(), &p.when_done), ("peak", &WhenDone::Loop));
        assert_eq!(p.tracks[0].gain_db, 0.0);
    }

    #[test]
    fn needs_a_track() {
        assert_eq!(
            one("title = \"x\"\n"),
            "the playlist has no tracks; expected at least one [[track]] with a `path`"
        );
    }

    #[test]
    fn paths_stay_under_the_media_root() {
        assert_eq!(
            one("[[track]]\npath = \"../secret.flac\"\n"),
            "2:8: `../secret.flac` is not a path under the media root; expected a relative path without `..`, such \
             as `peak/01-slow-rise.flac`"
        );
        assert!(one("[[track]]\npath = \"/srv/a.flac\"\n").starts_with("2:8: `/srv/a.flac` is not a path"));
    }

    #[test]
    fn continue_needs_an_existing_next() {
        assert_eq!(
            one(&format!("when_done = \"continue\"\n{TRACK}")),
            "1:13: when_done = \"continue\" needs `next`, the playlist to go on with"
        );
        assert_eq!(
            one(&format!("when_done = \"continue\"\nnext = \"retrun\"\n{TRACK}")),
            "2:8: unknown playlist `retrun`; known playlists: peak, return"
        );
        assert_eq!(
            one(&format!("next = \"return\"\n{TRACK}")),
            "1:8: `next` only applies with when_done = \"continue\""
        );
        assert_eq!(
            one(&format!("when_done = \"again\"\n{TRACK}")),
            "1:13: unknown when_done `again`; expected one of loop, silence, continue"
        );
    }

    #[test]
    fn trims_and_fades() {
        let p = parse(&format!(
            "{TRACK}gain_db = 20\nfade_in = \"5\"\ncrossfade = \"20m\"\n"
        ))
        .unwrap_err();
        assert_eq!(
            p,
            [
                "3:11: gain_db 20 is out of range; expected -24 to 12 dB",
                "4:11: `5` is not a duration; expected a number and a unit (h, m, s, ms), such as `90s`, `15m` or `1h30m`",
                "5:13: crossfade of 20m is too long; expected at most 2m",
            ]
        );
    }

    #[test]
    fn every_bad_track_is_reported() {
        let p = parse("[[track]]\npath = 1\n[[track]]\npath = \"a.flac\"\nvolume = 3\n").unwrap_err();
        assert_eq!(
            p,
            [
                "2:8: invalid type: integer `1`, expected a string",
                "5:1: unknown field `volume`, expected one of `path`, `gain_db`, `fade_in`, `fade_out`, `crossfade`, `note`",
            ]
        );
    }
}
