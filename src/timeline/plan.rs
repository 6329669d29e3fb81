//! The planned timeline of a scene: the core run offline, in virtual time, with each
//! therapist transition taken at its planned time. It is what `setting plan` shows and a
//! dry run of the whole session.

use serde::{Deserialize, Serialize};

use crate::scene::{Mark, PhaseEnd, Scene};
use crate::time::Millis;

use super::action::Action;
use super::policy::Policy;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub scene: String,
    pub phases: Vec<PlannedPhase>,
    pub marks: Vec<(Mark, Millis)>,
    /// Every action the core emitted, with its session time, in order (log and persist
    /// actions left out).
    pub actions: Vec<PlannedAction>,
    pub total: Millis,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedPhase {
    pub id: String,
    pub title: String,
    pub ends: PhaseEnd,
    pub start: Millis,
    pub end: Millis,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedAction {
    pub at: Millis,
    pub action: Action,
}

/// Runs `scene` from start to finish with the therapist moving on at each planned time.
pub fn plan(scene: &Scene, policy: &Policy) -> Plan {
    let _ = (scene, policy);
    todo!()
}
