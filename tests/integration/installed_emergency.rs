//! The emergency's direct path in the layout settingd is installed in: the daemon runs as its
//! own account with its state directory 0750, the therapist is another account in its group,
//! and only the spool (`<state_dir>/emergency`, setgid and group-writable, as the shipped
//! tmpfiles line makes it) is theirs to write. Killed, emergency, restarted: the room must stay
//! lit, through the marker in the spool or the notice retained on the broker. And a socket
//! someone else made is not believed. Real Mosquitto, real daemons, the CLI run as the
//! therapist's uid.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::broker::{Broker, Spy};
use crate::support::room::Room;
use crate::support::{Daemon, eventually};

const PATIENCE: Duration = Duration::from_secs(20);
const ROOM: &str = "installed-room";
const LIGHTS: [&str; 3] = ["ceiling-1", "ceiling-2", "mat-lamp"];
/// The daemon's account (no entry in the password file needed for the kernel) and the
/// therapists' group, which is also the daemon's.
const DAEMON_UID: u32 = 65534;
const GROUP: u32 = 47_110;
/// A therapist: another account, in the group.
const THERAPIST: u32 = 47_111;
/// `setting emergency` lit the room but left neither the marker nor the notice.
const NOT_KEPT: i32 = 7;

fn room_broker(acl_extra: &str) -> Broker {
    let acl = format!(
        "user {ROOM}\n{acl_extra}topic readwrite setting/{ROOM}/#\ntopic read zigbee2mqtt/#\ntopic write zigbee2mqtt/+/set\n"
    );
    Broker::builder().user(ROOM, "room-password").acl(&acl).start()
}

/// The config and its password file, readable by every account here (in the installed layout
/// the therapists' group reads them).
fn room_config(dir: &Path, broker: &Broker) -> PathBuf {
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).unwrap();
    let config = Room {
        name: ROOM,
        password: "room-password",
        zones: &[("room", &["ceiling-1", "ceiling-2"]), ("mat-1", &["mat-lamp"])],
        broker: (broker.host(), broker.port()),
        mqtt_extra: "",
    }
    .write(dir);
    for file in [config.clone(), dir.join("mqtt-password")] {
        fs::set_permissions(file, fs::Permissions::from_mode(0o644)).unwrap();
    }
    config
}

/// A daemon prepared in the installed layout: state 0750 owned by its account and group, and
/// the spool 2770 (`spool_writable` false: 0750, so the therapist cannot leave the marker).
fn installed_daemon(config: &Path, spool_writable: bool) -> Daemon {
    let daemon = Daemon::builder().config(config).user(DAEMON_UID, GROUP).prepare();
    let state = daemon.state_dir();
    fs::set_permissions(state, fs::Permissions::from_mode(0o750)).unwrap();
    let spool = state.join("emergency");
    fs::create_dir(&spool).unwrap();
    std::os::unix::fs::chown(&spool, Some(DAEMON_UID), Some(GROUP)).unwrap();
    let mode = if spool_writable { 0o2770 } else { 0o750 };
    fs::set_permissions(&spool, fs::Permissions::from_mode(mode)).unwrap();
    daemon
}

/// `setting emergency` as the therapist.
fn emergency_as_therapist(config: &Path, daemon: &Daemon) -> Output {
    Command::new(env!("CARGO_BIN_EXE_setting"))
        .uid(THERAPIST)
        .gid(GROUP)
        .arg("--config")
        .arg(config)
        .arg("--socket")
        .arg(daemon.socket())
        .arg("emergency")
        .arg("--state-dir")
        .arg(daemon.state_dir())
        .env_remove("SETTING_SOCKET")
        .env_remove("SETTING_CONFIG")
        .env("USER", "ana")
        .output()
        .expect("cannot run setting")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn brightness(payload: &str) -> Option<u64> {
    serde_json::from_str::<Value>(payload).ok()?["brightness"].as_u64()
}

fn spool_markers(daemon: &Daemon) -> Vec<PathBuf> {
    fs::read_dir(daemon.state_dir().join("emergency"))
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

fn in_emergency(daemon: &Daemon) -> bool {
    daemon.status()["session"]["overrides"]
        .as_array()
        .is_some_and(|o| o.iter().any(|o| o["kind"] == "emergency"))
}

/// The session of a daemon brought up in the installed layout, its lights dimmed by the scene.
fn running_session(daemon: &mut Daemon, spy: &Spy) {
    daemon.launch();
    daemon.ok(json!({"op": "start", "scene": "sublingual"}));
    let dim = spy.wait_for(PATIENCE, |s| {
        s.topic == "zigbee2mqtt/ceiling-1/set" && brightness(&s.payload).is_some_and(|b| b < 254)
    });
    assert!(
        dim.is_some(),
        "the scene never dimmed ceiling-1: {:?}",
        spy.seen()
    );
}

/// After the restart, the room is in emergency again and nothing dimmed any light meanwhile.
fn assert_kept_lit(daemon: &Daemon, spy: &Spy) {
    let taken = eventually(PATIENCE, || in_emergency(daemon).then_some(()));
    assert!(
        taken.is_some(),
        "not in emergency after the restart: {}",
        daemon.log_text()
    );
    // A second look at the lights after the scene's looks would have gone out.
    std::thread::sleep(Duration::from_millis(1500));
    let dimmed: Vec<_> = spy
        .seen()
        .into_iter()
        .filter(|s| s.topic.ends_with("/set") && brightness(&s.payload).is_some_and(|b| b < 254))
        .collect();
    assert!(
        dimmed.is_empty(),
        "the restarted daemon dimmed the room: {dimmed:?}"
    );
    let report = daemon.ok(json!({"op": "report"}));
    let audited = report["entries"].as_array().expect("entries").iter().any(|e| {
        e["event"] == "override_started" && e["kind"] == "emergency" && e["source"]["via"] == "cli-direct"
    });
    assert!(audited, "no cli-direct emergency in the log: {report}");
}

/// How many times the daemon's log (all its runs) says `what`.
fn count_in_log(daemon: &Daemon, what: &str) -> usize {
    daemon.log_text().matches(what).count()
}

/// The emergencies the session's event log has begun.
fn emergencies_in_event_log(daemon: &Daemon) -> usize {
    daemon
        .entries()
        .iter()
        .filter(|e| e["event"] == "override_started" && e["kind"] == "emergency")
        .count()
}

/// The notice retained on the broker for the room, if any (an empty one is none).
fn retained_notice(broker: &Broker) -> Option<String> {
    let spy = Spy::connect(broker, &format!("setting/{ROOM}/emergency/direct"));
    spy.wait_for(Duration::from_millis(700), |s| s.retain && !s.payload.is_empty())
        .map(|s| s.payload)
}

#[test]
fn a_therapists_direct_emergency_survives_the_daemons_restart_through_the_spool() {
    let broker = room_broker("");
    let spy = Spy::connect(&broker, "zigbee2mqtt/#");
    let dir = tempfile::tempdir().unwrap();
    let config = room_config(dir.path(), &broker);
    let mut daemon = installed_daemon(&config, true);
    running_session(&mut daemon, &spy);
    daemon.kill9();
    spy.clear();

    let out = emergency_as_therapist(&config, &daemon);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "stdout: {stdout}\nstderr: {stderr}");
    assert!(
        stdout.contains("EMERGENCY sent directly to the lights"),
        "{stdout}"
    );
    assert!(stderr.contains("will keep the room in emergency"), "{stderr}");
    for light in LIGHTS {
        let topic = format!("zigbee2mqtt/{light}/set");
        let full = spy.wait_for(PATIENCE, |s| {
            s.topic == topic && brightness(&s.payload) == Some(254)
        });
        assert!(full.is_some(), "{light} not lit: {:?}", spy.seen());
    }
    let markers = spool_markers(&daemon);
    assert_eq!(markers.len(), 1, "{markers:?}");
    let meta = fs::metadata(&markers[0]).unwrap();
    assert_eq!(
        (meta.uid(), meta.gid()),
        (THERAPIST, GROUP),
        "the therapist's, in the group"
    );
    assert_eq!(meta.mode() & 0o777, 0o640);
    assert!(
        retained_notice(&broker).is_some(),
        "the notice is kept on the broker too"
    );
    spy.clear();

    daemon.launch();
    assert_kept_lit(&daemon, &spy);
    let gone = eventually(PATIENCE, || spool_markers(&daemon).is_empty().then_some(()));
    assert!(
        gone.is_some(),
        "the marker must go once honoured: {:?}",
        spool_markers(&daemon)
    );
    // Taken over: the notice leaves the broker, so a later start does not light the room again.
    let cleared = eventually(PATIENCE, || retained_notice(&broker).is_none().then_some(()));
    assert!(cleared.is_some(), "the notice stayed on the broker");
    let log = daemon.log_text();
    assert!(
        log.contains("cli-direct") || log.contains("EMERGENCY sent directly"),
        "{log}"
    );
}

#[test]
fn with_no_marker_the_notice_on_the_broker_keeps_the_restarted_room_lit() {
    let broker = room_broker("");
    let spy = Spy::connect(&broker, "zigbee2mqtt/#");
    let dir = tempfile::tempdir().unwrap();
    let config = room_config(dir.path(), &broker);
    // The spool is not the therapists' to write (an install without the tmpfiles line).
    let mut daemon = installed_daemon(&config, false);
    running_session(&mut daemon, &spy);
    daemon.kill9();
    spy.clear();

    let out = emergency_as_therapist(&config, &daemon);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "stdout: {stdout}\nstderr: {stderr}");
    assert!(
        stderr.contains("the notice retained on the broker; no marker"),
        "{stderr}"
    );
    assert!(spool_markers(&daemon).is_empty());
    assert!(retained_notice(&broker).is_some());
    spy.clear();

    daemon.launch();
    assert_kept_lit(&daemon, &spy);
    let cleared = eventually(PATIENCE, || retained_notice(&broker).is_none().then_some(()));
    assert!(cleared.is_some(), "the notice stayed on the broker");
    // Taken over once: a status or two later there is still one emergency in the log.
    daemon.status();
    assert_eq!(emergencies_in_event_log(&daemon), 1, "{}", daemon.log_text());
}

#[test]
fn a_notice_already_taken_over_that_outlives_the_daemon_does_not_light_the_room_again() {
    let broker = room_broker("");
    let spy = Spy::connect(&broker, "zigbee2mqtt/#");
    let dir = tempfile::tempdir().unwrap();
    let config = room_config(dir.path(), &broker);
    let mut daemon = installed_daemon(&config, false);
    running_session(&mut daemon, &spy);
    daemon.kill9();
    let out = emergency_as_therapist(&config, &daemon);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let notice = retained_notice(&broker).expect("the notice retained on the broker");
    daemon.launch();
    let taken = eventually(PATIENCE, || in_emergency(&daemon).then_some(()));
    assert!(taken.is_some(), "not taken over: {}", daemon.log_text());
    let cleared = eventually(PATIENCE, || retained_notice(&broker).is_none().then_some(()));
    assert!(cleared.is_some(), "the notice stayed on the broker");
    daemon.ok(json!({"op": "resume", "all": true}));
    assert!(!in_emergency(&daemon), "resumed");

    // The daemon dies with the notice back on the broker: its clear never arrived (the
    // broker was away, or the daemon died before sending it).
    const TAKEN_OVER_AGAIN: &str = "left for the daemon as a marker";
    const ONLY_CLEARED: &str = "already taken over; its notice goes";
    let (again_before, cleared_before) = (
        count_in_log(&daemon, TAKEN_OVER_AGAIN),
        count_in_log(&daemon, ONLY_CLEARED),
    );
    daemon.kill9();
    let publisher = Spy::connect(&broker, "unused/#");
    publisher.publish(&format!("setting/{ROOM}/emergency/direct"), &notice, true);
    let back = eventually(PATIENCE, || retained_notice(&broker));
    assert!(back.is_some(), "the notice could not be put back on the broker");
    spy.clear();
    daemon.launch();
    let handled = eventually(PATIENCE, || {
        (count_in_log(&daemon, TAKEN_OVER_AGAIN) > again_before
            || count_in_log(&daemon, ONLY_CLEARED) > cleared_before)
            .then_some(())
    });
    assert!(
        handled.is_some(),
        "the stale notice was never seen: {}",
        daemon.log_text()
    );
    assert_eq!(
        count_in_log(&daemon, TAKEN_OVER_AGAIN),
        again_before,
        "taken over a second time: {}",
        daemon.log_text()
    );
    // The restarted daemon knows it took that one over: it clears the notice, no more.
    let cleared = eventually(PATIENCE, || retained_notice(&broker).is_none().then_some(()));
    assert!(
        cleared.is_some(),
        "the stale notice stayed on the broker: {}",
        daemon.log_text()
    );
    assert!(
        !in_emergency(&daemon),
        "the session went back into the emergency: {}",
        daemon.log_text()
    );
    let lit: Vec<_> = spy
        .seen()
        .into_iter()
        .filter(|s| s.topic.ends_with("/set") && brightness(&s.payload) == Some(254))
        .collect();
    assert!(lit.is_empty(), "the room was lit to full again: {lit:?}");
    assert_eq!(emergencies_in_event_log(&daemon), 1, "{}", daemon.log_text());
}

#[test]
fn with_neither_marker_nor_notice_the_lit_room_is_said_not_to_be_kept() {
    // The room's account may not publish the notice (an ACL written before it existed).
    let broker = room_broker(&format!("topic deny setting/{ROOM}/emergency/#\n"));
    let dir = tempfile::tempdir().unwrap();
    let config = room_config(dir.path(), &broker);
    let daemon = installed_daemon(&config, false);

    let out = emergency_as_therapist(&config, &daemon);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(NOT_KEPT),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        stdout.contains("EMERGENCY sent directly to the lights"),
        "{stdout}"
    );
    assert!(stderr.contains("NOT KEPT"), "{stderr}");
    assert!(
        stderr.contains("Permission denied"),
        "the marker's reason: {stderr}"
    );
}

#[test]
fn a_socket_another_account_made_is_not_believed_and_the_lights_are_lit_directly() {
    let broker = room_broker("");
    let spy = Spy::connect(&broker, "zigbee2mqtt/#");
    let dir = tempfile::tempdir().unwrap();
    let config = room_config(dir.path(), &broker);
    // A real daemon, answering as settingd would, but run by someone else (not the config's
    // `daemon.user`, which is `setting`, nor root, nor the caller), on the socket the CLI tries.
    let stranger = Daemon::builder()
        .config(&config)
        .user(THERAPIST + 1, THERAPIST + 1)
        .arg("--mqtt")
        .arg("127.0.0.1:9")
        .start();

    let out = Command::new(env!("CARGO_BIN_EXE_setting"))
        .arg("--config")
        .arg(&config)
        .arg("--socket")
        .arg(stranger.socket())
        .arg("emergency")
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .env_remove("SETTING_SOCKET")
        .env_remove("SETTING_CONFIG")
        .output()
        .expect("cannot run setting");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "stdout: {stdout}\nstderr: {stderr}");
    assert!(stderr.contains("not believed"), "{stderr}");
    assert!(
        stdout.contains("EMERGENCY sent directly to the lights"),
        "{stdout}"
    );
    assert!(!stdout.contains("through settingd"), "{stdout}");
    let lit = spy.wait_for(PATIENCE, |s| brightness(&s.payload) == Some(254));
    assert!(lit.is_some(), "{:?}", spy.seen());
    // Nothing was said to the stranger's server.
    assert!(
        !stranger.log_text().contains("EMERGENCY"),
        "{}",
        stranger.log_text()
    );
}

#[test]
fn empty_variables_keep_no_emergency_from_trying_the_socket_and_the_broker() {
    let broker = room_broker("");
    let spy = Spy::connect(&broker, "zigbee2mqtt/#");
    let dir = tempfile::tempdir().unwrap();
    let config = room_config(dir.path(), &broker);
    let daemon = Daemon::builder().config(&config).prepare();
    let out = Command::new(env!("CARGO_BIN_EXE_setting"))
        .args(["emergency", "--timeout", "soon", "--state-dir"])
        .arg(daemon.state_dir())
        .env("SETTING_SOCKET", daemon.socket())
        .env("SETTING_CONFIG", &config)
        .env("SETTING_ROOM", "")
        .env("SETTING_BROKER", "")
        .output()
        .expect("cannot run setting");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "stdout: {stdout}\nstderr: {stderr}");
    assert!(
        stderr.contains("`soon`") || stderr.contains("'soon'"),
        "the flag left out is said: {stderr}"
    );
    assert!(
        stdout.contains("EMERGENCY sent directly to the lights"),
        "{stdout}"
    );
    let lit = spy.wait_for(PATIENCE, |s| brightness(&s.payload) == Some(254));
    assert!(lit.is_some(), "{:?}", spy.seen());

    // The config's variable empty: the usual places (none here), and still the socket first.
    let out = Command::new(env!("CARGO_BIN_EXE_setting"))
        .args(["emergency"])
        .env("SETTING_SOCKET", "")
        .env("SETTING_CONFIG", "")
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        // The fallback socket in here: never a daemon someone else runs on this machine.
        .env("XDG_RUNTIME_DIR", dir.path())
        .current_dir(dir.path())
        .output()
        .expect("cannot run setting");
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("a value is required"), "{stderr}");
    assert!(
        stderr.contains("the daemon did not answer"),
        "the socket was tried: {stderr}"
    );
}

/// The shipped tmpfiles line makes the spool as the tests above have it: setgid, group
/// writable, the daemon's account and group, inside the daemon's state directory.
#[test]
fn the_shipped_tmpfiles_line_makes_the_spool_for_the_group() {
    let root = tempfile::tempdir().unwrap();
    fs::create_dir_all(root.path().join("etc")).unwrap();
    fs::create_dir_all(root.path().join("var/lib/setting")).unwrap();
    fs::write(
        root.path().join("etc/passwd"),
        format!("setting:x:{DAEMON_UID}:{GROUP}::/var/lib/setting:/usr/sbin/nologin\n"),
    )
    .unwrap();
    fs::write(root.path().join("etc/group"), format!("setting:x:{GROUP}:\n")).unwrap();
    let out = Command::new("systemd-tmpfiles")
        .arg("--create")
        .arg(format!("--root={}", root.path().display()))
        .arg(crate::support::repo_path("systemd/tmpfiles.d/setting.conf"))
        .output()
        .expect("systemd-tmpfiles");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let spool = fs::metadata(root.path().join("var/lib/setting/emergency")).unwrap();
    assert_eq!(spool.mode() & 0o7777, 0o2770);
    assert_eq!((spool.uid(), spool.gid()), (DAEMON_UID, GROUP));
}

/// What any member of the group may leave in the spool is checked: a zone the room does not
/// have is left out (and with none left, the whole room is lit, the safe way round), a link is
/// refused and honoured as the whole room's, and each is named in the daemon's log; the sender
/// recorded is the file's owner, whatever the file says.
#[test]
fn untrusted_markers_in_the_spool_are_checked_and_named() {
    let broker = room_broker("");
    let spy = Spy::connect(&broker, "zigbee2mqtt/#");
    let dir = tempfile::tempdir().unwrap();
    let config = room_config(dir.path(), &broker);
    let mut daemon = installed_daemon(&config, true);
    let spool = daemon.state_dir().join("emergency");
    let forged = spool.join("direct-1-1.json");
    fs::write(
        &forged,
        r#"{"id": "1-1", "sent_unix_ms": 1, "whole_room": false, "zones": ["mat-9"], "lights": [], "user": "root", "broker": "x"}"#,
    )
    .unwrap();
    std::os::unix::fs::chown(&forged, Some(THERAPIST), Some(GROUP)).unwrap();
    let elsewhere = dir.path().join("elsewhere.json");
    fs::write(&elsewhere, "{}").unwrap();
    let link = spool.join("direct-2-2.json");
    std::os::unix::fs::symlink(&elsewhere, &link).unwrap();

    daemon.launch();
    for light in LIGHTS {
        let topic = format!("zigbee2mqtt/{light}/set");
        let full = spy.wait_for(PATIENCE, |s| {
            s.topic == topic && brightness(&s.payload) == Some(254)
        });
        assert!(full.is_some(), "{light} not lit: {:?}", spy.seen());
    }
    let log = daemon.log_text();
    assert!(
        log.contains("zones this room does not have") && log.contains("direct-1-1.json"),
        "{log}"
    );
    assert!(
        log.contains("direct-2-2.json") && log.contains("symbolic link"),
        "{log}"
    );
    assert!(log.contains("uid 47111") && log.contains("it says root"), "{log}");
    let gone = eventually(PATIENCE, || spool_markers(&daemon).is_empty().then_some(()));
    assert!(gone.is_some(), "{:?}", spool_markers(&daemon));
    assert_eq!(
        fs::read_to_string(&elsewhere).unwrap(),
        "{}",
        "the link's target is untouched"
    );
}
