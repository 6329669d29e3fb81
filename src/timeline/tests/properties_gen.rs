//! Random scenes and random therapist commands for the property tests, within what the scene
//! validator accepts: the properties are about the core, not about refused files.

use std::collections::BTreeSet;

use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;

use crate::scene::{
    Anchor, Cue, CueTime, LightCue, LightSpec, Look, Mark, MusicCue, MusicSpec, Phase, PhaseEnd, Ramp,
    Repeat, Scene, SceneKind,
};
use crate::time::Millis;
use crate::timeline::{Command, Target};

/// The room's zones; scenes name some of them, overrides may target any.
pub const ZONES: [&str; 3] = ["room", "mat-1", "mat-2"];
const PLAYLISTS: [&str; 3] = ["arrival", "peak", "return"];

fn millis(max: u64) -> impl Strategy<Value = Millis> {
    (0..=max).prop_map(Millis)
}

/// A fade up to `max`, zero (which a scene may write) one time in five.
fn fade(max: u64) -> impl Strategy<Value = Millis> {
    prop_oneof![1 => Just(Millis::ZERO), 4 => millis(max)]
}

fn minutes(min: u64, max: u64) -> impl Strategy<Value = Millis> {
    (min..=max).prop_map(Millis::from_mins)
}

fn look() -> impl Strategy<Value = Look> {
    (0.0f32..=100.0, 1800u16..=6500).prop_map(|(brightness, kelvin)| Look { brightness, kelvin })
}

fn zone() -> impl Strategy<Value = String> {
    prop::sample::select(&ZONES[..]).prop_map(String::from)
}

fn playlist() -> impl Strategy<Value = String> {
    prop::sample::select(&PLAYLISTS[..]).prop_map(String::from)
}

/// dB below the ceiling, as the validator allows (-60 to 0).
fn level_db() -> impl Strategy<Value = f32> {
    -60.0f32..=0.0
}

/// Music fades of a scene: from a quick one up to a slow minute. `min` is the shortest.
fn music(min: Millis) -> impl Strategy<Value = Option<MusicSpec>> {
    prop_oneof![
        Just(None),
        fade(60_000).prop_map(move |f| Some(MusicSpec::Silence { fade: f.max(min) })),
        (playlist(), level_db(), fade(60_000)).prop_map(move |(name, level_db, f)| {
            Some(MusicSpec::Playlist {
                name,
                level_db,
                crossfade: f.max(min),
            })
        }),
    ]
}

fn light_spec(planned: Millis) -> impl Strategy<Value = LightSpec> {
    let half = (planned.0 / 2).max(1);
    let ramp = (look(), 0..half, 1..=half).prop_map(|(to, start, over)| Ramp {
        to,
        start: Millis(start),
        over: Millis(over),
    });
    (look(), fade(120_000), option::of(ramp)).prop_map(|(look, fade, ramp)| LightSpec { look, fade, ramp })
}

fn anchor() -> impl Strategy<Value = Anchor> {
    prop_oneof![
        Just(Anchor::Phase),
        Just(Anchor::Session),
        Just(Anchor::Mark(Mark::Dose))
    ]
}

fn music_cue(min: Millis) -> impl Strategy<Value = MusicCue> {
    (
        any::<bool>(),
        option::of(playlist()),
        option::of(level_db()),
        millis(60_000),
    )
        .prop_map(move |(silence, playlist, level_db, ramp)| MusicCue {
            level_db: if silence { None } else { level_db.or(Some(-20.0)) },
            silence,
            playlist: if silence { None } else { playlist },
            ramp: ramp.max(min),
        })
}

fn cue(music_min: Millis) -> impl Strategy<Value = Cue> {
    let repeat = (minutes(1, 20), 1u32..=5).prop_map(|(every, times)| Repeat { every, times });
    let light = btree_map(zone(), (look(), fade(120_000)), 0..=2).prop_map(|m| {
        m.into_iter()
            .map(|(z, (look, fade))| (z, LightCue { look, fade }))
            .collect()
    });
    (
        anchor(),
        minutes(0, 60),
        option::of(repeat),
        any::<bool>(),
        option::of(music_cue(music_min)),
        light,
    )
        .prop_map(|(anchor, offset, repeat, prompt, music, light)| Cue {
            label: "cue".into(),
            at: CueTime { anchor, offset },
            repeat,
            prompt: prompt.then(|| "a prompt".into()),
            asks: None,
            music,
            light,
        })
}

fn phase(music_min: Millis) -> impl Strategy<Value = Phase> {
    let ends = prop_oneof![
        Just(PhaseEnd::Timer),
        Just(PhaseEnd::Therapist),
        Just(PhaseEnd::Prompt)
    ];
    (minutes(1, 40), option::of(minutes(0, 20)), ends).prop_flat_map(move |(planned, over, ends)| {
        let lights = btree_map(zone(), light_spec(planned), 0..=3);
        (music(music_min), lights, vec(cue(music_min), 0..=2)).prop_map(move |(music, light, cues)| Phase {
            id: String::new(),
            title: String::new(),
            planned,
            min: None,
            max: over.map(|o| planned + o),
            ends,
            sets_mark: None,
            music,
            light,
            cues,
        })
    })
}

/// A scene of one to six phases; one of them may set the dose mark. Music changes fade over
/// at least `music_min` (the validator accepts zero: see `properties_regressions`).
pub fn scene_with(music_min: Millis) -> impl Strategy<Value = Scene> {
    (
        vec(phase(music_min), 1..=6),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        any::<bool>(),
    )
        .prop_map(|(mut phases, dose, closing, has_dose)| {
            for (i, p) in phases.iter_mut().enumerate() {
                p.id = format!("phase-{i}");
                p.title = format!("Phase {i}");
            }
            if has_dose {
                let dose = dose.index(phases.len());
                phases[dose].sets_mark = Some(Mark::Dose);
            }
            let closing_phase = closing.index(phases.len());
            Scene {
                name: "random".into(),
                title: "Random".into(),
                description: String::new(),
                kind: SceneKind::Group,
                phases,
                cues: Vec::new(),
                closing_phase,
                grounding_track: Some("grounding/breath.flac".into()),
            }
        })
}

pub fn scene() -> impl Strategy<Value = Scene> {
    // Zero is the known gain jump (see `properties_regressions`); one millisecond stands for it.
    scene_with(Millis(1))
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![Just(Target::Room), zone().prop_map(Target::Zone)]
}

/// Every command the therapist has, overrides more often, with values inside and outside what
/// the core accepts.
fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        3 => Just(Command::Emergency),
        3 => Just(Command::Check),
        3 => any::<bool>().prop_map(|all| Command::Resume { all, only: None }),
        2 => any::<bool>().prop_map(|walk_light| Command::Pause { walk_light }),
        1 => Just(Command::Mark { mark: Mark::Dose }),
        1 => Just(Command::Mark { mark: Mark::Booster }),
        2 => Just(Command::Next),
        1 => Just(Command::Hold),
        1 => Just(Command::Release),
        1 => minutes(0, 30).prop_map(|by| Command::Extend { by }),
        1 => Just(Command::Mute),
        1 => Just(Command::Unmute),
        1 => any::<bool>().prop_map(|grounding| Command::Skip { grounding }),
        3 => (-8.0f32..=8.0).prop_map(|delta_db| Command::Volume { delta_db }),
        2 => (-60.0f32..=60.0, -3000i32..=3000).prop_map(|(brightness_delta, kelvin_delta)| Command::Light {
            brightness_delta,
            kelvin_delta
        }),
        1 => Just(Command::End),
    ]
}

/// A therapist's commands over a session: each after a gap of up to half an hour, so that
/// twenty of them cover the first hours of a session.
pub fn commands() -> impl Strategy<Value = Vec<(Millis, Command, Target)>> {
    vec((millis(30 * 60_000), command(), target()), 0..=20)
}

/// The (phase, zone) pairs whose look ramps: each ramp starts once per entry of its phase.
pub fn ramps(scene: &Scene) -> BTreeSet<(usize, String)> {
    scene
        .phases
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            p.light
                .iter()
                .filter(|(_, s)| s.ramp.is_some())
                .map(move |(z, _)| (i, z.clone()))
        })
        .collect()
}
