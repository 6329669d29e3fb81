//! A whole sublingual session in virtual time: dose mark, booster, extend, check, emergency,
//! skip, with the expected actions asserted at the expected times.

use super::fixture::*;
use crate::scene::Mark;
use crate::time::Millis;
use crate::timeline::{Action, Command, EventKind, OverrideKind, Request, Source, Target};

fn at(run: &Run, t: Millis) -> Vec<Action> {
    run.log
        .iter()
        .filter(|(when, _)| *when == t)
        .map(|(_, a)| a.clone())
        .collect()
}

#[test]
fn a_full_sublingual_session_with_overrides() {
    let mut run = Run::start(sublingual(), policy(&["room"]));
    let first = at(&run, Millis::ZERO);
    assert_eq!(entered(&first), ["arrival"]);
    assert_eq!(
        lights(&first),
        [("room".into(), look(50.0, 2700), Millis::from_secs(45))]
    );
    let m0 = music(&first);
    assert_eq!(m0.len(), 1);
    assert_eq!(
        (m0[0].playlist.as_deref(), m0[0].level_db),
        (Some("arrival"), -24.0)
    );

    // Arrival waits for the therapist: a prompt at its planned 15 minutes, no move.
    run.run_until(m(15) - Millis(1));
    assert!(prompts(&at(&run, m(15))).is_empty());
    run.run_until(m(15));
    let p = prompts(&at(&run, m(15)));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].contains("setting next"), "{}", p[0]);
    assert_eq!(run.phase(), "arrival");

    let a = run.cmd(m(16), Command::Next);
    assert_eq!(entered(&a), ["intention"]);
    assert_eq!(music(&a)[0].playlist, None);

    // Marking the dose moves into the phase that sets it.
    let a = run.cmd(m(20), Command::Mark { mark: Mark::Dose });
    assert_eq!(entered(&a), ["dosing"]);
    assert_eq!(run.tl.status(m(20)).marks.get(&Mark::Dose), Some(&m(20)));

    run.run_until(m(27));
    assert_eq!(prompts(&at(&run, m(27))), ["spit out the lozenge"]);

    assert_eq!(entered(&run.cmd(m(30), Command::Next)), ["onset"]);
    // Onset asks at its planned time and moves on by itself at its longest.
    run.run_until(m(40));
    assert_eq!(prompts(&at(&run, m(40))).len(), 1);
    assert_eq!(run.phase(), "onset");
    run.run_until(m(45));
    assert_eq!(entered(&at(&run, m(45))), ["peak"]);
    assert_eq!(
        lights(&at(&run, m(45))),
        [("room".into(), look(3.0, 2200), Millis::from_secs(60))]
    );

    // Check: task light, music ducked, clock running; the 40-minute check still prompts.
    let a = run.cmd(m(50), Command::Check);
    assert_eq!(lights(&a), [("room".into(), look(50.0, 3300), Millis(2500))]);
    assert_eq!(music(&a)[0].level_db, -12.0 - 18.0);
    run.run_until(m(60));
    assert_eq!(prompts(&at(&run, m(60))), ["blood-pressure check"]);
    let a = run.cmd(
        m(62),
        Command::Resume {
            all: false,
            only: None,
        },
    );
    assert_eq!(
        lights(&a),
        [("room".into(), look(3.0, 2200), Millis::from_secs(30))]
    );
    assert_eq!(
        (music(&a)[0].level_db, music(&a)[0].fade),
        (-12.0, Millis::from_secs(30))
    );

    // A booster re-anchors the peak (40 min from now) and the dose-anchored cues.
    run.cmd(m(70), Command::Mark { mark: Mark::Booster });
    run.cmd(m(80), Command::Extend { by: m(10) });
    assert_eq!(run.tl.status(m(80)).phase.remaining, m(40));

    // Emergency: full light at once, music muted, the clock stands still.
    let a = run.cmd(m(90), Command::Emergency);
    assert_eq!(lights(&a), [("room".into(), look(100.0, 4000), Millis(500))]);
    assert!(music(&a)[0].muted);
    assert_eq!(run.tl.next_deadline(), None);
    assert!(
        run.run_until(m(100)).is_empty(),
        "nothing happens while the clock stands still"
    );
    let s = run.tl.status(m(100));
    assert_eq!((s.session_time, s.timeline_time), (m(100), m(90)));
    let a = run.cmd(
        m(100),
        Command::Resume {
            all: false,
            only: None,
        },
    );
    assert_eq!(
        lights(&a),
        [("room".into(), look(3.0, 2200), Millis::from_secs(30))]
    );
    assert!(!music(&a)[0].muted);

    let a = run.cmd(m(105), Command::Skip { grounding: false });
    assert!(a.contains(&Action::Skip {
        crossfade: Millis::from_secs(8),
        to: None,
    }));

    // Booster+40 in timeline time is 10 minutes later in session time (the emergency).
    run.run_until(m(130));
    assert_eq!(prompts(&at(&run, m(120))), ["blood-pressure check"]);
    assert_eq!(entered(&at(&run, m(130))), ["return"]);
    assert!(entered(&at(&run, m(129))).is_empty());

    // The return ramp: 5 minutes in, one long fade towards 25 % / 2700 K over 15 minutes.
    run.run_until(m(135));
    assert_eq!(
        lights(&at(&run, m(135))),
        [("room".into(), look(25.0, 2700), m(15))]
    );
    let mid = run.tl.status(m(142) + Millis::from_secs(30)).lights["room"];
    assert!(
        (mid.brightness - 15.0).abs() < 0.01 && mid.kelvin == 2550,
        "{mid:?}"
    );

    run.run_until(m(155));
    let music_cue = music(&at(&run, m(150)));
    assert_eq!(
        (music_cue[0].level_db, music_cue[0].fade),
        (-22.0, Millis::from_secs(30))
    );
    let p = prompts(&at(&run, m(155)));
    assert_eq!(p.len(), 2, "{p:?}");
    assert_eq!(p[0], "return: time to come back?");

    assert_eq!(entered(&run.cmd(m(158), Command::End)), ["integration"]);
    assert_eq!(entered(&run.cmd(m(170), Command::Next)), ["discharge"]);
    let a = run.cmd(m(180), Command::Stop);
    assert!(a.contains(&Action::Finished));
    assert!(music(&a).is_empty(), "integration already went silent");
    assert!(run.tl.is_finished());
    assert_eq!(run.tl.next_deadline(), None);

    // Every override is in the log with its source.
    let all: Vec<Action> = run.log.iter().map(|(_, a)| a.clone()).collect();
    let overrides: Vec<_> = events(&all)
        .into_iter()
        .filter_map(|e| match e {
            EventKind::OverrideStarted { kind, source, .. } => Some((kind, source.via)),
            _ => None,
        })
        .collect();
    assert_eq!(
        overrides,
        [
            (OverrideKind::Check, crate::timeline::Via::Socket),
            (OverrideKind::Emergency, crate::timeline::Via::Socket)
        ]
    );
}

#[test]
fn a_timer_phase_moves_on_exactly_at_its_deadline() {
    let mut run = Run::start(sublingual(), policy(&["room"]));
    run.cmd(m(1), Command::Mark { mark: Mark::Dose });
    run.cmd(m(2), Command::Next);
    run.cmd(m(3), Command::Next);
    assert_eq!(run.phase(), "peak");
    assert_eq!(
        run.tl.next_deadline(),
        Some(m(41)),
        "the dose+40 check comes first"
    );
    run.run_until(m(41));
    assert_eq!(run.tl.next_deadline(), Some(m(43)));
    // A late tick still logs the move at the time it was due.
    run.run_until(m(50));
    let when: Vec<Millis> = run
        .log
        .iter()
        .filter(|(_, a)| matches!(a, Action::Log(e) if matches!(&e.kind, EventKind::PhaseEntered { id, .. } if id == "return")))
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(when, [m(43)]);
}

#[test]
fn hold_keeps_a_timer_phase_until_release() {
    let mut run = Run::start(sublingual(), policy(&["room"]));
    run.cmd(m(1), Command::Mark { mark: Mark::Dose });
    run.cmd(m(2), Command::Next);
    run.cmd(m(3), Command::Next);
    run.cmd(m(10), Command::Hold);
    run.run_until(m(60));
    assert_eq!(run.phase(), "peak");
    assert!(prompts(&at(&run, m(43)))[0].contains("held"));
    assert!(prompts(&at(&run, m(53)))[0].contains("longest"));
    let a = run.cmd(m(60), Command::Release);
    assert_eq!(
        entered(&a),
        ["return"],
        "past its time, the phase moves on when released"
    );
}

#[test]
fn a_three_hour_session_runs_to_its_end_on_timers_and_commands_alone() {
    let mut run = Run::start(sublingual(), policy(&["room"]));
    let mut t = Millis::ZERO;
    while !run.tl.is_finished() && t < m(24 * 60) {
        t += Millis::from_secs(30);
        run.run_until(t);
        let s = run.tl.status(t);
        if s.phase.remaining == Millis::ZERO && s.phase.ends != crate::scene::PhaseEnd::Timer {
            let c = if s.phase.next_phase.is_some() {
                Command::Next
            } else {
                Command::Stop
            };
            run.cmd(t, c);
        }
    }
    assert!(run.tl.is_finished());
    let all: Vec<Action> = run.log.iter().map(|(_, a)| a.clone()).collect();
    assert_eq!(
        entered(&all),
        [
            "arrival",
            "intention",
            "dosing",
            "onset",
            "peak",
            "return",
            "integration",
            "discharge"
        ]
    );
    // The arc is about three hours.
    assert!(t > m(150) && t < m(200), "{t}");
}

#[test]
fn stop_fades_the_music_out_and_leaves_the_lights() {
    let mut run = Run::start(sublingual(), policy(&["room"]));
    let a = run.cmd(m(5), Command::Stop);
    assert_eq!(music(&a).len(), 1);
    assert_eq!(
        (music(&a)[0].playlist.as_ref(), music(&a)[0].fade),
        (None, Millis::from_secs(10))
    );
    assert!(lights(&a).is_empty());
    assert_eq!(a[a.len() - 2..], [Action::Persist, Action::Finished]);
}

#[test]
fn absurd_nudges_and_extensions_saturate_instead_of_crashing() {
    let mut run = Run::start(sublingual(), policy(&["room"]));
    run.cmd(
        m(1),
        Command::Extend {
            by: Millis(u64::MAX - 5),
        },
    );
    run.cmd(
        m(2),
        Command::Extend {
            by: Millis(u64::MAX - 5),
        },
    );
    assert!(run.tl.status(m(3)).phase.remaining > m(60 * 24 * 365));
    // A nudge past the policy's step is refused; many allowed ones stop at the nudge's bound.
    let huge = Request {
        command: Command::Light {
            brightness_delta: 0.0,
            kelvin_delta: i32::MAX,
        },
        target: Target::Room,
        source: Source::daemon(),
    };
    assert!(matches!(
        run.tl.command(m(4), huge),
        Err(crate::timeline::CommandError::LightStepTooLarge { .. })
    ));
    let mut last = Vec::new();
    for _ in 0..10 {
        last = run.cmd(
            m(4),
            Command::Light {
                brightness_delta: 25.0,
                kelvin_delta: 1000,
            },
        );
    }
    assert!(
        lights(&last)
            .iter()
            .all(|(_, l, _)| l.kelvin <= 10_000 && l.brightness <= 100.0),
        "{last:?}"
    );
}
