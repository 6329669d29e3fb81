//! Client ids that no other account on the broker can guess. The broker throws a connected
//! client off when another logs in with its id, and Mosquitto cannot tie an id to an account
//! while letting one account hold several connections (the room's daemon holds two, and the
//! emergency's direct path a third). So every connection of ours draws its id afresh: another
//! room's account cannot name it, and the shipped ACL gives no account `$SYS` or the broker's
//! log, where ids could be read.

/// `stem` and 128 bits drawn for this call: `setting-room-a-3f09…`.
pub fn unguessable(stem: &str) -> String {
    format!("{stem}-{}", token())
}

/// 128 bits that differ from call to call and process to process: client ids, reply topics and
/// correlation data must not collide, and a client id must not be guessed. Drawn from the
/// operating system's random source.
pub fn token() -> String {
    let mut bits = [0u8; 16];
    if getrandom::fill(&mut bits).is_err() {
        // The system's source failing is all but unheard of; a keyed hash of this process,
        // a counter and the time (its keys seeded from the system) is the next best thing.
        bits = fallback_bits();
    }
    bits.iter().map(|b| format!("{b:02x}")).collect()
}

fn fallback_bits() -> [u8; 16] {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let half = || {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        hasher.write_u64(COUNT.fetch_add(1, Ordering::Relaxed));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        hasher.write_u128(now.as_nanos());
        hasher.finish()
    };
    let mut bits = [0u8; 16];
    bits[..8].copy_from_slice(&half().to_le_bytes());
    bits[8..].copy_from_slice(&half().to_le_bytes());
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_id_keeps_its_stem_and_differs_from_the_last() {
        let (a, b) = (unguessable("setting-room-a"), unguessable("setting-room-a"));
        assert_ne!(a, b);
        for id in [&a, &b] {
            let tail = id.strip_prefix("setting-room-a-").expect("the stem");
            assert_eq!(tail.len(), 32, "{id}");
            assert!(tail.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
        }
    }
}
