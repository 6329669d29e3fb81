//! Overrides as layers: the scene goes on underneath, zones are independent, limits hold,
//! refused commands change nothing.

use super::fixture::*;
use crate::scene::Mark;
use crate::time::Millis;
use crate::timeline::{Action, Command, CommandError, EventKind, OverrideKind, Request, Target};

fn to_peak(run: &mut Run) {
    run.cmd(m(1), Command::Mark { mark: Mark::Dose });
    run.cmd(m(2), Command::Next);
    run.cmd(m(3), Command::Next);
}

#[test]
fn a_cue_that_fires_under_a_check_shows_when_the_check_ends() {
    let mut run = Run::start(group(), policy(&["room", "mat-1", "mat-2"]));
    to_peak(&mut run);
    run.cmd(m(5), Command::Check);
    // The peak's "deepen" cue at phase+10m changes the room look underneath the check.
    let under = run.run_until(m(20));
    assert!(
        lights(&under).is_empty(),
        "nothing shows through the check: {under:?}"
    );
    let a = run.cmd(
        m(20),
        Command::Resume {
            all: false,
            only: None,
        },
    );
    let room: Vec<_> = lights(&a).into_iter().filter(|(z, ..)| z == "room").collect();
    assert_eq!(room, [("room".into(), look(1.0, 2200), Millis::from_secs(30))]);
}

#[test]
fn a_zone_check_leaves_the_other_clients_alone() {
    let mut run = Run::start(group(), policy(&["room", "mat-1", "mat-2"]));
    to_peak(&mut run);
    let a = run.cmd_to(m(5), Command::Check, Target::Zone("mat-2".into()));
    assert_eq!(lights(&a), [("mat-2".into(), look(50.0, 3300), Millis(2500))]);
    assert!(
        music(&a).is_empty(),
        "the room's music is not ducked for one client"
    );
    let s = run.tl.status(m(5));
    assert_eq!(s.lights["mat-1"], look(3.0, 2200));
    assert_eq!(s.overrides[0].target, Target::Zone("mat-2".into()));
    let a = run.cmd(
        m(6),
        Command::Resume {
            all: false,
            only: None,
        },
    );
    assert_eq!(
        lights(&a),
        [("mat-2".into(), look(3.0, 2200), Millis::from_secs(30))]
    );
}

#[test]
fn emergency_wins_over_check_and_is_never_refused() {
    let mut run = Run::start(sublingual(), policy(&["room"]));
    run.cmd(m(1), Command::Check);
    let a = run.cmd(m(2), Command::Emergency);
    assert_eq!(lights(&a)[0].1, look(100.0, 4000));
    // A second press re-sends the emergency look even though nothing changed.
    let a = run.cmd(m(3), Command::Emergency);
    assert_eq!(lights(&a), [("room".into(), look(100.0, 4000), Millis(500))]);
    assert!(music(&a)[0].muted);
    // Resume ends the most urgent first: back to the check, then to the scene.
    let a = run.cmd(
        m(4),
        Command::Resume {
            all: false,
            only: None,
        },
    );
    assert_eq!(lights(&a)[0].1, look(50.0, 3300));
    assert_eq!(
        run.tl
            .status(m(4))
            .overrides
            .iter()
            .map(|o| o.kind)
            .collect::<Vec<_>>(),
        [OverrideKind::Check]
    );
    let a = run.cmd(
        m(5),
        Command::Resume {
            all: false,
            only: None,
        },
    );
    assert_eq!(lights(&a)[0].1, look(50.0, 2700));
}

#[test]
fn pause_holds_the_timeline_and_the_music() {
    let mut run = Run::start(sublingual(), policy(&["room"]));
    let a = run.cmd(m(5), Command::Pause { walk_light: true });
    assert!(music(&a)[0].paused);
    assert_eq!(lights(&a)[0].1, look(15.0, 2400));
    run.run_until(m(30));
    let a = run.cmd(
        m(30),
        Command::Resume {
            all: false,
            only: None,
        },
    );
    assert!(!music(&a)[0].paused);
    // 25 minutes paused: the arrival's planned 15 minutes end at 40 in session time.
    assert_eq!(run.tl.next_deadline(), Some(m(40)));
}

#[test]
fn volume_never_goes_above_the_ceiling_and_big_steps_are_refused() {
    let mut run = Run::start(sublingual(), policy(&["room"]));
    to_peak(&mut run); // peak plays at -12 dB
    for i in 0..5 {
        run.cmd(m(4) + Millis(i), Command::Volume { delta_db: 6.0 });
    }
    run.run_until(m(5));
    let s = run.tl.status(m(5));
    assert_eq!(s.music.level_db, -6.0, "boost capped at +6 dB over the scene");
    let before = run.tl.snapshot();
    let refused = run.tl.command(
        m(5),
        Request::room(Command::Volume { delta_db: 30.0 }, therapist()),
    );
    assert!(matches!(refused, Err(CommandError::VolumeStepTooLarge { .. })));
    assert_eq!(run.tl.snapshot(), before, "a refused command changes nothing");
    for (_, a) in &run.log {
        if let Action::Music(t) = a {
            assert!(t.level_db <= 0.0);
        }
    }
}

#[test]
fn refused_commands_change_nothing() {
    let mut run = Run::start(sublingual(), policy(&["room"]));
    run.run_until(m(1));
    let before = run.tl.snapshot();
    let cases = [
        (Command::Release, Target::Room),
        (Command::Unmute, Target::Room),
        (
            Command::Resume {
                all: false,
                only: None,
            },
            Target::Room,
        ),
        (Command::Mark { mark: Mark::Booster }, Target::Room),
        (Command::Mark { mark: Mark::Infusion }, Target::Room),
        (Command::Extend { by: Millis::ZERO }, Target::Room),
        (Command::Check, Target::Zone("nowhere".into())),
        (Command::Next, Target::Zone("room".into())),
    ];
    for (command, target) in cases {
        let r = run.tl.command(
            m(1),
            Request {
                command: command.clone(),
                target,
                source: therapist(),
            },
        );
        assert!(r.is_err(), "{command:?} should be refused");
        assert_eq!(run.tl.snapshot(), before, "{command:?} changed the state");
    }
    run.cmd(m(2), Command::End);
    let r = run.tl.command(m(2), Request::room(Command::End, therapist()));
    assert!(matches!(r, Err(CommandError::AlreadyClosing { .. })));
    run.cmd(m(3), Command::Next);
    let r = run.tl.command(m(3), Request::room(Command::Next, therapist()));
    assert!(matches!(r, Err(CommandError::LastPhase { .. })));
}

#[test]
fn a_grounding_skip_names_the_scenes_track_and_is_refused_without_one() {
    let mut run = Run::start(sublingual(), policy(&["room"]));
    run.run_until(m(2));
    let before = run.tl.snapshot();
    let refused = run.tl.command(
        m(2),
        Request::room(Command::Skip { grounding: true }, therapist()),
    );
    assert!(matches!(refused, Err(CommandError::NoGroundingTrack)));
    assert_eq!(run.tl.snapshot(), before, "a refused command changes nothing");

    let mut scene = sublingual();
    scene.grounding_track = Some("grounding/breath.flac".into());
    let mut run = Run::start(scene, policy(&["room"]));
    run.run_until(m(2));
    let a = run.cmd(m(2), Command::Skip { grounding: true });
    let skips: Vec<_> = a.iter().filter(|a| matches!(a, Action::Skip { .. })).collect();
    assert_eq!(
        skips,
        [&Action::Skip {
            crossfade: Millis::from_secs(8),
            to: Some("grounding/breath.flac".into()),
        }]
    );
}

#[test]
fn a_track_skipped_twice_in_one_play_is_flagged_once_and_upgraded_to_grounding() {
    let mut scene = sublingual();
    scene.grounding_track = Some("grounding/breath.flac".into());
    let mut run = Run::start(scene, policy(&["room"]));
    let started = |path: &str| crate::timeline::DeviceEvent::TrackStarted {
        playlist: "arrival".into(),
        path: path.into(),
    };
    let flags = |actions: &[Action]| -> Vec<(Option<String>, bool)> {
        events(actions)
            .into_iter()
            .filter_map(|e| match e {
                EventKind::TrackSkipped { path, grounding, .. } => Some((path, grounding)),
                _ => None,
            })
            .collect()
    };
    run.run_until(m(1));
    run.tl.device(m(1), started("arrival/01.flac"));
    let first = run.cmd(m(2), Command::Skip { grounding: false });
    assert_eq!(flags(&first), [(Some("arrival/01.flac".into()), false)]);
    // During the cross-fade, before the next track has started: the same play.
    let upgrade = run.cmd(m(2), Command::Skip { grounding: true });
    assert_eq!(flags(&upgrade), [(Some("arrival/01.flac".into()), true)]);
    assert!(
        upgrade
            .iter()
            .any(|a| matches!(a, Action::Skip { to: Some(_), .. })),
        "the grounding track still plays: {upgrade:?}"
    );
    for grounding in [false, true] {
        let again = run.cmd(m(2), Command::Skip { grounding });
        assert_eq!(flags(&again), [], "flagged already");
    }
    // The next track is a new play.
    run.tl.device(m(3), started("arrival/02.ogg"));
    let next = run.cmd(m(4), Command::Skip { grounding: false });
    assert_eq!(flags(&next), [(Some("arrival/02.ogg".into()), false)]);
}

#[test]
fn a_resume_limited_to_the_pause_leaves_an_emergency_in_place() {
    let mut run = Run::start(sublingual(), policy(&["room"]));
    run.cmd(m(5), Command::Pause { walk_light: false });
    run.cmd(m(6), Command::Emergency);
    let only_pause = Command::Resume {
        all: false,
        only: Some(OverrideKind::Pause),
    };
    run.cmd(m(7), only_pause.clone());
    let kinds: Vec<OverrideKind> = run.tl.status(m(7)).overrides.iter().map(|o| o.kind).collect();
    assert_eq!(kinds, vec![OverrideKind::Emergency], "only the pause ended");
    run.run_until(m(8));
    let before = run.tl.snapshot();
    let again = run.tl.command(m(8), Request::room(only_pause, therapist()));
    assert!(
        matches!(again, Err(CommandError::NothingToResume(_))),
        "{again:?}"
    );
    assert_eq!(run.tl.snapshot(), before, "a refused resume changes nothing");
}

#[test]
fn a_zone_the_scene_does_not_light_goes_dark_again_when_the_emergency_ends() {
    // The sublingual scene lights only `room`; the mats' lamps are lit by the emergency alone.
    let mut run = Run::start(sublingual(), policy(&["room", "mat-1"]));
    let lit = run.cmd(m(5), Command::Emergency);
    assert!(
        lights(&lit)
            .iter()
            .any(|(z, look, _)| z == "mat-1" && look.brightness == 100.0),
        "the emergency lights every zone: {lit:?}"
    );
    let resumed = run.cmd(
        m(6),
        Command::Resume {
            all: false,
            only: None,
        },
    );
    let mat: Vec<_> = lights(&resumed)
        .into_iter()
        .filter(|(z, ..)| z == "mat-1")
        .collect();
    assert_eq!(mat.len(), 1, "the mat's lamp is sent back: {resumed:?}");
    let (_, look, fade) = &mat[0];
    assert_eq!(look.brightness, 0.0, "to dark");
    assert_eq!(
        look.kelvin, 4000,
        "in the colour it had, so only the brightness moves"
    );
    assert!(*fade >= Millis::from_secs(1), "never abruptly: {fade}");
    let later = run.run_until(m(30));
    assert!(
        lights(&later).iter().all(|(z, ..)| z != "mat-1"),
        "and left alone after that: {later:?}"
    );
}

/// A check and an emergency never wait behind the scene's traffic; the scene's own looks,
/// and the resume back to them, do.
#[test]
fn a_check_and_an_emergency_are_urgent_and_the_scene_is_not() {
    let urgency = |actions: &[Action]| -> Vec<bool> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Light { urgent, .. } => Some(*urgent),
                _ => None,
            })
            .collect()
    };
    let mut run = Run::start(group(), policy(&["room", "mat-1", "mat-2"]));
    to_peak(&mut run);
    let check = run.cmd(m(5), Command::Check);
    assert!(
        !urgency(&check).is_empty() && urgency(&check).iter().all(|u| *u),
        "{check:?}"
    );
    let resume = Request {
        command: Command::Resume {
            all: false,
            only: None,
        },
        target: Target::Room,
        source: therapist(),
    };
    let back = run.tl.command(m(6), resume.clone()).expect("resumed");
    assert!(
        !urgency(&back).is_empty() && urgency(&back).iter().all(|u| !u),
        "{back:?}"
    );
    let emergency = run.cmd(m(7), Command::Emergency);
    assert!(urgency(&emergency).iter().all(|u| *u), "{emergency:?}");
}
