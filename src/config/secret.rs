//! Reading the broker password from where the config says it is, when the daemon connects.
//! Errors name the file or variable, never what was in it.

use std::ffi::OsString;
use std::path::PathBuf;

use super::SecretSource;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("cannot read the password file {}", path.display())]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the password file {} is empty", path.display())]
    EmptyFile { path: PathBuf },
    #[error("the password variable {name} is not set")]
    NotSet { name: String },
    /// The variable's value is deliberately not kept: `VarError::NotUnicode` would carry it.
    #[error("the password variable {name} is not valid UTF-8")]
    NotUnicode { name: String },
    #[error("the password variable {name} is empty")]
    EmptyVar { name: String },
}

/// The secret, read from its file or variable. One trailing line break is dropped from a
/// file, since editors and `echo` add one; anything else is taken as written.
pub fn read_secret(source: &SecretSource) -> Result<String, SecretError> {
    read_secret_with(source, |name| std::env::var_os(name))
}

/// [`read_secret`] with the environment given, so tests need not change the process's.
pub(crate) fn read_secret_with(
    source: &SecretSource,
    env: impl Fn(&str) -> Option<OsString>,
) -> Result<String, SecretError> {
    match source {
        SecretSource::File(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| SecretError::File {
                path: path.clone(),
                source,
            })?;
            let secret = text
                .strip_suffix('\n')
                .map(|s| s.strip_suffix('\r').unwrap_or(s))
                .unwrap_or(&text);
            if secret.is_empty() {
                return Err(SecretError::EmptyFile { path: path.clone() });
            }
            Ok(secret.to_string())
        }
        SecretSource::Env(name) => {
            let value = env(name).ok_or_else(|| SecretError::NotSet { name: name.clone() })?;
            let value = value
                .into_string()
                .map_err(|_| SecretError::NotUnicode { name: name.clone() })?;
            if value.is_empty() {
                return Err(SecretError::EmptyVar { name: name.clone() });
            }
            Ok(value)
        }
    }
}
