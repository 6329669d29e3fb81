//! Carrying out the core's actions against the write-ahead log. Two orders, by what is at
//! stake:
//! - an ordinary command is written first ([`Engine::dispatch_recorded_first`]): its entries
//!   are on disk before the room changes, and a disk that refuses them refuses the command;
//! - the emergency, the check and the resume, the clock's own events, device reports and
//!   restarts go to the room first ([`Engine::dispatch`]): two fsyncs must not stand between
//!   an emergency and the light coming up, and the session's clock must go on whatever the
//!   disk says. Their entries are then written, or held in memory until the disk allows.
//!
//! Either way the state file is saved only when nothing is held, naming the last entry it
//! covers, so a recovery (snapshot plus the log after it) gives the state the log describes.

use std::time::SystemTime;

use crate::journal::{Stamp, Unwritable};
use crate::protocol::LogEntry;
use crate::timeline::{Action, Event};

use super::event_log::wall_string;
use super::persist::{STATE_VERSION, SavedSession, unix_millis};
use super::session::Engine;
use crate::error_text::error_chain;

/// The core's actions taken apart: what goes to the room, what to the log, and what follows.
struct Split {
    room: Vec<Action>,
    events: Vec<Event>,
    persist: bool,
    finished: bool,
}

fn split(actions: Vec<Action>) -> Split {
    let mut split = Split {
        room: Vec::new(),
        events: Vec::new(),
        persist: false,
        finished: false,
    };
    for action in actions {
        match action {
            Action::Log(event) => split.events.push(event),
            Action::Persist => split.persist = true,
            Action::Finished => split.finished = true,
            room => split.room.push(room),
        }
    }
    split
}

impl Engine {
    /// The room first, then the record, written or held. Returns whether it is on disk.
    pub fn dispatch(&mut self, actions: Vec<Action>) -> bool {
        let split = split(actions);
        self.apply_room(&split.room);
        let recorded = self.record_kept(split.events);
        self.after_record(split.persist, split.finished);
        recorded
    }

    /// The record first, all or nothing, then the room. On a refusal nothing was carried out;
    /// the caller takes the decision back from the core.
    pub fn dispatch_recorded_first(&mut self, actions: Vec<Action>) -> Result<(), Unwritable> {
        let split = split(actions);
        self.record_required(split.events)?;
        self.apply_room(&split.room);
        self.after_record(split.persist, split.finished);
        Ok(())
    }

    fn apply_room(&mut self, room: &[Action]) {
        for action in room {
            match action {
                Action::Light {
                    zone,
                    look,
                    fade,
                    urgent,
                } => self.lights.set(zone, *look, *fade, *urgent),
                Action::Music(target) => self.audio.apply(target),
                Action::Skip { crossfade, to } => self.audio.skip(*crossfade, to.as_deref()),
                Action::Prompt { text } => tracing::warn!(prompt = %text, "prompt for the therapist"),
                Action::Log(_) | Action::Persist | Action::Finished => {}
            }
        }
    }

    fn after_record(&mut self, persist: bool, finished: bool) {
        if persist {
            self.persist();
        }
        if finished {
            self.finish();
        }
    }

    /// The stamp for entries written now.
    pub(super) fn stamp(&self) -> Option<Stamp> {
        let running = self.session.as_ref()?;
        Some(Stamp {
            wall: wall_string(SystemTime::now()),
            session_time: running.last_now,
            timeline: running.timeline.timeline_time(),
            mono_ms: self.started.elapsed().as_millis() as u64,
        })
    }

    /// Writes entries that stand whatever the disk says, and tells the watchers.
    pub fn record_kept(&mut self, events: Vec<Event>) -> bool {
        let Some(stamp) = self.stamp() else { return true };
        let Some(running) = self.session.as_mut() else {
            return true;
        };
        let was_unwritable = running.journal.unwritable().is_some();
        let written = running.journal.write_or_hold(events, &stamp);
        if !written.recorded && !was_unwritable {
            let reason = running
                .journal
                .unwritable()
                .map(|r| r.to_string())
                .unwrap_or_default();
            tracing::error!(%reason, "EVENTS NOT RECORDED: held in memory until the disk allows");
        }
        self.tell_watchers(written.entries);
        written.recorded
    }

    /// Writes an ordinary command's entries, all or none, and tells the watchers.
    fn record_required(&mut self, events: Vec<Event>) -> Result<(), Unwritable> {
        let Some(stamp) = self.stamp() else { return Ok(()) };
        let Some(running) = self.session.as_mut() else {
            return Ok(());
        };
        match running.journal.write(events, &stamp) {
            Ok(entries) => {
                self.tell_watchers(entries);
                Ok(())
            }
            Err(reason) => {
                tracing::error!(%reason, "a command was refused: its entries could not be recorded");
                Err(reason)
            }
        }
    }

    /// Why an ordinary command cannot be recorded now, after trying to write what is held.
    pub fn unrecordable(&mut self) -> Option<Unwritable> {
        self.retry_journal();
        let running = self.session.as_ref()?;
        running.journal.unwritable().cloned()
    }

    /// Gets what the disk refused onto it, once it allows, and saves the session then.
    pub fn retry_journal(&mut self) {
        let Some(stamp) = self.stamp() else { return };
        let Some(running) = self.session.as_mut() else {
            return;
        };
        let was_held = !running.journal.settled() || running.journal.unwritable().is_some();
        let written = running.journal.retry(&stamp);
        let now_clear = running.journal.settled() && running.journal.unwritable().is_none();
        self.tell_watchers(written);
        if was_held && now_clear {
            tracing::info!("the event log is written again");
            self.persist();
        }
    }

    fn tell_watchers(&self, entries: Vec<LogEntry>) {
        for entry in entries {
            // Nobody watching is the usual case, not an error.
            let _ = self.watchers.send(entry);
        }
    }

    /// Saves the session as a snapshot of the log's last entry. Only while nothing is held:
    /// a snapshot ahead of the log would hold what the log does not. A failure is loud (log
    /// and `status`) but never stops the session: the log is what a recovery reads.
    pub fn persist(&mut self) {
        let Some(running) = self.session.as_mut() else {
            return;
        };
        if !running.journal.settled() {
            return;
        }
        running.last_now = running.clock.now().max(running.last_now);
        let saved = SavedSession {
            version: STATE_VERSION,
            snapshot: running.timeline.snapshot(),
            session_time: running.last_now,
            wall_unix_ms: unix_millis(SystemTime::now()),
            speed: running.clock.speed(),
            log_seq: running.journal.durable_seq(),
        };
        match self.state_file.save(&saved) {
            Ok(()) => self.warnings.persist = None,
            Err(e) => {
                tracing::error!(error = %error_chain(&e), "session snapshot not saved: a restart replays the whole log");
                self.warnings.persist = Some(format!(
                    "the session snapshot is not being saved (a restart replays the event log): {}",
                    error_chain(&e)
                ));
            }
        }
    }

    /// Saves a running session that has not changed, so that the saved wall-clock time stays
    /// recent (see `HEARTBEAT`), and retries a log the disk refused.
    pub fn heartbeat(&mut self) {
        self.honour_marker_while_running();
        // Space kept back at start-up may have been missing then (a full disk).
        if self.session.is_some() {
            self.reserve.keep();
        }
        self.retry_journal();
        self.retry_finished_journals();
        if self.session.as_ref().is_some_and(|r| !r.timeline.is_finished()) {
            self.persist();
        }
    }

    /// The session is over: nothing to resume any more. Its log stays.
    fn finish(&mut self) {
        if let Err(e) = self.state_file.remove() {
            tracing::error!(error = %error_chain(&e), "the finished session's state file could not be removed");
            self.warnings.persist = Some(format!(
                "a finished session may be resumed at restart: {}",
                error_chain(&e)
            ));
        }
    }
}
