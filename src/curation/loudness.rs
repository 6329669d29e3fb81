//! Measuring a file's integrated loudness and true peak (EBU R 128) while decoding it.

use std::path::Path;
use std::sync::Arc;

use crate::audio::decode::{DecodeError, Decoder};
use crate::audio::loudness_cache::Loudness;
use crate::audio::read_watch::ReadWatch;
use ebur128::{EbuR128, Mode};

#[derive(Debug, thiserror::Error)]
pub enum LoudnessError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("the loudness meter refused the stream: {0:?}")]
    Meter(ebur128::Error),
}

/// Decodes the whole file through a meter, one packet at a time. A truncated or corrupt file is
/// an error: its measurement would describe only part of the music.
pub fn measure(path: &Path) -> Result<Loudness, LoudnessError> {
    measure_watched(path, &ReadWatch::new())
}

/// [`measure`], with every read seen by `watch`.
pub fn measure_watched(path: &Path, watch: &Arc<ReadWatch>) -> Result<Loudness, LoudnessError> {
    let mut decoder = Decoder::open_watched(path, watch)?;
    let info = decoder.info().clone();
    let mut meter = EbuR128::new(
        u32::from(info.channels),
        info.sample_rate,
        Mode::I | Mode::TRUE_PEAK,
    )
    .map_err(LoudnessError::Meter)?;
    let mut packet = Vec::new();
    loop {
        packet.clear();
        if !decoder.decode_next(&mut packet)? {
            break;
        }
        meter.add_frames_f32(&packet).map_err(LoudnessError::Meter)?;
    }
    let lufs = meter.loudness_global().map_err(LoudnessError::Meter)?;
    let mut peak = 0.0f64;
    for ch in 0..u32::from(info.channels) {
        peak = peak.max(meter.true_peak(ch).map_err(LoudnessError::Meter)?);
    }
    let peak = 20.0 * peak.log10();
    Ok(Loudness {
        lufs: lufs.is_finite().then_some(lufs),
        true_peak_dbtp: peak.is_finite().then_some(peak),
        seconds: decoder.decoded_frames() as f64 / f64::from(info.sample_rate),
        replaygain_db: decoder.replaygain_db(),
    })
}
