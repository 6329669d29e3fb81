//! The catalog over real files in a temporary room.

use std::fs;
use std::path::{Path, PathBuf};

use super::*;
use crate::config::parse_config;

const CONFIG: &str = "[room]\nname = \"r\"\n[[room.zone]]\nname = \"room\"\n";
const SCENE: &str = "title = \"S\"\nkind = \"individual\"\n[[phase]]\nid = \"a\"\ntitle = \"A\"\nplanned = \"10m\"\n\
                     ends = \"timer\"\nmusic = { playlist = \"calm\", level_db = -20 }\n";
const PLAYLIST: &str = "[[track]]\npath = \"calm/01.flac\"\n";

/// A room in a temporary directory: `settingd.toml`, `scenes/`, `playlists/`.
fn room(scenes: &[(&str, &str)], playlists: &[(&str, &str)]) -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().unwrap();
    for (sub, files) in [("scenes", scenes), ("playlists", playlists)] {
        fs::create_dir(dir.path().join(sub)).unwrap();
        for (name, text) in files {
            fs::write(dir.path().join(sub).join(name), text).unwrap();
        }
    }
    let config_path = dir.path().join("settingd.toml");
    fs::write(&config_path, CONFIG).unwrap();
    let config = parse_config(&config_path, CONFIG).unwrap();
    (dir, config)
}

#[test]
fn lists_scenes_and_loads_playlists() {
    let (_dir, config) = room(
        &[
            ("sublingual.toml", SCENE),
            ("notes.txt", "x"),
            (".#sublingual.toml", "x"),
        ],
        &[("calm.toml", PLAYLIST)],
    );
    let catalog = Catalog::load(&config).unwrap();
    assert_eq!(catalog.scene_names(), ["sublingual"]);
    assert_eq!(catalog.playlist_names(), ["calm"]);
    assert_eq!(catalog.load_scene("sublingual").unwrap().name, "sublingual");
    assert!(catalog.validate_all().is_empty(), "{:?}", catalog.validate_all());
}

#[test]
fn refuses_names_that_are_not_plain_stems() {
    let (_dir, config) = room(&[("sublingual.toml", SCENE)], &[("calm.toml", PLAYLIST)]);
    let catalog = Catalog::load(&config).unwrap();
    for bad in ["../../etc/passwd", "a/b", "", "..", ".hidden", "a\\b"] {
        let err = catalog.load_scene(bad).unwrap_err();
        assert!(matches!(err, CatalogError::BadSceneName { .. }), "{bad:?}: {err}");
    }
    let err = catalog.load_scene("iv").unwrap_err();
    assert_eq!(err.to_string(), "no scene `iv`; known scenes: sublingual");
}

#[test]
fn a_broken_playlist_is_reported_not_fatal() {
    let (_dir, config) = room(
        &[
            ("sublingual.toml", SCENE),
            ("bad.toml", "title = \"B\"\nkind = \"solo\"\n"),
        ],
        &[("calm.toml", "[[track]]\npath = \"../x.flac\"\n")],
    );
    let catalog = Catalog::load(&config).unwrap();
    assert!(catalog.playlist("calm").is_none());
    assert_eq!(catalog.problems().len(), 1);
    // A scene naming it still starts: one broken file must not stop every session.
    assert!(catalog.load_scene("sublingual").is_ok());
    let all: Vec<String> = catalog.validate_all().iter().map(file_and_message).collect();
    assert_eq!(
        all,
        [
            "calm.toml:2:8: `../x.flac` is not a path under the media root; expected a relative path without `..`, \
             such as `peak/01-slow-rise.flac`",
            "bad.toml: the scene has no phases; expected at least one [[phase]]",
            "bad.toml:2:8: unknown kind `solo`; expected one of individual, group, preparation, integration",
        ]
    );
}

#[test]
fn a_missing_directory_is_an_error() {
    let (dir, config) = room(&[], &[]);
    fs::remove_dir(dir.path().join("scenes")).unwrap();
    let err = Catalog::load(&config).err().unwrap();
    assert!(
        err.to_string().starts_with("cannot list the scenes directory "),
        "{err}"
    );
}

#[test]
fn validates_named_paths_by_directory_or_content() {
    let (dir, config) = room(&[("ok.toml", SCENE)], &[("calm.toml", PLAYLIST)]);
    let elsewhere = dir.path().join("drafts");
    fs::create_dir(&elsewhere).unwrap();
    fs::write(elsewhere.join("new-scene.toml"), SCENE.replace("calm", "fresh")).unwrap();
    fs::write(elsewhere.join("fresh.toml"), PLAYLIST).unwrap();
    fs::write(elsewhere.join("Cargo.toml"), "[package]\nname = \"x\"\n").unwrap();
    fs::write(
        elsewhere.join("broken.toml"),
        "kind = \"group\"\n[[phase]]\nid = 3\n",
    )
    .unwrap();
    let problems = validate_paths(&config, &[dir.path().to_path_buf()]);
    let problems: Vec<String> = problems.iter().map(file_and_message).collect();
    assert_eq!(
        problems,
        [
            "broken.toml:1:1: missing field `title`",
            "broken.toml:3:6: invalid type: integer `3`, expected a string"
        ]
    );

    let named = |p: &[PathBuf]| {
        validate_paths(&config, p)
            .iter()
            .map(file_and_message)
            .collect::<Vec<_>>()
    };
    assert!(named(&[config.path.clone(), elsewhere.join("fresh.toml")]).is_empty());
    assert_eq!(
        named(&[elsewhere.join("Cargo.toml")]),
        [
            "Cargo.toml: cannot tell whether this is a scene, a playlist or a config file; expected [[phase]], [[track]] or [room]"
        ]
    );
    assert_eq!(
        named(&[dir.path().join("nope.toml")]),
        ["nope.toml: no such file or directory"]
    );
    fs::write(elsewhere.join("syntax.toml"), "title = \n").unwrap();
    assert!(named(&[elsewhere.join("syntax.toml")])[0].starts_with("syntax.toml:1:"));
}

/// A diagnostic with only the file name, so that the temporary directory drops out.
fn file_and_message(d: &Diagnostic) -> String {
    let name = Path::new(&d.path)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    Diagnostic {
        path: name.into(),
        ..d.clone()
    }
    .to_string()
}
