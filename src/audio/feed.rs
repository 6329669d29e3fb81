//! The bounded pipe of one track's stereo frames from the loader to the mixer: a fixed pool of
//! chunks that go round between the two over two bounded channels. Once a chunk exists neither
//! side allocates, frees or waits for the other, and a track never holds more than its pool,
//! however long it is.
//!
//! The writer also says where the track ends, as soon as it knows: from the file's header when
//! that is exact, else on reaching the end of the file, which it does a whole read-ahead before
//! the mixer gets there. A track that stops early is marked cut, with its real end. The end
//! comes with the length of the track's tail: the resampler's ring-out after its last sample,
//! heard only under the next track of a gapless run.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};

/// Frames per chunk: about 85 ms at 48 kHz, so a chunk goes round many times a second while the
/// channels carry only a few hundred of them for the longest read-ahead.
pub const CHUNK_FRAMES: usize = 4096;

const UNKNOWN: u64 = u64::MAX;

struct Shared {
    /// Frames published so far.
    written: AtomicU64,
    /// Frames in chunks the reader has handed back.
    consumed: AtomicU64,
    end: AtomicU64,
    /// Frames at the end that follow the track's last sample.
    tail: AtomicU64,
    cut: AtomicBool,
    /// The reader is gone: the writer can stop.
    closed: AtomicBool,
    /// The reader has taken its first chunk: the track plays, and gets its whole read-ahead.
    started: AtomicBool,
    /// The most frames ever buffered at once, for the tests of the bound.
    high_water: AtomicU64,
}

struct Chunk {
    samples: Box<[f32]>,
    frames: usize,
}

/// Makes a pipe that buffers at most `read_ahead` frames (rounded up to whole chunks) beyond
/// the chunk the reader is in.
pub fn feed(read_ahead: u64) -> (FeedWriter, FeedReader) {
    primed_feed(read_ahead, read_ahead)
}

/// Like [`feed`], but until the reader starts, at most `prime` frames are buffered: a track
/// queued behind another waits minutes before it plays, and needs only enough to start on.
pub fn primed_feed(read_ahead: u64, prime: u64) -> (FeedWriter, FeedReader) {
    let chunks = |frames: u64| usize::try_from(frames.div_ceil(CHUNK_FRAMES as u64)).unwrap_or(usize::MAX);
    let pool = chunks(read_ahead).saturating_add(1);
    let prime_pool = chunks(prime.min(read_ahead)).saturating_add(1);
    let (full_tx, full_rx) = sync_channel(pool);
    let (empty_tx, empty_rx) = sync_channel(pool);
    let shared = Arc::new(Shared {
        written: AtomicU64::new(0),
        consumed: AtomicU64::new(0),
        end: AtomicU64::new(UNKNOWN),
        tail: AtomicU64::new(0),
        cut: AtomicBool::new(false),
        closed: AtomicBool::new(false),
        started: AtomicBool::new(false),
        high_water: AtomicU64::new(0),
    });
    let writer = FeedWriter {
        full: full_tx,
        empty: empty_rx,
        shared: shared.clone(),
        pool,
        prime_pool,
        allocated: 0,
        spare: None,
    };
    let reader = FeedReader {
        full: full_rx,
        empty: empty_tx,
        shared,
        current: None,
        at: 0,
        read: 0,
    };
    (writer, reader)
}

/// A finished feed holding `stereo` (interleaved), for tests and short sounds made in memory.
pub fn from_samples(stereo: &[f32]) -> FeedReader {
    let frames = (stereo.len() / 2) as u64;
    let (mut writer, reader) = feed(frames);
    let mut at = 0;
    while at < stereo.len() {
        at += writer.write(&stereo[at..]) * 2;
    }
    writer.finish(frames, false);
    reader
}

pub struct FeedWriter {
    full: SyncSender<Chunk>,
    empty: Receiver<Chunk>,
    shared: Arc<Shared>,
    pool: usize,
    /// The pool while the reader has not started.
    prime_pool: usize,
    allocated: usize,
    spare: Option<Chunk>,
}

impl FeedWriter {
    /// Whether a chunk is free to fill: the read-ahead is not yet full.
    pub fn has_room(&mut self) -> bool {
        if self.spare.is_none() {
            self.spare = match self.empty.try_recv() {
                Ok(chunk) => Some(chunk),
                Err(_) if self.allocated < self.pool_now() => {
                    self.allocated += 1;
                    Some(Chunk {
                        samples: vec![0.0; CHUNK_FRAMES * 2].into_boxed_slice(),
                        frames: 0,
                    })
                }
                Err(_) => None,
            };
        }
        self.spare.is_some()
    }

    /// Chunks in a reader that has not started never come back, so counting the chunks made
    /// is enough to hold it to its prime.
    fn pool_now(&self) -> usize {
        if self.shared.started.load(Ordering::Acquire) {
            self.pool
        } else {
            self.prime_pool
        }
    }

    /// Publishes up to a chunk of `stereo`'s frames; returns how many, 0 when the read-ahead is
    /// full or the reader has gone.
    pub fn write(&mut self, stereo: &[f32]) -> usize {
        if !self.has_room() {
            return 0;
        }
        let mut chunk = self.spare.take().expect("has_room");
        let frames = (stereo.len() / 2).min(CHUNK_FRAMES);
        chunk.samples[..frames * 2].copy_from_slice(&stereo[..frames * 2]);
        chunk.frames = frames;
        if self.full.try_send(chunk).is_err() {
            // Only a reader that has gone refuses: the channel holds the whole pool.
            self.shared.closed.store(true, Ordering::Release);
            return 0;
        }
        let written = self.shared.written.fetch_add(frames as u64, Ordering::AcqRel) + frames as u64;
        let buffered = written - self.shared.consumed.load(Ordering::Acquire);
        self.shared.high_water.fetch_max(buffered, Ordering::Relaxed);
        frames
    }

    /// Where the track ends, in frames, as soon as it is known; `cut` if it stops short of what
    /// its header promised or of its data.
    pub fn finish(&mut self, end: u64, cut: bool) {
        self.finish_with_tail(end, 0, cut);
    }

    /// [`FeedWriter::finish`] for a track whose last `tail` frames follow its last sample.
    pub fn finish_with_tail(&mut self, end: u64, tail: u64, cut: bool) {
        // A track cut from outside (its reads hung) keeps the end it was cut at, should its
        // read come back after all.
        if self.shared.cut.load(Ordering::Acquire) {
            return;
        }
        // Before the end: a reader that sees the end sees the tail it comes with.
        self.shared.tail.store(tail.min(end), Ordering::Release);
        self.shared.end.store(end, Ordering::Release);
        // After the end: a reader that sees the cut sees the end it comes with.
        if cut {
            self.shared.cut.store(true, Ordering::Release);
        }
    }

    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    /// A handle that can end this track where it stands from another thread, while this writer
    /// is stuck in a read that may never return.
    pub fn cutter(&self) -> FeedCutter {
        FeedCutter {
            shared: self.shared.clone(),
        }
    }

    /// Frames published and not yet handed back by the reader.
    pub fn buffered(&self) -> u64 {
        self.shared.written.load(Ordering::Acquire) - self.shared.consumed.load(Ordering::Acquire)
    }

    /// The most frames this feed has buffered at once.
    pub fn high_water(&self) -> u64 {
        self.shared.high_water.load(Ordering::Relaxed)
    }

    /// The most this feed can ever buffer, in frames: its whole pool.
    pub fn bound(&self) -> u64 {
        (self.pool * CHUNK_FRAMES) as u64
    }

    /// Once the whole track is written: frees each chunk the reader hands back, here, until the
    /// reader is gone, so a finished track's memory is let go on the writer's thread rather than
    /// on the audio path. Blocks until the reader has been dropped.
    pub fn release_until_read(mut self) {
        self.spare = None;
        // Ends when the reader, the only sender of used chunks, is dropped.
        for chunk in self.empty.iter() {
            drop(chunk);
        }
    }
}

/// Ends a track at the frames published so far, as if its file stopped there: the mixer plays
/// up to that point and crossfades away from it, and the writer, should it ever come back,
/// stops.
pub struct FeedCutter {
    shared: Arc<Shared>,
}

impl FeedCutter {
    /// Cuts the track after its last published frame; returns where, in frames.
    pub fn cut_here(&self) -> u64 {
        let written = self.shared.written.load(Ordering::Acquire);
        self.shared.end.store(written, Ordering::Release);
        self.shared.cut.store(true, Ordering::Release);
        self.shared.closed.store(true, Ordering::Release);
        written
    }
}

pub struct FeedReader {
    full: Receiver<Chunk>,
    empty: SyncSender<Chunk>,
    shared: Arc<Shared>,
    current: Option<Chunk>,
    at: usize,
    read: u64,
}

impl FeedReader {
    /// The next frame, if the loader has made it.
    #[inline]
    pub fn next_frame(&mut self) -> Option<[f32; 2]> {
        loop {
            if let Some(chunk) = &self.current
                && self.at < chunk.frames
            {
                let i = self.at * 2;
                self.at += 1;
                self.read += 1;
                return Some([chunk.samples[i], chunk.samples[i + 1]]);
            }
            self.next_chunk()?;
        }
    }

    /// Copies the next frames into `out` (interleaved stereo) as far as the loader has made
    /// them, a chunk's slice at a time; returns the frames copied. The same frames, in the same
    /// order, as calling [`FeedReader::next_frame`] until `out` is full or it gives `None`.
    pub fn read_into(&mut self, out: &mut [f32]) -> usize {
        let wanted = out.len() / 2;
        let mut copied = 0;
        while copied < wanted {
            if let Some(chunk) = &self.current
                && self.at < chunk.frames
            {
                let frames = (chunk.frames - self.at).min(wanted - copied);
                out[copied * 2..(copied + frames) * 2]
                    .copy_from_slice(&chunk.samples[self.at * 2..(self.at + frames) * 2]);
                self.at += frames;
                self.read += frames as u64;
                copied += frames;
                continue;
            }
            if self.next_chunk().is_none() {
                break;
            }
        }
        copied
    }

    /// Hands the used chunk back and takes the next; `None` if none is ready.
    fn next_chunk(&mut self) -> Option<()> {
        let next = match self.full.try_recv() {
            Ok(chunk) => chunk,
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => return None,
        };
        if self.current.is_none() {
            self.shared.started.store(true, Ordering::Release);
        }
        if let Some(used) = self.current.replace(next) {
            self.shared
                .consumed
                .fetch_add(used.frames as u64, Ordering::AcqRel);
            // The channel holds the whole pool, so this only fails once the writer has gone,
            // and then the chunk is dropped here, once.
            let _ = self.empty.try_send(used);
        }
        self.at = 0;
        Some(())
    }

    /// The frame the track ends on, when known.
    pub fn end(&self) -> Option<u64> {
        let end = self.shared.end.load(Ordering::Acquire);
        (end != UNKNOWN).then_some(end)
    }

    /// Frames at the end that follow the track's last sample: the resampler's ring-out. Read
    /// after [`FeedReader::end`], it belongs to that end.
    pub fn tail(&self) -> u64 {
        self.shared.tail.load(Ordering::Acquire)
    }

    /// Whether the track stopped short of its data (a truncated or damaged file).
    pub fn is_cut(&self) -> bool {
        self.shared.cut.load(Ordering::Acquire)
    }

    /// Frames the loader has made that are not read yet.
    pub fn available(&self) -> u64 {
        self.shared.written.load(Ordering::Acquire) - self.read
    }

    /// Whether the next `frames` can be read now: they are made, or the track ends sooner.
    pub fn can_supply(&self, frames: u64) -> bool {
        let available = self.available();
        available >= frames || self.end().is_some_and(|end| self.read + available >= end)
    }

    /// The most frames this feed ever buffered at once.
    pub fn high_water(&self) -> u64 {
        self.shared.high_water.load(Ordering::Relaxed)
    }
}

impl Drop for FeedReader {
    /// Hands every chunk back, so that they are freed on the loader's thread rather than on the
    /// audio path.
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
        if let Some(chunk) = self.current.take() {
            let _ = self.empty.try_send(chunk);
        }
        while let Ok(chunk) = self.full.try_recv() {
            let _ = self.empty.try_send(chunk);
        }
    }
}

impl fmt::Debug for FeedReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FeedReader")
            .field("read", &self.read)
            .field("available", &self.available())
            .field("end", &self.end())
            .field("cut", &self.is_cut())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_come_out_in_order_and_the_pool_bounds_the_buffer() {
        let (mut writer, mut reader) = feed(3 * CHUNK_FRAMES as u64);
        let frames: Vec<f32> = (0..10 * CHUNK_FRAMES)
            .flat_map(|i| [i as f32, -(i as f32)])
            .collect();
        let mut sent = 0;
        while writer.write(&frames[sent * 2..]) > 0 {
            sent = writer.buffered() as usize;
        }
        assert_eq!(
            sent,
            4 * CHUNK_FRAMES,
            "the pool: the read-ahead plus the chunk being read"
        );
        assert_eq!(writer.bound(), sent as u64);
        for i in 0..CHUNK_FRAMES + 1 {
            assert_eq!(reader.next_frame(), Some([i as f32, -(i as f32)]));
        }
        // The first chunk is back: one more fits, and no more.
        assert_eq!(writer.write(&frames[sent * 2..]), CHUNK_FRAMES);
        assert_eq!(writer.write(&frames[(sent + CHUNK_FRAMES) * 2..]), 0);
        assert!(reader.high_water() <= writer.bound());
        writer.finish(10 * CHUNK_FRAMES as u64, false);
        assert_eq!(reader.end(), Some(10 * CHUNK_FRAMES as u64));
        assert!(!reader.is_cut());
    }

    #[test]
    fn a_primed_feed_holds_its_prime_until_read_then_its_whole_read_ahead() {
        let (mut writer, mut reader) = primed_feed(8 * CHUNK_FRAMES as u64, 2 * CHUNK_FRAMES as u64);
        let frames = vec![0.25f32; 20 * CHUNK_FRAMES * 2];
        let mut sent = 0;
        while writer.write(&frames[sent * 2..]) > 0 {
            sent = writer.buffered() as usize;
        }
        assert_eq!(sent, 3 * CHUNK_FRAMES, "the prime plus the chunk to be read");
        assert_eq!(reader.next_frame(), Some([0.25, 0.25]));
        while writer.write(&frames[sent * 2..]) > 0 {
            sent = writer.buffered() as usize;
        }
        assert_eq!(sent as u64, writer.bound(), "once read, the whole pool");
    }

    #[test]
    fn a_written_feed_frees_what_is_read_and_returns_once_the_reader_is_gone() {
        let (mut writer, mut reader) = feed(4 * CHUNK_FRAMES as u64);
        let frames = vec![0.5f32; 3 * CHUNK_FRAMES * 2];
        let mut sent = 0;
        while sent < 3 * CHUNK_FRAMES {
            sent += writer.write(&frames[sent * 2..]);
        }
        writer.finish(sent as u64, false);
        let releasing = std::thread::spawn(move || writer.release_until_read());
        for _ in 0..sent {
            assert_eq!(reader.next_frame(), Some([0.5, 0.5]));
        }
        assert_eq!(reader.next_frame(), None);
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!releasing.is_finished(), "the reader still holds its last chunk");
        drop(reader);
        releasing.join().unwrap();
    }

    #[test]
    fn an_empty_feed_gives_nothing_until_written() {
        let (mut writer, mut reader) = feed(CHUNK_FRAMES as u64);
        assert_eq!(reader.next_frame(), None);
        assert_eq!(reader.end(), None);
        writer.write(&[0.5, 0.25]);
        assert_eq!(reader.available(), 1);
        assert_eq!(reader.next_frame(), Some([0.5, 0.25]));
        drop(reader);
        assert!(writer.is_closed());
    }
}
