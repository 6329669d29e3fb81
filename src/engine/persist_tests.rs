use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::*;
use crate::scene::{Phase, PhaseEnd, Scene, SceneKind};
use crate::timeline::{Policy, Source, Timeline};

/// A session of a one-phase scene, saved now.
fn saved() -> SavedSession {
    let scene = Scene {
        name: "quiet".into(),
        title: "Quiet".into(),
        description: String::new(),
        kind: SceneKind::Individual,
        phases: vec![Phase {
            id: "rest".into(),
            title: "Rest".into(),
            planned: Millis::from_mins(30),
            min: None,
            max: None,
            ends: PhaseEnd::Therapist,
            sets_mark: None,
            music: None,
            light: BTreeMap::new(),
            cues: Vec::new(),
        }],
        cues: Vec::new(),
        closing_phase: 0,
        grounding_track: None,
    };
    let (timeline, _) = Timeline::start(scene, Policy::default(), "s1".into(), Source::daemon());
    SavedSession {
        version: STATE_VERSION,
        snapshot: timeline.snapshot(),
        session_time: Millis::from_mins(3),
        wall_unix_ms: 1_750_000_000_000,
        speed: 1.0,
        log_seq: 41,
    }
}

/// `saved()` as JSON, with `change` made to it.
fn saved_json(change: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut value = serde_json::to_value(saved()).unwrap();
    change(&mut value);
    serde_json::to_vec_pretty(&value).unwrap()
}

/// Loads `bytes` from a state file and returns why it was set aside.
fn set_aside_because(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = StateFile::in_dir(dir.path());
    fs::write(file.path(), bytes).unwrap();
    let err = file.load().unwrap_err();
    let PersistError::Damaged { reason, aside, .. } = err else {
        panic!("{err:?}")
    };
    assert!(!file.path().exists());
    assert_eq!(fs::read(aside).unwrap(), bytes);
    reason
}

fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: mkfifo(3) with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "mkfifo");
}

#[test]
fn a_saved_session_reads_back_log_seq_included() {
    let dir = tempfile::tempdir().unwrap();
    let file = StateFile::in_dir(dir.path());
    file.save(&saved()).unwrap();
    assert_eq!(file.load().unwrap(), Some(saved()));
    // Files from before it was kept read as covering nothing.
    fs::write(
        file.path(),
        saved_json(|v| {
            v.as_object_mut().unwrap().remove("log_seq");
        }),
    )
    .unwrap();
    assert_eq!(file.load().unwrap().unwrap().log_seq, 0);
}

#[test]
fn each_value_out_of_bounds_sets_the_file_aside_naming_its_field() {
    for (field, value, said) in [
        (
            "session_time",
            json!(u64::MAX),
            "`session_time` is 18446744073709551615 ms",
        ),
        ("speed", json!(0.0), "`speed` is 0"),
        ("speed", json!(-2.0), "`speed` is -2"),
        ("speed", json!(1e9), "`speed` is 1000000000"),
        ("wall_unix_ms", json!(0), "`wall_unix_ms` is 0"),
        (
            "wall_unix_ms",
            json!(u64::MAX),
            "`wall_unix_ms` is 18446744073709551615",
        ),
    ] {
        let reason = set_aside_because(&saved_json(|v| v[field] = value.clone()));
        assert!(reason.starts_with(said), "{field}: {reason}");
    }
    let reason = set_aside_because(&saved_json(|v| {
        v["snapshot"]["state"]["volume_offset_db"] = json!(1000.0)
    }));
    assert!(
        reason.starts_with("`snapshot.state.volume_offset_db` is 1000 dB"),
        "{reason}"
    );
    let reason = set_aside_because(&saved_json(|v| {
        v["snapshot"]["policy"]["emergency"]["look"]["brightness"] = json!(0.0)
    }));
    assert!(
        reason.starts_with("`snapshot.policy.emergency.look.brightness` is 0 %"),
        "{reason}"
    );
}

#[test]
fn a_key_said_twice_sets_the_file_aside() {
    let text = String::from_utf8(saved_json(|_| {})).unwrap();
    let twice = text.replacen("\"speed\": 1.0", "\"speed\": 1.0,\n  \"speed\": 60.0", 1);
    assert_ne!(text, twice);
    let reason = set_aside_because(twice.as_bytes());
    assert!(
        reason.contains("the key `speed` appears more than once"),
        "{reason}"
    );
}

#[test]
fn a_fifo_in_its_place_is_set_aside_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = StateFile::in_dir(dir.path());
    mkfifo(file.path());
    let started = Instant::now();
    let err = file.load().unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    let PersistError::Damaged { reason, aside, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(reason, "it is a FIFO, not a regular file");
    assert!(fs::symlink_metadata(aside).is_ok());
    assert!(file.load().unwrap().is_none());
}

#[test]
fn a_link_to_dev_zero_in_its_place_is_set_aside_unread() {
    let dir = tempfile::tempdir().unwrap();
    let file = StateFile::in_dir(dir.path());
    symlink("/dev/zero", file.path()).unwrap();
    let err = file.load().unwrap_err();
    let PersistError::Damaged { reason, aside, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(reason, "it is a symbolic link, which is not followed");
    // The link itself was moved; what it points at was not touched.
    assert_eq!(fs::read_link(aside).unwrap(), Path::new("/dev/zero"));
    assert!(file.load().unwrap().is_none());
}

#[test]
fn a_file_past_the_limit_is_set_aside_unread() {
    let dir = tempfile::tempdir().unwrap();
    let file = StateFile::in_dir(dir.path());
    let big = fs::File::create(file.path()).unwrap();
    big.set_len(Limit::STATE_FILE.bytes + 1).unwrap();
    let err = file.load().unwrap_err();
    assert!(
        err.to_string()
            .contains("it is 4194305 bytes, more than the 4194304 bytes a state file may be"),
        "{err}"
    );
}

#[test]
fn a_link_planted_at_the_temporary_copy_is_not_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let file = StateFile::in_dir(dir.path());
    let victim = dir.path().join("victim");
    fs::write(&victim, b"precious").unwrap();
    symlink(&victim, dir.path().join("session.json.tmp")).unwrap();
    file.save(&saved()).unwrap();
    assert_eq!(fs::read(&victim).unwrap(), b"precious");
    assert_eq!(file.load().unwrap(), Some(saved()));
}

#[test]
fn a_missing_file_is_no_session() {
    let dir = tempfile::tempdir().unwrap();
    assert!(StateFile::in_dir(dir.path()).load().unwrap().is_none());
    StateFile::in_dir(dir.path()).remove().unwrap();
}

#[test]
fn a_damaged_file_is_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let file = StateFile::in_dir(dir.path());
    fs::write(file.path(), b"{ not json").unwrap();
    let err = file.load().unwrap_err();
    let PersistError::Damaged { aside, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(!file.path().exists());
    assert_eq!(fs::read(aside).unwrap(), b"{ not json");
    assert!(
        aside
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("session.json.damaged-")
    );
    assert!(file.load().unwrap().is_none());
}
