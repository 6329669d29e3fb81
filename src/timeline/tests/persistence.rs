//! Snapshots: a session restored from its state file carries on exactly as it would have.

use super::fixture::*;
use crate::scene::Mark;
use crate::time::Millis;
use crate::timeline::{Action, Command, EventKind, Snapshot, Timeline};

#[test]
fn a_restored_session_continues_identically() {
    let mut run = Run::start(sublingual(), policy(&["room"]));
    run.cmd(m(10), Command::Mark { mark: Mark::Dose });
    run.cmd(m(12), Command::Check);
    let json = serde_json::to_string(&run.tl.snapshot()).unwrap();
    let snapshot: Snapshot = serde_json::from_str(&json).unwrap();
    let mut restored = Timeline::restore(snapshot).unwrap();
    let a = run.tl.tick(m(90));
    let b = restored.tick(m(90));
    assert_eq!(a, b);
    assert!(!a.is_empty());
}

#[test]
fn downtime_counts_and_everything_is_reasserted() {
    let mut run = Run::start(sublingual(), policy(&["room"]));
    run.cmd(m(10), Command::Mark { mark: Mark::Dose });
    run.cmd(m(12), Command::Check);
    let mut restored = Timeline::restore(run.tl.snapshot()).unwrap();
    // Down for 20 minutes: the spit prompt (dose+7) came due meanwhile.
    let a = restored.resumed(m(32), m(20));
    let ev: Vec<EventKind> = events(&a);
    assert!(
        ev.iter()
            .any(|e| matches!(e, EventKind::CueFired { label, .. } if label == "spit out the lozenge"))
    );
    assert!(
        ev.iter()
            .any(|e| *e == EventKind::SessionResumed { downtime: m(20) })
    );
    // The check is still on: the room gets the task light again, quickly, and the music.
    assert_eq!(lights(&a), [("room".into(), look(50.0, 3300), Millis(2500))]);
    assert_eq!(music(&a).len(), 1);
    assert_eq!(a.last(), Some(&Action::Persist));
    let s = restored.status(m(32));
    assert_eq!((s.phase.id.as_str(), s.phase.elapsed), ("dosing", m(22)));
}

#[test]
fn a_snapshot_that_does_not_hang_together_is_refused() {
    let run = Run::start(sublingual(), policy(&["room"]));
    let mut bad = run.tl.snapshot();
    bad.state.phase = 99;
    assert!(matches!(
        Timeline::restore(bad),
        Err(crate::timeline::RestoreError::PhaseOutOfRange { index: 99, .. })
    ));
    let mut empty = run.tl.snapshot();
    empty.scene.phases.clear();
    assert!(Timeline::restore(empty).is_err());
}
