//! `setting validate [PATHS]`: checks the files named (or found under the directories named),
//! deciding whether each is a scene, a playlist or a config by where it sits, else by what it
//! holds.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::files::toml_files;
use crate::config::{Config, parse_config};
use crate::diagnostic::{Diagnostic, Document, read_text};
use crate::error_text::error_chain as chain;
use crate::playlist::parse_playlist;
use crate::scene::{SceneContext, parse_scene};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Config,
    Scene,
    Playlist,
}

/// Checks each path: a file, or a directory searched for `*.toml` files. Scenes are checked
/// against `config`'s zones and against the playlists of its playlists directory plus any
/// playlists among `paths`, so that a new playlist and the scene using it can be checked
/// together before either is installed.
pub fn validate_paths(config: &Config, paths: &[PathBuf]) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let mut found: Vec<(PathBuf, Kind)> = Vec::new();
    for path in paths {
        if path.is_dir() {
            // Files met while searching a directory are only checked when recognised: a
            // directory may well hold other TOML (a Cargo.toml) that is none of ours.
            let mut files = Vec::new();
            walk(path, &mut files, &mut problems);
            found.extend(
                files
                    .into_iter()
                    .filter_map(|f| Some((f.clone(), classify(config, &f)?))),
            );
        } else if path.exists() {
            match classify(config, path) {
                Some(kind) => found.push((path.clone(), kind)),
                None => problems.extend(unrecognised(path)),
            }
        } else {
            problems.push(Diagnostic::new(path, "no such file or directory"));
        }
    }
    let mut playlists: BTreeSet<String> = toml_files(&config.paths.playlists, "playlists")
        .map(|f| f.into_keys().collect())
        .unwrap_or_default();
    playlists.extend(
        found
            .iter()
            .filter(|(_, k)| *k == Kind::Playlist)
            .map(|(p, _)| stem(p)),
    );
    let playlists: Vec<String> = playlists.into_iter().collect();
    let zones = config.zone_names();
    let ctx = SceneContext {
        zones: &zones,
        playlists: &playlists,
    };
    for (path, kind) in found {
        let text = match read_text(&path) {
            Ok(text) => text,
            Err(d) => {
                problems.push(d);
                continue;
            }
        };
        let result = match kind {
            Kind::Config => parse_config(&path, &text).map(|config| {
                problems.extend(super::directory_problems(&config));
            }),
            Kind::Scene => parse_scene(&stem(&path), &path, &text, &ctx).map(drop),
            Kind::Playlist => parse_playlist(&stem(&path), &path, &text, &playlists).map(drop),
        };
        if let Err(e) = result {
            problems.extend(e);
        }
    }
    problems
}

/// Why a file named on the command line is none of ours: its TOML syntax, if that is what
/// kept it from being recognised, else that its keys are nobody's.
fn unrecognised(path: &Path) -> Vec<Diagnostic> {
    let text = match read_text(path) {
        Ok(text) => text,
        Err(d) => return vec![d],
    };
    let mut doc = Document::new(path, &text);
    if doc.parse().is_none() {
        return doc.finish::<()>(None).map_err(|e| e.into_vec()).unwrap_err();
    }
    let msg = "cannot tell whether this is a scene, a playlist or a config file; expected [[phase]], [[track]] or [room]";
    vec![Diagnostic::new(path, msg)]
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Every `*.toml` file under `dir`, hidden entries skipped, in a stable order.
fn walk(dir: &Path, files: &mut Vec<PathBuf>, problems: &mut Vec<Diagnostic>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            problems.push(Diagnostic::new(dir, format!("cannot list: {}", chain(&e))));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
    paths.sort();
    for path in paths {
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            continue;
        }
        if path.is_dir() {
            walk(&path, files, problems);
        } else if path.extension().is_some_and(|e| e == "toml") {
            files.push(path);
        }
    }
}

/// By the directory a file sits in (the config's own, then the usual names), else by its
/// top-level keys.
fn classify(config: &Config, path: &Path) -> Option<Kind> {
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same(path, &config.path) {
        return Some(Kind::Config);
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if same(parent, &config.paths.scenes) {
        return Some(Kind::Scene);
    }
    if same(parent, &config.paths.playlists) {
        return Some(Kind::Playlist);
    }
    let by_dir = match parent.canonicalize().ok()?.file_name()?.to_str()? {
        "scenes" => Some(Kind::Scene),
        "playlists" => Some(Kind::Playlist),
        _ => None,
    };
    by_dir.or_else(|| by_content(path))
}

fn by_content(path: &Path) -> Option<Kind> {
    let text = std::fs::read_to_string(path).ok()?;
    let table: toml::Table = toml::from_str(&text).ok()?;
    let has = |key: &str| table.contains_key(key);
    if has("phase") || has("kind") {
        Some(Kind::Scene)
    } else if has("track") || has("when_done") {
        Some(Kind::Playlist)
    } else if has("room") || has("daemon") {
        Some(Kind::Config)
    } else {
        None
    }
}
