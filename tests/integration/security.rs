//! Security of the control socket and of what clients send: its mode and directory, request
//! size, slow clients, names that try to reach outside the scenes directory, and secrets kept
//! out of logs, status and the event log.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::broker::Broker;
use crate::support::{Client, Daemon, eventually, repo_path};

const SCENE: &str = "sublingual";
/// A line longer than the daemon's limit (64 KiB) by a wide margin.
const OVER_LONG: usize = 1 << 20;

/// A room with one zone and no lights, scenes from `scenes`, and `daemon_keys` under `[daemon]`.
fn write_config(dir: &Path, scenes: &Path, daemon_keys: &str, extra: &str) -> PathBuf {
    let path = dir.join("settingd.toml");
    let text = format!(
        "[room]\nname = \"secure-room\"\n\n[[room.zone]]\nname = \"room\"\n\n\
         [daemon]\n{daemon_keys}\n\n[paths]\nscenes = \"{}\"\nplaylists = \"{}\"\nmedia = \"{}\"\n\n\
         [audio]\noutput = \"null\"\n{extra}",
        scenes.display(),
        repo_path("playlists").display(),
        repo_path("media").display(),
    );
    fs::write(&path, text).expect("write the config");
    path
}

/// Runs `settingd` in the foreground, expecting it to refuse to start.
fn settingd_refusing(config: &Path, socket: &Path, state_dir: &Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_settingd"))
        .arg("--config")
        .arg(config)
        .arg("--socket")
        .arg(socket)
        .arg("--state-dir")
        .arg(state_dir)
        .args(["--audio", "null"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run settingd");
    let pid = child.id();
    let exited = eventually(Duration::from_secs(30), || child.try_wait().expect("try_wait"));
    if exited.is_none() {
        let _ = child.kill();
        let _ = child.wait();
        panic!("settingd (pid {pid}) kept running on {}", socket.display());
    }
    child.wait_with_output().expect("settingd output")
}

#[test]
fn a_world_writable_socket_is_refused_unless_the_config_allows_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let socket = dir.path().join("run/control.sock");
    let state = dir.path().join("state");
    let config = write_config(dir.path(), &repo_path("scenes"), "socket_mode = \"0666\"", "");
    let out = settingd_refusing(&config, &socket, &state);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("allow_world_writable_socket"), "{stderr}");
    assert!(!socket.exists(), "a socket was left behind");

    // Asked for explicitly, it is honoured.
    let config = write_config(
        dir.path(),
        &repo_path("scenes"),
        "socket_mode = \"0666\"\nallow_world_writable_socket = true",
        "",
    );
    let daemon = Daemon::builder().config(config).start();
    let mode = fs::metadata(daemon.socket())
        .expect("socket")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o666);
    daemon.ok(json!({"op": "ping"}));
}

#[test]
fn a_socket_directory_others_can_write_to_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let open = dir.path().join("open");
    fs::create_dir(&open).expect("dir");
    fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).expect("chmod");
    let config = write_config(dir.path(), &repo_path("scenes"), "", "");
    let socket = open.join("control.sock");
    let out = settingd_refusing(&config, &socket, &dir.path().join("state"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&open.display().to_string()) && stderr.contains("777"),
        "{stderr}"
    );
    assert!(!socket.exists());
}

#[test]
fn an_over_long_line_is_refused_and_closed_while_others_are_served() {
    let daemon = Daemon::start();
    let mut waiting = daemon.client();
    waiting.send_raw(br#"{"id": 1, "op": "#);

    // No newline at all: the daemon must answer after its limit, not wait for one.
    let mut flooder = daemon.client();
    flooder.send_raw(&vec![b'x'; OVER_LONG]);
    let flood = flooder.recv();
    assert_eq!(flood["ok"], false, "{flood}");
    assert_eq!(flood["error"]["kind"], "bad_request", "{flood}");
    assert!(flooder.is_closed(), "the over-long connection is closed");

    // The request begun before the flood, and a new client, are both answered.
    waiting.send_raw(b"\"ping\"}\n");
    let reply = waiting.recv();
    assert_eq!(
        (reply["id"].clone(), reply["ok"].clone()),
        (json!(1), json!(true)),
        "{reply}"
    );
    assert_eq!(daemon.request(json!({"op": "status"}))["ok"], true);
}

#[test]
fn fifty_idle_or_trickling_clients_do_not_hold_up_an_emergency() {
    let daemon = Daemon::start();
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    let idle: Vec<Client> = (0..25).map(|_| daemon.client()).collect();
    let request = br#"{"op": "ping"}"#;
    let mut trickling: Vec<Client> = (0..25).map(|_| daemon.client()).collect();
    // Each trickler has sent part of a request, one byte at a time.
    for sent in 0..6 {
        for client in &mut trickling {
            client.send_raw(&request[sent..sent + 1]);
        }
    }

    let reply = daemon.request(json!({"id": 7, "op": "emergency"}));
    assert_eq!(
        (reply["id"].clone(), reply["ok"].clone()),
        (json!(7), json!(true)),
        "{reply}"
    );
    let overrides: Vec<Value> = daemon.status()["session"]["overrides"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        overrides.iter().any(|o| o["kind"] == "emergency"),
        "{overrides:?}"
    );

    // None of them was dropped to make room: each finishes its request and is answered.
    for client in &mut trickling {
        client.send_raw(&request[6..]);
        client.send_raw(b"\n");
        assert_eq!(client.recv()["ok"], true);
    }
    for mut client in idle {
        assert_eq!(client.request(json!({"op": "ping"}))["ok"], true);
    }
}

#[test]
fn a_flood_of_connections_closes_the_quietest_and_lets_an_emergency_in() {
    let daemon = Daemon::start();
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    let mut watcher = daemon.client();
    assert_eq!(watcher.request(json!({"op": "watch"}))["ok"], true);
    let mut quietest = daemon.client();
    // More than the daemon keeps open (256): a runaway script.
    let flood: Vec<Client> = (0..300).map(|_| daemon.client()).collect();

    let reply = daemon.request(json!({"id": 3, "op": "emergency"}));
    assert_eq!(
        (reply["id"].clone(), reply["ok"].clone()),
        (json!(3), json!(true)),
        "{reply}"
    );
    assert!(quietest.is_closed(), "the connection silent the longest was kept");
    // The watcher, though it connected first, is kept, and hears the emergency.
    let heard = (0..100)
        .map(|_| watcher.recv())
        .find(|entry| entry["event"] == "override_started" && entry["kind"] == "emergency");
    assert!(heard.is_some(), "the watcher did not hear the emergency");
    // The latest connections are still served.
    let mut newest = flood.into_iter().last().expect("a flood");
    assert_eq!(newest.request(json!({"op": "ping"}))["ok"], true);
}

/// A scenes directory with the repository's scenes, and a scene outside it.
fn scenes_with_a_link_outside(dir: &Path) -> PathBuf {
    let scenes = dir.join("scenes");
    fs::create_dir(&scenes).expect("scenes dir");
    for entry in fs::read_dir(repo_path("scenes")).expect("repo scenes") {
        let path = entry.expect("entry").path();
        fs::copy(&path, scenes.join(path.file_name().expect("name"))).expect("copy scene");
    }
    let outside = dir.join("elsewhere");
    fs::create_dir(&outside).expect("outside dir");
    fs::copy(
        repo_path("scenes/sublingual.toml"),
        outside.join("kept-apart.toml"),
    )
    .expect("copy");
    std::os::unix::fs::symlink(outside.join("kept-apart.toml"), scenes.join("linked.toml")).expect("link");
    scenes
}

#[test]
fn scene_names_cannot_reach_outside_the_scenes_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenes = scenes_with_a_link_outside(dir.path());
    let daemon = Daemon::builder()
        .config(write_config(dir.path(), &scenes, "", ""))
        .start();
    let outside = dir.path().join("elsewhere/kept-apart");
    let names = [
        "../../etc/passwd".to_string(),
        "/etc/passwd".to_string(),
        "..".to_string(),
        "../elsewhere/kept-apart".to_string(),
        outside.display().to_string(),
        format!("{SCENE}/../{SCENE}"),
        format!("./{SCENE}"),
        format!("{SCENE}.toml"),
        format!("{SCENE}\0"),
        "\0".to_string(),
        String::new(),
    ];
    for name in &names {
        let reply = daemon.request(json!({"op": "start", "scene": name}));
        assert_eq!(reply["ok"], false, "start {name:?} was accepted: {reply}");
        assert!(
            daemon.status()["session"].is_null(),
            "start {name:?} began a session"
        );
    }
    // Session ids name directories under the state directory: the same rule.
    for session in ["../../etc", "/etc", "..", "a/../../b"] {
        let reply = daemon.request(json!({"op": "report", "session": session}));
        assert_eq!(reply["ok"], false, "report {session:?}: {reply}");
    }

    // A link the admin placed in scenes/ is the admin's choice, and is followed.
    daemon.ok(json!({"op": "start", "scene": "linked"}));
    assert_eq!(daemon.status()["session"]["scene"], "linked");
}

/// A password nothing else in the test could contain by chance.
const PASSWORD: &str = "Quokka-Saffron-8841-never-print-me";

#[test]
fn the_mqtt_password_never_reaches_logs_status_or_the_event_log() {
    let broker = Broker::builder().user("secure-room", "the-real-password").start();
    let dir = tempfile::tempdir().expect("temp dir");
    let password_file = dir.path().join("mqtt-password");
    fs::write(&password_file, format!("{PASSWORD}\n")).expect("password file");
    let lamp = "\n[[room.zone.light]]\nname = \"lamp\"\nfamily = \"zigbee2mqtt\"\nkelvin = [2200, 4000]\n";
    let config = write_config(dir.path(), &repo_path("scenes"), "", "");
    // The light belongs to the zone, so it goes right after it; [mqtt] goes at the end.
    let text = fs::read_to_string(&config).expect("config").replacen(
        "name = \"room\"\n",
        &format!("name = \"room\"\n{lamp}"),
        1,
    ) + &format!(
        "\n[mqtt]\nhost = \"{}\"\nport = {}\nusername = \"secure-room\"\npassword_file = \"{}\"\nversion = \"5\"\n",
        broker.host(),
        broker.port(),
        password_file.display()
    );
    fs::write(&config, text).expect("config");
    let daemon = Daemon::builder().config(config).start();
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    daemon.ok(json!({"op": "emergency"}));

    // The refusal has been seen and reported before anything is searched.
    let refused = eventually(Duration::from_secs(20), || {
        let status = daemon.status().to_string();
        status.contains("bad username or password").then_some(status)
    });
    assert!(
        refused.is_some(),
        "the broker's refusal never showed in status: {}",
        daemon.status()
    );

    let cli = Command::new(env!("CARGO_BIN_EXE_setting"))
        .arg("--socket")
        .arg(daemon.socket())
        .args(["status", "--json"])
        .env_remove("SETTING_SOCKET")
        .env_remove("SETTING_CONFIG")
        .output()
        .expect("setting status");
    let cli_status = String::from_utf8_lossy(&cli.stdout).into_owned();
    assert!(
        cli.status.success() && cli_status.contains("secure-room"),
        "{cli_status}"
    );
    let report = daemon.request(json!({"op": "report"})).to_string();
    let mut places = vec![
        ("the daemon's log", daemon.log_text()),
        ("setting status --json", cli_status),
        ("the report", report),
    ];
    for file in files_under(daemon.state_dir()) {
        let text = String::from_utf8_lossy(&fs::read(&file).expect("state file")).into_owned();
        places.push(("the state directory", format!("{}: {text}", file.display())));
    }
    assert!(places.iter().any(|(_, text)| text.contains("session_started")));
    for (place, text) in places {
        assert!(!text.contains(PASSWORD), "the password is in {place}: {text}");
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}
