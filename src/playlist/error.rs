//! Why a playlist file could not be loaded.

use std::path::PathBuf;

use crate::diagnostic::Diagnostics;

#[derive(Debug, thiserror::Error)]
pub enum PlaylistError {
    #[error("cannot read playlist file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Every problem in the file, each with its line and column.
    #[error(transparent)]
    Invalid(#[from] Diagnostics),
}
