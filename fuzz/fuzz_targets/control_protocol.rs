//! Arbitrary bytes as one control-socket request line, as far as the timeline core: decoding
//! never panics; a request that decodes survives being written back out by the CLI's encoder;
//! a therapist command reaches a running group session (at the minute its `id` names), where a
//! refused command changes nothing and an accepted one is in the event log. An emergency must
//! reach every zone it covers, urgently.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use setting::protocol::{decode_request, encode_line};
use setting::scene::{SceneContext, parse_scene};
use setting::time::Millis;
use setting::timeline::{Action, Command, Policy, Snapshot, Source, Target, Timeline, Via};

const ZONES: [&str; 4] = ["room", "mat-1", "mat-2", "mat-3"];

/// The shipped group scene, started once; every input restores it afresh.
fn session() -> &'static Snapshot {
    static SESSION: OnceLock<Snapshot> = OnceLock::new();
    SESSION.get_or_init(|| {
        let zones: Vec<String> = ZONES.iter().map(|z| z.to_string()).collect();
        let playlists: Vec<String> = [
            "arrival",
            "dosing",
            "integration",
            "intention",
            "onset",
            "peak",
            "return",
        ]
        .iter()
        .map(|p| p.to_string())
        .collect();
        let ctx = SceneContext {
            zones: &zones,
            playlists: &playlists,
        };
        let text = include_str!("../../scenes/group.toml");
        let scene = parse_scene("group", Path::new("scenes/group.toml"), text, &ctx)
            .unwrap_or_else(|e| panic!("the shipped group scene parses: {e}"));
        let policy = Policy {
            zones,
            ..Policy::default()
        };
        Timeline::start(scene, policy, "fuzz".into(), Source::daemon())
            .0
            .snapshot()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(envelope) = decode_request(data) else {
        return;
    };
    let line = encode_line(&envelope.op);
    match decode_request(line.trim_ascii_end()) {
        Ok(again) => assert_eq!(again.op, envelope.op),
        // JSON has no infinity: a number too large for an f32 decodes to one and cannot be
        // written back. The core refuses such values (checked below).
        Err(e) => assert!(format!("{:?}", envelope.op).contains("inf"), "{e}: {envelope:?}"),
    }
    let source = Source {
        via: Via::Socket,
        who: None,
    };
    let Ok(Some(request)) = envelope.op.to_command(source) else {
        return;
    };
    let mut tl = Timeline::restore(session().clone()).expect("the saved session loads");
    let at = Millis::from_mins(envelope.id.unwrap_or(0) % 240);
    while let Some(deadline) = tl.next_deadline().filter(|d| *d <= at) {
        tl.tick(deadline);
    }
    tl.tick(at);
    let before = tl.snapshot();
    let command = request.command.clone();
    let target = request.target.clone();
    match tl.command(at, request) {
        Err(_) => assert_eq!(tl.snapshot(), before, "a refused {command:?} changed the session"),
        Ok(actions) => {
            assert!(
                actions.iter().any(|a| matches!(a, Action::Log(_))),
                "{command:?} left no trace in the event log"
            );
            if command == Command::Emergency {
                for zone in ZONES.iter().filter(|z| target.covers(z)) {
                    assert!(
                        actions.iter().any(|a| matches!(
                            a,
                            Action::Light { zone: z, urgent: true, .. } if z == zone
                        )),
                        "emergency on {target} did not reach {zone}: {actions:?}"
                    );
                }
                if target == Target::Room {
                    assert!(actions.iter().any(|a| matches!(a, Action::Music(m) if m.muted)));
                }
            }
        }
    }
});
