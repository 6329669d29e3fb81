//! Reads of media that may never return (a hung network share, a disk gone away, a FUSE mount
//! whose server stalls): a reader that notes when each read began, and a way to run a job on a
//! thread of its own and give it up once one of its reads has hung past a deadline. A job that
//! keeps reading may take as long as it needs; only a read that does not come back is given
//! up. The thread stuck in that read is left behind, never joined.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{RecvTimeoutError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use symphonia::core::io::MediaSource;

/// How long one read may take before a file counts as hung, unless the config says otherwise.
/// A healthy disk answers in milliseconds; a sleeping one spins up in a few seconds.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// When the read under way (or the open, or the look at the file's kind) began.
#[derive(Debug)]
pub struct ReadWatch {
    epoch: Instant,
    /// Milliseconds from `epoch` to the start of the read under way, plus one; 0 between reads.
    busy_since: AtomicU64,
}

/// A read given up: it had not returned after `after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "a read hung for {} s and was given up (a stalled network share or disk?)",
    after.as_secs_f64()
)]
pub struct Hung {
    pub after: Duration,
}

impl ReadWatch {
    pub fn new() -> Arc<ReadWatch> {
        Arc::new(ReadWatch {
            epoch: Instant::now(),
            busy_since: AtomicU64::new(0),
        })
    }

    /// Runs `io` as one read: [`hung_for`](Self::hung_for) counts from its start until it returns.
    pub fn reading<T>(&self, io: impl FnOnce() -> T) -> T {
        let since = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX - 1) + 1;
        self.busy_since.store(since, Ordering::Release);
        let result = io();
        self.busy_since.store(0, Ordering::Release);
        result
    }

    /// How long the read under way has been waiting; zero between reads.
    pub fn hung_for(&self) -> Duration {
        match self.busy_since.load(Ordering::Acquire) {
            0 => Duration::ZERO,
            since => self
                .epoch
                .elapsed()
                .saturating_sub(Duration::from_millis(since - 1)),
        }
    }
}

/// A media file whose every read and seek is watched.
pub struct WatchedFile {
    file: File,
    watch: Arc<ReadWatch>,
}

impl WatchedFile {
    pub fn new(file: File, watch: Arc<ReadWatch>) -> WatchedFile {
        WatchedFile { file, watch }
    }
}

impl Read for WatchedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let file = &mut self.file;
        self.watch.reading(|| file.read(buf))
    }
}

impl Seek for WatchedFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let file = &mut self.file;
        self.watch.reading(|| file.seek(pos))
    }
}

impl MediaSource for WatchedFile {
    fn is_seekable(&self) -> bool {
        self.file.is_seekable()
    }

    fn byte_len(&self) -> Option<u64> {
        let file = &self.file;
        self.watch.reading(|| file.byte_len())
    }
}

/// Why [`run_watched_for`] gave a job up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GivenUp {
    Hung(Hung),
    /// Its reads kept coming back, but the whole job took longer than it may.
    Slow {
        after: Duration,
    },
}

/// Runs `job` on a thread of its own with a fresh watch for its reads, and waits for it until
/// it is done or one of its reads has hung for `timeout`; then the job is given up and its
/// thread left to whatever the read does. A panic in the job is passed on.
pub fn run_watched<T: Send + 'static>(
    timeout: Duration,
    job: impl FnOnce(&Arc<ReadWatch>) -> T + Send + 'static,
) -> Result<T, Hung> {
    run_watched_for(timeout, None, job).map_err(|given_up| match given_up {
        GivenUp::Hung(hung) => hung,
        GivenUp::Slow { .. } => unreachable!("no limit on the whole job"),
    })
}

/// [`run_watched`], also given up once the whole job has taken `total`, if given.
pub fn run_watched_for<T: Send + 'static>(
    timeout: Duration,
    total: Option<Duration>,
    job: impl FnOnce(&Arc<ReadWatch>) -> T + Send + 'static,
) -> Result<T, GivenUp> {
    let started = Instant::now();
    let watch = ReadWatch::new();
    let theirs = watch.clone();
    // Shared so that, should no thread start, the job can still be run here.
    let job = Arc::new(Mutex::new(Some(job)));
    let ours = job.clone();
    let (done, result) = sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name("media-read".into())
        .spawn(move || {
            // The caller may have given up: then nobody wants the result.
            let job = ours.lock().ok().and_then(|mut j| j.take());
            if let Some(job) = job {
                let _ = done.send(job(&theirs));
            }
        });
    let thread = match spawned {
        Ok(thread) => thread,
        Err(e) => {
            // Out of threads: reading here, unwatched, still beats refusing every file.
            tracing::error!("cannot start a thread to read media: {e}; reading unwatched");
            let job = job.lock().ok().and_then(|mut j| j.take());
            return Ok(job.expect("no thread took the job")(&watch));
        }
    };
    let poll = (timeout / 10).clamp(Duration::from_millis(10), Duration::from_millis(250));
    loop {
        // A limit on the whole job is kept to the moment, however short.
        let wait = total.map_or(poll, |t| poll.min(t.saturating_sub(started.elapsed())));
        match result.recv_timeout(wait) {
            Ok(value) => return Ok(value),
            Err(RecvTimeoutError::Timeout) => {
                if watch.hung_for() >= timeout {
                    return Err(GivenUp::Hung(Hung { after: timeout }));
                }
                if let Some(total) = total.filter(|t| started.elapsed() >= *t) {
                    return Err(GivenUp::Slow { after: total });
                }
            }
            Err(RecvTimeoutError::Disconnected) => match thread.join() {
                Err(panic) => std::panic::resume_unwind(panic),
                Ok(()) => unreachable!("the job's thread sends its result before it ends"),
            },
        }
    }
}

#[cfg(test)]
#[path = "read_watch_tests.rs"]
mod tests;
