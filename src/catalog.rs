//! What a room can play: the scene files and playlists under the config's paths, found by
//! their file stems, and the checks `setting validate` runs over config, scenes and playlists.

mod directories;
mod files;
mod paths;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::playlist::{Playlist, parse_playlist};
use crate::scene::{Scene, SceneContext, SceneError, load_scene};

pub use directories::directory_problems;
pub use files::is_scene_name;
pub use paths::validate_paths;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot list the {what} directory {}", path.display())]
    ReadDir {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "`{name}` is not a scene name; expected a file stem from the scenes directory, such as `sublingual`"
    )]
    BadSceneName { name: String },
    #[error("no scene `{name}`; known scenes: {}", if known.is_empty() { "none".to_string() } else { known.join(", ") })]
    UnknownScene { name: String, known: Vec<String> },
    #[error(transparent)]
    Scene(#[from] SceneError),
}

pub struct Catalog {
    config: Config,
    /// Scene files by stem.
    scenes: BTreeMap<String, PathBuf>,
    /// Every playlist file's stem, valid or not: what scenes may name.
    playlist_files: Vec<String>,
    /// Each playlist file by its stem.
    playlist_paths: BTreeMap<String, PathBuf>,
    /// The playlists that loaded.
    playlists: BTreeMap<String, Playlist>,
    /// Why the others did not.
    problems: Vec<Diagnostic>,
}

/// The scenes `start` accepts, by name, without reading any of them: for lists that are
/// refreshed often, such as the room's state on the broker.
pub fn scene_names(config: &Config) -> Result<Vec<String>, CatalogError> {
    Ok(files::toml_files(&config.paths.scenes, "scenes")?
        .into_keys()
        .collect())
}

impl Catalog {
    /// Lists the scenes and loads every playlist. Fails only when a directory cannot be
    /// listed: a playlist a curator broke is left out and reported in [`Catalog::problems`],
    /// so that it does not stop every session from starting.
    pub fn load(config: &Config) -> Result<Catalog, CatalogError> {
        let scenes = files::toml_files(&config.paths.scenes, "scenes")?;
        let playlist_paths = files::toml_files(&config.paths.playlists, "playlists")?;
        let playlist_files: Vec<String> = playlist_paths.keys().cloned().collect();
        let mut playlists: BTreeMap<String, Playlist> = BTreeMap::new();
        let mut problems = Vec::new();
        for (name, path) in &playlist_paths {
            match crate::diagnostic::read_text(path) {
                Ok(text) => match parse_playlist(name, path, &text, &playlist_files) {
                    Ok(p) => {
                        playlists.insert(name.clone(), p);
                    }
                    Err(e) => problems.extend(e),
                },
                Err(d) => problems.push(d),
            }
        }
        Ok(Catalog {
            config: config.clone(),
            scenes,
            playlist_files,
            playlist_paths,
            playlists,
            problems,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn scene_names(&self) -> Vec<String> {
        self.scenes.keys().cloned().collect()
    }

    /// The playlists that loaded.
    pub fn playlist_names(&self) -> Vec<String> {
        self.playlists.keys().cloned().collect()
    }

    /// `None` for an unknown playlist or one whose file is broken (see [`Catalog::problems`]).
    pub fn playlist(&self, name: &str) -> Option<&Playlist> {
        self.playlists.get(name)
    }

    pub fn playlists(&self) -> &BTreeMap<String, Playlist> {
        &self.playlists
    }

    /// `message` about track `index` (from 0) of playlist `name`, at that track's line in its
    /// file as the file is now.
    pub fn track_problem(&self, name: &str, index: usize, message: impl Into<String>) -> Diagnostic {
        let message = message.into();
        let Some(path) = self.playlist_paths.get(name) else {
            return Diagnostic::new(format!("{name}.toml"), message);
        };
        match std::fs::read_to_string(path) {
            Ok(text) => crate::playlist::at_track(path, &text, index, message),
            Err(_) => Diagnostic::new(path, message),
        }
    }

    /// Problems with playlist files found while loading.
    pub fn problems(&self) -> &[Diagnostic] {
        &self.problems
    }

    /// The file of a scene, refusing anything but a known plain stem: the name comes from a
    /// client, and must never reach outside the scenes directory.
    pub fn scene_path(&self, name: &str) -> Result<&Path, CatalogError> {
        if !is_scene_name(name) {
            return Err(CatalogError::BadSceneName {
                name: name.to_string(),
            });
        }
        match self.scenes.get(name) {
            Some(path) => Ok(path),
            None => Err(CatalogError::UnknownScene {
                name: name.to_string(),
                known: self.scene_names(),
            }),
        }
    }

    /// Reads the scene from disk now (so an edit takes effect at the next start) and
    /// validates it against the room's zones and the playlist files.
    pub fn load_scene(&self, name: &str) -> Result<Scene, CatalogError> {
        let path = self.scene_path(name)?;
        let zones = self.config.zone_names();
        let ctx = SceneContext {
            zones: &zones,
            playlists: &self.playlist_files,
        };
        Ok(load_scene(path, &ctx)?)
    }

    /// Every problem in the scenes and playlists. The config itself is valid: a `Catalog`
    /// is only built from a loaded one.
    /// Every problem with the media the loaded playlists name (missing, not a regular file,
    /// unreadable), at each track's line in its playlist file, and how many tracks were looked at.
    pub fn media_problems(&self) -> (Vec<Diagnostic>, usize) {
        let config = self.config();
        let mut found = Vec::new();
        let mut tracks = 0;
        for (name, playlist) in &self.playlists {
            let Some(path) = self.playlist_paths.get(name) else {
                continue;
            };
            match std::fs::read_to_string(path) {
                Ok(text) => {
                    tracks += playlist.tracks.len();
                    found.extend(crate::playlist::media_problems(
                        path,
                        &text,
                        &config.paths.media,
                        config.audio.read_timeout,
                    ));
                }
                Err(e) => found.push(Diagnostic::new(path, format!("cannot read: {e}"))),
            }
        }
        (found, tracks)
    }

    pub fn validate_all(&self) -> Vec<Diagnostic> {
        let mut all = self.problems.clone();
        for (name, path) in &self.scenes {
            match self.load_scene(name) {
                Ok(_) => {}
                Err(CatalogError::Scene(SceneError::Invalid(d))) => all.extend(d),
                Err(e) => all.push(Diagnostic::new(path, crate::error_text::error_chain(&e))),
            }
        }
        all
    }
}
