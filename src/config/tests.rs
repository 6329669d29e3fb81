//! The config's rules, pinned to their messages and positions.

use std::path::{Path, PathBuf};

use super::*;
use crate::time::Millis;
use crate::timeline::Policy;

fn env() -> Environment {
    Environment {
        euid: 1000,
        home: Some("/home/ann".into()),
        ..Environment::default()
    }
}

pub(super) const ROOM: &str =
    "[room]\nname = \"demo-room\"\n[[room.zone]]\nname = \"room\"\n[[room.zone]]\nname = \"mat-1\"\n";

pub(super) fn parse(text: &str) -> Result<Config, Vec<String>> {
    parse_config_in(Path::new("/etc/setting/settingd.toml"), text, &env()).map_err(|e| {
        e.iter()
            .map(|d| d.to_string().replace("/etc/setting/settingd.toml:", ""))
            .collect()
    })
}

pub(super) fn one(text: &str) -> String {
    let p = parse(text).unwrap_err();
    assert_eq!(p.len(), 1, "{p:#?}");
    p[0].clone()
}

#[test]
fn a_minimal_config_takes_the_defaults() {
    let c = parse(ROOM).unwrap();
    assert_eq!(c.room.name, "demo-room");
    assert_eq!(c.zone_names(), ["room", "mat-1"]);
    assert_eq!(c.daemon.socket, Path::new("/tmp/setting-1000/settingd.sock"));
    assert_eq!(c.daemon.socket_mode, 0o660);
    assert_eq!(c.daemon.state_dir, Path::new("/home/ann/.local/state/setting"));
    assert_eq!(c.daemon.speed, 1.0);
    assert_eq!(c.daemon.user, "setting");
    assert_eq!(c.paths.scenes, Path::new("/etc/setting/scenes"));
    assert_eq!(c.paths.media, Path::new("/etc/setting/media"));
    assert_eq!(
        c.policy,
        Policy {
            zones: vec!["room".into(), "mat-1".into()],
            ..Policy::default()
        }
    );
}

#[test]
fn everything_given() {
    let text = format!(
        "{ROOM}[daemon]\nsocket = \"/run/x.sock\"\nsocket_mode = \"0o600\"\nsocket_group = \"therapists\"\n\
         user = \"room-daemon\"\nstate_dir = \"state\"\nspeed = 60\n[paths]\nscenes = \"../scenes\"\nplaylists = \"/srv/playlists\"\n\
         [overrides]\nemergency = {{ kelvin = 4500 }}\ncheck_duck_db = 15\nmute_fade = \"5s\"\n"
    );
    let c = parse(&text).unwrap();
    assert_eq!(c.daemon.socket, Path::new("/run/x.sock"));
    assert_eq!(c.daemon.socket_mode, 0o600);
    assert_eq!(c.daemon.socket_group.as_deref(), Some("therapists"));
    assert_eq!(c.daemon.user, "room-daemon");
    assert_eq!(c.daemon.state_dir, Path::new("/etc/setting/state"));
    assert_eq!(c.daemon.speed, 60.0);
    assert_eq!(c.paths.scenes, PathBuf::from("/etc/setting/../scenes"));
    assert_eq!(c.paths.playlists, Path::new("/srv/playlists"));
    assert_eq!(c.policy.emergency.look.kelvin, 4500);
    assert_eq!(
        c.policy.emergency.look.brightness, 100.0,
        "keys left out keep the built-in value"
    );
    assert_eq!(c.policy.check_duck_db, 15.0);
    assert_eq!(c.policy.mute_fade, Millis::from_secs(5));
}

#[test]
fn zones_are_required_plain_and_unique() {
    assert_eq!(
        one("[room]\nname = \"r\"\n"),
        "1:1: the room has no zones; expected at least one [[room.zone]] with a `name`"
    );
    assert_eq!(
        one(&format!("{ROOM}[[room.zone]]\nname = \"room\"\n")),
        "8:8: duplicate zone `room`; first named on line 4"
    );
    assert_eq!(
        one("[room]\nname = \"r\"\n[[room.zone]]\nname = \"Mat 1\"\n"),
        "4:8: zone name `Mat 1` is not a plain name; expected lowercase letters, digits and `-`, such as `mat-1`"
    );
}

#[test]
fn daemon_values() {
    assert_eq!(
        one(&format!("{ROOM}[daemon]\nsocket_mode = \"0999\"\n")),
        "8:15: socket_mode `0999` is not a permission mode; expected octal digits up to 0777, such as \"0660\""
    );
    assert!(
        one(&format!("{ROOM}[daemon]\nsocket_mode = \"1777\"\n")).starts_with("8:15: socket_mode `1777`")
    );
    assert_eq!(
        one(&format!("{ROOM}[daemon]\nspeed = 0\n")),
        "8:9: speed 0 is out of range; expected above 0 and at most 1000"
    );
    assert!(
        one(&format!("{ROOM}[daemon]\nspeed = 1001.5\n")).starts_with("8:9: speed 1001.5 is out of range")
    );
    assert_eq!(
        one(&format!("{ROOM}[daemon]\nsocket_mode = 660\n")),
        "8:15: invalid type: integer `660`, expected a string"
    );
}

#[test]
fn override_limits() {
    let p = parse(&format!(
        "{ROOM}[overrides]\nemergency = {{ brightness = 20, fade = \"1m\" }}\ncheck_duck_db = 80\n\
         mute_fade = \"0s\"\nmax_volume_step_db = 30\nmax_light_step_percent = 0\nmax_kelvin_step = 9000\n"
    ))
    .unwrap_err();
    assert_eq!(
        p,
        [
            "8:28: emergency brightness 20 is out of range; expected 50 to 100 %",
            "8:39: emergency fade of 1m is too long; expected at most 5s",
            "9:17: check_duck_db 80 is out of range; expected 0 to 60 dB",
            "10:13: mute_fade must be longer than zero: every change ramps, or it clicks",
            "11:22: max_volume_step_db 30 is out of range; expected 0.5 to 12 dB",
            "12:26: max_light_step_percent 0 is out of range; expected 1 to 100 %",
            "13:19: max_kelvin_step 9000 is out of range; expected 50 to 5000 K",
        ]
    );
}

#[test]
fn unknown_keys_and_missing_sections() {
    assert_eq!(
        one(&format!("{ROOM}[daemon]\nsokcet = \"x\"\n")),
        "8:1: unknown field `sokcet`, expected one of `socket`, `socket_mode`, `socket_group`, `user`, `state_dir`, \
         `speed`, `allow_world_writable_socket`; did you mean `socket`?"
    );
    // Every mistyped key at once, and the values under them still checked as the keys meant.
    let p = parse(&format!("{ROOM}[daemon]\nsped = 5000\n[audio]\nceling_db = 3\n")).unwrap_err();
    assert_eq!(p.len(), 4, "{p:#?}");
    assert!(p[0].starts_with("8:1: unknown field `sped`") && p[0].ends_with("did you mean `speed`?"));
    assert!(p[1].starts_with("8:8: speed 5000 is out of range"), "{p:#?}");
    assert!(
        p[2].starts_with("10:1: unknown field `celing_db`") && p[2].ends_with("did you mean `ceiling_db`?")
    );
    assert!(p[3].starts_with("10:13: ceiling_db 3 is out of range"), "{p:#?}");
    assert_eq!(one("[daemon]\n"), "1:1: missing field `room`");
}

#[test]
fn audio_defaults_to_the_default_device_at_48k_under_minus_one_db() {
    let c = parse(ROOM).unwrap();
    assert_eq!(c.audio.output, super::OutputSpec::Default);
    assert_eq!(c.audio.rate, 48_000);
    assert_eq!(c.audio.ceiling_db, -1.0);
    assert_eq!(c.audio.max_boost_db, 20.0);
    assert_eq!(c.audio.read_timeout, std::time::Duration::from_secs(10));
    assert_eq!(c.audio.target_lufs, -23.0, "EBU R 128's programme level");
    let quieter = parse(&format!("{ROOM}[audio]\ntarget_lufs = -27\n")).unwrap();
    assert_eq!(quieter.audio.target_lufs, -27.0);
}

#[test]
fn audio_wav_paths_count_from_the_config_file() {
    let text = format!("{ROOM}[audio]\noutput = \"wav:rec/out.wav\"\nceiling_db = -6\nrate = 44100\n");
    let c = parse(&text).unwrap();
    assert_eq!(
        c.audio.output,
        super::OutputSpec::Wav(PathBuf::from("/etc/setting/rec/out.wav"))
    );
    assert_eq!((c.audio.ceiling_db, c.audio.rate), (-6.0, 44_100));
    let named = parse(&format!("{ROOM}[audio]\noutput = \"device:hw:1,0\"\n")).unwrap();
    assert_eq!(named.audio.output, super::OutputSpec::Device("hw:1,0".into()));
}

#[test]
fn audio_rejects_a_bad_output_a_positive_ceiling_and_a_strange_rate() {
    assert_eq!(
        one(&format!("{ROOM}[audio]\noutput = \"speakers\"\n")),
        "8:10: `speakers` is not an audio output; expected `default`, `null`, `wav:PATH` or `device:NAME`"
    );
    assert_eq!(
        one(&format!("{ROOM}[audio]\nceiling_db = 3\n")),
        "8:14: ceiling_db 3 is out of range; expected -60 to 0 dBFS"
    );
    assert_eq!(
        one(&format!("{ROOM}[audio]\nrate = 100\n")),
        "8:8: rate 100 is out of range; expected 8000 to 192000 Hz"
    );
    assert_eq!(
        one(&format!("{ROOM}[audio]\ntarget_lufs = -3\n")),
        "8:15: target_lufs -3 is out of range; expected -40 to -10 LUFS"
    );
    assert_eq!(
        one(&format!("{ROOM}[audio]\nmax_boost_db = 50\n")),
        "8:16: max_boost_db 50 is out of range; expected 0 to 40 dB"
    );
    assert_eq!(
        one(&format!("{ROOM}[audio]\nread_timeout = \"500ms\"\n")),
        "8:16: read_timeout of 500ms is out of range; expected 1s to 60s"
    );
    let patient = parse(&format!("{ROOM}[audio]\nread_timeout = \"30s\"\n")).unwrap();
    assert_eq!(patient.audio.read_timeout, std::time::Duration::from_secs(30));
    assert!(one(&format!("{ROOM}[audio]\nvolume = 3\n")).contains("volume"));
}

#[test]
fn prompt_reminder_defaults_to_ten_minutes_and_is_held_to_its_range() {
    assert_eq!(parse(ROOM).unwrap().policy.prompt_reminder, Millis::from_mins(10));
    let set = parse(&format!("{ROOM}[session]\nprompt_reminder = \"15m\"\n")).unwrap();
    assert_eq!(set.policy.prompt_reminder, Millis::from_mins(15));
    assert_eq!(
        one(&format!("{ROOM}[session]\nprompt_reminder = \"20s\"\n")),
        "8:19: [session] prompt_reminder of 20s is out of range; expected between 1m and 2h"
    );
    assert!(
        one(&format!("{ROOM}[session]\nprompt_reminder = \"soon\"\n")).starts_with("8:19: "),
        "a bad duration is named at its place"
    );
    assert!(one(&format!("{ROOM}[session]\nreminder = \"5m\"\n")).contains("unknown field `reminder`"));
}
