//! Finding the config and, through it, the daemon's socket.

use std::path::{Path, PathBuf};

use anyhow::Context;

use setting::config::{self, Config, Environment};

use crate::args::Cli;
use crate::failure::Failure;

/// The socket to talk to, and a note for the "not running" message on how it was chosen.
pub struct SocketTarget {
    pub path: PathBuf,
    pub note: String,
}

/// `--socket` (or `SETTING_SOCKET`) first, else the config's socket. A config that cannot be
/// read must not stop an urgent command, so the daemon's default socket is tried and the
/// reason kept for the message should that fail too.
pub fn socket(cli: &Cli) -> SocketTarget {
    if let Some(path) = &cli.socket {
        return SocketTarget {
            path: path.clone(),
            note: String::new(),
        };
    }
    match load(cli.config.as_deref()) {
        Ok(config) => SocketTarget {
            path: config.daemon.socket,
            note: String::new(),
        },
        Err(e) => SocketTarget {
            path: Environment::current().default_socket(),
            note: format!(
                "; the config could not be read either: {}",
                crate::error_chain(&e)
            ),
        },
    }
}

/// The config, from `--config` (or `SETTING_CONFIG`) or the usual places.
pub fn load(explicit: Option<&Path>) -> anyhow::Result<Config> {
    let path = config::locate_config(explicit).context(Failure::BadInput("cannot find the config".into()))?;
    config::load_config(&path)
        .with_context(|| Failure::BadInput(format!("cannot read the config {}", path.display())))
}
