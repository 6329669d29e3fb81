//! Entries of the session's event log, as the core knows them. The engine adds wall-clock time.

use serde::{Deserialize, Serialize};

use crate::scene::{Asks, Mark};
use crate::time::Millis;
use crate::vitals::{Flag, Reading};

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
        /// Inputs taken back from the log after the last snapshot: commands, track starts,
        /// restarts and readings that acknowledged a prompt.
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
        /// The cue raised a prompt, whose own entry follows at the same moment: a reader of
        /// the log line by line (`watch`) tells the prompt alone. Left out when false, and in
        /// logs written before it was kept.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        prompted: bool,
    },
    /// A clinical prompt (numbered, queued until acknowledged) or a hint from the system
    /// (no number; logs from before the queue have every prompt so).
    Prompt {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        number: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        asks: Option<Asks>,
        /// Raised from a phase a mark jumped over (its id).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        skipped_phase: Option<String>,
    },
    /// A clinical prompt still waiting after `prompt_reminder`: shown again.
    PromptReminder {
        number: u32,
        text: String,
        /// Session time it was first raised.
        raised: Millis,
        /// Reminders so far, this one included.
        reminders: u32,
    },
    /// The therapist acknowledged a clinical prompt: with `setting ack`, or by recording what
    /// it asked for (`setting vitals`), which `answered_by` then names.
    PromptAcknowledged {
        number: u32,
        text: String,
        /// Session time it was raised.
        raised: Millis,
        source: Source,
        /// What was recorded that acknowledged it; `None` for `setting ack`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        answered_by: Option<Asks>,
    },
    /// A phase a mark jumped over: never entered; its prompts are queued all the same.
    PhaseSkipped {
        index: usize,
        id: String,
        title: String,
        reason: String,
        source: Source,
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
    /// A command as logs written before the typed entry have it: only its name and how people
    /// read it. Read, never written by the core, never replayed.
    LegacyCommand {
        command: String,
        #[serde(default)]
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
    /// A track flagged for the curators. Once per play of a track: a second skip before the
    /// next track starts is logged again only to upgrade the flag to `grounding`.
    TrackSkipped {
        playlist: Option<String>,
        path: Option<String>,
        /// The skip went to the scene's grounding track (`skip --grounding`).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        grounding: bool,
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
    /// Vital signs the therapist entered, with the clinic's thresholds they crossed then.
    Vitals {
        #[serde(flatten)]
        reading: Reading,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        flags: Vec<Flag>,
        source: Source,
        /// The waiting prompt this reading acknowledged (one asking for vitals), logged with
        /// the reading so that a replay acknowledges the same one. `None` when none waited,
        /// and in logs from before readings acknowledged prompts.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        answers: Option<u32>,
    },
    /// A note the therapist entered.
    Note {
        text: String,
        source: Source,
    },
}

impl EventKind {
    /// A prompt with no number: a hint from the system, as every prompt of older logs reads.
    pub fn hint(text: impl Into<String>) -> EventKind {
        EventKind::Prompt {
            text: text.into(),
            number: None,
            asks: None,
            skipped_phase: None,
        }
    }

    /// The entry's `event` as the log writes it.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::SessionStarted { .. } => "session_started",
            EventKind::SessionResumed { .. } => "session_resumed",
            EventKind::PhaseEntered { .. } => "phase_entered",
            EventKind::MarkSet { .. } => "mark_set",
            EventKind::CueFired { .. } => "cue_fired",
            EventKind::Prompt { .. } => "prompt",
            EventKind::PromptReminder { .. } => "prompt_reminder",
            EventKind::PromptAcknowledged { .. } => "prompt_acknowledged",
            EventKind::PhaseSkipped { .. } => "phase_skipped",
            EventKind::OverrideStarted { .. } => "override_started",
            EventKind::OverrideEnded { .. } => "override_ended",
            EventKind::Command { .. } => "command",
            EventKind::LegacyCommand { .. } => "legacy_command",
            EventKind::DaemonStopped => "daemon_stopped",
            EventKind::Reloaded { .. } => "reloaded",
            EventKind::LogGap { .. } => "log_gap",
            EventKind::Track { .. } => "track",
            EventKind::TrackSkipped { .. } => "track_skipped",
            EventKind::Error { .. } => "error",
            EventKind::DeviceRestored { .. } => "device_restored",
            EventKind::SessionEnded { .. } => "session_ended",
            EventKind::LookSet { .. } => "look_set",
            EventKind::MusicSet { .. } => "music_set",
            EventKind::Vitals { .. } => "vitals",
            EventKind::Note { .. } => "note",
        }
    }

    /// Who caused it, for the entries that say.
    pub fn source(&self) -> Option<&Source> {
        match self {
            EventKind::PhaseEntered { source, .. }
            | EventKind::MarkSet { source, .. }
            | EventKind::PromptAcknowledged { source, .. }
            | EventKind::PhaseSkipped { source, .. }
            | EventKind::OverrideStarted { source, .. }
            | EventKind::OverrideEnded { source, .. }
            | EventKind::Command { source, .. }
            | EventKind::LegacyCommand { source, .. }
            | EventKind::Reloaded { source, .. }
            | EventKind::TrackSkipped { source, .. }
            | EventKind::SessionEnded { source, .. }
            | EventKind::Vitals { source, .. }
            | EventKind::Note { source, .. } => Some(source),
            EventKind::SessionStarted { .. }
            | EventKind::SessionResumed { .. }
            | EventKind::CueFired { .. }
            | EventKind::Prompt { .. }
            | EventKind::PromptReminder { .. }
            | EventKind::DaemonStopped
            | EventKind::LogGap { .. }
            | EventKind::Track { .. }
            | EventKind::Error { .. }
            | EventKind::DeviceRestored { .. }
            | EventKind::LookSet { .. }
            | EventKind::MusicSet { .. } => None,
        }
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::Mark;

    #[test]
    fn names_and_sources_are_what_the_log_writes() {
        let source = Source::daemon();
        let kinds = [
            EventKind::SessionStarted {
                scene: "s".into(),
                session: "x".into(),
            },
            EventKind::SessionResumed {
                downtime: Millis(1),
                replayed: 0,
                torn: 0,
            },
            EventKind::MarkSet {
                mark: Mark::Dose,
                source: source.clone(),
            },
            EventKind::Command {
                command: Command::Hold,
                target: Target::Room,
                detail: String::new(),
                source: source.clone(),
            },
            EventKind::DaemonStopped,
            EventKind::LogGap {
                since: Millis(1),
                lasted_ms: 2,
                held: 3,
                reason: "r".into(),
            },
            EventKind::Error { message: "m".into() },
        ];
        for kind in kinds {
            let written = serde_json::to_value(&kind).unwrap();
            assert_eq!(written["event"], kind.name(), "{written}");
            let said = written
                .get("source")
                .map(|s| serde_json::from_value::<Source>(s.clone()).unwrap());
            assert_eq!(said.as_ref(), kind.source(), "{written}");
        }
    }
}
