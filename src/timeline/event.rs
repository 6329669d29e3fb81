//! Entries of the session's event log, as the core knows them. The engine adds wall-clock time.

use serde::{Deserialize, Serialize};

use crate::scene::Mark;
use crate::time::Millis;

use super::command::{Command, Source, Target};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Session time: real time since the session started, pauses included.
    pub at: Millis,
    /// Timeline time: what phases and cues count in; stands still while paused.
    pub timeline: Millis,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// The override layers, most urgent first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OverrideKind {
    Emergency,
    Check,
    Pause,
}

impl OverrideKind {
    pub fn name(self) -> &'static str {
        match self {
            OverrideKind::Emergency => "emergency",
            OverrideKind::Check => "check",
            OverrideKind::Pause => "pause",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    SessionStarted {
        scene: String,
        session: String,
    },
    SessionResumed {
        downtime: Millis,
        /// Commands and track starts taken back from the log after the last snapshot.
        #[serde(default, skip_serializing_if = "is_zero")]
        replayed: usize,
        /// A last line torn by the crash (never acknowledged), dropped from the log.
        #[serde(default, skip_serializing_if = "is_zero")]
        torn: usize,
    },
    PhaseEntered {
        index: usize,
        id: String,
        title: String,
        reason: String,
        source: Source,
    },
    MarkSet {
        mark: Mark,
        source: Source,
    },
    CueFired {
        phase: Option<String>,
        label: String,
    },
    Prompt {
        text: String,
    },
    OverrideStarted {
        kind: OverrideKind,
        target: Target,
        source: Source,
    },
    OverrideEnded {
        kind: OverrideKind,
        target: Target,
        source: Source,
    },
    /// A therapist's command as the core accepted it: the typed command and its target are
    /// what a recovery replays, `detail` is how people read it.
    Command {
        #[serde(flatten)]
        command: Command,
        #[serde(default)]
        target: Target,
        detail: String,
        source: Source,
    },
    /// The daemon was stopped (SIGTERM); the session resumes when it starts again.
    DaemonStopped,
    /// The config and scenes were read again; `detail` says what changed.
    Reloaded {
        detail: String,
        source: Source,
    },
    /// The log could not be written for a while: what happened meanwhile was held in memory
    /// and is written, in order, just before this entry.
    LogGap {
        /// Session time the first write failed.
        since: Millis,
        /// Real time the log stayed unwritable.
        lasted_ms: u64,
        /// Entries held in memory and written late.
        held: usize,
        reason: String,
    },
    Track {
        playlist: String,
        path: String,
    },
    TrackSkipped {
        playlist: Option<String>,
        path: Option<String>,
        source: Source,
    },
    Error {
        message: String,
    },
    /// A device that failed (the sound card, the broker) works again: not an error, but the
    /// report shows when the outage ended.
    DeviceRestored {
        message: String,
    },
    SessionEnded {
        reason: String,
        source: Source,
    },
    /// A zone's lights were sent to a look: the levels the report draws. Not in the report's
    /// story of the session, which tells why (the cue, the command) rather than this.
    LookSet {
        zone: String,
        brightness: f32,
        kelvin: u16,
        fade: Millis,
    },
    /// The music was sent to a level (dB below the ceiling), muted or paused.
    MusicSet {
        /// `None`: silence, whatever the level.
        #[serde(default)]
        playlist: Option<String>,
        level_db: f32,
        muted: bool,
        paused: bool,
        fade: Millis,
    },
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}
