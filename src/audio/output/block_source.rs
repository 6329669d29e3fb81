//! [`BlockSource`]: the one source the device plays, for ever: the mixer's ready blocks, or
//! silence when none is ready.

use std::num::NonZero;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError};
use std::time::Duration;

use rodio::Source;

pub(super) struct BlockSource {
    blocks: Receiver<Vec<f32>>,
    spare: SyncSender<Vec<f32>>,
    current: Vec<f32>,
    at: usize,
    /// The next sample is a right channel's. Silence while starved is played in whole frames,
    /// so a block that arrives meanwhile starts on a left channel: a lone sample of silence
    /// would swap left and right for the rest of the session.
    mid_frame: bool,
    rate: rodio::SampleRate,
}

impl BlockSource {
    pub fn new(blocks: Receiver<Vec<f32>>, spare: SyncSender<Vec<f32>>, rate: rodio::SampleRate) -> Self {
        BlockSource {
            blocks,
            spare,
            current: Vec::new(),
            at: 0,
            mid_frame: false,
            rate,
        }
    }

    /// The next sample of a block, taking the next block when this one is done; `None` when
    /// none is ready.
    fn next_ready(&mut self) -> Option<f32> {
        if self.at >= self.current.len() {
            if self.current.capacity() > 0 {
                // Handing the block back keeps freeing memory off this thread.
                let _ = self.spare.try_send(std::mem::take(&mut self.current));
            }
            match self.blocks.try_recv() {
                Ok(block) => {
                    self.current = block;
                    self.at = 0;
                }
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => return None,
            }
        }
        let sample = *self.current.get(self.at)?;
        self.at += 1;
        Some(sample)
    }
}

impl Iterator for BlockSource {
    type Item = rodio::Sample;

    fn next(&mut self) -> Option<rodio::Sample> {
        // Blocks hold whole frames, so within one the channels stay in step by themselves;
        // only silence needs finishing.
        let in_block = self.at < self.current.len();
        let sample = if in_block || !self.mid_frame {
            self.next_ready().unwrap_or(0.0)
        } else {
            0.0
        };
        self.mid_frame = !self.mid_frame;
        Some(sample)
    }
}

impl Source for BlockSource {
    fn current_span_len(&self) -> Option<usize> {
        None
    }

    fn channels(&self) -> rodio::ChannelCount {
        NonZero::new(2).expect("two is not zero")
    }

    fn sample_rate(&self) -> rodio::SampleRate {
        self.rate
    }

    fn total_duration(&self) -> Option<Duration> {
        None
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::sync_channel;

    use super::*;

    #[test]
    fn a_block_after_silence_starts_on_the_left_channel() {
        let (blocks, rx) = sync_channel(4);
        let (spare, _spare_rx) = sync_channel(4);
        let mut source = BlockSource::new(rx, spare, NonZero::new(48_000).unwrap());
        // Starved on the left channel: the right one must be silence too.
        assert_eq!(source.next(), Some(0.0));
        blocks.send(vec![1.0, -1.0, 2.0, -2.0]).unwrap();
        let played: Vec<f32> = source.by_ref().take(6).collect();
        assert_eq!(played, [0.0, 1.0, -1.0, 2.0, -2.0, 0.0]);
        // Starved again, now on the right channel: the next block still starts on the left.
        blocks.send(vec![3.0, -3.0]).unwrap();
        let played: Vec<f32> = source.take(3).collect();
        assert_eq!(played, [0.0, 3.0, -3.0]);
    }
}
