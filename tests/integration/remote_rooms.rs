//! Two rooms on one clinic broker, each steered with `setting --room` by the real CLI: the
//! broker's per-room ACL lets each therapist's account steer only their own room, `setting
//! rooms` lists both from their retained state, and the room's event log names who steered it
//! and that it came over the broker.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::broker::{Broker, Spy};
use crate::support::{Daemon, assert_code, eventually, paths_and_null_audio, repo_path};

const PATIENCE: Duration = Duration::from_secs(20);

/// One room's config: a Zigbee2MQTT light, the broker with the daemon's own account, and
/// remote control on.
fn room_config(dir: &Path, room: &str, broker: &Broker) -> PathBuf {
    let password_file = dir.join("mqtt-password");
    std::fs::write(&password_file, format!("{}\n", daemon_password(room))).expect("password file");
    let text = format!(
        r#"[room]
name = "{room}"

[[room.zone]]
name = "room"

[[room.zone.light]]
name = "{room}-ceiling"
family = "zigbee2mqtt"
kelvin = [2200, 4000]

[mqtt]
host = "{host}"
port = {port}
username = "settingd-{room}"
password_file = "{password_file}"

[remote]
enabled = true

{paths}"#,
        host = broker.host(),
        port = broker.port(),
        password_file = password_file.display(),
        paths = paths_and_null_audio(&repo_path("scenes")),
    );
    let path = dir.join("settingd.toml");
    std::fs::write(&path, text).expect("config");
    path
}

fn daemon_password(room: &str) -> String {
    format!("{room}-daemon-password")
}

/// The clinic's broker: each room's daemon owns its room's branch; `ana` steers room-a only,
/// `bo` room-b only; both may read every room's state.
fn clinic_broker() -> Broker {
    clinic_broker_with(&[])
}

/// [`clinic_broker`] with more therapists' accounts: (name, ACL lines); the password is
/// `NAME-password`, as [`setting`] gives it.
fn clinic_broker_with(others: &[(&str, &str)]) -> Broker {
    let mut builder = Broker::builder();
    let mut acl = String::new();
    for room in ["room-a", "room-b"] {
        builder = builder.user(&format!("settingd-{room}"), &daemon_password(room));
        acl.push_str(&format!(
            "user settingd-{room}\ntopic readwrite setting/{room}/#\ntopic readwrite zigbee2mqtt/{room}-ceiling/#\n\
             topic readwrite zigbee2mqtt/{room}-ceiling\n\n"
        ));
    }
    for (user, room) in [("ana", "room-a"), ("bo", "room-b")] {
        builder = builder.user(user, &format!("{user}-password"));
        acl.push_str(&format!(
            "user {user}\ntopic write setting/{room}/request/{user}\ntopic read setting/{room}/reply/{user}/#\n\
             topic read setting/+/state\n\n"
        ));
    }
    for (user, lines) in others {
        builder = builder.user(user, &format!("{user}-password"));
        acl.push_str(&format!("user {user}\n{lines}\n\n"));
    }
    builder.acl(&acl).start()
}

/// The real CLI as a therapist's laptop runs it: no config, no socket, the broker and the
/// account from flags and the password from the environment.
fn setting(broker: &Broker, user: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_setting"))
        .arg("--broker")
        .arg(format!("{}:{}", broker.host(), broker.port()))
        .args(["--broker-user", user])
        .args(args)
        .env("SETTING_CONFIG", "/nonexistent/settingd.toml")
        .env("SETTING_BROKER_PASSWORD", format!("{user}-password"))
        .env_remove("SETTING_SOCKET")
        .env_remove("SETTING_ROOM")
        .env_remove("SETTING_BROKER")
        .env_remove("SETTING_BROKER_USER")
        .env_remove("SETTING_BROKER_CA")
        .output()
        .expect("cannot run setting")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", text(&out.stdout)))
}

/// Waits until `setting rooms --json` (as `user`) shows what `check` looks for.
fn rooms_until(broker: &Broker, user: &str, check: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let mut last = Vec::new();
    let found = eventually(PATIENCE, || {
        let out = setting(broker, user, &["rooms", "--json"]);
        if out.status.code() != Some(0) {
            return None;
        }
        last = json_of(&out).as_array().cloned().unwrap_or_default();
        check(&last).then(|| last.clone())
    });
    found.unwrap_or_else(|| panic!("`setting rooms` never showed it; last: {last:#?}"))
}

fn room<'a>(rooms: &'a [Value], name: &str) -> Option<&'a Value> {
    rooms.iter().find(|r| r["room"] == name)
}

#[test]
fn each_rooms_acl_keeps_the_other_therapist_out() {
    let broker = clinic_broker();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let room_a = Daemon::builder()
        .config(room_config(dir_a.path(), "room-a", &broker))
        .start();
    let room_b = Daemon::builder()
        .config(room_config(dir_b.path(), "room-b", &broker))
        .start();

    // Both rooms come online on the broker, without a session.
    let rooms = rooms_until(&broker, "ana", |rooms| {
        ["room-a", "room-b"]
            .iter()
            .all(|name| room(rooms, name).is_some_and(|r| r["online"] == json!(true)))
    });
    assert!(room(&rooms, "room-a").unwrap()["session"].is_null(), "{rooms:#?}");

    // Ana starts a session in her own room over the broker.
    let out = setting(&broker, "ana", &["--room", "room-a", "start", "sublingual"]);
    assert_code(&out, 0);
    assert!(
        text(&out.stdout).starts_with("started scene sublingual"),
        "{}",
        text(&out.stdout)
    );
    let status = room_a.status();
    assert_eq!(status["session"]["scene"], "sublingual", "{status}");

    // Status over the broker reads as over the socket, and its JSON is the same document.
    let out = setting(&broker, "ana", &["--room", "room-a", "status", "--json"]);
    assert_code(&out, 0);
    let remote = json_of(&out);
    assert_eq!(remote["session"]["scene"], "sublingual", "{remote}");
    assert_eq!(remote["session"]["session"], status["session"]["session"]);
    assert_eq!(remote["daemon"]["room"], "room-a");
    let out = setting(&broker, "ana", &["--room", "room-a", "check", "--json"]);
    assert_code(&out, 0);
    json_of(&out);

    // Ana on room-b: the broker's ACL refuses her, and room-b stays without a session.
    let out = setting(&broker, "ana", &["--room", "room-b", "start", "sublingual"]);
    assert_code(&out, 1);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("ACL does not let account ana steer room room-b"),
        "{stderr}"
    );
    let out = setting(
        &broker,
        "ana",
        &["--room", "room-b", "start", "sublingual", "--json"],
    );
    assert_code(&out, 1);
    assert_eq!(json_of(&out)["error"]["kind"], "refused");
    assert!(room_b.status()["session"].is_null(), "{}", room_b.status());
    // Bo's own room is his to steer.
    let out = setting(&broker, "bo", &["--room", "room-b", "status"]);
    assert_code(&out, 0);
    assert!(
        text(&out.stdout).starts_with("no session running"),
        "{}",
        text(&out.stdout)
    );

    // `setting rooms` lists both, room-a with its scene and phase.
    let rooms = rooms_until(&broker, "bo", |rooms| {
        room(rooms, "room-a").is_some_and(|r| r["session"]["scene"] == "sublingual")
            && room(rooms, "room-b").is_some()
    });
    let a = room(&rooms, "room-a").unwrap();
    assert_eq!(a["session"]["phase"], status["session"]["phase"]["id"], "{a:#}");
    assert!(room(&rooms, "room-b").unwrap()["session"].is_null());
    let out = setting(&broker, "bo", &["rooms"]);
    assert_code(&out, 0);
    let table = text(&out.stdout);
    let line_a = table
        .lines()
        .find(|l| l.starts_with("room-a"))
        .expect("room-a's line");
    assert!(line_a.contains("sublingual"), "{table}");
    let phase_title = status["session"]["phase"]["title"].as_str().unwrap();
    assert!(line_a.contains(phase_title), "{table}");
    assert!(table.lines().any(|l| l.starts_with("room-b")), "{table}");

    // Room-a's event log records who steered it, and that it came over the broker.
    let report = room_a.ok(json!({"op": "report"}));
    let by_ana = report["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["source"]["via"] == "mqtt" && e["source"]["who"] == "ana")
        .count();
    assert!(by_ana >= 1, "no entry from ana over mqtt: {report:#}");
    let out = setting(&broker, "ana", &["--room", "room-a", "report", "--json"]);
    assert_code(&out, 0);
    json_of(&out);

    // Following live needs the socket.
    let out = setting(&broker, "ana", &["--room", "room-a", "watch"]);
    assert_code(&out, 2);
    assert!(
        text(&out.stderr).contains("setting rooms"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_wrong_password_is_named_as_such_and_a_silent_room_as_silent() {
    let broker = clinic_broker();
    let out = Command::new(env!("CARGO_BIN_EXE_setting"))
        .args(["--broker", &format!("{}:{}", broker.host(), broker.port())])
        .args(["--broker-user", "ana", "--room", "room-a", "status"])
        .env("SETTING_CONFIG", "/nonexistent/settingd.toml")
        .env("SETTING_BROKER_PASSWORD", "not-her-password")
        .output()
        .expect("cannot run setting");
    assert_code(&out, 1);
    assert!(
        text(&out.stderr).contains("wrong user name or password"),
        "{}",
        text(&out.stderr)
    );
    // No daemon runs for room-a: nobody listens for its requests.
    let out = setting(&broker, "ana", &["--room", "room-a", "status"]);
    assert_code(&out, 3);
    assert!(
        text(&out.stderr).contains("setting rooms"),
        "{}",
        text(&out.stderr)
    );
    // An emergency that cannot reach the room says what to do by hand, at once.
    let out = setting(&broker, "ana", &["--room", "room-a", "emergency"]);
    assert_code(&out, 4);
    assert!(text(&out.stderr).contains("BY HAND"), "{}", text(&out.stderr));
}

#[test]
fn an_emergency_with_no_broker_to_send_it_to_says_to_act_by_hand() {
    let out = Command::new(env!("CARGO_BIN_EXE_setting"))
        .args(["--room", "room-a", "emergency"])
        .env("SETTING_CONFIG", "/nonexistent/settingd.toml")
        .env_remove("SETTING_SOCKET")
        .env_remove("SETTING_ROOM")
        .env_remove("SETTING_BROKER")
        .env_remove("SETTING_BROKER_USER")
        .env_remove("SETTING_BROKER_CA")
        .output()
        .expect("cannot run setting");
    assert_code(&out, 4);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("EMERGENCY NOT DELIVERED to room room-a"),
        "{stderr}"
    );
    assert!(stderr.contains("which broker?"), "{stderr}");
    assert!(stderr.contains("BY HAND"), "{stderr}");
}

#[test]
fn rooms_over_tls_with_the_clinics_ca() {
    let broker = Broker::builder()
        .user("ana", "ana-password")
        .acl("user ana\ntopic read setting/+/state\n")
        .tls()
        .start();
    let out = setting(
        &broker,
        "ana",
        &["rooms", "--broker-ca", broker.ca().to_str().unwrap()],
    );
    assert_code(&out, 0);
    assert!(
        text(&out.stdout).contains("no room has published"),
        "{}",
        text(&out.stdout)
    );
    // Without the CA, the same port speaks TLS to a client that does not: no connection.
    let out = setting(&broker, "ana", &["rooms"]);
    assert_code(&out, 3);
}

/// Room-a's daemon with a session running, online on the broker as `user` sees it.
fn room_a_in_session(broker: &Broker, dir: &Path, user: &str) -> Daemon {
    let room_a = Daemon::builder()
        .config(room_config(dir, "room-a", broker))
        .start();
    room_a.ok(json!({"op": "start", "scene": "sublingual"}));
    rooms_until(broker, user, |rooms| {
        room(rooms, "room-a").is_some_and(|r| r["online"] == json!(true))
    });
    room_a
}

/// Waits until the room's session has an override of `kind`.
fn assert_override_comes(room: &Daemon, kind: &str) {
    let came = eventually(PATIENCE, || {
        let status = room.status();
        status["session"]["overrides"]
            .as_array()?
            .iter()
            .any(|o| o["kind"] == kind)
            .then_some(())
    });
    assert!(came.is_some(), "no {kind}: {}", room.status());
}

/// Mosquitto's ACL file grants a subscription it will not deliver on: an account that may send
/// requests but not read replies hears nothing back. What it sent is carried out all the same,
/// and the CLI says it cannot vouch for it.
#[test]
fn an_account_that_cannot_read_replies_is_told_its_commands_are_unconfirmed() {
    let broker = clinic_broker_with(&[(
        "cy",
        "topic write setting/room-a/request/cy\ntopic read setting/+/state",
    )]);
    let dir = tempfile::tempdir().unwrap();
    let room_a = room_a_in_session(&broker, dir.path(), "cy");

    let out = setting(&broker, "cy", &["--room", "room-a", "check"]);
    assert_code(&out, 3);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("may or may not have been carried out"),
        "{stderr}"
    );
    assert_override_comes(&room_a, "check");

    let out = setting(&broker, "cy", &["--room", "room-a", "emergency", "--json"]);
    assert_code(&out, 5);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("EMERGENCY SENT to room room-a BUT NOT CONFIRMED"),
        "{stderr}"
    );
    assert!(stderr.contains("MUST CHECK"), "{stderr}");
    assert_eq!(json_of(&out)["error"]["kind"], "unconfirmed");
    assert_override_comes(&room_a, "emergency");
}

#[test]
fn an_emergency_the_broker_handed_on_but_nobody_answered_is_unconfirmed() {
    let broker = clinic_broker();
    // Something listens on room-a's requests, but no daemon answers them.
    let listener = Spy::connect(&broker, "setting/room-a/request/#");
    let out = setting(&broker, "ana", &["--room", "room-a", "emergency"]);
    assert_code(&out, 5);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("BUT NOT CONFIRMED"), "{stderr}");
    assert!(stderr.contains("did not answer within 1000 ms"), "{stderr}");
    let sent = listener.on("setting/room-a/request/ana");
    assert_eq!(sent.len(), 1, "{sent:?}");
    let request: Value = serde_json::from_str(&sent[0].payload).expect("a JSON request");
    assert_eq!(request["op"], "emergency", "{request}");

    // An ordinary command in the same spot: unreachable, and worded as possibly carried out.
    let out = setting(&broker, "ana", &["--room", "room-a", "status"]);
    assert_code(&out, 3);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("may or may not have been carried out"),
        "{stderr}"
    );
}

/// Mosquitto's dynamic security plugin, unlike its ACL file, refuses a subscription outright.
/// An ordinary command whose answer cannot be heard is then not sent at all; an emergency is,
/// and the room carries it out.
#[test]
fn an_emergency_goes_out_even_when_the_broker_refuses_to_let_its_answer_be_heard() {
    let broker = Broker::builder()
        .dynamic_security()
        .user("settingd-room-a", &daemon_password("room-a"))
        .user("cy", "cy-password")
        .start();
    broker.dynsec(&["createRole", "deaf"]);
    broker.dynsec(&[
        "addRoleACL",
        "deaf",
        "subscribePattern",
        "setting/room-a/reply/#",
        "deny",
    ]);
    broker.dynsec(&["addClientRole", "cy", "deaf", "10"]);
    let dir = tempfile::tempdir().unwrap();
    let room_a = room_a_in_session(&broker, dir.path(), "cy");

    let out = setting(&broker, "cy", &["--room", "room-a", "check"]);
    assert_code(&out, 1);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("hear room room-a's replies"), "{stderr}");
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    let status = room_a.status();
    assert_eq!(status["session"]["overrides"], json!([]), "{status}");

    let out = setting(&broker, "cy", &["--room", "room-a", "emergency"]);
    assert_code(&out, 5);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("EMERGENCY SENT to room room-a BUT NOT CONFIRMED"),
        "{stderr}"
    );
    assert!(stderr.contains("does not let this account hear"), "{stderr}");
    assert_override_comes(&room_a, "emergency");
}

/// A whole session's report is far above rumqttc's default packet limit of 10 KiB: it still
/// comes back over the broker, the same as over the socket.
#[test]
fn a_long_report_comes_back_over_the_broker() {
    let broker = clinic_broker();
    let dir = tempfile::tempdir().unwrap();
    let room_a = room_a_in_session(&broker, dir.path(), "ana");
    for i in 0..60 {
        let delta = if i % 2 == 0 { -1.0 } else { 1.0 };
        room_a.ok(json!({"op": "volume", "delta_db": delta}));
    }
    let local = room_a.ok(json!({"op": "report"}));
    assert!(local.to_string().len() > 16 * 1024, "{}", local.to_string().len());
    // Ended, so that nothing more is logged between the two reports compared.
    room_a.ok(json!({"op": "stop"}));
    let out = setting(&broker, "ana", &["--room", "room-a", "report", "--json"]);
    assert_code(&out, 0);
    let over_socket = crate::support::setting_against(&room_a, &["report", "--json"]);
    assert_code(&over_socket, 0);
    assert_eq!(json_of(&out), json_of(&over_socket));
}
