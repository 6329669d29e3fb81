use std::ffi::CString;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::time::{Duration, Instant};

use super::*;

fn mkfifo(path: &Path) {
    let c_path = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: mkfifo(3) with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "mkfifo");
}

/// Runs `f`, failing the test if it takes more than a second: these are the opens that used to
/// block for ever.
fn quickly<T>(f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    out
}

#[test]
fn reads_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.json");
    fs::write(&path, b"{}").unwrap();
    assert_eq!(read_limited(&path, Limit::STATE_FILE).unwrap(), b"{}");
    let missing = read_limited(&dir.path().join("nope"), Limit::STATE_FILE).unwrap_err();
    assert!(missing.is_not_found(), "{missing:?}");
    assert!(!missing.is_planted());
}

#[test]
fn a_fifo_is_refused_at_once_for_reading_and_appending() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.json");
    mkfifo(&path);
    for error in [
        quickly(|| read_limited(&path, Limit::STATE_FILE).unwrap_err()),
        quickly(|| open_append(&path).unwrap_err()),
    ] {
        assert!(
            matches!(
                error,
                SafeFileError::NotRegular {
                    kind: FileKind::Fifo,
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(error.is_planted());
        assert_eq!(
            error.to_string(),
            format!("{} is a FIFO, not a regular file", path.display())
        );
    }
}

#[test]
fn a_link_to_dev_zero_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.json");
    symlink("/dev/zero", &path).unwrap();
    let error = quickly(|| read_limited(&path, Limit::STATE_FILE).unwrap_err());
    assert!(matches!(error, SafeFileError::SymbolicLink { .. }), "{error:?}");
    assert!(error.to_string().contains("is a symbolic link"), "{error}");
    // Even named directly, a device is not a regular file.
    let error = quickly(|| read_limited(Path::new("/dev/zero"), Limit::STATE_FILE).unwrap_err());
    assert!(
        matches!(
            error,
            SafeFileError::NotRegular {
                kind: FileKind::CharDevice,
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn a_link_to_a_regular_file_is_not_followed_either() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("elsewhere");
    fs::write(&target, b"precious").unwrap();
    let path = dir.path().join("events.jsonl");
    symlink(&target, &path).unwrap();
    assert!(matches!(
        open_append(&path).unwrap_err(),
        SafeFileError::SymbolicLink { .. }
    ));
    assert!(matches!(
        open_read(&path).unwrap_err(),
        SafeFileError::SymbolicLink { .. }
    ));
    assert_eq!(fs::read(&target).unwrap(), b"precious");
}

#[test]
fn directories_and_sockets_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("session.json");
    fs::create_dir(&sub).unwrap();
    assert!(matches!(
        read_limited(&sub, Limit::STATE_FILE).unwrap_err(),
        SafeFileError::NotRegular {
            kind: FileKind::Directory,
            ..
        }
    ));
    assert!(matches!(
        open_append(&sub).unwrap_err(),
        SafeFileError::NotRegular {
            kind: FileKind::Directory,
            ..
        }
    ));
    let socket = dir.path().join("events.jsonl");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    assert!(matches!(
        open_append(&socket).unwrap_err(),
        SafeFileError::NotRegular {
            kind: FileKind::Socket,
            ..
        }
    ));
}

#[test]
fn a_file_past_its_limit_is_refused_with_both_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.json");
    let limit = Limit {
        bytes: 1024,
        what: "a test file",
    };
    fs::write(&path, vec![b' '; 1024]).unwrap();
    assert_eq!(read_limited(&path, limit).unwrap().len(), 1024);
    fs::write(&path, vec![b' '; 3 * 1024 + 512]).unwrap();
    let error = read_limited(&path, limit).unwrap_err();
    assert!(error.is_planted());
    assert_eq!(
        error.to_string(),
        format!(
            "{} is 3.5 KiB, more than the 1 KiB a test file may be",
            path.display()
        )
    );
}

#[test]
fn sizes_read_as_people_say_them() {
    assert_eq!(human_size(512), "512 bytes");
    assert_eq!(human_size(4 << 20), "4 MiB");
    assert_eq!(human_size(3_600_000_000), "3.4 GiB");
    assert_eq!(human_size(64 << 20), "64 MiB");
}

#[test]
fn appending_creates_the_file_and_keeps_what_was_there() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    open_append(&path).unwrap().write_all(b"one\n").unwrap();
    let mut file = open_append(&path).unwrap();
    file.write_all(b"two\n").unwrap();
    let mut text = String::new();
    open_read(&path).unwrap().read_to_string(&mut text).unwrap();
    assert_eq!(text, "one\ntwo\n");
}

#[test]
fn a_link_planted_at_the_temporary_copy_is_replaced_not_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("victim");
    fs::write(&target, b"precious").unwrap();
    let path = dir.path().join("session.json");
    symlink(&target, temp_path(&path)).unwrap();
    write_atomically(&path, b"saved").unwrap();
    assert_eq!(fs::read(&target).unwrap(), b"precious");
    assert_eq!(fs::read(&path).unwrap(), b"saved");
    assert!(!temp_path(&path).exists());
}

#[test]
fn a_fifo_planted_at_the_temporary_copy_does_not_block_the_save() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.json");
    mkfifo(&temp_path(&path));
    quickly(|| write_atomically(&path, b"saved").unwrap());
    assert_eq!(fs::read(&path).unwrap(), b"saved");
}

#[test]
fn a_link_at_the_file_itself_is_replaced_by_the_save() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("victim");
    fs::write(&target, b"precious").unwrap();
    let path = dir.path().join("session.json");
    symlink(&target, &path).unwrap();
    write_atomically(&path, b"saved").unwrap();
    assert_eq!(fs::read(&target).unwrap(), b"precious");
    assert!(!fs::symlink_metadata(&path).unwrap().file_type().is_symlink());
    assert_eq!(fs::read(&path).unwrap(), b"saved");
}

#[test]
fn a_directory_in_the_temporary_copys_place_is_said_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.json");
    fs::create_dir(temp_path(&path)).unwrap();
    let error = write_atomically(&path, b"saved").unwrap_err();
    assert!(
        matches!(
            error,
            SafeFileError::NotRegular {
                kind: FileKind::Directory,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(!path.exists());
}
