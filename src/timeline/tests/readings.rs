//! Readings in virtual time: one reading acknowledges the oldest prompt asking for vitals and
//! no other, in its own name; its reminders stop; a check due that moment is raised and
//! answered; a prompt that asks for nothing is left; and a replay acknowledges what the log
//! says, for old logs nothing.

use super::fixture::*;
use crate::scene::{Anchor, Asks, Mark, Scene};
use crate::time::Millis;
use crate::timeline::{Action, Command, CommandError, Event, EventKind, Policy, Request, Timeline};
use crate::vitals::Reading;

/// The sublingual arc with a baseline check when the intention phase begins and another two
/// minutes after the dose, both asking for vitals; the spit prompt at dose+7m asks for nothing.
fn with_checks() -> Scene {
    let mut scene = sublingual();
    let mut baseline = prompt_cue("baseline blood pressure", Anchor::Phase, Millis::ZERO);
    baseline.asks = Some(Asks::Vitals);
    scene.phases[1].cues.push(baseline);
    let mut after = prompt_cue("check after the dose", Anchor::Mark(Mark::Dose), m(2));
    after.asks = Some(Asks::Vitals);
    scene.phases[2].cues.push(after);
    scene
}

fn reminding_every(minutes: u64) -> Policy {
    Policy {
        prompt_reminder: m(minutes),
        ..policy(&["room"])
    }
}

fn bp(systolic: u16, pulse: u16) -> Reading {
    Reading {
        systolic: Some(systolic),
        diastolic: Some(80),
        pulse: Some(pulse),
        ..Reading::default()
    }
}

/// A reading entered at `at`, the session brought up to it first as the engine does.
fn vitals(run: &mut Run, at: Millis, reading: Reading) -> Vec<Action> {
    run.run_until(at);
    let actions = run
        .tl
        .vitals(at, reading, Vec::new(), therapist())
        .unwrap_or_else(|e| panic!("reading at {at} refused: {e}"));
    run.log.extend(actions.iter().map(|a| (at, a.clone())));
    actions
}

fn waiting(run: &Run) -> Vec<u32> {
    run.tl
        .status(run.tl.now())
        .prompts
        .iter()
        .map(|p| p.number)
        .collect()
}

/// What the reading's entries say: the prompt it answers, and the acknowledgements logged.
fn answered(actions: &[Action]) -> (Option<u32>, Vec<(u32, Option<Asks>)>) {
    let kinds = events(actions);
    let answers = kinds.iter().find_map(|e| match e {
        EventKind::Vitals { answers, .. } => Some(*answers),
        _ => None,
    });
    let acked = kinds
        .iter()
        .filter_map(|e| match e {
            EventKind::PromptAcknowledged {
                number,
                answered_by,
                source,
                ..
            } => {
                assert_eq!(*source, therapist(), "acknowledged in the name of who entered it");
                Some((*number, *answered_by))
            }
            _ => None,
        })
        .collect();
    (answers.expect("the reading is logged"), acked)
}

fn reminded(run: &Run, number: u32) -> Vec<Millis> {
    run.log
        .iter()
        .filter_map(|(_, a)| match a {
            Action::Log(Event {
                at,
                kind: EventKind::PromptReminder { number: n, .. },
                ..
            }) if *n == number => Some(*at),
            _ => None,
        })
        .collect()
}

/// The checks raised: #1 the baseline at 5 min, #2 the check at dose+2m (8 min), #3 the spit
/// prompt at dose+7m (13 min).
fn three_waiting(reminder: u64) -> Run {
    let mut run = Run::start(with_checks(), reminding_every(reminder));
    run.cmd(m(5), Command::Next);
    run.cmd(m(6), Command::Mark { mark: Mark::Dose });
    run.run_until(m(14));
    assert_eq!(waiting(&run), [1, 2, 3]);
    run
}

#[test]
fn a_reading_acknowledges_the_oldest_prompt_asking_for_vitals_and_only_that_one() {
    let mut run = three_waiting(30);
    let first = vitals(&mut run, m(14), bp(128, 72));
    assert_eq!(answered(&first), (Some(1), vec![(1, Some(Asks::Vitals))]));
    // The reading is logged before the acknowledgement it caused, and both are persisted.
    let kinds = events(&first);
    assert!(matches!(kinds[0], EventKind::Vitals { .. }), "{kinds:?}");
    assert!(first.contains(&Action::Persist));
    assert_eq!(waiting(&run), [2, 3], "the missed check still waits");
    // A second reading answers the next check.
    let second = vitals(&mut run, m(15), bp(124, 70));
    assert_eq!(answered(&second), (Some(2), vec![(2, Some(Asks::Vitals))]));
    // With no check waiting a reading is only a reading: the spit prompt asks for nothing.
    let third = vitals(&mut run, m(16), bp(120, 68));
    assert_eq!(answered(&third), (None, Vec::new()));
    assert_eq!(waiting(&run), [3]);
    // `setting ack` is still the way for the rest, and says nothing of a reading.
    let actions = run.cmd(m(17), Command::Ack { number: None });
    assert!(events(&actions).iter().any(|e| matches!(
        e,
        EventKind::PromptAcknowledged {
            number: 3,
            answered_by: None,
            ..
        }
    )));
}

#[test]
fn the_reminders_of_a_prompt_a_reading_acknowledged_stop_and_the_others_go_on() {
    let mut run = three_waiting(10);
    // #1 raised at 5 is reminded of at 15; it is answered at 14, before.
    vitals(&mut run, m(14), bp(128, 72));
    run.run_until(m(60));
    assert!(reminded(&run, 1).is_empty(), "{:?}", reminded(&run, 1));
    // #2, raised at 8, goes on being reminded of every 10 min until a reading answers it.
    assert_eq!(reminded(&run, 2), [m(18), m(28), m(38), m(48), m(58)]);
    vitals(&mut run, m(61), bp(126, 71));
    run.run_until(m(120));
    assert_eq!(reminded(&run, 2).len(), 5);
    assert!(!waiting(&run).contains(&2), "{:?}", waiting(&run));
}

#[test]
fn a_check_that_comes_due_as_the_reading_is_entered_is_raised_and_answered() {
    let mut scene = sublingual();
    let mut check = prompt_cue("arrival check", Anchor::Phase, m(2));
    check.asks = Some(Asks::Vitals);
    scene.phases[0].cues.push(check);
    let mut run = Run::start(scene, reminding_every(10));
    run.run_until(m(2) - Millis(1));
    assert!(waiting(&run).is_empty());
    // No tick at 2 min first: the reading is the input that brings the session up to it.
    let actions = run.tl.vitals(m(2), bp(130, 75), Vec::new(), therapist()).unwrap();
    assert_eq!(prompts(&actions), ["arrival check"]);
    assert_eq!(answered(&actions), (Some(1), vec![(1, Some(Asks::Vitals))]));
    assert!(waiting(&run).is_empty());
}

#[test]
fn a_replay_acknowledges_the_prompt_the_log_names_and_an_old_reading_none() {
    let mut run = three_waiting(30);
    let snapshot = serde_json::to_string(&run.tl.snapshot()).unwrap();
    // Since the snapshot: a reading that answered #1.
    let entries: Vec<Event> = vitals(&mut run, m(15), bp(128, 72))
        .into_iter()
        .filter_map(|a| match a {
            Action::Log(e) => Some(e),
            _ => None,
        })
        .collect();
    let restored = || Timeline::restore(serde_json::from_str(&snapshot).unwrap()).unwrap();
    let mut recovered = restored();
    assert_eq!(recovered.replay(&entries), 1);
    assert_eq!(recovered.state().prompts, run.tl.state().prompts);
    assert_eq!(recovered.next_deadline(), run.tl.next_deadline());

    // The same reading as a daemon from before readings acknowledged prompts wrote it: read
    // as answering nothing, and replayed so.
    let mut line = serde_json::to_value(&entries[0]).unwrap();
    assert_eq!(line["answers"], 1, "{line}");
    line.as_object_mut().unwrap().remove("answers");
    let old: Event = serde_json::from_value(line).unwrap();
    let mut recovered = restored();
    recovered.replay([&old]);
    let numbers: Vec<u32> = recovered.state().prompts.iter().map(|p| p.number).collect();
    assert_eq!(numbers, [1, 2, 3]);

    // A logged answer is followed even where the rule would now choose another.
    let EventKind::Vitals {
        reading,
        flags,
        source,
        ..
    } = old.kind.clone()
    else {
        panic!("{old:?}")
    };
    let second = Event {
        kind: EventKind::Vitals {
            reading,
            flags,
            source,
            answers: Some(2),
        },
        ..old
    };
    let mut recovered = restored();
    recovered.replay([&second]);
    let numbers: Vec<u32> = recovered.state().prompts.iter().map(|p| p.number).collect();
    assert_eq!(numbers, [1, 3]);
}

#[test]
fn a_finished_session_refuses_a_reading_and_changes_nothing() {
    let mut run = three_waiting(30);
    run.cmd(m(20), Command::Stop);
    assert!(run.tl.is_finished());
    let before = run.tl.state().prompts.clone();
    let refused = run.tl.vitals(m(21), bp(120, 70), Vec::new(), therapist());
    assert_eq!(refused, Err(CommandError::Finished));
    assert_eq!(run.tl.state().prompts, before);
    assert!(run.tl.tick(m(22)).is_empty(), "nothing was logged for it");
    // Refused the same way a command is.
    let command = run
        .tl
        .command(m(21), Request::room(Command::Ack { number: None }, therapist()));
    assert_eq!(command.unwrap_err(), CommandError::Finished);
}
