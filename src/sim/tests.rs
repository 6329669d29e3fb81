//! The simulator over the shipped room and scenes: a few hundred seeds in every `cargo test`,
//! scripted runs that must go through given faults, and the long run `scripts/simulate.sh`
//! starts.

use std::sync::OnceLock;
use std::time::Instant;

use super::*;
use crate::time::Millis;
use crate::timeline::{Command, Target};

/// Seeds every `cargo test` runs, spread over the shipped scenes.
const SEEDS_IN_TESTS: u64 = 250;

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| World::shipped().expect("the shipped config and scenes load"))
}

fn script(steps: Vec<Step>) -> Script {
    Script {
        scene: world()
            .scenes
            .iter()
            .position(|s| s.name == "sublingual")
            .expect("the sublingual scene"),
        reserve: script::DAEMON_RESERVE,
        steps,
    }
}

fn command(command: Command) -> Step {
    Step::Command {
        command,
        target: Target::Room,
    }
}

#[test]
fn every_shipped_scene_holds_every_invariant_over_many_seeds() {
    let world = world();
    let mut failures = Vec::new();
    let mut scenes = std::collections::BTreeSet::new();
    let mut crashes = 0;
    for seed in 0..SEEDS_IN_TESTS {
        match run_seed(world, seed) {
            Ok(summary) => {
                scenes.insert(summary.scene.clone());
                crashes += summary.counts.crashes;
            }
            Err(failed) => failures.push(describe_failure(world, seed, &failed.0, &failed.1)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(scenes.len(), world.scenes.len(), "every scene ran: {scenes:?}");
    assert!(crashes > SEEDS_IN_TESTS / 2, "only {crashes} crashes");
}

#[test]
fn a_crash_tearing_an_emergency_write_recovers_to_the_log() {
    for tear in [0, 1, 250, 500, 999] {
        let steps = vec![
            Step::Wait(Millis::from_mins(3)),
            command(Command::Emergency),
            Step::Crash {
                tear: Some(tear),
                old: false,
                downtime: Millis::from_secs(20),
            },
            Step::Wait(Millis::from_mins(3)),
            command(Command::Resume {
                all: true,
                only: None,
            }),
        ];
        let summary = run(world(), &script(steps)).unwrap_or_else(|f| panic!("tear {tear}: {f}"));
        assert_eq!((summary.counts.crashes, summary.counts.torn), (1, 1));
        assert_eq!(summary.counts.recoveries, 1);
    }
}

#[test]
fn an_emergency_on_a_read_only_disk_is_held_and_written_when_the_disk_heals() {
    let steps = vec![
        Step::Wait(Millis::from_mins(1)),
        Step::DiskReadOnly,
        command(Command::Emergency),
        // Ordinary commands are refused meanwhile: the mute is not in the log.
        command(Command::Mute),
        Step::Wait(Millis::from_mins(2)),
        Step::DiskHeals,
        Step::Wait(Millis::from_secs(30)),
        command(Command::Resume {
            all: false,
            only: None,
        }),
    ];
    let summary = run(world(), &script(steps)).unwrap_or_else(|f| panic!("{f}"));
    // The emergency and its resume, then what the run-out's therapist does; only the mute
    // is refused.
    assert!(summary.acknowledged >= 2);
    assert_eq!(summary.refused, 1);
}

#[test]
fn an_emergency_held_in_memory_when_the_daemon_dies_is_counted_lost() {
    let steps = vec![
        Step::DiskReadOnly,
        command(Command::Emergency),
        Step::Crash {
            tear: None,
            old: false,
            downtime: Millis::from_secs(5),
        },
    ];
    let summary = run(world(), &script(steps)).unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(summary.lost_in_crashes, 1);
}

/// `scripts/simulate.sh N [SEED]`: `SIM_SEEDS` seeds from `SIM_SEED` (default: one drawn
/// from the time, printed), each failure shrunk to its shortest script.
#[test]
#[ignore = "long: run by scripts/simulate.sh"]
fn simulate() {
    let count: u64 = std::env::var("SIM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let first: u64 = std::env::var("SIM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() % 1_000_000_000)
        });
    let world = world();
    let started = Instant::now();
    let mut failures = Vec::new();
    let (mut crashes, mut torn, mut acknowledged, mut session_ms, mut worst_emergency) = (0, 0, 0, 0, 0);
    let (mut lost, mut shown_again, mut cues) = (0, 0, 0);
    for seed in first..first + count {
        match run_seed(world, seed) {
            Ok(s) => {
                crashes += s.counts.crashes;
                torn += s.counts.torn;
                acknowledged += s.acknowledged;
                session_ms += s.session_time.0;
                worst_emergency = worst_emergency.max(s.worst_emergency_ms);
                lost += s.lost_in_crashes;
                shown_again += s.cues_shown_again;
                cues += s.cues;
            }
            Err(failed) => {
                let text = describe_failure(world, seed, &failed.0, &failed.1);
                eprintln!("FAILED {text}");
                failures.push(text);
            }
        }
    }
    println!(
        "simulate: seeds {first}..{} ({count}) in {:.1} s: {} failed; {crashes} crashes ({torn} tearing a write), \
         {acknowledged} commands acknowledged ({lost} of them held in memory and lost with the daemon), \
         {cues} cue firings ({shown_again} shown again after a crash took their entries), {:.0} hours of sessions, \
         slowest emergency light {worst_emergency} ms",
        first + count,
        started.elapsed().as_secs_f64(),
        failures.len(),
        session_ms as f64 / 3_600_000.0,
    );
    assert!(
        failures.is_empty(),
        "{} of {count} seeds failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `SIM_SEED=N cargo test --lib sim::tests::trace_seed -- --ignored --nocapture`: the steps
/// of seed N (shrunk, if it fails) with every call into the core, the entries it numbered,
/// every answer, crash and recovery: for finding out why a seed fails.
#[test]
#[ignore = "a tool: prints one seed's trace"]
fn trace_seed() {
    let seed: u64 = std::env::var("SIM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let world = world();
    let mut script = generate(seed, world);
    if let Err(failure) = run(world, &script) {
        let (shrunk, failure) = shrink(&script, &failure, |s| run(world, s).map(|_| ()));
        eprintln!("{}", describe_failure(world, seed, &shrunk, &failure));
        script = shrunk;
    }
    let mut room = room::Room::start(world, world.scene(script.scene).clone(), script.reserve);
    for (i, step) in script.steps.iter().enumerate() {
        room.begin_step(i);
        eprintln!("== {i} {step}");
        super::run::take(&mut room, i, step);
        for trace in room.take_trace() {
            match trace {
                room::Trace::Core(call) => {
                    eprintln!("  core {:?} (carried out: {})", call.input, call.applied);
                    for e in &call.entries {
                        eprintln!("    {} {:?}", e.seq, e.event);
                    }
                }
                room::Trace::Gap { entries, .. } => {
                    eprintln!(
                        "  written late: {:?}",
                        entries.iter().map(|e| e.seq).collect::<Vec<_>>()
                    )
                }
                room::Trace::Reply { who, reply, .. } => eprintln!("  answer to {who}: {reply:?}"),
                room::Trace::Crashed { log, torn } => {
                    eprintln!(
                        "  crashed: the log ends at {:?}, torn write {torn:?}",
                        log.last().map(|e| e.seq)
                    )
                }
                room::Trace::Recovered {
                    last_seq,
                    replayed_to,
                    timeline,
                } => eprintln!(
                    "  taken back up to entry {last_seq} (replayed to {replayed_to:?}): phase {}, overrides {:?}",
                    timeline.state().phase,
                    timeline.state().overrides
                ),
                room::Trace::Idle { why } => eprintln!("  idle: {why}"),
                room::Trace::IdleEmergency { zones } => eprintln!("  emergency with no session: {zones:?}"),
            }
        }
        for problem in room.take_problems() {
            eprintln!("  PROBLEM {problem}");
        }
    }
}
