//! Inputs the fuzzers found to break a parser's promise, each pinned by a test named after
//! what it found (scripts/fuzz.sh; the crashing input is quoted in each test).

use super::m3u::{M3uProblemKind, decode_m3u_text, parse_m3u};

/// Found by the `m3u_parser` fuzz target (crash-a751ae85f901e065eced15900acb266f9f0a1587, a
/// line starting `:/\/`): the URL check ran before backslashes became slashes, so a URL
/// written the Windows way came out as an entry `http://stream.example/radio`, taken for a
/// local file, instead of being refused as a stream.
#[test]
fn a_url_written_with_backslashes_is_refused_as_a_url() {
    for line in [
        r"http:\\stream.example\radio",
        r"http:/\stream.example/radio",
        ":/\\/7a",
    ] {
        let text = decode_m3u_text(format!("#EXTM3U\n{line}\n").as_bytes());
        match parse_m3u(&text) {
            Ok(entries) => panic!("{line:?} accepted as {entries:?}"),
            Err(problems) => assert!(
                problems.iter().any(|p| matches!(p.kind, M3uProblemKind::Url(_))),
                "{line:?}: {problems:?}"
            ),
        }
    }
}
