//! Streaming conversion of a decoded track to the mixer's format: stereo at the output rate,
//! chunk by chunk, to exactly `round(frames * out / in)` frames in all.
//!
//! Other rates go through rubato's FFT resampler, which is band-limited (linear interpolation
//! would alias audibly on the quiet, sustained material played here) and, for the fixed ratio
//! of two whole rates, several times faster than the sinc resampler. Mono is resampled before it
//! is copied to both sides, which halves the work for the shipped (mono) media.
//!
//! Each track is resampled on its own, so a gapless join between two tracks that both need
//! resampling is exact in length but not in waveform: the filter rings for a few dozen frames
//! at each edge. Resampling a gapless album as one stream would fix that; not done yet.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler};

/// Frames the resampler takes per call. Small enough to keep the loader's staging tiny, large
/// enough that the FFT's per-call cost stays in the noise.
const RESAMPLER_CHUNK: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error("{channels} channels; only mono and stereo are played")]
    Channels { channels: u16 },
    #[error("sample rate {rate} Hz is not usable")]
    Rate { rate: u32 },
    #[error("cannot set up the resampler")]
    ResamplerSetup {
        #[source]
        source: rubato::ResamplerConstructionError,
    },
    #[error("resampling failed")]
    Resample {
        #[source]
        source: rubato::ResampleError,
    },
}

/// The frames a track of `frames` at `from` Hz has at `to` Hz: what a [`Converter`] produces.
pub fn output_frames(frames: u64, from: u32, to: u32) -> u64 {
    if from == to {
        return frames;
    }
    (u128::from(frames) * u128::from(to) + u128::from(from) / 2).div_euclid(u128::from(from)) as u64
}

/// Converts interleaved frames of one track, pushed in pieces of any size, to interleaved stereo
/// at the output rate.
pub struct Converter {
    from: u32,
    to: u32,
    channels: usize,
    resampler: Option<Resampling>,
    input_frames: u64,
    emitted: u64,
}

struct Resampling {
    fft: Fft<f32>,
    /// Input not yet handed to the resampler, interleaved.
    pending: Vec<f32>,
    /// One call's output, interleaved at the source's channel count.
    scratch: Vec<f32>,
    /// Output frames still to drop: the filter's delay, which would otherwise shift the track.
    delay_left: usize,
}

impl Converter {
    pub fn new(from: u32, to: u32, channels: u16) -> Result<Self, PrepareError> {
        if !(1..=2).contains(&channels) {
            return Err(PrepareError::Channels { channels });
        }
        if from == 0 {
            return Err(PrepareError::Rate { rate: from });
        }
        let channels = usize::from(channels);
        let resampler = if from == to {
            None
        } else {
            let fft = Fft::<f32>::new(
                from as usize,
                to as usize,
                RESAMPLER_CHUNK,
                channels,
                FixedSync::Both,
            )
            .map_err(|source| PrepareError::ResamplerSetup { source })?;
            Some(Resampling {
                pending: Vec::with_capacity(fft.input_frames_max() * channels * 2),
                scratch: vec![0.0; fft.output_frames_max() * channels],
                delay_left: fft.output_delay(),
                fft,
            })
        };
        Ok(Converter {
            from,
            to,
            channels,
            resampler,
            input_frames: 0,
            emitted: 0,
        })
    }

    /// Output frames produced so far.
    pub fn emitted(&self) -> u64 {
        self.emitted
    }

    /// Takes the next interleaved input frames and appends what is ready to `out`.
    pub fn push(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<(), PrepareError> {
        self.input_frames += (input.len() / self.channels) as u64;
        let Some(resampling) = &mut self.resampler else {
            self.emitted += upmix(input, self.channels, out) as u64;
            return Ok(());
        };
        resampling.pending.extend_from_slice(input);
        let chunk = resampling.fft.input_frames_next() * self.channels;
        let mut used = 0;
        while resampling.pending.len() - used >= chunk {
            let piece = used..used + chunk;
            used += chunk;
            let frames = resampling.run(piece, None, self.channels)?;
            self.emitted += resampling.emit(frames, u64::MAX, self.channels, out) as u64;
        }
        resampling.pending.drain(..used);
        Ok(())
    }

    /// The input has ended: flushes what the filter still holds, so the output is exactly
    /// [`output_frames`] of the input long.
    pub fn finish(&mut self, out: &mut Vec<f32>) -> Result<(), PrepareError> {
        let total = output_frames(self.input_frames, self.from, self.to);
        let Some(resampling) = &mut self.resampler else {
            return Ok(());
        };
        let channels = self.channels;
        let partial = resampling.pending.len() / channels;
        let piece = 0..resampling.pending.len();
        let frames = resampling.run(piece, Some(partial), channels)?;
        self.emitted += resampling.emit(frames, total - self.emitted, channels, out) as u64;
        resampling.pending.clear();
        // The filter's delay is still inside it: zeros push it out.
        while self.emitted < total {
            let frames = resampling.run(0..0, Some(0), channels)?;
            self.emitted += resampling.emit(frames, total - self.emitted, channels, out) as u64;
        }
        Ok(())
    }
}

impl Resampling {
    /// Resamples `pending[piece]` (all of a chunk, or `partial` frames padded with silence) into
    /// `scratch`; returns the frames written there.
    fn run(
        &mut self,
        piece: std::ops::Range<usize>,
        partial: Option<usize>,
        channels: usize,
    ) -> Result<usize, PrepareError> {
        let input = &self.pending[piece];
        let frames_in = input.len() / channels;
        let buffer_in = InterleavedSlice::new(input, channels, frames_in).expect("whole frames");
        let frames_out = self.scratch.len() / channels;
        let mut buffer_out =
            InterleavedSlice::new_mut(&mut self.scratch, channels, frames_out).expect("whole frames");
        let indexing = partial.map(|len| Indexing::new().partial_len(len));
        let (_, written) = self
            .fft
            .process_into_buffer(&buffer_in, &mut buffer_out, indexing.as_ref())
            .map_err(|source| PrepareError::Resample { source })?;
        Ok(written)
    }

    /// Appends up to `limit` of the `frames` in `scratch` to `out`, after the delay is dropped.
    fn emit(&mut self, frames: usize, limit: u64, channels: usize, out: &mut Vec<f32>) -> usize {
        let skip = self.delay_left.min(frames);
        self.delay_left -= skip;
        let take = (frames - skip).min(usize::try_from(limit).unwrap_or(usize::MAX));
        upmix(
            &self.scratch[skip * channels..(skip + take) * channels],
            channels,
            out,
        )
    }
}

/// Appends `input` as stereo to `out`; returns the frames appended.
fn upmix(input: &[f32], channels: usize, out: &mut Vec<f32>) -> usize {
    if channels == 2 {
        out.extend_from_slice(input);
    } else {
        out.extend(input.iter().flat_map(|&s| [s, s]));
    }
    input.len() / channels
}

#[cfg(test)]
#[path = "resample_tests.rs"]
mod tests;
