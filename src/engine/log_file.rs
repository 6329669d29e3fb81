//! The journal's [`Store`] in the daemon: the session's log file, opened when first needed and
//! again after it could not be, and a reserve file beside it whose space is given up so that
//! an emergency, a check or a resume is still recorded on a full disk.

use std::fs::{self, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::journal::Store;

use super::event_log::EventLog;

/// The reserve's file in the state directory.
pub const RESERVE_FILE: &str = "log-reserve";
/// A few thousand entries: an emergency with its looks takes about 2 KiB.
const RESERVE_BYTES: u64 = 1024 * 1024;

#[derive(Debug)]
pub struct LogFile {
    path: PathBuf,
    log: Option<EventLog>,
    reserve: Reserve,
    /// The reserve was given up for this log and is not kept again yet. A reserve that
    /// could never be kept (a tiny disk) does not hold an outage open.
    gave_up_reserve: bool,
}

impl LogFile {
    /// The log at `path`, opened now if it can be (else at the first append).
    pub fn new(path: PathBuf, reserve: Reserve) -> LogFile {
        let log = EventLog::open(&path).ok();
        LogFile {
            path,
            log,
            reserve,
            gave_up_reserve: false,
        }
    }

    /// Wraps a log already opened (by the recovery, which read it first).
    pub fn opened(log: EventLog, reserve: Reserve) -> LogFile {
        LogFile {
            path: log.path().to_path_buf(),
            log: Some(log),
            reserve,
            gave_up_reserve: false,
        }
    }
}

impl Store for LogFile {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.log.is_none() {
            let opened = EventLog::open(&self.path).map_err(|e| match e {
                super::event_log::LogError::Open { source, .. } => source,
                other => io::Error::other(other),
            })?;
            self.log = Some(opened);
        }
        self.log.as_mut().expect("opened above").append_bytes(bytes)
    }

    fn release_reserve(&mut self) -> bool {
        let released = self.reserve.release();
        self.gave_up_reserve |= released;
        released
    }

    fn restore_reserve(&mut self) -> bool {
        if self.gave_up_reserve && self.reserve.keep() {
            self.gave_up_reserve = false;
        }
        !self.gave_up_reserve
    }
}

/// Space kept back on the state disk, as a file of its own.
#[derive(Clone, Debug)]
pub struct Reserve {
    path: PathBuf,
}

impl Reserve {
    pub fn in_dir(state_dir: &Path) -> Reserve {
        Reserve {
            path: state_dir.join(RESERVE_FILE),
        }
    }

    /// Makes sure the space is kept: true when it is.
    pub fn keep(&self) -> bool {
        if fs::symlink_metadata(&self.path).is_ok_and(|m| m.is_file() && m.len() >= RESERVE_BYTES) {
            return true;
        }
        let kept = self.allocate();
        if kept.is_err() {
            let _ = fs::remove_file(&self.path);
        }
        kept.is_ok()
    }

    fn allocate(&self) -> io::Result<()> {
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(&self.path)?;
        if !file.metadata()?.is_file() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
        }
        // Real blocks, not a sparse file: only allocated space can be given back later.
        // SAFETY: the descriptor is open for writing for the duration of the call.
        let status = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, RESERVE_BYTES as libc::off_t) };
        if status != 0 {
            return Err(io::Error::from_raw_os_error(status));
        }
        file.sync_all()
    }

    /// Gives the space up: true if there was a reserve to give.
    pub fn release(&self) -> bool {
        let kept = fs::symlink_metadata(&self.path).is_ok_and(|m| m.is_file());
        kept && fs::remove_file(&self.path).is_ok()
    }
}
