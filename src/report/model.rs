//! The report's data: plain records, serialisable as they stand for `setting report --json`.

use serde::{Deserialize, Serialize};

use crate::scene::{Asks, Mark};
use crate::time::Millis;
use crate::timeline::{EventKind, OverrideKind, Source, Target};
use crate::vitals::{Flag, Reading};

use super::describe::describe_source;

/// When something happened, on all three clocks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stamp {
    /// Session time: real time since the start, pauses included.
    pub at: Millis,
    /// Timeline time: stands still while paused.
    pub timeline: Millis,
    /// Wall-clock time, RFC 3339 UTC, as logged.
    pub wall: String,
    /// The same in the clinic's zone (`2026-11-26 11:00:00 CET`), when the report was built
    /// for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<String>,
}

impl Stamp {
    /// The time people read: local when known, else as logged.
    pub fn clock(&self) -> &str {
        self.local.as_deref().unwrap_or(&self.wall)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub session: String,
    pub scene: String,
    /// The zone the stamps' `local` times are in (`Europe/Berlin`), when the report was built
    /// for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    pub started: Option<Stamp>,
    pub ended: Option<Stamp>,
    /// Why the session ended, `None` while it runs (or when the log stops short).
    pub end_reason: Option<String>,
    /// Session time of the last entry: the session's length so far.
    pub length: Millis,
    pub phases: Vec<PhaseRecord>,
    pub marks: Vec<MarkRecord>,
    pub overrides: Vec<OverrideRecord>,
    pub prompts: Vec<PromptRecord>,
    /// Phases a mark jumped over.
    #[serde(default)]
    pub skipped_phases: Vec<SkippedRecord>,
    pub cues: Vec<CueRecord>,
    pub commands: Vec<CommandRecord>,
    pub tracks: Vec<TrackRecord>,
    pub resumes: Vec<ResumeRecord>,
    pub errors: Vec<ErrorRecord>,
    /// Devices that came back after an error (the sound card, the broker).
    #[serde(default)]
    pub restored: Vec<ErrorRecord>,
    /// Each look a zone's lights were sent to, in order: the levels the picture draws.
    #[serde(default)]
    pub looks: Vec<LookRecord>,
    /// Each level the music was sent to, in order.
    #[serde(default)]
    pub music: Vec<MusicRecord>,
    /// The vital signs entered, in order, with the thresholds each crossed when entered.
    #[serde(default)]
    pub vitals: Vec<VitalsRecord>,
    /// The therapist's notes, in order.
    #[serde(default)]
    pub notes: Vec<NoteRecord>,
    /// Everything that shaped the session, in order: the story the text report tells.
    /// Tracks are left out (they have their own list), and so are commands whose effect is
    /// itself an entry (a `check` command and the check override it began).
    pub timeline: Vec<TimelineItem>,
    /// Entries of other sessions found in the same list, left out of the story.
    pub foreign_entries: usize,
}

/// A zone's lights sent to a look, reached after `fade`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LookRecord {
    pub at: Millis,
    pub zone: String,
    pub brightness: f32,
    pub kelvin: u16,
    pub fade: Millis,
}

/// The music sent to a level, reached after `fade`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MusicRecord {
    pub at: Millis,
    pub playlist: Option<String>,
    pub level_db: f32,
    pub muted: bool,
    pub paused: bool,
    pub fade: Millis,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineItem {
    pub at: Stamp,
    #[serde(flatten)]
    pub event: EventKind,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseRecord {
    pub index: usize,
    pub id: String,
    pub title: String,
    pub start: Stamp,
    /// `None` for the phase still running when the log ends.
    pub end: Option<Stamp>,
    /// Session time spent in the phase, pauses included (up to the end of the log if open).
    pub duration: Millis,
    /// Part of `duration` during which the timeline stood still (pause, emergency).
    pub stood_still: Millis,
    /// Why the phase was entered (`session start`, `planned time reached`, ...).
    pub entered_because: String,
    pub entered_by: Source,
    /// How it was left: the reason given when the next phase began or the session ended.
    pub left_because: Option<String>,
    pub left_by: Option<Source>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarkRecord {
    pub mark: Mark,
    pub at: Stamp,
    pub source: Source,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OverrideRecord {
    pub kind: OverrideKind,
    pub target: Target,
    pub start: Stamp,
    /// `None` while still active at the end of the log.
    pub end: Option<Stamp>,
    pub duration: Millis,
    pub started_by: Source,
    pub ended_by: Option<Source>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PromptRecord {
    pub at: Stamp,
    pub text: String,
    /// A clinical prompt's number in the queue; `None` for a hint from the system (and for
    /// every prompt of logs from before the queue).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u32>,
    /// The phase a mark jumped over that it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped_phase: Option<String>,
    /// Reminders given while it waited.
    #[serde(default)]
    pub reminders: u32,
    /// Who acknowledged it and when; `None` while it waits (or for a hint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<AckRecord>,
}

/// A clinical prompt acknowledged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AckRecord {
    pub at: Stamp,
    pub source: Source,
    /// Session time from the prompt to its acknowledgement.
    pub waited: Millis,
    /// What was recorded that acknowledged it (`vitals`); `None` for `setting ack`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<Asks>,
}

impl AckRecord {
    /// `socket (ana)`, or `vitals from socket (ana)` when a reading acknowledged it.
    pub fn by(&self) -> String {
        let who = describe_source(&self.source);
        match self.answered_by {
            Some(asks) => format!("{} from {who}", asks.name()),
            None => who,
        }
    }
}

/// A phase a mark jumped over.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SkippedRecord {
    pub at: Stamp,
    pub index: usize,
    pub id: String,
    pub title: String,
    pub reason: String,
    pub source: Source,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CueRecord {
    pub at: Stamp,
    /// The phase id for a phase cue, `None` for a session-wide one.
    pub phase: Option<String>,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommandRecord {
    pub at: Stamp,
    #[serde(flatten)]
    pub command: crate::timeline::Command,
    pub detail: String,
    pub source: Source,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrackRecord {
    pub at: Stamp,
    pub playlist: String,
    pub path: String,
    /// How long it played before the next track, a skip or the end of the log.
    pub played: Millis,
    /// Set when the therapist skipped it: the curators review these.
    pub skipped_by: Option<Source>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResumeRecord {
    pub at: Stamp,
    /// Session time that passed while the daemon was down.
    pub downtime: Millis,
}

/// A reading as entered: when, by whom, and what stood out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VitalsRecord {
    pub at: Stamp,
    #[serde(flatten)]
    pub reading: Reading,
    pub flags: Vec<Flag>,
    pub source: Source,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoteRecord {
    pub at: Stamp,
    pub text: String,
    pub source: Source,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorRecord {
    pub at: Stamp,
    pub message: String,
}

impl Report {
    /// Tracks the therapist skipped, for the curators.
    pub fn skipped_tracks(&self) -> impl Iterator<Item = &TrackRecord> {
        self.tracks.iter().filter(|t| t.skipped_by.is_some())
    }

    /// True once the log records the session's end.
    pub fn is_finished(&self) -> bool {
        self.ended.is_some()
    }
}
