//! The media a playlist names, looked at without decoding it (for `settingd --check`): each
//! track's file is there, is a regular file (a FIFO or a link to a device could stall the
//! player), and its first byte can be read, within the read timeout. Each problem is reported at
//! the track's `path` in the playlist file.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use super::raw;
use crate::diagnostic::{Diagnostic, Document};
use crate::media_io::parallel::map_parallel;
use crate::media_io::read_watch::run_watched;
use crate::safe_file::{self, SafeFileError};

/// The problems with the files named in one playlist file's `text`, at `file`'s lines.
pub fn media_problems(file: &Path, text: &str, media_root: &Path, read_timeout: Duration) -> Vec<Diagnostic> {
    // The playlist's own problems are reported by its validation; only its paths matter here.
    let mut doc = Document::new(file, text);
    let Some(playlist) = raw::read(&mut doc) else {
        return Vec::new();
    };
    let found = map_parallel(&playlist.track, |track| {
        let rel = track.path.get_ref();
        let why = media_file_problem(&media_root.join(rel), read_timeout)?;
        Some(Diagnostic::at_offset(
            file,
            text,
            track.path.span().start,
            format!("{rel}: {why}"),
        ))
    });
    found.into_iter().flatten().collect()
}

/// `message` about track `index` (from 0) of the playlist file `file`, whose contents are
/// `text`, at that track's `path`; at the file as a whole should the file no longer hold it.
pub fn at_track(file: &Path, text: &str, index: usize, message: impl Into<String>) -> Diagnostic {
    let mut doc = Document::new(file, text);
    let found = raw::read(&mut doc).and_then(|p| p.track.get(index).map(|t| t.path.span().start));
    match found {
        Some(offset) => Diagnostic::at_offset(file, text, offset, message),
        None => Diagnostic::new(file, message),
    }
}

/// Why the file at `path` could not be played, if it could not: missing, not a regular file,
/// or unreadable (a read that hangs for `read_timeout` included).
pub fn media_file_problem(path: &Path, read_timeout: Duration) -> Option<String> {
    let owned = path.to_path_buf();
    let looked = run_watched(read_timeout, move |watch| {
        watch.reading(|| {
            let mut file = safe_file::open_media(&owned)?;
            let mut first = [0u8; 1];
            let read = file.read(&mut first).map_err(|source| SafeFileError::Read {
                path: owned.clone(),
                source,
            })?;
            Ok::<bool, SafeFileError>(read == 1)
        })
    });
    match looked {
        Ok(Ok(true)) => None,
        Ok(Ok(false)) => Some("the file is empty".into()),
        Ok(Err(e)) if e.is_not_found() => Some(format!("no such file ({})", path.display())),
        Ok(Err(e @ SafeFileError::NotRegular { .. })) => {
            Some(format!("{}; it could stall the player", e.problem()))
        }
        Ok(Err(e)) => Some(e.problem()),
        Err(hung) => Some(hung.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_track_is_found_at_its_path_by_its_place_even_when_its_file_is_there_twice() {
        let text = "title = \"T\"\n[[track]]\npath = \"a.wav\"\n[[track]]\n  path = \"a.wav\"\n";
        let file = Path::new("p.toml");
        assert_eq!(at_track(file, text, 0, "hung").to_string(), "p.toml:3:8: hung");
        assert_eq!(at_track(file, text, 1, "hung").to_string(), "p.toml:5:10: hung");
        assert_eq!(at_track(file, text, 2, "hung").to_string(), "p.toml: hung");
    }

    #[test]
    fn each_bad_file_is_named_at_its_line_and_the_good_one_passes() {
        let media = tempfile::tempdir().unwrap();
        std::fs::write(media.path().join("good.wav"), b"RIFF").unwrap();
        std::fs::write(media.path().join("empty.wav"), b"").unwrap();
        let fifo = std::ffi::CString::new(
            media
                .path()
                .join("pipe.flac")
                .into_os_string()
                .into_encoded_bytes(),
        )
        .unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo(3) only reads it.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0, "mkfifo");
        std::os::unix::fs::symlink("/dev/zero", media.path().join("zero.wav")).unwrap();
        std::fs::create_dir(media.path().join("dir.wav")).unwrap();
        let text = [
            "good.wav",
            "gone.wav",
            "pipe.flac",
            "zero.wav",
            "empty.wav",
            "dir.wav",
        ]
        .iter()
        .map(|p| format!("[[track]]\npath = \"{p}\"\n"))
        .collect::<String>();
        let started = std::time::Instant::now();
        let found = media_problems(Path::new("p.toml"), &text, media.path(), Duration::from_secs(5));
        assert!(started.elapsed() < Duration::from_secs(2));
        let lines: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(lines.len(), 5, "{lines:#?}");
        let expect = [
            ("p.toml:4:8: gone.wav: no such file", 0),
            (
                "p.toml:6:8: pipe.flac: is a FIFO, not a regular file; it could stall the player",
                1,
            ),
            (
                "p.toml:8:8: zero.wav: is a character device, not a regular file; it could stall",
                2,
            ),
            ("p.toml:10:8: empty.wav: the file is empty", 3),
            ("p.toml:12:8: dir.wav: is a directory, not a regular file", 4),
        ];
        for (start, i) in expect {
            assert!(
                lines[i].starts_with(start),
                "{} does not start {start:?}",
                lines[i]
            );
        }
    }
}
