//! The `Timeline` itself: session state plus the scene and policy it runs under, and the
//! loop that brings it up to a given time.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::scene::Scene;
use crate::time::Millis;

use super::action::Action;
use super::command::{Request, Source};
use super::due::Due;
use super::error::CommandError;
use super::event::{Event, EventKind};
use super::policy::Policy;
use super::state::{CurrentTrack, State};
use super::status::Status;

/// Lights come back quickly after a restart: the room should be right again at once.
const RESTART_LIGHT_FADE: Millis = Millis(3000);
/// Music fades back in after a restart rather than starting at full level.
const RESTART_MUSIC_FADE: Millis = Millis(5000);
/// However long a daemon was down, a session cannot have more events due than this; the
/// bound only guards against a corrupt state looping for ever.
const MAX_STEPS_PER_ADVANCE: usize = 100_000;

/// Something an adapter reports that the session should know about.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "device", rename_all = "snake_case")]
pub enum DeviceEvent {
    TrackStarted {
        playlist: String,
        path: String,
    },
    TrackFailed {
        path: String,
        error: String,
    },
    Error {
        message: String,
    },
    /// A device reported by an `Error` works again.
    Restored {
        message: String,
    },
}

/// What a recovery took back from the log after the snapshot, written into the log's
/// `session_resumed` entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Commands, track starts, restarts and readings that acknowledged a prompt, replayed.
    pub replayed: usize,
    /// A torn last line dropped (never acknowledged).
    pub torn: usize,
}

/// Why a saved session cannot be taken back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestoreError {
    #[error("the saved scene has no phases")]
    NoPhases,
    #[error("the saved {what} phase is number {index}, but the scene has only {phases}")]
    PhaseOutOfRange {
        what: &'static str,
        index: usize,
        phases: usize,
    },
}

/// Everything needed to carry a session across a restart, scene included, so that a scene
/// edited on disk mid-session cannot change a session already under way.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub scene: Scene,
    pub policy: Policy,
    pub state: State,
}

/// Cloned only to take back a decided command whose entries the disk refused.
#[derive(Clone)]
pub struct Timeline {
    pub(super) scene: Arc<Scene>,
    pub(super) policy: Policy,
    pub(super) state: State,
    /// Actions produced by a time advance inside a command that was then refused; handed out
    /// with the next output so nothing due is lost.
    pub(super) pending: Vec<Action>,
}

impl Timeline {
    /// Begins a session at session time zero, in the scene's first phase.
    pub fn start(
        scene: Scene,
        policy: Policy,
        session_id: String,
        source: Source,
    ) -> (Timeline, Vec<Action>) {
        let mut tl = Timeline {
            scene: Arc::new(scene),
            policy,
            state: State::new(session_id),
            pending: Vec::new(),
        };
        let mut out = Vec::new();
        let started = EventKind::SessionStarted {
            scene: tl.scene.name.clone(),
            session: tl.state.session.clone(),
        };
        tl.log(&mut out, started);
        tl.enter_phase(0, "session start", source, &mut out);
        tl.finish_output(&mut out);
        (tl, out)
    }

    /// Takes a saved session back. A snapshot that does not hang together (a phase the scene
    /// does not have) is refused rather than trusted, since the core indexes by it.
    pub fn restore(snapshot: Snapshot) -> Result<Timeline, RestoreError> {
        let phases = snapshot.scene.phases.len();
        if phases == 0 {
            return Err(RestoreError::NoPhases);
        }
        for (what, index) in [
            ("current", snapshot.state.phase),
            ("closing", snapshot.scene.closing_phase),
        ] {
            if index >= phases {
                return Err(RestoreError::PhaseOutOfRange { what, index, phases });
            }
        }
        Ok(Timeline {
            scene: Arc::new(snapshot.scene),
            policy: snapshot.policy,
            state: snapshot.state,
            pending: Vec::new(),
        })
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            scene: (*self.scene).clone(),
            policy: self.policy.clone(),
            state: self.state.clone(),
        }
    }

    pub fn scene(&self) -> &Scene {
        &self.scene
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The session's state as it stands, read-only: for checks from outside (the simulator
    /// compares it across a crash and recovery).
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Every zone of the room plus any the scene names: what a room-wide override covers.
    pub fn zones(&self) -> Vec<String> {
        self.all_zones()
    }

    pub fn session_id(&self) -> &str {
        &self.state.session
    }

    /// The session time of the last input.
    pub fn now(&self) -> Millis {
        self.state.now
    }

    /// Timeline time at the last input.
    pub fn timeline_time(&self) -> Millis {
        self.state.timeline
    }

    pub fn is_finished(&self) -> bool {
        self.state.finished
    }

    /// After a restart: counts the downtime (the client's journey went on), catches up on
    /// whatever came due meanwhile, and re-asserts the whole desired state, lights with a
    /// short fade and music with a fade-in, since the adapters start from nothing.
    pub fn resumed(&mut self, now: Millis, downtime: Millis) -> Vec<Action> {
        self.resumed_after(now, downtime, Recovered::default())
    }

    /// [`Timeline::resumed`], saying in the log what the recovery took back from it.
    pub fn resumed_after(&mut self, now: Millis, downtime: Millis, recovered: Recovered) -> Vec<Action> {
        let mut out = std::mem::take(&mut self.pending);
        let mut caught_up = Vec::new();
        self.advance(now, &mut caught_up);
        // Intermediate looks from the downtime are history; only the present is sent.
        out.extend(
            caught_up
                .into_iter()
                .filter(|a| !matches!(a, Action::Light { .. } | Action::Music(_))),
        );
        self.log(
            &mut out,
            EventKind::SessionResumed {
                downtime,
                replayed: recovered.replayed,
                torn: recovered.torn,
            },
        );
        if !self.state.finished {
            self.refresh_zones(&super::command::Target::Room, RESTART_LIGHT_FADE, true, &mut out);
            self.resume_music(RESTART_MUSIC_FADE, &mut out);
        }
        self.finish_output(&mut out);
        out
    }

    /// Processes everything due up to `now`, in order.
    pub fn tick(&mut self, now: Millis) -> Vec<Action> {
        let mut out = std::mem::take(&mut self.pending);
        self.advance(now, &mut out);
        self.finish_output(&mut out);
        out
    }

    /// Applies a therapist command at `now`. A refused command changes nothing.
    pub fn command(&mut self, now: Millis, request: Request) -> Result<Vec<Action>, CommandError> {
        let mut out = std::mem::take(&mut self.pending);
        self.advance(now, &mut out);
        match self.apply(request, &mut out) {
            Ok(()) => {
                // A release or a shortened wait may make something due at once.
                self.advance(now, &mut out);
                self.finish_output(&mut out);
                Ok(out)
            }
            Err(e) => {
                self.finish_output(&mut out);
                self.pending = out;
                Err(e)
            }
        }
    }

    pub fn device(&mut self, now: Millis, event: DeviceEvent) -> Vec<Action> {
        let mut out = std::mem::take(&mut self.pending);
        self.advance(now, &mut out);
        let kind = match event {
            DeviceEvent::TrackStarted { playlist, path } => {
                self.track_started(&playlist, &path);
                EventKind::Track { playlist, path }
            }
            DeviceEvent::TrackFailed { path, error } => EventKind::Error {
                message: format!("track {path} could not be played: {error}"),
            },
            DeviceEvent::Error { message } => EventKind::Error { message },
            DeviceEvent::Restored { message } => EventKind::DeviceRestored { message },
        };
        self.log(&mut out, kind);
        self.finish_output(&mut out);
        out
    }

    /// Notes the track that plays now and when it started, unless this start is the
    /// resumption a restart asked for: that track started back then, not now.
    fn track_started(&mut self, playlist: &str, path: &str) {
        let (timeline, music) = (self.state.timeline, self.state.music_clock);
        let current = &mut self.state.current_track;
        if let Some(track) = current.as_mut().filter(|t| t.resuming)
            && track.playlist == playlist
            && track.path == path
        {
            track.resuming = false;
            return;
        }
        *current = Some(CurrentTrack {
            playlist: playlist.to_string(),
            path: path.to_string(),
            started_at: Some(timeline),
            started_music: Some(music),
            resuming: false,
            skipped: None,
        });
    }

    /// When the core next wants a tick, in session time; `None` while nothing can come due
    /// (paused, in an emergency, or finished).
    pub fn next_deadline(&self) -> Option<Millis> {
        if !self.state.clock_running() {
            return None;
        }
        let (t, _) = self.next_due()?;
        Some(self.state.now + (t - self.state.timeline))
    }

    pub fn status(&self, now: Millis) -> Status {
        self.view(now)
    }

    /// Brings the session up to `now`, handling each due item at its own time so that the
    /// log carries the time things were meant to happen, however late the tick.
    pub(super) fn advance(&mut self, now: Millis, out: &mut Vec<Action>) {
        for _ in 0..MAX_STEPS_PER_ADVANCE {
            if !self.state.clock_running() {
                break;
            }
            let tl_now = self.state.timeline_at(now);
            let Some((t, due)) = self.next_due().filter(|(t, _)| *t <= tl_now) else {
                break;
            };
            // The session time at which this item was due (never before the last input).
            let at = now - (tl_now - t.max(self.state.timeline));
            self.state.rebase(at);
            self.process(due, out);
        }
        self.state.rebase(now);
    }

    fn process(&mut self, due: Due, out: &mut Vec<Action>) {
        match due {
            Due::RampStart(zone) => {
                if let Some(r) = self
                    .state
                    .scene_lights
                    .get_mut(&zone)
                    .and_then(|z| z.ramp.as_mut())
                {
                    r.started = true;
                }
                self.refresh_zone(&zone, Millis::ZERO, false, out);
            }
            Due::Cue(cue) => self.fire_cue(cue, out),
            Due::Planned => self.planned_time_reached(out),
            Due::Max => self.max_time_reached(out),
            Due::Reminder(number) => self.remind(number, out),
        }
    }

    pub(super) fn log(&self, out: &mut Vec<Action>, kind: EventKind) {
        out.push(Action::Log(Event {
            at: self.state.now,
            timeline: self.state.timeline,
            kind,
        }));
    }

    /// Any change was logged; a logged change must be persisted before anyone is answered,
    /// and before the session is let go.
    pub(super) fn finish_output(&self, out: &mut Vec<Action>) {
        if !out.iter().any(|a| matches!(a, Action::Log(_))) {
            return;
        }
        out.retain(|a| *a != Action::Persist);
        match out.iter().position(|a| *a == Action::Finished) {
            Some(i) => out.insert(i, Action::Persist),
            None => out.push(Action::Persist),
        }
    }
}
