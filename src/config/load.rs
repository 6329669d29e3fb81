//! Reading the config, from text or from its file.

use std::path::Path;

use super::defaults::Environment;
use super::error::ConfigError;
use super::model::Config;
use super::raw::RawConfig;
use super::validate;
use crate::diagnostic::{Diagnostics, Document};

/// Parses and validates config text; `path` names the file in diagnostics and is the base
/// for relative paths in it.
pub fn parse_config(path: &Path, text: &str) -> Result<Config, Diagnostics> {
    parse_config_in(path, text, &Environment::current())
}

/// [`parse_config`] with the environment that decides the socket and state defaults.
pub fn parse_config_in(path: &Path, text: &str, env: &Environment) -> Result<Config, Diagnostics> {
    let mut doc = Document::new(path, text);
    let config = doc
        .parse()
        .and_then(|root| doc.read_table::<RawConfig>(root))
        .and_then(|raw| validate::config(&mut doc, path, raw, env));
    doc.finish(config)
}

pub fn load_config(path: &Path) -> Result<Config, ConfigError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = crate::diagnostic::utf8_text(path, bytes).map_err(Diagnostics::from)?;
    Ok(parse_config(path, &text)?)
}
