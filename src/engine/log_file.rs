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
/// A few hundred entries: an emergency with its looks takes about 2 KiB. On a small disk a
/// sixteenth of it, so that the reserve can be kept at all.
const RESERVE_BYTES: u64 = 1024 * 1024;
const MIN_RESERVE_BYTES: u64 = 8 * 1024;

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
            gave_up_reserve: reserve.is_given_up(),
            reserve,
        }
    }

    /// Wraps a log already opened (by the recovery, which read it first).
    pub fn opened(log: EventLog, reserve: Reserve) -> LogFile {
        LogFile {
            path: log.path().to_path_buf(),
            log: Some(log),
            gave_up_reserve: reserve.is_given_up(),
            reserve,
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

    /// Whether the space is kept now.
    pub fn is_kept(&self) -> bool {
        fs::symlink_metadata(&self.path).is_ok_and(|m| m.is_file() && m.len() >= self.size())
    }

    /// Whether the space was given up and is not kept again yet: the file stays, empty, as
    /// the mark of it, so a restart on a disk still full knows. (A disk that never had room
    /// for the reserve has no file.)
    pub fn is_given_up(&self) -> bool {
        fs::symlink_metadata(&self.path).is_ok_and(|m| m.is_file() && m.len() < self.size())
    }

    /// The reserve's size on this disk.
    fn size(&self) -> u64 {
        let disk = self.path.parent().and_then(disk_bytes).unwrap_or(u64::MAX);
        (disk / 16).clamp(MIN_RESERVE_BYTES, RESERVE_BYTES)
    }

    /// Makes sure the space is kept: true when it is.
    pub fn keep(&self) -> bool {
        if self.is_kept() {
            return true;
        }
        let given_up = self.is_given_up();
        let kept = self.allocate();
        if kept.is_err() {
            if given_up {
                let _ = fs::OpenOptions::new()
                    .write(true)
                    .custom_flags(libc::O_NOFOLLOW)
                    .open(&self.path)
                    .and_then(|f| f.set_len(0));
            } else {
                let _ = fs::remove_file(&self.path);
            }
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
        let status = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, self.size() as libc::off_t) };
        if status != 0 {
            return Err(io::Error::from_raw_os_error(status));
        }
        file.sync_all()
    }

    /// Gives the space up, leaving the file empty: true if there was a reserve to give.
    pub fn release(&self) -> bool {
        if !self.is_kept() {
            return false;
        }
        fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(&self.path)
            .and_then(|f| f.set_len(0))
            .is_ok()
    }
}

/// The size of the filesystem holding `dir`.
fn disk_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `path` is a valid C string and `stat` is written by statvfs(3) before it is read.
    let stat = unsafe {
        if libc::statvfs(path.as_ptr(), stat.as_mut_ptr()) != 0 {
            return None;
        }
        stat.assume_init()
    };
    Some(stat.f_blocks.saturating_mul(stat.f_frsize))
}
