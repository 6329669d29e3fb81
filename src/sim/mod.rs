//! A seeded, deterministic simulator of whole sessions: every scene of a room run in virtual
//! time (never sleeping, never reading a clock) through the code the daemon runs (the timeline
//! core and the room core with its write-ahead journal over a
//! [`MemoryStore`](crate::journal::MemoryStore)), the lights' traffic planner and a model of
//! the music level, under random therapist commands, track reports and faults: crashes that
//! may tear the log's last write, full and read-only disks, broker outages and lights dropping
//! off. [`room::Room`] models only the shell's I/O around the cores; the invariants are checked
//! after every step, and a failing run shrinks to the shortest script that still fails.
//!
//! `cargo test --lib sim` runs a few hundred seeds; `scripts/simulate.sh N [SEED]` runs more.

mod invariants;
mod ledger;
mod lights;
mod music;
mod recovery;
mod rng;
pub mod room;
mod run;
pub mod script;
mod shrink;
mod world;

#[cfg(test)]
mod tests;

use std::fmt;

pub use run::{Failure, Summary, run};
pub use script::{Script, Step, generate};
pub use shrink::shrink;
pub use world::{World, WorldError};

/// An invariant that did not hold, and how.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// Which: the same name for the same rule, so that shrinking keeps to it.
    pub invariant: &'static str,
    pub detail: String,
}

impl Violation {
    pub fn new(invariant: &'static str, detail: String) -> Violation {
        Violation { invariant, detail }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.invariant, self.detail)
    }
}

/// Runs seed `seed`; on a failure, shrinks it and returns the shortest failing script.
pub fn run_seed(world: &World, seed: u64) -> Result<Summary, Box<(Script, Failure)>> {
    let script = generate(seed, world);
    run(world, &script).map_err(|failure| Box::new(shrink(&script, &failure, |s| run(world, s).map(|_| ()))))
}

/// A failure as a person reads it: the seed, the scene, what broke, and the steps.
pub fn describe_failure(world: &World, seed: u64, script: &Script, failure: &Failure) -> String {
    let mut text = format!(
        "seed {seed}, scene `{}`, {} bytes kept back on the disk: {failure}\nshortest script ({} steps):\n",
        world.scene(script.scene).name,
        script.reserve,
        script.steps.len()
    );
    for (i, step) in script.steps.iter().enumerate() {
        text.push_str(&format!("  {i:3}  {step}\n"));
    }
    text
}
