//! The clinical prompt queue in virtual time: numbering, acknowledging by number and the
//! oldest, reminders at the configured time and not before, the prompts of a phase a mark
//! jumps over, and the queue across a restart.

use super::fixture::*;
use crate::scene::{Anchor, Asks, Mark, Scene};
use crate::time::Millis;
use crate::timeline::{Command, CommandError, EventKind, Policy, Request, Timeline};

/// The sublingual arc with a baseline check when the intention phase begins, asking for vitals.
fn with_baseline() -> Scene {
    let mut scene = sublingual();
    let mut baseline = prompt_cue("baseline blood pressure", Anchor::Phase, Millis::ZERO);
    baseline.asks = Some(Asks::Vitals);
    scene.phases[1].cues.push(baseline);
    scene
}

fn reminding_every(minutes: u64) -> Policy {
    Policy {
        prompt_reminder: m(minutes),
        ..policy(&["room"])
    }
}

fn ack(run: &mut Run, at: Millis, number: Option<u32>) -> Result<Vec<crate::timeline::Action>, CommandError> {
    run.run_until(at);
    run.tl
        .command(at, Request::room(Command::Ack { number }, therapist()))
}

fn waiting(run: &Run) -> Vec<(u32, String)> {
    run.tl
        .status(run.tl.now())
        .prompts
        .into_iter()
        .map(|p| (p.number, p.text))
        .collect()
}

fn reminders(run: &Run) -> Vec<(Millis, u32)> {
    run.log
        .iter()
        .filter_map(|(at, a)| match a {
            crate::timeline::Action::Log(e) => match &e.kind {
                EventKind::PromptReminder { number, .. } => Some((*at, *number)),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[test]
fn clinical_prompts_are_numbered_and_queued_and_hints_are_not() {
    let mut run = Run::start(with_baseline(), reminding_every(10));
    run.cmd(m(5), Command::Next);
    run.cmd(m(6), Command::Mark { mark: Mark::Dose });
    // The dose's cue at +7m queues a second prompt.
    run.run_until(m(14));
    assert_eq!(
        waiting(&run),
        [
            (1, "baseline blood pressure".into()),
            (2, "spit out the lozenge".into())
        ]
    );
    let status = run.tl.status(m(14));
    assert_eq!(status.prompts[0].asks, Some(Asks::Vitals));
    assert_eq!(status.pending_prompt, None, "a clinical prompt is no hint");
    // The dosing phase's planned 10 min pass: a hint, shown but not queued.
    run.run_until(m(17));
    let status = run.tl.status(m(17));
    assert!(
        status
            .pending_prompt
            .as_deref()
            .is_some_and(|p| p.contains("planned")),
        "{status:?}"
    );
    assert_eq!(status.prompts.len(), 2);
}

#[test]
fn ack_with_no_number_takes_the_oldest_and_a_number_takes_that_one() {
    let mut run = Run::start(with_baseline(), reminding_every(10));
    run.cmd(m(5), Command::Next);
    run.cmd(m(6), Command::Mark { mark: Mark::Dose });
    run.run_until(m(14));
    // By number, out of order: #2 first.
    let actions = ack(&mut run, m(15), Some(2)).unwrap();
    let acked: Vec<_> = events(&actions)
        .into_iter()
        .filter_map(|e| match e {
            EventKind::PromptAcknowledged {
                number,
                text,
                raised,
                source,
                answered_by: None,
            } => Some((number, text, raised, source)),
            _ => None,
        })
        .collect();
    assert_eq!(acked, [(2, "spit out the lozenge".into(), m(13), therapist())]);
    assert_eq!(waiting(&run), [(1, "baseline blood pressure".into())]);
    // The same number again is refused, naming what still waits, and changes nothing.
    let again = ack(&mut run, m(16), Some(2)).unwrap_err();
    assert_eq!(
        again,
        CommandError::PromptAcknowledged {
            number: 2,
            waiting: "#1".into()
        }
    );
    assert!(matches!(
        ack(&mut run, m(16), Some(9)).unwrap_err(),
        CommandError::NoSuchPrompt { number: 9, .. }
    ));
    assert_eq!(waiting(&run).len(), 1);
    // No number: the oldest.
    let actions = ack(&mut run, m(17), None).unwrap();
    assert!(
        events(&actions)
            .iter()
            .any(|e| matches!(e, EventKind::PromptAcknowledged { number: 1, .. }))
    );
    assert!(waiting(&run).is_empty());
    assert_eq!(
        ack(&mut run, m(18), None).unwrap_err(),
        CommandError::NoPromptWaiting
    );
}

#[test]
fn an_unacknowledged_prompt_is_reminded_of_after_the_configured_time_and_not_before() {
    let mut run = Run::start(with_baseline(), reminding_every(7));
    // Raised at 5 min, when the intention phase begins.
    run.cmd(m(5), Command::Next);
    run.run_until(m(12) - Millis(1));
    assert!(reminders(&run).is_empty(), "not before 7 min");
    assert_eq!(run.tl.next_deadline(), Some(m(12)));
    run.run_until(m(12));
    assert_eq!(reminders(&run), [(m(12), 1)]);
    // Again every 7 min while it waits, counting.
    run.run_until(m(19));
    assert_eq!(reminders(&run), [(m(12), 1), (m(19), 1)]);
    let status = run.tl.status(m(19));
    assert_eq!(status.prompts[0].reminders, 2);
    // Acknowledged: no more reminders.
    ack(&mut run, m(20), None).unwrap();
    run.run_until(m(60));
    assert_eq!(reminders(&run).len(), 2);
}

#[test]
fn reminders_stand_still_while_the_timeline_does() {
    let mut run = Run::start(with_baseline(), reminding_every(10));
    run.cmd(m(5), Command::Next);
    run.cmd(m(6), Command::Pause { walk_light: false });
    run.run_until(m(30));
    assert!(reminders(&run).is_empty(), "paused for 24 min");
    run.cmd(
        m(30),
        Command::Resume {
            all: false,
            only: None,
        },
    );
    // 1 min ran before the pause: 9 more after it.
    run.run_until(m(39) - Millis(1));
    assert!(reminders(&run).is_empty());
    run.run_until(m(39));
    assert_eq!(reminders(&run), [(m(39), 1)]);
}

#[test]
fn marking_the_dose_early_says_what_it_skipped_and_keeps_its_prompts() {
    let mut run = Run::start(with_baseline(), reminding_every(10));
    // Still arriving: the intention phase and its baseline check are jumped over.
    let actions = run.cmd(m(3), Command::Mark { mark: Mark::Dose });
    let kinds = events(&actions);
    let skipped: Vec<_> = kinds
        .iter()
        .filter_map(|e| match e {
            EventKind::PhaseSkipped {
                index, id, reason, ..
            } => Some((*index, id.clone(), reason.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(skipped, [(1, "intention".into(), "dose marked".into())]);
    assert_eq!(prompts(&actions), ["baseline blood pressure"]);
    assert!(kinds.iter().any(|e| matches!(
        e,
        EventKind::Prompt {
            number: Some(1),
            skipped_phase: Some(p),
            asks: Some(Asks::Vitals),
            ..
        } if p == "intention"
    )));
    assert_eq!(run.phase(), "dosing");
    let status = run.tl.status(m(3));
    assert_eq!(status.skipped_phases.len(), 1);
    assert_eq!(status.skipped_phases[0].mark, Mark::Dose);
    assert_eq!(status.prompts[0].skipped_phase.as_deref(), Some("intention"));
    // Unacknowledged, it is reminded of like any other.
    run.run_until(m(13));
    assert_eq!(reminders(&run), [(m(13), 1)]);
    // Moving on one phase at a time skips nothing.
    let mut stepped = Run::start(with_baseline(), reminding_every(10));
    stepped.cmd(m(3), Command::Next);
    let actions = stepped.cmd(m(4), Command::Next);
    assert!(
        !events(&actions)
            .iter()
            .any(|e| matches!(e, EventKind::PhaseSkipped { .. }))
    );
    assert!(stepped.tl.status(m(4)).skipped_phases.is_empty());
}

#[test]
fn the_queue_survives_a_restart_by_snapshot_and_by_replaying_the_log() {
    let mut run = Run::start(with_baseline(), reminding_every(10));
    run.cmd(m(5), Command::Next);
    run.cmd(m(6), Command::Mark { mark: Mark::Dose });
    run.run_until(m(14));
    let snapshot = run.tl.snapshot();
    // After the snapshot: #2 acknowledged and a reminder of #1 given.
    let mut after = Vec::new();
    after.extend(ack(&mut run, m(16), Some(2)).unwrap());
    after.extend(run.run_until(m(16)));
    let log: Vec<_> = after
        .iter()
        .filter_map(|a| match a {
            crate::timeline::Action::Log(e) => Some(e.clone()),
            _ => None,
        })
        .collect();
    // Through the state file as JSON, as the daemon saves it.
    let json = serde_json::to_string(&snapshot).unwrap();
    let mut recovered = Timeline::restore(serde_json::from_str(&json).unwrap()).unwrap();
    recovered.replay(&log);
    assert_eq!(
        recovered.snapshot().state.prompts,
        run.tl.snapshot().state.prompts
    );
    assert_eq!(recovered.status(m(16)).prompts.len(), 1);
    assert_eq!(recovered.status(m(16)).prompts[0].number, 1);
    // A reminder comes due at the same time on both.
    assert_eq!(recovered.next_deadline(), run.tl.next_deadline());
}

#[test]
fn a_state_file_from_before_the_queue_reads_with_an_empty_one() {
    let run = Run::start(with_baseline(), reminding_every(10));
    let mut json = serde_json::to_value(run.tl.snapshot()).unwrap();
    let state = json["state"].as_object_mut().unwrap();
    for key in ["prompts", "prompts_numbered", "skipped"] {
        state.remove(key).unwrap();
    }
    json["policy"].as_object_mut().unwrap().remove("prompt_reminder");
    let restored = Timeline::restore(serde_json::from_value(json).unwrap()).unwrap();
    assert!(restored.state().prompts.is_empty());
    assert_eq!(restored.policy().prompt_reminder, m(10));
}

#[test]
fn reminders_are_the_same_however_late_the_tick_so_a_replay_decides_them_again() {
    // Ticked at every deadline, as the engine does...
    let mut ticked = Run::start(with_baseline(), reminding_every(10));
    ticked.cmd(m(5), Command::Next);
    ticked.run_until(m(65));
    // ...and once an hour on, as a replay or a restart brings a session up to date.
    let mut late = Run::start(with_baseline(), reminding_every(10));
    late.cmd(m(5), Command::Next);
    let caught_up = late.tl.tick(m(65));
    let at_their_times: Vec<Millis> = caught_up
        .iter()
        .filter_map(|a| match a {
            crate::timeline::Action::Log(e) if matches!(e.kind, EventKind::PromptReminder { .. }) => {
                Some(e.at)
            }
            _ => None,
        })
        .collect();
    // Each logged at the time it was due, not at the late tick.
    assert_eq!(at_their_times, [m(15), m(25), m(35), m(45), m(55), m(65)]);
    assert_eq!(late.tl.state().prompts, ticked.tl.state().prompts);
    assert_eq!(late.tl.next_deadline(), ticked.tl.next_deadline());
}
