//! The player driven by music targets, as the engine drives it, into unpaced null and WAV
//! outputs: the demo playlists play, and bad files are skipped while the music goes on.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::*;
use crate::audio::decode::decode_file;
use crate::audio::gain::{amp_to_db, db_to_amp};
use crate::audio::output::{NullOutput, Pace, WavOutput};
use crate::audio::test_media::{resampled_at_once, second_difference_at_joins, sine, split_tone, write_wav};
use crate::catalog::Catalog;
use crate::config::load_config;
use crate::config::{DEFAULT_MAX_BOOST_DB, DEFAULT_TARGET_LUFS};
use crate::playlist::{Track, WhenDone};
use crate::timeline::DeviceEvent;

const RATE: u32 = 48_000;
/// The demo media's own rate: resampling them is slow in a debug build, and tested elsewhere.
const DEMO_RATE: u32 = 22_050;

fn demo_setup(ceiling_db: f32) -> PlayerSetup {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = load_config(&root.join("config/settingd.toml")).unwrap();
    let catalog = Catalog::load(&config).unwrap();
    PlayerSetup {
        rate: DEMO_RATE,
        ceiling_db,
        target_lufs: DEFAULT_TARGET_LUFS,
        max_boost_db: DEFAULT_MAX_BOOST_DB,
        pace: Pace::Unpaced,
        read_timeout: crate::audio::read_watch::DEFAULT_READ_TIMEOUT,
        measuring: Measuring::default(),
        ..PlayerSetup::from_catalog(&catalog)
    }
}

/// A player of one playlist from `media`, at the defaults for everything the tests leave alone.
fn setup_for(
    name: &str,
    playlist: Playlist,
    media: &Path,
    rate: u32,
    ceiling_db: f32,
    pace: Pace,
) -> PlayerSetup {
    PlayerSetup {
        playlists: BTreeMap::from([(name.to_string(), playlist)]),
        media_root: media.to_owned(),
        rate,
        ceiling_db,
        target_lufs: DEFAULT_TARGET_LUFS,
        max_boost_db: DEFAULT_MAX_BOOST_DB,
        pace,
        read_timeout: crate::audio::read_watch::DEFAULT_READ_TIMEOUT,
        measuring: Measuring::default(),
    }
}

fn play(playlist: &str) -> MusicTarget {
    MusicTarget {
        playlist: Some(playlist.into()),
        ..MusicTarget::silence()
    }
}

/// Collects events until `done` says enough. The deadline only stops a broken player from
/// hanging the test run.
fn wait_for(
    events: &mut mpsc::Receiver<DeviceEvent>,
    done: impl Fn(&[DeviceEvent]) -> bool,
) -> Vec<DeviceEvent> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = Vec::new();
    while !done(&seen) {
        match events.try_recv() {
            Ok(event) => seen.push(event),
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => panic!("the player never got there; events so far: {seen:#?}"),
        }
    }
    seen
}

fn started(events: &[DeviceEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            DeviceEvent::TrackStarted { path, .. } => Some(path.clone()),
            _ => None,
        })
        .collect()
}

fn failed(events: &[DeviceEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            DeviceEvent::TrackFailed { path, .. } => Some(path.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn plays_the_demo_playlist_into_a_wav_under_the_ceiling() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("arrival.wav");
    let ceiling_db = -6.0;
    let (tx, mut rx) = mpsc::channel(256);
    let output = WavOutput::create(&wav, DEMO_RATE, Pace::Unpaced).unwrap();
    let mut player = Player::start(demo_setup(ceiling_db), Box::new(output), DeviceEvents::new(tx)).unwrap();
    assert_eq!(player.describe(), format!("wav: recording to {}", wav.display()));
    player.apply(&play("arrival"));
    let events = wait_for(&mut rx, |seen| started(seen).len() >= 3);
    assert_eq!(
        started(&events),
        [
            "arrival/01-morning-room.flac",
            "arrival/02-slow-water.ogg",
            "arrival/03-quiet-harbour.mp3"
        ]
    );
    assert!(failed(&events).is_empty(), "{events:#?}");
    drop(player);

    let samples = recorded(&wav);
    let peak = samples.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    let ceiling = db_to_amp(ceiling_db);
    assert!(
        peak <= ceiling * 1.0001,
        "peak {peak} above the ceiling {ceiling}"
    );
    // Real music, not a trickle: it reaches within 20 dB of the ceiling.
    assert!(peak > ceiling * 0.1, "peak {peak} is next to silence");
}

/// Every sample the WAV output recorded, interleaved.
fn recorded(wav: &std::path::Path) -> Vec<f32> {
    hound::WavReader::open(wav)
        .unwrap()
        .samples::<f32>()
        .map(Result::unwrap)
        .collect()
}

fn track(path: &str) -> Track {
    Track::plain(path)
}

#[test]
fn missing_and_corrupt_files_are_reported_and_skipped() {
    let media = tempfile::tempdir().unwrap();
    let tone = sine(RATE as usize / 2, RATE, 440.0, 0.5);
    write_wav(&media.path().join("first.wav"), &tone, RATE, 1);
    write_wav(&media.path().join("last.wav"), &tone, RATE, 1);
    std::fs::write(
        media.path().join("corrupt.ogg"),
        b"OggS but not really an ogg file",
    )
    .unwrap();
    let playlist = Playlist {
        name: "bad".into(),
        title: "bad files".into(),
        when_done: WhenDone::Silence,
        tracks: ["first.wav", "missing.flac", "corrupt.ogg", "last.wav"]
            .into_iter()
            .map(track)
            .collect(),
    };
    let setup = setup_for("bad", playlist, media.path(), RATE, -1.0, Pace::Unpaced);
    let (tx, mut rx) = mpsc::channel(256);
    let output = NullOutput::new(RATE, Pace::Unpaced, None);
    let mut player = Player::start(setup, Box::new(output), DeviceEvents::new(tx)).unwrap();
    assert_eq!(player.describe(), "null: the music plays to nowhere");
    player.apply(&play("bad"));
    let events = wait_for(&mut rx, |seen| started(seen).len() >= 2);
    assert_eq!(started(&events), ["first.wav", "last.wav"]);
    assert_eq!(failed(&events), ["missing.flac", "corrupt.ogg"]);
    let reasons: Vec<&String> = events
        .iter()
        .filter_map(|e| match e {
            DeviceEvent::TrackFailed { error, .. } => Some(error),
            _ => None,
        })
        .collect();
    assert!(reasons[0].contains("no such file"), "{reasons:?}");
}

/// A FIFO (as a hung share behaves) and a link to `/dev/zero` between two tracks: both are
/// refused at once with their reason, and the music goes from the first track into the last
/// with no silence between.
#[test]
fn a_fifo_and_a_link_to_dev_zero_are_skipped_and_the_music_goes_on() {
    let media = tempfile::tempdir().unwrap();
    // The first outlasts the crossfade after a failure, so the last comes in over its end.
    let long = sine(5 * RATE as usize, RATE, 440.0, 0.5);
    write_wav(&media.path().join("first.wav"), &long, RATE, 1);
    let tone = sine(2 * RATE as usize, RATE, 440.0, 0.5);
    write_wav(&media.path().join("last.wav"), &tone, RATE, 1);
    crate::audio::test_media::mkfifo(&media.path().join("pipe.flac"));
    std::os::unix::fs::symlink("/dev/zero", media.path().join("zero.wav")).unwrap();
    let playlist = Playlist {
        name: "bad".into(),
        title: "files that could stall".into(),
        when_done: WhenDone::Silence,
        tracks: ["first.wav", "pipe.flac", "zero.wav", "last.wav"]
            .into_iter()
            .map(track)
            .collect(),
    };
    let setup = setup_for("bad", playlist, media.path(), RATE, -1.0, Pace::Unpaced);
    let wav = media.path().join("out.wav");
    let (tx, mut rx) = mpsc::channel(256);
    let output = WavOutput::create(&wav, RATE, Pace::Unpaced).unwrap();
    let mut player = Player::start(setup, Box::new(output), DeviceEvents::new(tx)).unwrap();
    player.apply(&play("bad"));
    let events = wait_for(&mut rx, |seen| started(seen).len() >= 2);
    assert_eq!(started(&events), ["first.wav", "last.wav"]);
    assert_eq!(failed(&events), ["pipe.flac", "zero.wav"]);
    let reasons: Vec<&String> = events
        .iter()
        .filter_map(|e| match e {
            DeviceEvent::TrackFailed { error, .. } => Some(error),
            _ => None,
        })
        .collect();
    assert!(reasons[0].contains("a FIFO, not a regular file"), "{reasons:?}");
    assert!(
        reasons[1].contains("a character device, not a regular file"),
        "{reasons:?}"
    );
    drop(player);

    // From the first sound to the last, no 50 ms stretch is silent: the last track came in
    // over the first's end, on time.
    let left: Vec<f32> = recorded(&wav).chunks(2).map(|f| f[0]).collect();
    let first = left.iter().position(|s| s.abs() > 0.01).unwrap();
    let last = left.iter().rposition(|s| s.abs() > 0.01).unwrap();
    // The recording stops soon after the last track starts (the player is dropped then).
    assert!(last - first > RATE as usize, "{first}..{last}");
    let window = RATE as usize / 20;
    for (i, chunk) in left[first..=last].chunks(window).enumerate() {
        let peak = chunk.iter().fold(0.0f32, |m, s| m.max(s.abs()));
        assert!(
            peak > 0.01,
            "silence at {} s",
            (first + i * window) as f64 / f64::from(RATE)
        );
    }
}

#[test]
fn an_unknown_playlist_is_reported_and_a_new_target_still_plays() {
    let (tx, mut rx) = mpsc::channel(256);
    let output = NullOutput::new(DEMO_RATE, Pace::Unpaced, None);
    let mut player = Player::start(demo_setup(-1.0), Box::new(output), DeviceEvents::new(tx)).unwrap();
    player.apply(&play("no-such-playlist"));
    let events = wait_for(&mut rx, |seen| !seen.is_empty());
    assert!(
        matches!(&events[0], DeviceEvent::Error { message } if message.contains("no-such-playlist")),
        "{events:#?}"
    );
    player.apply(&play("dosing"));
    let events = wait_for(&mut rx, |seen| !started(seen).is_empty());
    assert_eq!(started(&events), ["dosing/01-rain-on-leaves.ogg"]);
}

#[test]
fn tracks_with_no_crossfade_join_without_a_gap() {
    let media = tempfile::tempdir().unwrap();
    // One tone cut in two files: played gaplessly it is one unbroken sine.
    let tone = sine(RATE as usize * 3 / 2, RATE, 440.0, 0.5);
    let (head, tail) = tone.split_at(RATE as usize);
    write_wav(&media.path().join("head.wav"), head, RATE, 1);
    write_wav(&media.path().join("tail.wav"), tail, RATE, 1);
    let playlist = Playlist {
        name: "tone".into(),
        title: "a split tone".into(),
        when_done: WhenDone::Silence,
        tracks: vec![track("head.wav"), track("tail.wav")],
    };
    let setup = setup_for("tone", playlist, media.path(), RATE, 0.0, Pace::RealTime);
    let wav = media.path().join("out.wav");
    // Paced, so that the second track is loaded long before the first ends, as in a session.
    let output = WavOutput::create(&wav, RATE, Pace::RealTime).unwrap();
    let (tx, mut rx) = mpsc::channel(256);
    let mut player = Player::start(setup, Box::new(output), DeviceEvents::new(tx)).unwrap();
    player.apply(&play("tone"));
    let events = wait_for(&mut rx, |seen| started(seen).len() >= 2);
    assert_eq!(started(&events), ["head.wav", "tail.wav"]);
    drop(player);

    let left: Vec<f32> = recorded(&wav).into_iter().step_by(2).collect();
    let onset = left.iter().position(|&s| s != 0.0).expect("the tone was played");
    // From the onset to 100 ms past the join: no silence and no jump bigger than the tone's own.
    let join = onset + RATE as usize;
    let span = &left[onset..join + RATE as usize / 10];
    let largest_tone_step = 0.5 * std::f32::consts::TAU * 440.0 / RATE as f32;
    let largest_step = span.windows(2).fold(0.0f32, |m, w| m.max((w[1] - w[0]).abs()));
    assert!(
        largest_step <= largest_tone_step * 1.05,
        "a step of {largest_step} against the tone's {largest_tone_step}"
    );
    let zero_run = span.split(|&s| s != 0.0).map(<[f32]>::len).max().unwrap_or(0);
    assert!(zero_run < 3, "{zero_run} silent samples in a row");
}

/// Three tracks for the resume tests: the second a slow ramp, so that any sample of it says
/// how far into it the player was.
fn resume_setup(media: &Path) -> PlayerSetup {
    let two: Vec<f32> = (0..2 * RATE).map(|i| ramp_value(i as usize)).collect();
    write_wav(
        &media.join("one.wav"),
        &sine(RATE as usize, RATE, 440.0, 0.5),
        RATE,
        1,
    );
    write_wav(&media.join("two.wav"), &two, RATE, 1);
    write_wav(
        &media.join("three.wav"),
        &sine(RATE as usize, RATE, 660.0, 0.5),
        RATE,
        1,
    );
    let playlist = Playlist {
        name: "three".into(),
        title: "three tracks".into(),
        when_done: WhenDone::Silence,
        tracks: vec![track("one.wav"), track("two.wav"), track("three.wav")],
    };
    PlayerSetup {
        playlists: BTreeMap::from([("three".to_string(), playlist)]),
        media_root: media.to_owned(),
        rate: RATE,
        ceiling_db: 0.0,
        target_lufs: DEFAULT_TARGET_LUFS,
        max_boost_db: DEFAULT_MAX_BOOST_DB,
        pace: Pace::Unpaced,
        read_timeout: crate::audio::read_watch::DEFAULT_READ_TIMEOUT,
        measuring: Measuring::default(),
    }
}

/// The gain, as a factor, that levels a mono file to the default target on two speakers, as
/// far as its headroom under a 0 dB ceiling allows.
fn levelling_of(path: &Path) -> f32 {
    let measured = crate::audio::measure::measure(path).unwrap();
    let known = crate::audio::track::KnownLoudness {
        lufs: measured.lufs,
        true_peak_dbtp: measured.true_peak_dbtp,
    };
    let level = crate::audio::track::LevelTarget {
        ceiling_db: 0.0,
        ..crate::audio::track::LevelTarget::default()
    };
    db_to_amp(crate::audio::track::normalisation_db(&level, known, 1, 0.0))
}

/// The second track's sample at `frame`: 0.1 rising to 0.4 over its two seconds.
fn ramp_value(frame: usize) -> f32 {
    0.1 + 0.3 * frame as f32 / (2 * RATE) as f32
}

fn resume(path: &str, offset: Millis) -> MusicTarget {
    MusicTarget {
        resume_from: Some(crate::timeline::TrackPosition {
            path: path.into(),
            offset,
        }),
        fade: Millis(100),
        ..play("three")
    }
}

#[test]
fn a_restart_resumes_at_the_track_and_point_it_had_reached() {
    let media = tempfile::tempdir().unwrap();
    let wav = media.path().join("out.wav");
    let output = WavOutput::create(&wav, RATE, Pace::Unpaced).unwrap();
    let (tx, mut rx) = mpsc::channel(256);
    let mut player = Player::start(
        resume_setup(media.path()),
        Box::new(output),
        DeviceEvents::new(tx),
    )
    .unwrap();
    player.apply(&resume("two.wav", Millis::from_secs(1)));
    let events = wait_for(&mut rx, |seen| started(seen).len() >= 2);
    assert_eq!(started(&events), ["two.wav", "three.wav"]);
    drop(player);

    let left: Vec<f32> = recorded(&wav).into_iter().step_by(2).collect();
    let onset = left.iter().position(|&s| s != 0.0).expect("the track was played");
    // Past the fade-in: the ramp's value there, at the track's level, says where in the track
    // the player is.
    let gain = levelling_of(&media.path().join("two.wav"));
    let after = RATE as usize / 5;
    let heard = left[onset + after];
    let expected = ramp_value(RATE as usize + after) * gain;
    let per_10_ms = (ramp_value(RATE as usize / 100) - ramp_value(0)) * gain;
    assert!(
        (heard - expected).abs() < per_10_ms,
        "heard {heard}, expected {expected}: not 1.2 s into the second track"
    );
}

#[test]
fn a_resume_point_past_the_track_s_end_starts_the_next_track() {
    let media = tempfile::tempdir().unwrap();
    let (tx, mut rx) = mpsc::channel(256);
    let output = NullOutput::new(RATE, Pace::Unpaced, None);
    let mut player = Player::start(
        resume_setup(media.path()),
        Box::new(output),
        DeviceEvents::new(tx),
    )
    .unwrap();
    player.apply(&resume("two.wav", Millis::from_secs(5)));
    let events = wait_for(&mut rx, |seen| !started(seen).is_empty());
    assert_eq!(started(&events), ["three.wav"]);

    // A track the playlist no longer has: the playlist starts from its top.
    player.apply(&MusicTarget::silence());
    player.apply(&resume("gone.wav", Millis::from_secs(1)));
    let events = wait_for(&mut rx, |seen| !started(seen).is_empty());
    assert_eq!(started(&events), ["one.wav"]);
}

#[test]
fn a_grounding_skip_plays_its_track_once_then_the_playlist_goes_on() {
    let media = tempfile::tempdir().unwrap();
    let rate = 8_000;
    for (name, freq) in [("one.wav", 220.0), ("two.wav", 330.0), ("ground.wav", 110.0)] {
        write_wav(
            &media.path().join(name),
            &sine(10 * rate as usize, rate, freq, 0.5),
            rate,
            1,
        );
    }
    let playlist = Playlist {
        name: "two".into(),
        title: "two tracks".into(),
        when_done: WhenDone::Silence,
        tracks: vec![track("one.wav"), track("two.wav")],
    };
    let setup = PlayerSetup {
        playlists: BTreeMap::from([("two".to_string(), playlist)]),
        media_root: media.path().to_owned(),
        rate,
        ceiling_db: 0.0,
        target_lufs: DEFAULT_TARGET_LUFS,
        max_boost_db: DEFAULT_MAX_BOOST_DB,
        pace: Pace::RealTime,
        read_timeout: crate::audio::read_watch::DEFAULT_READ_TIMEOUT,
        measuring: Measuring::default(),
    };
    // Paced, so that each skip lands while the track it skips plays.
    let output = NullOutput::new(rate, Pace::RealTime, None);
    let (tx, mut rx) = mpsc::channel(256);
    let mut player = Player::start(setup, Box::new(output), DeviceEvents::new(tx)).unwrap();
    player.apply(&play("two"));
    let mut events = wait_for(&mut rx, |seen| !started(seen).is_empty());
    player.skip(Millis(100), Some("ground.wav"));
    events.extend(wait_for(&mut rx, |seen| !started(seen).is_empty()));
    // A skip during the grounding track goes on with the playlist.
    player.skip(Millis(100), None);
    events.extend(wait_for(&mut rx, |seen| !started(seen).is_empty()));
    assert_eq!(started(&events), ["one.wav", "ground.wav", "two.wav"]);
    assert!(failed(&events).is_empty(), "{events:#?}");
}

#[test]
fn a_file_cut_short_mid_play_is_reported_and_the_next_track_comes_in_without_silence() {
    let media = tempfile::tempdir().unwrap();
    let rate = 8_000;
    write_wav(
        &media.path().join("long.wav"),
        &sine(40 * rate as usize, rate, 220.0, 0.5),
        rate,
        1,
    );
    // An interrupted copy: the header promises 40 s, the data stops after about 24, past the
    // first read-ahead, so the track is already playing when the loader finds the cut.
    crate::audio::test_media::cut_tail(&media.path().join("long.wav"), 0.4);
    write_wav(
        &media.path().join("next.wav"),
        &sine(5 * rate as usize, rate, 330.0, 0.5),
        rate,
        1,
    );
    // Started only once the next track has played to its end.
    write_wav(
        &media.path().join("tail.wav"),
        &sine(rate as usize, rate, 330.0, 0.5),
        rate,
        1,
    );
    let playlist = Playlist {
        name: "cut".into(),
        title: "a cut file".into(),
        when_done: WhenDone::Silence,
        tracks: vec![track("long.wav"), track("next.wav"), track("tail.wav")],
    };
    let setup = PlayerSetup {
        playlists: BTreeMap::from([("cut".to_string(), playlist)]),
        media_root: media.path().to_owned(),
        rate,
        ceiling_db: 0.0,
        target_lufs: DEFAULT_TARGET_LUFS,
        max_boost_db: DEFAULT_MAX_BOOST_DB,
        pace: Pace::Unpaced,
        read_timeout: crate::audio::read_watch::DEFAULT_READ_TIMEOUT,
        measuring: Measuring::default(),
    };
    let wav = media.path().join("out.wav");
    let output = WavOutput::create(&wav, rate, Pace::Unpaced).unwrap();
    let (tx, mut rx) = mpsc::channel(256);
    let mut player = Player::start(setup, Box::new(output), DeviceEvents::new(tx)).unwrap();
    player.apply(&play("cut"));
    let events = wait_for(&mut rx, |seen| {
        started(seen).len() >= 3 && !failed(seen).is_empty()
    });
    assert_eq!(started(&events), ["long.wav", "next.wav", "tail.wav"]);
    assert_eq!(failed(&events), ["long.wav"]);
    drop(player);

    let left: Vec<f32> = recorded(&wav).into_iter().step_by(2).collect();
    let heard = |s: &f32| s.abs() > 1e-3;
    let onset = left.iter().position(heard).expect("the music was played");
    let last = left.iter().rposition(heard).unwrap();
    // About 24 s of the cut track, less the 3 s crossfade, then the next track's 5 s.
    assert!(
        last - onset > 25 * rate as usize,
        "the next track was not heard through"
    );
    let longest_quiet = left[onset..=last]
        .split(heard)
        .map(<[f32]>::len)
        .max()
        .unwrap_or(0);
    assert!(
        longest_quiet <= 2 * rate as usize,
        "{longest_quiet} frames of silence"
    );
}

/// Plays `target` on a paced WAV output, as live: the track arrives while the target's fade is
/// still under way. Records `seconds` past the first track's start; returns the left channel.
fn record_paced(setup: PlayerSetup, target: &MusicTarget, seconds: u64) -> (Vec<String>, Vec<f32>) {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("out.wav");
    let output = WavOutput::create(&wav, setup.rate, Pace::RealTime).unwrap();
    let (tx, mut rx) = mpsc::channel(256);
    let mut player = Player::start(setup, Box::new(output), DeviceEvents::new(tx)).unwrap();
    player.apply(target);
    let events = wait_for(&mut rx, |seen| !started(seen).is_empty());
    // Not a timing check: only how much is recorded, checked below.
    std::thread::sleep(Duration::from_secs(seconds));
    drop(player);
    let left: Vec<f32> = recorded(&wav).into_iter().step_by(2).collect();
    (started(&events), left)
}

#[test]
fn a_restart_into_a_muted_session_is_silent_while_its_track_loads_and_fades_in() {
    let media = tempfile::tempdir().unwrap();
    let muted = MusicTarget {
        muted: true,
        level_db: -24.0,
        fade: Millis::from_secs(2),
        ..resume("two.wav", Millis::from_secs(1))
    };
    let (started, left) = record_paced(
        PlayerSetup {
            pace: Pace::RealTime,
            read_timeout: crate::audio::read_watch::DEFAULT_READ_TIMEOUT,
            ..resume_setup(media.path())
        },
        &muted,
        2,
    );
    assert_eq!(started, ["two.wav"]);
    assert!(left.len() >= 2 * RATE as usize, "{} frames recorded", left.len());
    let peak = left.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    assert_eq!(peak, 0.0, "music heard in a muted session");
}

#[test]
fn the_first_target_fades_in_to_its_level_and_never_above() {
    let media = tempfile::tempdir().unwrap();
    // A whole number of cycles in every 10 ms block: a steady tone has a steady RMS.
    write_wav(
        &media.path().join("tone.wav"),
        &sine(5 * RATE as usize, RATE, 1_000.0, 0.5),
        RATE,
        1,
    );
    let playlist = Playlist {
        name: "tone".into(),
        title: "a tone".into(),
        when_done: WhenDone::Silence,
        tracks: vec![track("tone.wav")],
    };
    let setup = setup_for("tone", playlist, media.path(), RATE, 0.0, Pace::RealTime);
    let quiet = MusicTarget {
        level_db: -30.0,
        fade: Millis::from_secs(1),
        ..play("tone")
    };
    let (started, left) = record_paced(setup, &quiet, 3);
    assert_eq!(started, ["tone.wav"]);
    let onset = left.iter().position(|&s| s != 0.0).expect("the tone was played");
    // The fade-in and a second after it, before the player's own fade-out on shutdown.
    let heard = &left[onset..(onset + 2 * RATE as usize).min(left.len())];
    assert_eq!(heard.len(), 2 * RATE as usize, "too little recorded");
    let block = RATE as usize / 100;
    let levels: Vec<f32> = heard
        .chunks_exact(block)
        .map(|b| amp_to_db((b.iter().map(|s| s * s).sum::<f32>() / block as f32).sqrt()))
        .collect();
    let settled = *levels.last().unwrap();
    for (i, pair) in levels.windows(2).enumerate() {
        assert!(
            pair[1] >= pair[0] - 0.01,
            "block {}: the level fell from {} to {} dB",
            i + 1,
            pair[0],
            pair[1]
        );
    }
    let loudest = levels.iter().copied().fold(f32::MIN, f32::max);
    assert!(
        loudest <= settled + 0.1,
        "{loudest} dB, above the settled {settled} dB"
    );
    // The tone's RMS is 9 dB under its 0.5 peak, and it is levelled to the target.
    let expected = amp_to_db(0.5) - 3.01 - 30.0 + amp_to_db(levelling_of(&media.path().join("tone.wav")));
    assert!(
        (settled - expected).abs() < 1.0,
        "settled at {settled} dB, not {expected}"
    );
}

#[test]
fn playlists_taken_on_mid_play_go_on_after_the_tracks_on_their_way() {
    let media = tempfile::tempdir().unwrap();
    let tone = sine(RATE as usize / 2, RATE, 440.0, 0.5);
    for name in ["t1", "t2", "t3", "t4", "t5"] {
        write_wav(&media.path().join(format!("{name}.wav")), &tone, RATE, 1);
    }
    let list = |names: &[&str]| Playlist {
        name: "a".into(),
        title: "a".into(),
        when_done: WhenDone::Loop,
        tracks: names.iter().map(|n| track(&format!("{n}.wav"))).collect(),
    };
    let setup = PlayerSetup {
        playlists: BTreeMap::from([("a".to_string(), list(&["t1", "t2", "t3", "t4"]))]),
        media_root: media.path().to_owned(),
        rate: RATE,
        ceiling_db: -1.0,
        target_lufs: DEFAULT_TARGET_LUFS,
        max_boost_db: DEFAULT_MAX_BOOST_DB,
        pace: Pace::RealTime,
        read_timeout: crate::audio::read_watch::DEFAULT_READ_TIMEOUT,
        measuring: Measuring::default(),
    };
    let (tx, mut rx) = mpsc::channel(256);
    let output = NullOutput::new(RATE, Pace::RealTime, None);
    let mut player = Player::start(setup, Box::new(output), DeviceEvents::new(tx)).unwrap();
    player.apply(&play("a"));
    let first = wait_for(&mut rx, |seen| !started(seen).is_empty());
    // t4 taken out, t5 put first, while t1 plays and t2 and t3 are on their way.
    player.set_playlists(BTreeMap::from([(
        "a".to_string(),
        list(&["t5", "t1", "t2", "t3"]),
    )]));
    let rest = wait_for(&mut rx, |seen| started(seen).len() >= 3);
    let mut order = started(&first);
    order.extend(started(&rest));
    assert_eq!(order, ["t1.wav", "t2.wav", "t3.wav", "t5.wav"]);
}

/// The daemon's path: three 44.1 kHz files holding one tone, played gaplessly at 48 kHz by the
/// loader and its stream threads, sound as the tone resampled in one go, with no transient at
/// the joins.
#[test]
fn a_tone_across_three_44k_files_plays_at_48k_as_if_resampled_at_once() {
    let media = tempfile::tempdir().unwrap();
    let from = 44_100;
    let lengths = [30_000, 22_050, 35_000];
    let names = split_tone(media.path(), &lengths, from);
    let playlist = Playlist {
        name: "tone".into(),
        title: "a split tone".into(),
        when_done: WhenDone::Silence,
        tracks: names.iter().map(|n| track(n)).collect(),
    };
    let setup = setup_for("tone", playlist, media.path(), RATE, 0.0, Pace::RealTime);
    let wav = media.path().join("out.wav");
    // Paced, so that each next track is loaded long before the one before ends, as in a session.
    let output = WavOutput::create(&wav, RATE, Pace::RealTime).unwrap();
    let (tx, mut rx) = mpsc::channel(256);
    let mut player = Player::start(setup, Box::new(output), DeviceEvents::new(tx)).unwrap();
    player.apply(&play("tone"));
    let events = wait_for(&mut rx, |seen| started(seen).len() >= 3);
    assert_eq!(started(&events), names);
    // The last track's length and then some, so that it plays out before the player stops.
    std::thread::sleep(Duration::from_secs_f64(lengths[2] as f64 / f64::from(from) + 0.5));
    drop(player);

    let left: Vec<f32> = recorded(&wav).into_iter().step_by(2).collect();
    let pieces: Vec<(Vec<f32>, f32)> = names
        .iter()
        .map(|n| (decode_file(&media.path().join(n)).unwrap().samples, 1.0))
        .collect();
    let reference = resampled_at_once(&pieces, from, RATE);
    // The first track fades in over the start's shortest fade; from 200 ms on it is the tone.
    let onset = left.iter().position(|&s| s != 0.0).expect("the tone was played");
    let settled = RATE as usize / 5;
    let start = (onset.saturating_sub(2)..=onset + 2)
        .min_by(|&a, &b| {
            let err = |at: usize| {
                (settled..settled + 2_000)
                    .map(|i| (left[at + i] - reference[i]).abs())
                    .fold(0.0f32, f32::max)
            };
            err(a).total_cmp(&err(b))
        })
        .unwrap();
    let played = &left[start..start + reference.len()];
    let worst = (settled..reference.len())
        .map(|i| (played[i] - reference[i]).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-5, "differs from resampling it at once by {worst}");
    assert!(
        left[start + reference.len()..].iter().all(|&s| s.abs() < 1e-3),
        "plays on past the joined length"
    );
    let mut joins = Vec::new();
    let mut before = 0;
    for frames in &lengths[..2] {
        before += frames;
        joins.push(crate::audio::resample::output_frames(before as u64, from, RATE) as usize);
    }
    let (near, elsewhere) = second_difference_at_joins(
        &played[settled..],
        &joins.iter().map(|j| j - settled).collect::<Vec<_>>(),
        2_000,
    );
    assert!(
        near <= 3.0 * elsewhere,
        "second difference {near} at the joins against {elsewhere} elsewhere"
    );
}
