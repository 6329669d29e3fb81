//! The room's retained state on the broker: whether its daemon is online, which scenes it
//! can start, and where its session stands. `setting rooms` lists rooms from it, and Home
//! Assistant's sensors, select and switches read it. The daemon's last will replaces it with
//! [`RoomState::offline`].

use serde::{Deserialize, Serialize};

use crate::protocol::StatusReply;
use crate::timeline::{OverrideKind, Status};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoomState {
    pub online: bool,
    pub room: String,
    /// The daemon's version; left out by the last will.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The scenes `start` accepts.
    #[serde(default)]
    pub scenes: Vec<String>,
    /// `None` when no session runs (or the daemon is offline).
    #[serde(default)]
    pub session: Option<SessionState>,
    /// The zones an emergency with no session running holds at full light: the room is in an
    /// emergency all the same, and starting a session would end it. Always sent, empty or
    /// not, since Home Assistant's mode template reads it on every state message.
    #[serde(default)]
    pub emergency_without_session: Vec<String>,
}

/// A session as the room's state shows it: enough to see at a glance, nothing clinical
/// beyond what the therapist's own screen shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionState {
    pub id: String,
    pub scene: String,
    pub scene_title: String,
    /// The phase's id and title, and its place in the scene.
    pub phase: String,
    pub phase_title: String,
    pub phase_index: usize,
    pub phase_count: usize,
    /// Whole seconds since the session started, pauses included.
    pub session_seconds: u64,
    /// Whole seconds to the phase's planned end, zero once past it.
    pub phase_remaining_seconds: u64,
    /// `running`, `paused`, `held`, `check`, `emergency` or `finished`: the most pressing.
    pub mode: String,
    pub paused: bool,
    pub muted: bool,
    pub emergency: bool,
    pub volume_offset_db: f32,
}

impl RoomState {
    /// What the last will publishes: the room is there, its daemon is not.
    pub fn offline(room: &str) -> RoomState {
        RoomState {
            online: false,
            room: room.to_string(),
            version: None,
            scenes: Vec::new(),
            session: None,
            emergency_without_session: Vec::new(),
        }
    }

    pub fn from_status(status: &StatusReply, scenes: Vec<String>) -> RoomState {
        RoomState {
            online: true,
            room: status.daemon.room.clone(),
            version: Some(status.daemon.version.clone()),
            scenes,
            session: status.session.as_ref().map(SessionState::from_status),
            emergency_without_session: status.daemon.emergency_without_session.clone(),
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("the room state serialises")
    }
}

impl SessionState {
    pub fn from_status(s: &Status) -> SessionState {
        let has = |kind: OverrideKind| s.overrides.iter().any(|o| o.kind == kind);
        let emergency = has(OverrideKind::Emergency);
        let mode = if s.finished {
            "finished"
        } else if emergency {
            "emergency"
        } else if has(OverrideKind::Check) {
            "check"
        } else if s.paused {
            "paused"
        } else if s.held {
            "held"
        } else {
            "running"
        };
        SessionState {
            id: s.session.clone(),
            scene: s.scene.clone(),
            scene_title: s.scene_title.clone(),
            phase: s.phase.id.clone(),
            phase_title: s.phase.title.clone(),
            phase_index: s.phase.index,
            phase_count: s.phase.count,
            session_seconds: s.session_time.0 / 1000,
            phase_remaining_seconds: s.phase.remaining.0 / 1000,
            mode: mode.into(),
            paused: s.paused,
            muted: s.muted,
            emergency,
            volume_offset_db: s.volume_offset_db,
        }
    }
}
