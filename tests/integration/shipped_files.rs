//! Every file shipped in `config/`, `scenes/` and `playlists/` loads through the real loaders,
//! and the default scenes keep the facts of the session arcs they follow.

use std::path::{Path, PathBuf};

use setting::catalog::{Catalog, validate_paths};
use setting::config::{Config, load_config, parse_config};
use setting::playlist::load_playlist;
use setting::scene::{
    Anchor, Mark, MusicSpec, PhaseEnd, Scene, SceneContext, SceneKind, load_scene, parse_scene,
};
use setting::time::Millis;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn config() -> Config {
    load_config(&root().join("config/settingd.toml")).unwrap_or_else(|e| panic!("{e}"))
}

fn toml_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

fn stems(files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect()
}

fn scene(name: &str) -> Scene {
    Catalog::load(&config())
        .unwrap()
        .load_scene(name)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_config_file_loads() {
    for path in toml_files("config") {
        load_config(&path).unwrap_or_else(|e| panic!("{e}"));
    }
    let config = config();
    assert_eq!(config.room.name, "demo-room");
    assert_eq!(config.zone_names(), ["room", "mat-1", "mat-2", "mat-3"]);
    assert_eq!(config.policy.zones, config.zone_names());
    for dir in [&config.paths.scenes, &config.paths.playlists] {
        assert!(dir.is_dir(), "{} should exist", dir.display());
    }
}

#[test]
fn every_playlist_loads() {
    let files = toml_files("playlists");
    let names = stems(&files);
    for path in &files {
        let playlist = load_playlist(path, &names).unwrap_or_else(|e| panic!("{e}"));
        assert!(!playlist.tracks.is_empty());
    }
}

#[test]
fn every_scene_loads_against_the_demo_room() {
    let config = config();
    let zones = config.zone_names();
    let playlists = stems(&toml_files("playlists"));
    let ctx = SceneContext {
        zones: &zones,
        playlists: &playlists,
    };
    let files = toml_files("scenes");
    assert_eq!(
        stems(&files),
        [
            "group",
            "integration",
            "intramuscular",
            "iv-infusion",
            "preparation",
            "sublingual"
        ]
    );
    for path in &files {
        let scene = load_scene(path, &ctx).unwrap_or_else(|e| panic!("{e}"));
        for name in scene.playlists() {
            assert!(playlists.contains(&name), "{}: playlist {name}", scene.name);
        }
    }
}

#[test]
fn the_catalog_and_validate_find_nothing_wrong() {
    let config = config();
    let catalog = Catalog::load(&config).unwrap();
    assert!(catalog.problems().is_empty(), "{:?}", catalog.problems());
    assert_eq!(catalog.scene_names().len(), 6);
    assert!(catalog.validate_all().is_empty(), "{:?}", catalog.validate_all());
    let dirs = ["config", "scenes", "playlists"].map(|d| root().join(d));
    let problems = validate_paths(&config, &dirs);
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn sublingual_follows_the_arc() {
    let s = scene("sublingual");
    assert_eq!(s.kind, SceneKind::Individual);
    let ids: Vec<&str> = s.phases.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "arrival",
            "intention",
            "dosing",
            "onset",
            "peak",
            "return",
            "integration",
            "discharge"
        ]
    );
    let dosing = &s.phases[2];
    assert_eq!(dosing.sets_mark, Some(Mark::Dose));
    let spit = &dosing.cues[0];
    assert_eq!(
        (spit.at.anchor, spit.at.offset),
        (Anchor::Mark(Mark::Dose), Millis::from_mins(7))
    );
    assert_eq!(
        s.phases[3].ends,
        PhaseEnd::Timer,
        "onset moves into the peak by itself"
    );
    let bp = &s.cues[0];
    assert_eq!(
        (bp.at.anchor, bp.at.offset),
        (Anchor::Mark(Mark::Dose), Millis::from_mins(40))
    );
    let ret = &s.phases[5];
    let ramp = ret.light["room"].ramp.as_ref().unwrap();
    assert_eq!(
        (ret.light["room"].look.brightness, ramp.to.brightness),
        (5.0, 25.0)
    );
    assert_eq!((ret.light["room"].look.kelvin, ramp.to.kelvin), (2400, 2700));
    assert_eq!(ramp.over, Millis::from_mins(15));
    assert!(matches!(s.phases[7].music, Some(MusicSpec::Silence { .. })));
    assert_eq!(s.phases[s.closing_phase].id, "integration");
    let total: Millis = s.phases.iter().fold(Millis::ZERO, |t, p| t + p.planned);
    assert_eq!(total, Millis::from_mins(180), "about three hours");
}

#[test]
fn iv_marks_the_infusion_and_repeats_blood_pressure() {
    let s = scene("iv-infusion");
    assert!(s.phases.iter().any(|p| p.sets_mark == Some(Mark::Infusion)));
    assert!(s.phases.iter().all(|p| p.sets_mark != Some(Mark::Dose)));
    let bp = s
        .cues
        .iter()
        .find(|c| c.repeat.is_some())
        .expect("repeated blood-pressure prompt");
    assert_eq!(bp.repeat.unwrap().every, Millis::from_mins(15));
}

#[test]
fn the_group_scene_lights_every_mat() {
    let s = scene("group");
    assert_eq!(s.kind, SceneKind::Group);
    assert_eq!(s.zones(), ["mat-1", "mat-2", "mat-3", "room"]);
    for name in [
        "sublingual",
        "intramuscular",
        "iv-infusion",
        "preparation",
        "integration",
    ] {
        assert_eq!(
            scene(name).zones(),
            ["room"],
            "{name} is an individual room scene"
        );
    }
}

#[test]
fn sessions_without_dosing_set_no_mark() {
    for name in ["preparation", "integration"] {
        let s = scene(name);
        assert!(
            s.phases
                .iter()
                .all(|p| p.sets_mark.is_none() && p.ends == PhaseEnd::Therapist),
            "{name}"
        );
        for p in &s.phases {
            for look in p.light.values() {
                assert!(
                    (40.0..=60.0).contains(&look.look.brightness),
                    "{name}/{}: brighter scenes",
                    p.id
                );
            }
        }
    }
}

/// The first TOML block after `heading` in a document under `docs/`.
fn doc_example(doc: &str, heading: &str) -> String {
    let text = std::fs::read_to_string(root().join("docs").join(doc)).unwrap();
    let after = &text[text.find(heading).unwrap_or_else(|| panic!("{doc}: {heading}"))..];
    let start = after.find("```toml\n").unwrap() + "```toml\n".len();
    let end = start + after[start..].find("```").unwrap();
    after[start..end].to_string()
}

#[test]
fn the_documented_examples_are_valid() {
    let config = config();
    let zones = config.zone_names();
    let playlists = stems(&toml_files("playlists"));
    let ctx = SceneContext {
        zones: &zones,
        playlists: &playlists,
    };
    let example = doc_example("scenes.md", "## Worked example");
    let scene =
        parse_scene("example", Path::new("docs/scenes.md"), &example, &ctx).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(scene.phases.len(), 5);
    let refused = example.replace("at = \"dose+60m\"", "at = \"dose+70m\"");
    let err = parse_scene("example", Path::new("docs/scenes.md"), &refused, &ctx)
        .unwrap_err()
        .to_string();
    assert!(err.contains("after phase `peak` ends at 1:20:00"), "{err}");

    let example = doc_example("configuration.md", "## Example");
    parse_config(Path::new("/etc/setting/settingd.toml"), &example).unwrap_or_else(|e| panic!("{e}"));
}
