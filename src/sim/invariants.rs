//! The checks run after every step of a run, over what the room traced: recovery gives back
//! the session as far as the log reached; commands, cues and prompts are in the log once; an
//! emergency reaches every zone it covers at once, and is lit again at once after a restart;
//! no light rises without a cause that may raise it; the log is numbered without a gap.
//! The music's and the lights planner's own checks run as their orders arrive
//! (`music`, `lights`).

use std::collections::BTreeMap;

use crate::engine::event_log::parse_log;
use crate::protocol::LogEntry;
use crate::scene::{Look, Scene};
use crate::timeline::{Action, Command, EventKind, OverrideKind, Policy, Target};

use super::Violation;
use super::ledger::{Commands, Firings};
use super::recovery::{Essentials, Writes};
use super::room::{CoreCall, Input, Room, Trace};

/// Counts for the run's summary.
#[derive(Clone, Debug, Default)]
pub struct Counts {
    pub crashes: u64,
    pub torn: u64,
    pub recoveries: u64,
    pub emergencies: u64,
}

pub struct Checker {
    scene: Scene,
    policy: Policy,
    writes: Writes,
    pub commands: Commands,
    pub firings: Firings,
    /// The look each zone was last sent, as the room shows it.
    lit: BTreeMap<String, Look>,
    pub counts: Counts,
}

impl Checker {
    pub fn new(room: &Room) -> Checker {
        Checker {
            scene: room.scene().clone(),
            policy: room.policy().clone(),
            writes: Writes::default(),
            commands: Commands::default(),
            firings: Firings::default(),
            lit: BTreeMap::new(),
            counts: Counts::default(),
        }
    }

    /// Everything the room traced since the last call, then its adapters' own findings.
    pub fn step(&mut self, room: &mut Room) -> Result<(), Violation> {
        for trace in room.take_trace() {
            self.trace(trace)?;
        }
        match room.take_problems().into_iter().next() {
            Some(v) => Err(v),
            None => Ok(()),
        }
    }

    fn trace(&mut self, trace: Trace) -> Result<(), Violation> {
        match trace {
            Trace::Core(call) => self.call(&call),
            Trace::Gap { entries, timeline } => {
                if let Some(timeline) = timeline {
                    let gaps: Vec<LogEntry> = entries
                        .into_iter()
                        .filter(|e| matches!(e.event.kind, EventKind::LogGap { .. }))
                        .collect();
                    self.writes.wrote(&gaps, &timeline, &timeline);
                }
                Ok(())
            }
            Trace::Reply {
                who,
                command,
                target,
                reply,
            } => self.commands.reply(&who, &command, &target, &reply),
            Trace::IdleEmergency { zones } => {
                self.counts.emergencies += 1;
                let look = self.policy.emergency.look;
                for zone in zones {
                    self.lit.insert(zone, look);
                }
                Ok(())
            }
            Trace::Crashed { log, torn } => {
                self.counts.crashes += 1;
                self.counts.torn += u64::from(torn.is_some());
                numbered_from_one(&log)?;
                self.commands.crashed(&log, torn)?;
                let last = log.last().map_or(0, |e| e.seq);
                self.firings.cut(last);
                Ok(())
            }
            Trace::Recovered {
                timeline,
                last_seq,
                replayed_to,
            } => {
                self.counts.recoveries += 1;
                let got = Essentials::from(timeline.state());
                let Some(expected) = self.writes.expected(last_seq, replayed_to) else {
                    return Err(Violation::new(
                        "recovery",
                        format!("the log ends at entry {last_seq}, which the run never wrote"),
                    ));
                };
                if expected != got {
                    return Err(Violation::new(
                        "recovery",
                        format!(
                            "the state taken back up to entry {last_seq} is not the state before the crash: {}",
                            expected.diff(&got)
                        ),
                    ));
                }
                self.writes.cut(last_seq, &timeline);
                self.firings.cut(last_seq);
                Ok(())
            }
            Trace::Idle { .. } => Ok(()),
        }
    }

    fn call(&mut self, call: &CoreCall) -> Result<(), Violation> {
        self.commands.call(call);
        if !call.applied {
            return Ok(());
        }
        self.writes.wrote(&call.entries, &call.before, &call.after);
        self.firings.call(&self.scene, call)?;
        self.emergency_reaches_every_zone(call)?;
        self.no_light_rises_without_cause(call)
    }

    /// An accepted emergency sends its look, urgently, to every zone it covers in the same
    /// output; after a restart every zone an emergency still holds gets it again at once.
    fn emergency_reaches_every_zone(&mut self, call: &CoreCall) -> Result<(), Violation> {
        let targets: Vec<Target> = match &call.input {
            Input::Command {
                command: Command::Emergency,
                target,
                ..
            } => {
                self.counts.emergencies += 1;
                vec![target.clone()]
            }
            Input::Resumed => call
                .after
                .state()
                .overrides
                .iter()
                .filter(|o| o.kind == OverrideKind::Emergency)
                .map(|o| o.target.clone())
                .collect(),
            _ => return Ok(()),
        };
        let look = self.policy.emergency.look;
        for target in targets {
            for zone in call.before.zones().iter().filter(|z| target.covers(z)) {
                let sent = call.actions.iter().any(|a| {
                    matches!(a, Action::Light { zone: z, look: l, urgent: true, .. } if z == zone && *l == look)
                });
                if !sent {
                    return Err(Violation::new(
                        "emergency light",
                        format!("the emergency on {target} did not send zone {zone} its look urgently"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// A zone's light rises only for an emergency, a check, a walking light, a resume (the
    /// scene coming back, or a restart), the scene itself (a phase, a cue, a ramp) or the
    /// therapist's own nudge upwards.
    fn no_light_rises_without_cause(&mut self, call: &CoreCall) -> Result<(), Violation> {
        for action in &call.actions {
            let Action::Light { zone, look, .. } = action else {
                continue;
            };
            let before = self.lit.insert(zone.clone(), *look);
            let Some(before) = before else { continue };
            if look.brightness <= before.brightness + 0.01 || self.may_raise(call, zone) {
                continue;
            }
            return Err(Violation::new(
                "light rose",
                format!(
                    "zone {zone} rose from {:.1} to {:.1} % with no cause that may raise it ({:?})",
                    before.brightness, look.brightness, call.input
                ),
            ));
        }
        Ok(())
    }

    fn may_raise(&self, call: &CoreCall, zone: &str) -> bool {
        match &call.input {
            Input::Start | Input::Resumed => return true,
            Input::Command {
                command: Command::Light { brightness_delta, .. },
                target,
                ..
            } if *brightness_delta > 0.0 && target.covers(zone) => return true,
            _ => {}
        }
        let walk = matches!(
            &call.input,
            Input::Command {
                command: Command::Pause { walk_light: true },
                ..
            }
        );
        let ramp_started = |s: &crate::timeline::State| {
            s.scene_lights
                .get(zone)
                .and_then(|z| z.ramp.as_ref())
                .is_some_and(|r| r.started)
        };
        if ramp_started(call.after.state()) && !ramp_started(call.before.state()) {
            return true;
        }
        call.actions.iter().any(|a| {
            let Action::Log(event) = a else { return false };
            match &event.kind {
                EventKind::OverrideStarted { kind, target, .. } => {
                    target.covers(zone) && (*kind != OverrideKind::Pause || walk)
                }
                EventKind::OverrideEnded { target, .. } => target.covers(zone),
                EventKind::PhaseEntered { index, .. } => self
                    .scene
                    .phases
                    .get(*index)
                    .is_some_and(|p| p.light.contains_key(zone)),
                EventKind::CueFired { phase, label, .. } => self.cue_lights(phase.as_deref(), label, zone),
                _ => false,
            }
        })
    }

    fn cue_lights(&self, phase: Option<&str>, label: &str, zone: &str) -> bool {
        let cues: Vec<&crate::scene::Cue> = match phase {
            Some(id) => self
                .scene
                .phases
                .iter()
                .filter(|p| p.id == id)
                .flat_map(|p| &p.cues)
                .collect(),
            None => self.scene.cues.iter().collect(),
        };
        cues.iter()
            .any(|c| c.label == label && c.light.contains_key(zone))
    }

    /// At the end, the disk healed and everything written: the whole log.
    pub fn finish(&self, room: &Room) -> Result<(), Violation> {
        let read = parse_log(room.log_bytes());
        if read.skipped != 0 {
            return Err(Violation::new(
                "log numbered",
                format!("{} lines of the log do not read", read.skipped),
            ));
        }
        numbered_from_one(&read.entries)?;
        self.commands.finished(&read.entries)
    }
}

/// The log's entries are numbered 1, 2, 3... with no gap and no repeat.
fn numbered_from_one(log: &[LogEntry]) -> Result<(), Violation> {
    for (i, entry) in log.iter().enumerate() {
        if entry.seq != i as u64 + 1 {
            return Err(Violation::new(
                "log numbered",
                format!("entry {} of the log is numbered {}", i + 1, entry.seq),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::World;
    use crate::time::Millis;
    use crate::timeline::{Event, Source, Timeline};

    #[test]
    fn a_light_raised_by_a_mute_is_caught_and_one_raised_by_a_check_is_not() {
        let world = World::shipped().unwrap();
        let scene = world.scenes[0].clone();
        let mut checker = Checker::new(&Room::start(&world, scene.clone(), 0));
        let policy = world.config.policy.clone();
        let (tl, _) = Timeline::start(scene, policy, "t".into(), Source::default());
        let light = |brightness| Action::Light {
            zone: "room".into(),
            look: Look {
                brightness,
                kelvin: 2700,
            },
            fade: Millis(1000),
            urgent: false,
        };
        let call = |command, actions| CoreCall {
            input: Input::Command {
                who: "x".into(),
                command,
                target: Target::Room,
            },
            before: tl.clone(),
            actions,
            applied: true,
            entries: Vec::new(),
            after: tl.clone(),
        };
        checker.call(&call(Command::Mute, vec![light(20.0)])).unwrap();
        let rose = checker.call(&call(Command::Mute, vec![light(60.0)])).unwrap_err();
        assert_eq!(rose.invariant, "light rose");
        let started = Action::Log(Event {
            at: Millis::ZERO,
            timeline: Millis::ZERO,
            kind: EventKind::OverrideStarted {
                kind: OverrideKind::Check,
                target: Target::Room,
                source: Source::default(),
            },
        });
        checker.call(&call(Command::Mute, vec![light(10.0)])).unwrap();
        checker
            .call(&call(Command::Check, vec![started, light(50.0)]))
            .unwrap();
    }
}
