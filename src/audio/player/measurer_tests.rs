use std::time::Instant;

use super::*;
use crate::audio::loudness_cache::LoudnessCache;
use crate::audio::read_watch::DEFAULT_READ_TIMEOUT;
use crate::audio::test_media::{sine, write_wav};

const RATE: u32 = 8_000;
const TIMEOUT: Duration = crate::audio::read_watch::DEFAULT_READ_TIMEOUT;

fn tone(path: &Path, amp: f32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    write_wav(path, &sine(RATE as usize / 2, RATE, 440.0, amp), RATE, 1);
}

/// Waits up to 30 s for `check` to hold.
fn eventually(mut check: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn on_disk(media: &Path, rel: &str) -> bool {
    let cache = LoudnessCache::load(media).unwrap();
    FileIdentity::of(&media.join(rel)).is_ok_and(|id| cache.get(rel, id).is_some())
}

#[test]
fn what_is_not_measured_is_measured_in_the_background_and_so_is_a_file_added_later() {
    let media = tempfile::tempdir().unwrap();
    tone(&media.path().join("named.wav"), 0.5);
    tone(&media.path().join("album/other.wav"), 0.05);
    tone(&media.path().join(".hidden.wav"), 0.5);
    std::fs::write(media.path().join("notes.txt"), "not audio").unwrap();
    let store = Arc::new(LoudnessStore::new(media.path(), None, DEFAULT_READ_TIMEOUT));
    let measurer = Measurer::spawn(
        store,
        vec!["named.wav".into()],
        Duration::from_millis(50),
        TIMEOUT,
    )
    .unwrap();

    assert!(eventually(
        || on_disk(media.path(), "named.wav") && on_disk(media.path(), "album/other.wav")
    ));
    let cache = LoudnessCache::load(media.path()).unwrap();
    let lufs = |rel: &str| cache.files[rel].loudness.lufs.unwrap();
    assert!(
        (lufs("named.wav") - lufs("album/other.wav") - 20.0).abs() < 0.5,
        "measured as they are: {} and {}",
        lufs("named.wav"),
        lufs("album/other.wav")
    );
    assert_eq!(
        cache.files.len(),
        2,
        "hidden files and other files are passed over"
    );

    // Dropped into the library while the daemon runs: found at the next look-over.
    tone(&media.path().join("album/new.wav"), 0.2);
    assert!(eventually(|| on_disk(media.path(), "album/new.wav")));
    // Replaced by another file: measured again.
    let before = LoudnessCache::load(media.path()).unwrap().files["named.wav"].clone();
    tone(&media.path().join("named.wav"), 0.05);
    assert!(eventually(|| on_disk(media.path(), "named.wav")));
    let after = &LoudnessCache::load(media.path()).unwrap().files["named.wav"];
    assert!(
        before.loudness.lufs.unwrap() - after.loudness.lufs.unwrap() > 15.0,
        "{before:?} then {after:?}"
    );
    drop(measurer);
}

/// The measurer takes only time nothing else wants: its thread runs at nice 19.
#[test]
fn the_measurer_runs_at_the_lowest_priority() {
    let media = tempfile::tempdir().unwrap();
    let store = Arc::new(LoudnessStore::new(media.path(), None, DEFAULT_READ_TIMEOUT));
    let measurer = Measurer::spawn(store, Vec::new(), Duration::from_secs(60), TIMEOUT).unwrap();
    let nices = || -> Vec<i64> {
        std::fs::read_dir("/proc/self/task")
            .unwrap()
            .flatten()
            .filter(|task| {
                std::fs::read_to_string(task.path().join("comm")).is_ok_and(|c| c.trim() == THREAD_NAME)
            })
            .filter_map(|task| {
                let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
                // Fields after the parenthesised name: state is the 3rd field, nice the 19th.
                let after = &stat[stat.rfind(')')? + 2..];
                after.split(' ').nth(16)?.parse().ok()
            })
            .collect()
    };
    assert!(eventually(|| {
        let nices = nices();
        !nices.is_empty() && nices.iter().all(|&n| n == 19)
    }));
    drop(measurer);
}

#[test]
fn a_file_that_cannot_be_measured_is_tried_again_only_once_it_changes() {
    let media = tempfile::tempdir().unwrap();
    let bad = media.path().join("bad.wav");
    std::fs::write(&bad, b"RIFF, but no more").unwrap();
    let store = LoudnessStore::new(media.path(), None, DEFAULT_READ_TIMEOUT);
    let looks = &mut Looks::new(media.path(), TIMEOUT);
    let todo = look_over(&store, &[], &HashMap::new(), looks);
    assert_eq!(todo.len(), 1);
    let (rel, identity) = todo[0].clone();
    assert!(crate::audio::measure::measure_into(&store, &rel).is_err());
    let failed = HashMap::from([(rel, identity)]);
    assert!(look_over(&store, &[], &failed, looks).is_empty());
    tone(&bad, 0.3);
    assert_eq!(look_over(&store, &[], &failed, looks).len(), 1, "fixed since");
}

#[test]
fn the_playlists_files_come_first_and_links_to_directories_are_not_followed() {
    let media = tempfile::tempdir().unwrap();
    for rel in ["a/1.flac", "b/2.MP3", "c.ogg", "z/last.wav"] {
        let path = media.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"x").unwrap();
    }
    std::os::unix::fs::symlink(media.path(), media.path().join("a/loop")).unwrap();
    let store = LoudnessStore::new(media.path(), None, DEFAULT_READ_TIMEOUT);
    let looks = &mut Looks::new(media.path(), TIMEOUT);
    let todo: Vec<String> = look_over(
        &store,
        &["z/last.wav".into(), "gone.wav".into()],
        &HashMap::new(),
        looks,
    )
    .into_iter()
    .map(|(rel, _)| rel)
    .collect();
    assert_eq!(todo, ["z/last.wav", "a/1.flac", "b/2.MP3", "c.ogg"]);
}
