//! `setting dry-run`: a shipped scene played offline through to the end, at a low rate so it
//! takes seconds.

use std::process::Output;

use serde_json::Value;

use crate::support::{setting_local, succeeded};

const RATE: u32 = 8000;

fn local(args: &[&str]) -> Output {
    succeeded(setting_local(args))
}

fn frame(ms: u64) -> u64 {
    ms * u64::from(RATE) / 1000
}

/// The loudest sample between two session times, in ms.
fn peak(reader: &mut hound::WavReader<std::io::BufReader<std::fs::File>>, from: u64, to: u64) -> i16 {
    reader.seek(frame(from) as u32).unwrap();
    let samples = (frame(to) - frame(from)) as usize * 2;
    reader
        .samples::<i16>()
        .take(samples)
        .map(|s| s.unwrap().saturating_abs())
        .max()
        .unwrap()
}

#[test]
fn a_shipped_scene_plays_through_to_a_wav_and_a_light_timeline() {
    let plan: Value = serde_json::from_slice(&local(&["plan", "preparation", "--json"]).stdout).unwrap();
    let total = plan["total"].as_u64().unwrap();
    let actions = plan["actions"].as_array().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("preparation.wav");
    let wav_arg = wav.to_str().unwrap();
    let rate = RATE.to_string();
    let out = local(&["dry-run", "preparation", "--wav", wav_arg, "--rate", &rate]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("light commands"));

    let mut reader = hound::WavReader::open(&wav).unwrap();
    assert_eq!(reader.spec().sample_rate, RATE);
    let frames = u64::from(reader.duration());
    assert!(
        frames.abs_diff(frame(total)) <= 4096,
        "{frames} frames for {total} ms"
    );

    // Each stretch between music actions, checked well inside it, clear of the fades.
    let music: Vec<(u64, bool)> = actions
        .iter()
        .filter(|a| a["action"]["action"] == "music")
        .map(|a| (a["at"].as_u64().unwrap(), a["action"]["playlist"].is_string()))
        .collect();
    let (mut heard, mut silent) = (0, 0);
    for (i, &(start, playing)) in music.iter().enumerate() {
        let end = music.get(i + 1).map_or(total, |m| m.0);
        if end - start < 3 * 60_000 {
            continue;
        }
        let loudest = peak(&mut reader, start + 60_000, end - 60_000);
        if playing {
            assert!(loudest > 30, "music from {start} ms is silent ({loudest})");
            heard += 1;
        } else {
            assert_eq!(loudest, 0, "silence from {start} ms has sound");
            silent += 1;
        }
    }
    assert!(
        heard > 0 && silent > 0,
        "{heard} phases with music, {silent} silent"
    );

    let lights = std::fs::read_to_string(format!("{wav_arg}.lights.csv")).unwrap();
    let mut rows = lights.lines();
    assert_eq!(rows.next(), Some("time_s,zone,brightness,kelvin,fade_s"));
    let expected: Vec<String> = actions
        .iter()
        .filter(|a| a["action"]["action"] == "light")
        .map(|a| {
            let at = a["at"].as_u64().unwrap() as f64 / 1000.0;
            format!("{at:.3},{}", a["action"]["zone"].as_str().unwrap())
        })
        .collect();
    let got: Vec<String> = rows
        .map(|r| r.splitn(3, ',').take(2).collect::<Vec<_>>().join(","))
        .collect();
    assert_eq!(got, expected);
}
