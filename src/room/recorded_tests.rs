//! A reading through the write-ahead log: written with the acknowledgement it caused before
//! anyone is answered, or, on a disk that refuses, refused whole with the prompt still waiting.

use std::path::Path;

use super::recorded::*;
use crate::journal::MemoryStore;
use crate::journal::{Journal, Stamp};
use crate::scene::{SceneContext, parse_scene};
use crate::time::Millis;
use crate::timeline::{EventKind, Policy, Via};
use crate::timeline::{Source, Timeline};
use crate::vitals::Reading;

/// A baseline check that asks for vitals, raised as the session starts.
const SCENE: &str = "title = \"Test\"\nkind = \"individual\"\n\
    [[phase]]\nid = \"a\"\ntitle = \"A\"\nplanned = \"10m\"\nends = \"therapist\"\n\
    [[phase.cue]]\nat = \"phase+0s\"\nprompt = \"Baseline blood pressure\"\nasks = \"vitals\"\n\
    [[phase]]\nid = \"b\"\ntitle = \"B\"\nplanned = \"10m\"\nends = \"therapist\"\n";

fn session() -> RecordedSession<MemoryStore> {
    let zones = vec!["room".to_string()];
    let ctx = SceneContext {
        zones: &zones,
        playlists: &[],
    };
    let scene = parse_scene("test", Path::new("s.toml"), SCENE, &ctx).expect("the scene");
    let policy = Policy {
        zones: zones.clone(),
        ..Policy::default()
    };
    let (mut timeline, _) = Timeline::start(scene, policy, "s".into(), Source::daemon());
    timeline.tick(Millis::from_secs(1));
    assert_eq!(timeline.state().prompts.len(), 1, "the baseline check waits");
    RecordedSession::new(timeline, Journal::new("s", MemoryStore::with_reserve(0), 0))
}

fn stamp(ms: u64) -> Stamp {
    Stamp {
        wall: "2026-01-01T09:00:00.000Z".into(),
        session_time: Millis(ms),
        timeline: Millis(ms),
        mono_ms: ms,
    }
}

fn reading() -> Reading {
    Reading {
        systolic: Some(128),
        diastolic: Some(82),
        ..Reading::default()
    }
}

fn ana() -> Source {
    Source {
        via: Via::Socket,
        who: Some("ana".into()),
    }
}

#[test]
fn a_reading_and_the_acknowledgement_it_caused_are_written_before_the_answer() {
    let mut session = session();
    let at = Millis::from_mins(2);
    let outcome = session
        .vitals(at, reading(), Vec::new(), ana(), &stamp(at.0), |_| {})
        .expect("recorded");
    let kinds: Vec<&EventKind> = outcome.entries.iter().map(|e| &e.event.kind).collect();
    assert!(
        matches!(
            kinds.as_slice(),
            [
                EventKind::Vitals { answers: Some(1), .. },
                EventKind::PromptAcknowledged {
                    number: 1,
                    answered_by: Some(crate::scene::Asks::Vitals),
                    ..
                }
            ]
        ),
        "{kinds:?}"
    );
    assert!(outcome.recorded && outcome.snapshot_due);
    assert_eq!(session.journal.durable_seq(), 2);
    assert!(session.timeline.state().prompts.is_empty());
}

#[test]
fn a_disk_that_refuses_the_reading_leaves_the_prompt_waiting() {
    let mut session = session();
    session.journal.store_mut().read_only = true;
    let at = Millis::from_mins(2);
    let refused = session.vitals(at, reading(), Vec::new(), ana(), &stamp(at.0), |_| {
        panic!("the room is told nothing of a refused reading")
    });
    assert!(matches!(refused, Err(Refusal::NotRecorded(_))), "{refused:?}");
    assert_eq!(session.timeline.state().prompts.len(), 1, "still waiting");
    assert_eq!(session.journal.durable_seq(), 0);
    // Once the disk allows, the same reading acknowledges it.
    session.journal.store_mut().read_only = false;
    let later = Millis::from_mins(3);
    session
        .vitals(later, reading(), Vec::new(), ana(), &stamp(later.0), |_| {})
        .expect("recorded");
    assert!(session.timeline.state().prompts.is_empty());
}
