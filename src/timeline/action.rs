//! What the core asks the outside world to do: the adapters' orders, prompts, log entries.

use serde::{Deserialize, Serialize};

use crate::scene::Look;
use crate::time::Millis;

use super::event::Event;

/// One thing for the engine to carry out. The core emits them in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Move one zone's lights to a look over `fade` (a ramp is one long fade). `urgent` for an
    /// emergency or a check: it goes ahead of everything else the lights have waiting.
    Light {
        zone: String,
        look: Look,
        fade: Millis,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        urgent: bool,
    },
    /// The music as it should now be; the adapter glides to it.
    Music(MusicTarget),
    /// Cross-fade to the next track, or first to `to` (the scene's grounding track, a path
    /// under the media root) and then on with the playlist.
    Skip {
        crossfade: Millis,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
    },
    /// Tell the therapist something (shown on status and watch): a clinical prompt, queued
    /// under its `number` until acknowledged, or a hint from the system (no number).
    Prompt {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        number: Option<u32>,
    },
    /// Append to the session's event log.
    Log(Event),
    /// The session state changed: save it before answering anyone.
    Persist,
    /// The session is over; nothing more will be emitted.
    Finished,
}

/// The whole desired music state, so that an adapter (or a restarted daemon) can reach it
/// from anywhere without replaying history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MusicTarget {
    /// The playlist to play, or `None` for silence.
    pub playlist: Option<String>,
    /// Effective level in dB relative to the ceiling, duck and nudges included; never above 0.
    pub level_db: f32,
    /// Playing but faded to nothing (mute, emergency): the track runs on underneath.
    pub muted: bool,
    /// Faded out and held at its position (pause).
    pub paused: bool,
    /// How long the glide to this state takes (a crossfade if the playlist changes).
    pub fade: Millis,
    /// After a restart only: where in `playlist` the music had got to, so that the player
    /// starts there rather than at the first track. Ignored unless the playlist changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_from: Option<TrackPosition>,
}

/// A point in a track: its path as the playlist names it, and how far into it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrackPosition {
    pub path: String,
    pub offset: Millis,
}

impl MusicTarget {
    pub fn silence() -> MusicTarget {
        MusicTarget {
            playlist: None,
            level_db: 0.0,
            muted: false,
            paused: false,
            fade: Millis::ZERO,
            resume_from: None,
        }
    }

    /// True when the same sound would come out, whatever the fade (and wherever a restart
    /// would resume).
    pub fn same_state(&self, other: &MusicTarget) -> bool {
        self.playlist == other.playlist
            && self.muted == other.muted
            && self.paused == other.paused
            && (self.level_db - other.level_db).abs() < 0.01
    }
}
