//! Why the daemon config could not be found or loaded.

use std::path::PathBuf;

use crate::diagnostic::Diagnostics;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "no config file found; tried {}; give one with --config or SETTING_CONFIG",
        list(tried)
    )]
    NotFound { tried: Vec<PathBuf> },
    #[error("cannot read config file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Every problem in the file, each with its line and column.
    #[error(transparent)]
    Invalid(#[from] Diagnostics),
}

fn list(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    shown.join(", ")
}
