//! The curators' commands on real files: `setting playlist check` decoding the shipped media
//! and naming bad files, `analyze` measuring a tone and re-using its cache, and M3U import and
//! export, and `render` writing a shipped playlist to a WAV of exactly the planned length.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{repo_path, sine_wav};

fn setting(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_setting"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("SETTING_SOCKET")
        .env_remove("SETTING_CONFIG")
        .output()
        .expect("cannot run setting")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A room of its own: a config whose scenes, playlists and media live in a temp directory.
struct Room {
    dir: tempfile::TempDir,
}

impl Room {
    fn new() -> Room {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["scenes", "playlists", "media"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let config = "[room]\nname = \"test\"\n[[room.zone]]\nname = \"room\"\ndescription = \"all\"\n\
                      [paths]\nscenes = \"scenes\"\nplaylists = \"playlists\"\nmedia = \"media\"\n";
        std::fs::write(dir.path().join("settingd.toml"), config).unwrap();
        Room { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn media(&self, rel: &str, bytes: &[u8]) {
        let path = self.path("media").join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    fn playlist(&self, name: &str, tracks: &[&str]) {
        let text: String = tracks
            .iter()
            .map(|t| format!("[[track]]\npath = \"{t}\"\n"))
            .collect();
        std::fs::write(self.path(&format!("playlists/{name}.toml")), text).unwrap();
    }

    fn run(&self, args: &[&str]) -> Output {
        setting(&self.path("settingd.toml"), args)
    }
}

fn shipped(rel: &str) -> Vec<u8> {
    std::fs::read(repo_path("media").join(rel)).unwrap()
}

#[test]
fn the_shipped_playlists_all_play_and_report_exact_durations() {
    let out = setting(
        &repo_path("config/settingd.toml"),
        &["--json", "playlist", "check"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = json(&out);
    let files = report["files"].as_array().unwrap();
    assert!(files.len() >= 20, "{files:?}");
    for f in files {
        assert_eq!(f["status"], "ok", "{f}");
        assert!(f["seconds"].as_f64().unwrap() >= 29.9, "{f}");
    }
    let long_arc = files
        .iter()
        .find(|f| f["path"] == "peak/05-long-arc.flac")
        .unwrap();
    assert_eq!(long_arc["format"], "flac");
    assert_eq!(long_arc["frames"], 90 * 22050);
    assert!(long_arc["note"].is_null());
    assert!(files.iter().any(|f| f["path"] == "grounding/breath.flac"));
    // The demo MP3s carry a LAME/Xing header, so no file is flagged as unable to join gaplessly.
    assert!(files.iter().any(|f| f["format"] == "mp3"));
    for f in files {
        assert!(f["note"].is_null(), "{f}");
    }
    let coverage = report["coverage"].as_array().unwrap();
    let peak = coverage
        .iter()
        .find(|c| c["scene"] == "sublingual" && c["phase"] == "peak")
        .unwrap();
    assert_eq!(peak["verdict"]["verdict"], "covered");
    assert_eq!(peak["verdict"]["loops"], true);
    let onset = coverage
        .iter()
        .find(|c| c["scene"] == "sublingual" && c["phase"] == "onset")
        .unwrap();
    assert_eq!(onset["verdict"]["via"], serde_json::json!(["peak"]));
}

#[test]
fn a_truncated_a_corrupt_and_a_missing_file_are_each_named_with_the_reason() {
    let room = Room::new();
    let flac = shipped("peak/05-long-arc.flac");
    room.media("x/whole.flac", &flac);
    room.media("x/cut.flac", &flac[..flac.len() * 2 / 3]);
    room.media("x/noise.flac", &[0x5a; 4096]);
    let mut damaged = flac.clone();
    let middle = damaged.len() / 2;
    damaged[middle..middle + 2000].fill(0x55);
    room.media("x/damaged.flac", &damaged);
    room.playlist(
        "bad",
        &[
            "x/whole.flac",
            "x/cut.flac",
            "x/noise.flac",
            "x/gone.flac",
            "x/damaged.flac",
        ],
    );

    let out = room.run(&["--json", "playlist", "check", "bad"]);
    assert_eq!(out.status.code(), Some(1));
    let files = json(&out)["files"].as_array().unwrap().clone();
    let status: Vec<(&str, &str)> = files
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        status,
        [
            ("x/whole.flac", "ok"),
            ("x/cut.flac", "truncated"),
            ("x/noise.flac", "corrupt"),
            ("x/gone.flac", "missing"),
            ("x/damaged.flac", "corrupt"),
        ]
    );
    let cut = &files[1];
    let frames = cut["frames"].as_u64().unwrap();
    assert!(frames > 0 && frames < 90 * 22050, "{cut}");
    assert!(
        cut["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("truncated: {frames} of the 1984500 frames")),
        "{cut}"
    );
    assert!(
        files[2]["reason"]
            .as_str()
            .unwrap()
            .contains("not a recognised audio file")
    );

    let text = stdout(&room.run(&["playlist", "check", "bad"]));
    for line in [
        "truncated  x/cut.flac",
        "corrupt    x/noise.flac",
        "missing    x/gone.flac",
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
}

#[test]
fn analyze_measures_a_tone_and_then_uses_the_cache() {
    let room = Room::new();
    // BS.1770: a 0 dBFS 1 kHz sine in one channel reads -3.01 LKFS, since the K-weighting
    // gain at 1 kHz offsets the -0.691 constant; a mean square 20 dB lower reads -23.01.
    room.media("tone.wav", &sine_wav(1000.0, 0.1, 48_000, 6.0));
    room.playlist("tone", &["tone.wav"]);
    let first = room.run(&["--json", "playlist", "analyze", "tone"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let file = &json(&first)["files"][0];
    assert_eq!(file["cached"], false);
    let lufs = file["loudness"]["lufs"].as_f64().unwrap();
    let peak = file["loudness"]["true_peak_dbtp"].as_f64().unwrap();
    assert!((lufs - -23.01).abs() < 0.1, "{lufs}");
    assert!((peak - -20.0).abs() < 0.2, "{peak}");

    let cache: Value =
        serde_json::from_str(&std::fs::read_to_string(room.path("media/.setting-loudness.json")).unwrap())
            .unwrap();
    assert_eq!(
        cache["files"]["tone.wav"]["loudness"]["lufs"].as_f64(),
        Some(lufs)
    );

    let second = json(&room.run(&["--json", "playlist", "analyze", "tone"]));
    assert_eq!(second["files"][0]["cached"], true);
    assert_eq!(second["files"][0]["loudness"]["lufs"].as_f64(), Some(lufs));

    // A changed file is measured again: 6 dB quieter reads 6 dB lower.
    room.media("tone.wav", &sine_wav(1000.0, 0.05, 48_000, 5.0));
    let third = json(&room.run(&["--json", "playlist", "analyze", "tone"]));
    assert_eq!(third["files"][0]["cached"], false);
    let quieter = third["files"][0]["loudness"]["lufs"].as_f64().unwrap();
    assert!((quieter - (lufs - 6.02)).abs() < 0.1, "{quieter}");
}

#[test]
fn analyze_measures_the_files_of_an_m3u_before_it_is_imported() {
    let room = Room::new();
    room.media("a/loud.wav", &sine_wav(1000.0, 0.1, 48_000, 4.0));
    room.media("b/quiet.wav", &sine_wav(1000.0, 0.05, 48_000, 4.0));
    std::fs::create_dir_all(room.path("lists")).unwrap();
    let m3u = room.path("lists/mix.m3u8");
    std::fs::write(&m3u, "#EXTM3U\n../media/a/loud.wav\n../media/b/quiet.wav\n").unwrap();
    let out = room.run(&["--json", "playlist", "analyze", m3u.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let files = json(&out)["files"].as_array().unwrap().clone();
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["a/loud.wav", "b/quiet.wav"]);
    let lufs: Vec<f64> = files
        .iter()
        .map(|f| f["loudness"]["lufs"].as_f64().unwrap())
        .collect();
    assert!((lufs[0] - lufs[1] - 6.02).abs() < 0.1, "{lufs:?}");

    // A list naming a file that is not there is refused, naming it.
    std::fs::write(&m3u, "#EXTM3U\n../media/a/loud.wav\n../media/a/gone.wav\n").unwrap();
    let out = room.run(&["playlist", "analyze", m3u.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("gone.wav"), "{said}");
}

#[test]
fn m3u_import_reports_every_missing_file_and_round_trips_through_export() {
    let room = Room::new();
    room.media("a/one.wav", &sine_wav(440.0, 0.1, 8000, 1.0));
    room.media("b/two.wav", &sine_wav(660.0, 0.1, 8000, 1.0));
    std::fs::create_dir_all(room.path("lists")).unwrap();
    let m3u = room.path("lists/mix.m3u");
    std::fs::write(
        &m3u,
        "#EXTM3U\n#EXTINF:1,One\n../media/a/one.wav\n../media/a/gone.wav\n# note\n../media/b/two.wav\n../media/b/lost.wav\n",
    )
    .unwrap();
    let m3u_arg = m3u.to_str().unwrap();

    let out = room.run(&["playlist", "import", m3u_arg]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with(&format!("{m3u_arg}:4: ")) && lines[0].ends_with("a/gone.wav: no such file")
    );
    assert!(
        lines[1].starts_with(&format!("{m3u_arg}:7: ")) && lines[1].ends_with("b/lost.wav: no such file")
    );
    assert!(!room.path("playlists/mix.toml").exists(), "nothing is written");

    std::fs::write(
        &m3u,
        "#EXTM3U\n#EXTINF:1,One\n../media/a/one.wav\n../media/b/two.wav\n",
    )
    .unwrap();
    assert!(room.run(&["playlist", "import", m3u_arg]).status.success());
    let imported = std::fs::read_to_string(room.path("playlists/mix.toml")).unwrap();
    assert!(
        imported.contains("path = \"a/one.wav\"\nnote = \"One\""),
        "{imported}"
    );
    assert_eq!(
        room.run(&["playlist", "import", m3u_arg]).status.code(),
        Some(1),
        "no overwrite"
    );
    assert!(
        room.run(&["playlist", "import", m3u_arg, "--force"])
            .status
            .success()
    );

    let exported = room.path("out/deep/mix.m3u8");
    std::fs::create_dir_all(exported.parent().unwrap()).unwrap();
    let out = room.run(&["playlist", "export", "mix", "-o", exported.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(text.starts_with("#EXTM3U\n"));
    assert!(text.contains("#EXTINF:1,One\n../../media/a/one.wav\n"), "{text}");

    let back = room.run(&["playlist", "import", exported.to_str().unwrap(), "--name", "back"]);
    assert!(back.status.success(), "{}", String::from_utf8_lossy(&back.stderr));
    let paths = |name: &str| -> Vec<String> {
        std::fs::read_to_string(room.path(&format!("playlists/{name}.toml")))
            .unwrap()
            .lines()
            .filter(|l| l.starts_with("path = "))
            .map(String::from)
            .collect()
    };
    assert_eq!(paths("back"), paths("mix"));
    assert_eq!(paths("mix"), ["path = \"a/one.wav\"", "path = \"b/two.wav\""]);
}

#[test]
fn m3u_import_reports_bad_lines_urls_and_missing_files_in_one_pass() {
    let room = Room::new();
    room.media("a/one.wav", &sine_wav(440.0, 0.1, 8000, 1.0));
    let m3u = room.path("mix.m3u");
    std::fs::write(
        &m3u,
        "#EXTM3U\n#EXTINF:long,One\nmedia/a/one.wav\nhttp://radio.example/stream\nmedia/a/gone.wav\n",
    )
    .unwrap();
    let m3u_arg = m3u.to_str().unwrap();

    let out = room.run(&["playlist", "import", m3u_arg]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with(&format!("{m3u_arg}:2: ")) && lines[0].contains("not an #EXTINF line"),
        "{text}"
    );
    assert!(
        lines[1].starts_with(&format!("{m3u_arg}:4: ")) && lines[1].contains("is a URL"),
        "{text}"
    );
    assert!(
        lines[2].starts_with(&format!("{m3u_arg}:5: ")) && lines[2].ends_with("a/gone.wav: no such file"),
        "{text}"
    );
    assert!(!room.path("playlists/mix.toml").exists(), "nothing is written");
}

/// Frames of each track as `setting render --rate 22050` plays them (the demo media's own rate,
/// so nothing is resampled), and each join's overlap.
fn planned_frames(playlist: &str) -> (Vec<u64>, Vec<u64>) {
    let dir = repo_path("playlists");
    let known: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            e.unwrap()
                .path()
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let playlist = setting::playlist::load_playlist(&dir.join(format!("{playlist}.toml")), &known).unwrap();
    let lengths = playlist
        .tracks
        .iter()
        .map(|t| {
            let decoded = setting::audio::decode::decode_file(&t.file(&repo_path("media"))).unwrap();
            assert_eq!(decoded.info.sample_rate, 22050);
            decoded.frames()
        })
        .collect();
    let overlaps = playlist.tracks[..playlist.tracks.len() - 1]
        .iter()
        .map(|t| t.crossfade.map_or(0, |c| c.0 * 22050 / 1000))
        .collect();
    (lengths, overlaps)
}

#[test]
fn render_writes_a_shipped_playlist_as_long_as_its_tracks_less_the_crossfades() {
    let dir = tempfile::tempdir().unwrap();
    for (playlist, crossfades) in [("dosing", true), ("onset", false)] {
        let wav = dir.path().join(format!("{playlist}.wav"));
        let out = setting(
            &repo_path("config/settingd.toml"),
            &[
                "render",
                playlist,
                "--wav",
                wav.to_str().unwrap(),
                "--rate",
                "22050",
            ],
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout(&out).contains("rendered"), "{}", stdout(&out));
        let (lengths, overlaps) = planned_frames(playlist);
        assert_eq!(
            overlaps.iter().any(|&o| o > 0),
            crossfades,
            "{playlist}: {overlaps:?}"
        );
        let expected = lengths.iter().sum::<u64>() - overlaps.iter().sum::<u64>();

        let reader = hound::WavReader::open(&wav).unwrap();
        assert_eq!((reader.spec().channels, reader.spec().sample_rate), (2, 22050));
        assert_eq!(u64::from(reader.duration()), expected, "{playlist}");
        let samples: Vec<f32> = reader.into_samples::<f32>().map(Result::unwrap).collect();
        let rms = (samples.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / samples.len() as f64).sqrt();
        assert!(rms > 0.003, "{playlist} is next to silent: rms {rms}");
    }
}

/// A loud track after a quiet one, gapless: the loud one is at its own level from its first
/// sample, not at the quiet one's boost gliding down.
#[test]
fn render_starts_a_loud_track_after_a_quiet_one_at_its_own_level() {
    let room = Room::new();
    room.media("quiet.wav", &sine_wav(1000.0, 0.02, 48_000, 2.0));
    room.media("loud.wav", &sine_wav(1000.0, 0.5, 48_000, 2.0));
    room.playlist("join", &["quiet.wav", "loud.wav"]);
    let analyzed = room.run(&["playlist", "analyze", "join"]);
    assert!(
        analyzed.status.success(),
        "{}",
        String::from_utf8_lossy(&analyzed.stderr)
    );
    let wav = room.path("out.wav");
    let out = room.run(&["render", "join", "--wav", wav.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let samples: Vec<f32> = hound::WavReader::open(&wav)
        .unwrap()
        .into_samples::<f32>()
        .map(Result::unwrap)
        .collect();
    assert_eq!(samples.len(), 2 * 2 * 2 * 48_000, "gapless");
    let rms_db =
        |s: &[f32]| 10.0 * (s.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>() / s.len() as f64).log10();
    let second = &samples[2 * 2 * 48_000..];
    let (start, settled) = (rms_db(&second[..2 * 4_800]), rms_db(&second[2 * 48_000..]));
    assert!(
        (start - settled).abs() < 0.5,
        "first 100 ms at {start:.1} dB RMS, settled at {settled:.1}"
    );
    // Levelled, the two tones play equally loud: the loud one was cut, not boosted.
    let first = rms_db(&samples[2 * 48_000..2 * 2 * 48_000]);
    assert!((first - settled).abs() < 0.5, "{first:.1} vs {settled:.1}");
}

#[test]
fn render_refuses_an_unknown_playlist_and_a_missing_file() {
    let room = Room::new();
    room.playlist("bad", &["x/gone.flac"]);
    let wav = room.path("out.wav");
    let wav = wav.to_str().unwrap();
    let out = room.run(&["render", "nosuch", "--wav", wav]);
    assert_eq!(out.status.code(), Some(2));
    let out = room.run(&["render", "bad", "--wav", wav]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("x/gone.flac"));
}

/// A track with no loudness measurement would play at its own mastering level: `playlist
/// check` says so, and says it no more once `analyze` has measured it.
#[test]
fn check_names_the_tracks_that_would_play_unlevelled_until_analyzed() {
    let room = Room::new();
    room.media("tone.wav", &sine_wav(1000.0, 0.1, 48_000, 2.0));
    room.playlist("tone", &["tone.wav"]);
    let before = room.run(&["playlist", "check", "tone"]);
    let stderr = String::from_utf8_lossy(&before.stderr).into_owned();
    assert!(before.status.success(), "{stderr}");
    assert!(
        stderr.contains("1 files have no loudness measurement") && stderr.contains("tone.wav"),
        "{stderr}"
    );
    assert_eq!(
        json(&room.run(&["--json", "playlist", "check", "tone"]))["unmeasured"],
        serde_json::json!(["tone.wav"])
    );
    assert!(room.run(&["playlist", "analyze", "tone"]).status.success());
    let after = room.run(&["playlist", "check", "tone"]);
    let stderr = String::from_utf8_lossy(&after.stderr).into_owned();
    assert!(!stderr.contains("no loudness measurement"), "{stderr}");
    assert_eq!(
        json(&room.run(&["--json", "playlist", "check", "tone"]))["unmeasured"],
        serde_json::json!([])
    );
}

/// Three 44.1 kHz files holding one low tone, rendered gaplessly at 48 kHz by `setting render`:
/// the same samples as the joined piece resampled in one go, and no transient at the joins.
#[test]
fn render_resamples_a_gapless_run_as_one_piece() {
    use setting::audio::resample::{Converter, output_frames};

    let room = Room::new();
    let (from, to) = (44_100u32, 48_000u32);
    let lengths = [50_000usize, 26_460, 41_000];
    let total: usize = lengths.iter().sum();
    let tone: Vec<f32> = (0..total)
        .map(|i| 0.5 * (std::f64::consts::TAU * 40.0 * i as f64 / f64::from(from)).sin() as f32)
        .collect();
    let mut names = Vec::new();
    let mut at = 0;
    for (index, frames) in lengths.iter().enumerate() {
        let name = format!("part{index}.wav");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: from,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut writer = hound::WavWriter::create(room.path("media").join(&name), spec).unwrap();
        for &s in &tone[at..at + frames] {
            writer.write_sample(s).unwrap();
        }
        writer.finalize().unwrap();
        at += frames;
        names.push(name);
    }
    // Recorded as measured at the target (mono, 3 dB under it), so that levelling leaves every
    // piece at 0 dB and the tone continuous: measured one by one, pieces of different lengths
    // differ by hundredths of a dB.
    {
        use setting::audio::loudness_cache::{FileIdentity, Loudness, LoudnessCache};
        let mut cache = LoudnessCache::default();
        for name in &names {
            let at_target = Loudness {
                lufs: Some(setting::config::DEFAULT_TARGET_LUFS - 3.0103),
                true_peak_dbtp: None,
                seconds: 1.0,
                replaygain_db: None,
            };
            let identity = FileIdentity::of(&room.path("media").join(name)).unwrap();
            cache.put(name, identity, at_target);
        }
        cache.save(&room.path("media")).unwrap();
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    room.playlist("tone", &refs);
    let wav = room.path("out.wav");
    let out = room.run(&[
        "render",
        "tone",
        "--wav",
        wav.to_str().unwrap(),
        "--rate",
        "48000",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let left: Vec<f32> = hound::WavReader::open(&wav)
        .unwrap()
        .into_samples::<f32>()
        .map(Result::unwrap)
        .step_by(2)
        .collect();

    // The files as decoded, joined, through one converter.
    let mut joined = Vec::new();
    for name in &names {
        let decoded = setting::audio::decode::decode_file(&room.path("media").join(name)).unwrap();
        joined.extend(decoded.samples);
    }
    let mut converter = Converter::new(from, to, 1).unwrap();
    let mut stereo = Vec::new();
    converter.push(&joined, &mut stereo).unwrap();
    converter.finish(&mut stereo).unwrap();
    let body = converter.finished_layout().body_end as usize;
    let reference: Vec<f32> = stereo[..body * 2].iter().step_by(2).copied().collect();
    assert_eq!(left.len(), reference.len(), "gapless: the joined length exactly");
    let worst = left
        .iter()
        .zip(&reference)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-5, "differs from resampling it at once by {worst}");

    // Around each join the waveform bends no more sharply than anywhere else.
    let window = 2_000;
    let joins: Vec<usize> = [lengths[0], lengths[0] + lengths[1]]
        .iter()
        .map(|&f| output_frames(f as u64, from, to) as usize)
        .collect();
    let (mut near, mut elsewhere) = (0.0f32, 0.0f32);
    for i in window..left.len() - window {
        let d2 = (left[i + 1] - 2.0 * left[i] + left[i - 1]).abs();
        if joins.iter().any(|&j| i.abs_diff(j) <= window) {
            near = near.max(d2);
        } else {
            elsewhere = elsewhere.max(d2);
        }
    }
    assert!(
        near <= 3.0 * elsewhere,
        "second difference {near} at the joins against {elsewhere} elsewhere"
    );
}
