//! Each validation rule, pinned to its message and the exact line and column it points at.

use std::path::Path;

use crate::scene::{Anchor, Mark, MusicSpec, PhaseEnd, SceneContext, SceneKind, parse_scene};
use crate::time::Millis;

const ZONES: &[&str] = &["room", "mat-1"];
const PLAYLISTS: &[&str] = &["arrival", "peak"];

/// The scene's problems, one `line:col: message` string each. Every body starts on line 3.
fn problems(body: &str) -> Vec<String> {
    let text = format!("title = \"Test\"\nkind = \"individual\"\n{body}");
    let zones: Vec<String> = ZONES.iter().map(|s| s.to_string()).collect();
    let playlists: Vec<String> = PLAYLISTS.iter().map(|s| s.to_string()).collect();
    let ctx = SceneContext {
        zones: &zones,
        playlists: &playlists,
    };
    match parse_scene("test", Path::new("s.toml"), &text, &ctx) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .iter()
            .map(|d| {
                d.to_string()
                    .trim_start_matches("s.toml:")
                    .trim_start()
                    .to_string()
            })
            .collect(),
    }
}

fn one(body: &str) -> String {
    let p = problems(body);
    assert_eq!(p.len(), 1, "expected one problem, got {p:#?}");
    p.into_iter().next().unwrap()
}

const PHASE: &str = "[[phase]]\nid = \"a\"\ntitle = \"A\"\nplanned = \"10m\"\nends = \"timer\"\n";

#[test]
fn a_valid_scene_fills_the_model() {
    let text = r#"title = "Lozenge"
kind = "individual"
description = "test"
closing_phase = "arrival"
grounding_track = "grounding/breath.flac"

[[phase]]
id = "arrival"
title = "Arrival"
planned = "15m"
ends = "therapist"
music = { playlist = "arrival", level_db = -24 }
[phase.light.room]
brightness = 50
kelvin = 2700

[[phase]]
id = "dosing"
title = "Dosing"
planned = "10m"
min = "7m"
max = "15m"
ends = "prompt"
sets_mark = "dose"
music = { silence = true }
light.room = { brightness = 25, kelvin = 2400, fade = "45s", ramp = { to = { brightness = 10, kelvin = 2200 }, start = "2m" } }

[[phase.cue]]
at = "dose+7m"
prompt = "Spit out the lozenge"

[[phase.cue]]
at = "3m"
music = { level_db = -30, ramp = "20s" }
light.mat-1 = { brightness = 5, kelvin = 2200 }

[[cue]]
at = "dose+5m"
prompt = "Blood pressure"
repeat = { every = "5m", times = 2 }
"#;
    let zones = vec!["room".to_string(), "mat-1".to_string()];
    let playlists = vec!["arrival".to_string()];
    let ctx = SceneContext {
        zones: &zones,
        playlists: &playlists,
    };
    let scene = parse_scene("lozenge", Path::new("s.toml"), text, &ctx).unwrap();
    assert_eq!(scene.name, "lozenge");
    assert_eq!(scene.kind, SceneKind::Individual);
    assert_eq!(scene.closing_phase, 0);
    assert_eq!(scene.grounding_track.as_deref(), Some("grounding/breath.flac"));
    let [arrival, dosing] = &scene.phases[..] else {
        panic!("two phases")
    };
    assert_eq!(arrival.ends, PhaseEnd::Therapist);
    assert_eq!(
        arrival.music,
        Some(MusicSpec::Playlist {
            name: "arrival".into(),
            level_db: -24.0,
            crossfade: Millis::from_secs(10)
        })
    );
    assert_eq!(arrival.light["room"].fade, Millis::from_secs(30));
    assert_eq!(dosing.sets_mark, Some(Mark::Dose));
    assert_eq!(
        (dosing.min, dosing.max),
        (Some(Millis::from_mins(7)), Some(Millis::from_mins(15)))
    );
    let ramp = dosing.light["room"].ramp.as_ref().unwrap();
    assert_eq!(
        (ramp.start, ramp.over),
        (Millis::from_mins(2), Millis::from_mins(8)),
        "over defaults to the rest"
    );
    assert_eq!(dosing.cues[0].label, "Spit out the lozenge");
    assert_eq!(
        dosing.cues[1].at.anchor,
        Anchor::Phase,
        "a bare offset counts from the phase"
    );
    assert_eq!(dosing.cues[1].label, "music to -30 dB, mat-1 light to 5 % 2200 K");
    assert_eq!(scene.cues[0].at.anchor, Anchor::Mark(Mark::Dose));
    assert_eq!(scene.cues[0].repeat.unwrap().times, 2);
}

#[test]
fn unknown_keys() {
    assert_eq!(
        one(&format!("{PHASE}colour = 3\n")),
        "8:1: unknown field `colour`, expected one of `id`, `title`, `planned`, `min`, `max`, `ends`, `sets_mark`, \
         `music`, `light`, `cue`"
    );
    // Read as `phase`, its value does not fit: the key is left out, with no second error for it.
    let p = problems("phases = 1\n");
    assert_eq!(p.len(), 2, "{p:#?}");
    assert_eq!(p[0], "the scene has no phases; expected at least one [[phase]]");
    assert!(p[1].starts_with("3:1: unknown field `phases`, expected one of `title`,"));
    assert!(
        one(&format!(
            "{PHASE}light.room = {{ brightness = 5, kelvin = 2200, colour = \"red\" }}\n"
        ))
        .starts_with("8:47: unknown field `colour`")
    );
}

#[test]
fn wrong_types() {
    let body = PHASE.replace("planned = \"10m\"", "planned = 10");
    assert_eq!(one(&body), "6:11: invalid type: integer `10`, expected a string");
    assert_eq!(
        one("phase = 3\n"),
        "3:9: `phase` must be an array of tables ([[phase]]), found integer"
    );
}

#[test]
fn a_wrong_type_leaves_the_rest_of_the_phase_checked() {
    // Peak's planned length is of the wrong type, but its max still bounds its cues; a typo
    // in another phase is reported too, in the same run.
    let body = timeline_cue("55m", "")
        .replace("planned = \"40m\"", "planned = 10\nmax = \"50m\"")
        .replace("title = \"A\"", "tilte = \"A\"");
    assert_eq!(
        problems(&body),
        [
            "5:1: unknown field `tilte`, expected one of `id`, `title`, `planned`, `min`, `max`, `ends`, `sets_mark`, \
             `music`, `light`, `cue`; did you mean `title`?",
            "19:11: invalid type: integer `10`, expected a string",
            "23:6: the cue at `55m` comes after the end of phase `peak` (its max of 50m)",
        ]
    );
    // Counted from the dose, the phase's start is still known from the phases before it.
    let body = timeline_cue("dose+1h1m", "").replace("planned = \"40m\"", "planned = 10\nmax = \"50m\"");
    assert_eq!(
        problems(&body),
        [
            "19:11: invalid type: integer `10`, expected a string",
            "23:6: the cue at `dose+1h1m` comes at 1:16:00 on the planned timeline, after phase `peak` ends at \
             1:15:00 (its max of 50m)",
        ]
    );
}

#[test]
fn a_wrong_type_is_one_problem_not_a_missing_key_too() {
    // Each value of the wrong type is reported at its place, once: neither the key it leaves
    // out nor what the checks after it would make of its absence is a second problem.
    let cases = [
        (
            PHASE.replace("id = \"a\"", "id = 5"),
            "4:6: invalid type: integer `5`",
        ),
        (
            PHASE.replace("ends = \"timer\"", "ends = true"),
            "7:8: invalid type: boolean `true`",
        ),
        (
            format!("{PHASE}light.room = {{ brightness = \"5\", kelvin = 2200 }}\n"),
            "8:29: invalid type: string \"5\"",
        ),
        (
            format!(
                "{PHASE}[[phase.cue]]\nat = \"1m\"\nprompt = \"x\"\nrepeat = {{ every = 5, times = 2 }}\n"
            ),
            "11:20: invalid type: integer `5`",
        ),
        // A max of the wrong type is unknown, not absent: the cue past planned is not judged.
        (
            TIMELINE.replace("max = \"15m\"", "max = 15").replace(
                "sets_mark = \"dose\"\n",
                "sets_mark = \"dose\"\n[[phase.cue]]\nat = \"dose+12m\"\nprompt = \"x\"\n",
            ),
            "13:7: invalid type: integer `15`",
        ),
        // A mark of the wrong type: the cues counting from it are not each refused.
        (
            timeline_cue("dose+30m", "").replace("sets_mark = \"dose\"", "sets_mark = 1"),
            "15:13: invalid type: integer `1`",
        ),
    ];
    for (body, expected) in cases {
        let p = problems(&body);
        assert_eq!(p.len(), 1, "{body}\n{p:#?}");
        assert!(p[0].starts_with(expected), "{body}\n{p:#?}");
    }
    // A cue whose time is of the wrong type is left out; its phase's other cues are checked.
    let body = format!(
        "{PHASE}[[phase.cue]]\nat = 5\nprompt = \"x\"\n[[phase.cue]]\nat = \"11m\"\nprompt = \"y\"\n"
    );
    assert_eq!(
        problems(&body),
        [
            "9:6: invalid type: integer `5`, expected a string",
            "12:6: the cue at `11m` comes after the end of phase `a` (its planned 10m; it has no max)",
        ]
    );
}

#[test]
fn a_scene_key_of_the_wrong_type_leaves_the_phases_checked() {
    let text = format!("title = \"Test\"\nkind = 4\n{PHASE}colour = 3\n");
    let zones: Vec<String> = ZONES.iter().map(|s| s.to_string()).collect();
    let playlists: Vec<String> = PLAYLISTS.iter().map(|s| s.to_string()).collect();
    let ctx = SceneContext {
        zones: &zones,
        playlists: &playlists,
    };
    let err = parse_scene("test", Path::new("s.toml"), &text, &ctx).unwrap_err();
    let p: Vec<String> = err.iter().map(|d| d.to_string()).collect();
    assert_eq!(p.len(), 2, "{p:#?}");
    assert_eq!(p[0], "s.toml:2:8: invalid type: integer `4`, expected a string");
    assert!(p[1].starts_with("s.toml:8:1: unknown field `colour`"), "{p:#?}");
    // Left out, a key is still missing.
    let err = parse_scene(
        "test",
        Path::new("s.toml"),
        &format!("kind = \"group\"\n{PHASE}"),
        &ctx,
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "s.toml:1:1: missing field `title`");
}

#[test]
fn a_missing_key_points_at_its_table() {
    let body = PHASE.replace("ends = \"timer\"\n", "");
    assert_eq!(one(&body), "3:1: phase `a` has no `ends`; every phase needs one");
}

#[test]
fn every_stage_reports_at_once() {
    // Two mistyped keys, an unknown playlist and a cue after its phase: the typos are read as
    // the keys they miss, so the later stages still check those phases.
    let body = timeline_cue("dose+55m", "")
        .replace("planned = \"10m\"", "planed = \"10m\"")
        .replace("ends = \"timer\"", "endz = \"timer\"")
        .replace(
            "ends = \"therapist\"\n",
            "ends = \"therapist\"\nmusic = { playlist = \"arival\", level_db = -24 }\n",
        );
    let p = problems(&body);
    assert_eq!(p.len(), 4, "{p:#?}");
    assert!(p[0].starts_with("9:22: unknown playlist `arival`"), "{p:#?}");
    assert!(p[1].starts_with("13:1: unknown field `planed`") && p[1].ends_with("did you mean `planned`?"));
    assert!(p[2].starts_with("21:1: unknown field `endz`") && p[2].ends_with("did you mean `ends`?"));
    assert!(
        p[3].starts_with(
            "23:6: the cue at `dose+55m` comes at 1:10:00 on the planned timeline, after phase `peak` ends"
        ),
        "{p:#?}"
    );
}

#[test]
fn a_mistyped_mark_is_one_problem_not_one_per_cue() {
    let body = timeline_cue("dose+5m", "").replace("sets_mark = \"dose\"", "sets_mark = \"dosee\"");
    let p = problems(&format!("{body}[[cue]]\nat = \"dose+40m\"\nprompt = \"x\"\n"));
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(p[0].starts_with("15:13: unknown mark `dosee`"), "{p:#?}");
}

#[test]
fn a_phase_missing_a_key_still_has_its_cues_checked() {
    let body = timeline_cue("dose+55m", "").replace("title = \"P\"\n", "");
    assert_eq!(
        problems(&body),
        [
            "16:1: phase `peak` has no `title`; every phase needs one",
            "21:6: the cue at `dose+55m` comes at 1:10:00 on the planned timeline, after phase `peak` ends at 1:05:00 \
             (its planned 40m; it has no max)"
        ]
    );
}

#[test]
fn unknown_words() {
    assert_eq!(
        one(&PHASE.replace("timer", "timr")),
        "7:8: unknown ends `timr`; expected one of timer, therapist, prompt"
    );
    assert_eq!(
        one(&format!("{PHASE}sets_mark = \"dos\"\n")),
        "8:13: unknown mark `dos`; expected one of dose, infusion"
    );
    assert!(
        one(&format!("{PHASE}sets_mark = \"booster\"\n")).starts_with("8:13: a phase cannot set `booster`")
    );
    let text = format!("title = \"T\"\nkind = \"solo\"\n{PHASE}");
    let ctx = SceneContext {
        zones: &[],
        playlists: &[],
    };
    let err = parse_scene("t", Path::new("s.toml"), &text, &ctx)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "s.toml:2:8: unknown kind `solo`; expected one of individual, group, preparation, integration"
    );
}

#[test]
fn durations_that_do_not_parse() {
    assert_eq!(
        one(&PHASE.replace("\"10m\"", "\"10 minutes\"")),
        "6:11: `10 minutes` is not a duration; expected a number and a unit (h, m, s, ms), such as `90s`, `15m` or `1h30m`"
    );
    assert!(one(&format!("{PHASE}max = \"1.5h\"\n")).starts_with("8:7: `1.5h` is not a duration"));
}

#[test]
fn an_empty_scene() {
    assert_eq!(
        one(""),
        "the scene has no phases; expected at least one [[phase]]"
    );
}

#[test]
fn duplicate_phase_ids() {
    assert_eq!(
        one(&format!("{PHASE}{PHASE}")),
        "9:6: duplicate phase id `a`; first used on line 4"
    );
}

#[test]
fn bad_phase_ids() {
    assert_eq!(
        one(&PHASE.replace("\"a\"", "\"Arrival\"")),
        "4:6: phase id `Arrival` is not a plain name; expected lowercase letters, digits and `-`, such as `mat-1`"
    );
}

#[test]
fn planned_min_and_max() {
    assert_eq!(
        one(&PHASE.replace("\"10m\"", "\"0s\"")),
        "6:11: planned must be longer than zero"
    );
    assert_eq!(
        one(&format!("{PHASE}min = \"20m\"\nmax = \"15m\"\n")),
        "8:7: min 20m is above max 15m"
    );
    assert_eq!(
        one(&format!("{PHASE}min = \"12m\"\n")),
        "6:11: planned 10m is below min 12m"
    );
    assert_eq!(
        one(&format!("{PHASE}max = \"8m\"\n")),
        "6:11: planned 10m is above max 8m"
    );
}

#[test]
fn levels_and_looks_out_of_range() {
    assert_eq!(
        one(&format!(
            "{PHASE}music = {{ playlist = \"peak\", level_db = 3 }}\n"
        )),
        "8:41: level_db 3 is out of range; expected -60 to 0 dB"
    );
    let p = problems(&format!(
        "{PHASE}light.room = {{ brightness = 120, kelvin = 900 }}\n"
    ));
    assert_eq!(
        p,
        [
            "8:29: brightness 120 is out of range; expected 0 to 100 %",
            "8:43: kelvin 900 is out of range; expected 1000 to 10000 K"
        ]
    );
}

#[test]
fn unknown_zones_and_playlists() {
    assert_eq!(
        one(&format!(
            "{PHASE}light.desk = {{ brightness = 5, kelvin = 2200 }}\n"
        )),
        "8:7: unknown zone `desk`; expected one of the room's zones: room, mat-1"
    );
    assert_eq!(
        one(&format!(
            "{PHASE}music = {{ playlist = \"peek\", level_db = -12 }}\n"
        )),
        "8:22: unknown playlist `peek`; known playlists: arrival, peak"
    );
}

#[test]
fn music_that_does_not_add_up() {
    assert_eq!(
        one(&format!(
            "{PHASE}music = {{ silence = true, playlist = \"peak\" }}\n"
        )),
        "8:38: `playlist` does not go with `silence = true`; silence takes only `fade`"
    );
    assert_eq!(
        one(&format!("{PHASE}music = {{ playlist = \"peak\" }}\n")),
        "8:9: music with a playlist needs `level_db`, in dB below the ceiling (-60 to 0)"
    );
}

#[test]
fn light_that_would_jump() {
    let p = problems(&format!(
        "{PHASE}light.room = {{ brightness = 50, kelvin = 2700, fade = \"0s\" }}\n\
         [[phase.cue]]\nat = \"5m\"\nlight.mat-1 = {{ brightness = 100, kelvin = 4000, fade = \"500ms\" }}\n"
    ));
    assert_eq!(p.len(), 2, "{p:#?}");
    assert!(
        p[0].contains("`fade` of 0s would change the light at once"),
        "{p:#?}"
    );
    assert!(p[0].starts_with("8:"), "{p:#?}");
    assert!(p[1].contains("`fade` of 500ms"), "{p:#?}");
    assert!(
        problems(&format!(
            "{PHASE}light.room = {{ brightness = 50, kelvin = 2700, fade = \"1s\" }}\n"
        ))
        .is_empty()
    );
}

#[test]
fn a_cue_that_does_nothing() {
    assert_eq!(
        one(&format!("{PHASE}[[phase.cue]]\nat = \"5m\"\nlabel = \"x\"\n")),
        "9:6: a cue needs at least one of `prompt`, `music` or `light`"
    );
}

#[test]
fn scene_level_cues_only_remind() {
    let p = problems(&format!(
        "{PHASE}sets_mark = \"dose\"\n[[cue]]\nat = \"dose+5m\"\nprompt = \"x\"\nmusic = {{ level_db = -30 }}\n\
         light.room = {{ brightness = 5, kelvin = 2200 }}\n"
    ));
    assert_eq!(
        p,
        [
            "12:9: a scene-level cue is a reminder: prompt only; change music in a [[phase.cue]]",
            "13:1: a scene-level cue is a reminder: prompt only; change light in a [[phase.cue]]",
        ]
    );
    assert_eq!(
        one(&format!("{PHASE}[[cue]]\nat = \"5m\"\nprompt = \"x\"\n")),
        "9:6: a scene-level cue counts from `start` or a mark (dose, infusion, booster), not from a phase; write e.g. \
         `start+10m` or `dose+40m`"
    );
    assert_eq!(
        one(&format!("{PHASE}[[cue]]\nat = \"infusion+5m\"\nprompt = \"x\"\n")),
        "9:6: the cue counts from `infusion`, but no phase sets it (sets_mark = \"infusion\")"
    );
}

#[test]
fn scene_level_cues_after_the_session_ends() {
    // From dose to the end of peak: at most 15m + 40m (dosing's max, peak has none).
    let cue = |at: &str, extra: &str| format!("{TIMELINE}[[cue]]\nat = \"{at}\"\nprompt = \"x\"\n{extra}");
    for at in ["dose+55m", "start+1h15m", "booster+55m"] {
        assert_eq!(problems(&cue(at, "")), Vec::<String>::new(), "{at}");
    }
    assert_eq!(
        one(&cue("dose+4h", "")),
        "22:6: the cue at `dose+4h` comes after the session ends: from `dose`, set as phase `dosing` begins, \
         to the end of phase `peak` is at most 55m (every phase at its longest), so it would never fire"
    );
    assert!(one(&cue("start+1h16m", "")).starts_with(
        "22:6: the cue at `start+1h16m` comes after the session ends: from the session's start to the end of \
             phase `peak` is at most 1h15m"
    ));
    // A booster comes after the dose, at the earliest in the dosing phase, whose timer it
    // restarts: from it, at most dosing's 15m and peak's 40m remain.
    assert_eq!(
        one(&cue("booster+56m", "")),
        "22:6: the cue at `booster+56m` comes after the session ends: from a booster (given at the earliest in \
         phase `dosing`, after the dose; it restarts that phase's timer) to the end of phase `peak` is at most 55m \
         (every phase at its longest), so it would never fire"
    );
    assert!(
        one(&cue("booster+30m", "repeat = { every = \"15m\", times = 3 }\n"))
            .starts_with("24:10: the last repeat of the cue at `booster+30m` comes 1h after a booster")
    );
    assert_eq!(
        one(&cue("dose+40m", "repeat = { every = \"10m\", times = 3 }\n")),
        "24:10: the last repeat of the cue at `dose+40m` comes 1h after `dose`, set as phase `dosing` begins,, \
         after the session ends (at most 55m after it, every phase at its longest)"
    );
}

/// Arrival 0-15m (max 20m), dosing 15-25m (max 30m) setting dose, peak 25-65m (no max).
const TIMELINE: &str = "[[phase]]\nid = \"arrival\"\ntitle = \"A\"\nplanned = \"15m\"\nmax = \"20m\"\nends = \"therapist\"\n\
[[phase]]\nid = \"dosing\"\ntitle = \"D\"\nplanned = \"10m\"\nmax = \"15m\"\nends = \"prompt\"\nsets_mark = \"dose\"\n\
[[phase]]\nid = \"peak\"\ntitle = \"P\"\nplanned = \"40m\"\nends = \"timer\"\n";

fn timeline_cue(at: &str, extra: &str) -> String {
    format!("{TIMELINE}[[phase.cue]]\nat = \"{at}\"\nprompt = \"x\"\n{extra}")
}

#[test]
fn cues_inside_their_phase_pass() {
    for at in [
        "40m",
        "phase+40m",
        "dose+10m",
        "dose+50m",
        "start+25m",
        "start+1h5m",
        "booster+2h",
    ] {
        assert_eq!(problems(&timeline_cue(at, "")), Vec::<String>::new(), "{at}");
    }
}

#[test]
fn cues_outside_their_phase() {
    assert_eq!(
        one(&timeline_cue("41m", "")),
        "22:6: the cue at `41m` comes after the end of phase `peak` (its planned 40m; it has no max)"
    );
    assert_eq!(
        one(&timeline_cue("dose+5m", "")),
        "22:6: the cue at `dose+5m` comes at 20:00 on the planned timeline, before phase `peak` begins at 25:00"
    );
    assert_eq!(
        one(&timeline_cue("start+1h6m", "")),
        "22:6: the cue at `start+1h6m` comes at 1:06:00 on the planned timeline, after phase `peak` ends at \
         1:05:00 (its planned 40m; it has no max)"
    );
    // Into the dosing phase's max (15m), not only its planned 10m.
    let dosing_cue = TIMELINE.replace(
        "sets_mark = \"dose\"\n",
        "sets_mark = \"dose\"\n[[phase.cue]]\nat = \"dose+16m\"\nprompt = \"x\"\n",
    );
    assert_eq!(
        one(&dosing_cue),
        "17:6: the cue at `dose+16m` comes at 31:00 on the planned timeline, after phase `dosing` ends at 30:00 \
         (its max of 15m)"
    );
}

#[test]
fn a_repeat_must_end_inside_the_phase() {
    assert_eq!(
        one(&timeline_cue("10m", "repeat = { every = \"16m\", times = 3 }\n")),
        "24:10: the last repeat of the cue at `10m` comes 42m into the phase, after phase `peak` ends (its \
         planned 40m; it has no max)"
    );
}

#[test]
fn marks_must_be_set_before_they_are_counted_from() {
    let arrival_cue = TIMELINE.replace(
        "ends = \"therapist\"\n",
        "ends = \"therapist\"\n[[phase.cue]]\nat = \"dose+1m\"\nprompt = \"x\"\n",
    );
    assert_eq!(
        one(&arrival_cue),
        "10:6: the cue counts from `dose`, but no phase at or before `arrival` sets it (sets_mark = \"dose\")"
    );
    let booster = TIMELINE.replace(
        "ends = \"therapist\"\n",
        "ends = \"therapist\"\n[[phase.cue]]\nat = \"booster+1m\"\nprompt = \"x\"\n",
    );
    assert_eq!(
        one(&booster),
        "10:6: the cue counts from `booster`, but no phase at or before `arrival` sets dose or infusion for a \
         booster to follow"
    );
}

#[test]
fn a_mark_is_set_once() {
    let twice = TIMELINE.replace("ends = \"timer\"\n", "ends = \"timer\"\nsets_mark = \"dose\"\n");
    assert_eq!(
        one(&twice),
        "21:13: mark `dose` is already set by phase `dosing` on line 15; a mark is set once"
    );
}

#[test]
fn ramps_stay_inside_their_phase() {
    let ramp = |r: &str| format!("{PHASE}light.room = {{ brightness = 5, kelvin = 2400, ramp = {r} }}\n");
    assert_eq!(
        problems(&ramp(
            "{ to = { brightness = 25, kelvin = 2700 }, over = \"10m\" }"
        )),
        Vec::<String>::new()
    );
    assert_eq!(
        one(&ramp(
            "{ to = { brightness = 25, kelvin = 2700 }, start = \"5m\", over = \"6m\" }"
        )),
        "8:54: the ramp runs until 11m, past the phase's planned 10m; it has no max"
    );
    assert_eq!(
        one(&ramp(
            "{ to = { brightness = 25, kelvin = 2700 }, start = \"10m\" }"
        )),
        "8:54: the ramp starts at 10m, at or after the phase's planned end (10m); give `over`"
    );
}

#[test]
fn closing_phase_must_exist() {
    let body = format!("closing_phase = \"end\"\n{PHASE}");
    assert_eq!(
        one(&body),
        "3:17: closing_phase `end` names no phase; expected one of a"
    );
}

#[test]
fn repeats_need_an_interval_and_a_count() {
    let cue = |r: &str| format!("{PHASE}[[phase.cue]]\nat = \"1m\"\nprompt = \"x\"\nrepeat = {r}\n");
    assert_eq!(
        one(&cue("{ every = \"0s\", times = 2 }")),
        "11:20: repeat `every` must be longer than zero"
    );
    assert_eq!(
        one(&cue("{ every = \"1m\", times = 0 }")),
        "11:34: repeat times 0 is out of range; expected 1 to 1000"
    );
}

#[test]
fn every_problem_in_the_file_is_reported() {
    let body = format!(
        "{PHASE}colour = 1\n{}{}",
        PHASE.replace("\"a\"", "\"b\"").replace("timer", "later"),
        PHASE.replace("\"a\"", "\"c\"").replace("\"10m\"", "\"ten\"")
    );
    let p = problems(&body);
    assert_eq!(p.len(), 3, "{p:#?}");
    assert!(p[0].starts_with("8:1: unknown field `colour`"));
    assert!(p[1].starts_with("13:8: unknown ends `later`"));
    assert!(p[2].starts_with("17:11: `ten` is not a duration"));
}

#[test]
fn a_prompt_can_ask_for_vitals() {
    let text = format!(
        "title = \"Test\"\nkind = \"individual\"\n{PHASE}[[phase.cue]]\nat = \"0s\"\nprompt = \"Blood pressure\"\n\
         asks = \"vitals\"\n"
    );
    let zones: Vec<String> = ZONES.iter().map(|s| s.to_string()).collect();
    let playlists: Vec<String> = PLAYLISTS.iter().map(|s| s.to_string()).collect();
    let ctx = SceneContext {
        zones: &zones,
        playlists: &playlists,
    };
    let scene = parse_scene("test", Path::new("s.toml"), &text, &ctx).unwrap();
    assert_eq!(scene.phases[0].cues[0].asks, Some(crate::scene::Asks::Vitals));
    assert_eq!(
        one(&format!(
            "{PHASE}[[phase.cue]]\nat = \"0s\"\nprompt = \"x\"\nasks = \"pulse\"\n"
        )),
        "11:8: unknown asks `pulse`; expected one of vitals"
    );
    assert_eq!(
        one(&format!(
            "{PHASE}[[phase.cue]]\nat = \"0s\"\nmusic = {{ level_db = -30 }}\nasks = \"vitals\"\n"
        )),
        "11:8: `asks` needs a `prompt`: it says what the prompt asks for"
    );
}
