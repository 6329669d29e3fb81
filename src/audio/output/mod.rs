//! Where the mixer's samples go: a sound device, nowhere (`null`) or a WAV file, behind one
//! tiny trait. Every output is also the player's clock: `write` returns when the output is
//! ready for the next block, so the mixer runs at the speed the room hears it.

mod alsa_quiet;
#[cfg(test)]
mod alsa_tests;
mod block_source;
mod device;
#[cfg(test)]
mod device_loss_tests;
mod events;
mod fade_in;
mod null;
mod pace;
mod wav;

use std::path::PathBuf;

use crate::config::OutputSpec;
use crate::error_text::error_chain;

pub use device::{DeviceError, DeviceOutput};
pub use events::DeviceEvents;
pub use null::NullOutput;
pub use pace::Pace;
pub use wav::WavOutput;

pub trait Output: Send {
    /// Takes the next block of interleaved stereo frames at the mixer's rate, and returns when
    /// the output can take the one after.
    fn write(&mut self, block: &[f32]) -> Result<(), OutputError>;

    /// One line for `status`: what this output is and whether it plays.
    fn describe(&self) -> String;

    /// Whether anyone hears it (or a recording keeps it): fades that end the music are
    /// played out only then.
    fn is_heard(&self) -> bool {
        true
    }

    /// The frames it would like per `write`, given the player's own block. An output nobody
    /// hears can take larger blocks: its latency costs nothing, and each block is a wake-up.
    fn block_frames(&self, player_block: usize) -> usize {
        player_block
    }

    /// Completes what was written (a WAV header); called once, last.
    fn finish(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{}: cannot write the WAV output", path.display())]
    Wav {
        path: PathBuf,
        #[source]
        source: hound::Error,
    },
}

/// What every output needs to know to open.
#[derive(Debug, Clone)]
pub struct OutputOptions {
    /// The mixer's rate, which the output plays at.
    pub rate: u32,
    pub pace: Pace,
    pub events: DeviceEvents,
}

/// Opens the output `spec` names. The default device falls back to the null output when it
/// cannot be opened, with one line saying so: a session must run with no sound card rather
/// than not at all. A named device is kept and retried, since someone chose that card.
pub fn open_output(spec: &OutputSpec, options: &OutputOptions) -> Result<Box<dyn Output>, OutputError> {
    Ok(match spec {
        OutputSpec::Null => Box::new(NullOutput::new(options.rate, options.pace, None)),
        OutputSpec::Wav(path) => Box::new(WavOutput::create(path, options.rate, options.pace)?),
        OutputSpec::Device(name) => Box::new(DeviceOutput::open_or_retry(Some(name.clone()), options)),
        OutputSpec::Default => match DeviceOutput::open(None, options) {
            Ok(device) => Box::new(device),
            Err(e) => {
                let reason = error_chain(&e);
                tracing::warn!("no sound card: audio goes to the null output ({reason})");
                Box::new(NullOutput::new(options.rate, options.pace, Some(reason)))
            }
        },
    })
}
