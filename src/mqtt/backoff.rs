//! The wait between connection attempts: exponential with jitter, so that a room's daemon
//! neither hammers a broker that is down (rumqttc retries at once) nor reconnects in step with
//! every other room's daemon after a broker restart.
//!
//! The jitter is symmetric (each wait ±25 %) and applies at the cap too, which the backoff
//! crates do not offer (added jitter only, or jittered waits clamped back to the cap, where
//! every room would meet again); the doubling itself is three lines, so only the randomness
//! comes from a crate.

use std::time::Duration;

#[derive(Debug)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    next: Duration,
    rng: fastrand::Rng,
}

impl Backoff {
    /// 250 ms doubling to 30 s, each wait ±25 %, seeded afresh for every connection (from the
    /// system's randomness), so daemons started together still spread out.
    pub fn standard() -> Backoff {
        Backoff::with_rng(
            Duration::from_millis(250),
            Duration::from_secs(30),
            fastrand::Rng::new(),
        )
    }

    /// The same waits from a given seed: the tests' reproducible sequence.
    pub fn new(first: Duration, max: Duration, seed: u64) -> Backoff {
        Backoff::with_rng(first, max, fastrand::Rng::with_seed(seed))
    }

    fn with_rng(first: Duration, max: Duration, rng: fastrand::Rng) -> Backoff {
        Backoff {
            first,
            max,
            next: first,
            rng,
        }
    }

    /// The wait before the next attempt; each call doubles the one after, up to the maximum.
    pub fn next_wait(&mut self) -> Duration {
        let base = self.next;
        self.next = (self.next * 2).min(self.max);
        // A factor in [0.75, 1.25).
        let factor = 0.75 + 0.5 * self.rng.f64();
        base.mul_f64(factor)
    }

    /// A connection held: the next failure starts from the first wait again.
    pub fn reset(&mut self) {
        self.next = self.first;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_maximum_within_the_jitter() {
        let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(30), 42);
        let mut base = Duration::from_millis(250);
        for _ in 0..12 {
            let wait = backoff.next_wait();
            assert!(
                wait >= base.mul_f64(0.75) && wait <= base.mul_f64(1.25),
                "{wait:?} for {base:?}"
            );
            base = (base * 2).min(Duration::from_secs(30));
        }
        assert_eq!(base, Duration::from_secs(30));
    }

    #[test]
    fn reset_starts_again_from_the_first_wait() {
        let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(30), 7);
        for _ in 0..6 {
            backoff.next_wait();
        }
        backoff.reset();
        assert!(backoff.next_wait() <= Duration::from_millis(313));
    }

    #[test]
    fn jitter_spreads_the_waits() {
        let mut waits: Vec<Duration> = (1..20u64)
            .map(|seed| Backoff::new(Duration::from_secs(1), Duration::from_secs(30), seed).next_wait())
            .collect();
        waits.sort();
        waits.dedup();
        assert!(waits.len() > 10, "{waits:?}");
    }

    #[test]
    fn daemons_started_together_wait_differently() {
        let mut waits: Vec<Duration> = (0..10).map(|_| Backoff::standard().next_wait()).collect();
        waits.sort();
        waits.dedup();
        assert!(waits.len() > 5, "{waits:?}");
    }
}
