//! Streaming conversion of a decoded track to the mixer's format: stereo at the output rate,
//! chunk by chunk, the track itself exactly `round(frames * out / in)` frames long.
//!
//! Other rates go through rubato's FFT resampler, which is band-limited (linear interpolation
//! would alias audibly on the quiet, sustained material played here) and, for the fixed ratio
//! of two whole rates, several times faster than the sinc resampler. Mono is resampled before it
//! is copied to both sides, which halves the work for the shipped (mono) media.
//!
//! A gapless run (tracks at one rate joined with no crossfade) sounds as one stream resampled
//! at once, with no filter transient at its joins, though each track keeps a converter of its
//! own (and its own thread, read-ahead and deadline). The FFT resampler is linear and works in
//! fixed blocks, so resampling the joined stream is the sum of resampling each track on the
//! run's block grid, silence elsewhere: a track [`Converter::in_run`] starts on that grid, and
//! its output begins with a lead-in (the filter's response to its first samples, before its
//! first sample is due) and ends with a tail (the response to its last, after its last sample).
//! The mixer plays the next track's lead-in over the tail of the one before it, each at its own
//! gain, and the sum is the joined stream's waveform, each track's gain applied before the
//! join. Where nothing overlaps them, lead-in and tail are passed over unheard, and the track
//! is what resampling it alone gives.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler};

/// Frames the resampler takes per call. Small enough to keep the loader's staging tiny, large
/// enough that the FFT's per-call cost stays in the noise. Eight of the 147-frame steps that
/// 44.1 and 22.05 kHz take to 48 kHz: the FFT lengths (2352 and 2560 for 44.1 kHz) then have
/// powers of two in them, and cost less per frame than 1024's seven steps (2058 and 2240); the
/// filter, as long as the block, gets longer too.
const RESAMPLER_CHUNK: usize = 1176;

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

/// The smallest track, in blocks of the resampler's input, that a gapless run carries on
/// through: the next track's output must start after this one's does.
const MIN_RUN_BLOCKS: u64 = 2;

/// Where a converter's output lies: its lead-in, the track itself, and its tail, in output
/// frames from its first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Frames before the track's first sample.
    pub lead_in: u64,
    /// The frame after the track's last sample.
    pub body_end: u64,
    /// All the frames the converter gives.
    pub end: u64,
}

impl Layout {
    /// Frames after the track's last sample.
    pub fn tail(&self) -> u64 {
        self.end - self.body_end
    }

    /// The track's own length at the output rate.
    pub fn body(&self) -> u64 {
        self.body_end - self.lead_in
    }
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
    /// Frames at the source rate of the gapless run before this track.
    before: u64,
}

struct Resampling {
    fft: Fft<f32>,
    /// Input not yet handed to the resampler, interleaved.
    pending: Vec<f32>,
    /// One call's output, interleaved at the source's channel count.
    scratch: Vec<f32>,
    /// Output frames still to drop: the filter's delay, which would otherwise shift the track,
    /// less what the run's earlier blocks already took of it.
    delay_left: usize,
    /// Zeros put ahead of the track to place it on the run's block grid.
    offset: u64,
    /// Output frames the run's blocks before this track's first gave.
    earlier: u64,
    /// Output frames dropped from the start: `delay_left` as it began.
    dropped: u64,
    /// Input and output frames per block, and the filter's delay in output frames.
    block_in: u64,
    block_out: u64,
    delay: u64,
}

impl Converter {
    /// A converter for a track heard on its own, or the first of a gapless run.
    pub fn new(from: u32, to: u32, channels: u16) -> Result<Self, PrepareError> {
        Converter::in_run(from, to, channels, 0)
    }

    /// A converter for a track that follows `before` frames (at the source rate, which must be
    /// the same) of a gapless run: its output lies on the run's grid, lead-in and tail included.
    pub fn in_run(from: u32, to: u32, channels: u16, before: u64) -> Result<Self, PrepareError> {
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
            let block_in = fft.input_frames_next() as u64;
            let block_out = fft.output_frames_next() as u64;
            let delay = fft.output_delay() as u64;
            let offset = before % block_in;
            // The run's earlier blocks gave `blocks * block_out` frames, of which the delay was
            // dropped from the first.
            let earlier = (before / block_in) * block_out;
            let dropped = delay.saturating_sub(earlier);
            let mut pending = Vec::with_capacity(fft.input_frames_max() * channels * 2);
            pending.resize(offset as usize * channels, 0.0);
            Some(Resampling {
                pending,
                scratch: vec![0.0; fft.output_frames_max() * channels],
                delay_left: dropped as usize,
                fft,
                offset,
                earlier,
                dropped,
                block_in,
                block_out,
                delay,
            })
        };
        let before = if resampler.is_some() { before } else { 0 };
        Ok(Converter {
            from,
            to,
            channels,
            resampler,
            input_frames: 0,
            emitted: 0,
            before,
        })
    }

    /// Output frames produced so far.
    pub fn emitted(&self) -> u64 {
        self.emitted
    }

    /// Output frames before the track's first sample (none for the first of a run).
    pub fn lead_in(&self) -> u64 {
        self.layout(1).lead_in
    }

    /// Where the output of a track of `frames` frames lies: exact, so a header's length tells
    /// the feed where the track ends before it is decoded.
    pub fn layout(&self, frames: u64) -> Layout {
        let Some(r) = &self.resampler else {
            return Layout {
                lead_in: 0,
                body_end: frames,
                end: frames,
            };
        };
        // The run's frame this converter's first output frame stands for.
        let first = r.earlier + r.dropped - r.delay;
        if frames == 0 {
            return Layout {
                lead_in: 0,
                body_end: 0,
                end: 0,
            };
        }
        let lead_in = output_frames(self.before, self.from, self.to) - first;
        let body_end = output_frames(self.before + frames, self.from, self.to) - first;
        // Every block holding the track, then one of silence for the last block's overlap.
        let blocks = (r.offset + frames).div_ceil(r.block_in) + 1;
        let end = blocks * r.block_out - r.dropped;
        Layout {
            lead_in,
            body_end,
            end,
        }
    }

    /// The layout of what has been pushed, once [`Converter::finish`] has flushed it.
    pub fn finished_layout(&self) -> Layout {
        self.layout(self.input_frames)
    }

    /// Whether a track of `frames` frames can be followed in its gapless run: the converter
    /// resamples, and the track is long enough that the next one's output starts after its own.
    pub fn can_run_on(&self, frames: u64) -> bool {
        self.resampler
            .as_ref()
            .is_some_and(|r| frames >= MIN_RUN_BLOCKS * r.block_in)
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
            self.emitted += resampling.emit(frames, self.channels, out) as u64;
        }
        resampling.pending.drain(..used);
        Ok(())
    }

    /// The input has ended: flushes what the filter still holds, tail and all, so the output
    /// is exactly [`Converter::finished_layout`]'s `end` long.
    pub fn finish(&mut self, out: &mut Vec<f32>) -> Result<(), PrepareError> {
        let Some(resampling) = &mut self.resampler else {
            return Ok(());
        };
        let channels = self.channels;
        if self.input_frames > 0 {
            let partial = resampling.pending.len() / channels;
            if partial > 0 {
                let piece = 0..resampling.pending.len();
                let frames = resampling.run(piece, Some(partial), channels)?;
                self.emitted += resampling.emit(frames, channels, out) as u64;
            }
            // The last block's overlap is still inside the filter: a block of silence pushes
            // it out.
            let frames = resampling.run(0..0, Some(0), channels)?;
            self.emitted += resampling.emit(frames, channels, out) as u64;
        }
        resampling.pending.clear();
        debug_assert_eq!(self.emitted, self.finished_layout().end);
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

    /// Appends the `frames` in `scratch` to `out`, after the delay is dropped.
    fn emit(&mut self, frames: usize, channels: usize, out: &mut Vec<f32>) -> usize {
        let skip = self.delay_left.min(frames);
        self.delay_left -= skip;
        upmix(&self.scratch[skip * channels..frames * channels], channels, out)
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
