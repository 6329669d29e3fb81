//! `setting validate` and `settingd --check` on files with many mistakes: every problem of
//! every stage in one run, each at its file, line and column, and a config that cannot be read
//! shown as itself rather than as a missing config.

use std::path::Path;
use std::process::{Command, Output};

use crate::cli_fixes::{checkout, fresh, stderr, stdout};
use crate::support::assert_code;

/// The shipped sublingual scene with two mistyped keys, an unknown playlist, a cue after its
/// phase and a reminder after the session's end.
fn mistaken_scene(dir: &Path) -> String {
    let shipped = std::fs::read_to_string(dir.join("scenes/sublingual.toml")).unwrap();
    let edits = [
        (
            "title = \"Onset: eyeshade on\"\nplanned",
            "title = \"Onset: eyeshade on\"\nplaned",
        ),
        ("max = \"55m\"\nends", "max = \"55m\"\nendz"),
        ("playlist = \"arrival\"", "playlist = \"arival\""),
        ("at = \"dose+75m\"", "at = \"dose+95m\""),
    ];
    let mut text = shipped;
    for (from, to) in edits {
        assert!(text.contains(from), "the shipped scene no longer has {from:?}");
        text = text.replacen(from, to, 1);
    }
    text.push_str("\n[[cue]]\nat = \"dose+4h\"\nprompt = \"Too late\"\n");
    text
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).expect(needle) + 1
}

/// The text as an editor saving in Latin-1 would write it.
fn latin1(text: &str) -> Vec<u8> {
    text.chars()
        .flat_map(|c| match u8::try_from(u32::from(c)) {
            Ok(byte) => vec![byte],
            Err(_) => c.to_string().into_bytes(),
        })
        .collect()
}

fn settingd_check(config: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_settingd"))
        .args(["--config", &config.display().to_string(), "--check"])
        .env_remove("SETTING_CONFIG")
        .env_remove("SETTINGD_LOG")
        .output()
        .expect("cannot run settingd")
}

#[test]
fn every_mistake_in_a_scene_is_reported_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    checkout(dir.path());
    let text = mistaken_scene(dir.path());
    std::fs::write(dir.path().join("scenes/mistaken.toml"), &text).unwrap();

    let out = validate_mistaken_scene(dir.path());
    assert_code(&out, 1);
    let said = stdout(&out);
    let lines: Vec<&str> = said.lines().collect();
    let at = |needle: &str| format!("scenes/mistaken.toml:{}:", line_of(&text, needle));
    let expected = [
        (at("playlist = \"arival\""), "unknown playlist `arival`"),
        (at("planed = "), "unknown field `planed`"),
        (at("endz = "), "unknown field `endz`"),
        (
            at("dose+95m"),
            "the cue at `dose+95m` comes at 2:05:00 on the planned timeline, after phase `peak` ends",
        ),
        (at("dose+4h"), "the cue at `dose+4h` comes after the session ends"),
    ];
    assert_eq!(lines.len(), expected.len(), "{said}");
    for (line, (place, message)) in lines.iter().zip(&expected) {
        assert!(
            line.starts_with(place.as_str()) && line.contains(message),
            "{line}\nexpected {place} {message}"
        );
    }
    assert!(lines[1].ends_with("did you mean `planned`?"), "{said}");
    assert!(
        stderr(&out).contains("checked the file: 5 problems"),
        "{}",
        stderr(&out)
    );

    // The daemon refuses the same scene before starting, with the same places.
    let out = settingd_check(&dir.path().join("config/settingd.toml"));
    assert_code(&out, 2);
    let said = stderr(&out);
    assert_eq!(
        said.lines().filter(|l| l.contains("mistaken.toml:")).count(),
        5,
        "{said}"
    );
    assert!(
        said.contains("the cue at `dose+4h` comes after the session ends"),
        "{said}"
    );
}

#[test]
fn a_config_that_cannot_be_read_is_shown_at_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    checkout(dir.path());
    let config = dir.path().join("config/settingd.toml");
    let shipped = std::fs::read_to_string(&config).unwrap();
    let env = [("SETTING_CONFIG", config.as_path())];
    let cases: [(&str, Vec<u8>, &str); 3] = [
        (
            "a TOML syntax error",
            shipped
                .replacen("name = \"demo-room\"", "name = \"demo-room", 1)
                .into_bytes(),
            "name = \"demo-room",
        ),
        (
            "a byte that is not UTF-8",
            latin1(&shipped.replacen("speed = 1", "speed = 1 # caf\u{e9}", 1)),
            "speed = 1 # caf",
        ),
        (
            "a scenes directory that is not there",
            shipped
                .replacen("scenes = \"../scenes\"", "scenes = \"../sceens\"", 1)
                .into_bytes(),
            "scenes = \"../sceens\"",
        ),
    ];
    for (what, bytes, needle) in cases {
        std::fs::write(&config, &bytes).unwrap();
        let line = line_of(&String::from_utf8_lossy(&bytes), needle);
        let place = format!("config/settingd.toml:{line}:");
        for args in [&["validate", "config/settingd.toml"][..], &["validate"][..]] {
            let out = fresh(dir.path(), args, &env);
            assert_code(&out, 1);
            let said = stdout(&out);
            let said = said.replace(&format!("{}/", dir.path().display()), "");
            assert!(
                said.starts_with(&place),
                "{what}, `setting {}`: {said}{}",
                args.join(" "),
                stderr(&out)
            );
            assert!(
                !stderr(&out).contains("without a config"),
                "{what}: {}",
                stderr(&out)
            );
        }
        let out = settingd_check(&config);
        assert_code(&out, 2);
        let said = stderr(&out).replace(&format!("{}/", dir.path().display()), "");
        assert!(said.starts_with(&place), "{what}, settingd --check: {said}");
    }
}

#[test]
fn a_value_of_the_wrong_type_leaves_the_rest_of_its_phase_checked() {
    // The peak's planned length written as a bare number, a cue after the peak's end, a typo in
    // another phase and a reminder after any booster could still be followed by the session.
    let dir = tempfile::tempdir().unwrap();
    checkout(dir.path());
    let mut text = std::fs::read_to_string(dir.path().join("scenes/sublingual.toml")).unwrap();
    for (from, to) in [
        ("planned = \"40m\"", "planned = 40"),
        ("at = \"dose+75m\"", "at = \"dose+95m\""),
        ("title = \"Integration\"", "tilte = \"Integration\""),
    ] {
        assert_eq!(
            text.matches(from).count(),
            1,
            "the shipped scene no longer has one {from:?}"
        );
        text = text.replacen(from, to, 1);
    }
    text.push_str("\n[[cue]]\nat = \"booster+3h30m\"\nprompt = \"Too late\"\n");
    std::fs::write(dir.path().join("scenes/mistaken.toml"), &text).unwrap();

    let out = validate_mistaken_scene(dir.path());
    assert_code(&out, 1);
    let said = stdout(&out);
    let lines: Vec<&str> = said.lines().collect();
    // Where `token` is written on the line holding `line`.
    let at = |line: &str, token: &str| {
        let number = line_of(&text, line);
        let column = text.lines().nth(number - 1).unwrap().find(token).unwrap() + 1;
        format!("scenes/mistaken.toml:{number}:{column}: ")
    };
    let expected = [
        format!(
            "{}invalid type: integer `40`, expected a string",
            at("planned = 40", "40")
        ),
        format!(
            "{}the cue at `dose+95m` comes at 2:05:00 on the planned timeline, after phase `peak` ends at 1:45:00 \
             (its max of 55m)",
            at("dose+95m", "\"")
        ),
        format!(
            "{}unknown field `tilte`, expected one of `id`, `title`, `planned`, `min`, `max`, `ends`, `sets_mark`, \
             `music`, `light`, `cue`; did you mean `title`?",
            at("tilte", "tilte")
        ),
        format!(
            "{}the cue at `booster+3h30m` comes after the session ends: from a booster (given at the earliest in \
             phase `dosing`, after the dose; it restarts that phase's timer) to the end of phase `discharge` is at \
             most 3h10m (every phase at its longest), so it would never fire",
            at("booster+3h30m", "\"")
        ),
    ];
    assert_eq!(lines, expected, "{said}");

    // The daemon refuses the scene before starting, with the same four problems.
    let out = settingd_check(&dir.path().join("config/settingd.toml"));
    assert_code(&out, 2);
    let said = stderr(&out);
    for line in &expected {
        assert!(said.contains(line.as_str()), "{line}\nnot in\n{said}");
    }
}

/// `setting validate scenes/mistaken.toml` in the checkout at `dir`.
fn validate_mistaken_scene(dir: &Path) -> Output {
    fresh(
        dir,
        &[
            "--config",
            "config/settingd.toml",
            "validate",
            "scenes/mistaken.toml",
        ],
        &[],
    )
}
