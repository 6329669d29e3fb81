//! The wait between connection attempts: exponential with jitter, so that a room's daemon
//! neither hammers a broker that is down (rumqttc retries at once) nor reconnects in step with
//! every other room's daemon after a broker restart.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    next: Duration,
    rng: XorShift,
}

impl Backoff {
    /// 250 ms doubling to 30 s, each wait ±25 %.
    pub fn standard() -> Backoff {
        Backoff::new(
            Duration::from_millis(250),
            Duration::from_secs(30),
            seed_from_clock(),
        )
    }

    pub fn new(first: Duration, max: Duration, seed: u64) -> Backoff {
        Backoff {
            first,
            max,
            next: first,
            rng: XorShift::new(seed),
        }
    }

    /// The wait before the next attempt; each call doubles the one after, up to the maximum.
    pub fn next_wait(&mut self) -> Duration {
        let base = self.next;
        self.next = (self.next * 2).min(self.max);
        // A factor in [0.75, 1.25).
        let factor = 0.75 + 0.5 * self.rng.unit();
        base.mul_f64(factor)
    }

    /// A connection held: the next failure starts from the first wait again.
    pub fn reset(&mut self) {
        self.next = self.first;
    }
}

/// Marsaglia's xorshift64: plenty for jitter, and no dependency for it.
#[derive(Debug)]
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> XorShift {
        // One splitmix64 round, so that close seeds (two daemons started together) give
        // unrelated sequences: xorshift's first outputs from a small seed are tiny.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        // Zero is the one state xorshift never leaves.
        XorShift(if z == 0 { 0x9E37_79B9_7F4A_7C15 } else { z })
    }

    /// A number in [0, 1).
    fn unit(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn seed_from_clock() -> u64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    now.as_nanos() as u64 ^ u64::from(std::process::id()).rotate_left(32)
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
}
