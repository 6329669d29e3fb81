//! Test audio made on the spot: sines, WAV files, and the same encoded by ffmpeg as FLAC, Ogg
//! Vorbis and LAME MP3, so tests decode real files of every format the player takes.

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn sine(frames: usize, rate: u32, freq: f32, amp: f32) -> Vec<f32> {
    let step = std::f64::consts::TAU * f64::from(freq) / f64::from(rate);
    (0..frames)
        .map(|i| amp * (step * i as f64).sin() as f32)
        .collect()
}

/// The shift, within `±max_lag` frames, at which `out` best matches `reference` over `range`
/// (least squared error, so loud passages weigh most).
pub fn best_lag(out: &[f32], reference: &[f32], range: std::ops::Range<usize>, max_lag: i64) -> i64 {
    (-max_lag..=max_lag)
        .min_by(|&a, &b| {
            let err = |lag: i64| {
                range
                    .clone()
                    .map(|i| (out[i] - reference[(i as i64 + lag) as usize]).powi(2))
                    .sum::<f32>()
            };
            err(a).total_cmp(&err(b))
        })
        .expect("a lag range is never empty")
}

/// Writes 16-bit PCM, the commonest WAV there is.
pub fn write_wav(path: &Path, samples: &[f32], rate: u32, channels: u16) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for &s in samples {
        writer.write_sample((s * 32767.0).round() as i16).unwrap();
    }
    writer.finalize().unwrap();
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Wav,
    Flac,
    Vorbis,
    Mp3,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Wav, Format::Flac, Format::Vorbis, Format::Mp3];

    pub fn is_lossless(self) -> bool {
        matches!(self, Format::Wav | Format::Flac)
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Wav => "wav",
            Format::Flac => "flac",
            Format::Vorbis => "ogg",
            Format::Mp3 => "mp3",
        }
    }

    fn ffmpeg_codec(self) -> &'static [&'static str] {
        match self {
            Format::Wav => &[],
            Format::Flac => &["-c:a", "flac"],
            Format::Vorbis => &["-c:a", "libvorbis", "-q:a", "6"],
            // ffmpeg writes the Xing/LAME header that carries encoder delay and padding.
            Format::Mp3 => &["-c:a", "libmp3lame", "-b:a", "192k"],
        }
    }
}

/// Writes `samples` as a file of `format` named `stem` in `dir`, through a WAV and ffmpeg.
pub fn write_as(dir: &Path, stem: &str, format: Format, samples: &[f32], rate: u32) -> PathBuf {
    let wav = dir.join(format!("{stem}.wav"));
    write_wav(&wav, samples, rate, 1);
    if format == Format::Wav {
        return wav;
    }
    let out = dir.join(format!("{stem}.{}", format.extension()));
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(&wav)
        .args(format.ffmpeg_codec())
        .arg(&out)
        .status()
        .expect("ffmpeg is needed to make test media: run scripts/deps.sh or apt-get install ffmpeg");
    assert!(status.success(), "ffmpeg failed to write {}", out.display());
    out
}

/// Cuts the last `fraction` of a file's bytes off, as an interrupted copy would.
pub fn cut_tail(path: &Path, fraction: f64) {
    let bytes = std::fs::read(path).unwrap();
    let keep = (bytes.len() as f64 * (1.0 - fraction)) as usize;
    std::fs::write(path, &bytes[..keep]).unwrap();
}

/// The true peak of interleaved stereo in dBTP, as ebur128's oversampled meter measures it.
pub fn true_peak_db(interleaved: &[f32], rate: u32) -> f64 {
    let mut meter = ebur128::EbuR128::new(2, rate, ebur128::Mode::TRUE_PEAK).unwrap();
    meter.add_frames_f32(interleaved).unwrap();
    let peak = (0..2).map(|c| meter.true_peak(c).unwrap()).fold(0.0, f64::max);
    20.0 * peak.log10()
}

/// The longest run of consecutive samples of one channel (every `stride`-th from `offset`)
/// held at the same absolute value within 0.01 dB of `ceiling`: a flattened waveform.
pub fn longest_run_at_ceiling(samples: &[f32], offset: usize, stride: usize, ceiling: f32) -> usize {
    let near = ceiling * 0.998_85;
    let (mut longest, mut run, mut last) = (0, 0, f32::NAN);
    for s in samples.iter().skip(offset).step_by(stride).map(|s| s.abs()) {
        run = if s >= near && (s - last).abs() <= ceiling * 1e-6 {
            run + 1
        } else if s >= near {
            1
        } else {
            0
        };
        last = s;
        longest = longest.max(run);
    }
    longest
}

/// Makes a FIFO at `path`: what a stalled network share looks like to a reader.
pub fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo(3) only reads it.
    assert_eq!(
        unsafe { libc::mkfifo(c.as_ptr(), 0o600) },
        0,
        "mkfifo {}",
        path.display()
    );
}

/// Writes 32-bit float PCM: a waveform with no quantisation noise, for sample-level checks.
pub fn write_float_wav(path: &Path, samples: &[f32], rate: u32) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for &s in samples {
        writer.write_sample(s).unwrap();
    }
    writer.finalize().unwrap();
}

/// One low tone, continuous across `lengths.len()` mono float WAVs of those lengths at `rate`
/// named `part0.wav`, `part1.wav`, ... in `dir`; returns their names. Low, so that its own
/// second difference is tiny beside any transient at a join.
///
/// Each piece goes into `dir`'s loudness cache as measured at the default target (mono, so 3 dB
/// under it): levelling leaves every piece at 0 dB, and the pieces one continuous tone (measured
/// one by one, pieces of different lengths would differ by hundredths of a dB).
pub fn split_tone(dir: &Path, lengths: &[usize], rate: u32) -> Vec<String> {
    use crate::audio::loudness_cache::{FileIdentity, Loudness, LoudnessCache};
    let tone = sine(lengths.iter().sum(), rate, 40.0, 0.5);
    let mut at = 0;
    let mut cache = LoudnessCache::load(dir).unwrap();
    let names = lengths
        .iter()
        .enumerate()
        .map(|(index, &frames)| {
            let name = format!("part{index}.wav");
            write_float_wav(&dir.join(&name), &tone[at..at + frames], rate);
            let at_target = Loudness {
                lufs: Some(crate::config::DEFAULT_TARGET_LUFS - 3.0103),
                true_peak_dbtp: None,
                seconds: frames as f64 / f64::from(rate),
                replaygain_db: None,
            };
            cache.put(&name, FileIdentity::of(&dir.join(&name)).unwrap(), at_target);
            at += frames;
            name
        })
        .collect();
    cache.save(dir).unwrap();
    names
}

/// `pieces` (mono, each with its gain as an amplitude) joined and resampled in one go, as the
/// left channel: what a gapless run must sound like.
pub fn resampled_at_once(pieces: &[(Vec<f32>, f32)], from: u32, to: u32) -> Vec<f32> {
    let joined: Vec<f32> = pieces
        .iter()
        .flat_map(|(samples, gain)| samples.iter().map(move |s| s * gain))
        .collect();
    let mut converter = super::resample::Converter::new(from, to, 1).unwrap();
    let mut out = Vec::new();
    converter.push(&joined, &mut out).unwrap();
    converter.finish(&mut out).unwrap();
    let layout = converter.finished_layout();
    out[..layout.body_end as usize * 2]
        .iter()
        .step_by(2)
        .copied()
        .collect()
}

/// The largest absolute second difference of `samples` within `window` frames of any of
/// `joins`, and the largest elsewhere (the first and last `window` frames left out: the piece's
/// own start and end).
pub fn second_difference_at_joins(samples: &[f32], joins: &[usize], window: usize) -> (f32, f32) {
    let (mut near, mut elsewhere) = (0.0f32, 0.0f32);
    for i in window..samples.len().saturating_sub(window) {
        let d2 = (samples[i + 1] - 2.0 * samples[i] + samples[i - 1]).abs();
        if joins.iter().any(|&j| i.abs_diff(j) <= window) {
            near = near.max(d2);
        } else {
            elsewhere = elsewhere.max(d2);
        }
    }
    (near, elsewhere)
}
