//! The room's lights in the simulator: the real traffic planner under the zone looks the core
//! sends, the broker and each bulb as far as the planner can tell (a broker outage loses what
//! is published, a bulb that drops off misses its commands; both are re-asserted when back),
//! and what each bulb shows. Checked as commands go out: none lights a bulb above both where
//! it was and where it is going, an emergency goes ahead of all ordinary traffic on its
//! network and reaches every bulb of its zones within what the budget allows.

use std::collections::BTreeMap;

use crate::config::LightConfig;
use crate::config::default_networks;
use crate::lights::driver::DeviceCommand;
use crate::lights::level;
use crate::lights::traffic::{PlannedKind, Planner};
use crate::scene::Look;
use crate::time::Millis;

use super::Violation;

/// Levels are compared with this much slack: the planner's arithmetic is in `f32`.
const LEVEL_SLACK: f32 = 2e-3;

pub struct Lights {
    configs: Vec<LightConfig>,
    networks: Vec<crate::config::NetworkConfig>,
    planner: Planner,
    bulbs: Vec<Bulb>,
    online: Vec<bool>,
    broker_up: bool,
    /// The highest device level each bulb may be sent under its latest order: where its ramp
    /// was when the order came, or the order's look, whichever is higher.
    ceiling: Vec<f32>,
    /// An emergency look ordered for the bulb and not yet sent: since when, and by when the
    /// budget lets it go at the latest.
    emergency: Vec<Option<Pending>>,
    /// Per network: when the emergencies ordered so far have all had their tokens.
    urgent_until: BTreeMap<String, f64>,
    /// The look each bulb was last ordered to.
    ordered: Vec<Option<Look>>,
    problems: Vec<Violation>,
    /// The longest an emergency waited for the budget, in ms.
    pub worst_emergency_ms: u64,
    pub published: u64,
}

#[derive(Clone, Copy)]
struct Pending {
    since: u64,
    by: u64,
    look: Look,
}

/// What one bulb does with the commands that reach it: a straight line in its own level.
#[derive(Clone, Copy, Default)]
struct Bulb {
    from: f32,
    to: f32,
    kelvin: Option<u16>,
    start: u64,
    end: u64,
}

impl Bulb {
    fn level(&self, now: u64) -> f32 {
        if now >= self.end || self.end <= self.start {
            return self.to;
        }
        let f = (now - self.start) as f32 / (self.end - self.start) as f32;
        self.from + (self.to - self.from) * f
    }

    fn receive(&mut self, now: u64, command: &DeviceCommand) {
        *self = Bulb {
            from: self.level(now),
            to: if command.on { command.level } else { 0.0 },
            kelvin: command.kelvin.or(self.kelvin),
            start: now,
            end: now + command.transition.as_millis() as u64,
        };
    }
}

impl Lights {
    pub fn new(configs: &[LightConfig], networks: &[crate::config::NetworkConfig]) -> Lights {
        let n = configs.len();
        Lights {
            configs: configs.to_vec(),
            networks: networks.to_vec(),
            planner: Planner::new(configs, networks),
            bulbs: vec![Bulb::default(); n],
            online: vec![true; n],
            broker_up: true,
            ceiling: vec![0.0; n],
            emergency: vec![None; n],
            urgent_until: BTreeMap::new(),
            ordered: vec![None; n],
            problems: Vec::new(),
            worst_emergency_ms: 0,
            published: 0,
        }
    }

    pub fn count(&self) -> usize {
        self.configs.len()
    }

    /// The daemon restarted: a new planner that knows nothing, and nothing ordered yet; the
    /// bulbs stay as they are.
    pub fn restart(&mut self) {
        self.planner = Planner::new(&self.configs, &self.networks);
        self.ceiling.iter_mut().for_each(|c| *c = 0.0);
        self.emergency.iter_mut().for_each(|e| *e = None);
        self.ordered.iter_mut().for_each(|o| *o = None);
        self.urgent_until.clear();
    }

    fn device_level(&self, i: usize, look: Look) -> f32 {
        level::device_level(&self.configs[i], look.brightness).unwrap_or(0.0)
    }

    /// The core (or the emergency with no session) moves `zone` to `look`.
    pub fn set(&mut self, now: u64, zone: &str, look: Look, fade: Millis, urgent: bool) {
        for i in 0..self.configs.len() {
            if self.configs[i].zone != zone {
                continue;
            }
            let from = self
                .planner
                .wanted(i, Millis(now))
                .map(|l| self.device_level(i, l));
            self.planner.set_index(Millis(now), i, look, fade, urgent);
            self.ceiling[i] = from.unwrap_or(0.0).max(self.device_level(i, look));
            self.ordered[i] = Some(look);
            // A bulb the planner already sent this very look is not sent it again; whether it
            // shows it is what `converged` checks.
            self.emergency[i] = if urgent && self.planner.pending(i) {
                let by = self.urgent_deadline(now, i);
                Some(Pending { since: now, by, look })
            } else {
                // Superseded before it went: the planner follows the newer order.
                None
            };
        }
    }

    pub fn broker_down(&mut self) {
        self.broker_up = false;
    }

    pub fn broker_up(&mut self, now: u64) {
        if !self.broker_up {
            self.broker_up = true;
            self.planner.reassert_all(Millis(now));
        }
    }

    pub fn lost(&mut self, i: usize) {
        if let Some(online) = self.online.get_mut(i) {
            *online = false;
        }
    }

    pub fn back(&mut self, now: u64, i: usize) {
        if self.online.get(i) == Some(&false) {
            self.online[i] = true;
            self.planner.reassert(Millis(now), i);
        }
    }

    pub fn next_deadline(&self) -> Option<u64> {
        self.planner.next_deadline().map(|m| m.0)
    }

    /// Sends what the planner has due by `now`, checking each command as it goes.
    pub fn poll(&mut self, now: u64) {
        for planned in self.planner.poll(Millis(now)) {
            self.published += 1;
            let i = planned.light;
            let PlannedKind::Set(command) = planned.kind else {
                continue;
            };
            self.check(now, i, planned.urgent, &command);
            if self.broker_up && self.online[i] {
                self.bulbs[i].receive(now, &command);
            }
        }
        self.check_waiting(now);
    }

    fn check(&mut self, now: u64, i: usize, urgent: bool, command: &DeviceCommand) {
        let name = &self.configs[i].name;
        let sent = if command.on { command.level } else { 0.0 };
        if sent > self.ceiling[i] + LEVEL_SLACK {
            self.problems.push(Violation::new(
                "light rose",
                format!(
                    "{name} was sent level {sent:.3}, above both where it was and its order ({:.3})",
                    self.ceiling[i]
                ),
            ));
        }
        if let Some(Pending { since, look, .. }) = self.emergency[i] {
            let wanted = level::command(&self.configs[i], look, command.transition);
            let same = wanted.on == command.on
                && (wanted.level - command.level).abs() <= LEVEL_SLACK
                && wanted.kelvin == command.kelvin;
            if urgent && same {
                self.worst_emergency_ms = self.worst_emergency_ms.max(now - since);
                self.emergency[i] = None;
            } else {
                self.problems.push(Violation::new(
                    "emergency light",
                    format!("{name} was sent {command:?} while its emergency look {look:?} waited"),
                ));
            }
        }
        if !urgent {
            let network = &self.configs[i].network;
            if let Some(j) = (0..self.configs.len())
                .find(|&j| self.emergency[j].is_some() && self.configs[j].network == *network)
            {
                self.problems.push(Violation::new(
                    "emergency light",
                    format!(
                        "an ordinary command to {name} went out on network {network} while the emergency \
                         of {} waited",
                        self.configs[j].name
                    ),
                ));
            }
        }
    }

    /// The latest the emergency looks ordered so far on bulb `i`'s network may all have
    /// gone, with one more ordered now: the budget's rate for at most a stop and a set per
    /// bulb (two messages with `separate_kelvin`), the reserve paying for the first at once.
    /// The planner sends waiting emergencies in the order of its lights, so each bulb is held
    /// to the deadline of the whole batch.
    fn urgent_deadline(&mut self, now: u64, i: usize) -> u64 {
        let config = &self.configs[i];
        let (per_second, burst) = self.budget(&config.network);
        let per_ms = f64::from(per_second) / 1000.0;
        let cost = 2.0 + f64::from(u8::from(config.separate_kelvin && config.kelvin.is_some()));
        let reserve = f64::from(burst.min(2));
        let until = self.urgent_until.entry(config.network.clone()).or_insert(0.0);
        let start = until.max(now as f64 - reserve / per_ms);
        *until = start + cost / per_ms;
        until.ceil() as u64 + 1000
    }

    /// An emergency waits only as long as its network's budget makes it.
    fn check_waiting(&mut self, now: u64) {
        for i in 0..self.configs.len() {
            let Some(pending) = self.emergency[i] else {
                continue;
            };
            let batch = self
                .urgent_until
                .get(&self.configs[i].network)
                .map_or(0, |u| u.ceil() as u64 + 1000);
            let by = pending.by.max(batch);
            if now > by {
                self.problems.push(Violation::new(
                    "emergency light",
                    format!(
                        "the emergency look for {} waited {} ms, {} ms longer than its network's budget needs",
                        self.configs[i].name,
                        now - pending.since,
                        now - by
                    ),
                ));
                self.emergency[i] = None;
            }
        }
    }

    fn budget(&self, network: &str) -> (f32, u32) {
        self.networks
            .iter()
            .chain(default_networks().iter())
            .find(|n| n.name == network)
            .map_or((0.5, 1), |n| (n.per_second, n.burst))
    }

    pub fn take_problems(&mut self) -> Vec<Violation> {
        std::mem::take(&mut self.problems)
    }

    /// Every bulb shows the look it was last ordered to, as its device level and colour: once
    /// the broker and the bulbs are back and the traffic has drained.
    pub fn converged(&self, now: u64) -> Result<(), Violation> {
        for (i, config) in self.configs.iter().enumerate() {
            let Some(look) = self.ordered[i] else { continue };
            let wanted = level::command(config, look, std::time::Duration::ZERO);
            let bulb = &self.bulbs[i];
            let level = bulb.level(now);
            let wanted_level = if wanted.on { wanted.level } else { 0.0 };
            if (level - wanted_level).abs() > LEVEL_SLACK || (wanted.on && bulb.kelvin != wanted.kelvin) {
                return Err(Violation::new(
                    "lights settle",
                    format!(
                        "{} shows level {level:.3} at {:?} K, but was last ordered to {look:?} (level {wanted_level:.3} at {:?} K)",
                        config.name, bulb.kelvin, wanted.kelvin
                    ),
                ));
            }
        }
        Ok(())
    }
}
