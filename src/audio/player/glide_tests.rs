//! Targets applied to the player's mixer in the live worker's order (the glide at once, a new
//! playlist's first track a moment later, once loaded), checked sample by sample: music that
//! should be silent stays silent, and a fade-in rises to its level and never above it.

use super::{MIN_FADE, glide_to, mixer_config};
use crate::audio::gain::amp_to_db;
use crate::audio::mixer::{CHANNELS, Join, Mixer};
use crate::audio::test_media::sine;
use crate::audio::track::PreparedTrack;
use crate::time::Millis;
use crate::timeline::{MusicTarget, TrackPosition};

const RATE: u32 = 48_000;
/// How long the loader takes to bring a playlist's first track: anything glided at the
/// target is still moving when the track fades in.
const LOADING: usize = RATE as usize / 10;
/// Blocks of 10 ms: a whole number of the tone's cycles, so a steady tone's RMS is steady.
const BLOCK: usize = RATE as usize / 100;
const TONE_HZ: f32 = 1_000.0;
const TONE_AMP: f32 = 0.5;

/// A tone on one side only, so each channel of the output shows one track.
fn tone(id: u64, seconds: usize, left: bool) -> PreparedTrack {
    let samples: Vec<f32> = sine(seconds * RATE as usize, RATE, TONE_HZ, TONE_AMP)
        .into_iter()
        .flat_map(|s| if left { [s, 0.0] } else { [0.0, s] })
        .collect();
    PreparedTrack::in_memory(id, &samples)
}

fn target(playlist: Option<&str>, level_db: f32, fade: Millis) -> MusicTarget {
    MusicTarget {
        playlist: playlist.map(str::to_string),
        level_db,
        fade,
        ..MusicTarget::silence()
    }
}

/// The player's mixer, driven as the worker drives it; every frame rendered is kept.
struct Room {
    mixer: Mixer,
    applied: Option<MusicTarget>,
    out: Vec<f32>,
}

impl Room {
    fn new() -> Self {
        Room {
            mixer: Mixer::new(&mixer_config(RATE, 0.0)),
            applied: None,
            out: Vec::new(),
        }
    }

    /// As the worker's `apply`: no playlist stops the music; a new one waits for its track.
    fn apply(&mut self, target: &MusicTarget) {
        let fade = target.fade.to_duration();
        let previous = self.applied.replace(target.clone());
        let switching = previous.as_ref().is_none_or(|p| p.playlist != target.playlist);
        if switching && target.playlist.is_none() {
            self.mixer.stop(fade.max(MIN_FADE));
        }
        glide_to(&mut self.mixer, previous.as_ref(), target, fade);
    }

    /// The playlist's first track, loaded: it crossfades in over the target's fade.
    fn load(&mut self, track: PreparedTrack) {
        let fade = self.applied.as_ref().expect("a target first").fade.to_duration();
        self.mixer.switch([(track, Join::Gapless)], fade.max(MIN_FADE));
    }

    fn apply_and_load(&mut self, target: &MusicTarget, track: PreparedTrack) {
        self.apply(target);
        self.render(LOADING);
        self.load(track);
    }

    fn render(&mut self, frames: usize) {
        let mut block = vec![f32::NAN; frames * CHANNELS];
        self.mixer.render(&mut block);
        self.out.extend_from_slice(&block);
    }

    fn seconds(&mut self, seconds: f64) {
        self.render((seconds * f64::from(RATE)) as usize);
    }

    /// Frames rendered so far.
    fn now(&self) -> usize {
        self.out.len() / CHANNELS
    }

    fn channel(&self, from: usize, left: bool) -> Vec<f32> {
        let skip = if left { 0 } else { 1 };
        self.out[from * CHANNELS..]
            .iter()
            .skip(skip)
            .step_by(CHANNELS)
            .copied()
            .collect()
    }
}

fn peak(samples: &[f32]) -> f32 {
    samples.iter().fold(0.0f32, |m, s| m.max(s.abs()))
}

/// Each 10 ms block's RMS, in dB relative to the tone's own RMS (0 dB: the tone as it is).
fn block_levels(samples: &[f32]) -> Vec<f32> {
    let tone_rms = TONE_AMP / 2f32.sqrt();
    samples
        .chunks_exact(BLOCK)
        .map(|block| {
            let rms = (block.iter().map(|s| s * s).sum::<f32>() / BLOCK as f32).sqrt();
            amp_to_db(rms / tone_rms)
        })
        .collect()
}

/// The fade-in from `from` rises block by block to `level_db` and never above it.
fn assert_rises_to(room: &Room, from: usize, level_db: f32) {
    let levels = block_levels(&room.channel(from, true));
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
        loudest <= level_db + 0.1,
        "reached {loudest} dB, above the {level_db} dB asked for"
    );
    let last = *levels.last().expect("rendered");
    assert!(
        (last - level_db).abs() < 0.1,
        "ended at {last} dB, not {level_db}"
    );
}

#[test]
fn a_restart_into_a_muted_session_is_silent_through_the_fade_in() {
    let mut room = Room::new();
    let resumed = MusicTarget {
        muted: true,
        resume_from: Some(TrackPosition {
            path: "one.wav".into(),
            offset: Millis::from_secs(60),
        }),
        ..target(Some("p"), -24.0, Millis::from_secs(5))
    };
    room.apply_and_load(&resumed, tone(1, 30, true));
    room.seconds(8.0);
    assert_eq!(peak(&room.out), 0.0, "music heard in a muted session");
    assert!(room.mixer.now_playing().is_some(), "the track runs on underneath");

    // Unmuted later, it fades in to the session's level, never above.
    let unmuted = MusicTarget {
        muted: false,
        ..resumed
    };
    let from = room.now();
    room.apply(&unmuted);
    room.seconds(6.0);
    assert_rises_to(&room, from, -24.0);
}

#[test]
fn a_restart_into_a_paused_session_is_silent_and_holds_the_track_at_its_start() {
    let mut room = Room::new();
    let paused = MusicTarget {
        paused: true,
        ..target(Some("p"), -24.0, Millis::from_secs(5))
    };
    room.apply_and_load(&paused, tone(1, 10, true));
    room.seconds(8.0);
    assert_eq!(peak(&room.out), 0.0, "music heard in a paused session");
    assert_eq!(
        room.mixer.now_playing(),
        Some((1, 0)),
        "the track moved on while paused"
    );
}

#[test]
fn an_emergency_applied_on_a_restart_before_the_track_loads_is_silent() {
    let mut room = Room::new();
    let resumed = target(Some("p"), -24.0, Millis::from_secs(5));
    room.apply(&resumed);
    let emergency = MusicTarget {
        muted: true,
        fade: Millis::from_secs(3),
        ..resumed.clone()
    };
    room.apply(&emergency);
    room.render(LOADING);
    room.load(tone(1, 10, true));
    room.seconds(8.0);
    assert_eq!(peak(&room.out), 0.0, "music heard in an emergency");
}

#[test]
fn the_first_target_s_level_holds_from_the_first_frame_of_the_fade_in() {
    let mut room = Room::new();
    room.apply_and_load(&target(Some("p"), -30.0, Millis::from_secs(1)), tone(1, 10, true));
    room.seconds(3.0);
    assert_rises_to(&room, 0, -30.0);
}

#[test]
fn a_session_after_an_emergency_with_none_fades_in_at_its_own_level() {
    let mut room = Room::new();
    let first = target(Some("first"), -10.0, Millis::from_secs(1));
    room.apply_and_load(&first, tone(1, 60, true));
    room.seconds(3.0);
    // The session ends (the music fades out at its level), and later an emergency with no
    // session mutes the music at the level of silence.
    room.apply(&target(None, -10.0, Millis::from_secs(10)));
    room.seconds(12.0);
    let emergency = MusicTarget {
        muted: true,
        fade: Millis::from_secs(2),
        ..MusicTarget::silence()
    };
    room.apply(&emergency);
    room.seconds(5.0);
    let from = room.now();
    room.apply_and_load(
        &target(Some("next"), -30.0, Millis::from_secs(1)),
        tone(2, 10, true),
    );
    room.seconds(3.0);
    assert_rises_to(&room, from, -30.0);
}

#[test]
fn a_session_stopped_while_paused_never_brings_its_track_back() {
    let mut room = Room::new();
    // The old session's track on the left, the next session's on the right.
    let old = target(Some("old"), -6.0, Millis::from_secs(1));
    room.apply_and_load(&old, tone(1, 120, true));
    room.seconds(2.0);
    let paused = MusicTarget {
        paused: true,
        fade: Millis::from_secs(4),
        ..old.clone()
    };
    room.apply(&paused);
    room.seconds(5.0);
    // Stopped while paused: the session's last target keeps the pause.
    room.apply(&MusicTarget {
        playlist: None,
        fade: Millis::from_secs(10),
        ..paused
    });
    room.seconds(1.0);
    let from = room.now();
    room.apply_and_load(
        &target(Some("new"), -6.0, Millis::from_secs(1)),
        tone(2, 30, false),
    );
    room.seconds(15.0);
    assert_eq!(
        peak(&room.channel(from, true)),
        0.0,
        "the stopped track came back"
    );
    assert!(
        amp_to_db(peak(&room.channel(from, false)) / TONE_AMP) > -6.1,
        "the next session's track did not play"
    );
}

#[test]
fn a_session_stopped_during_the_pause_s_fade_never_brings_its_track_back() {
    let mut room = Room::new();
    let old = target(Some("old"), -6.0, Millis::from_secs(1));
    room.apply_and_load(&old, tone(1, 120, true));
    room.seconds(2.0);
    let paused = MusicTarget {
        paused: true,
        fade: Millis::from_secs(4),
        ..old.clone()
    };
    room.apply(&paused);
    room.seconds(1.0);
    // Stopped a second into the pause's fade: the stop's fade is frozen partway.
    room.apply(&MusicTarget {
        playlist: None,
        fade: Millis::from_secs(10),
        ..paused
    });
    room.seconds(5.0);
    let from = room.now();
    room.apply_and_load(
        &target(Some("new"), -6.0, Millis::from_secs(1)),
        tone(2, 30, false),
    );
    room.seconds(15.0);
    assert_eq!(
        peak(&room.channel(from, true)),
        0.0,
        "the stopped track came back"
    );
}
