//! Finding the config and, through it, the daemon's socket; or, for `--room` and `rooms`, the
//! clinic's broker and the account to log in with.

use std::path::{Path, PathBuf};

use anyhow::Context;

use setting::config::{self, Config, Environment};
use setting::remote::client::{BrokerAccess, fresh_client_id};

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

/// The broker's port when none is given: MQTT over TLS, or plain.
const TLS_PORT: u16 = 8883;
const PLAIN_PORT: u16 = 1883;

/// Where the rooms are: the broker, how to log in, and the first level of every topic.
#[derive(Clone, Debug)]
pub struct BrokerTarget {
    pub access: BrokerAccess,
    pub prefix: String,
}

/// `--broker` (or `SETTING_BROKER`) first, else the config's `[mqtt]` broker with its TLS CA;
/// the account from `--broker-user`, never the room's own (that one is the daemon's).
pub fn broker(cli: &Cli) -> anyhow::Result<BrokerTarget> {
    let config = load(cli.config.as_deref());
    let prefix = prefix_of(config.as_ref().ok());
    let mut ca = cli.broker_ca.clone();
    let (host, port) = match (&cli.broker, &config) {
        (Some(broker), _) => {
            let default = if ca.is_some() { TLS_PORT } else { PLAIN_PORT };
            (broker.host.clone(), broker.port.unwrap_or(default))
        }
        (None, Ok(config)) => match &config.lights.broker {
            Some(broker) => {
                if ca.is_none() {
                    ca = broker.tls.as_ref().map(|tls| tls.ca.clone());
                }
                (broker.host.clone(), broker.port)
            }
            None => {
                return Err(Failure::BadInput(format!(
                    "which broker? the config {} has no [mqtt] broker; give --broker HOST[:PORT] or \
                     set SETTING_BROKER",
                    config.path.display()
                ))
                .into());
            }
        },
        (None, Err(e)) => {
            return Err(Failure::BadInput(format!(
                "which broker? give --broker HOST[:PORT] or set SETTING_BROKER (no config to take \
                 its [mqtt] broker from: {})",
                crate::error_chain(e)
            ))
            .into());
        }
    };
    let password = broker_password(cli)?;
    Ok(BrokerTarget {
        access: BrokerAccess {
            host,
            port,
            username: cli.broker_user.clone(),
            password,
            ca,
            client_id: fresh_client_id("setting"),
        },
        prefix,
    })
}

/// The first level of every topic: the config's `remote.topic_prefix`, else the default.
pub fn broker_prefix(cli: &Cli) -> String {
    prefix_of(load(cli.config.as_deref()).ok().as_ref())
}

fn prefix_of(config: Option<&Config>) -> String {
    config.map_or_else(
        || config::RemoteConfig::default().topic_prefix,
        |c| c.remote.topic_prefix.clone(),
    )
}

/// `--broker-password-file` first, else `SETTING_BROKER_PASSWORD`; never a flag of its own,
/// which would show the password in the process list and the shell's history.
fn broker_password(cli: &Cli) -> anyhow::Result<Option<String>> {
    if let Some(path) = &cli.broker_password_file {
        let text = std::fs::read_to_string(path).with_context(|| {
            Failure::BadInput(format!("cannot read the broker password file {}", path.display()))
        })?;
        return Ok(Some(text.trim_end_matches(['\n', '\r']).to_string()));
    }
    Ok(std::env::var("SETTING_BROKER_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty()))
}
