//! Arbitrary text to the playlist parser: it may refuse it, never panic, and a playlist it
//! accepts has tracks, each a path that stays under the media root.
#![no_main]

use std::path::{Component, Path};

use libfuzzer_sys::fuzz_target;
use setting::playlist::{WhenDone, parse_playlist};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let known = ["peak".to_string(), "return".to_string()];
    let playlist = match parse_playlist("peak", Path::new("fuzzed.toml"), text, &known) {
        Ok(playlist) => playlist,
        Err(diagnostics) => {
            assert!(diagnostics.iter().next().is_some(), "a refusal says why");
            return;
        }
    };
    assert!(!playlist.tracks.is_empty());
    if let WhenDone::Continue(next) = &playlist.when_done {
        assert!(known.contains(next), "{next} is not a known playlist");
    }
    let root = Path::new("/srv/media");
    for track in &playlist.tracks {
        let file = track.file(root);
        assert!(
            Path::new(&track.path)
                .components()
                .all(|c| matches!(c, Component::Normal(_) | Component::CurDir)),
            "{} leaves the media root",
            track.path
        );
        assert!(file.starts_with(root), "{}", file.display());
    }
});
