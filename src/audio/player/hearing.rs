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
        // The loader takes one track at a time: the first one waiting is the one it is on,
        // since it asked for it or since it answered for the one before, whichever is later.
        let answered = self.state.loader_answered_at;
        let waiting = self
            .state
            .slots
            .iter()
            .filter(|(_, slot)| !slot.loaded)
            .min_by_key(|(id, _)| **id)
            .map(|(_, slot)| {
                let began = answered.map_or(slot.asked_at, |at| at.max(slot.asked_at));
                (
                    slot.path.as_str(),
                    now.duration_since(slot.asked_at),
                    now.duration_since(began),
                )
            });
        let in_at_most = |loading: Duration| given_up_in(loading, self.read_timeout).as_secs().max(1);
        match (self.state.silence_cause.as_deref(), waiting) {
            (Some(failed), Some((path, _, loading))) => Some(format!(
                "{failed}; loading the next, {path} (skipped in at most {} s if it is not ready)",
                in_at_most(loading)
            )),
            (Some(failed), None) => Some(failed.to_string()),
            (None, Some((path, waited, loading))) if waited >= QUIET_LOAD => Some(format!(
                "waiting for {path} to load, {} s so far (skipped in at most {} s if it is not ready)",
                waited.as_secs(),
                in_at_most(loading)
            )),
            (None, _) => None,
        }
    }
}

/// How long until a load that has been under way for `loading` is given up if it is not ready.
/// A file whose reads have stopped (a stalled share, the case worth a warning) is given up once
/// a read has hung for `read_timeout`, and its first read is at the load's start: that is
/// the time counted. Past it, the load is reading, only slowly, and is given up at the load
/// deadline.
pub(super) fn given_up_in(loading: Duration, read_timeout: Duration) -> Duration {
    let hung_by = read_timeout.min(LOAD_DEADLINE);
    if loading < hung_by {
        hung_by - loading
    } else {
        LOAD_DEADLINE.saturating_sub(loading)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_load_is_said_to_be_given_up_within_the_read_timeout_then_by_the_deadline() {
        let s = Duration::from_secs;
        let ms = Duration::from_millis;
        // The read timeout counts, not the 10 s deadline.
        assert_eq!(given_up_in(Duration::ZERO, s(1)), s(1));
        assert_eq!(given_up_in(ms(400), s(1)), ms(600));
        assert_eq!(given_up_in(s(3), s(4)), s(1));
        // Still loading past it: reads come back, slowly; the deadline gives it up.
        assert_eq!(given_up_in(s(2), s(1)), s(8));
        // A read timeout longer than the deadline: the deadline comes first.
        assert_eq!(given_up_in(s(4), s(30)), s(6));
        assert_eq!(given_up_in(s(12), s(30)), Duration::ZERO);
    }
}
