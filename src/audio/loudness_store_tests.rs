use std::os::unix::fs::{FileTypeExt, PermissionsExt};

use super::*;
use crate::audio::read_watch::DEFAULT_READ_TIMEOUT;

fn loudness(lufs: f64) -> Loudness {
    Loudness {
        lufs: Some(lufs),
        true_peak_dbtp: Some(-3.0),
        seconds: 1.0,
        replaygain_db: None,
    }
}

fn identity(mtime_ns: u64) -> FileIdentity {
    FileIdentity { size: 10, mtime_ns }
}

/// Runs `job` on a thread whose file accesses are checked as an ordinary account's (nobody's)
/// when the tests run as root, whom no permission bits stop. On Linux the file-system ids are
/// each thread's own, so the rest of the test process keeps its own.
fn without_root<T: Send>(job: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                // SAFETY: geteuid(2) takes nothing and cannot fail.
                if unsafe { libc::geteuid() } == 0 {
                    // SAFETY: setfsgid(2) and setfsuid(2) change only the calling thread's
                    // file-system ids; this thread ends with the job.
                    unsafe {
                        libc::setfsgid(65534);
                        libc::setfsuid(65534);
                    }
                }
                job()
            })
            .join()
            .expect("the job panicked")
    })
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_measurement_is_read_back_at_once_and_written_beside_the_media() {
    let media = tempfile::tempdir().unwrap();
    let store = LoudnessStore::new(media.path(), None, DEFAULT_READ_TIMEOUT);
    assert_eq!(store.save().unwrap(), None, "nothing to write");
    store.record("a.flac", identity(1), loudness(-20.0));
    assert_eq!(store.load().get("a.flac", identity(1)), Some(&loudness(-20.0)));
    assert!(!LoudnessCache::path(media.path()).exists(), "not written yet");
    assert_eq!(store.unsaved_count(), 1);

    let kept = store.save().unwrap();
    assert_eq!(kept, Some(Kept::Media(LoudnessCache::path(media.path()))));
    assert_eq!(store.unsaved_count(), 0);
    let fresh = LoudnessStore::new(media.path(), None, DEFAULT_READ_TIMEOUT);
    assert_eq!(fresh.load().get("a.flac", identity(1)), Some(&loudness(-20.0)));
}

#[test]
fn a_save_adds_to_what_another_process_wrote_meanwhile() {
    let media = tempfile::tempdir().unwrap();
    let mut theirs = LoudnessCache::default();
    theirs.put("theirs.flac", identity(1), loudness(-30.0));
    theirs.save(media.path()).unwrap();
    let store = LoudnessStore::new(media.path(), None, DEFAULT_READ_TIMEOUT);
    store.record("ours.flac", identity(2), loudness(-10.0));
    store.save().unwrap();
    let cache = LoudnessCache::load(media.path()).unwrap();
    assert!(cache.get("theirs.flac", identity(1)).is_some());
    assert!(cache.get("ours.flac", identity(2)).is_some());
}

#[test]
fn a_media_directory_that_cannot_be_written_keeps_the_measurements_in_the_fallback() {
    let dir = tempfile::tempdir().unwrap();
    chmod(dir.path(), 0o755);
    let media = dir.path().join("media");
    let state = dir.path().join("state");
    std::fs::create_dir(&media).unwrap();
    std::fs::create_dir(&state).unwrap();
    // What a curator measured before the library was made read-only is still read.
    let mut curated = LoudnessCache::default();
    curated.put("old.flac", identity(1), loudness(-25.0));
    curated.save(&media).unwrap();
    chmod(&media, 0o555);
    chmod(&state, 0o777);

    let (kept, seen, unkept) = without_root(|| {
        let store = LoudnessStore::new(&media, Some(&state), DEFAULT_READ_TIMEOUT);
        store.record("new.flac", identity(2), loudness(-12.0));
        let kept = store.save().unwrap();
        // Read back by a process that starts afresh, with the same fall-back.
        let seen = LoudnessStore::new(&media, Some(&state), DEFAULT_READ_TIMEOUT).load();
        // With nowhere to write, the measurements stay in memory, and the reason is given.
        let nowhere = LoudnessStore::new(&media, None, DEFAULT_READ_TIMEOUT);
        nowhere.record("new.flac", identity(2), loudness(-12.0));
        let unkept = nowhere.save().map_err(|e| crate::error_text::error_chain(&e));
        assert_eq!(nowhere.unsaved_count(), 1, "kept to be tried again");
        assert!(nowhere.load().get("new.flac", identity(2)).is_some());
        (kept, seen, unkept)
    });
    assert_eq!(kept, Some(Kept::Fallback(state.join(FALLBACK_FILE))));
    assert!(state.join(FALLBACK_FILE).is_file());
    assert!(
        seen.get("new.flac", identity(2)).is_some(),
        "the fall-back is read"
    );
    assert!(
        seen.get("old.flac", identity(1)).is_some(),
        "and the media's own cache"
    );
    assert!(
        LoudnessCache::load(&media)
            .unwrap()
            .get("new.flac", identity(2))
            .is_none(),
        "nothing was written into the media directory"
    );
    let why = unkept.unwrap_err();
    assert!(
        why.contains(".setting-loudness.json") && why.contains("ermission denied"),
        "{why}"
    );
    chmod(&media, 0o755);
}

#[test]
fn of_two_measurements_of_one_file_the_later_version_wins() {
    let mut cache = LoudnessCache::default();
    cache.put("a.flac", identity(5), loudness(-20.0));
    let mut older = LoudnessCache::default();
    older.put("a.flac", identity(3), loudness(-30.0));
    older.put("b.flac", identity(3), loudness(-30.0));
    merge(&mut cache, older);
    assert!(cache.get("a.flac", identity(5)).is_some());
    assert!(cache.get("b.flac", identity(3)).is_some());
    let mut newer = LoudnessCache::default();
    newer.put("a.flac", identity(9), loudness(-15.0));
    merge(&mut cache, newer);
    assert!(cache.get("a.flac", identity(9)).is_some());
}

#[test]
fn a_fifo_planted_at_the_cache_s_name_is_refused_at_once_and_the_fallback_used() {
    let media = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let cache = LoudnessCache::path(media.path());
    let name = std::ffi::CString::new(cache.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo(3) only reads it.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o666) }, 0, "mkfifo");
    let (root, fallback) = (media.path().to_owned(), state.path().to_owned());
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let store = LoudnessStore::new(&root, Some(fallback.as_path()), DEFAULT_READ_TIMEOUT);
        let empty = store.load().get("a.flac", identity(1)).is_none();
        store.record("a.flac", identity(1), loudness(-20.0));
        let _ = done.send((empty, store.save().map_err(|e| e.to_string())));
    });
    // A FIFO opened for reading would wait for a writer for ever.
    let (empty, saved) = finished
        .recv_timeout(std::time::Duration::from_secs(5))
        .expect("reading the cache hung on the FIFO");
    assert!(empty, "nothing is read from a FIFO");
    assert!(
        matches!(saved, Ok(Some(Kept::Fallback(_)))),
        "kept in the state directory instead: {saved:?}"
    );
    assert!(
        std::fs::symlink_metadata(&cache).unwrap().file_type().is_fifo(),
        "what was planted is left alone"
    );
    let fresh = LoudnessStore::new(media.path(), Some(state.path()), DEFAULT_READ_TIMEOUT);
    assert_eq!(fresh.load().get("a.flac", identity(1)), Some(&loudness(-20.0)));
}
