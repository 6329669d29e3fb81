//! The command budget of one network: a token bucket with a reserve only emergencies may
//! draw on (as large as [`reserve_for`] says), and the defaults for networks the config does not
//! describe.

use crate::config::{Family, NetworkConfig, reserve_for};
use crate::time::Millis;

/// Tokens are fractional while they refill; this much short of a whole one still counts, so
/// that rounding in the refill arithmetic cannot hold a command back by a millisecond. The
/// shortfall is carried (tokens may dip this far below zero), so it never adds up.
const EPSILON: f64 = 1e-9;

/// The budget for a network the planner was given no description of, by the family of its
/// lights and whether they are groups: the config's built-in network for them (`zigbee` for
/// Zigbee broadcasts, `zigbee-unicast` for single Zigbee devices, or `wifi`), so that a planner
/// built without networks keeps to the same budget as the daemon. A network with lights of
/// several kinds gets the strictest of them.
pub fn default_budget(family: Family, group: bool) -> (u32, f32) {
    let name = crate::config::default_network(family, group);
    crate::config::default_networks()
        .into_iter()
        .find(|n| n.name == name)
        .map(|n| (n.burst, n.per_second))
        .expect("every family's default network is built in")
}

#[derive(Clone, Debug)]
pub struct Bucket {
    pub name: String,
    burst: f64,
    per_ms: f64,
    reserve: f64,
    tokens: f64,
    /// When `tokens` was last brought up to date.
    at: Millis,
}

impl Bucket {
    /// Full at time zero, as after a quiet spell.
    pub fn new(config: &NetworkConfig) -> Bucket {
        let burst = config.burst.max(1);
        // A zero or negative rate would never refill: a budget that stops the lights for good
        // is worse than a slow one.
        let per_second = if config.per_second.is_finite() && config.per_second > 0.0 {
            config.per_second as f64
        } else {
            0.01
        };
        Bucket {
            name: config.name.clone(),
            burst: burst as f64,
            per_ms: per_second / 1000.0,
            reserve: reserve_for(burst) as f64,
            tokens: burst as f64,
            at: Millis::ZERO,
        }
    }

    fn refill(&mut self, now: Millis) {
        if now > self.at {
            let gained = (now.0 - self.at.0) as f64 * self.per_ms;
            self.tokens = (self.tokens + gained).min(self.burst);
            self.at = now;
        }
    }

    /// Tokens held back from `urgent == false` traffic.
    fn floor(&self, urgent: bool) -> f64 {
        if urgent { 0.0 } else { self.reserve }
    }

    /// Takes `cost` tokens if they are free now; ordinary traffic cannot take the reserve.
    pub fn try_take(&mut self, now: Millis, cost: u32, urgent: bool) -> bool {
        self.refill(now);
        let cost = cost as f64;
        if self.tokens - cost + EPSILON >= self.floor(urgent) {
            // Not clamped at zero: a take a hair short is paid back before the next one.
            self.tokens -= cost;
            true
        } else {
            false
        }
    }

    /// Takes `cost` tokens whether or not they are there: an emergency is never held back by
    /// the budget. The debt it leaves (tokens below zero) holds ordinary traffic back until
    /// the network has carried it.
    pub fn charge(&mut self, now: Millis, cost: u32) {
        self.refill(now);
        self.tokens -= cost as f64;
    }

    /// Gives back tokens taken for a command that turned out not to be needed.
    pub fn refund(&mut self, cost: u32) {
        self.tokens = (self.tokens + cost as f64).min(self.burst);
    }

    /// The earliest time `cost` tokens will be free for this kind of traffic, with nothing
    /// else taken meanwhile.
    pub fn ready_at(&self, cost: u32, urgent: bool) -> Millis {
        let needed = cost as f64 + self.floor(urgent);
        // A cost above the burst can never be met in full; it goes when the bucket is full.
        let needed = needed.min(self.burst);
        let short = needed - self.tokens - EPSILON;
        if short <= 0.0 {
            return self.at;
        }
        Millis(self.at.0 + (short / self.per_ms).ceil() as u64)
    }

    /// The cost of a command after clamping it to what this bucket can ever hold, so that a
    /// command still goes where it cannot fit whole: an emergency's stop riding with its set on
    /// a network with a burst of one. A light with `separate_kelvin` never needs this: the
    /// config refuses it on a network below
    /// [`burst_for`](crate::config::burst_for)`(2)`.
    pub fn fit(&self, cost: u32, urgent: bool) -> u32 {
        let room = (self.burst - self.floor(urgent)).max(1.0) as u32;
        cost.min(room)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{burst_for, ordinary_room};

    fn net(burst: u32, per_second: f32) -> NetworkConfig {
        NetworkConfig {
            name: "zigbee".into(),
            per_second,
            burst,
        }
    }

    #[test]
    fn two_message_commands_need_a_burst_of_three() {
        assert_eq!((1..=6).map(ordinary_room).collect::<Vec<_>>(), [1, 1, 2, 2, 3, 4]);
        assert_eq!(burst_for(1), 1);
        assert_eq!(burst_for(2), 3);
        let b = Bucket::new(&net(burst_for(2), 0.5));
        assert_eq!(b.fit(2, false), 2, "both messages are paid for");
    }

    #[test]
    fn ordinary_traffic_leaves_the_reserve() {
        let mut b = Bucket::new(&net(5, 1.0));
        let taken = (0..10).filter(|_| b.try_take(Millis::ZERO, 1, false)).count();
        assert_eq!(taken, 3);
        assert!(
            b.try_take(Millis::ZERO, 2, true),
            "the reserve is there for an emergency"
        );
        assert!(!b.try_take(Millis::ZERO, 1, true));
    }

    #[test]
    fn refills_at_the_rate_and_says_when() {
        let mut b = Bucket::new(&net(1, 2.0));
        assert!(b.try_take(Millis::ZERO, 1, false));
        assert!(!b.try_take(Millis(100), 1, false));
        let ready = b.ready_at(1, false);
        assert_eq!(ready, Millis(500));
        assert!(!b.try_take(Millis(ready.0 - 1), 1, false));
        assert!(b.try_take(ready, 1, false));
    }

    #[test]
    fn taking_as_soon_as_ready_never_overdraws_even_at_an_awkward_rate() {
        // A rate whose tokens never land on whole numbers at whole milliseconds: each take is
        // a hair short, and the hairs must not add up to a message over the budget.
        let config = net(3, 1.666_665_9);
        let mut b = Bucket::new(&config);
        let mut sends: Vec<Millis> = Vec::new();
        while sends.len() < 300 {
            let at = b.ready_at(1, true);
            assert!(b.try_take(at, 1, true), "ready at {at} but refused");
            sends.push(at);
        }
        for (i, start) in sends.iter().enumerate() {
            for (count, end) in sends[i..].iter().enumerate() {
                let allowed = 3.0 + (end.0 - start.0) as f64 / 1000.0 * f64::from(config.per_second);
                assert!(
                    (count + 1) as f64 <= allowed + 1e-6,
                    "{} sends from {start} to {end}, budget {allowed}",
                    count + 1
                );
            }
        }
    }
}
