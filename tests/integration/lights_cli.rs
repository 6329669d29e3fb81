//! `setting lights` against a real `settingd` over its real socket: what a technician may do
//! with no session, what is refused while one runs, bad input, a room with no lights, and a
//! demo room whose simulated Zigbee2MQTT lights answer on the daemon's private broker.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use setting::lights::level::device_level;

use crate::support::{Daemon, assert_code, eventually, paths_and_null_audio, repo_path};

/// A room with zones but no lights: the daemon only logs what it would set.
fn config_without_lights(dir: &Path) -> PathBuf {
    let path = dir.join("settingd.toml");
    let text = format!(
        r#"[room]
name = "bare-room"

[[room.zone]]
name = "room"

[[room.zone]]
name = "mat-1"

{paths}"#,
        paths = paths_and_null_audio(&repo_path("scenes")),
    );
    std::fs::write(&path, text).expect("write the config");
    path
}

/// A daemon for a room without lights, and the directory holding its config.
fn bare_daemon() -> (Daemon, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config_without_lights(dir.path());
    (Daemon::builder().config(config).start(), dir)
}

fn setting(daemon: &Daemon, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_setting"))
        .arg("--socket")
        .arg(daemon.socket())
        .args(args)
        .env_remove("SETTING_SOCKET")
        .env_remove("SETTING_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run setting");
    // A command that does not read its input may have exited already.
    let _ = child.stdin.take().expect("stdin").write_all(stdin.as_bytes());
    child.wait_with_output().expect("setting output")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_room_without_lights_lists_none_and_refuses_to_set_them_plainly() {
    let (daemon, _dir) = bare_daemon();
    let out = setting(&daemon, &["lights", "list"], "");
    assert_code(&out, 0);
    assert!(
        text(&out.stdout).contains("no lights configured"),
        "{}",
        text(&out.stdout)
    );

    let out = setting(&daemon, &["--json", "lights", "list"], "");
    assert_code(&out, 0);
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["lights"], json!([]));
    assert_eq!(report["connected"], json!(false));

    for args in [
        &["lights", "set", "room", "40%", "2700K"][..],
        &["lights", "test"],
        &["lights", "test", "mat-1"],
        &["lights", "calibrate", "ceiling-1"],
    ] {
        let out = setting(&daemon, args, "q\n");
        assert_code(&out, 1);
        let err = text(&out.stderr);
        assert!(err.contains("no lights configured"), "{args:?}: {err}");
    }
}

#[test]
fn bad_values_are_bad_input_before_anything_is_sent() {
    let (daemon, _dir) = bare_daemon();
    for args in [
        &["lights", "set", "room", "140%", "2700K"][..],
        &["lights", "set", "room", "40%", "warm"],
        &["lights", "set", "room", "40%", "200K"],
        &["lights", "set", "room", "40%", "2700K", "--fade", "soon"],
        &["lights", "set", "room", "40%", "--fade", "-5s"],
        &["lights", "set", "room", "dim"],
        &["lights", "dim"],
    ] {
        let out = setting(&daemon, args, "");
        assert_code(&out, 2);
    }
    // The daemon refuses the same values from any client, and unknown fields too.
    for request in [
        json!({"op": "lights_set", "target": "room", "brightness": 40, "kelvin": 2700, "fade": "soon"}),
        json!({"op": "lights_set", "target": "room", "brightness": 400, "kelvin": 2700}),
        json!({"op": "lights_set", "target": "room", "brightness": 40, "kelvin": 2700, "zone": "x"}),
        json!({"op": "lights_calibrate", "light": "ceiling-1", "level": 3}),
    ] {
        let reply = daemon.request(request.clone());
        assert_eq!(reply["ok"], json!(false), "{request}: {reply}");
        assert_eq!(reply["error"]["kind"], json!("bad_request"), "{request}: {reply}");
    }
}

#[test]
fn technicians_commands_are_refused_while_a_session_owns_the_lights() {
    let (daemon, _dir) = bare_daemon();
    daemon.ok(json!({"op": "start", "scene": "sublingual"}));
    for args in [
        &["lights", "set", "room", "40%", "2700K", "--fade", "30s"][..],
        &["lights", "test"],
        &["lights", "calibrate", "ceiling-1"],
    ] {
        let out = setting(&daemon, args, "q\n");
        assert_code(&out, 1);
        let err = text(&out.stderr);
        assert!(err.contains("scene owns the lights"), "{args:?}: {err}");
        assert!(
            err.contains("setting light"),
            "points to the session nudge: {err}"
        );
    }
    // Looking is always allowed, and the emergency still works.
    assert_code(&setting(&daemon, &["lights", "list"], ""), 0);
    assert_code(&setting(&daemon, &["emergency"], ""), 0);
    // Once the session is over the technician has the lights again (refused now only
    // because this room has none).
    daemon.ok(json!({"op": "stop"}));
    let out = setting(&daemon, &["lights", "set", "room", "40%", "2700K"], "");
    assert_code(&out, 1);
    assert!(
        text(&out.stderr).contains("no lights configured"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn status_carries_the_lights_report() {
    let (daemon, _dir) = bare_daemon();
    let status = daemon.status();
    let lights = &status["lights"];
    assert!(lights["summary"].is_string(), "{status}");
    assert_eq!(lights["lights"], json!([]), "{status}");
}

/// A room of Zigbee2MQTT lights and no `[mqtt]`: the daemon starts its private broker and
/// simulated lights, as in the demo.
fn config_with_simulated_lights(dir: &Path) -> PathBuf {
    let path = dir.join("settingd.toml");
    let light = |name: &str, min_level: u8| {
        format!(
            "[[room.zone.light]]\nname = \"{name}\"\nfamily = \"zigbee2mqtt\"\nkelvin = [2200, 4000]\nmin_level = {min_level}\n"
        )
    };
    let text = format!(
        "[room]\nname = \"sim-room\"\n\n[[room.zone]]\nname = \"room\"\n{}{}\n[[room.zone]]\nname = \"mat-1\"\n{}\n\
         [paths]\nscenes = \"{}\"\nplaylists = \"{}\"\nmedia = \"{}\"\n\n[audio]\noutput = \"null\"\n",
        light("ceiling-1", 3),
        light("ceiling-2", 3),
        light("mat-1-lamp", 5),
        repo_path("scenes").display(),
        repo_path("playlists").display(),
        repo_path("media").display(),
    );
    std::fs::write(&path, text).expect("write the config");
    path
}

fn lights_report(daemon: &Daemon) -> Value {
    let out = setting(daemon, &["--json", "lights", "list"], "");
    assert_code(&out, 0);
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

fn light<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["lights"]
        .as_array()
        .and_then(|lights| lights.iter().find(|l| l["name"] == json!(name)))
        .unwrap_or_else(|| panic!("no light {name} in {report}"))
}

/// The light's report once `check` accepts it, within a few seconds.
#[track_caller]
fn light_eventually(daemon: &Daemon, name: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    eventually(Duration::from_secs(15), || {
        let report = lights_report(daemon);
        let light = light(&report, name).clone();
        check(&light).then_some(light)
    })
    .unwrap_or_else(|| {
        panic!(
            "{name} never {what}: {}\n{}",
            lights_report(daemon),
            daemon.log_text()
        )
    })
}

fn level_of(light: &Value) -> Option<f64> {
    light["reported_level"].as_f64()
}

#[test]
fn demo_room_lights_set_reaches_the_simulated_lights_and_list_shows_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config_path = config_with_simulated_lights(dir.path());
    let daemon = Daemon::builder().config(&config_path).start();
    let config = setting::config::load_config(&config_path).expect("the test's config loads");

    let report = lights_report(&daemon);
    assert_eq!(report["lights"].as_array().map(Vec::len), Some(3), "{report}");
    light_eventually(&daemon, "ceiling-1", "became available", |l| {
        l["available"] == json!(true)
    });

    let out = setting(
        &daemon,
        &["lights", "set", "room", "40%", "2700K", "--fade", "0s"],
        "",
    );
    assert_code(&out, 0);

    // Each light of the zone reports the level its curve and minimum give 40 %, to the
    // device's own resolution (Zigbee brightness is 0-254).
    for name in ["ceiling-1", "ceiling-2"] {
        let fixture = config
            .lights
            .lights
            .iter()
            .find(|l| l.name == name)
            .expect("in the config");
        let expected = f64::from(device_level(fixture, 40.0).expect("40 % is on"));
        let light = light_eventually(&daemon, name, "reported 40 %", |l| {
            level_of(l).is_some_and(|level| (level - expected).abs() <= 1.5 / 254.0)
        });
        assert_eq!(light["reported_on"], json!(true), "{light}");
        let kelvin = light["reported_kelvin"]
            .as_u64()
            .expect("a reported colour temperature");
        // Mireds round-trip: 2700 K is 370 mireds, which reads back within a few Kelvin.
        assert!(kelvin.abs_diff(2700) <= 10, "{light}");
        assert_eq!(
            light["desired"],
            json!({"brightness": 40.0, "kelvin": 2700}),
            "{light}"
        );
        assert!(light["commands"].as_u64() >= Some(1), "{light}");
    }
    // The other zone was not touched.
    let lamp = light(&lights_report(&daemon), "mat-1-lamp").clone();
    assert_ne!(
        lamp["desired"],
        json!({"brightness": 40.0, "kelvin": 2700}),
        "{lamp}"
    );

    // The table shows the same to a person.
    let out = setting(&daemon, &["lights", "list"], "");
    assert_code(&out, 0);
    let table = text(&out.stdout);
    let row = table
        .lines()
        .find(|line| line.starts_with("ceiling-1 "))
        .unwrap_or_else(|| panic!("no row for ceiling-1:\n{table}"));
    assert!(
        row.contains(" sim ") && row.contains("40 % 2700 K") && row.contains("on, ") && row.contains("% raw"),
        "{table}"
    );

    // An unknown name is refused and changes nothing.
    let out = setting(&daemon, &["lights", "set", "kitchen", "40%", "2700K"], "");
    assert_code(&out, 1);
    assert!(text(&out.stderr).contains("kitchen"), "{}", text(&out.stderr));
}

#[test]
fn lights_test_runs_its_steps_without_holding_the_daemon() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::builder()
        .config(config_with_simulated_lights(dir.path()))
        .start();
    light_eventually(&daemon, "mat-1-lamp", "became available", |l| {
        l["available"] == json!(true)
    });
    let out = setting(&daemon, &["--json", "lights", "test", "mat-1-lamp"], "");
    assert_code(&out, 0);
    let reply: Value = serde_json::from_slice(&out.stdout).expect("JSON reply");
    assert_eq!(reply["targets"], json!(["mat-1-lamp"]));
    let steps = reply["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 3, "{reply}");
    // The daemon answers others while the pattern runs, and the next step arrives by itself
    // once the first has faded. When each step falls due is the room core's decision, tested
    // in virtual time (`room::LightsTest`); here the real loop sends one of them.
    assert_eq!(daemon.ok(json!({"op": "ping"}))["pong"], json!(true));
    let second = steps[1]["look"].clone();
    light_eventually(&daemon, "mat-1-lamp", &format!("was sent {second}"), |l| {
        l["desired"] == second
    });

    // With no target, every zone that has lights runs it.
    let out = setting(&daemon, &["--json", "lights", "test"], "");
    assert_code(&out, 0);
    let reply: Value = serde_json::from_slice(&out.stdout).expect("JSON reply");
    assert_eq!(reply["targets"], json!(["mat-1", "room"]), "{reply}");
    let first = reply["steps"][0]["look"].clone();
    light_eventually(&daemon, "ceiling-2", &format!("was sent {first}"), |l| {
        l["desired"] == first
    });
}

#[test]
fn calibrate_steps_raw_levels_and_prints_the_config_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemon = Daemon::builder()
        .config(config_with_simulated_lights(dir.path()))
        .start();
    light_eventually(&daemon, "ceiling-2", "became available", |l| {
        l["available"] == json!(true)
    });
    // Up to 4 %, back to 3 %, keep it.
    let out = setting(&daemon, &["lights", "calibrate", "ceiling-2"], "\n\n\nb\nq\n");
    assert_code(&out, 0);
    let shown = text(&out.stdout);
    assert!(shown.contains("raw level 4 %"), "{shown}");
    assert!(shown.trim_end().ends_with("min_level = 3"), "{shown}");
    // The light sits at the raw 3 %, below anything its curve would send for a look.
    light_eventually(&daemon, "ceiling-2", "reported the raw 3 %", |l| {
        level_of(l).is_some_and(|level| (level - 0.03).abs() <= 1.5 / 254.0)
    });
    let out = setting(&daemon, &["lights", "calibrate", "no-such-light"], "q\n");
    assert_code(&out, 1);
    // A zone is refused before anything moves, naming the lights to calibrate instead.
    let out = setting(&daemon, &["lights", "calibrate", "room"], "q\n");
    assert_code(&out, 1);
    assert!(
        !text(&out.stdout).contains("calibrating"),
        "{}",
        text(&out.stdout)
    );
    let said = text(&out.stderr);
    assert!(said.contains("`room` is a zone"), "{said}");
    assert!(said.contains("ceiling-1, ceiling-2"), "{said}");
}

/// Processes (not zombies) whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // The state follows the command name in parentheses; a zombie has exited.
            let alive = stat
                .rsplit_once(") ")
                .is_some_and(|(_, rest)| !rest.starts_with('Z'));
            alive && String::from_utf8_lossy(&cmdline).contains(needle)
        })
        .collect()
}

#[test]
fn a_daemon_killed_with_sigkill_takes_its_private_broker_with_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut daemon = Daemon::builder()
        .config(config_with_simulated_lights(dir.path()))
        .start();
    let state = daemon.state_dir().to_str().expect("utf-8 path").to_string();
    let brokers = eventually(Duration::from_secs(10), || {
        Some(processes_mentioning(&state)).filter(|pids| !pids.is_empty())
    })
    .unwrap_or_else(|| panic!("no private broker runs for {state}:\n{}", daemon.log_text()));
    daemon.kill9();
    let gone = eventually(Duration::from_secs(10), || {
        processes_mentioning(&state).is_empty().then_some(())
    });
    assert!(gone.is_some(), "mosquitto {brokers:?} outlived its daemon");
}

/// An emergency with no session holds the room: the technicians' light commands (a test
/// pattern's later steps among them) are refused until `resume` ends it, and `status` says so.
#[test]
fn an_emergency_with_no_session_holds_the_lights_until_resume() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config_path = config_with_simulated_lights(dir.path());
    let daemon = Daemon::builder().config(&config_path).start();
    let set = json!({"op": "lights_set", "target": "room", "brightness": 20, "kelvin": 2700});
    daemon.ok(json!({"op": "lights_test"}));

    let reply = daemon.ok(json!({"op": "emergency"}));
    assert!(reply["session"].is_null(), "{reply}");
    let warnings = daemon.status()["daemon"]["warnings"].to_string();
    assert!(
        warnings.contains("EMERGENCY with no session running"),
        "{warnings}"
    );
    let refused = daemon.request(set.clone());
    assert_eq!(refused["ok"], json!(false), "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("`setting resume` ends it")),
        "{refused}"
    );

    // A pause switch's resume, or another zone's, is not the end of the emergency.
    for resume in [
        json!({"op": "resume", "kind": "pause"}),
        json!({"op": "resume", "zone": "mat-9"}),
    ] {
        let refused = daemon.request(resume.clone());
        assert_eq!(refused["ok"], json!(false), "{resume}: {refused}");
    }
    let warnings = daemon.status()["daemon"]["warnings"].to_string();
    assert!(warnings.contains("EMERGENCY with no session"), "{warnings}");
    let ended = daemon.ok(json!({"op": "resume"}));
    assert_eq!(ended["emergency_ended"], json!(true), "{ended}");
    let warnings = daemon.status()["daemon"]["warnings"].to_string();
    assert!(!warnings.contains("EMERGENCY"), "{warnings}");
    daemon.ok(set);
    // With nothing to end, `resume` is refused as before.
    let again = daemon.request(json!({"op": "resume"}));
    assert_eq!(again["error"]["kind"], json!("no_session"), "{again}");
}

#[test]
fn lights_set_says_which_lights_the_budget_delays_and_what_a_quicker_step_replaces() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config_path = config_with_simulated_lights(dir.path());
    // A slow unicast budget: three coordinator commands in a burst, one kept for emergencies,
    // one a second; each light's set (brightness and colour temperature) costs two.
    let mut toml = std::fs::read_to_string(&config_path).expect("read the config");
    toml = toml.replace(
        "[paths]",
        "[[lights.network]]\nname = \"zigbee-unicast\"\nper_second = 1.0\nburst = 3\n\n[paths]",
    );
    std::fs::write(&config_path, toml).expect("write the config");
    let daemon = Daemon::builder().config(&config_path).start();
    for name in ["ceiling-1", "ceiling-2"] {
        light_eventually(&daemon, name, "became available", |l| {
            l["available"] == json!(true)
        });
    }
    // Whatever went at start-up has been paid back.
    std::thread::sleep(Duration::from_millis(3500));

    let out = setting(
        &daemon,
        &["lights", "set", "room", "40%", "2700K", "--fade", "0s"],
        "",
    );
    assert_code(&out, 0);
    let said = text(&out.stdout);
    let line = said
        .lines()
        .find(|l| l.trim_start().starts_with("ceiling-2:"))
        .unwrap_or_else(|| panic!("the delayed light is not named:\n{said}"));
    assert!(
        line.contains("waits") && line.contains("for the network's budget"),
        "{said}"
    );
    assert!(!said.contains("ceiling-1:"), "ceiling-1 went at once:\n{said}");

    // The next step for ceiling-2 comes before its first went: it replaces it, and says so.
    let out = setting(
        &daemon,
        &[
            "--json",
            "lights",
            "set",
            "ceiling-2",
            "60%",
            "2700K",
            "--fade",
            "0s",
        ],
        "",
    );
    assert_code(&out, 0);
    let reply: Value = serde_json::from_slice(&out.stdout).expect("JSON reply");
    let paces = reply["paces"].as_array().expect("paces");
    assert_eq!(paces.len(), 1, "{reply}");
    assert_eq!(paces[0]["light"], json!("ceiling-2"), "{reply}");
    assert_eq!(paces[0]["goes"], json!("waits"), "{reply}");
    assert!(
        paces[0]["ms"].as_u64().is_some_and(|ms| ms > 0 && ms <= 3000),
        "{reply}"
    );
    assert_eq!(paces[0]["replaced_waiting"], json!(true), "{reply}");
    assert!(
        reply["lights"].is_array(),
        "the lights report rides along: {reply}"
    );

    // It goes when it was said to, and the replaced 40 % step never does.
    let config = setting::config::load_config(&config_path).expect("the test's config loads");
    let fixture = config
        .lights
        .lights
        .iter()
        .find(|l| l.name == "ceiling-2")
        .expect("in the config");
    let expected = f64::from(device_level(fixture, 60.0).expect("60 % is on"));
    let light = light_eventually(&daemon, "ceiling-2", "reported 60 %", |l| {
        level_of(l).is_some_and(|level| (level - expected).abs() <= 1.5 / 254.0)
    });
    let before = reply["lights"]
        .as_array()
        .and_then(|ls| ls.iter().find(|l| l["name"] == json!("ceiling-2")))
        .and_then(|l| l["commands"].as_u64())
        .expect("ceiling-2's commands");
    assert_eq!(light["commands"].as_u64(), Some(before + 1), "{light}");
}

#[test]
fn off_and_a_brightness_alone_keep_each_light_s_colour_temperature() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config_path = config_with_simulated_lights(dir.path());
    let daemon = Daemon::builder().config(&config_path).start();
    light_eventually(&daemon, "ceiling-1", "became available", |l| {
        l["available"] == json!(true)
    });
    assert_code(
        &setting(&daemon, &["lights", "set", "room", "40%", "3000K"], ""),
        0,
    );

    // A brightness alone: the zone's lights stay at 3000 K.
    let out = setting(&daemon, &["lights", "set", "room", "20%"], "");
    assert_code(&out, 0);
    assert!(
        text(&out.stdout).starts_with("room heading for 20 % (each light keeps its colour temperature)"),
        "{}",
        text(&out.stdout)
    );
    for name in ["ceiling-1", "ceiling-2"] {
        let light = light_eventually(&daemon, name, "heading for 20 % at 3000 K", |l| {
            l["desired"] == json!({"brightness": 20.0, "kelvin": 3000})
        });
        assert!(light["commands"].as_u64() >= Some(2), "{light}");
    }

    // Off, in words or as 0 %, with no colour temperature.
    let out = setting(&daemon, &["lights", "set", "room", "off"], "");
    assert_code(&out, 0);
    assert!(
        text(&out.stdout).starts_with("room heading for off"),
        "{}",
        text(&out.stdout)
    );
    light_eventually(&daemon, "ceiling-2", "reported off", |l| {
        l["reported_on"] == json!(false)
    });
    let out = setting(&daemon, &["lights", "set", "mat-1-lamp", "0%"], "");
    assert_code(&out, 0);
    light_eventually(&daemon, "mat-1-lamp", "heading for off", |l| {
        l["desired"]["brightness"] == json!(0.0)
    });
}

#[test]
fn simulated_lights_are_called_simulated_everywhere() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config_with_simulated_lights(dir.path());
    let daemon = Daemon::builder().config(config.clone()).start();
    light_eventually(&daemon, "ceiling-1", "became available", |l| {
        l["available"] == json!(true)
    });

    let out = setting(&daemon, &["lights", "list"], "");
    assert_code(&out, 0);
    let list = text(&out.stdout);
    assert!(
        list.starts_with("SIMULATED lights: no [mqtt] in the config"),
        "{list}"
    );
    let row = list
        .lines()
        .find(|l| l.starts_with("ceiling-1"))
        .expect("a row for ceiling-1");
    assert!(row.contains(" sim ") && !row.contains(" yes "), "{list}");

    let out = setting(&daemon, &["status"], "");
    assert_code(&out, 0);
    let status = text(&out.stdout);
    assert!(status.contains("LIGHTS    SIMULATED lights"), "{status}");
    assert!(
        status.contains("room: 2 of 2 simulated lights available"),
        "{status}"
    );
    assert!(!status.contains("not connected"), "{status}");
    // Said by a field of the report, not only in its words.
    assert_eq!(daemon.status()["lights"]["simulated"], json!(true));

    // The checks that need no daemon say it before the room is used.
    let config = config.display().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_setting"))
        .args(["--config", &config, "validate", &config])
        .env_remove("SETTING_CONFIG")
        .output()
        .expect("cannot run setting");
    assert_code(&out, 0);
    assert!(
        text(&out.stderr).contains("its 3 lights will be SIMULATED"),
        "{}",
        text(&out.stderr)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_settingd"))
        .args(["--config", &config, "--check"])
        .env_remove("SETTING_CONFIG")
        .output()
        .expect("cannot run settingd");
    // The shipped group scene names zones this small room lacks: problems, and the note too.
    assert!(
        text(&out.stderr).contains("its 3 lights will be SIMULATED"),
        "{}",
        text(&out.stderr)
    );
}
