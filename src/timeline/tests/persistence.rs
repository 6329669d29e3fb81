//! Snapshots: a session restored from its state file carries on exactly as it would have.

use super::fixture::*;
use crate::scene::Mark;
use crate::time::Millis;
use crate::timeline::{Action, Command, DeviceEvent, EventKind, Snapshot, Timeline, TrackPosition};

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
            .any(|e| matches!(e, EventKind::SessionResumed { downtime, .. } if *downtime == m(20)))
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

/// Takes the session through a state file and back, as a crash and restart would.
fn crash_and_restore(tl: &Timeline) -> Timeline {
    let json = serde_json::to_string(&tl.snapshot()).unwrap();
    Timeline::restore(serde_json::from_str(&json).unwrap()).unwrap()
}

fn track_started(path: &str) -> DeviceEvent {
    DeviceEvent::TrackStarted {
        playlist: "arrival".into(),
        path: path.into(),
    }
}

fn resume_from(actions: &[Action]) -> Option<TrackPosition> {
    let targets = music(actions);
    assert_eq!(targets.len(), 1, "{actions:#?}");
    targets[0].resume_from.clone()
}

#[test]
fn the_music_resumes_at_the_track_and_point_it_had_reached() {
    let mut run = Run::start(sublingual(), policy(&["room"]));
    run.tl.device(m(1), track_started("arrival/01.flac"));
    run.tl.device(m(4), track_started("arrival/02.ogg"));
    // Killed at 5 minutes, back at 7: the track ran on through the downtime.
    run.run_until(m(5));
    let mut restored = crash_and_restore(&run.tl);
    let a = restored.resumed(m(7), m(2));
    let position = TrackPosition {
        path: "arrival/02.ogg".into(),
        offset: m(3),
    };
    assert_eq!(resume_from(&a), Some(position.clone()));

    // The player's report of that resumption is not a new start: a second crash still
    // counts from the track's real start.
    restored.device(m(7), track_started("arrival/02.ogg"));
    let a = crash_and_restore(&restored).resumed(m(8), m(1));
    assert_eq!(resume_from(&a).map(|p| p.offset), Some(m(4)));
}

#[test]
fn time_paused_does_not_count_towards_the_resume_point() {
    let mut run = Run::start(sublingual(), policy(&["room"]));
    run.tl.device(m(1), track_started("arrival/01.flac"));
    run.cmd(m(2), Command::Pause { walk_light: false });
    run.cmd(
        m(6),
        Command::Resume {
            all: false,
            only: None,
        },
    );
    let a = crash_and_restore(&run.tl).resumed(m(8), m(2));
    let offset = resume_from(&a).map(|p| p.offset);
    assert_eq!(
        offset,
        Some(m(3)),
        "1 min before the pause, 2 after it, none during"
    );
}

#[test]
fn a_room_wide_emergency_counts_towards_the_resume_point_as_the_muted_track_ran_on() {
    let mut run = Run::start(sublingual(), policy(&["room"]));
    run.tl.device(m(1), track_started("arrival/01.flac"));
    // The session clock stops for the emergency; the track plays on underneath the mute.
    run.cmd(m(2), Command::Emergency);
    run.cmd(
        m(12),
        Command::Resume {
            all: true,
            only: None,
        },
    );
    let a = crash_and_restore(&run.tl).resumed(m(14), m(2));
    assert_eq!(
        resume_from(&a).map(|p| p.offset),
        Some(m(13)),
        "1 min before, 10 in the emergency, 2 after"
    );
    let status = run.tl.status(m(12));
    assert_eq!(status.timeline_time, m(2), "the session clock did stop");
}

#[test]
fn a_state_file_without_the_music_clock_resumes_in_timeline_time() {
    let mut run = Run::start(sublingual(), policy(&["room"]));
    run.tl.device(m(1), track_started("arrival/01.flac"));
    run.run_until(m(5));
    let mut json = serde_json::to_value(run.tl.snapshot()).unwrap();
    let state = json["state"].as_object_mut().unwrap();
    state.remove("music_clock");
    state["current_track"]
        .as_object_mut()
        .unwrap()
        .remove("started_music");
    let mut restored = Timeline::restore(serde_json::from_value(json).unwrap()).unwrap();
    assert_eq!(
        resume_from(&restored.resumed(m(7), m(2))).map(|p| p.offset),
        Some(m(6))
    );
}

#[test]
fn a_new_playlist_or_an_old_state_file_starts_the_playlist_afresh() {
    let mut run = Run::start(sublingual(), policy(&["room"]));
    run.tl.device(m(1), track_started("arrival/01.flac"));
    // Into silence and on to dosing: the arrival track has nothing to do with it.
    run.cmd(m(2), Command::Next);
    run.cmd(m(3), Command::Next);
    let a = crash_and_restore(&run.tl).resumed(m(4), m(1));
    assert_eq!(resume_from(&a), None);

    // A state file from before start times were kept: the pair still reads, and the
    // playlist starts from its first track as it used to.
    let mut run = Run::start(sublingual(), policy(&["room"]));
    run.tl.device(m(1), track_started("arrival/01.flac"));
    let mut json = serde_json::to_value(run.tl.snapshot()).unwrap();
    json["state"]["current_track"] = serde_json::json!(["arrival", "arrival/01.flac"]);
    let mut restored = Timeline::restore(serde_json::from_value(json).unwrap()).unwrap();
    assert_eq!(resume_from(&restored.resumed(m(2), m(1))), None);
}

#[test]
fn a_state_file_from_before_the_light_step_limits_takes_the_defaults() {
    let run = Run::start(sublingual(), policy(&["room"]));
    let mut json = serde_json::to_value(run.tl.snapshot()).unwrap();
    let policy = json["policy"].as_object_mut().unwrap();
    assert!(policy.remove("max_light_step_percent").is_some());
    assert!(policy.remove("max_kelvin_step").is_some());
    let restored = Timeline::restore(serde_json::from_value(json).unwrap()).unwrap();
    let defaults = crate::timeline::Policy::default();
    assert_eq!(
        restored.snapshot().policy.max_light_step_percent,
        defaults.max_light_step_percent
    );
    assert_eq!(
        restored.snapshot().policy.max_kelvin_step,
        defaults.max_kelvin_step
    );
}

/// Every event the run logged, in order, as the log holds them.
fn logged(actions: &[Action]) -> Vec<crate::timeline::Event> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Log(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_snapshot_plus_the_log_after_it_gives_the_state_before_the_crash() {
    let mut run = Run::start(sublingual(), policy(&["room"]));
    run.cmd(m(3), Command::Hold);
    let snapshot = run.tl.snapshot();
    let mut log = Vec::new();
    log.extend(logged(&run.cmd(m(5), Command::Release)));
    log.extend(logged(&run.cmd(m(10), Command::Mark { mark: Mark::Dose })));
    log.extend(logged(&run.tl.device(
        m(11),
        DeviceEvent::TrackStarted {
            playlist: "dosing".into(),
            path: "a.flac".into(),
        },
    )));
    log.extend(logged(&run.cmd(m(12), Command::Check)));
    log.extend(logged(&run.cmd(m(13), Command::Volume { delta_db: -3.0 })));
    // The clock's own events after the last command: the spit prompt at dose + 7.
    log.extend(logged(&run.run_until(m(18))));
    let mut recovered = Timeline::restore(snapshot).unwrap();
    let replayed = recovered.replay(&log);
    assert_eq!(replayed, 5);
    // The log's last entry is the prompt at 17; the original's clock was last read at 18.
    recovered.tick(m(18));
    assert_eq!(recovered.snapshot().state, run.tl.snapshot().state);
    // And it carries on as the original does.
    assert_eq!(recovered.tick(m(60)), run.tl.tick(m(60)));
}

#[test]
fn a_replayed_log_cut_anywhere_gives_the_state_as_far_as_it_reached() {
    let mut run = Run::start(sublingual(), policy(&["room"]));
    let snapshot = run.tl.snapshot();
    let mut log = Vec::new();
    let mut states = vec![(0, run.tl.snapshot().state)];
    let commands = [
        (m(2), Command::Next),
        (m(9), Command::Mark { mark: Mark::Dose }),
        (m(11), Command::Emergency),
        (
            m(14),
            Command::Resume {
                all: false,
                only: None,
            },
        ),
        (m(20), Command::Extend { by: m(5) }),
        (m(22), Command::Mute),
    ];
    for (at, command) in commands {
        log.extend(logged(&run.cmd(at, command)));
        states.push((log.len(), run.tl.snapshot().state));
    }
    for (reach, state) in states {
        let mut recovered = Timeline::restore(snapshot.clone()).unwrap();
        recovered.replay(&log[..reach]);
        let mut expected = state;
        let got = recovered.snapshot().state;
        // Time stands where the last recorded entry left it.
        expected.now = got.now;
        assert_eq!(got.phase, expected.phase, "cut after {reach} entries");
        assert_eq!(got.marks, expected.marks, "cut after {reach} entries");
        assert_eq!(got.overrides, expected.overrides, "cut after {reach} entries");
        assert_eq!(got.muted, expected.muted, "cut after {reach} entries");
        assert_eq!(got.extension, expected.extension, "cut after {reach} entries");
    }
}

/// The sublingual scene with a prompt the moment the first and the second phase begin.
fn with_opening_prompts() -> crate::scene::Scene {
    let mut scene = sublingual();
    scene.phases[0].cues.push(prompt_cue(
        "baseline vitals",
        crate::scene::Anchor::Phase,
        Millis::ZERO,
    ));
    scene.phases[1].cues.push(prompt_cue(
        "state the intention",
        crate::scene::Anchor::Phase,
        Millis::ZERO,
    ));
    scene
}

#[test]
fn a_first_prompt_the_daemon_died_before_is_given_at_the_restart() {
    // Recorded: the start. The tick that fires the opening cue never came.
    let mut run = Run::start(with_opening_prompts(), policy(&["room"]));
    let snapshot = run.tl.snapshot();
    let log = logged(&run.log.iter().map(|(_, a)| a.clone()).collect::<Vec<_>>());
    let mut recovered = Timeline::restore(snapshot).unwrap();
    recovered.replay(&log);
    let resumed = recovered.resumed(m(1), m(1));
    assert_eq!(prompts(&resumed), ["baseline vitals"]);
    assert!(
        events(&resumed)
            .iter()
            .any(|e| matches!(e, EventKind::CueFired { label, .. } if label == "baseline vitals"))
    );
    // The original shows it at its first tick; the two agree from then on.
    assert_eq!(prompts(&run.tl.tick(m(1))), ["baseline vitals"]);
    assert_eq!(recovered.snapshot().state.fired, run.tl.snapshot().state.fired);
}

#[test]
fn a_prompt_the_log_has_is_not_given_again_at_the_restart() {
    let mut run = Run::start(with_opening_prompts(), policy(&["room"]));
    let snapshot = run.tl.snapshot();
    run.run_until(m(2));
    let log = logged(&run.log.iter().map(|(_, a)| a.clone()).collect::<Vec<_>>());
    let mut recovered = Timeline::restore(snapshot).unwrap();
    recovered.replay(&log);
    assert!(prompts(&recovered.resumed(m(3), m(1))).is_empty());
}

#[test]
fn a_command_whose_write_was_torn_after_its_entry_is_carried_out_at_the_restart() {
    // `next` is written first and reaches the room only once written: the daemon died in
    // the middle of that write, after its command entry, so the room never saw the prompt.
    let mut run = Run::start(with_opening_prompts(), policy(&["room"]));
    run.run_until(m(2));
    let snapshot = run.tl.snapshot();
    let next = logged(&run.cmd(m(3), Command::Next));
    assert!(matches!(next[0].kind, EventKind::Command { .. }));
    let mut recovered = Timeline::restore(snapshot).unwrap();
    assert_eq!(recovered.replay(&next[..1]), 1);
    let resumed = recovered.resumed(m(4), m(1));
    assert_eq!(prompts(&resumed), ["state the intention"]);
    assert_eq!(recovered.snapshot().state.phase, 1);
}
