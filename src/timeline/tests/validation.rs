//! A snapshot read back from disk is checked before the core trusts it: each value out of
//! bounds is named by its path.

use super::fixture::*;
use crate::scene::Mark;
use crate::timeline::limits::MAX_SESSION_TIME;
use crate::timeline::{Command, Snapshot, Target};

fn running() -> Snapshot {
    let mut run = Run::start(sublingual(), policy(&["room", "mat-1"]));
    run.cmd(m(10), Command::Mark { mark: Mark::Dose });
    run.cmd(m(12), Command::Check);
    run.cmd(
        m(13),
        Command::Light {
            brightness_delta: 5.0,
            kelvin_delta: -200,
        },
    );
    run.tl.snapshot()
}

/// The field the first error names, for a snapshot spoilt by `spoil`.
fn refused(spoil: impl FnOnce(&mut Snapshot)) -> String {
    let mut snapshot = running();
    spoil(&mut snapshot);
    let error = snapshot
        .validate()
        .expect_err("a spoilt snapshot must be refused");
    assert!(
        error.to_string().starts_with(&format!("`{}` ", error.field)),
        "{error}"
    );
    error.field
}

#[test]
fn a_running_sessions_snapshot_is_valid() {
    running().validate().unwrap();
}

#[test]
fn each_value_out_of_bounds_is_named() {
    type Spoil = Box<dyn FnOnce(&mut Snapshot)>;
    let cases: Vec<(&str, Spoil)> = vec![
        (
            "policy.emergency.look.brightness",
            Box::new(|s| s.policy.emergency.look.brightness = 0.0),
        ),
        (
            "policy.emergency.look.brightness",
            Box::new(|s| s.policy.emergency.look.brightness = f32::NAN),
        ),
        (
            "policy.emergency.fade",
            Box::new(|s| s.policy.emergency.fade = m(5)),
        ),
        (
            "policy.check.look.kelvin",
            Box::new(|s| s.policy.check.look.kelvin = 20),
        ),
        ("policy.zones", Box::new(|s| s.policy.zones.clear())),
        (
            "policy.max_volume_boost_db",
            Box::new(|s| s.policy.max_volume_boost_db = 1000.0),
        ),
        ("policy.mute_fade", Box::new(|s| s.policy.mute_fade = m(0))),
        (
            "policy.emergency_music_fade",
            Box::new(|s| s.policy.emergency_music_fade = m(1)),
        ),
        ("scene.phases", Box::new(|s| s.scene.phases.clear())),
        ("scene.closing_phase", Box::new(|s| s.scene.closing_phase = 42)),
        (
            "scene.phases[0].planned",
            Box::new(|s| s.scene.phases[0].planned = MAX_SESSION_TIME + m(1)),
        ),
        ("state.phase", Box::new(|s| s.state.phase = 99)),
        (
            "state.now",
            Box::new(|s| s.state.now = crate::time::Millis(u64::MAX)),
        ),
        (
            "state.volume_offset_db",
            Box::new(|s| s.state.volume_offset_db = 1000.0),
        ),
        (
            "state.volume_offset_db",
            Box::new(|s| s.state.volume_offset_db = f32::INFINITY),
        ),
        (
            "state.scene_music.level_db",
            Box::new(|s| s.state.scene_music.level_db = 6.0),
        ),
        (
            "state.marks.dose",
            Box::new(|s| {
                s.state.marks.insert(Mark::Dose, crate::time::Millis(u64::MAX));
            }),
        ),
        (
            "state.light_nudges.room.kelvin",
            Box::new(|s| s.state.light_nudges.get_mut("room").unwrap().kelvin = i32::MAX),
        ),
        (
            "state.overrides[0].target",
            Box::new(|s| s.state.overrides[0].target = Target::Zone("attic".into())),
        ),
    ];
    for (field, spoil) in cases {
        assert_eq!(refused(spoil), field);
    }
}

#[test]
fn an_error_reads_with_its_place_in_the_file() {
    let mut snapshot = running();
    snapshot.policy.emergency.look.brightness = 0.0;
    let error = snapshot.validate().unwrap_err().within("snapshot");
    assert_eq!(
        error.to_string(),
        "`snapshot.policy.emergency.look.brightness` is 0 %, below the 50 % an emergency must light \
         the room with"
    );
}
