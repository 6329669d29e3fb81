//! Arbitrary bytes to the M3U reader (text decoding, then entries): never a panic, every
//! refusal names a line of the file, and every entry it accepts is a local path on a line
//! that exists, never a URL.
#![no_main]

use libfuzzer_sys::fuzz_target;
use setting::playlist::m3u::{decode_m3u_text, parse_m3u};

fuzz_target!(|data: &[u8]| {
    let text = decode_m3u_text(data);
    let lines = text.lines().count().max(1);
    match parse_m3u(&text) {
        Ok(entries) => {
            assert!(!entries.is_empty());
            for entry in &entries {
                assert!((1..=lines).contains(&entry.line), "{entry:?} of {lines} lines");
                assert!(!entry.location.contains("://"), "{entry:?}");
                assert!(!entry.location.is_empty() && !entry.location.starts_with('#'));
                assert!(
                    entry.seconds.is_none_or(|s| s.is_finite() && s >= 0.0),
                    "{entry:?}"
                );
            }
        }
        Err(problems) => {
            assert!(!problems.is_empty());
            for problem in &problems {
                assert!(
                    (1..=lines).contains(&problem.line),
                    "{problem:?} of {lines} lines"
                );
            }
        }
    }
});
