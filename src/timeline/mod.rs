//! The pure timeline core: given the time and an input (a tick, a therapist command or a
//! device event) it returns the actions to carry out and knows its next deadline. It never
//! sleeps, reads a clock or does I/O, so a three-hour session runs in a test in milliseconds.
//!
//! Two clocks: *session time* (`now`, real time since the start, scaled by the engine's speed)
//! and *timeline time*, which stands still while the session is paused or in an emergency.
//! Phases, marks and cues count in timeline time.

mod action;
mod command;
mod commands;
mod core;
mod due;
mod error;
mod event;
pub mod limits;
mod outputs;
mod phases;
pub mod plan;
mod policy;
mod prompts;
mod readings;
mod replay;
mod state;
mod status;
mod validate;
mod view;

pub use action::{Action, MusicTarget, TrackPosition};
pub use command::{Command, Request, Source, Target, Via};
pub use core::{DeviceEvent, Recovered, RestoreError, Snapshot, Timeline};
pub use error::CommandError;
pub use event::{Event, EventKind, OverrideKind};
pub use outputs::MIN_VOLUME_OFFSET_DB;
pub use policy::{OverrideLook, Policy, default_prompt_reminder};
pub use prompts::{QueuedPrompt, SkippedPhase};
pub use state::{CurrentTrack, Fired, Nudge, Override, State};
pub use status::{ActiveOverride, PhaseStatus, Status, Upcoming};
pub use validate::FieldError;

#[cfg(test)]
mod tests;
