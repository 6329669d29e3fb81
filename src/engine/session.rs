//! The engine's state between inputs: the running session (its timeline, clock and log), the
//! adapters, and the warnings `status` shows; how a session starts, resumes after a restart,
//! follows the clock, and is left resumable when the daemon stops.

use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::time::SystemTime;

use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

use crate::audio::AudioOutput;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::lights::LightOutput;
use crate::protocol::{DaemonInfo, LogEntry};
use crate::time::{Millis, format_duration};
use crate::timeline::{DeviceEvent, Event, EventKind, Source, Status, Timeline};

use super::EngineOptions;
use super::clock::SessionClock;
use super::event_log::{EventLog, read_log};
use super::history::History;
use super::log_file::{LogFile, Reserve};
use super::persist::{SavedSession, StateFile, unix_millis};
use crate::error_text::error_chain;
use crate::journal::{Journal, Unwritable};
use crate::room::{
    Heartbeat, IdleEmergency, LightsTest, RecordedSession, Resumed, Saved as RoomSaved, TakenBack, take_back,
};

pub struct Engine {
    pub(super) options: EngineOptions,
    pub(super) audio: Box<dyn AudioOutput>,
    pub(super) lights: Box<dyn LightOutput>,
    pub(super) session: Option<Running>,
    pub(super) state_file: StateFile,
    pub(super) history: History,
    pub(super) watchers: broadcast::Sender<LogEntry>,
    pub(super) warnings: Warnings,
    /// Tells the rest of the daemon (the remote link) the config a `reload` took on.
    pub(super) config_updates: watch::Sender<Arc<Config>>,
    /// A direct emergency's marker that was applied but could not be removed (its `said`).
    pub(super) stuck_marker: Option<String>,
    /// The direct emergencies taken over, by id, in this run and earlier ones (kept on disk):
    /// the same one arriving again (its retained notice after its marker, or after a restart)
    /// is not applied twice.
    pub(super) handed_over: super::taken_over::TakenOver,
    /// Space kept back on the state disk for the entries that must not be lost.
    pub(super) reserve: Reserve,
    /// Logs of sessions that ended while the disk refused some of their entries.
    pub(super) finished_journals: Vec<Journal<LogFile>>,
    /// What outages of the log and the lights test's steps are measured against.
    pub(super) started: std::time::Instant,
    /// A technician's lights test whose later steps are still to come.
    pub(super) lights_test: Option<LightsTest>,
    /// When the state is next saved and refused logs retried (on the `started` clock).
    pub(super) heartbeat: Heartbeat,
    /// The previous run stopped with the reserve given up (see `Engine::new`).
    died_on_a_full_disk: bool,
}

/// A session under way.
pub struct Running {
    /// The timeline and its write-ahead log: every change is in the log before it is answered.
    pub core: RecordedSession<LogFile>,
    pub clock: SessionClock,
    /// The latest session time handed to the core, so that it never sees time go backwards.
    pub last_now: Millis,
}

/// Problems the therapist should see in `status`.
#[derive(Debug, Default)]
pub struct Warnings {
    /// Facts about this run of the daemon (a damaged state file set aside).
    pub standing: Vec<String>,
    /// Set while saving the state fails, cleared by the next save that works.
    pub persist: Option<String>,
    /// Set while the event log cannot be written (the running session's, or a finished one's
    /// still holding entries), cleared once it is written again.
    pub log: Option<String>,
    /// Set while an emergency with no session running holds the room (its zones), cleared
    /// by `resume` or a session's start.
    pub idle_emergency: Option<IdleEmergency>,
}

impl Warnings {
    pub fn list(&self) -> Vec<String> {
        let emergency = self.idle_emergency.as_ref().map(|held| {
            let zones = held.zones();
            format!(
                "EMERGENCY with no session running: full light in {}; `setting resume` ends it (the \
                 lights stay as they are), as does starting a session",
                zones.join(", ")
            )
        });
        emergency
            .into_iter()
            .chain(self.standing.iter().cloned())
            .chain(self.persist.clone())
            .chain(self.log.clone())
            .collect()
    }
}

/// Why `start` was refused.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("session {0} is already running; `setting stop` ends it before another can start")]
    Running(String),
    #[error("cannot start scene `{scene}`: {reason}")]
    Scene { scene: String, reason: String },
    #[error("not recorded: {0}; nothing was started")]
    NotRecorded(Unwritable),
}

impl Engine {
    pub fn new(
        options: EngineOptions,
        audio: Box<dyn AudioOutput>,
        lights: Box<dyn LightOutput>,
        watchers: broadcast::Sender<LogEntry>,
        config_updates: watch::Sender<Arc<Config>>,
    ) -> Engine {
        let reserve = Reserve::in_dir(&options.state_dir);
        // Given up and not kept again: the last run stopped while the disk was full, perhaps
        // with entries held in memory that never reached the log.
        let died_on_a_full_disk = reserve.is_given_up();
        if !reserve.keep() {
            tracing::warn!("no space could be kept back on the state disk for emergencies");
        }
        // The first beat at once, as the daemon starts.
        let heartbeat = Heartbeat::new(0, options.speed);
        let handed_over = options.taken_over.clone();
        Engine {
            state_file: StateFile::in_dir(&options.state_dir),
            history: History::in_state_dir(&options.state_dir),
            options,
            audio,
            lights,
            session: None,
            watchers,
            warnings: Warnings::default(),
            config_updates,
            stuck_marker: None,
            handed_over,
            reserve,
            finished_journals: Vec::new(),
            started: std::time::Instant::now(),
            lights_test: None,
            heartbeat,
            died_on_a_full_disk,
        }
    }

    /// Picks up the session a previous run left, counting the time the daemon was down.
    pub fn recover(&mut self) {
        match self.state_file.load() {
            Ok(None) => tracing::info!("no session to resume"),
            Ok(Some(saved)) => self.resume(saved),
            Err(e) => {
                tracing::error!(error = %error_chain(&e), "cannot resume the saved session; starting idle");
                self.warnings.standing.push(error_chain(&e));
            }
        }
        // An emergency sent around the daemon while it was away (see `marker`).
        self.honour_marker_when_idle();
    }

    /// The snapshot, then every input the log recorded after it, replayed through the core;
    /// then the time the daemon was down, counted from the later of the two.
    fn resume(&mut self, saved: SavedSession) {
        let id = saved.snapshot.state.session.clone();
        let path = self.history.log_path(&id);
        // Opening cuts a torn last line off (it was never acknowledged).
        let opened = EventLog::open(&path);
        let torn = opened.as_ref().map_or(0, |log| log.torn_bytes());
        let entries = match read_log(&path) {
            Ok(contents) => contents.entries,
            Err(e) => {
                tracing::error!(error = %error_chain(&e), "the session's event log cannot be read; resuming from the snapshot alone");
                self.warnings.standing.push(error_chain(&e));
                Vec::new()
            }
        };
        let found = RoomSaved {
            session_time: saved.session_time,
            wall_unix_ms: saved.wall_unix_ms,
            speed: saved.speed,
            log_seq: saved.log_seq,
        };
        let snapshot = saved.snapshot;
        let now_unix_ms = unix_millis(SystemTime::now());
        // A snapshot or log the core cannot take back must not crash the daemon at every
        // start (a restart loop while a client lies in the room); set it aside, start idle.
        let taken = panic::catch_unwind(AssertUnwindSafe(|| {
            take_back(snapshot, found, &entries, torn > 0, now_unix_ms)
        }));
        let resumed = match taken.unwrap_or_else(|panic| Err(panic_message(&panic))) {
            Ok(TakenBack::Resumed(resumed)) => resumed,
            Ok(TakenBack::NeverRecorded) => {
                // Saved as it started, but its start never reached the log: never acknowledged.
                tracing::warn!(session = %id, "a session start that was never recorded is dropped");
                if let Err(e) = self.state_file.remove() {
                    tracing::error!(error = %error_chain(&e), "the unrecorded session's state file could not be removed");
                }
                return;
            }
            Ok(TakenBack::Ended(_)) => {
                // It had ended (its state file not yet gone): nothing to resume.
                tracing::info!("the saved session had ended; starting idle");
                if let Err(e) = self.state_file.remove() {
                    tracing::error!(error = %error_chain(&e), "the ended session's state file could not be removed");
                }
                return;
            }
            Err(reason) => {
                let e = self
                    .state_file
                    .set_aside(format!("the timeline could not resume it: {reason}"));
                tracing::error!(error = %error_chain(&e), "cannot resume the saved session; starting idle");
                self.warnings.standing.push(error_chain(&e));
                return;
            }
        };
        let Resumed {
            timeline,
            actions,
            now,
            downtime,
            last_seq,
            ..
        } = *resumed;
        tracing::info!(session = %id, at = %now, downtime = %format_duration(downtime), "resuming session");
        let store = match opened {
            Ok(log) => LogFile::opened(log, self.reserve.clone()),
            Err(_) => LogFile::new(path, self.reserve.clone()),
        };
        let clock = SessionClock::starting_at(now, self.options.speed);
        self.session = Some(Running {
            core: RecordedSession::new(timeline, Journal::new(id, store, last_seq)),
            clock,
            last_now: now,
        });
        self.dispatch_resumed(actions, now);
        if self.died_on_a_full_disk {
            // Said in the record itself, so a gap is never silent.
            let timeline = self
                .session
                .as_ref()
                .map_or(now, |r| r.core.timeline.timeline_time());
            self.record_kept(vec![Event {
                at: now,
                timeline,
                kind: EventKind::Error {
                    message: "the daemon stopped while the state disk was full: what it held in memory \
                              then (said `unrecorded` in its replies) may be missing from this log"
                        .into(),
                },
            }]);
        }
        // It may have ended during the downtime (a last phase on a timer).
        self.retire_if_finished();
    }

    pub fn start(&mut self, scene_name: &str, source: Source) -> Result<(), StartError> {
        if let Some(running) = &self.session {
            return Err(StartError::Running(
                running.core.timeline.session_id().to_string(),
            ));
        }
        let scene_error = |reason| StartError::Scene {
            scene: scene_name.to_string(),
            reason,
        };
        // The catalog is read afresh for each start, so edited scenes need no daemon restart.
        let catalog = Catalog::load(&self.options.config).map_err(|e| scene_error(error_chain(&e)))?;
        let scene = catalog
            .load_scene(scene_name)
            .map_err(|e| scene_error(error_chain(&e)))?;
        // A playlist file that is there but does not load would be a silent phase.
        let unreadable: Vec<String> = scene
            .playlists()
            .into_iter()
            .filter(|name| !catalog.playlists().contains_key(name))
            .collect();
        if !unreadable.is_empty() {
            let problems: Vec<String> = catalog
                .problems()
                .iter()
                .filter(|d| {
                    d.path
                        .file_stem()
                        .is_some_and(|stem| unreadable.iter().any(|n| stem == n.as_str()))
                })
                .map(|d| d.to_string())
                .collect();
            return Err(scene_error(format!(
                "its playlist {} does not load: {}",
                unreadable.join(", "),
                problems.join("; ")
            )));
        }
        // The scene was checked against the playlists as they are now: the player takes the
        // same, or a playlist added since it started would be silence.
        self.audio.set_playlists(catalog.playlists().clone());
        let id = self.history.new_session_id(&scene.name, SystemTime::now());
        tracing::info!(session = %id, scene = %scene.name, "starting session");
        let store = LogFile::new(self.history.log_path(&id), self.reserve.clone());
        let policy = self.options.config.policy.clone();
        let (timeline, actions) = Timeline::start(scene, policy, id.clone(), source);
        let clock = SessionClock::starting_at(Millis::ZERO, self.options.speed);
        self.session = Some(Running {
            core: RecordedSession::new(timeline, Journal::new(id, store, 0)),
            clock,
            last_now: Millis::ZERO,
        });
        // The snapshot first, covering none of the log: a start whose entries then fail to
        // reach the log is dropped at recovery, as it was never acknowledged.
        self.persist();
        if let Err(reason) = self.begin_recorded(actions) {
            self.session = None;
            if let Err(e) = self.state_file.remove() {
                tracing::error!(error = %error_chain(&e), "the unrecorded session's state file could not be removed");
            }
            return Err(StartError::NotRecorded(reason));
        }
        // The scene takes the lights over from an emergency held with no session.
        self.warnings.idle_emergency = None;
        Ok(())
    }

    /// Session time now, never earlier than what the core last saw. `None` when idle.
    pub fn now(&mut self) -> Option<Millis> {
        let running = self.session.as_mut()?;
        running.last_now = running.clock.now().max(running.last_now);
        Some(running.last_now)
    }

    /// Brings the session up to now: whatever fell due is carried out first, so a command or
    /// a status sees the timeline as it stands.
    pub fn advance(&mut self) -> Option<Millis> {
        // Whatever woke the loop (a deadline, a request, a track change reported by the
        // player), an emergency the CLI left while the loop was stuck goes before anything that
        // fell due meanwhile (a dimmer look).
        self.honour_marker_while_running();
        let now = self.now()?;
        let actions = self.session.as_mut()?.core.timeline.tick(now);
        self.dispatch(actions);
        // A session that has just ended on its own is let go at once: kept, it would refuse
        // the next command (an emergency among them) as over, and be saved again.
        self.retire_if_finished();
        Some(now)
    }

    /// When the loop must wake for the core, as a session time and the instant it falls at.
    pub fn next_deadline(&self) -> Option<(Millis, Instant)> {
        let running = self.session.as_ref()?;
        let mut deadline = running.core.timeline.next_deadline()?;
        // A deadline already handled would spin the loop at full speed; wait at least a
        // real millisecond for it.
        let floor = running.last_now + Millis(running.clock.speed().ceil() as u64);
        if deadline <= running.last_now {
            deadline = floor;
        }
        Some((deadline, running.clock.instant_for(deadline)))
    }

    pub fn on_deadline(&mut self, deadline: Millis) {
        if let Some(running) = self.session.as_mut() {
            // The wakeup instant reads back as the deadline, give or take float rounding.
            running.last_now = running.last_now.max(deadline);
        }
        self.advance();
    }

    pub fn device(&mut self, event: DeviceEvent) {
        let Some(now) = self.advance() else {
            tracing::info!(?event, "device event with no session running");
            return;
        };
        if let Some(running) = self.session.as_mut() {
            let actions = running.core.timeline.device(now, event);
            self.dispatch(actions);
        }
    }

    /// The status at `now`, already reached, without advancing again.
    pub fn status_at(&self, now: Millis) -> Option<Status> {
        let running = self.session.as_ref()?;
        let mut status = running.core.timeline.status(now);
        status.unrecorded = running.core.journal.held();
        Some(status)
    }

    pub fn status(&mut self) -> Option<Status> {
        let now = self.advance()?;
        let running = self.session.as_ref()?;
        let mut status = running.core.timeline.status(now);
        status.unrecorded = running.core.journal.held();
        Some(status)
    }

    /// Drops a session the core has declared over (its state file is already gone).
    pub fn retire_if_finished(&mut self) {
        if self
            .session
            .as_ref()
            .is_some_and(|r| r.core.timeline.is_finished())
        {
            let running = self.session.take().expect("checked above");
            tracing::info!(session = %running.core.timeline.session_id(), "session finished");
            // What the disk still refuses of it is written once it allows.
            if !running.core.journal.settled() {
                self.finished_journals.push(running.core.journal);
            }
        }
    }

    /// Writes what finished sessions still hold, once the disk allows.
    pub(super) fn retry_finished_journals(&mut self) {
        let Some(stamp) = self.stamp_idle() else { return };
        for journal in &mut self.finished_journals {
            let written = journal.retry(&stamp);
            for entry in written {
                let _ = self.watchers.send(entry);
            }
        }
        self.finished_journals.retain(|j| !j.settled());
    }

    /// A stamp for entries of a session no longer running: its gap entry's times are only
    /// the wall clock's.
    fn stamp_idle(&self) -> Option<crate::journal::Stamp> {
        if self.finished_journals.is_empty() {
            return None;
        }
        Some(self.stamp_at(Millis::ZERO, Millis::ZERO))
    }

    /// What `status` says while the log cannot be written.
    pub(super) fn journal_warning(&self) -> Option<String> {
        let running = self.session.as_ref();
        let journal = running
            .map(|r| &r.core.journal)
            .filter(|j| !j.settled() || j.unwritable().is_some())
            .or_else(|| self.finished_journals.first())?;
        let reason = journal.unwritable()?;
        let since = journal.unwritable_since().map_or(String::new(), |t| {
            format!(" since session time {}", format_duration(t))
        });
        Some(format!(
            "EVENTS NOT RECORDED: {reason}{since}; {} entries are held in memory and written when \
             the disk allows; only emergency, check and resume are taken until then",
            journal.held()
        ))
    }

    /// The daemon is stopping (SIGTERM): fade the music out, note it in the log and save, so
    /// the next start resumes the session where it stands.
    pub fn stop_daemon(&mut self) {
        let Some(now) = self.advance() else { return };
        let Some(running) = self.session.as_ref() else {
            return;
        };
        let status = running.core.timeline.status(now);
        let mut music = status.music;
        music.muted = true;
        music.fade = running.core.timeline.policy().stop_fade;
        self.audio.apply(&music);
        self.record_kept(vec![Event {
            at: now,
            timeline: status.timeline_time,
            kind: EventKind::DaemonStopped,
        }]);
        self.persist();
        tracing::info!(session = %status.session, at = %now, "daemon stopping; session saved");
    }

    pub fn daemon_info(&self) -> DaemonInfo {
        let heard = self.audio.heard();
        // Music asked for and none heard is as urgent as any device down: said with the others.
        let silent = heard
            .as_ref()
            .and_then(|h| h.silent.as_ref())
            .map(|why| format!("the music is silent: {why}"));
        DaemonInfo {
            heard,
            version: env!("CARGO_PKG_VERSION").into(),
            room: self.options.config.room.name.clone(),
            speed: self.options.speed,
            socket: self.options.socket.display().to_string(),
            state_dir: self.options.state_dir.display().to_string(),
            audio: self.audio.describe(),
            lights: self.lights.describe(),
            warnings: self
                .journal_warning()
                .into_iter()
                .chain(silent)
                .chain(self.warnings.list())
                .collect(),
            emergency_without_session: self
                .warnings
                .idle_emergency
                .as_ref()
                .map(|h| h.zones())
                .unwrap_or_default(),
        }
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}
