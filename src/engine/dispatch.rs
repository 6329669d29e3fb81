//! Carrying out the core's actions: the room first, then the record. Lights and music are
//! handed to the adapters at once (they only queue work), then log entries and the state file
//! are written, all before the request that caused them is answered, so that an acknowledged
//! command is both visible in the room and durable on disk.

use std::time::SystemTime;

use crate::protocol::LogEntry;
use crate::timeline::{Action, Event};

use super::event_log::wall_string;
use super::persist::{STATE_VERSION, SavedSession, unix_millis};
use super::session::Engine;
use crate::error_text::error_chain;

impl Engine {
    pub fn dispatch(&mut self, actions: Vec<Action>) {
        // Devices before paperwork: two fsyncs must not stand between an emergency and the
        // light coming up. Each group keeps the core's order.
        for action in &actions {
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
        for action in actions {
            match action {
                Action::Log(event) => self.record(event),
                Action::Persist => self.persist(),
                Action::Finished => self.finish(),
                Action::Light { .. } | Action::Music(_) | Action::Skip { .. } | Action::Prompt { .. } => {}
            }
        }
    }

    /// Appends to the session's log and tells the watchers. A log that cannot be written is
    /// reported in `status`; the session goes on.
    pub fn record(&mut self, event: Event) {
        let Some(running) = self.session.as_mut() else {
            return;
        };
        let entry = LogEntry {
            wall: wall_string(SystemTime::now()),
            session: running.timeline.session_id().to_string(),
            event,
        };
        if running.log.is_none() {
            let path = self.history.log_path(&entry.session);
            running.log = super::event_log::EventLog::open(&path)
                .inspect_err(|e| tracing::error!(error = %error_chain(e), "cannot open the event log"))
                .ok();
        }
        match running.log.as_mut().map(|log| log.append(&entry)) {
            Some(Ok(())) => self.warnings.log = None,
            Some(Err(e)) => {
                tracing::error!(error = %error_chain(&e), "an event could not be recorded");
                self.warnings.log = Some(format!("events are not being recorded: {}", error_chain(&e)));
            }
            None => {
                self.warnings.log =
                    Some("events are not being recorded: the event log cannot be opened".into())
            }
        }
        // Nobody watching is the usual case, not an error.
        let _ = self.watchers.send(entry);
    }

    /// Saves the session. A failure is loud (log and `status`) but never stops the session:
    /// the room must go on even on a full disk.
    pub fn persist(&mut self) {
        let Some(running) = self.session.as_mut() else {
            return;
        };
        running.last_now = running.clock.now().max(running.last_now);
        let saved = SavedSession {
            version: STATE_VERSION,
            snapshot: running.timeline.snapshot(),
            session_time: running.last_now,
            wall_unix_ms: unix_millis(SystemTime::now()),
            speed: running.clock.speed(),
            log_seq: 0,
        };
        match self.state_file.save(&saved) {
            Ok(()) => self.warnings.persist = None,
            Err(e) => {
                tracing::error!(error = %error_chain(&e), "SESSION STATE NOT SAVED: a crash now would lose it");
                self.warnings.persist = Some(format!(
                    "the session is not being saved (a crash would lose it): {}",
                    error_chain(&e)
                ));
            }
        }
    }

    /// Saves a running session that has not changed, so that the saved wall-clock time stays
    /// recent (see `HEARTBEAT`).
    pub fn heartbeat(&mut self) {
        self.honour_marker_while_running();
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
