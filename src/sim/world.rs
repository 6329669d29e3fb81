//! What the simulator runs: a room's config (its policy and lights) and every scene of its
//! catalog, loaded by the daemon's own loader, plus each playlist's tracks for the player's
//! reports.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::catalog::{Catalog, CatalogError};
use crate::config::{Config, ConfigError, load_config};
use crate::scene::Scene;

#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    #[error("the simulator's config does not load")]
    Config(#[from] ConfigError),
    #[error("the simulator's scenes do not load")]
    Catalog(#[from] CatalogError),
    #[error("the config at {0} has no scenes to run")]
    NoScenes(PathBuf),
}

pub struct World {
    pub config: Config,
    /// Every scene of the catalog, by name.
    pub scenes: Vec<Scene>,
    /// The tracks of each playlist that loaded, as the player would report them.
    pub tracks: BTreeMap<String, Vec<String>>,
}

impl World {
    /// The shipped demo room (`config/settingd.toml`) and the shipped scenes.
    pub fn shipped() -> Result<World, WorldError> {
        World::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/settingd.toml"))
    }

    pub fn load(config_path: &Path) -> Result<World, WorldError> {
        let config = load_config(config_path)?;
        let catalog = Catalog::load(&config)?;
        let scenes = catalog
            .scene_names()
            .iter()
            .map(|name| catalog.load_scene(name))
            .collect::<Result<Vec<Scene>, CatalogError>>()?;
        if scenes.is_empty() {
            return Err(WorldError::NoScenes(config_path.to_path_buf()));
        }
        let tracks = catalog
            .playlists()
            .iter()
            .map(|(name, p)| (name.clone(), p.tracks.iter().map(|t| t.path.clone()).collect()))
            .collect();
        Ok(World {
            config,
            scenes,
            tracks,
        })
    }

    pub fn scene(&self, index: usize) -> &Scene {
        &self.scenes[index % self.scenes.len()]
    }
}
