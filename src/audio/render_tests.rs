use ebur128::{EbuR128, Mode};

use super::*;
use crate::audio::decode::decode_file;
use crate::audio::loudness_cache::{FileIdentity, Loudness, LoudnessCache};
use crate::audio::resample::output_frames;
use crate::audio::test_media::{
    longest_run_at_ceiling, resampled_at_once, second_difference_at_joins, sine, split_tone, true_peak_db,
    write_wav,
};
use crate::time::Millis;

const RATE: u32 = 48_000;

fn entry(path: &str) -> playlist::Track {
    playlist::Track::plain(path)
}

fn lufs(stereo: &[f32]) -> f64 {
    let mut meter = EbuR128::new(2, RATE, Mode::I).unwrap();
    meter.add_frames_f32(stereo).unwrap();
    meter.loudness_global().unwrap()
}

fn read(wav: &Path) -> Vec<f32> {
    hound::WavReader::open(wav)
        .unwrap()
        .samples::<f32>()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn tracks_10_db_apart_come_out_within_1_lu_of_the_target_and_each_other() {
    let media = tempfile::tempdir().unwrap();
    let seconds = 8;
    let frames = seconds * RATE as usize;
    write_wav(
        &media.path().join("loud.wav"),
        &sine(frames, RATE, 220.0, 0.5),
        RATE,
        1,
    );
    write_wav(
        &media.path().join("quiet.wav"),
        &sine(frames, RATE, 330.0, 0.158),
        RATE,
        1,
    );
    cache_measured(media.path(), &["loud.wav", "quiet.wav"]);

    let wav = media.path().join("out.wav");
    let tracks = [entry("loud.wav"), entry("quiet.wav")];
    let summary = render_playlist(&tracks, media.path(), &wav, &RenderOptions::default()).unwrap();
    let (a, b) = (summary.tracks[0].lufs.unwrap(), summary.tracks[1].lufs.unwrap());
    assert!((a - b - 10.0).abs() < 0.2, "the sources differ by {} LU", a - b);

    let out = read(&wav);
    assert_eq!(out.len(), 2 * 2 * frames, "gapless: the two lengths, exactly");
    let (first, second) = out.split_at(2 * frames);
    let (first, second) = (lufs(first), lufs(second));
    let target = DEFAULT_TARGET_LUFS;
    assert!((first - target).abs() < 1.0, "first at {first} LUFS");
    assert!((second - target).abs() < 1.0, "second at {second} LUFS");
    assert!((first - second).abs() < 1.0, "{first} vs {second}");
}

#[test]
fn a_crossfade_shortens_the_render_by_its_overlap_and_gapless_does_not() {
    let media = tempfile::tempdir().unwrap();
    let tone = sine(RATE as usize, RATE, 220.0, 0.3);
    for name in ["a.wav", "b.wav", "c.wav"] {
        write_wav(&media.path().join(name), &tone, RATE, 1);
    }
    let mut tracks = vec![entry("a.wav"), entry("b.wav"), entry("c.wav")];
    tracks[0].crossfade = Some(Millis(250));
    let wav = media.path().join("out.wav");
    let summary = render_playlist(&tracks, media.path(), &wav, &RenderOptions::default()).unwrap();
    assert_eq!(summary.frames, 3 * 48_000 - 12_000);
    assert_eq!(read(&wav).len() as u64, 2 * summary.frames);
    assert_eq!(
        summary.tracks[1].join,
        Join::Crossfade(Duration::from_millis(250))
    );
    assert_eq!(summary.tracks[2].join, Join::Gapless);

    let imposed = RenderOptions {
        crossfade: Some(Duration::from_millis(500)),
        ..RenderOptions::default()
    };
    let summary = render_playlist(&tracks, media.path(), &wav, &imposed).unwrap();
    assert_eq!(summary.frames, 3 * 48_000 - 2 * 24_000);
    let gapless = RenderOptions {
        crossfade: Some(Duration::ZERO),
        ..RenderOptions::default()
    };
    let summary = render_playlist(&tracks, media.path(), &wav, &gapless).unwrap();
    assert_eq!(summary.frames, 3 * 48_000);
}

#[test]
fn a_missing_file_names_the_track() {
    let media = tempfile::tempdir().unwrap();
    let wav = media.path().join("out.wav");
    let err = render_playlist(
        &[entry("gone.flac")],
        media.path(),
        &wav,
        &RenderOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, RenderError::Decode { path, source: DecodeError::Missing { .. } } if path == "gone.flac"),
        "{err:?}"
    );
}

/// A 12 kHz tone at 48 kHz whose samples fall 3 dB under its true peak `peak_db`, written as a
/// 16-bit file, and the samples the file holds as stereo.
fn hot_tone(path: &Path, peak_db: f32, seconds: usize) -> Vec<f32> {
    let amp = 10f32.powf(peak_db / 20.0);
    let step = std::f64::consts::TAU * 12_000.0 / f64::from(RATE);
    let phase = std::f64::consts::FRAC_PI_4;
    let tone: Vec<f32> = (0..seconds * RATE as usize)
        .map(|i| amp * (step * i as f64 + phase).sin() as f32)
        .collect();
    write_wav(path, &tone, RATE, 1);
    let stored: Vec<f32> = hound::WavReader::open(path)
        .unwrap()
        .samples::<i16>()
        .map(|s| f32::from(s.unwrap()) / 32768.0)
        .collect();
    stored.iter().flat_map(|&s| [s, s]).collect()
}

/// `tone.wav` rendered under `ceiling_db`, with the target at the tone's own loudness as played
/// (mono on two speakers: 3 dB up), so that levelling leaves it as it is.
fn render_at(ceiling_db: f32, media: &Path) -> Vec<f32> {
    let wav = media.join("out.wav");
    let tone = crate::audio::measure::measure(&media.join("tone.wav")).unwrap();
    let options = RenderOptions {
        ceiling_db,
        target_lufs: tone.lufs.unwrap() + 3.0103,
        ..RenderOptions::default()
    };
    render_playlist(&[entry("tone.wav")], media, &wav, &options).unwrap();
    read(&wav)
}

#[test]
fn a_12_khz_tone_over_the_ceiling_comes_out_at_it_between_samples_too() {
    let media = tempfile::tempdir().unwrap();
    // Samples at -0.1 dBFS, true peak +2.9 dBTP.
    let input = hot_tone(&media.path().join("tone.wav"), 2.9, 2);
    assert!(true_peak_db(&input, RATE) > 2.5);
    let out = render_at(-1.0, media.path());
    assert_eq!(out.len(), input.len(), "the render keeps every frame");
    let peak = true_peak_db(&out, RATE);
    assert!(peak <= -0.9, "{peak:.2} dBTP over a -1 dB ceiling");
    assert!(peak > -1.5, "{peak:.2} dBTP: held at the ceiling, not below it");
    let ceiling = 10f32.powf(-1.0 / 20.0);
    assert!(longest_run_at_ceiling(&out, 0, 2, ceiling) < 3);
}

#[test]
fn the_ceiling_leaves_what_is_under_it_alone_and_holds_what_is_over_it() {
    let media = tempfile::tempdir().unwrap();
    let ceiling_db = -30.0;
    let quiet = hot_tone(&media.path().join("tone.wav"), -36.0, 1);
    let out = render_at(ceiling_db, media.path());
    let (before, after) = (true_peak_db(&quiet, RATE), true_peak_db(&out, RATE));
    assert!(
        (after - before).abs() < 0.01,
        "{before:.2} dBTP came out at {after:.2}"
    );
    assert_eq!(out, quiet, "under the ceiling, every sample passes as it was");

    let loud = hot_tone(&media.path().join("tone.wav"), -6.0, 1);
    assert!(true_peak_db(&loud, RATE) > -6.5);
    let peak = true_peak_db(&render_at(ceiling_db, media.path()), RATE);
    assert!(
        (-30.5..=-29.9).contains(&peak),
        "{peak:.2} dBTP against a -30 dB ceiling"
    );
}

/// Caches what the curators' analysis would: each mono WAV in `media` measured with the one
/// channel it has.
fn cache_measured(media: &Path, names: &[&str]) {
    let mut cache = LoudnessCache::default();
    for name in names {
        let path = media.join(name);
        let mono: Vec<f32> = hound::WavReader::open(&path)
            .unwrap()
            .samples::<i16>()
            .map(|s| f32::from(s.unwrap()) / 32768.0)
            .collect();
        let mut meter = EbuR128::new(1, RATE, Mode::I).unwrap();
        meter.add_frames_f32(&mono).unwrap();
        let loudness = Loudness {
            lufs: Some(meter.loudness_global().unwrap()),
            true_peak_dbtp: None,
            seconds: mono.len() as f64 / f64::from(RATE),
            replaygain_db: None,
        };
        cache.put(name, FileIdentity::of(&path).unwrap(), loudness);
    }
    cache.save(media).unwrap();
}

fn rms_db(stereo: &[f32]) -> f64 {
    let mean_square = stereo.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / stereo.len() as f64;
    10.0 * mean_square.log10()
}

#[test]
fn a_loud_track_after_a_quiet_one_starts_at_its_own_level_at_a_gapless_join() {
    // The quiet one needs a big boost, the loud one a big cut: a trim carried over the join
    // would start the loud one some 28 dB too loud.
    let media = tempfile::tempdir().unwrap();
    let frames = 3 * RATE as usize;
    write_wav(
        &media.path().join("quiet.wav"),
        &sine(frames, RATE, 1000.0, 0.02),
        RATE,
        1,
    );
    write_wav(
        &media.path().join("loud.wav"),
        &sine(frames, RATE, 1000.0, 0.5),
        RATE,
        1,
    );
    cache_measured(media.path(), &["quiet.wav", "loud.wav"]);

    let wav = media.path().join("out.wav");
    let tracks = [entry("quiet.wav"), entry("loud.wav")];
    let summary = render_playlist(&tracks, media.path(), &wav, &RenderOptions::default()).unwrap();
    let (boost, cut) = (summary.tracks[0].gain_db, summary.tracks[1].gain_db);
    assert!(boost > 6.0 && cut < -6.0, "gains {boost} and {cut} dB");

    let out = read(&wav);
    assert_eq!(out.len(), 2 * 2 * frames, "gapless");
    let second = &out[2 * frames..];
    let tenth = 2 * RATE as usize / 10;
    let (start, settled) = (rms_db(&second[..tenth]), rms_db(&second[RATE as usize..]));
    assert!(
        (start - settled).abs() < 0.5,
        "first 100 ms at {start:.1} dB RMS, settled at {settled:.1}"
    );
    // Each track at its own trim from its first sample: the tone's own RMS (-3 dB of its peak)
    // plus its gain, on both channels.
    let expected = 20.0 * (0.5f64 / 2f64.sqrt()).log10() + f64::from(cut);
    assert!((start - expected).abs() < 0.1, "{start:.2} vs {expected:.2}");
}

/// Tracks nobody measured, 30 LU apart: the render measures them first, and levels both to the
/// target.
#[test]
fn unmeasured_tracks_are_measured_and_levelled() {
    let media = tempfile::tempdir().unwrap();
    let frames = 4 * RATE as usize;
    write_wav(
        &media.path().join("whisper.wav"),
        &sine(frames, RATE, 1000.0, 0.013),
        RATE,
        1,
    );
    write_wav(
        &media.path().join("shout.wav"),
        &sine(frames, RATE, 1000.0, 0.41),
        RATE,
        1,
    );
    let wav = media.path().join("out.wav");
    let tracks = [entry("whisper.wav"), entry("shout.wav")];
    let summary = render_playlist(&tracks, media.path(), &wav, &RenderOptions::default()).unwrap();
    assert_eq!(summary.measured, 2);
    assert_eq!(
        summary.kept,
        Ok(Some(LoudnessCache::path(media.path()))),
        "kept for the next render and the daemon"
    );
    let (quiet, loud) = (summary.tracks[0].lufs.unwrap(), summary.tracks[1].lufs.unwrap());
    assert!(
        quiet < -38.0 && loud > -12.0,
        "sources at {quiet:.1} and {loud:.1} LUFS"
    );

    let out = read(&wav);
    let (first, second) = out.split_at(2 * frames);
    for (name, segment) in [("whisper", first), ("shout", second)] {
        let level = lufs(segment);
        assert!(
            (level - DEFAULT_TARGET_LUFS).abs() < 1.0,
            "{name} at {level:.1} LUFS, the target {DEFAULT_TARGET_LUFS}"
        );
    }
    let again = render_playlist(&tracks, media.path(), &wav, &RenderOptions::default()).unwrap();
    assert_eq!(again.measured, 0, "the second render uses the cache");
    assert_eq!(again.tracks, summary.tracks);
}

/// Three 44.1 kHz files holding one continuous tone, rendered gaplessly at 48 kHz: the joins
/// carry no filter transient, and the whole is the tone resampled in one go.
#[test]
fn a_tone_across_three_44k_files_renders_at_48k_as_if_resampled_at_once() {
    let media = tempfile::tempdir().unwrap();
    let from = 44_100;
    let lengths = [57_331, 30_870, 48_511];
    let names = split_tone(media.path(), &lengths, from);
    let tracks: Vec<playlist::Track> = names.iter().map(|n| entry(n)).collect();
    let wav = media.path().join("out.wav");
    let summary = render_playlist(&tracks, media.path(), &wav, &RenderOptions::default()).unwrap();
    let out: Vec<f32> = read(&wav).into_iter().step_by(2).collect();

    let pieces: Vec<(Vec<f32>, f32)> = names
        .iter()
        .map(|n| (decode_file(&media.path().join(n)).unwrap().samples, 1.0))
        .collect();
    let reference = resampled_at_once(&pieces, from, RATE);
    assert_eq!(out.len(), reference.len(), "gapless: the joined length exactly");
    assert_eq!(summary.frames as usize, out.len());
    let worst = out
        .iter()
        .zip(&reference)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-5, "differs from resampling it at once by {worst}");

    let mut joins = Vec::new();
    let mut before = 0;
    for frames in &lengths[..2] {
        before += frames;
        joins.push(output_frames(before as u64, from, RATE) as usize);
    }
    let (near, elsewhere) = second_difference_at_joins(&out, &joins, 2_000);
    assert!(
        near <= 3.0 * elsewhere,
        "second difference {near} at the joins against {elsewhere} elsewhere"
    );
}

/// A gapless run whose tracks play at different trims: each trim holds from its track's first
/// sample, as if applied to the source before the join, and the join stays band-limited.
#[test]
fn a_run_s_trims_apply_as_if_to_the_source_before_it_is_resampled() {
    let media = tempfile::tempdir().unwrap();
    let from = 44_100;
    let names = split_tone(media.path(), &[40_000, 40_000], from);
    let mut tracks: Vec<playlist::Track> = names.iter().map(|n| entry(n)).collect();
    tracks[1].gain_db = -6.0;
    let wav = media.path().join("out.wav");
    render_playlist(&tracks, media.path(), &wav, &RenderOptions::default()).unwrap();
    let out: Vec<f32> = read(&wav).into_iter().step_by(2).collect();
    let pieces: Vec<(Vec<f32>, f32)> = names
        .iter()
        .zip([0.0, -6.0])
        .map(|(n, db)| {
            let samples = decode_file(&media.path().join(n)).unwrap().samples;
            (samples, crate::audio::gain::db_to_amp(db))
        })
        .collect();
    let reference = resampled_at_once(&pieces, from, RATE);
    assert_eq!(out.len(), reference.len());
    let worst = out
        .iter()
        .zip(&reference)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-5, "off by {worst}");
}
