//! Taking a session back from its log: the snapshot's timeline, then every input recorded
//! after it (commands, track starts, restarts) replayed through the core at the session time
//! it was taken. The core is deterministic, so what it decides again is what it decided then.

use super::command::Request;
use super::core::{DeviceEvent, Recovered, Timeline};
use super::event::{Event, EventKind};
use crate::time::Millis;

impl Timeline {
    /// Replays `events`, all recorded after the snapshot this timeline was restored from,
    /// oldest first, and brings the session up to the last of them. What the replay decides
    /// is dropped: it is in the log already. Returns how many inputs were taken back.
    pub fn replay<'a>(&mut self, events: impl IntoIterator<Item = &'a Event>) -> usize {
        let mut replayed = 0;
        let mut last = None::<Millis>;
        for event in events {
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
                    if self.command(at, request).is_ok() {
                        replayed += 1;
                    }
                }
                EventKind::Track { playlist, path } => {
                    let started = DeviceEvent::TrackStarted {
                        playlist: playlist.clone(),
                        path: path.clone(),
                    };
                    self.device(at, started);
                    replayed += 1;
                }
                EventKind::SessionResumed { downtime, .. } => {
                    self.resumed(at, *downtime);
                    replayed += 1;
                }
                _ => {}
            }
        }
        if let Some(at) = last {
            self.tick(at);
        }
        self.pending.clear();
        replayed
    }

    /// [`Recovered`] for a replay of `replayed` inputs with `torn` lines dropped.
    pub fn recovered(replayed: usize, torn: usize) -> Recovered {
        Recovered { replayed, torn }
    }
}
