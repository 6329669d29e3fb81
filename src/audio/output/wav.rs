//! [`WavOutput`]: records exactly what would have played, as 32-bit float, in real time.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use super::pace::{Pace, Pacer};
use super::{Output, OutputError};

pub struct WavOutput {
    path: PathBuf,
    writer: Option<hound::WavWriter<BufWriter<File>>>,
    pacer: Pacer,
}

impl WavOutput {
    pub fn create(path: &Path, rate: u32, pace: Pace) -> Result<Self, OutputError> {
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: rate,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let writer = hound::WavWriter::create(path, spec).map_err(|source| OutputError::Wav {
            path: path.to_owned(),
            source,
        })?;
        Ok(WavOutput {
            path: path.to_owned(),
            writer: Some(writer),
            pacer: Pacer::new(pace, rate),
        })
    }

    fn error(&self, source: hound::Error) -> OutputError {
        OutputError::Wav {
            path: self.path.clone(),
            source,
        }
    }
}

impl Output for WavOutput {
    fn write(&mut self, block: &[f32]) -> Result<(), OutputError> {
        if let Some(writer) = &mut self.writer {
            let written: Result<(), hound::Error> =
                block.iter().try_for_each(|&sample| writer.write_sample(sample));
            written.map_err(|e| self.error(e))?;
        }
        self.pacer.wait(block.len() / 2);
        Ok(())
    }

    fn describe(&self) -> String {
        format!("wav: recording to {}", self.path.display())
    }

    fn finish(&mut self) -> Result<(), OutputError> {
        match self.writer.take() {
            Some(writer) => writer.finalize().map_err(|e| self.error(e)),
            None => Ok(()),
        }
    }
}

impl Drop for WavOutput {
    fn drop(&mut self) {
        // A header left unwritten makes the whole recording unreadable.
        if let Err(e) = self.finish() {
            tracing::warn!("{e}");
        }
    }
}
