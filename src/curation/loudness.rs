//! Measuring a file's integrated loudness and true peak (EBU R 128) while decoding it.

use std::path::Path;

use ebur128::{EbuR128, Mode};
use serde::{Deserialize, Serialize};

use super::decode::{DecodeError, StreamProblem, decode_file};

/// One file's measurement. Silence has no integrated loudness and a peak of minus infinity;
/// both are `None` so that the JSON cache can hold them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Loudness {
    pub lufs: Option<f64>,
    pub true_peak_dbtp: Option<f64>,
    pub seconds: f64,
    /// REPLAYGAIN_TRACK_GAIN as tagged in the file, for comparison.
    pub replaygain_db: Option<f64>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoudnessError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Stream(StreamProblem),
    #[error("the loudness meter refused the stream: {0:?}")]
    Meter(ebur128::Error),
}

/// Decodes the whole file through a meter. A truncated or corrupt file is an error: its
/// measurement would describe only part of the music.
pub fn measure(path: &Path) -> Result<Loudness, LoudnessError> {
    let mut meter: Option<EbuR128> = None;
    let mut failed: Option<ebur128::Error> = None;
    let mut sink = |rate: u32, channels: u16, samples: &[f32]| {
        if failed.is_some() {
            return;
        }
        let m = match &mut meter {
            Some(m) => m,
            None => match EbuR128::new(u32::from(channels), rate, Mode::I | Mode::TRUE_PEAK) {
                Ok(m) => meter.insert(m),
                Err(e) => {
                    failed = Some(e);
                    return;
                }
            },
        };
        if let Err(e) = m.add_frames_f32(samples) {
            failed = Some(e);
        }
    };
    let decoded = decode_file(path, Some(&mut sink))?;
    if let Some(problem) = decoded.problem {
        return Err(LoudnessError::Stream(problem));
    }
    if let Some(e) = failed {
        return Err(LoudnessError::Meter(e));
    }
    let (lufs, peak) = match &meter {
        Some(m) => {
            let lufs = m.loudness_global().map_err(LoudnessError::Meter)?;
            let mut peak = 0.0f64;
            for ch in 0..u32::from(decoded.channels.max(1)) {
                peak = peak.max(m.true_peak(ch).map_err(LoudnessError::Meter)?);
            }
            (lufs, 20.0 * peak.log10())
        }
        None => (f64::NEG_INFINITY, f64::NEG_INFINITY),
    };
    Ok(Loudness {
        lufs: lufs.is_finite().then_some(lufs),
        true_peak_dbtp: peak.is_finite().then_some(peak),
        seconds: decoded.seconds(),
        replaygain_db: decoded.replaygain_db,
    })
}
