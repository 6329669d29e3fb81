//! `settingd`'s own flags for operators: `--check` validates what a start would use without
//! starting anything, and `--log-format json` makes every log line a JSON object.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{Daemon, repo_path};

/// Runs `settingd` with a clean environment for its own variables, so a developer's
/// `SETTING_CONFIG` or `SETTINGD_LOG` cannot leak into a test.
fn settingd(args: &[&str], envs: &[(&str, &Path)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_settingd"))
        .args(args)
        .env_remove("SETTING_CONFIG")
        .env_remove("SETTINGD_LOG")
        .env_remove("JOURNAL_STREAM")
        .envs(envs.iter().copied())
        .output()
        .expect("cannot run settingd")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The shipped config, with absolute paths to the repository's scenes and playlists and the
/// socket and state directory moved under `dir`, which is where a start would create them.
fn temp_config(dir: &Path) -> (PathBuf, String) {
    let shipped = fs::read_to_string(repo_path("config/settingd.toml")).expect("shipped config");
    let mut text = shipped;
    for what in ["scenes", "playlists", "media"] {
        let relative = format!("{what} = \"../{what}\"");
        assert!(
            text.contains(&relative),
            "the shipped config no longer has `{relative}`"
        );
        let absolute = format!("{what} = {:?}", repo_path(what).display().to_string());
        text = text.replacen(&relative, &absolute, 1);
    }
    let daemon = format!(
        "speed = 1\nsocket = {:?}\nstate_dir = {:?}",
        dir.join("run/settingd.sock").display().to_string(),
        dir.join("state").display().to_string()
    );
    assert!(
        text.contains("\nspeed = 1\n"),
        "the shipped config no longer has `speed = 1`"
    );
    text = text.replacen("\nspeed = 1\n", &format!("\n{daemon}\n"), 1);
    (dir.join("settingd.toml"), text)
}

#[test]
fn the_shipped_config_checks_clean() {
    let config = repo_path("config/settingd.toml");
    let out = settingd(&["--check", "--config", config.to_str().unwrap()], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("scenes,") && err.contains("playlists, no problems"),
        "{err}"
    );
    assert!(
        err.contains(config.to_str().unwrap()),
        "names the file it checked: {err}"
    );
}

#[test]
fn check_finds_the_config_through_setting_config_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (path, text) = temp_config(dir.path());
    fs::write(&path, text).unwrap();
    let out = settingd(&["--check"], &[("SETTING_CONFIG", &path)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("config {}:", path.display())),
        "{}",
        stderr(&out)
    );
    assert!(
        !dir.path().join("state").exists(),
        "--check must not create the state directory"
    );
    assert!(
        !dir.path().join("run").exists(),
        "--check must not bind the socket"
    );
}

#[test]
fn check_exits_2_with_file_line_col_for_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let (path, text) = temp_config(dir.path());
    let text = text.replacen("\nspeed = 1\n", "\nspeed = 1\nsped = 2\n", 1);
    let line = text.lines().position(|l| l == "sped = 2").unwrap() + 1;
    fs::write(&path, text).unwrap();
    let out = settingd(&["--check", "--config", path.to_str().unwrap()], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let at = format!("{}:{line}:1: ", path.display());
    assert!(err.contains(&at), "expected `{at}` in:\n{err}");
    assert!(!err.contains("no problems"), "{err}");
    assert!(
        !dir.path().join("state").exists(),
        "--check must not create the state directory"
    );
    assert!(
        !dir.path().join("run").exists(),
        "--check must not bind the socket"
    );
}

#[test]
fn check_exits_2_for_a_broken_scene() {
    let dir = tempfile::tempdir().unwrap();
    let scenes = dir.path().join("scenes");
    fs::create_dir(&scenes).unwrap();
    for entry in fs::read_dir(repo_path("scenes")).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), scenes.join(entry.file_name())).unwrap();
    }
    fs::write(scenes.join("broken.toml"), "this is = = not toml\n").unwrap();
    let (path, text) = temp_config(dir.path());
    let shipped_scenes = format!("scenes = {:?}", repo_path("scenes").display().to_string());
    let text = text.replacen(
        &shipped_scenes,
        &format!("scenes = {:?}", scenes.display().to_string()),
        1,
    );
    fs::write(&path, text).unwrap();
    let out = settingd(&["--check", "--config", path.to_str().unwrap()], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let at = format!("{}:1:", scenes.join("broken.toml").display());
    assert!(err.contains(&at), "expected `{at}` in:\n{err}");
}

#[test]
fn log_format_json_makes_every_stderr_line_a_json_object() {
    let mut daemon = Daemon::builder().arg("--log-format").arg("json").start();
    daemon.terminate();
    let log = daemon.log_text();
    let mut messages = Vec::new();
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        let event: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        let message = event["fields"]["message"].as_str();
        messages.push(
            message
                .unwrap_or_else(|| panic!("no fields.message: {line}"))
                .to_string(),
        );
    }
    assert!(messages.iter().any(|m| m == "listening"), "{messages:?}");
}
