use super::*;
use crate::audio::test_media::{Format, cut_tail, sine, write_as, write_wav};

const RATE: u32 = 44_100;

#[test]
fn reports_stream_info_and_exact_length_for_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let tone = sine(30_001, RATE, 440.0, 0.5);
    for format in Format::ALL {
        let path = write_as(dir.path(), "tone", format, &tone, RATE);
        let decoded = decode_file(&path).unwrap_or_else(|e| panic!("{format:?}: {e}"));
        assert_eq!(decoded.info.sample_rate, RATE, "{format:?}");
        assert_eq!(decoded.info.channels, 1, "{format:?}");
        assert_eq!(
            decoded.frames(),
            30_001,
            "{format:?}: gapless trimming must give exact length"
        );
        if format.is_lossless() {
            let worst = decoded
                .samples
                .iter()
                .zip(&tone)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(worst < 2.0 / 32768.0, "{format:?}: off by {worst}");
        }
    }
}

#[test]
fn codec_names_say_what_the_file_is() {
    let dir = tempfile::tempdir().unwrap();
    let tone = sine(4_410, RATE, 440.0, 0.5);
    let names: Vec<&str> = Format::ALL
        .iter()
        .map(|&f| {
            decode_file(&write_as(dir.path(), "t", f, &tone, RATE))
                .unwrap()
                .info
                .codec
        })
        .collect();
    assert_eq!(names, ["pcm_s16le", "flac", "vorbis", "mp3"]);
}

#[test]
fn incremental_decoding_gives_the_same_samples() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_as(
        dir.path(),
        "tone",
        Format::Flac,
        &sine(20_000, RATE, 330.0, 0.4),
        RATE,
    );
    let whole = decode_file(&path).unwrap();
    let mut decoder = Decoder::open(&path).unwrap();
    let mut pieces = Vec::new();
    let mut packets = 0;
    while decoder.decode_next(&mut pieces).unwrap() {
        packets += 1;
    }
    assert!(packets > 1);
    assert_eq!(pieces, whole.samples);
    assert_eq!(decoder.decoded_frames(), 20_000);
    assert!(
        !decoder.decode_next(&mut pieces).unwrap(),
        "the end stays the end"
    );
}

#[test]
fn missing_file_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let err = decode_file(&dir.path().join("gone.flac")).unwrap_err();
    assert!(matches!(err, DecodeError::Missing { .. }), "{err:?}");
    assert!(err.to_string().contains("gone.flac"));
}

#[test]
fn a_directory_is_refused_as_not_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let err = decode_file(dir.path()).unwrap_err();
    assert!(matches!(err, DecodeError::NotRegular { .. }), "{err:?}");
}

/// A FIFO nobody writes to would block open(2) or read(2) for ever.
#[test]
fn a_fifo_is_refused_at_once_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("stalled.flac");
    crate::audio::test_media::mkfifo(&fifo);
    let started = std::time::Instant::now();
    let err = decode_file(&fifo).unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    assert!(matches!(err, DecodeError::NotRegular { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("stalled.flac") && text.contains("a FIFO, not a regular file"),
        "{text}"
    );
}

/// `/dev/zero` would be read for ever; behind a link it is refused as what it points at.
#[test]
fn a_link_to_dev_zero_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("zero.wav");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    let started = std::time::Instant::now();
    let err = decode_file(&link).unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    assert!(
        err.to_string().contains("a character device, not a regular file"),
        "{err}"
    );
}

/// Media libraries are often links into another disk: a link to a regular file plays.
#[test]
fn a_link_to_a_regular_file_plays() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.wav");
    crate::audio::test_media::write_wav(&real, &[0.25; 800], 8_000, 1);
    let link = dir.path().join("link.wav");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    assert_eq!(decode_file(&link).unwrap().frames(), 800);
}

/// Re-encodes `wav` with ffmpeg and extra arguments.
fn ffmpeg(wav: &Path, out: &Path, args: &[&str]) {
    let status = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(wav)
        .args(args)
        .arg(out)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn an_mp3_without_a_lame_header_is_flagged_as_not_gapless() {
    let dir = tempfile::tempdir().unwrap();
    let wav = write_as(
        dir.path(),
        "tone",
        Format::Wav,
        &sine(44_100, RATE, 440.0, 0.5),
        RATE,
    );
    let bare = dir.path().join("bare.mp3");
    ffmpeg(&wav, &bare, &["-c:a", "libmp3lame", "-write_xing", "0"]);
    let lame = write_as(
        dir.path(),
        "lame",
        Format::Mp3,
        &sine(44_100, RATE, 440.0, 0.5),
        RATE,
    );
    assert!(!Decoder::open(&bare).unwrap().info().gapless);
    assert!(Decoder::open(&lame).unwrap().info().gapless);
    assert!(Decoder::open(&wav).unwrap().info().gapless);
}

#[test]
fn replaygain_and_header_length_are_read_without_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let wav = write_as(
        dir.path(),
        "tone",
        Format::Wav,
        &sine(22_050, RATE, 440.0, 0.5),
        RATE,
    );
    let tagged = dir.path().join("tagged.flac");
    ffmpeg(&wav, &tagged, &["-metadata", "REPLAYGAIN_TRACK_GAIN=-6.20 dB"]);
    assert_eq!(replaygain_tag(&tagged), Some(-6.2));
    assert_eq!(replaygain_tag(&wav), None);
    assert_eq!(header_seconds(&tagged), Some(0.5));
}

#[test]
fn text_is_unsupported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.mp3");
    std::fs::write(&path, "not music at all, only words ".repeat(200)).unwrap();
    let err = decode_file(&path).unwrap_err();
    assert!(matches!(err, DecodeError::Unsupported { .. }), "{err:?}");
}

fn assert_truncated(path: &Path) {
    match decode_file(path) {
        Err(DecodeError::Truncated {
            decoded, expected, ..
        }) => {
            if let Some(expected) = expected {
                assert!(decoded < expected);
            }
        }
        other => panic!("{}: expected Truncated, got {other:?}", path.display()),
    }
}

#[test]
fn cut_wav_is_truncated_not_short() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tone.wav");
    write_wav(&path, &sine(44_100, RATE, 440.0, 0.5), RATE, 1);
    cut_tail(&path, 0.3);
    assert_truncated(&path);
}

#[test]
fn wav_cut_inside_a_sample_is_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tone.wav");
    write_wav(&path, &sine(44_100, RATE, 440.0, 0.5), RATE, 1);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
    assert_truncated(&path);
}

#[test]
fn cut_flac_is_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_as(
        dir.path(),
        "tone",
        Format::Flac,
        &sine(88_200, RATE, 440.0, 0.5),
        RATE,
    );
    cut_tail(&path, 0.3);
    assert_truncated(&path);
}

#[test]
fn cut_mp3_with_lame_header_is_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_as(
        dir.path(),
        "tone",
        Format::Mp3,
        &sine(88_200, RATE, 440.0, 0.5),
        RATE,
    );
    cut_tail(&path, 0.3);
    assert_truncated(&path);
}

#[test]
fn damaged_flac_middle_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_as(
        dir.path(),
        "tone",
        Format::Flac,
        &sine(88_200, RATE, 440.0, 0.5),
        RATE,
    );
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 64] {
        *b ^= 0x5a;
    }
    std::fs::write(&path, &bytes).unwrap();
    // symphonia resynchronises past the bad frame by itself; the hole it leaves must still be
    // reported, and as damage in the middle, not as a short file.
    let err = decode_file(&path).unwrap_err();
    assert!(
        matches!(err, DecodeError::Corrupt { at_frame, .. } if at_frame > 0),
        "{err:?}"
    );
}

#[test]
fn cut_ogg_vorbis_is_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_as(
        dir.path(),
        "tone",
        Format::Vorbis,
        &sine(88_200, RATE, 440.0, 0.5),
        RATE,
    );
    cut_tail(&path, 0.3);
    assert_truncated(&path);
}
