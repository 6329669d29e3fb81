//! Property tests over whole sessions: random scenes, random therapist commands, and the
//! safety rules that must hold whatever the scene and whatever the therapist does.
//!
//! The light budget at the core's level: the core sends a zone at most one `Light` per cause,
//! a cause being a phase entered, a ramp starting, a cue firing, an accepted command or an
//! override ending. So a scene on its own sends each zone a handful of looks an hour (its
//! phases, ramps and cue firings), and each command at most one more; the per-network rate is
//! then the lights planner's (see `lights::traffic::properties`).

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use super::fixture::therapist;
use super::properties_gen::{ZONES, commands, ramps, scene};
use crate::scene::Scene;
use crate::time::Millis;
use crate::timeline::{
    Action, Command, EventKind, OverrideKind, Policy, Request, Snapshot, Target, Timeline,
};

/// However long the therapist leaves it, a session is watched this long after the last command.
const RUN_OUT: Millis = Millis::from_mins(240);
/// A guard against a core that never stops asking for ticks.
const MAX_STEPS: usize = 20_000;

/// One output of the core, and the command it answered, if it was one that was accepted.
struct Batch {
    actions: Vec<Action>,
    accepted: Option<(Command, Target)>,
}

struct Session {
    tl: Timeline,
    batches: Vec<Batch>,
    now: Millis,
}

impl Session {
    fn start(scene: Scene) -> Session {
        let policy = Policy {
            zones: ZONES.iter().map(|z| z.to_string()).collect(),
            ..Policy::default()
        };
        let (tl, actions) = Timeline::start(scene, policy, "property".into(), therapist());
        Session {
            tl,
            batches: vec![Batch {
                actions,
                accepted: None,
            }],
            now: Millis::ZERO,
        }
    }

    fn push(&mut self, actions: Vec<Action>) {
        self.batches.push(Batch {
            actions,
            accepted: None,
        });
    }

    /// Ticks at every deadline up to `until`, as the engine would, then at `until`.
    fn run_until(&mut self, until: Millis) -> Result<(), TestCaseError> {
        let mut steps = 0;
        while let Some(deadline) = self.tl.next_deadline().filter(|d| *d <= until) {
            prop_assert!(
                deadline >= self.now,
                "deadline {deadline} before now {}",
                self.now
            );
            steps += 1;
            prop_assert!(steps < MAX_STEPS, "the core keeps asking for ticks");
            let actions = self.tl.tick(deadline);
            self.now = deadline;
            self.push(actions);
        }
        let actions = self.tl.tick(until);
        self.now = until;
        self.push(actions);
        Ok(())
    }

    /// Sends a command; a refused one must change nothing.
    fn command(&mut self, command: Command, target: Target) -> Result<(), TestCaseError> {
        let before = self.tl.snapshot();
        let request = Request {
            command: command.clone(),
            target: target.clone(),
            source: therapist(),
        };
        match self.tl.command(self.now, request) {
            Ok(actions) => self.batches.push(Batch {
                actions,
                accepted: Some((command, target)),
            }),
            Err(e) => prop_assert_eq!(
                self.tl.snapshot(),
                before,
                "refused {:?} ({}) changed it",
                command,
                e
            ),
        }
        Ok(())
    }
}

/// The session saved now loads again, as the same session.
fn state_file_loads(tl: &Timeline) -> Result<(), TestCaseError> {
    let snapshot = tl.snapshot();
    let json = serde_json::to_string(&snapshot).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let back: Snapshot =
        serde_json::from_str(&json).map_err(|e| TestCaseError::fail(format!("{e}: {json}")))?;
    // What a live session saves is within the bounds a state file is checked against.
    back.validate()
        .map_err(|e| TestCaseError::fail(format!("{e}: {json}")))?;
    let restored = Timeline::restore(back).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(restored.snapshot(), snapshot);
    Ok(())
}

/// A random scene run under random commands, the state file checked after each, then left
/// to run for `run_out`.
fn session(
    scene: Scene,
    commands: Vec<(Millis, Command, Target)>,
    run_out: Millis,
) -> Result<Session, TestCaseError> {
    let mut s = Session::start(scene);
    state_file_loads(&s.tl)?;
    for (gap, command, target) in commands {
        s.run_until(s.now + gap)?;
        if s.tl.is_finished() {
            break;
        }
        s.command(command, target)?;
        state_file_loads(&s.tl)?;
    }
    s.run_until(s.now + run_out)?;
    state_file_loads(&s.tl)?;
    Ok(s)
}

fn emergency_covers(active: &BTreeSet<Target>, zone: &str) -> bool {
    active.iter().any(|t| t.covers(zone))
}

/// Music never above the ceiling, and never a change of gain without a fade after the first.
fn music_is_safe(batches: &[Batch]) -> Result<(), TestCaseError> {
    let mut first = true;
    for action in batches.iter().flat_map(|b| &b.actions) {
        if let Action::Music(m) = action {
            prop_assert!(
                m.level_db.is_finite() && m.level_db <= 0.0,
                "above the ceiling: {:?}",
                m
            );
            prop_assert!(first || m.fade > Millis::ZERO, "a gain jump: {:?}", m);
            first = false;
        }
        if let Action::Light { fade, .. } = action {
            prop_assert!(*fade > Millis::ZERO, "a light jump: {:?}", action);
        }
    }
    Ok(())
}

/// While an emergency holds a zone, every look sent there is the emergency's, urgently, and
/// while it holds the room the music is muted. An accepted emergency reaches every zone.
fn emergency_wins(batches: &[Batch], policy: &Policy) -> Result<(), TestCaseError> {
    let mut active: BTreeSet<Target> = BTreeSet::new();
    for batch in batches {
        for action in &batch.actions {
            match action {
                Action::Log(e) => match &e.kind {
                    EventKind::OverrideStarted {
                        kind: OverrideKind::Emergency,
                        target,
                        ..
                    } => {
                        active.insert(target.clone());
                    }
                    EventKind::OverrideEnded {
                        kind: OverrideKind::Emergency,
                        target,
                        ..
                    } => {
                        active.remove(target);
                    }
                    _ => {}
                },
                Action::Light {
                    zone, look, urgent, ..
                } if emergency_covers(&active, zone) => {
                    prop_assert_eq!(*look, policy.emergency.look, "zone {} in an emergency", zone);
                    prop_assert!(*urgent, "an emergency look for {} was not urgent", zone);
                }
                Action::Music(m) if active.contains(&Target::Room) => {
                    prop_assert!(m.muted, "music during a room emergency: {:?}", m);
                }
                _ => {}
            }
        }
        if let Some((Command::Emergency, target)) = &batch.accepted {
            for zone in ZONES.iter().filter(|z| target.covers(z)) {
                let reached = batch
                    .actions
                    .iter()
                    .any(|a| matches!(a, Action::Light { zone: z, urgent: true, .. } if z == zone));
                prop_assert!(reached, "emergency on {} did not reach {}", target, zone);
            }
        }
    }
    Ok(())
}

/// Each accepted override command is in the event log, as a command and as the override
/// starting or ending, in the same output.
fn overrides_are_logged(batches: &[Batch]) -> Result<(), TestCaseError> {
    for batch in batches {
        let Some((command, _)) = &batch.accepted else {
            continue;
        };
        let (started, ended) = match command {
            Command::Emergency | Command::Check | Command::Pause { .. } => (true, false),
            Command::Resume { .. } => (false, true),
            _ => continue,
        };
        let logged = |f: &dyn Fn(&EventKind) -> bool| {
            batch
                .actions
                .iter()
                .any(|a| matches!(a, Action::Log(e) if f(&e.kind)))
        };
        prop_assert!(
            logged(&|k| matches!(k, EventKind::Command { command: c, .. } if c.name() == command.name())),
            "{:?} not logged as a command",
            command
        );
        prop_assert!(
            !started || logged(&|k| matches!(k, EventKind::OverrideStarted { .. })),
            "{:?} not logged as an override starting",
            command
        );
        prop_assert!(
            !ended || logged(&|k| matches!(k, EventKind::OverrideEnded { .. })),
            "{:?} not logged as an override ending",
            command
        );
        prop_assert!(
            batch.actions.contains(&Action::Persist),
            "{:?} not persisted",
            command
        );
    }
    Ok(())
}

/// No zone gets more looks than it has causes (see the module's comment).
fn light_within_budget(batches: &[Batch], scene: &Scene) -> Result<(), TestCaseError> {
    let ramps = ramps(scene);
    let mut causes: BTreeMap<String, usize> = BTreeMap::new();
    let mut sent: BTreeMap<String, usize> = BTreeMap::new();
    for action in batches.iter().flat_map(|b| &b.actions) {
        match action {
            Action::Log(e) => {
                let zones: Vec<&str> = match &e.kind {
                    EventKind::PhaseEntered { index, .. } => {
                        let ramped = |z: &&str| ramps.contains(&(*index, z.to_string()));
                        // The entry itself, and the ramp it may start later.
                        ZONES
                            .iter()
                            .copied()
                            .chain(ZONES.iter().copied().filter(ramped))
                            .collect()
                    }
                    EventKind::CueFired { .. }
                    | EventKind::Command { .. }
                    | EventKind::OverrideEnded { .. } => ZONES.to_vec(),
                    _ => Vec::new(),
                };
                for zone in zones {
                    *causes.entry(zone.to_string()).or_default() += 1;
                }
            }
            Action::Light { zone, .. } => {
                let n = sent.entry(zone.clone()).or_default();
                *n += 1;
                let allowed = causes.get(zone).copied().unwrap_or(0);
                prop_assert!(*n <= allowed, "{} looks for {} with {} causes", n, zone, allowed);
            }
            _ => {}
        }
    }
    Ok(())
}

/// The rest of a session restored from its state file is the rest of the original.
fn restored_runs_the_same(s: &mut Session, extra: Millis) -> Result<(), TestCaseError> {
    let flushed = s.tl.tick(s.now);
    s.push(flushed);
    let mut restored = Timeline::restore(s.tl.snapshot()).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let until = s.now + extra;
    while let Some(deadline) = s.tl.next_deadline().filter(|d| *d <= until) {
        prop_assert_eq!(restored.next_deadline(), Some(deadline));
        prop_assert_eq!(s.tl.tick(deadline), restored.tick(deadline));
    }
    prop_assert_eq!(s.tl.tick(until), restored.tick(until));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn volume_stays_under_the_ceiling_and_every_change_fades(scene in scene(), commands in commands()) {
        let s = session(scene, commands, RUN_OUT)?;
        music_is_safe(&s.batches)?;
    }

    #[test]
    fn emergency_always_wins(scene in scene(), commands in commands()) {
        let s = session(scene, commands, RUN_OUT)?;
        emergency_wins(&s.batches, s.tl.policy())?;
    }

    #[test]
    fn every_override_is_logged(scene in scene(), commands in commands()) {
        let s = session(scene, commands, RUN_OUT)?;
        overrides_are_logged(&s.batches)?;
    }

    #[test]
    fn light_traffic_stays_within_one_look_per_cause(scene in scene(), commands in commands()) {
        let s = session(scene.clone(), commands, RUN_OUT)?;
        light_within_budget(&s.batches, &scene)?;
    }

    #[test]
    fn the_state_file_always_loads_and_resumes_the_same_session(
        scene in scene(),
        commands in commands(),
        split in 0..=20usize,
    ) {
        // Saved after `split` commands, the rest of the session runs as the original would.
        let later = commands.iter().skip(split).map(|(gap, ..)| *gap).fold(RUN_OUT, |a, b| a + b);
        let mut s = session(scene, commands.into_iter().take(split).collect(), Millis::ZERO)?;
        restored_runs_the_same(&mut s, later)?;
    }
}
