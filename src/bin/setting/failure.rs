//! The ways a command fails that decide its exit code. Anything else is a plain error
//! (`anyhow`) and exits 1.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use setting::protocol::{ErrorKind, ReplyError};
use setting::remote::client::{RemoteError, RemoteErrorClass};

#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The daemon understood and said no, or a check found problems.
    #[error("{0}")]
    Refused(String),
    /// The request itself was wrong; nothing was sent, or the daemon could not read it.
    #[error("{0}")]
    BadInput(String),
    #[error("settingd is not running: nothing is listening on {} (set --socket or SETTING_SOCKET){note}", socket.display())]
    NotRunning { socket: PathBuf, note: String },
    #[error("cannot reach settingd on {}: {reason}", socket.display())]
    Unreachable { socket: PathBuf, reason: String },
    /// The daemon could not record the command (its state disk refuses the event log), so
    /// nothing was carried out.
    #[error("{0}")]
    NotRecorded(String),
    /// The request was written to the socket and no reply came in time: the daemon may still
    /// read it and carry it out when it runs again.
    #[error(
        "the request was sent to settingd on {} but no answer came within {} s: it may or may not \
         have been carried out, and may still be when settingd catches up; `setting status` shows \
         the room now",
        socket.display(),
        within.as_secs()
    )]
    Unanswered { socket: PathBuf, within: Duration },
    /// A room over the broker (`--room`, `rooms`): the error says whether the account, the
    /// ACL, the broker or the room's daemon is the cause.
    #[error(transparent)]
    Remote(#[from] RemoteError),
}

impl Failure {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Failure::Refused(_) => ExitCode::from(1),
            Failure::BadInput(_) => ExitCode::from(2),
            Failure::NotRecorded(_) => ExitCode::from(6),
            Failure::NotRunning { .. } | Failure::Unreachable { .. } | Failure::Unanswered { .. } => {
                ExitCode::from(3)
            }
            Failure::Remote(e) => match e.class() {
                RemoteErrorClass::BadInput => ExitCode::from(2),
                RemoteErrorClass::Unreachable => ExitCode::from(3),
                RemoteErrorClass::Refused | RemoteErrorClass::Other => ExitCode::from(1),
            },
        }
    }

    /// The `kind` a `--json` error names, stable for scripts.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::Refused(_) => "refused",
            Failure::BadInput(_) => "bad_input",
            Failure::NotRecorded(_) => "not_recorded",
            Failure::NotRunning { .. } => "not_running",
            // As over the broker, where an unconfirmed request is `unreachable` too: scripts
            // know exit 3 and this kind, and the message tells the rest.
            Failure::Unreachable { .. } | Failure::Unanswered { .. } => "unreachable",
            Failure::Remote(e) => match e.class() {
                RemoteErrorClass::BadInput => "bad_input",
                RemoteErrorClass::Refused => "refused",
                RemoteErrorClass::Unreachable => "unreachable",
                RemoteErrorClass::Other => "error",
            },
        }
    }

    pub fn from_reply(error: ReplyError) -> Failure {
        match error.kind {
            ErrorKind::BadRequest => Failure::BadInput(error.message),
            ErrorKind::NotRecorded => Failure::NotRecorded(error.message),
            ErrorKind::Refused | ErrorKind::NoSession | ErrorKind::Internal => {
                Failure::Refused(error.message)
            }
        }
    }
}

/// The exit code for an error: its [`Failure`] decides, whether it is the error, a context
/// added to it, or a cause further down; else 1.
pub fn exit_code_of(error: &anyhow::Error) -> ExitCode {
    failure_of(error).map_or(ExitCode::from(1), Failure::exit_code)
}

/// The error's `kind` for `--json`: its [`Failure`]'s, else `error`.
pub fn kind_of(error: &anyhow::Error) -> &'static str {
    failure_of(error).map_or("error", Failure::kind)
}

fn failure_of(error: &anyhow::Error) -> Option<&Failure> {
    error
        .downcast_ref::<Failure>()
        .or_else(|| error.chain().find_map(|e| e.downcast_ref::<Failure>()))
}
