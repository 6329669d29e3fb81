//! The `[audio]` section: which output the music goes to, the hard ceiling, the rate, the
//! levelling, and how long a read of a media file may hang.

use std::path::Path;

use super::OutputSpec;
use super::model::AudioConfig;
use super::raw::RawAudio;
use crate::diagnostic::Document;
use crate::media_io::read_watch::DEFAULT_READ_TIMEOUT;
use crate::time::Millis;

/// The loudness every track is levelled to when nothing else is configured: EBU R 128's
/// programme level. Quiet, sustained music sits well there with room below the ceiling, so
/// the limiter rarely has to act.
pub const DEFAULT_TARGET_LUFS: f64 = -23.0;

/// A ceiling this low is a typo (a missing minus sign goes the other way and is caught too):
/// the room would hear next to nothing.
const LOWEST_CEILING_DB: f64 = -60.0;
pub const DEFAULT_CEILING_DB: f32 = -1.0;
/// How far levelling lifts a quiet track at most, besides its true peak's headroom under the
/// ceiling (docs/playlists.md says why 20 dB).
pub const DEFAULT_MAX_BOOST_DB: f64 = 20.0;
/// Past 40 dB a "track" is a recording's noise floor, not music.
const MAX_BOOST_RANGE: std::ops::RangeInclusive<f64> = 0.0..=40.0;
/// A read that takes longer than a minute is not coming back; one under a second is still a
/// sleeping disk spinning up.
const READ_TIMEOUT_RANGE: std::ops::RangeInclusive<Millis> = Millis(1_000)..=Millis(60_000);
const DEFAULT_RATE: u32 = 48_000;
/// Quieter than -40 LUFS most tracks would need more than the levelling's largest boost;
/// louder than -10 leaves no headroom under the ceiling for the scenes' levels to matter.
const TARGET_LUFS_RANGE: std::ops::RangeInclusive<f64> = -40.0..=-10.0;

pub fn audio(doc: &mut Document<'_>, raw: &RawAudio, base: &Path) -> Option<AudioConfig> {
    let output = match &raw.output {
        Some(text) => match text.get_ref().parse::<OutputSpec>() {
            Ok(OutputSpec::Wav(path)) => Some(OutputSpec::Wav(base.join(path))),
            Ok(spec) => Some(spec),
            Err(e) => {
                doc.error_at(text, e.to_string());
                None
            }
        },
        None => Some(OutputSpec::Default),
    };
    let ceiling_db = match &raw.ceiling_db {
        Some(c) => doc
            .in_range(c, "ceiling_db", LOWEST_CEILING_DB..=0.0, " dBFS")
            .map(|c| c as f32),
        None => Some(DEFAULT_CEILING_DB),
    };
    let rate = match &raw.rate {
        Some(r) => doc.in_range(r, "rate", 8_000..=192_000, " Hz").map(|r| r as u32),
        None => Some(DEFAULT_RATE),
    };
    let target_lufs = match &raw.target_lufs {
        Some(t) => doc.in_range(t, "target_lufs", TARGET_LUFS_RANGE, " LUFS"),
        None => Some(DEFAULT_TARGET_LUFS),
    };
    let max_boost_db = match &raw.max_boost_db {
        Some(b) => doc.in_range(b, "max_boost_db", MAX_BOOST_RANGE, " dB"),
        None => Some(DEFAULT_MAX_BOOST_DB),
    };
    let read_timeout = match &raw.read_timeout {
        Some(t) => doc.duration(t).and_then(|d| {
            if READ_TIMEOUT_RANGE.contains(&d) {
                Some(d.to_duration())
            } else {
                doc.error_at(
                    t,
                    format!(
                        "read_timeout of {} is out of range; expected 1s to 60s",
                        t.get_ref()
                    ),
                );
                None
            }
        }),
        None => Some(DEFAULT_READ_TIMEOUT),
    };
    Some(AudioConfig {
        output: output?,
        ceiling_db: ceiling_db?,
        rate: rate?,
        target_lufs: target_lufs?,
        max_boost_db: max_boost_db?,
        read_timeout: read_timeout?,
    })
}
