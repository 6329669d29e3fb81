//! A [`Decoder`] moved onto a thread of its own that decodes a few packets ahead of whoever
//! converts them: an offline render then decodes one packet while it resamples the one before,
//! on two cores rather than one. The packets, their order and any error are exactly those of
//! decoding in place.

use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};

use super::decode::{DecodeError, Decoder};

/// What the thread sends for each packet: its frames and whether more follow, the decoder's
/// error, or the panic that stopped it (passed on where decoding in place would have raised it).
enum Packet {
    Decoded(Vec<f32>, bool),
    Failed(DecodeError),
    Panicked(Box<dyn std::any::Any + Send>),
}

/// The receiving end of a decoder on its thread.
pub struct DecodeAhead {
    packets: Receiver<Packet>,
    /// Buffers handed back for the thread to decode into, so that decoding ahead allocates
    /// only as many as it runs ahead.
    spare: Sender<Vec<f32>>,
    /// The decoder has said its last: the end, an error or a panic.
    ended: bool,
}

impl DecodeAhead {
    /// Moves `decoder` onto a new thread that stays at most `packets` packets ahead. Gives the
    /// decoder back when no thread can be started, to be decoded in place.
    pub fn start(decoder: Decoder, packets: usize) -> Result<DecodeAhead, Box<Decoder>> {
        let (outbox, received) = sync_channel(packets.max(1));
        let (spare, spares) = channel();
        // The decoder is handed over once the thread runs, so that it stays here if none can.
        let (hand, handed) = sync_channel::<Decoder>(1);
        let started = std::thread::Builder::new()
            .name("media-decode".into())
            .spawn(move || {
                if let Ok(decoder) = handed.recv() {
                    decode_into(decoder, &outbox, &spares);
                }
            });
        if let Err(error) = started {
            tracing::debug!("decoding in place: no thread to decode ahead on: {error}");
            return Err(Box::new(decoder));
        }
        hand.send(decoder)
            .expect("the thread waits for its decoder before anything else");
        Ok(DecodeAhead {
            packets: received,
            spare,
            ended: false,
        })
    }

    /// As [`Decoder::decode_next`]: appends the next packet's frames to `out`; `Ok(false)` is
    /// the end of the file.
    pub fn decode_next(&mut self, out: &mut Vec<f32>) -> Result<bool, DecodeError> {
        if self.ended {
            return Ok(false);
        }
        let packet = self
            .packets
            .recv()
            .expect("the decoding thread says its last before it ends");
        match packet {
            Packet::Decoded(mut frames, more) => {
                if out.is_empty() {
                    std::mem::swap(out, &mut frames);
                } else {
                    out.extend_from_slice(&frames);
                }
                frames.clear();
                // The thread may have ended after its last packet; the buffer is then freed.
                let _ = self.spare.send(frames);
                self.ended = !more;
                Ok(more)
            }
            Packet::Failed(error) => {
                self.ended = true;
                Err(error)
            }
            Packet::Panicked(payload) => {
                self.ended = true;
                std::panic::resume_unwind(payload)
            }
        }
    }
}

/// The thread's work: decodes packet after packet until the end, an error, or the receiving
/// end is dropped (the track was let go).
fn decode_into(mut decoder: Decoder, outbox: &SyncSender<Packet>, spares: &Receiver<Vec<f32>>) {
    loop {
        let mut frames = spares.try_recv().unwrap_or_default();
        let decoded =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decoder.decode_next(&mut frames)));
        let (packet, last) = match decoded {
            Ok(Ok(more)) => (Packet::Decoded(frames, more), !more),
            Ok(Err(error)) => (Packet::Failed(error), true),
            Err(payload) => (Packet::Panicked(payload), true),
        };
        if outbox.send(packet).is_err() || last {
            return;
        }
    }
}

#[cfg(test)]
#[path = "decode_ahead_tests.rs"]
mod tests;
