//! One track on its way into the mixer: decoded packet by packet, converted to stereo at the
//! output rate and written into its [`feed`](super::feed) as far as the read-ahead allows.
//! Whoever owns it (the player's loader thread, or an offline render between two blocks) calls
//! [`TrackStream::step`] to move it on; the same steps give the same samples either way.

use super::decode::{DecodeError, Decoder};
use super::decode_ahead::DecodeAhead;
use super::feed::{CHUNK_FRAMES, FeedCutter, FeedWriter};
use super::resample::{Converter, Layout, PrepareError};

#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Prepare(#[from] PrepareError),
}

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Moved the track on: decoded a packet or published a chunk.
    Progressed,
    /// The read-ahead is full: nothing to do until the mixer reads on.
    Full,
    /// Every frame is in the feed, or the mixer has let the track go.
    Done,
}

/// Where a stream's packets come from: its decoder, in place or on a thread of its own.
enum Packets {
    InPlace(Decoder),
    Ahead(DecodeAhead),
    /// Only while the decoder moves from one to the other.
    Moving,
}

impl Packets {
    fn decode_next(&mut self, out: &mut Vec<f32>) -> Result<bool, DecodeError> {
        match self {
            Packets::InPlace(decoder) => decoder.decode_next(out),
            Packets::Ahead(ahead) => ahead.decode_next(out),
            Packets::Moving => unreachable!("the decoder is back in place before the next packet"),
        }
    }
}

pub struct TrackStream {
    decoder: Packets,
    /// The file's channels.
    channels: usize,
    converter: Converter,
    writer: FeedWriter,
    /// One packet's frames at the file's rate.
    packet: Vec<f32>,
    /// Converted frames not yet in the feed, from `staged_at` on.
    staged: Vec<f32>,
    staged_at: usize,
    /// Frames at the file's rate still to drop before the first one played (a resume point).
    skip: u64,
    decoding: bool,
}

impl TrackStream {
    /// Starts converting `decoder`'s track to `rate`, from `skip` frames (at the file's rate)
    /// into it. The feed learns the track's end at once when the header states it exactly.
    pub fn new(decoder: Decoder, rate: u32, skip: u64, writer: FeedWriter) -> Result<Self, PrepareError> {
        TrackStream::in_run(decoder, rate, skip, 0, writer)
    }

    /// Like [`TrackStream::new`], for a track that follows `before` frames (at its own rate) of
    /// a gapless run resampled as one (see [`super::resample`]).
    pub fn in_run(
        decoder: Decoder,
        rate: u32,
        skip: u64,
        before: u64,
        mut writer: FeedWriter,
    ) -> Result<Self, PrepareError> {
        let info = decoder.info();
        let converter = Converter::in_run(info.sample_rate, rate, info.channels, before)?;
        if let Some(frames) = info.header_frames {
            let layout = converter.layout(frames.saturating_sub(skip));
            writer.finish_with_tail(layout.end, layout.tail(), false);
        }
        Ok(TrackStream {
            channels: usize::from(info.channels),
            decoder: Packets::InPlace(decoder),
            converter,
            writer,
            packet: Vec::new(),
            staged: Vec::with_capacity(CHUNK_FRAMES * 4),
            staged_at: 0,
            skip,
            decoding: true,
        })
    }

    /// From now on decodes on a thread of its own, up to `packets` packets ahead of the
    /// conversion, which then runs beside it: for an offline render, which has every core to
    /// itself and no real time to keep. The samples are the same. Stays in place when no
    /// thread can be started.
    pub fn decode_ahead(&mut self, packets: usize) {
        self.decoder = match std::mem::replace(&mut self.decoder, Packets::Moving) {
            Packets::InPlace(decoder) if self.decoding => match DecodeAhead::start(decoder, packets) {
                Ok(ahead) => Packets::Ahead(ahead),
                Err(decoder) => Packets::InPlace(*decoder),
            },
            kept => kept,
        };
    }

    /// Moves the track on by one packet or one chunk. An error is a file that stops early: what
    /// came before it is still played, the feed is marked cut at its real end, and the error is
    /// returned once, to be reported; later steps carry on with what is staged.
    pub fn step(&mut self) -> Result<Step, StreamError> {
        if self.writer.is_closed() {
            return Ok(Step::Done);
        }
        let staged = (self.staged.len() - self.staged_at) / 2;
        if staged >= CHUNK_FRAMES || (!self.decoding && staged > 0) {
            let written = self.writer.write(&self.staged[self.staged_at..]);
            if written == 0 {
                return Ok(if self.writer.is_closed() {
                    Step::Done
                } else {
                    Step::Full
                });
            }
            self.staged_at += written * 2;
            if self.staged_at == self.staged.len() {
                self.staged.clear();
                self.staged_at = 0;
            }
            return Ok(Step::Progressed);
        }
        if !self.decoding {
            return Ok(Step::Done);
        }
        if !self.writer.has_room() {
            // Decoding on would only grow the staging: wait until the feed has room.
            return Ok(Step::Full);
        }
        self.decode_packet()?;
        Ok(Step::Progressed)
    }

    fn decode_packet(&mut self) -> Result<(), StreamError> {
        if self.staged_at > 0 {
            self.staged.drain(..self.staged_at);
            self.staged_at = 0;
        }
        self.packet.clear();
        let more = match self.decoder.decode_next(&mut self.packet) {
            Ok(more) => more,
            Err(error) => {
                self.end(true)?;
                return Err(error.into());
            }
        };
        let channels = self.channels;
        let mut input = &self.packet[..];
        if self.skip > 0 {
            let frames = (input.len() / channels) as u64;
            let dropped = self.skip.min(frames);
            self.skip -= dropped;
            input = &input[dropped as usize * channels..];
        }
        self.converter.push(input, &mut self.staged)?;
        if !more {
            self.end(false)?;
        }
        Ok(())
    }

    /// The file has ended (early, if `cut`): flushes the converter and tells the feed the end.
    fn end(&mut self, cut: bool) -> Result<(), PrepareError> {
        self.decoding = false;
        let flushed = self.converter.finish(&mut self.staged);
        let end = self.converter.emitted();
        let tail = self.converter.finished_layout().tail();
        self.writer.finish_with_tail(end, tail, cut);
        flushed
    }

    /// Steps until the read-ahead is full or the track is all in the feed; returns which.
    pub fn fill(&mut self) -> Result<Step, StreamError> {
        loop {
            match self.step()? {
                Step::Progressed => continue,
                done => return Ok(done),
            }
        }
    }

    /// Once the track is done: lets its decoder go and frees its chunks as the mixer hands them
    /// back, until the mixer lets the track go (see [`FeedWriter::release_until_read`]).
    pub fn release_until_read(self) {
        let TrackStream { decoder, writer, .. } = self;
        drop(decoder);
        writer.release_until_read();
    }

    /// Ends the track where it stands from another thread (see [`FeedCutter`]).
    pub fn cutter(&self) -> FeedCutter {
        self.writer.cutter()
    }

    /// The most frames its feed can ever hold.
    pub fn bound(&self) -> u64 {
        self.writer.bound()
    }

    /// The most frames its feed has held at once.
    pub fn high_water(&self) -> u64 {
        self.writer.high_water()
    }

    /// The track's own length at the output rate (lead-in and tail left out), once it is
    /// decoded; what has been converted so far until then.
    pub fn frames(&self) -> u64 {
        if self.decoding {
            self.converter.emitted()
        } else {
            self.converter.finished_layout().body()
        }
    }

    /// Where the track lies in what the feed will hold, given its length at its own rate.
    pub fn layout(&self, frames: u64) -> Layout {
        self.converter.layout(frames)
    }

    /// Frames the feed holds before the track's first sample.
    pub fn lead_in(&self) -> u64 {
        self.converter.lead_in()
    }

    /// Whether a track of `frames` frames can be followed in its gapless run.
    pub fn can_run_on(&self, frames: u64) -> bool {
        self.converter.can_run_on(frames)
    }

    /// Whether the whole file has been read (the end is known, frames may still be staged).
    pub fn is_decoded(&self) -> bool {
        !self.decoding
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
