//! The curators' tools over the media: decoding every file in full, whether playlists cover
//! the phases that play them, loudness measured on every core with a cache, and which tracks
//! therapists skipped across sessions.

mod analyze;
mod check;
mod coverage;
mod skips;

pub use crate::audio::decode::{header_seconds, replaygain_tag};
pub use crate::audio::measure::{LoudnessError, measure};
pub use crate::audio::parallel::map_parallel;
pub use analyze::{Analysis, AnalyzedFile, analyze, analyze_with_progress};
pub use check::{FileCheck, FileStatus, check_file, check_files, check_files_with_progress};
pub use coverage::{PhaseCoverage, Verdict, coverage, length};
pub use skips::{LogProblem, SkipReport, SkippedTrack, skips};
