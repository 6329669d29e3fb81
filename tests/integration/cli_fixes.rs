//! What `setting` says and does where its docs and its behaviour once parted: the README's own
//! commands run from a checkout, `validate` on the files named, a request a stopped daemon
//! carries out later, signed volume steps, `resume` after an emergency with no session, and
//! `playlist skips` on a directory that is not there.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::json;

use crate::support::{Daemon, assert_code, eventually, repo_path, setting, setting_against as against};

pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The shipped config, scenes and playlists copied into `dir`, the media linked: a checkout's
/// layout where a command may write (`plan --svg`) without touching the repository.
pub(crate) fn checkout(dir: &Path) {
    for sub in ["config", "scenes", "playlists"] {
        copy_dir(&repo_path(sub), &dir.join(sub));
    }
    std::os::unix::fs::symlink(repo_path("media"), dir.join("media")).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// `setting` run in `dir` as a fresh account would run it: no config of its own anywhere, no
/// `SETTING_*` variables, `extra` set on top.
pub(crate) fn fresh(dir: &Path, args: &[&str], extra: &[(&str, &Path)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_setting"));
    command
        .args(args)
        .current_dir(dir)
        .env("HOME", dir.join("home"))
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("SETTING_SOCKET")
        .env_remove("SETTING_CONFIG");
    for (key, value) in extra {
        command.env(key, value);
    }
    command.output().expect("cannot run setting")
}

/// The README's fenced block that holds `line`.
fn readme_block(line: &str) -> String {
    let readme = std::fs::read_to_string(repo_path("README.md")).unwrap();
    readme
        .split("```")
        .skip(1)
        .step_by(2)
        .find(|block| block.lines().any(|l| l.trim_start().starts_with(line)))
        .unwrap_or_else(|| panic!("no block in README.md with `{line}`"))
        .to_string()
}

#[test]
fn the_readme_validate_and_plan_steps_work_in_a_fresh_checkout() {
    let dir = tempfile::tempdir().unwrap();
    checkout(dir.path());
    let block = readme_block("setting plan sublingual");
    let binaries = Path::new(env!("CARGO_BIN_EXE_setting")).parent().unwrap();
    let path = format!(
        "{}:{}",
        binaries.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // Each line as a person would type it, in order, stopping at the first that fails.
    let out = Command::new("sh")
        .args([
            "-e",
            "-x",
            "-c",
            block.trim_start_matches(|c: char| c.is_alphanumeric()),
        ])
        .current_dir(dir.path())
        .env("PATH", path)
        .env("HOME", dir.path().join("home"))
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("SETTING_SOCKET")
        .env_remove("SETTING_CONFIG")
        .output()
        .unwrap();
    assert_code(&out, 0);
    assert!(stdout(&out).contains("sublingual"), "{}", stdout(&out));
    assert!(dir.path().join("arc.svg").is_file(), "{}", stderr(&out));

    // The technicians' line: the config named is the config checked.
    let out = fresh(dir.path(), &["validate", "config/settingd.toml"], &[]);
    assert_code(&out, 0);
    assert!(stderr(&out).contains("no problems"), "{}", stderr(&out));
}

#[test]
fn validate_checks_the_files_named_against_the_config_named_with_them() {
    let dir = tempfile::tempdir().unwrap();
    checkout(dir.path());
    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        "[room]\nname = \"x\"\nbogus = 1\n[[room.zone]]\nname = \"room\"\n",
    )
    .unwrap();

    // No config anywhere but the one named: it is used for the scene and the playlist.
    let out = fresh(
        dir.path(),
        &[
            "validate",
            "config/settingd.toml",
            "scenes/sublingual.toml",
            "playlists/peak.toml",
        ],
        &[],
    );
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains("checked the 3 files: no problems"),
        "{}",
        stderr(&out)
    );

    // A broken config found as usual does not stand in for the files named.
    let env = [("SETTING_CONFIG", broken.as_path())];
    let out = fresh(
        dir.path(),
        &["validate", "config/settingd.toml", "scenes/sublingual.toml"],
        &env,
    );
    assert_code(&out, 0);
    assert!(!stdout(&out).contains("bogus"), "{}", stdout(&out));

    // With nothing to check a scene against, it says so, naming the config and the file.
    let out = fresh(dir.path(), &["validate", "scenes/sublingual.toml"], &env);
    assert_code(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("cannot check scenes/sublingual.toml"), "{err}");
    assert!(err.contains(&broken.display().to_string()), "{err}");

    // A broken config named is reported as itself, line and column.
    let out = fresh(dir.path(), &["validate", "broken.toml"], &[]);
    assert_code(&out, 1);
    assert!(stdout(&out).starts_with("broken.toml:3:1: "), "{}", stdout(&out));

    // And the scene named with it is not checked against another config nobody named.
    let good = dir.path().join("config/settingd.toml");
    let out = fresh(
        dir.path(),
        &["validate", "broken.toml", "scenes/sublingual.toml"],
        &[("SETTING_CONFIG", good.as_path())],
    );
    assert_code(&out, 1);
    let said = stdout(&out);
    assert!(said.starts_with("broken.toml:3:1: "), "{said}");
    assert!(said.contains("scenes/sublingual.toml: not checked"), "{said}");
}

#[test]
fn a_request_a_stopped_daemon_did_not_answer_is_said_to_be_sent_and_is_carried_out_later() {
    let daemon = Daemon::start();
    let pid = libc::pid_t::try_from(daemon.pid().expect("running")).expect("pid fits");
    // SAFETY: kill(2) on the daemon this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0);
    let out = against(&daemon, &["start", "sublingual"]);
    // SAFETY: as above.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGCONT) }, 0);

    assert_code(&out, 3);
    let err = stderr(&out);
    assert!(err.contains("was sent to settingd"), "{err}");
    assert!(err.contains("may or may not have been carried out"), "{err}");
    assert!(!err.contains("cannot reach"), "{err}");

    let started = eventually(Duration::from_secs(15), || {
        let status = daemon.status();
        (status["session"]["scene"] == "sublingual").then_some(())
    });
    assert!(
        started.is_some(),
        "the request the daemon read on waking was not carried out: {}",
        daemon.status()
    );
}

#[test]
fn volume_takes_signed_steps_with_or_without_db() {
    let daemon = Daemon::start();
    daemon.ok(json!({"op": "start", "scene": "sublingual"}));
    for (step, offset) in [("-3dB", -3.0), ("-3", -6.0), ("+3dB", -3.0)] {
        let out = against(&daemon, &["volume", step]);
        assert_code(&out, 0);
        assert!(stdout(&out).starts_with("volume "), "{}", stdout(&out));
        assert_eq!(
            daemon.status()["session"]["volume_offset_db"],
            offset,
            "after {step}"
        );
    }
}

#[test]
fn resume_after_an_emergency_with_no_session_says_no_scene_comes_back() {
    let daemon = Daemon::start();
    daemon.ok(json!({"op": "emergency"}));
    let out = against(&daemon, &["resume"]);
    assert_code(&out, 0);
    let said = stdout(&out);
    assert!(
        said.starts_with("emergency ended (no session is running)"),
        "{said}"
    );
    assert!(!said.contains("scene comes back"), "{said}");
}

#[test]
fn playlist_skips_on_a_state_directory_that_is_not_there_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-state");
    let out = setting(&["playlist", "skips", "--state-dir", missing.to_str().unwrap()]);
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains(&missing.display().to_string()),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));

    // An existing one with no sessions yet is an empty list, not an error.
    let out = setting(&["playlist", "skips", "--state-dir", dir.path().to_str().unwrap()]);
    assert_code(&out, 0);
    assert!(stderr(&out).contains("0 tracks skipped"), "{}", stderr(&out));
}

#[test]
fn usage_lines_do_not_show_what_the_environment_supplies_as_required() {
    let dir = tempfile::tempdir().unwrap();
    let (socket, config) = (dir.path().join("s.sock"), dir.path().join("c.toml"));
    let env = [
        ("SETTING_SOCKET", socket.as_path()),
        ("SETTING_CONFIG", config.as_path()),
    ];
    let out = fresh(dir.path(), &["start"], &env);
    assert_code(&out, 2);
    let err = stderr(&out);
    let usage = err
        .lines()
        .find(|l| l.starts_with("Usage:"))
        .unwrap_or_else(|| panic!("{err}"));
    assert_eq!(usage, "Usage: setting start <SCENE>", "{err}");
    // What was typed is still shown.
    let out = fresh(dir.path(), &["extend", "--config", "c.toml"], &env);
    let err = stderr(&out);
    assert!(
        err.contains("Usage: setting extend --config <FILE> <DURATION>"),
        "{err}"
    );
    // And the help still names the variables.
    let out = fresh(dir.path(), &["start", "--help"], &env);
    assert_code(&out, 0);
    assert!(stdout(&out).contains("[env: SETTING_SOCKET="), "{}", stdout(&out));
}

#[test]
fn every_bad_extension_is_bad_input_with_the_form_named() {
    let daemon = Daemon::start();
    daemon.ok(json!({"op": "start", "scene": "sublingual"}));
    for bad in ["0m", "banana", "-5m", "5"] {
        let out = against(&daemon, &["extend", bad]);
        assert_code(&out, 2);
        let err = stderr(&out);
        assert!(
            err.contains(&format!("`{bad}` is not a length to extend by")),
            "{err}"
        );
        assert!(err.contains("such as `5m`, `10m` or `1h15m`"), "{err}");
        assert!(!err.contains("-- -5"), "{err}");
    }
    let out = against(&daemon, &["extend", "5m"]);
    assert_code(&out, 0);
    assert!(
        stdout(&out).starts_with("phase extended by 5m"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn volume_with_no_change_shows_the_level_now() {
    let daemon = Daemon::start();
    let out = against(&daemon, &["volume"]);
    assert_code(&out, 0);
    assert!(stdout(&out).starts_with("no session running"), "{}", stdout(&out));

    daemon.ok(json!({"op": "start", "scene": "sublingual"}));
    daemon.ok(json!({"op": "volume", "delta_db": -3.0}));
    let out = against(&daemon, &["volume"]);
    assert_code(&out, 0);
    let said = stdout(&out);
    assert!(said.starts_with("volume: "), "{said}");
    assert!(said.contains("nudged -3.0 dB"), "{said}");
    let out = against(&daemon, &["--json", "volume"]);
    assert_code(&out, 0);
    let level: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(level["volume_offset_db"], -3.0, "{level}");
    assert_eq!(
        level["level_db"],
        daemon.status()["session"]["music"]["level_db"],
        "{level}"
    );
}

/// Runs `setting ARGS` with stdout a pipe read for `keep` bytes and then closed, as `| head`
/// does; returns the exit code and stderr.
fn cut_short(args: &[&str], keep: usize) -> (Option<i32>, String) {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_setting"))
        .args(args)
        .env_remove("SETTING_SOCKET")
        .env("SETTING_CONFIG", repo_path("config/settingd.toml"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = vec![0; keep];
    child.stdout.take().unwrap().read_exact(&mut head).unwrap();
    // The reader is dropped here: the rest of the output meets a closed pipe.
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn output_cut_short_by_its_reader_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("events.jsonl");
    // A long session log: the report's text outgrows the pipe's buffer.
    use setting::protocol::LogEntry;
    use setting::time::Millis;
    use setting::timeline::{Event, EventKind};
    let entry = |seq: u64, kind: EventKind| {
        let event = Event {
            at: Millis(seq * 1000),
            timeline: Millis(seq * 1000),
            kind,
        };
        let entry = LogEntry {
            seq,
            wall: "2026-01-01T09:00:00.000Z".into(),
            session: "s1".into(),
            event,
        };
        serde_json::to_string(&entry).unwrap()
    };
    let mut lines = vec![entry(
        1,
        EventKind::SessionStarted {
            scene: "sublingual".into(),
            session: "s1".into(),
        },
    )];
    lines.extend((2..2000).map(|seq| {
        entry(
            seq,
            EventKind::Error {
                message: format!("error {seq} {}", "x".repeat(100)),
            },
        )
    }));
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    for args in [
        vec!["completions", "bash"],
        vec!["completions", "fish"],
        vec!["report", "--log", log.to_str().unwrap()],
        vec!["report", "--csv", "--log", log.to_str().unwrap()],
    ] {
        let (code, err) = cut_short(&args, 10);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}

#[test]
fn bash_completes_scenes_after_start_and_zones_and_lights_after_lights_set() {
    let dir = tempfile::tempdir().unwrap();
    checkout(dir.path());
    let out = setting(&["completions", "bash"]);
    assert_code(&out, 0);
    let script = dir.path().join("setting.bash");
    std::fs::write(&script, &out.stdout).unwrap();
    // A scene added after the script was written is offered too.
    std::fs::copy(
        dir.path().join("scenes/sublingual.toml"),
        dir.path().join("scenes/sublingual-short.toml"),
    )
    .unwrap();
    let binaries = Path::new(env!("CARGO_BIN_EXE_setting")).parent().unwrap();
    let complete = |words: &str| -> Vec<String> {
        let program = format!(
            "source {}\nCOMP_WORDS=({words})\nCOMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))\n\
             _setting_with_names setting \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        );
        let out = Command::new("bash")
            .args(["-c", &program])
            .current_dir(dir.path())
            .env("PATH", format!("{}:/usr/bin:/bin", binaries.display()))
            .env("SETTING_CONFIG", dir.path().join("config/settingd.toml"))
            .env_remove("SETTING_SOCKET")
            .output()
            .expect("bash");
        assert_code(&out, 0);
        stdout(&out)
            .lines()
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect()
    };
    let mut scenes: Vec<String> = std::fs::read_dir(dir.path().join("scenes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    scenes.sort();
    let mut offered = complete("setting start ''");
    offered.sort();
    assert_eq!(offered, scenes);
    assert_eq!(complete("setting start sublingual-"), ["sublingual-short"]);
    // With the config named on the line, from that config.
    assert_eq!(
        complete("setting --config config/settingd.toml plan sub").len(),
        2,
        "sublingual and sublingual-short"
    );

    let config = setting::config::load_config(&dir.path().join("config/settingd.toml")).unwrap();
    let targets = complete("setting lights set ''");
    for zone in &config.room.zones {
        assert!(targets.contains(&zone.name), "{} in {targets:?}", zone.name);
    }
    for light in &config.lights.lights {
        assert!(targets.contains(&light.name), "{} in {targets:?}", light.name);
    }
    let zones = complete("setting check --zone ''");
    assert_eq!(zones.len(), config.room.zones.len(), "{zones:?}");
    // Elsewhere the generated completion answers as before.
    assert_eq!(complete("setting sta"), ["start", "status"]);
}
