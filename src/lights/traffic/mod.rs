//! The light traffic planner: a pure core, given `now`, that turns zone looks and fades into
//! per-light device commands: long fades as a few native-transition segments, software steps
//! only for lights without transitions, a token bucket per network, and only the latest
//! desired state per light ever waiting to be sent.
//!
//! It never reads a clock or sleeps. Time is [`Millis`] from any epoch the caller likes (the
//! MQTT task's start); the caller feeds orders in, calls [`Planner::poll`] at
//! [`Planner::next_deadline`] and sends what comes out, in order.
//!
//! Decisions worth knowing:
//! - A fade is a straight line in perceived brightness and Kelvin from where the light's
//!   previous ramp was at that moment. It is cut lazily, one segment at a time, each as long
//!   as the light's `max_transition` allows while the device's straight line in its own
//!   level stays within [`ramp::MAX_ERROR`] perceived points of the scene's line. The next
//!   segment is sent when the previous one should end. A light whose transitions are shorter
//!   than [`ramp::MIN_SEGMENT`] instead fades, holds, and is sent its next step only once the
//!   ramp has moved on by about that error: a slow ramp is not a chain of 5 s fades.
//! - A light with `max_transition` zero gets software steps: at most one per
//!   [`ramp::STEP_INTERVAL`], and only once the change is visible.
//! - A command that finds no token waits, and is computed only when it goes: it carries the
//!   state due at that moment with what is left of the transition. A new order for a light
//!   with a command waiting replaces it (counted as merged); nothing stale is ever queued.
//! - Emergencies (`urgent`) go ahead of everything waiting, may draw on a reserve of tokens
//!   ordinary traffic cannot take ([`reserve_for`](crate::config::reserve_for)), and stop a running transition
//!   first ([`PlannedKind::Stop`]). An emergency is one command straight to its look (with
//!   the native transition, or none on a light without), never a ramp of steps or segments:
//!   whatever came after the first would go as ordinary traffic, behind everyone else. An
//!   ordinary order does not stop: on every supported family a new transition command
//!   replaces the running one, and a stop would cost a token.
//! - Each message counts against the budget: a stop is one, a light with `separate_kelvin`
//!   needs two per command, and the config puts such a light only on a network whose burst
//!   leaves ordinary traffic room for both ([`burst_for`](crate::config::burst_for)).
//! - Until the planner knows where a light is (nothing sent, nothing reported), and after a
//!   re-assertion, the first command goes straight to the target with a transition of its
//!   own rather than following a ramp from an unknown start.

mod bucket;
mod carriage;
mod light;
pub mod ramp;

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_budget;
#[cfg(test)]
mod tests_emergency;

pub use bucket::default_budget;

use std::collections::BTreeMap;

use crate::scene::Look;
use crate::time::Millis;

use super::driver::{DeviceCommand, DeviceState};
use super::error::LightError;
use super::level;
use crate::config::{LightConfig, NetworkConfig};

use bucket::Bucket;
use light::{LightState, Target, Track};
use ramp::Ramp;

/// The transition of a re-assertion: quick enough that the room is right again at once, slow
/// enough that a light found in another state does not jump.
pub const REASSERT_FADE: Millis = Millis(2000);

/// The shortest transition a command from a fade gets when it goes late (see `next_command`).
pub const CATCH_UP: Millis = Millis(2000);

/// A device report is not trusted this soon after a command: it may predate it.
const REPORT_SETTLE: Millis = Millis(2000);

/// Kelvin assumed for a light nobody has said anything about.
const DEFAULT_KELVIN: f32 = 2700.0;

/// Whether two commands put the same thing on the device: the same payload once the
/// transition is set aside (a level rounded to the family's scale counts as the same level).
fn same_on_device(light: &LightConfig, a: &DeviceCommand, b: &DeviceCommand) -> bool {
    let still = |c: &DeviceCommand| DeviceCommand {
        transition: std::time::Duration::ZERO,
        ..*c
    };
    let driver = super::driver::driver(light.family);
    driver.encode(light, &still(a)) == driver.encode(light, &still(b))
}

/// One thing to send, in the order [`Planner::poll`] returns them.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedCommand {
    /// Index into the lights the planner was built from.
    pub light: usize,
    pub kind: PlannedKind,
    /// An emergency's: send before anything else.
    pub urgent: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PlannedKind {
    /// Send `driver.encode(light, &command)`.
    Set(DeviceCommand),
    /// Send `driver.stop(light)`: halt the running transition where it is.
    Stop,
}

pub struct Planner {
    lights: Vec<LightConfig>,
    buckets: Vec<Bucket>,
    state: Vec<LightState>,
    /// The latest time the planner has been told of.
    now: Millis,
    sent: u64,
    merged: u64,
}

impl Planner {
    /// A planner for these lights, each drawing on the budget of the network it names. A
    /// network named by lights but not configured gets [`default_budget`] for the strictest
    /// family among them.
    pub fn new(lights: &[LightConfig], networks: &[NetworkConfig]) -> Planner {
        let mut buckets: Vec<Bucket> = networks.iter().map(Bucket::new).collect();
        let mut missing: BTreeMap<&str, (u32, f32)> = BTreeMap::new();
        for l in lights {
            if networks.iter().any(|n| n.name == l.network) {
                continue;
            }
            let (burst, rate) = default_budget(l.family, l.group);
            let e = missing.entry(l.network.as_str()).or_insert((burst, rate));
            *e = (e.0.min(burst), e.1.min(rate));
        }
        for (name, (burst, per_second)) in missing {
            buckets.push(Bucket::new(&NetworkConfig {
                name: name.to_string(),
                per_second,
                burst,
            }));
        }
        let state = lights
            .iter()
            .map(|l| {
                let network = buckets
                    .iter()
                    .position(|b| b.name == l.network)
                    .expect("every light's network has a bucket");
                LightState::new(network)
            })
            .collect();
        Planner {
            lights: lights.to_vec(),
            buckets,
            state,
            now: Millis::ZERO,
            sent: 0,
            merged: 0,
        }
    }

    pub fn lights(&self) -> &[LightConfig] {
        &self.lights
    }

    pub fn index(&self, name: &str) -> Option<usize> {
        self.lights.iter().position(|l| l.name == name)
    }

    fn tick(&mut self, now: Millis) {
        self.now = self.now.max(now);
    }

    /// Moves every light of `zone` to `look` over `fade`; how many lights that was.
    pub fn set_zone(&mut self, now: Millis, zone: &str, look: Look, fade: Millis, urgent: bool) -> usize {
        let members: Vec<usize> = (0..self.lights.len())
            .filter(|&i| self.lights[i].zone == zone)
            .collect();
        for &i in &members {
            self.set_index(now, i, look, fade, urgent);
        }
        members.len()
    }

    /// Moves one light, or every light of a zone, by name.
    pub fn set_light(
        &mut self,
        now: Millis,
        name: &str,
        look: Look,
        fade: Millis,
        urgent: bool,
    ) -> Result<(), LightError> {
        if let Some(i) = self.index(name) {
            self.set_index(now, i, look, fade, urgent);
            return Ok(());
        }
        match self.set_zone(now, name, look, fade, urgent) {
            0 => Err(LightError::Unknown(name.to_string())),
            _ => Ok(()),
        }
    }

    /// Moves light `i` to `look` over `fade`, starting from where its previous ramp is now.
    pub fn set_index(&mut self, now: Millis, i: usize, look: Look, fade: Millis, urgent: bool) {
        self.tick(now);
        let config = &self.lights[i];
        let st = &mut self.state[i];
        let was_waiting = st.waiting(now);
        if was_waiting {
            self.merged += 1;
        }
        // A pending lead-in means the device's state is still unknown.
        let from = match (st.lead_in, st.target) {
            (Some(_), _) => None,
            (None, Some(Target::Ramp(r))) => Some(r.at(now)),
            (None, _) => st.estimated(config, now),
        };
        match from {
            Some(from) => {
                st.target = Some(Target::Ramp(Ramp {
                    from,
                    to: look,
                    start: now,
                    end: now + fade,
                }));
                st.lead_in = None;
            }
            None => {
                st.target = Some(Target::Ramp(Ramp::hold(look, now)));
                st.lead_in = Some(fade);
            }
        }
        let running = st.track.is_some_and(|t| t.running(now));
        // An emergency's look the light was already sent, and has reached (or reaches within
        // the emergency's own fade), is not sent again: a second emergency, or the daemon
        // taking one over, would otherwise spend the budget on lights already right.
        if urgent && !was_waiting && st.lead_in.is_none() && st.already_at(config, look, now + fade) {
            st.target = Some(Target::Ramp(Ramp::hold(look, now)));
            st.due = None;
            st.urgent = false;
            st.stop = false;
            st.straight = false;
            return;
        }
        let has_stop = carriage::stop_cost(config) > 0;
        st.stop = (urgent && running && has_stop) || (was_waiting && st.stop);
        st.urgent = urgent || (was_waiting && st.urgent);
        // Only the order itself decides: an ordinary order replacing a waiting emergency keeps
        // the emergency's place in the queue but follows its own ramp.
        st.straight = urgent;
        st.due = Some(match st.due {
            Some(d) if was_waiting => d,
            _ => now,
        });
    }

    /// Sends light `name` a raw device level at once, bypassing its curve and calibrated
    /// minimum (`setting lights calibrate`); 0 or below is off. It holds until the next order.
    pub fn calibrate(&mut self, now: Millis, name: &str, raw: f32) -> Result<(), LightError> {
        let i = self
            .index(name)
            .ok_or_else(|| LightError::Unknown(name.to_string()))?;
        self.tick(now);
        let config = &self.lights[i];
        let kelvin = self.state[i]
            .desired(config)
            .map_or(DEFAULT_KELVIN as u16, |l| l.kelvin);
        let st = &mut self.state[i];
        // A calibration step is one command to one light at a technician's pace, read off the
        // light by eye: it goes at once, ahead of the budget (which it is charged to), so that
        // no step is ever delayed or merged into the next.
        st.due = Some(now);
        st.urgent = true;
        st.straight = false;
        st.target = Some(Target::Raw(DeviceCommand {
            on: raw > 0.0,
            level: raw.clamp(0.0, 1.0),
            kelvin: level::device_kelvin(config, kelvin),
            transition: std::time::Duration::ZERO,
        }));
        st.lead_in = None;
        Ok(())
    }

    /// What the device said about itself. Used as the starting point of the next fade when
    /// the planner has no better idea; ignored while a transition it sent is (or has just
    /// been) running, because the report may predate it.
    pub fn observe(&mut self, now: Millis, i: usize, report: &DeviceState) {
        self.tick(now);
        let st = &mut self.state[i];
        if st.track.is_some_and(|t| now < t.end + REPORT_SETTLE) {
            return;
        }
        let level = match (report.on, report.level) {
            (Some(false), _) => 0.0,
            (_, Some(level)) => level.clamp(0.0, 1.0),
            _ => return,
        };
        // A device that is not where the planner last sent it (someone used its own switch):
        // the next command is no repeat, and an emergency must reach it.
        let matches = st
            .last_sent
            .is_some_and(|c| c.on == (level > 0.0) && (!c.on || (c.level - level).abs() <= 0.01));
        if !matches {
            st.last_sent = None;
        }
        let kelvin = report
            .kelvin
            .map(f32::from)
            .or(st.track.map(|t| t.to.1))
            .unwrap_or(DEFAULT_KELVIN);
        st.track = Some(Track::still((level, kelvin), now));
    }

    /// After a reconnect: every light with a desired state is sent where its ramp is now
    /// (with [`REASSERT_FADE`]), and its ramp carries on from there.
    pub fn reassert_all(&mut self, now: Millis) {
        for i in 0..self.lights.len() {
            self.reassert(now, i);
        }
    }

    /// The same for one light, when it comes back online.
    pub fn reassert(&mut self, now: Millis, i: usize) {
        self.tick(now);
        let st = &mut self.state[i];
        let Some(target) = st.target else { return };
        if let Target::Ramp(_) = target {
            st.lead_in = Some(REASSERT_FADE);
        }
        if !st.waiting(now) {
            st.due = Some(now);
        }
    }

    /// Everything due by `now` that the budget allows, emergencies first, then in the order
    /// it fell due.
    pub fn poll(&mut self, now: Millis) -> Vec<PlannedCommand> {
        self.tick(now);
        let mut order: Vec<usize> = (0..self.state.len())
            .filter(|&i| self.state[i].waiting(now))
            .collect();
        // Emergencies first, the dimmest light first among them: everyone gets one in this
        // same poll, but the darkest corner is lit soonest.
        let dimness = |i: usize| {
            let b = self.estimated(i, now).map_or(0.0, |l| l.brightness);
            (b * 1000.0) as i64
        };
        order.sort_by_key(|&i| {
            let urgent = self.state[i].urgent;
            (!urgent, if urgent { dimness(i) } else { 0 }, self.state[i].due, i)
        });
        let mut blocked = vec![false; self.buckets.len()];
        let mut out = Vec::new();
        for i in order {
            let (net, urgent, stop) = (self.state[i].network, self.state[i].urgent, self.state[i].stop);
            // Whoever fell due first goes first: a cheaper command behind an expensive one
            // must not starve it.
            if blocked[net] && !urgent {
                continue;
            }
            let cost = self.cost(i);
            let bucket = &mut self.buckets[net];
            if urgent {
                // Never queued behind the budget: the network is charged, and ordinary
                // traffic waits until it has carried the emergency.
                bucket.charge(now, cost);
            } else {
                let cost = bucket.fit(cost, false);
                if !bucket.try_take(now, cost, false) {
                    blocked[net] = true;
                    continue;
                }
            }
            let forced = self.state[i].lead_in.is_some();
            let before = self.state[i].last_sent;
            let command = self.next_command(i, now);
            // A fade's next step that would tell the device what it was last told changes
            // nothing on the light: it is not sent, and its tokens are given back.
            if !urgent && !forced && before.is_some_and(|b| same_on_device(&self.lights[i], &b, &command)) {
                let bucket = &mut self.buckets[net];
                bucket.refund(bucket.fit(cost, false));
                self.state[i].last_sent = before;
                self.state[i].commands -= 1;
                continue;
            }
            if stop {
                out.push(PlannedCommand {
                    light: i,
                    kind: PlannedKind::Stop,
                    urgent,
                });
            }
            out.push(PlannedCommand {
                light: i,
                kind: PlannedKind::Set(command),
                urgent,
            });
        }
        self.sent += out.len() as u64;
        out
    }

    /// Tokens light `i`'s next command takes.
    fn cost(&self, i: usize) -> u32 {
        let l = &self.lights[i];
        let stop = if self.state[i].stop {
            carriage::stop_cost(l)
        } else {
            0
        };
        carriage::set_cost(l) + stop
    }

    /// The command light `i` sends at `now`, and what follows it.
    fn next_command(&mut self, i: usize, now: Millis) -> DeviceCommand {
        let config = &self.lights[i];
        let st = &mut self.state[i];
        let max_transition = Millis(config.max_transition.as_millis().min(u64::MAX as u128) as u64);
        let (command, next) = match st.target.expect("only lights with a target fall due") {
            Target::Raw(c) => (c, None),
            // An emergency is one command to its look, over what is left of its fade as far as
            // the device can fade by itself: a light without transitions jumps. A ramp of steps
            // or segments would send the current look first and the light itself only later,
            // as ordinary traffic without the reserve.
            Target::Ramp(r) if st.straight => {
                let fade = st.lead_in.unwrap_or(r.end - now).min(max_transition);
                st.target = Some(Target::Ramp(Ramp {
                    from: r.at(now),
                    to: r.to,
                    start: now,
                    end: now + fade,
                }));
                st.shown = Some(r.to);
                (level::command(config, r.to, fade.to_duration()), None)
            }
            Target::Ramp(r) if max_transition == Millis::ZERO => {
                let look = r.at(now);
                st.shown = Some(look);
                (
                    level::command(config, look, std::time::Duration::ZERO),
                    r.next_step(now, look),
                )
            }
            Target::Ramp(r) => {
                let end = match st.lead_in {
                    Some(lead) => now + lead.min(max_transition),
                    // A command that waited for a token past (nearly) the whole of its fade
                    // must still not jump: it gets at least a short one, unless the order
                    // itself asked for none.
                    None => r
                        .segment_end(config.curve, now, max_transition)
                        .max(now + CATCH_UP.min(max_transition).min(r.end - r.start)),
                };
                let look = r.at(end);
                let transition = (end - now).min(max_transition);
                let command = level::command(config, look, transition.to_duration());
                (command, Some(end).filter(|&e| e < r.end))
            }
        };
        let kelvin = command
            .kelvin
            .map(f32::from)
            .or_else(|| st.desired(config).map(|l| f32::from(l.kelvin)))
            .unwrap_or(DEFAULT_KELVIN);
        let to = (if command.on { command.level } else { 0.0 }, kelvin);
        st.track = Some(Track {
            from: st.track.map(|t| t.at(now)),
            to,
            start: now,
            end: now + Millis(command.transition.as_millis() as u64),
        });
        st.due = next;
        st.urgent = false;
        st.stop = false;
        st.straight = false;
        st.lead_in = None;
        st.commands += 1;
        st.last_sent = Some(command);
        command
    }

    /// When [`poll`](Self::poll) next has something to do: the earliest command due, or for
    /// commands already waiting, when their network will have the tokens for the first of
    /// them. `None` when nothing is left to send.
    pub fn next_deadline(&self) -> Option<Millis> {
        let mut heads: Vec<Option<(bool, Millis, usize)>> = vec![None; self.buckets.len()];
        let mut earliest: Option<Millis> = None;
        for (i, st) in self.state.iter().enumerate() {
            let Some(due) = st.due else { continue };
            if due > self.now {
                earliest = Some(earliest.map_or(due, |e| e.min(due)));
                continue;
            }
            let key = (!st.urgent, due, i);
            let head = &mut heads[st.network];
            if head.is_none_or(|h| key < h) {
                *head = Some(key);
            }
        }
        for (net, head) in heads.iter().enumerate() {
            let Some((ordinary, due, i)) = *head else { continue };
            let bucket = &self.buckets[net];
            let urgent = !ordinary;
            let ready = bucket.ready_at(bucket.fit(self.cost(i), urgent), urgent).max(due);
            earliest = Some(earliest.map_or(ready, |e| e.min(ready)));
        }
        earliest
    }

    /// Where light `i` is now, as far as the planner can tell from what it sent (and what the
    /// device reported); `None` before either.
    pub fn estimated(&self, i: usize, now: Millis) -> Option<Look> {
        self.state[i].estimated(&self.lights[i], now)
    }

    /// Light `i` has a command still to send (now or later).
    pub fn pending(&self, i: usize) -> bool {
        self.state[i].due.is_some()
    }

    /// The look light `i` is heading for.
    pub fn desired(&self, i: usize) -> Option<Look> {
        self.state[i].desired(&self.lights[i])
    }

    /// Where the scene wants light `i` at `now`, part way along its ramp.
    pub fn wanted(&self, i: usize, now: Millis) -> Option<Look> {
        self.state[i].wanted(&self.lights[i], now)
    }

    /// Commands sent to light `i` (stops not counted).
    pub fn commands(&self, i: usize) -> u64 {
        self.state[i].commands
    }

    /// Messages handed out by `poll`, stops included.
    pub fn sent(&self) -> u64 {
        self.sent
    }

    /// Commands that were waiting for a token when a newer order replaced them.
    pub fn merged(&self) -> u64 {
        self.merged
    }
}
