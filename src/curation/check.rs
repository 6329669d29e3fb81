//! `setting playlist check`: every file decoded in full, and what each one is or why it
//! cannot be played.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::audio::decode::{DecodeError, Decoder};
use crate::audio::parallel::map_parallel;
use crate::audio::read_watch::{DEFAULT_READ_TIMEOUT, ReadWatch, run_watched};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    Ok,
    Missing,
    Unreadable,
    Truncated,
    Corrupt,
}

impl FileStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FileStatus::Ok => "ok",
            FileStatus::Missing => "missing",
            FileStatus::Unreadable => "unreadable",
            FileStatus::Truncated => "truncated",
            FileStatus::Corrupt => "corrupt",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct FileCheck {
    /// Relative to the media root.
    pub path: String,
    pub status: FileStatus,
    pub format: Option<String>,
    pub sample_rate: Option<u32>,
    pub channels: Option<u16>,
    /// Frames decoded, after gapless trimming.
    pub frames: Option<u64>,
    /// Exact length of what decoded; for a bad file, only up to where it went wrong.
    pub seconds: Option<f64>,
    /// Why it is not `ok`.
    pub reason: Option<String>,
    /// Something a curator should know about a file that plays.
    pub note: Option<String>,
}

impl FileCheck {
    pub fn is_ok(&self) -> bool {
        self.status == FileStatus::Ok
    }
}

/// Decodes each file (relative to `media_root`) on every core.
pub fn check_files(media_root: &Path, files: &[String]) -> Vec<FileCheck> {
    check_files_with_progress(media_root, files, DEFAULT_READ_TIMEOUT, &|| {})
}

/// [`check_files`], calling `file_done` as each file is decoded, from whichever thread did it.
/// A file one of whose reads hangs for `read_timeout` is reported as unreadable, and the
/// check goes on.
pub fn check_files_with_progress(
    media_root: &Path,
    files: &[String],
    read_timeout: Duration,
    file_done: &(dyn Fn() + Sync),
) -> Vec<FileCheck> {
    map_parallel(files, |rel| {
        let check = check_file_within(media_root, rel, read_timeout);
        file_done();
        check
    })
}

/// [`check_file`] on a thread of its own, given up if one of its reads hangs for `read_timeout`.
pub fn check_file_within(media_root: &Path, rel: &str, read_timeout: Duration) -> FileCheck {
    let (root, name) = (media_root.to_path_buf(), rel.to_string());
    run_watched(read_timeout, move |watch| check_file_watched(&root, &name, watch)).unwrap_or_else(|hung| {
        let mut check = FileCheck::new(rel);
        check.status = FileStatus::Unreadable;
        check.reason = Some(format!("unreadable: {hung}"));
        check
    })
}

pub fn check_file(media_root: &Path, rel: &str) -> FileCheck {
    check_file_watched(media_root, rel, &ReadWatch::new())
}

impl FileCheck {
    fn new(rel: &str) -> FileCheck {
        FileCheck {
            path: rel.to_string(),
            status: FileStatus::Ok,
            format: None,
            sample_rate: None,
            channels: None,
            frames: None,
            seconds: None,
            reason: None,
            note: None,
        }
    }
}

fn check_file_watched(media_root: &Path, rel: &str, watch: &Arc<ReadWatch>) -> FileCheck {
    let mut check = FileCheck::new(rel);
    let mut decoder = match Decoder::open_watched(&media_root.join(rel), watch) {
        Ok(decoder) => decoder,
        Err(e) => {
            fail(&mut check, &e);
            return check;
        }
    };
    let info = decoder.info().clone();
    check.format = Some(info.codec.to_string());
    check.sample_rate = Some(info.sample_rate);
    check.channels = Some(info.channels);
    if !info.gapless {
        check.note = Some(
            "no LAME/Xing header: the encoder's delay and padding stay in, so it cannot join \
             its neighbours gaplessly; give it a crossfade"
                .into(),
        );
    }
    // One packet at a time: a check of a whole library must not hold a whole file.
    let mut scratch = Vec::new();
    let result = loop {
        scratch.clear();
        match decoder.decode_next(&mut scratch) {
            Ok(true) => {}
            Ok(false) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    // For a bad file, the length of what decoded before it went wrong.
    let frames = decoder.decoded_frames();
    check.frames = Some(frames);
    check.seconds = Some(frames as f64 / f64::from(info.sample_rate.max(1)));
    match result {
        Err(e) => fail(&mut check, &e),
        Ok(()) if frames == 0 => {
            check.status = FileStatus::Corrupt;
            check.reason = Some("no audio decoded".into());
        }
        Ok(()) => {}
    }
    check
}

/// The status and reason for a file that failed. The reason leaves out the path, which the
/// report already shows beside it.
fn fail(check: &mut FileCheck, error: &DecodeError) {
    let (status, reason) = match error {
        DecodeError::Missing { .. } => (FileStatus::Missing, "missing: no such file".to_string()),
        DecodeError::NotRegular { kind, .. } => (
            FileStatus::Unreadable,
            format!("not playable: {kind}, not a regular file (it could stall the player)"),
        ),
        DecodeError::Unreadable { source, .. } => (FileStatus::Unreadable, format!("unreadable: {source}")),
        DecodeError::Unsupported { reason, .. } => (
            FileStatus::Corrupt,
            format!("corrupt: not a recognised audio file, or an unsupported codec ({reason})"),
        ),
        DecodeError::Corrupt { at_frame, source, .. } => (
            FileStatus::Corrupt,
            format!("corrupt after {at_frame} frames: {source}"),
        ),
        DecodeError::Truncated {
            decoded, expected, ..
        } => (
            FileStatus::Truncated,
            match expected {
                Some(expected) => format!(
                    "truncated: {decoded} of the {expected} frames its header announces; it is cut \
                     short, or damaged data was skipped"
                ),
                None => format!("truncated: the data ends abruptly after {decoded} frames"),
            },
        ),
    };
    check.status = status;
    check.reason = Some(reason);
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    /// A FIFO nobody writes to and a link to `/dev/zero` are named with their reason at once,
    /// where before `check` hung on the first for ever.
    #[test]
    fn files_that_could_stall_the_player_are_named_at_once() {
        let media = tempfile::tempdir().unwrap();
        crate::audio::test_media::mkfifo(&media.path().join("pipe.flac"));
        std::os::unix::fs::symlink("/dev/zero", media.path().join("zero.wav")).unwrap();
        let started = Instant::now();
        let checks = check_files(media.path(), &["pipe.flac".into(), "zero.wav".into()]);
        assert!(started.elapsed() < Duration::from_secs(2));
        let reasons: Vec<(&str, FileStatus, &str)> = checks
            .iter()
            .map(|c| (c.path.as_str(), c.status, c.reason.as_deref().unwrap_or_default()))
            .collect();
        assert_eq!(
            reasons,
            [
                (
                    "pipe.flac",
                    FileStatus::Unreadable,
                    "not playable: a FIFO, not a regular file (it could stall the player)"
                ),
                (
                    "zero.wav",
                    FileStatus::Unreadable,
                    "not playable: a character device, not a regular file (it could stall the player)"
                ),
            ]
        );
    }
}
