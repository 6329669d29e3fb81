//! Taking a session back from its log: the snapshot's timeline, then every input recorded
//! after it (commands, track starts, restarts, readings) replayed through the core at the session time
//! it was taken. The core is deterministic, so what it decides again is what it decided then.
//!
//! What it decides again that the log does not have was never carried out for sure: the
//! daemon died before the tick that would have decided it (a session's first cues, due the
//! moment it starts) or in the middle of the write that held it (a command's, which goes to
//! the room only once written). That is handed out with the restart's output, so that a
//! prompt nobody was shown is not counted as given.

use super::action::Action;
use super::command::Request;
use super::core::{DeviceEvent, Recovered, Timeline};
use super::event::{Event, EventKind};
use crate::time::Millis;

impl Timeline {
    /// Replays `events`, all recorded after the snapshot this timeline was restored from,
    /// oldest first, and brings the session up to the last of them. What the replay decides
    /// is in the log already and dropped, but for what the log does not have, which comes
    /// out with the next output (see the module's comment). Returns how many inputs were
    /// taken back.
    pub fn replay<'a>(&mut self, events: impl IntoIterator<Item = &'a Event>) -> usize {
        let events: Vec<&Event> = events.into_iter().collect();
        let mut replayed = 0;
        let mut decided = Vec::new();
        let mut last = None::<Millis>;
        for event in &events {
            // Never back in time: an entry stamped before the snapshot's last input is taken
            // at that input's time.
            let at = event.at.max(self.state.now);
            last = Some(at);
            match &event.kind {
                EventKind::Command {
                    command,
                    target,
                    source,
                    ..
                } => {
                    let request = Request {
                        command: command.clone(),
                        target: target.clone(),
                        source: source.clone(),
                    };
                    // A command refused now was refused then too, and never recorded; it
                    // cannot be in the log, but a hand-edited log must not stop recovery.
                    if let Ok(actions) = self.command(at, request) {
                        decided.extend(actions);
                        replayed += 1;
                    }
                }
                EventKind::Track { playlist, path } => {
                    let started = DeviceEvent::TrackStarted {
                        playlist: playlist.clone(),
                        path: path.clone(),
                    };
                    decided.extend(self.device(at, started));
                    replayed += 1;
                }
                EventKind::Vitals {
                    reading,
                    flags,
                    source,
                    answers,
                } => {
                    // Taken back for the prompt it acknowledged; a reading alone changes nothing.
                    if let Ok(actions) =
                        self.replay_vitals(at, reading.clone(), flags.clone(), source.clone(), *answers)
                    {
                        decided.extend(actions);
                        if answers.is_some() {
                            replayed += 1;
                        }
                    }
                }
                EventKind::SessionResumed {
                    downtime,
                    replayed: then,
                    torn,
                } => {
                    let recovered = Recovered {
                        replayed: *then,
                        torn: *torn,
                    };
                    decided.extend(self.resumed_after(at, *downtime, recovered));
                    replayed += 1;
                }
                _ => {}
            }
        }
        if let Some(at) = last {
            decided.extend(self.tick(at));
        }
        self.pending = unrecorded(decided, &events);
        replayed
    }

    /// [`Recovered`] for a replay of `replayed` inputs with `torn` lines dropped.
    pub fn recovered(replayed: usize, torn: usize) -> Recovered {
        Recovered { replayed, torn }
    }
}

/// What a replay decided from the first of its entries the log does not have on: the
/// looks and the music are left out, since a restart sends the present ones anyway.
fn unrecorded(decided: Vec<Action>, log: &[&Event]) -> Vec<Action> {
    let mut cursor = 0;
    let first_missing = decided.iter().position(|action| {
        let Action::Log(event) = action else { return false };
        match log[cursor..].iter().position(|e| *e == event) {
            Some(i) => {
                cursor += i + 1;
                false
            }
            None => true,
        }
    });
    let Some(first) = first_missing else {
        return Vec::new();
    };
    decided
        .into_iter()
        .skip(first)
        .filter(|a| !matches!(a, Action::Light { .. } | Action::Music(_) | Action::Persist))
        .collect()
}
