//! The therapist's commands as the core receives them, and who sent them.

use serde::{Deserialize, Serialize};

use crate::scene::Mark;
use crate::time::Millis;

use super::event::OverrideKind;

/// A therapist command. Overrides carry their [`Target`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    Mark {
        mark: Mark,
    },
    Next,
    Hold,
    Release,
    Extend {
        by: Millis,
    },
    Pause {
        walk_light: bool,
    },
    /// Ends the most urgent active override (or all of them), or only those of `only`'s kind:
    /// a control that means "end the pause" must never end an emergency.
    Resume {
        all: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        only: Option<OverrideKind>,
    },
    Check,
    Emergency,
    Mute,
    Unmute,
    /// The next track, or the scene's grounding track first when `grounding`.
    Skip {
        #[serde(default)]
        grounding: bool,
    },
    Volume {
        delta_db: f32,
    },
    Light {
        brightness_delta: f32,
        kelvin_delta: i32,
    },
    End,
    Stop,
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Mark { .. } => "mark",
            Command::Next => "next",
            Command::Hold => "hold",
            Command::Release => "release",
            Command::Extend { .. } => "extend",
            Command::Pause { .. } => "pause",
            Command::Resume { .. } => "resume",
            Command::Check => "check",
            Command::Emergency => "emergency",
            Command::Mute => "mute",
            Command::Unmute => "unmute",
            Command::Skip { .. } => "skip",
            Command::Volume { .. } => "volume",
            Command::Light { .. } => "light",
            Command::End => "end",
            Command::Stop => "stop",
        }
    }
}

/// What an override (or a light nudge) applies to.
/// Serialised as `"room"` or `{"zone": "mat-1"}`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    #[default]
    Room,
    Zone(String),
}

impl Target {
    pub fn covers(&self, zone: &str) -> bool {
        match self {
            Target::Room => true,
            Target::Zone(z) => z == zone,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Room => f.write_str("room"),
            Target::Zone(z) => write!(f, "zone {z}"),
        }
    }
}

/// Who asked: written into the event log with every override.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Source {
    pub via: Via,
    /// A user name, uid or client id, when known.
    pub who: Option<String>,
}

/// The way a command reached the room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// The control socket (`setting`, or anything else speaking the protocol locally).
    Socket,
    /// The clinic's broker (`setting --room`, Home Assistant).
    Mqtt,
    /// `setting emergency` straight to the lights while the daemon did not answer.
    CliDirect,
    /// A physical button on the wall, through the broker (`[[button]]` in the config); `who`
    /// is the button's name.
    Button,
    /// The session's own clock.
    Timer,
    /// The daemon itself (a restart, a stop).
    #[default]
    Daemon,
    /// A signal sent to the daemon (`who` names it: SIGHUP asks for a reload).
    Signal,
    /// The offline plan.
    Plan,
    /// A command line that read a log by hand.
    Cli,
    /// Written by a version that named its ways otherwise; read, never written.
    #[serde(other)]
    Other,
}

impl Via {
    pub fn name(self) -> &'static str {
        match self {
            Via::Socket => "socket",
            Via::Mqtt => "mqtt",
            Via::CliDirect => "cli-direct",
            Via::Button => "button",
            Via::Timer => "timer",
            Via::Daemon => "daemon",
            Via::Signal => "signal",
            Via::Plan => "plan",
            Via::Cli => "cli",
            Via::Other => "other",
        }
    }
}

impl std::fmt::Display for Via {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Source {
    pub fn via(via: Via) -> Source {
        Source { via, who: None }
    }

    pub fn timer() -> Source {
        Source::via(Via::Timer)
    }

    pub fn daemon() -> Source {
        Source::via(Via::Daemon)
    }
}

/// A command aimed at a target, from a source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub command: Command,
    pub target: Target,
    pub source: Source,
}

impl Request {
    /// A room-wide command.
    pub fn room(command: Command, source: Source) -> Request {
        Request {
            command,
            target: Target::Room,
            source,
        }
    }
}
