//! `setting playlist check`: every file decoded in full, and what each one is or why it
//! cannot be played.

use std::path::Path;

use serde::Serialize;

use super::analyze::chain;
use super::decode::{DecodeError, StreamProblem, decode_file};
use super::parallel::map_parallel;

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
    map_parallel(files, |rel| check_file(media_root, rel))
}

pub fn check_file(media_root: &Path, rel: &str) -> FileCheck {
    let mut check = FileCheck {
        path: rel.to_string(),
        status: FileStatus::Ok,
        format: None,
        sample_rate: None,
        channels: None,
        frames: None,
        seconds: None,
        reason: None,
        note: None,
    };
    match decode_file(&media_root.join(rel), None) {
        Ok(decoded) => {
            check.format = Some(decoded.format.clone());
            check.sample_rate = Some(decoded.sample_rate);
            check.channels = Some(decoded.channels);
            check.frames = Some(decoded.frames);
            check.seconds = Some(decoded.seconds());
            if !decoded.gapless_info {
                check.note = Some(
                    "no LAME/Xing header: the encoder's delay and padding stay in, so it cannot join \
                     its neighbours gaplessly; give it a crossfade"
                        .into(),
                );
            }
            if let Some(problem) = &decoded.problem {
                check.status = match problem {
                    StreamProblem::Truncated { .. } => FileStatus::Truncated,
                    StreamProblem::Corrupt { .. } | StreamProblem::Skipped { .. } => FileStatus::Corrupt,
                };
                check.reason = Some(chain(problem));
            } else if decoded.frames == 0 {
                check.status = FileStatus::Corrupt;
                check.reason = Some("no audio decoded".into());
            }
        }
        Err(e) => {
            check.status = match e {
                DecodeError::Missing => FileStatus::Missing,
                DecodeError::Unreadable(_) => FileStatus::Unreadable,
                DecodeError::Unrecognised(_) | DecodeError::NoTrack | DecodeError::Unsupported(_) => {
                    FileStatus::Corrupt
                }
            };
            check.reason = Some(chain(&e));
        }
    }
    check
}
