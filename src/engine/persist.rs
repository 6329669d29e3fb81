//! The state file, `<state_dir>/session.json`: everything needed to resume a running session
//! after a crash or reboot, written atomically so a crash mid-write leaves the previous copy.
//!
//! A file that cannot be read back is never fatal: it is renamed aside (kept for whoever
//! investigates) and the daemon starts idle. A room with no session beats a daemon that will
//! not start while a client lies in the dark. That covers more than torn JSON: something
//! other than a regular file in its place (a FIFO, a link, a device), a file past its size
//! limit, a key said twice, and any value out of the bounds a live session keeps
//! ([`SavedSession::validate`]), each said by name.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::config::MAX_SPEED;
use crate::safe_file::{self, Limit, SafeFileError};
use crate::strict_json;
use crate::time::Millis;
/// Where the daemon's other parts (and `setting emergency`'s marker) have always found it.
pub use crate::time::unix_millis;
use crate::timeline::limits::MAX_SESSION_TIME;
use crate::timeline::{FieldError, Snapshot};

/// Bumped when the layout changes incompatibly; an unknown version is treated as damaged.
pub const STATE_VERSION: u32 = 1;

const FILE_NAME: &str = "session.json";

/// 2020-01-01T00:00:00Z: no session of this daemon was saved before it.
const EARLIEST_WALL_UNIX_MS: u64 = 1_577_836_800_000;
/// 2100-01-01T00:00:00Z. Fixed rather than measured from the clock now: a machine that boots
/// with its clock at 1970 (no RTC, no network yet) must still resume the session it saved.
const LATEST_WALL_UNIX_MS: u64 = 4_102_444_800_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedSession {
    pub version: u32,
    pub snapshot: Snapshot,
    /// Session time when saved.
    pub session_time: Millis,
    /// Wall-clock time when saved, so the time the daemon was down can be counted.
    pub wall_unix_ms: u64,
    pub speed: f64,
    /// The last event-log sequence number this snapshot covers: a recovery replays the
    /// entries after it. 0 in files from before the log was numbered.
    #[serde(default)]
    pub log_seq: u64,
}

impl SavedSession {
    /// Every value within the bounds a live session keeps it in, or the first that is not,
    /// named by its path in the file (`snapshot.policy.emergency.look.brightness`).
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.session_time > MAX_SESSION_TIME {
            return Err(FieldError::new(
                "session_time",
                format!(
                    "is {} ms, more than the {} days a session could have run",
                    self.session_time.0,
                    MAX_SESSION_TIME.0 / 86_400_000
                ),
            ));
        }
        if !(self.speed > 0.0 && self.speed <= MAX_SPEED) {
            return Err(FieldError::new(
                "speed",
                format!("is {}, not a speed above 0 and at most {MAX_SPEED}", self.speed),
            ));
        }
        if !(EARLIEST_WALL_UNIX_MS..=LATEST_WALL_UNIX_MS).contains(&self.wall_unix_ms) {
            return Err(FieldError::new(
                "wall_unix_ms",
                format!(
                    "is {}, not a time between 2020 and 2100 in milliseconds since 1970",
                    self.wall_unix_ms
                ),
            ));
        }
        self.snapshot.validate().map_err(|e| e.within("snapshot"))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    #[error("cannot encode the session for the state file {path}")]
    Encode {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("cannot write the state file {path}")]
    Write { path: PathBuf, source: SafeFileError },
    #[error("cannot remove the state file {path}")]
    Remove { path: PathBuf, source: io::Error },
    #[error("cannot read the state file {path}")]
    Read { path: PathBuf, source: SafeFileError },
    #[error("the state file {path} was damaged ({reason}); it was set aside as {aside}")]
    Damaged {
        path: PathBuf,
        aside: PathBuf,
        reason: String,
    },
    #[error("the state file {path} is damaged ({reason}) and could not be set aside")]
    DamagedNotMoved {
        path: PathBuf,
        reason: String,
        source: io::Error,
    },
}

#[derive(Clone, Debug)]
pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    pub fn in_dir(state_dir: &Path) -> StateFile {
        StateFile {
            path: state_dir.join(FILE_NAME),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `saved` so that a crash at any moment leaves either the old or the new copy
    /// (through `session.json.tmp`, made afresh: never a link or FIFO left in its place).
    pub fn save(&self, saved: &SavedSession) -> Result<(), PersistError> {
        let json = serde_json::to_vec_pretty(saved).map_err(|source| PersistError::Encode {
            path: self.path.clone(),
            source,
        })?;
        safe_file::write_atomically(&self.path, &json).map_err(|source| PersistError::Write {
            path: self.path.clone(),
            source,
        })
    }

    /// The saved session, `None` when there is none. A file that cannot be resumed is moved
    /// aside before the error is returned, so the next start does not trip over it again; one
    /// that cannot be read at all (no permission) is left where it is.
    pub fn load(&self) -> Result<Option<SavedSession>, PersistError> {
        let bytes = match safe_file::read_limited(&self.path, Limit::STATE_FILE) {
            Ok(bytes) => bytes,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) if e.is_planted() => return Err(self.set_aside(format!("it {}", e.problem()))),
            Err(source) => {
                return Err(PersistError::Read {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        let reason = match strict_json::from_slice::<SavedSession>(&bytes) {
            Ok(saved) if saved.version != STATE_VERSION => {
                format!("version {} is not the supported {STATE_VERSION}", saved.version)
            }
            Ok(saved) => match saved.validate() {
                Ok(()) => return Ok(Some(saved)),
                Err(e) => e.to_string(),
            },
            Err(e) => e.to_string(),
        };
        Err(self.set_aside(reason))
    }

    /// Moves a file that cannot be resumed out of the way as `session.json.damaged-<unix time>`,
    /// and says so in the error returned.
    pub fn set_aside(&self, reason: String) -> PersistError {
        let aside = unused_path(
            self.path
                .with_file_name(format!("{FILE_NAME}.damaged-{}", unix_secs())),
        );
        match fs::rename(&self.path, &aside) {
            Ok(()) => PersistError::Damaged {
                path: self.path.clone(),
                aside,
                reason,
            },
            Err(source) => PersistError::DamagedNotMoved {
                path: self.path.clone(),
                reason,
                source,
            },
        }
    }

    /// Forgets the session (it finished). Already gone is fine.
    pub fn remove(&self) -> Result<(), PersistError> {
        match fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(PersistError::Remove {
                path: self.path.clone(),
                source,
            }),
        }
    }
}

/// `path`, or `path-2`, `path-3`, ...: two damaged files in one second must not overwrite
/// each other, since the first may be the one worth investigating.
fn unused_path(path: PathBuf) -> PathBuf {
    let mut candidate = path.clone();
    let mut n = 2;
    // `symlink_metadata`, not `exists`: a dangling link is something there too.
    while fs::symlink_metadata(&candidate).is_ok() {
        candidate = PathBuf::from(format!("{}-{n}", path.display()));
        n += 1;
    }
    candidate
}

fn unix_secs() -> u64 {
    unix_millis(SystemTime::now()) / 1000
}

#[cfg(test)]
#[path = "persist_tests.rs"]
mod tests;
