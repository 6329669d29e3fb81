//! Finding the TOML files of a directory by stem, and which names may name a scene.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::CatalogError;

/// The `*.toml` files directly in `dir`, by stem. Hidden files (editors' lock and backup
/// files) are skipped so that a half-saved scene never shows up as one.
pub fn toml_files(dir: &Path, what: &'static str) -> Result<BTreeMap<String, PathBuf>, CatalogError> {
    let read_dir = |source| CatalogError::ReadDir {
        what,
        path: dir.to_path_buf(),
        source,
    };
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).map_err(read_dir)? {
        let path = entry.map_err(read_dir)?.path();
        if path.extension().is_none_or(|e| e != "toml") || !path.is_file() {
            continue;
        }
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if !stem.starts_with('.') {
            files.insert(stem.to_string(), path.clone());
        }
    }
    Ok(files)
}

/// A name that can only mean a file directly in the scenes directory.
pub fn is_scene_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0'])
        && name.chars().all(|c| !c.is_control())
}
