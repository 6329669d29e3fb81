//! Reading a scene, from text or from a file whose stem names it: the raw stage, then
//! validation against the room's zones and the known playlists.

use std::path::Path;

use super::error::SceneError;
use super::model::Scene;
use super::{raw, validate};
use crate::diagnostic::{Diagnostics, Document};

/// What a scene may refer to: the room's zones and the playlists that exist.
#[derive(Clone, Copy, Debug)]
pub struct SceneContext<'a> {
    pub zones: &'a [String],
    pub playlists: &'a [String],
}

/// Parses and validates a scene's text; `path` only names the file in diagnostics.
pub fn parse_scene(
    name: &str,
    path: &Path,
    text: &str,
    ctx: &SceneContext<'_>,
) -> Result<Scene, Diagnostics> {
    let mut doc = Document::new(path, text);
    let scene = raw::read(&mut doc).and_then(|raw| validate::scene(&mut doc, name, raw, ctx));
    doc.finish(scene)
}

/// Reads and validates a scene file. The scene is named after the file's stem, which is what
/// therapists type (`setting start sublingual`).
pub fn load_scene(path: &Path, ctx: &SceneContext<'_>) -> Result<Scene, SceneError> {
    let bytes = std::fs::read(path).map_err(|source| SceneError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = crate::diagnostic::utf8_text(path, bytes).map_err(Diagnostics::from)?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(parse_scene(&name, path, &text, ctx)?)
}
