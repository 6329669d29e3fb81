//! Whether the scenes and playlists directories a config names can be listed, each problem
//! pointing at the key in the config that names the directory.

use std::path::Path;

use toml::de::{DeTable, DeValue};

use crate::config::Config;
use crate::diagnostic::{self, Diagnostic};

/// One problem for each of the scenes and playlists directories that cannot be listed.
pub fn directory_problems(config: &Config) -> Vec<Diagnostic> {
    let dirs = [
        ("scenes", &config.paths.scenes),
        ("playlists", &config.paths.playlists),
    ];
    dirs.into_iter()
        .filter_map(|(key, dir)| {
            let why = std::fs::read_dir(dir).err()?;
            Some(at_key(&config.path, key, dir, &why))
        })
        .collect()
}

/// The problem at `[paths] key` in the config file, or at the file when the key is not
/// written (the directory is then the default one next to the config).
fn at_key(config: &Path, key: &str, dir: &Path, why: &std::io::Error) -> Diagnostic {
    let what = format!("the {key} directory {} cannot be listed: {why}", dir.display());
    let text = diagnostic::read_text(config).unwrap_or_default();
    match key_offset(&text, key) {
        Some(offset) => Diagnostic::at_offset(config, &text, offset, what),
        None => Diagnostic::new(
            config,
            format!("{what}; it is the default, next to the config; name another with [paths] {key}"),
        ),
    }
}

fn key_offset(text: &str, key: &str) -> Option<usize> {
    let root = DeTable::parse(text).ok()?;
    let DeValue::Table(paths) = root.get_ref().get("paths")?.get_ref() else {
        return None;
    };
    let (_, value) = paths.get_key_value(key)?;
    Some(value.span().start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_at_the_key_that_names_the_directory() {
        let dir = std::env::temp_dir().join(format!("setting-dirs-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("playlists")).unwrap();
        let path = dir.join("settingd.toml");
        let text = "[room]\nname = \"r\"\n[[room.zone]]\nname = \"z\"\n[paths]\nscenes = \"nowhere\"\n";
        std::fs::write(&path, text).unwrap();
        let config = crate::config::parse_config(&path, text).unwrap();
        let found = directory_problems(&config);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(found.len(), 1, "{found:#?}");
        let shown = found[0].to_string();
        let expected = format!(
            "{}:6:10: the scenes directory {}",
            path.display(),
            dir.join("nowhere").display()
        );
        assert!(shown.starts_with(&expected), "{shown}");
    }
}
