//! The state file, `<state_dir>/session.json`: everything needed to resume a running session
//! after a crash or reboot, written atomically so a crash mid-write leaves the previous copy.
//!
//! A file that cannot be read back is never fatal: it is renamed aside (kept for whoever
//! investigates) and the daemon starts idle. A room with no session beats a daemon that will
//! not start while a client lies in the dark.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::time::Millis;
use crate::timeline::Snapshot;

/// Bumped when the layout changes incompatibly; an unknown version is treated as damaged.
pub const STATE_VERSION: u32 = 1;

const FILE_NAME: &str = "session.json";

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

#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    #[error("cannot write the state file {path}")]
    Write { path: PathBuf, source: io::Error },
    #[error("cannot remove the state file {path}")]
    Remove { path: PathBuf, source: io::Error },
    #[error("cannot read the state file {path}")]
    Read { path: PathBuf, source: io::Error },
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

    /// Writes `saved` so that a crash at any moment leaves either the old or the new copy.
    pub fn save(&self, saved: &SavedSession) -> Result<(), PersistError> {
        let err = |source| PersistError::Write {
            path: self.path.clone(),
            source,
        };
        let json = serde_json::to_vec_pretty(saved).map_err(|e| err(io::Error::other(e)))?;
        let tmp = self.path.with_extension("json.tmp");
        let mut file = File::create(&tmp).map_err(err)?;
        file.write_all(&json).map_err(err)?;
        file.sync_all().map_err(err)?;
        drop(file);
        fs::rename(&tmp, &self.path).map_err(err)?;
        // The rename itself is only durable once the directory entry is on disk.
        if let Some(dir) = self.path.parent() {
            File::open(dir).and_then(|d| d.sync_all()).map_err(err)?;
        }
        Ok(())
    }

    /// The saved session, `None` when there is none. A damaged file is moved aside before the
    /// error is returned, so the next start does not trip over it again.
    pub fn load(&self) -> Result<Option<SavedSession>, PersistError> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(PersistError::Read {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        let reason = match serde_json::from_slice::<SavedSession>(&bytes) {
            Ok(saved) if saved.version == STATE_VERSION => return Ok(Some(saved)),
            Ok(saved) => format!("version {} is not the supported {STATE_VERSION}", saved.version),
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

pub fn unix_millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// `path`, or `path-2`, `path-3`, ...: two damaged files in one second must not overwrite
/// each other, since the first may be the one worth investigating.
fn unused_path(path: PathBuf) -> PathBuf {
    let mut candidate = path.clone();
    let mut n = 2;
    while candidate.exists() {
        candidate = PathBuf::from(format!("{}-{n}", path.display()));
        n += 1;
    }
    candidate
}

fn unix_secs() -> u64 {
    unix_millis(SystemTime::now()) / 1000
}

/// Session time that passed while the daemon was down: wall-clock time from the save at
/// `saved_unix_ms` to `now_unix_ms`, at the session's `speed`. Zero if the wall clock went
/// backwards (an NTP step, a bad RTC): a resumed session must never jump back in time.
pub fn downtime(saved_unix_ms: u64, now_unix_ms: u64, speed: f64) -> Millis {
    let real = now_unix_ms.saturating_sub(saved_unix_ms);
    Millis((real as f64 * speed) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_no_session() {
        let dir = tempfile::tempdir().unwrap();
        assert!(StateFile::in_dir(dir.path()).load().unwrap().is_none());
        StateFile::in_dir(dir.path()).remove().unwrap();
    }

    #[test]
    fn a_damaged_file_is_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::in_dir(dir.path());
        fs::write(file.path(), b"{ not json").unwrap();
        let err = file.load().unwrap_err();
        let PersistError::Damaged { aside, .. } = &err else {
            panic!("{err:?}")
        };
        assert!(!file.path().exists());
        assert_eq!(fs::read(aside).unwrap(), b"{ not json");
        assert!(
            aside
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("session.json.damaged-")
        );
        assert!(file.load().unwrap().is_none());
    }

    #[test]
    fn downtime_counts_wall_time_at_speed_and_never_goes_negative() {
        assert_eq!(downtime(10_000, 12_500, 60.0), Millis(150_000));
        assert_eq!(downtime(10_000, 12_500, 1.0), Millis(2_500));
        assert_eq!(downtime(10_000, 9_000, 60.0), Millis::ZERO);
    }
}
