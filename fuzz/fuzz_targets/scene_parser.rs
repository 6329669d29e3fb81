//! Arbitrary text to the scene parser: it may refuse it (with diagnostics that name the file),
//! never panic. A scene it accepts must also run: the timeline core starts it, ticks through
//! it and takes its snapshot back, since a scene that parses but crashes the core would reach
//! a client's session.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use setting::scene::{SceneContext, parse_scene};
use setting::timeline::{Policy, Snapshot, Source, Timeline};

/// Enough steps to cross any scene a person would write; a scene with a cue repeating every
/// second for hours is cut short rather than looping the fuzzer for minutes.
const MAX_TICKS: usize = 2_000;

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The demo room's zones and the shipped playlists, so the seeds from scenes/ parse.
    let zones = names(&["room", "mat-1", "mat-2", "mat-3"]);
    let playlists = names(&[
        "arrival",
        "dosing",
        "integration",
        "intention",
        "onset",
        "peak",
        "preparation",
        "return",
    ]);
    let ctx = SceneContext {
        zones: &zones,
        playlists: &playlists,
    };
    let path = Path::new("fuzzed.toml");
    let scene = match parse_scene("fuzzed", path, text, &ctx) {
        Ok(scene) => scene,
        Err(diagnostics) => {
            assert!(diagnostics.iter().next().is_some(), "a refusal says why");
            return;
        }
    };
    assert!(!scene.phases.is_empty());
    assert!(scene.closing_phase < scene.phases.len());
    let policy = Policy {
        zones,
        ..Policy::default()
    };
    let (mut tl, _) = Timeline::start(scene, policy, "fuzz".into(), Source::daemon());
    for _ in 0..MAX_TICKS {
        let Some(deadline) = tl.next_deadline() else { break };
        assert!(
            deadline >= tl.now(),
            "a deadline in the past would spin the engine"
        );
        tl.tick(deadline);
    }
    let snapshot = tl.snapshot();
    let json = serde_json::to_string(&snapshot).expect("a snapshot serialises");
    let back: Snapshot = serde_json::from_str(&json).expect("a saved snapshot loads");
    let restored = Timeline::restore(back).expect("a saved snapshot is consistent");
    assert_eq!(restored.snapshot(), snapshot);
});
