//! The `Timeline` itself: session state plus the scene and policy it runs under.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::scene::Scene;
use crate::time::Millis;

use super::action::Action;
use super::command::{Request, Source};
use super::error::CommandError;
use super::policy::Policy;
use super::state::State;
use super::status::Status;

/// Something an adapter reports that the session should know about.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "device", rename_all = "snake_case")]
pub enum DeviceEvent {
    TrackStarted { playlist: String, path: String },
    TrackFailed { path: String, error: String },
    Error { message: String },
}

/// Everything needed to carry a session across a restart, scene included, so that a scene
/// edited on disk mid-session cannot change a session already under way.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub scene: Scene,
    pub policy: Policy,
    pub state: State,
}

pub struct Timeline {
    scene: Arc<Scene>,
    policy: Policy,
    state: State,
    /// Actions produced by a time advance inside a command that was then refused; handed out
    /// with the next output so nothing due is lost.
    pending: Vec<Action>,
}

impl Timeline {
    /// Begins a session at session time zero.
    pub fn start(scene: Scene, policy: Policy, session_id: String, source: Source) -> (Timeline, Vec<Action>) {
        let _ = (scene, policy, session_id, source);
        todo!()
    }

    pub fn restore(snapshot: Snapshot) -> Timeline {
        let _ = snapshot;
        todo!()
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot { scene: (*self.scene).clone(), policy: self.policy.clone(), state: self.state.clone() }
    }

    pub fn scene(&self) -> &Scene {
        &self.scene
    }

    pub fn session_id(&self) -> &str {
        &self.state.session
    }

    /// The session time of the last input.
    pub fn now(&self) -> Millis {
        self.state.now
    }

    /// After a restart: counts `now` (downtime included) and re-asserts the whole desired
    /// state, lights with a short fade and music with a fade-in.
    pub fn resumed(&mut self, now: Millis, downtime: Millis) -> Vec<Action> {
        let _ = (now, downtime);
        todo!()
    }

    /// Processes everything due up to `now`, in order.
    pub fn tick(&mut self, now: Millis) -> Vec<Action> {
        let _ = now;
        todo!()
    }

    /// Applies a therapist command at `now`. Refused commands change nothing.
    pub fn command(&mut self, now: Millis, request: Request) -> Result<Vec<Action>, CommandError> {
        let _ = (now, request);
        todo!()
    }

    pub fn device(&mut self, now: Millis, event: DeviceEvent) -> Vec<Action> {
        let _ = (now, event);
        todo!()
    }

    /// When the core next wants a tick, in session time; `None` while nothing is due
    /// (paused, held with no cue pending, or finished).
    pub fn next_deadline(&self) -> Option<Millis> {
        todo!()
    }

    pub fn status(&self, now: Millis) -> Status {
        let _ = now;
        todo!()
    }

    pub fn is_finished(&self) -> bool {
        self.state.finished
    }
}
