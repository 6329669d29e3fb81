//! A session's story, rebuilt from its event log: phases and how each was left, marks,
//! overrides with their durations, prompts, cues, commands, tracks, vital signs, notes and errors.
//!
//! The report reads only [`LogEntry`](crate::protocol::LogEntry) values, never the daemon's
//! state, so the same code serves `setting report` against a live daemon and against an
//! `events.jsonl` file copied off a machine that no longer runs (read with
//! [`engine::event_log::read_log`](crate::engine::event_log::read_log)).

mod build;
mod describe;
mod model;
mod render;

pub use build::{tells_the_cue, told_by_its_effect};
pub use describe::{describe_event, describe_source};
pub use model::{
    CommandRecord, CueRecord, ErrorRecord, LookRecord, MarkRecord, MusicRecord, NoteRecord, OverrideRecord,
    PhaseRecord, PromptRecord, Report, ResumeRecord, Stamp, TimelineItem, TrackRecord, VitalsRecord,
};
pub use render::{render_text, vitals_line};
