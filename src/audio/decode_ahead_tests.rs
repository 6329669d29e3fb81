use std::path::Path;

use super::*;
use crate::audio::test_media::{Format, cut_tail, sine, write_as};

const RATE: u32 = 44_100;

/// Every packet as decoding in place gives it, then what ended the file.
fn in_place(path: &Path) -> (Vec<Vec<f32>>, Option<String>) {
    let mut decoder = Decoder::open(path).unwrap();
    drain(|out| decoder.decode_next(out))
}

fn ahead(path: &Path, packets: usize) -> (Vec<Vec<f32>>, Option<String>) {
    let mut ahead = started(path, packets);
    drain(|out| ahead.decode_next(out))
}

fn started(path: &Path, packets: usize) -> DecodeAhead {
    DecodeAhead::start(Decoder::open(path).unwrap(), packets)
        .unwrap_or_else(|_| panic!("a thread to decode on"))
}

/// A FLAC file of an A440 tone `seconds` long, in `dir`.
fn flac_tone(dir: &Path, seconds: usize) -> std::path::PathBuf {
    write_as(
        dir,
        "tone",
        Format::Flac,
        &sine(seconds * RATE as usize, RATE, 440.0, 0.5),
        RATE,
    )
}

fn drain(
    mut next: impl FnMut(&mut Vec<f32>) -> Result<bool, DecodeError>,
) -> (Vec<Vec<f32>>, Option<String>) {
    let mut packets = Vec::new();
    loop {
        let mut out = Vec::new();
        match next(&mut out) {
            Ok(more) => {
                packets.push(out);
                if !more {
                    // The end is said once and then again on every later call.
                    assert!(!next(&mut Vec::new()).unwrap());
                    return (packets, None);
                }
            }
            Err(error) => return (packets, Some(error.to_string())),
        }
    }
}

#[test]
fn decoding_ahead_gives_every_packet_as_decoding_in_place_does() {
    let dir = tempfile::tempdir().unwrap();
    let tone = sine(5 * RATE as usize, RATE, 440.0, 0.5);
    for format in [Format::Flac, Format::Vorbis, Format::Mp3] {
        let path = write_as(dir.path(), &format!("{format:?}"), format, &tone, RATE);
        let expected = in_place(&path);
        assert!(expected.0.len() > 20, "{format:?}: a file of many packets");
        assert_eq!(expected.1, None);
        // A queue shorter than the file, so that the thread waits for the reader; and one
        // longer than it.
        for packets in [2, 1000] {
            assert!(ahead(&path, packets) == expected, "{format:?}, {packets} ahead");
        }
    }
}

#[test]
fn a_cut_file_ends_with_the_same_error_after_the_same_packets() {
    let dir = tempfile::tempdir().unwrap();
    let path = flac_tone(dir.path(), 4);
    cut_tail(&path, 0.3);
    let expected = in_place(&path);
    assert!(
        expected.1.as_deref().is_some_and(|e| e.contains("truncated")),
        "{:?}",
        expected.1
    );
    assert!(ahead(&path, 3) == expected);
}

/// Whether this process holds `path` open.
fn is_open(path: &Path) -> bool {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .any(|target| target == path)
}

#[test]
fn a_track_let_go_part_way_ends_its_thread_and_closes_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = flac_tone(dir.path(), 10);
    let mut ahead = started(&path, 2);
    assert!(ahead.decode_next(&mut Vec::new()).unwrap());
    assert!(is_open(&path), "the thread reads the file");
    drop(ahead);
    // The thread, waiting to send a packet, finds nobody to send it to and drops its decoder.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while is_open(&path) {
        assert!(std::time::Instant::now() < deadline, "the file is still open");
        std::thread::yield_now();
    }
}
