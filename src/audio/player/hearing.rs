//! What the room hears, worked out on the player thread a few times a second for `status`:
//! the track sounding, or why nothing sounds while music is asked for (a track that failed, one
//! still loading and how long until it is given up), and the last failure while it is recent.

use std::time::{Duration, Instant};

use super::Worker;
use crate::audio::heard::{Heard, HeardTrack};
use crate::audio::player::loader::LOAD_DEADLINE;

/// How often what is heard is worked out afresh: `status` is read by people, not machines.
const HEARD_EVERY: Duration = Duration::from_millis(250);
/// A load this short is the moment any track takes, not worth a word.
const QUIET_LOAD: Duration = Duration::from_secs(1);
/// How long the last failure stays in `status`; the event log keeps them all.
const FAILURE_SHOWN: Duration = Duration::from_secs(10 * 60);

impl Worker {
    pub(super) fn note_failure(&mut self, error: &str) {
        self.state.silence_cause = Some(error.to_string());
        self.state.last_failure = Some((error.to_string(), Instant::now()));
    }

    pub(super) fn update_heard(&mut self) {
        let now = Instant::now();
        if self
            .state
            .heard_at
            .is_some_and(|at| now.duration_since(at) < HEARD_EVERY)
        {
            return;
        }
        self.state.heard_at = Some(now);
        let heard = self.heard_now(now);
        if let Ok(mut shared) = self.heard.lock()
            && *shared != heard
        {
            *shared = heard;
        }
    }

    fn heard_now(&self, now: Instant) -> Heard {
        let state = &self.state;
        let track = self
            .mixer
            .now_playing()
            .filter(|_| self.mixer.is_heard())
            .and_then(|(id, _)| state.slots.get(&id))
            .map(|slot| HeardTrack {
                playlist: slot.playlist.clone(),
                path: slot.path.clone(),
            });
        let wanted = state
            .applied
            .as_ref()
            .is_some_and(|t| t.playlist.is_some() && !t.muted && !t.paused);
        let silent = if wanted && track.is_none() {
            self.why_silent(now)
        } else {
            None
        };
        let last_failure = state
            .last_failure
            .as_ref()
            .filter(|(_, at)| now.duration_since(*at) < FAILURE_SHOWN)
            .map(|(error, at)| format!("{error} ({} s ago)", now.duration_since(*at).as_secs()));
        Heard {
            track,
            silent,
            last_failure,
        }
    }

    /// Music is asked for and none sounds: the track that failed, the one being waited for.
    /// `None` for a moment's loading, and for a playlist played to its end.
    fn why_silent(&self, now: Instant) -> Option<String> {
        let waiting = self
            .state
            .slots
            .iter()
            .filter(|(_, slot)| !slot.loaded)
            .min_by_key(|(id, _)| **id)
            .map(|(_, slot)| (slot.path.as_str(), now.duration_since(slot.asked_at)));
        let given_up_in = |waited: Duration| LOAD_DEADLINE.saturating_sub(waited).as_secs().max(1);
        match (self.state.silence_cause.as_deref(), waiting) {
            (Some(failed), Some((path, waited))) => Some(format!(
                "{failed}; loading the next, {path} (skipped in at most {} s if it is not ready)",
                given_up_in(waited)
            )),
            (Some(failed), None) => Some(failed.to_string()),
            (None, Some((path, waited))) if waited >= QUIET_LOAD => Some(format!(
                "waiting for {path} to load, {} s so far (skipped in at most {} s if it is not ready)",
                waited.as_secs(),
                given_up_in(waited)
            )),
            (None, _) => None,
        }
    }
}
