//! Opening the daemon's own files (the state file, the event logs, the emergency marker) so
//! that whatever is planted in their place cannot hang, exhaust or redirect the daemon.
//!
//! - Regular files only: a FIFO would block the engine's loop in open(2) for ever, a device
//!   such as `/dev/zero` would be read until memory runs out. Opens never block
//!   (`O_NONBLOCK`), and what was opened is checked with fstat(2) before a byte is read.
//! - Never through a symbolic link (`O_NOFOLLOW`): a link planted at a log or a temporary copy
//!   would have the daemon append to, or overwrite, whatever it points at.
//! - Whole-file reads have a size limit ([`Limit`]), checked on the open file.
//! - An atomic save writes a fresh temporary copy (`O_EXCL`, after removing a stale one) and
//!   renames it over the file.
//!
//! Only the last component of a path is protected: the directories above it are the daemon's
//! own (its state directory), created by it or by whoever installed it.

mod error;
#[cfg(test)]
mod tests;

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

pub use error::{FileKind, SafeFileError, human_size};

/// How large a file read whole may be, and what it is called in the error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub bytes: u64,
    /// `a state file`: the error reads "is 3 GiB, more than the 4 MiB a state file may be".
    pub what: &'static str,
}

impl Limit {
    /// A saved session is a few tens of KiB; a scene with a hundred phases stays well below.
    pub const STATE_FILE: Limit = Limit {
        bytes: 4 << 20,
        what: "a state file",
    };
    /// One session's event log: a three-hour session writes well under one MiB.
    pub const EVENT_LOG: Limit = Limit {
        bytes: 64 << 20,
        what: "an event log",
    };
    /// The direct emergency's marker: a few lines.
    pub const MARKER: Limit = Limit {
        bytes: 1 << 20,
        what: "an emergency marker",
    };
}

/// Flags every open here carries: no blocking on a FIFO or device, no following a final
/// symbolic link, no descriptor leaked to a child, no terminal taken as controlling one.
const SAFE_FLAGS: i32 = libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC | libc::O_NOCTTY;

/// Opens an existing regular file for reading.
pub fn open_read(path: &Path) -> Result<File, SafeFileError> {
    refuse_special(path)?;
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(SAFE_FLAGS)
        .open(path)
        .map_err(|source| open_error(path, source))?;
    check_regular(path, &file)?;
    Ok(file)
}

/// Opens a media file for reading: regular files only, refused before they are opened and
/// again on the open file, and an open that never blocks. Unlike [`open_read`] a final
/// symbolic link is followed: media libraries are often assembled from links into another
/// disk, and reading through one writes nothing; what it points at must still be a regular
/// file, so a link to `/dev/zero` or to a FIFO is refused as what it points at.
pub fn open_media(path: &Path) -> Result<File, SafeFileError> {
    if let Ok(meta) = fs::metadata(path)
        && let Some(kind) = FileKind::of(meta.file_type())
    {
        return Err(SafeFileError::NotRegular {
            path: path.to_path_buf(),
            kind,
        });
    }
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC | libc::O_NOCTTY)
        .open(path)
        .map_err(|source| SafeFileError::Open {
            path: path.to_path_buf(),
            source,
        })?;
    check_regular(path, &file)?;
    Ok(file)
}

/// The whole of a regular file, refused past `limit` (whether it was that large when opened
/// or grew while read).
pub fn read_limited(path: &Path, limit: Limit) -> Result<Vec<u8>, SafeFileError> {
    let file = open_read(path)?;
    let size = file.metadata().map_err(|source| read_error(path, source))?.len();
    if size > limit.bytes {
        return Err(too_large(path, size, limit));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(limit.bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| read_error(path, source))?;
    if bytes.len() as u64 > limit.bytes {
        return Err(too_large(path, bytes.len() as u64, limit));
    }
    Ok(bytes)
}

/// Opens a regular file for appending (and reading, so its end can be checked), creating it
/// if it is not there. For the event log: a link planted in its place is refused, never
/// appended through.
pub fn open_append(path: &Path) -> Result<File, SafeFileError> {
    refuse_special(path)?;
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .custom_flags(SAFE_FLAGS)
        .open(path)
        .map_err(|source| open_error(path, source))?;
    check_regular(path, &file)?;
    Ok(file)
}

/// Creates `path` afresh for writing: whatever is there (a stale copy from a crash, a FIFO or
/// a link planted in its place) is removed first, and the file is created with `O_EXCL`, so
/// that nothing outside it is ever written. For temporary copies only, never for a file whose
/// contents matter.
pub fn create_fresh(path: &Path) -> Result<File, SafeFileError> {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        // A directory in the way cannot be removed by unlink(2); the create below says so.
        Err(e) if e.kind() == io::ErrorKind::IsADirectory => {}
        Err(source) => {
            return Err(SafeFileError::Write {
                path: path.to_path_buf(),
                source,
            });
        }
    }
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(SAFE_FLAGS)
        .open(path)
        .map_err(|source| open_error(path, source))?;
    check_regular(path, &file)?;
    Ok(file)
}

/// Replaces `path` with `bytes` so that a crash at any moment leaves either the old or the new
/// contents: written to `<path>.tmp` (see [`create_fresh`]), flushed to disk, renamed over
/// `path` (which replaces a link or FIFO planted there rather than following it), and the
/// directory flushed so the rename itself survives a power cut.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), SafeFileError> {
    write_atomically_as(path, bytes, None)
}

/// [`write_atomically`], the file given `mode` whatever the writer's umask: a file left for
/// another account (the emergency's marker in the spool) must be readable by its group.
pub fn write_atomically_as(path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<(), SafeFileError> {
    let tmp = temp_path(path);
    let write_error = |source| SafeFileError::Write {
        path: tmp.clone(),
        source,
    };
    let mut file = create_fresh(&tmp)?;
    if let Some(mode) = mode {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(mode))
            .map_err(write_error)?;
    }
    file.write_all(bytes).map_err(write_error)?;
    file.sync_all().map_err(write_error)?;
    drop(file);
    fs::rename(&tmp, path).map_err(|source| SafeFileError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|source| SafeFileError::Write {
                path: dir.to_path_buf(),
                source,
            })?;
    }
    Ok(())
}

/// `session.json` → `session.json.tmp`.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Refuses a link or a special file before opening it, so that a device is never opened at
/// all (opening some has effects of its own); the check on the open file stays the one that
/// counts, since the path can change in between.
fn refuse_special(path: &Path) -> Result<(), SafeFileError> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(SafeFileError::SymbolicLink {
            path: path.to_path_buf(),
        }),
        Ok(meta) => match FileKind::of(meta.file_type()) {
            Some(kind) => Err(SafeFileError::NotRegular {
                path: path.to_path_buf(),
                kind,
            }),
            None => Ok(()),
        },
        // Missing (creation comes next) or unreadable: the open says which.
        Err(_) => Ok(()),
    }
}

fn check_regular(path: &Path, file: &File) -> Result<(), SafeFileError> {
    let meta = file.metadata().map_err(|source| open_error(path, source))?;
    match FileKind::of(meta.file_type()) {
        Some(kind) => Err(SafeFileError::NotRegular {
            path: path.to_path_buf(),
            kind,
        }),
        None => Ok(()),
    }
}

/// ELOOP is what `O_NOFOLLOW` gives for a final link, ENXIO what a FIFO with no reader or a
/// socket gives, EEXIST what a directory left in a temporary copy's place gives: each is
/// said as what the path is.
fn open_error(path: &Path, source: io::Error) -> SafeFileError {
    if matches!(
        source.raw_os_error(),
        Some(libc::ELOOP | libc::ENXIO | libc::EISDIR | libc::EEXIST)
    ) && let Err(planted) = refuse_special(path)
    {
        return planted;
    }
    SafeFileError::Open {
        path: path.to_path_buf(),
        source,
    }
}

fn read_error(path: &Path, source: io::Error) -> SafeFileError {
    SafeFileError::Read {
        path: path.to_path_buf(),
        source,
    }
}

fn too_large(path: &Path, size: u64, limit: Limit) -> SafeFileError {
    SafeFileError::TooLarge {
        path: path.to_path_buf(),
        size,
        limit,
    }
}
