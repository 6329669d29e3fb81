//! Thousands of malformed payloads from a fixed-seed generator, fed to every family's decoder
//! on each of its topics: none may panic, every error names its topic, and every level that
//! gets through is a fraction.

use std::panic::{AssertUnwindSafe, catch_unwind};

use super::fixtures::{light, topic};
use super::{DeviceState, Report, driver};
use crate::config::Family;

/// The generator's few moves over fastrand's seeded generator.
trait Stir {
    fn below(&mut self, n: usize) -> usize;
    fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T;
}

impl Stir for fastrand::Rng {
    fn below(&mut self, n: usize) -> usize {
        self.usize(..n)
    }

    fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }
}

/// Real messages of every family, the material the mutations start from.
const SEEDS: &[&str] = &[
    r#"{"state":"ON","brightness":102,"color_temp":370,"linkquality":87}"#,
    r#"{"state":"online"}"#,
    "online",
    "Offline",
    "true",
    "102",
    "off",
    r#"{"POWER":"ON","Dimmer":40,"CT":370,"Wifi":{"RSSI":80}}"#,
    r#"{"ison":true,"mode":"white","brightness":40,"temp":2700,"transition":0}"#,
    r#"{"id":0,"source":"init","output":true,"brightness":40,"ct":2700}"#,
];

const KEYS: &[&str] = &[
    "state",
    "brightness",
    "color_temp",
    "POWER",
    "Dimmer",
    "CT",
    "ison",
    "temp",
    "output",
    "ct",
];

/// Values of every wrong type and every awkward number.
const VALUES: &[&str] = &[
    "null",
    "true",
    "-1",
    "-0",
    "0",
    "1e308",
    "-1e308",
    "1e309",
    "18446744073709551616",
    "-9223372036854775809",
    "0.000000000000000000001",
    "\"NaN\"",
    "\"Infinity\"",
    "\"-inf\"",
    "\"ON\"",
    "\"on\"",
    "\"\"",
    "[]",
    "{}",
    "[1,2,3]",
    "{\"state\":\"ON\"}",
    "\"\\ud800\"",
];

const JUNK: &[&[u8]] = &[
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\0",
    b"{",
    b"}",
    b"\"",
    b"\\",
    b",",
    b":",
    b"NaN",
    b"1e99999",
    b"\xef\xbb\xbf",
];

fn generate(rng: &mut fastrand::Rng) -> Vec<u8> {
    match rng.below(6) {
        // A real message cut short.
        0 => {
            let seed = rng.pick(SEEDS).as_bytes();
            seed[..rng.below(seed.len() + 1)].to_vec()
        }
        // A real message with bytes overwritten or junk spliced in.
        1 => {
            let mut bytes = rng.pick(SEEDS).as_bytes().to_vec();
            for _ in 0..=rng.below(4) {
                let at = rng.below(bytes.len() + 1);
                if rng.below(2) == 0 && at < bytes.len() {
                    bytes[at] = rng.u8(..);
                } else {
                    let junk = rng.pick(JUNK);
                    bytes.splice(at..at, junk.iter().copied());
                }
            }
            bytes
        }
        // An object of right keys with wrong values.
        2 => {
            let fields: Vec<String> = (0..=rng.below(4))
                .map(|_| format!("\"{}\":{}", rng.pick(KEYS), rng.pick(VALUES)))
                .collect();
            format!("{{{}}}", fields.join(",")).into_bytes()
        }
        // A bare value where an object or a word belongs.
        3 => rng.pick(VALUES).as_bytes().to_vec(),
        // Nesting far deeper than any device sends.
        4 => {
            let depth = 1 + rng.below(400);
            let mut bytes = vec![b'['; depth];
            if rng.below(2) == 0 {
                bytes.extend(std::iter::repeat_n(b']', depth));
            }
            bytes
        }
        // Random bytes.
        _ => (0..rng.below(64)).map(|_| rng.u8(..)).collect(),
    }
}

fn check(state: &DeviceState) -> bool {
    state.level.is_none_or(|level| (0.0..=1.0).contains(&level))
}

#[test]
fn no_decoder_panics_and_every_error_names_its_topic() {
    let mut rng = fastrand::Rng::with_seed(0x5E77_1A6E_D00D_F00D);
    let lights: Vec<_> = Family::ALL.iter().map(|&f| light(f, topic(f))).collect();
    let mut refused = 0;
    for _ in 0..4000 {
        let payload = generate(&mut rng);
        for light in &lights {
            let decoder = driver(light.family);
            let mut topics = decoder.subscriptions(light);
            topics.push(format!("{}/unrelated", light.topic));
            for at in &topics {
                let decoded = catch_unwind(AssertUnwindSafe(|| decoder.decode(light, at, &payload)));
                let decoded = decoded.unwrap_or_else(|_| {
                    panic!(
                        "{:?} panicked on {at} with {:?}",
                        light.family,
                        String::from_utf8_lossy(&payload)
                    )
                });
                match decoded {
                    Err(error) => {
                        assert_eq!(&error.topic, at);
                        assert!(error.to_string().starts_with(at.as_str()) && !error.reason.is_empty());
                        refused += 1;
                    }
                    Ok(Some(Report::State(state))) => assert!(
                        check(&state),
                        "{at}: {state:?} from {:?}",
                        String::from_utf8_lossy(&payload)
                    ),
                    Ok(_) => {}
                }
            }
        }
    }
    // The generator must actually produce garbage, or this test proves nothing.
    assert!(refused > 10_000, "only {refused} payloads were refused");
}
