//! Carrying out what the room core decided: the lights and music it hands over, the entries
//! for `watch` clients, the snapshot and the end of a session. The order of room and record
//! is the core's (`crate::room::RecordedSession`); this is only the I/O around it.
//!
//! The state file is saved only when nothing is held, naming the last entry it covers, so a
//! recovery (snapshot plus the log after it) gives the state the log describes.

use std::time::SystemTime;

use crate::audio::AudioOutput;
use crate::journal::{Stamp, Unwritable};
use crate::lights::LightOutput;
use crate::protocol::LogEntry;
use crate::room::{Holding, Outcome, Refusal};
use crate::time::Millis;
use crate::timeline::{Action, Event, Request, Source};
use crate::vitals::{Flag, Reading};

use super::event_log::wall_string;
use super::persist::{STATE_VERSION, SavedSession, unix_millis};
use super::session::Engine;
use crate::error_text::error_chain;

/// Hands the room's part of a decision to the adapters (they only queue work).
fn apply_room(lights: &mut dyn LightOutput, audio: &mut dyn AudioOutput, room: &[Action]) {
    for action in room {
        match action {
            Action::Light {
                zone,
                look,
                fade,
                urgent,
            } => lights.set(zone, *look, *fade, *urgent),
            Action::Music(target) => audio.apply(target),
            Action::Skip { crossfade, to } => audio.skip(*crossfade, to.as_deref()),
            Action::Prompt { text, number } => {
                tracing::warn!(prompt = %text, number, "prompt for the therapist")
            }
            Action::Log(_) | Action::Persist | Action::Finished => {}
        }
    }
}

impl Engine {
    /// Decisions that stand whatever the disk says (the clock's, devices', restarts', and the
    /// emergency's): the room first, then the record, written or held. Returns whether it
    /// is on disk.
    pub fn dispatch(&mut self, actions: Vec<Action>) -> bool {
        let Some(stamp) = self.stamp() else { return true };
        let (lights, audio) = (&mut self.lights, &mut self.audio);
        let Some(running) = self.session.as_mut() else {
            return true;
        };
        let was_unwritable = running.core.journal.unwritable().is_some();
        let outcome = running.core.carry_out(actions, &stamp, |room| {
            apply_room(lights.as_mut(), audio.as_mut(), room)
        });
        if !outcome.recorded && !was_unwritable {
            tracing::error!(reason = %self.unwritable_reason(), "EVENTS NOT RECORDED: held in memory until the disk allows");
        }
        let recorded = outcome.recorded;
        self.finish_outcome(outcome);
        recorded
    }

    /// A therapist's command through the room core, at `now`.
    pub fn command_at(&mut self, now: Millis, request: Request) -> Result<(), Refusal> {
        let Some(stamp) = self.stamp() else { return Ok(()) };
        let (lights, audio) = (&mut self.lights, &mut self.audio);
        let Some(running) = self.session.as_mut() else {
            return Ok(());
        };
        let outcome = running.core.command(now, request, &stamp, |room| {
            apply_room(lights.as_mut(), audio.as_mut(), room)
        })?;
        self.finish_outcome(outcome);
        Ok(())
    }

    /// A reading through the room core at `now`: the entries written (the reading first, then
    /// the acknowledgement of the prompt it answered, if any); `Ok(None)` with no session.
    pub fn vitals_at(
        &mut self,
        now: Millis,
        reading: Reading,
        flags: Vec<Flag>,
        source: Source,
    ) -> Result<Option<Vec<LogEntry>>, Refusal> {
        let Some(stamp) = self.stamp() else {
            return Ok(None);
        };
        let (lights, audio) = (&mut self.lights, &mut self.audio);
        let Some(running) = self.session.as_mut() else {
            return Ok(None);
        };
        let outcome = running.core.vitals(now, reading, flags, source, &stamp, |room| {
            apply_room(lights.as_mut(), audio.as_mut(), room)
        })?;
        let written = outcome.entries.clone();
        self.finish_outcome(outcome);
        Ok(Some(written))
    }

    /// A session's first decisions, written before the room is told.
    pub fn begin_recorded(&mut self, actions: Vec<Action>) -> Result<(), Unwritable> {
        let Some(stamp) = self.stamp() else { return Ok(()) };
        let (lights, audio) = (&mut self.lights, &mut self.audio);
        let Some(running) = self.session.as_mut() else {
            return Ok(());
        };
        let outcome = running.core.record_first(actions, &stamp, |room| {
            apply_room(lights.as_mut(), audio.as_mut(), room)
        })?;
        self.finish_outcome(outcome);
        Ok(())
    }

    fn unwritable_reason(&self) -> String {
        self.session
            .as_ref()
            .and_then(|r| r.core.journal.unwritable())
            .map(|r| r.to_string())
            .unwrap_or_default()
    }

    fn finish_outcome(&mut self, outcome: Outcome) {
        self.tell_watchers(outcome.retried);
        self.tell_watchers(outcome.entries);
        if outcome.snapshot_due {
            self.persist();
        }
        if outcome.finished {
            self.finish();
        }
    }

    /// Milliseconds on the monotonic clock since the daemon started.
    pub(super) fn mono_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// The stamp for entries written now.
    pub(super) fn stamp(&self) -> Option<Stamp> {
        let running = self.session.as_ref()?;
        Some(self.stamp_at(running.last_now, running.core.timeline.timeline_time()))
    }

    /// A stamp for now at the given session and timeline times.
    pub(super) fn stamp_at(&self, session_time: Millis, timeline: Millis) -> Stamp {
        Stamp {
            wall: wall_string(SystemTime::now()),
            session_time,
            timeline,
            mono_ms: self.mono_ms(),
        }
    }

    /// Writes a therapist's entry that changes nothing in the room (a reading, a note) before
    /// it is answered, and tells the watchers. `Ok(None)` with no session running.
    pub fn record_written(&mut self, event: Event) -> Result<Option<LogEntry>, Refusal> {
        let Some(stamp) = self.stamp() else {
            return Ok(None);
        };
        let Some(running) = self.session.as_mut() else {
            return Ok(None);
        };
        let outcome = running.core.record(vec![event], &stamp)?;
        let written = outcome.entries.first().cloned();
        self.finish_outcome(outcome);
        Ok(written)
    }

    /// Writes entries of the daemon's own (a reload, a stop) that stand whatever the disk
    /// says, and tells the watchers.
    pub fn record_kept(&mut self, events: Vec<Event>) -> bool {
        let actions = events.into_iter().map(Action::Log).collect();
        self.dispatch(actions)
    }

    /// Gets what the disk refused onto it, once it allows, and saves the session then.
    pub fn retry_journal(&mut self) {
        let Some(stamp) = self.stamp() else { return };
        let Some(running) = self.session.as_mut() else {
            return;
        };
        let journal = &running.core.journal;
        let was_held = !journal.settled() || journal.unwritable().is_some();
        let (still, written) = running.core.unrecordable(&stamp);
        let now_clear = still.is_none() && running.core.journal.settled();
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
        let Some((snapshot, log_seq)) = running.core.snapshot() else {
            return;
        };
        running.last_now = running.clock.now().max(running.last_now);
        let saved = SavedSession {
            version: STATE_VERSION,
            snapshot,
            session_time: running.last_now,
            wall_unix_ms: unix_millis(SystemTime::now()),
            speed: running.clock.speed(),
            log_seq,
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

    /// When the room core next wants the loop: the heartbeat, or the lights test's next step.
    pub fn room_deadline(&self) -> tokio::time::Instant {
        let beat = self.heartbeat.next_deadline();
        let at = self
            .lights_test
            .as_ref()
            .and_then(|test| test.next_deadline())
            .map_or(beat, |step| step.min(beat));
        tokio::time::Instant::from_std(self.started + std::time::Duration::from_millis(at))
    }

    /// Carries out what the room core says is due now: the lights test's steps and the
    /// heartbeat's chores.
    pub fn room_due(&mut self) {
        self.lights_test_due();
        self.heartbeat_due();
    }

    /// The heartbeat's chores (`crate::room::Heartbeat`), when it is due. A marker left by a
    /// direct emergency is looked for first: a daemon that was only hung takes it here.
    fn heartbeat_due(&mut self) {
        let now = self.mono_ms();
        if now < self.heartbeat.next_deadline() {
            return;
        }
        self.honour_marker_while_running();
        let holding = Holding {
            session: self.session_running(),
            finished_logs: !self.finished_journals.is_empty(),
        };
        let Some(chores) = self.heartbeat.due(now, holding) else {
            return;
        };
        if chores.keep_reserve {
            self.reserve.keep();
        }
        if chores.retry_log {
            self.retry_journal();
        }
        if chores.retry_finished {
            self.retry_finished_journals();
        }
        if chores.save {
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
