//! One run: a script played against a [`Room`] step by step, the checks after each, then the
//! faults healed and the session left to run on, and the final checks on the whole log and
//! the lights.

use std::cell::Cell;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use crate::scene::PhaseEnd;
use crate::time::{Millis, format_duration};
use crate::timeline::{Command, Status, Target};

use super::Violation;
use super::invariants::{Checker, Counts};
use super::room::Room;
use super::script::{Script, Step};
use super::world::World;

/// How long a session is left to run after its script, faults healed, in checked slices, a
/// therapist letting it run to its end.
const RUN_OUT: Millis = Millis::from_mins(360);
const SLICE: Millis = Millis::from_mins(10);

/// A run that held: what it went through.
#[derive(Clone, Debug)]
pub struct Summary {
    pub scene: String,
    pub steps: usize,
    pub session_time: Millis,
    pub finished: bool,
    pub acknowledged: u64,
    pub refused: u64,
    pub lost_in_crashes: usize,
    pub cues: u64,
    /// Cue firings shown a second time: the crash took their entries, so the restart
    /// showed them again rather than never.
    pub cues_shown_again: u64,
    pub prompts: u64,
    pub counts: Counts,
    pub lights_published: u64,
    pub worst_emergency_ms: u64,
    pub unsaved: u64,
}

/// A run that broke an invariant, at a step of its script (`None`: at the end).
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub step: Option<usize>,
    pub violation: Violation,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.step {
            Some(i) => write!(f, "after step {i}: {}", self.violation),
            None => write!(f, "at the end: {}", self.violation),
        }
    }
}

/// Runs `script` in `world`; a panic anywhere in the product is a failure at its step.
pub fn run(world: &World, script: &Script) -> Result<Summary, Failure> {
    let at = Cell::new(None);
    let result = panic::catch_unwind(AssertUnwindSafe(|| play(world, script, &at)));
    match result {
        Ok(result) => result,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            Err(Failure {
                step: at.get(),
                violation: Violation::new("no panic", message),
            })
        }
    }
}

fn play(world: &World, script: &Script, at: &Cell<Option<usize>>) -> Result<Summary, Failure> {
    let scene = world.scene(script.scene).clone();
    let mut room = Room::start(world, scene, script.reserve);
    let mut checker = Checker::new(&room);
    checker.step(&mut room).map_err(|violation| Failure {
        step: None,
        violation,
    })?;
    for (i, step) in script.steps.iter().enumerate() {
        at.set(Some(i));
        room.begin_step(i);
        take(&mut room, i, step);
        checker.step(&mut room).map_err(|violation| Failure {
            step: Some(i),
            violation,
        })?;
    }
    at.set(None);
    let end = |violation| Failure {
        step: None,
        violation,
    };
    room.begin_step(script.steps.len());
    room.heal();
    let mut ran = Millis::ZERO;
    let mut n = 0;
    while ran < RUN_OUT {
        room.run_until(room.wall() + SLICE.0);
        ran += SLICE;
        if let Some(command) = room.status().and_then(|s| carry_on(&s)) {
            n += 1;
            room.command(&format!("run-out-{n}"), command, Target::Room);
        }
        checker.step(&mut room).map_err(end)?;
    }
    if !room.settled() {
        return Err(end(Violation::new(
            "commands recorded",
            "the disk is healed, yet entries are still held in memory".into(),
        )));
    }
    checker.finish(&room).map_err(end)?;
    room.lights.converged(room.wall()).map_err(end)?;
    Ok(Summary {
        scene: room.scene().name.clone(),
        steps: script.steps.len(),
        session_time: room.reached(),
        finished: room.finished_or_idle(),
        acknowledged: checker.commands.acknowledged,
        refused: checker.commands.refused,
        lost_in_crashes: checker.commands.lost(),
        cues: checker.firings.cues_fired,
        cues_shown_again: checker.firings.shown_again,
        prompts: checker.firings.prompts_shown,
        counts: checker.counts.clone(),
        lights_published: room.lights.published,
        worst_emergency_ms: room.lights.worst_emergency_ms,
        unsaved: room.unsaved,
    })
}

/// What a therapist does to let a session run to its end: overrides ended, the phase let go,
/// the next phase (or the end) once one that waits for them is past its planned time.
fn carry_on(status: &Status) -> Option<Command> {
    if !status.overrides.is_empty() {
        return Some(Command::Resume {
            all: true,
            only: None,
        });
    }
    if status.held {
        return Some(Command::Release);
    }
    if status.phase.ends != PhaseEnd::Timer && status.phase.remaining == Millis::ZERO {
        return Some(match status.phase.next_phase {
            Some(_) => Command::Next,
            None => Command::Stop,
        });
    }
    None
}

pub(super) fn take(room: &mut Room, i: usize, step: &Step) {
    match step {
        Step::Wait(d) => room.run_until(room.wall() + d.0),
        Step::Command { command, target } => {
            room.command(&format!("step-{i}"), command.clone(), target.clone());
        }
        Step::TrackStarted { track } => room.track_started(*track),
        Step::Crash { tear, old, downtime } => room.crash(*tear, *old, *downtime),
        Step::DiskFull { free } => room.store_mut().free = Some(*free),
        Step::DiskReadOnly => room.store_mut().read_only = true,
        Step::DiskHeals => {
            let store = room.store_mut();
            store.free = None;
            store.read_only = false;
        }
        Step::BrokerDown => room.broker_down(),
        Step::BrokerUp => room.broker_up(),
        Step::LightLost(i) => room.light_lost(*i),
        Step::LightBack(i) => room.light_back(*i),
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} steps, {} of session{}, {} commands acknowledged and {} refused, {} crashes ({} torn), \
             {} cues, {} prompts",
            self.scene,
            self.steps,
            format_duration(self.session_time),
            if self.finished { " (ended)" } else { "" },
            self.acknowledged,
            self.refused,
            self.counts.crashes,
            self.counts.torn,
            self.cues,
            self.prompts
        )
    }
}
