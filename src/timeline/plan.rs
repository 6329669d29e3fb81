//! The planned timeline of a scene: the core run offline, in virtual time, with each
//! therapist transition taken at its planned time. It is what `setting plan` shows and a
//! dry run of the whole session.

use serde::{Deserialize, Serialize};

use crate::scene::{Mark, PhaseEnd, Scene};
use crate::time::Millis;

use super::action::Action;
use super::command::{Command, Request, Source};
use super::core::Timeline;
use super::event::EventKind;
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

/// However a scene is written, a plan stops after this many steps; each step is a phase
/// change, a cue or a prompt, so a real scene needs a few hundred.
const MAX_STEPS: usize = 100_000;

/// Runs `scene` from start to finish with the therapist moving on at each planned time.
pub fn plan(scene: &Scene, policy: &Policy) -> Plan {
    let source = Source {
        via: super::Via::Plan,
        who: None,
    };
    let (mut tl, first) = Timeline::start(scene.clone(), policy.clone(), "plan".into(), source.clone());
    let mut plan = Plan {
        scene: scene.name.clone(),
        phases: Vec::new(),
        marks: Vec::new(),
        actions: Vec::new(),
        total: Millis::ZERO,
    };
    let mut cursor = Millis::ZERO;
    record(scene, &mut plan, &mut cursor, first);
    for _ in 0..MAX_STEPS {
        if tl.is_finished() {
            break;
        }
        let status = tl.status(tl.now());
        // The therapist moves on as soon as a phase that waits for them reaches its planned time.
        if status.phase.ends != PhaseEnd::Timer && status.phase.remaining == Millis::ZERO {
            let command = if status.phase.next_phase.is_some() {
                Command::Next
            } else {
                Command::Stop
            };
            let actions = tl.command(tl.now(), Request::room(command, source.clone()));
            record(scene, &mut plan, &mut cursor, actions.unwrap_or_default());
            continue;
        }
        let Some(deadline) = tl.next_deadline() else { break };
        let actions = tl.tick(deadline);
        record(scene, &mut plan, &mut cursor, actions);
    }
    plan.total = tl.now();
    if let Some(last) = plan.phases.last_mut() {
        last.end = plan.total;
    }
    plan
}

/// Files the core's output into the plan. Each action takes the time of the log entry
/// before it: the core logs why before it acts.
fn record(scene: &Scene, plan: &mut Plan, cursor: &mut Millis, actions: Vec<Action>) {
    for action in actions {
        match action {
            Action::Log(event) => {
                *cursor = event.at;
                match event.kind {
                    EventKind::PhaseEntered { index, id, title, .. } => {
                        if let Some(last) = plan.phases.last_mut() {
                            last.end = event.at;
                        }
                        let ends = scene.phases[index].ends;
                        plan.phases.push(PlannedPhase {
                            id,
                            title,
                            ends,
                            start: event.at,
                            end: event.at,
                        });
                    }
                    EventKind::MarkSet { mark, .. } => plan.marks.push((mark, event.at)),
                    _ => {}
                }
            }
            Action::Persist | Action::Finished => {}
            other => plan.actions.push(PlannedAction {
                at: *cursor,
                action: other,
            }),
        }
    }
}
