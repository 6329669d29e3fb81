//! Tracks nobody measured are levelled all the same: `setting render` of an M3U measures its
//! files first, and the daemon measures a file dropped into its media directory in the
//! background, then plays it at the target loudness. Levels are measured in the WAVs written,
//! with an EBU R 128 meter, as a listener's ear would compare them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use ebur128::{EbuR128, Mode};
use serde_json::json;

use crate::support::{Daemon, eventually};

const RATE: u32 = 48_000;
/// The config's default loudness target.
const TARGET_LUFS: f64 = -23.0;
/// A 1 kHz sine's amplitude for a mono file at about -10 LUFS, and at about -40.
const LOUD: f64 = 0.41;
const QUIET: f64 = 0.013;

/// A mono 1 kHz tone, 16-bit, at `RATE`.
fn tone(path: &Path, amp: f64, seconds: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..RATE * seconds {
        let x = amp * (std::f64::consts::TAU * 1000.0 * f64::from(i) / f64::from(RATE)).sin();
        writer.write_sample((x * 32767.0).round() as i16).unwrap();
    }
    writer.finalize().unwrap();
}

fn lufs(samples: &[f32], channels: u32) -> f64 {
    let mut meter = EbuR128::new(channels, RATE, Mode::I).unwrap();
    meter.add_frames_f32(samples).unwrap();
    meter.loudness_global().unwrap()
}

fn read_wav(path: &Path) -> Vec<f32> {
    let mut reader = hound::WavReader::open(path).unwrap();
    assert_eq!(reader.spec().sample_rate, RATE);
    match reader.spec().sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().map(Result::unwrap).collect(),
        hound::SampleFormat::Int => reader
            .samples::<i32>()
            .map(|s| s.unwrap() as f32 / 32768.0)
            .collect(),
    }
}

fn mono_lufs(path: &Path) -> f64 {
    lufs(&read_wav(path), 1)
}

/// The cache beside the media, as JSON.
fn cache(media: &Path) -> serde_json::Value {
    std::fs::read_to_string(media.join(".setting-loudness.json"))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// A room whose one scene plays playlist `drop` (the file `new/loud.wav`, not there yet) at
/// `level_db`, for ten minutes.
fn room(dir: &Path, level_db: i32) -> PathBuf {
    for sub in ["scenes", "playlists", "media"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    std::fs::write(
        dir.join("scenes/drop.toml"),
        format!(
            r#"title = "A track dropped in"
kind = "preparation"

[[phase]]
id = "only"
title = "The only phase"
planned = "10m"
ends = "timer"
music = {{ playlist = "drop", level_db = {level_db}, crossfade = "1s" }}
light.room = {{ brightness = 30, kelvin = 2700, fade = "5s" }}
"#
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("playlists/drop.toml"),
        "title = \"Dropped in\"\nwhen_done = \"loop\"\n\n[[track]]\npath = \"new/loud.wav\"\n",
    )
    .unwrap();
    let config = dir.join("settingd.toml");
    std::fs::write(
        &config,
        format!(
            "[room]\nname = \"room-1\"\n\n[[room.zone]]\nname = \"room\"\n\n\
             [paths]\nscenes = \"{d}/scenes\"\nplaylists = \"{d}/playlists\"\nmedia = \"{d}/media\"\n\n\
             [audio]\noutput = \"null\"\n",
            d = dir.display()
        ),
    )
    .unwrap();
    config
}

#[test]
fn render_measures_an_m3u_of_unmeasured_files_and_levels_each_to_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let config = room(dir.path(), -12);
    let media = dir.path().join("media");
    tone(&media.join("a/whisper.wav"), QUIET, 4);
    tone(&media.join("b/shout.wav"), LOUD, 4);
    let (quiet, loud) = (
        mono_lufs(&media.join("a/whisper.wav")),
        mono_lufs(&media.join("b/shout.wav")),
    );
    assert!(
        quiet < -38.0 && loud > -12.0,
        "sources at {quiet:.1} and {loud:.1} LUFS"
    );
    let m3u = dir.path().join("list.m3u");
    std::fs::write(&m3u, "#EXTM3U\nmedia/a/whisper.wav\nmedia/b/shout.wav\n").unwrap();
    let wav = dir.path().join("out.wav");

    let out = Command::new(env!("CARGO_BIN_EXE_setting"))
        .arg("--config")
        .arg(&config)
        .args(["render", m3u.to_str().unwrap(), "--wav", wav.to_str().unwrap()])
        .env_remove("SETTING_SOCKET")
        .env_remove("SETTING_CONFIG")
        .output()
        .expect("cannot run setting");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("measured 2 files"), "{stderr}");
    assert!(!stdout.contains("not analysed"), "{stdout}");

    let samples = read_wav(&wav);
    assert_eq!(
        samples.len(),
        2 * 2 * 4 * RATE as usize,
        "gapless, at the files' rate"
    );
    let (first, second) = samples.split_at(samples.len() / 2);
    for (name, segment) in [("whisper", first), ("shout", second)] {
        let level = lufs(segment, 2);
        assert!(
            (level - TARGET_LUFS).abs() < 1.0,
            "{name} rendered at {level:.1} LUFS, the target {TARGET_LUFS}\n{stdout}"
        );
    }
    let kept = cache(&media);
    for rel in ["a/whisper.wav", "b/shout.wav"] {
        assert!(
            kept["files"][rel]["loudness"]["lufs"].is_f64(),
            "{rel} not kept: {kept}"
        );
    }
}

/// A file copied into the media directory while the daemon runs is measured in the background
/// (no track asks for it yet), and plays at the target loudness when a session comes to it,
/// not 16 LU over it at its own mastering level.
#[test]
fn a_file_dropped_into_the_media_directory_is_measured_in_the_background_and_plays_levelled() {
    let dir = tempfile::tempdir().unwrap();
    let level_db = -12;
    let config = room(dir.path(), level_db);
    let media = dir.path().join("media");
    tone(&media.join("present.wav"), QUIET, 1);
    let recording = dir.path().join("heard.wav");
    let mut daemon = Daemon::builder()
        .config(&config)
        .audio(format!("wav:{}", recording.display()))
        .start();

    // What was there at start-up is measured without anyone asking.
    let measured = |rel: &str| {
        eventually(Duration::from_secs(30), || {
            cache(&media)["files"][rel]["loudness"]["lufs"].as_f64()
        })
    };
    assert!(measured("present.wav").is_some(), "{}", daemon.log_text());
    tone(&media.join("new/loud.wav"), LOUD, 4);
    let loud = measured("new/loud.wav").expect("the dropped file was never measured");
    assert!(loud > -12.0, "measured at {loud:.1} LUFS");
    assert!(
        daemon.log_text().contains("loudness measured in the background"),
        "{}",
        daemon.log_text()
    );

    daemon.ok(json!({"op": "start", "scene": "drop"}));
    // Past the crossfade in, and two seconds of the steady tone.
    std::thread::sleep(Duration::from_secs(4));
    daemon.terminate();
    let log = daemon.log_text();
    assert!(!log.contains("not measured in time"), "{log}");

    let samples = read_wav(&recording);
    let onset = samples
        .iter()
        .position(|s| s.abs() > 1e-4)
        .expect("nothing was heard");
    // From 1.5 s after the onset (past the crossfade in), one second.
    let steady = &samples[onset + 3 * RATE as usize..][..2 * RATE as usize];
    let heard = lufs(steady, 2);
    let expected = TARGET_LUFS + f64::from(level_db);
    assert!(
        (heard - expected).abs() < 1.0,
        "heard at {heard:.1} LUFS, not the target {TARGET_LUFS} at {level_db} dB\n{log}"
    );
}
