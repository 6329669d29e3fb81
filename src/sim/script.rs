//! A run's script: the steps a seed draws (waits, therapist commands, the player's reports and
//! faults), fixed before the run starts so that a failing run can be shrunk by dropping steps.
//! Steps are drawn without looking at the session: many are refused, as a therapist's would be.

use std::fmt;

use crate::scene::Mark;
use crate::time::{Millis, format_duration};
use crate::timeline::{Command, OverrideKind, Target};

use super::rng::Rng;
use super::world::World;

/// Bytes kept back on the state disk for emergencies, as the daemon keeps (`log-reserve`).
pub const DAEMON_RESERVE: usize = 1024 * 1024;

#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Virtual time runs on: the session's deadlines, the heartbeat and the lights' traffic.
    Wait(Millis),
    Command {
        command: Command,
        target: Target,
    },
    /// The player reports a track of the playing playlist starting (its index, wrapped).
    TrackStarted {
        track: usize,
    },
    /// The daemon dies. `tear`: it died in the middle of the last step's last write, which is
    /// cut at that many thousandths of its bytes (and its answer never went out). `old`: it
    /// died while saving the state file, so the copy before the last is the one found.
    Crash {
        tear: Option<u16>,
        old: bool,
        downtime: Millis,
    },
    /// The state disk fills up, leaving this many bytes.
    DiskFull {
        free: usize,
    },
    DiskReadOnly,
    DiskHeals,
    BrokerDown,
    BrokerUp,
    LightLost(usize),
    LightBack(usize),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Script {
    /// Index into the world's scenes.
    pub scene: usize,
    /// Bytes kept back on the disk for emergencies: the daemon's, or so few that the
    /// emergency's entries are held in memory too.
    pub reserve: usize,
    pub steps: Vec<Step>,
}

/// How many steps a script has at most: with waits of a few minutes, a whole session.
const MAX_STEPS: usize = 160;

/// The script seed `seed` draws in `world`.
pub fn generate(seed: u64, world: &World) -> Script {
    let mut rng = Rng::new(seed);
    let scene = (seed % world.scenes.len() as u64) as usize;
    let zones = world.config.zone_names();
    let lights = world.config.lights.lights.len();
    let reserve = if rng.chance(0.5) {
        DAEMON_RESERVE
    } else {
        rng.below(2000)
    };
    let count = 60 + rng.below(MAX_STEPS - 60);
    let steps = (0..count).map(|_| step(&mut rng, &zones, lights)).collect();
    Script {
        scene,
        reserve,
        steps,
    }
}

fn step(rng: &mut Rng, zones: &[String], lights: usize) -> Step {
    match rng.weighted(&[40, 42, 4, 3, 2, 2, 3, 2, 2, 2, 2]) {
        0 => Step::Wait(wait(rng)),
        1 => {
            let (command, target) = command(rng, zones);
            Step::Command { command, target }
        }
        2 => Step::TrackStarted { track: rng.below(64) },
        3 => Step::Crash {
            tear: rng.chance(0.5).then(|| rng.below(1000) as u16),
            old: rng.chance(0.2),
            downtime: if rng.chance(0.1) {
                Millis::from_mins(rng.between(30, 120))
            } else {
                Millis(rng.between(200, 600_000))
            },
        },
        4 => Step::DiskFull {
            free: rng.below(3000),
        },
        5 => Step::DiskReadOnly,
        6 => Step::DiskHeals,
        7 => Step::BrokerDown,
        8 => Step::BrokerUp,
        9 => Step::LightLost(rng.below(lights.max(1))),
        _ => Step::LightBack(rng.below(lights.max(1))),
    }
}

fn wait(rng: &mut Rng) -> Millis {
    match rng.weighted(&[3, 5, 2]) {
        0 => Millis(rng.between(0, 5000)),
        1 => Millis(rng.between(5000, 300_000)),
        _ => Millis(rng.between(300_000, 1_500_000)),
    }
}

/// A command of every kind, room-wide or for a zone, sometimes one the core must refuse.
fn command(rng: &mut Rng, zones: &[String]) -> (Command, Target) {
    let zone = |rng: &mut Rng, p: f64| {
        if !rng.chance(p) {
            Target::Room
        } else if rng.chance(0.05) {
            Target::Zone("nowhere".into())
        } else {
            Target::Zone(rng.pick(zones).clone())
        }
    };
    let kinds = [3, 1, 2, 10, 3, 3, 3, 4, 9, 6, 4, 4, 4, 3, 4, 4, 1, 1];
    let command = match rng.weighted(&kinds) {
        0 => Command::Mark { mark: Mark::Dose },
        1 => Command::Mark { mark: Mark::Infusion },
        2 => Command::Mark { mark: Mark::Booster },
        3 => Command::Next,
        4 => Command::Hold,
        5 => Command::Release,
        6 => Command::Extend {
            by: if rng.chance(0.05) {
                Millis::ZERO
            } else {
                Millis::from_mins(rng.between(1, 30))
            },
        },
        7 => Command::Pause {
            walk_light: rng.chance(0.5),
        },
        8 => Command::Resume {
            all: rng.chance(0.2),
            only: match rng.below(5) {
                0 => Some(OverrideKind::Pause),
                1 => Some(OverrideKind::Check),
                2 => Some(OverrideKind::Emergency),
                _ => None,
            },
        },
        9 => Command::Check,
        10 => Command::Emergency,
        11 => Command::Mute,
        12 => Command::Unmute,
        13 => Command::Skip {
            grounding: rng.chance(0.3),
        },
        14 => Command::Volume {
            delta_db: if rng.chance(0.03) {
                f32::NAN
            } else {
                rng.real(-8.0, 8.0)
            },
        },
        15 => Command::Light {
            brightness_delta: rng.real(-30.0, 30.0),
            kelvin_delta: rng.between(0, 2400) as i32 - 1200,
        },
        16 => Command::End,
        _ => Command::Stop,
    };
    // Zoned commands often name a zone; the others now and then, to be refused.
    let zoned = matches!(
        command,
        Command::Check | Command::Emergency | Command::Resume { .. } | Command::Light { .. }
    );
    let target = zone(rng, if zoned { 0.4 } else { 0.03 });
    (command, target)
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Wait(d) => write!(f, "wait {}", format_duration(*d)),
            Step::Command { command, target } => {
                let json = serde_json::to_value(command)
                    .ok()
                    .and_then(|v| {
                        let mut map = v.as_object()?.clone();
                        map.remove("command");
                        Some(serde_json::Value::Object(map).to_string())
                    })
                    .unwrap_or_default();
                let args = if json == "{}" {
                    String::new()
                } else {
                    format!(" {json}")
                };
                write!(f, "{}{args} ({target})", command.name())
            }
            Step::TrackStarted { track } => write!(f, "track {track} started"),
            Step::Crash { tear, old, downtime } => {
                write!(f, "crash")?;
                if let Some(t) = tear {
                    write!(f, " tearing the last write at {t}/1000")?;
                }
                if *old {
                    write!(f, " while saving the state file")?;
                }
                write!(f, ", down {}", format_duration(*downtime))
            }
            Step::DiskFull { free } => write!(f, "disk full ({free} bytes free)"),
            Step::DiskReadOnly => write!(f, "disk read-only"),
            Step::DiskHeals => write!(f, "disk heals"),
            Step::BrokerDown => write!(f, "broker down"),
            Step::BrokerUp => write!(f, "broker up"),
            Step::LightLost(i) => write!(f, "light {i} lost"),
            Step::LightBack(i) => write!(f, "light {i} back"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_and_fault_is_drawn_over_a_few_seeds() {
        let world = World::shipped().unwrap();
        let steps: Vec<Step> = (0..20).flat_map(|seed| generate(seed, &world).steps).collect();
        let names: std::collections::BTreeSet<&str> = steps
            .iter()
            .filter_map(|s| match s {
                Step::Command { command, .. } => Some(command.name()),
                _ => None,
            })
            .collect();
        assert_eq!(names.len(), 16, "{names:?}");
        for fault in [
            |s: &Step| matches!(s, Step::Crash { tear: Some(_), .. }),
            |s: &Step| matches!(s, Step::Crash { old: true, .. }),
            |s: &Step| matches!(s, Step::DiskFull { .. }),
            |s: &Step| matches!(s, Step::DiskReadOnly),
            |s: &Step| matches!(s, Step::BrokerDown),
            |s: &Step| matches!(s, Step::LightLost(_)),
            |s: &Step| {
                matches!(
                    s,
                    Step::Command {
                        target: Target::Zone(_),
                        ..
                    }
                )
            },
        ] {
            assert!(steps.iter().any(fault));
        }
    }

    #[test]
    fn a_seed_always_draws_the_same_script() {
        let world = World::shipped().unwrap();
        // Compared as text: a NaN volume step is not equal to itself.
        let text = |seed| format!("{:?}", generate(seed, &world));
        assert_eq!(text(42), text(42));
        assert_ne!(text(42), text(43));
    }
}
