//! What can be wrong with one of the daemon's own files, said with its path: the kind of file
//! planted in its place, a size past its limit, or the system's own error.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use super::Limit;

/// What a path turned out to be when a regular file was expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Directory,
    Fifo,
    Socket,
    CharDevice,
    BlockDevice,
    /// Anything else `stat` can report.
    Other,
}

impl FileKind {
    pub(super) fn of(file_type: std::fs::FileType) -> Option<FileKind> {
        use std::os::unix::fs::FileTypeExt;
        Some(if file_type.is_file() || file_type.is_symlink() {
            return None;
        } else if file_type.is_dir() {
            FileKind::Directory
        } else if file_type.is_fifo() {
            FileKind::Fifo
        } else if file_type.is_socket() {
            FileKind::Socket
        } else if file_type.is_char_device() {
            FileKind::CharDevice
        } else if file_type.is_block_device() {
            FileKind::BlockDevice
        } else {
            FileKind::Other
        })
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Directory => "a directory",
            FileKind::Fifo => "a FIFO",
            FileKind::Socket => "a socket",
            FileKind::CharDevice => "a character device",
            FileKind::BlockDevice => "a block device",
            FileKind::Other => "a special file",
        })
    }
}

/// Each says the path and what was wrong with it; [`SafeFileError::problem`] says the latter
/// alone, for a message that names the file already.
#[derive(Debug, thiserror::Error)]
pub enum SafeFileError {
    SymbolicLink { path: PathBuf },
    NotRegular { path: PathBuf, kind: FileKind },
    TooLarge { path: PathBuf, size: u64, limit: Limit },
    Open { path: PathBuf, source: io::Error },
    Read { path: PathBuf, source: io::Error },
    Write { path: PathBuf, source: io::Error },
}

impl fmt::Display for SafeFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path().display();
        match self {
            SafeFileError::Open { .. } => write!(f, "cannot open {path}"),
            SafeFileError::Read { .. } => write!(f, "cannot read {path}"),
            SafeFileError::Write { .. } => write!(f, "cannot write {path}"),
            _ => write!(f, "{path} {}", self.problem()),
        }
    }
}

impl SafeFileError {
    /// True when nothing is there at all: for most of the daemon's files an ordinary state
    /// (no session saved, no marker left), not a fault.
    pub fn is_not_found(&self) -> bool {
        matches!(self, SafeFileError::Open { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }

    /// True when the path holds something that must not be used (a link, a FIFO, a device, a
    /// file past its limit) rather than an error of the system reading it: such a file is set
    /// aside, where a permission error is not the file's fault.
    pub fn is_planted(&self) -> bool {
        matches!(
            self,
            SafeFileError::SymbolicLink { .. }
                | SafeFileError::NotRegular { .. }
                | SafeFileError::TooLarge { .. }
        )
    }

    /// What was wrong, without the path: `is a FIFO, not a regular file`.
    pub fn problem(&self) -> String {
        match self {
            SafeFileError::SymbolicLink { .. } => "is a symbolic link, which is not followed".into(),
            SafeFileError::NotRegular { kind, .. } => format!("is {kind}, not a regular file"),
            SafeFileError::TooLarge { size, limit, .. } => {
                let (mut size_text, mut limit_text) = (human_size(*size), human_size(limit.bytes));
                // Just over the limit, rounding would say "4 MiB, more than the 4 MiB".
                if size_text == limit_text {
                    (size_text, limit_text) = (format!("{size} bytes"), format!("{} bytes", limit.bytes));
                }
                format!("is {size_text}, more than the {limit_text} {} may be", limit.what)
            }
            SafeFileError::Open { source, .. } => format!("cannot be opened ({source})"),
            SafeFileError::Read { source, .. } => format!("cannot be read ({source})"),
            SafeFileError::Write { source, .. } => format!("cannot be written ({source})"),
        }
    }

    pub fn path(&self) -> &Path {
        match self {
            SafeFileError::SymbolicLink { path }
            | SafeFileError::NotRegular { path, .. }
            | SafeFileError::TooLarge { path, .. }
            | SafeFileError::Open { path, .. }
            | SafeFileError::Read { path, .. }
            | SafeFileError::Write { path, .. } => path,
        }
    }
}

/// `512 bytes`, `64 KiB`, `4 MiB`, `3.4 GiB`: one decimal below ten, none above.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value < 10.0 && value.fract() >= 0.05 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}
