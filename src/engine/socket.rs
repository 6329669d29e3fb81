//! Binding the control socket: its directory, a stale file left by a crash, its mode and its
//! group, which together decide who in the clinic may steer the room.

use std::ffi::CString;
use std::fs;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tokio::net::UnixListener;

#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    #[error("cannot create the socket directory {path}")]
    Directory { path: PathBuf, source: io::Error },
    #[error(
        "the socket directory {path} {why}, so another account could replace the socket and \
         receive the therapists' commands; fix its owner or mode, or choose another --socket"
    )]
    UnsafeDirectory { path: PathBuf, why: String },
    #[error("cannot check the socket directory {path}")]
    CheckDirectory { path: PathBuf, source: io::Error },
    #[error("another settingd is already listening on {0}; stop it first or choose another --socket")]
    InUse(PathBuf),
    #[error("{0} exists and is not a socket; refusing to replace it")]
    NotASocket(PathBuf),
    #[error("cannot remove the stale socket {path}")]
    RemoveStale { path: PathBuf, source: io::Error },
    #[error("cannot bind the control socket {path}")]
    Bind { path: PathBuf, source: io::Error },
    #[error("cannot set mode {mode:o} on the control socket {path}")]
    Mode {
        path: PathBuf,
        mode: u32,
        source: io::Error,
    },
    #[error("unknown group `{0}` for the control socket")]
    UnknownGroup(String),
    #[error("cannot look up group `{name}`")]
    GroupLookup { name: String, source: io::Error },
    #[error("cannot give the control socket {path} to group `{group}`")]
    Chown {
        path: PathBuf,
        group: String,
        source: io::Error,
    },
}

/// Binds `path` with `mode` (e.g. 0o660) and, if given, hands it to `group` (a name or a gid).
/// Must be called inside a tokio runtime.
pub fn bind_socket(path: &Path, mode: u32, group: Option<&str>) -> Result<UnixListener, SocketError> {
    // A bare file name lives in the working directory, which needs the same check.
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|source| SocketError::Directory {
        path: dir.to_path_buf(),
        source,
    })?;
    check_directory(dir)?;
    remove_stale(path)?;
    let listener = UnixListener::bind(path).map_err(|source| SocketError::Bind {
        path: path.to_path_buf(),
        source,
    })?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(|source| SocketError::Mode {
        path: path.to_path_buf(),
        mode,
        source,
    })?;
    if let Some(group) = group {
        let gid = group_id(group)?;
        std::os::unix::fs::chown(path, None, Some(gid)).map_err(|source| SocketError::Chown {
            path: path.to_path_buf(),
            group: group.to_string(),
            source,
        })?;
    }
    Ok(listener)
}

/// Whoever can write to the socket's directory, or to any directory above it, can swap the
/// socket for their own and hear every command meant for the room, an emergency included. So
/// each of them must belong to this daemon's user or to root, and be writable by nobody else
/// unless it is sticky (as `/tmp` is: others may add files there but not move ours).
fn check_directory(dir: &Path) -> Result<(), SocketError> {
    fn checked(path: &Path) -> impl FnOnce(io::Error) -> SocketError + '_ {
        move |source| SocketError::CheckDirectory {
            path: path.to_path_buf(),
            source,
        }
    }
    // Symlinks resolved first: what matters is the directories the socket really lives in.
    let real = fs::canonicalize(dir).map_err(checked(dir))?;
    // SAFETY: geteuid(2) has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    for ancestor in real.ancestors() {
        let meta = fs::metadata(ancestor).map_err(checked(ancestor))?;
        let unsafe_because = |why: String| SocketError::UnsafeDirectory {
            path: ancestor.to_path_buf(),
            why,
        };
        if meta.uid() != me && meta.uid() != 0 {
            return Err(unsafe_because(format!(
                "belongs to uid {}, not to this daemon's user (uid {me}) or root",
                meta.uid()
            )));
        }
        let mode = meta.mode();
        if mode & 0o022 != 0 && mode & 0o1000 == 0 {
            return Err(unsafe_because(format!(
                "has mode {:o}: writable by its group or by everyone, without the sticky bit",
                mode & 0o7777
            )));
        }
    }
    Ok(())
}

/// A socket file left by a crashed daemon blocks `bind`; one that still answers belongs to a
/// live daemon, and two daemons driving one room would fight over the lights.
fn remove_stale(path: &Path) -> Result<(), SocketError> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(SocketError::RemoveStale {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    if !meta.file_type().is_socket() {
        return Err(SocketError::NotASocket(path.to_path_buf()));
    }
    if std::os::unix::net::UnixStream::connect(path).is_ok() {
        return Err(SocketError::InUse(path.to_path_buf()));
    }
    fs::remove_file(path).map_err(|source| SocketError::RemoveStale {
        path: path.to_path_buf(),
        source,
    })
}

fn group_id(group: &str) -> Result<u32, SocketError> {
    if let Ok(gid) = group.parse::<u32>() {
        return Ok(gid);
    }
    let unknown = || SocketError::UnknownGroup(group.to_string());
    let name = CString::new(group).map_err(|_| unknown())?;
    let mut buf: Vec<libc::c_char> = vec![0; 4096];
    loop {
        // SAFETY: every pointer is valid for the call: `grp` and `result` are locals, `buf` is
        // a live buffer of the length passed, and `name` is NUL-terminated. The reentrant
        // variant is used because getgrnam's static buffer is not thread-safe.
        let mut grp: libc::group = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::group = std::ptr::null_mut();
        let rc =
            unsafe { libc::getgrnam_r(name.as_ptr(), &mut grp, buf.as_mut_ptr(), buf.len(), &mut result) };
        match rc {
            0 if result.is_null() => return Err(unknown()),
            0 => return Ok(grp.gr_gid),
            libc::ERANGE if buf.len() < (1 << 20) => buf.resize(buf.len() * 2, 0),
            errno => {
                return Err(SocketError::GroupLookup {
                    name: group.to_string(),
                    source: io::Error::from_raw_os_error(errno),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn binds_with_mode_in_a_new_directory_and_replaces_a_stale_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run/setting/control.sock");
        let listener = bind_socket(&path, 0o660, None).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o660);
        assert!(matches!(
            bind_socket(&path, 0o660, None),
            Err(SocketError::InUse(_))
        ));
        drop(listener);
        // The file is still there, but nobody answers: a crash's leftover.
        assert!(path.exists());
        let _listener = bind_socket(&path, 0o600, None).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[tokio::test]
    async fn refuses_to_replace_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("important.txt");
        fs::write(&path, b"keep me").unwrap();
        assert!(matches!(
            bind_socket(&path, 0o660, None),
            Err(SocketError::NotASocket(_))
        ));
        assert_eq!(fs::read(&path).unwrap(), b"keep me");
    }

    #[tokio::test]
    async fn refuses_a_directory_others_can_write_to() {
        let dir = tempfile::tempdir().unwrap();
        let open = dir.path().join("open");
        fs::create_dir(&open).unwrap();
        fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
        let err = bind_socket(&open.join("control.sock"), 0o660, None).unwrap_err();
        assert!(
            matches!(&err, SocketError::UnsafeDirectory { path, .. } if path.ends_with("open")),
            "{err}"
        );
        assert!(!open.join("control.sock").exists());

        // Below it, a private directory is no safer: the open one can be renamed away.
        let below = open.join("private");
        fs::create_dir(&below).unwrap();
        fs::set_permissions(&below, fs::Permissions::from_mode(0o700)).unwrap();
        let err = bind_socket(&below.join("control.sock"), 0o660, None).unwrap_err();
        assert!(
            matches!(&err, SocketError::UnsafeDirectory { path, .. } if path.ends_with("open")),
            "{err}"
        );

        // Sticky, as /tmp is: others cannot move what is ours.
        fs::set_permissions(&open, fs::Permissions::from_mode(0o1777)).unwrap();
        let _listener = bind_socket(&below.join("control.sock"), 0o660, None).unwrap();
    }

    #[tokio::test]
    async fn refuses_a_directory_owned_by_another_account() {
        // SAFETY: geteuid(2) has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            // Only root can give a directory away; the ownership rule is tried when it can be.
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let theirs = dir.path().join("theirs");
        fs::create_dir(&theirs).unwrap();
        std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
        let err = bind_socket(&theirs.join("control.sock"), 0o660, None).unwrap_err();
        assert!(err.to_string().contains("uid 65534"), "{err}");
    }

    #[test]
    fn resolves_groups_by_name_or_number() {
        assert_eq!(group_id("0").unwrap(), 0);
        assert_eq!(group_id("root").unwrap(), 0);
        assert!(matches!(
            group_id("no-such-group-here"),
            Err(SocketError::UnknownGroup(_))
        ));
    }
}
