//! One track's reads on a thread of their own, for a caller that works through a file a piece
//! at a time (a render, a dry run) rather than in one job: the thread keeps the caller's state
//! for the file (its open stream) and runs each job it is sent on it, and the caller waits for
//! each job until it is done or one of its reads has hung for the timeout. Then the thread and
//! the state are given up together, left in the read, never joined.

use std::sync::Arc;
use std::sync::mpsc::{RecvTimeoutError, Sender, channel, sync_channel};
use std::time::Duration;

use super::read_watch::{Hung, ReadWatch};

type Job<S> = Box<dyn FnOnce(&mut S, &Arc<ReadWatch>) + Send>;

/// A thread holding `S` (the state of one file, such as its stream), its reads watched.
pub struct ReadWorker<S> {
    /// `None` once a job hung: the thread is stuck in it.
    jobs: Option<Sender<Job<S>>>,
    watch: Arc<ReadWatch>,
    timeout: Duration,
}

impl<S: Default + 'static> ReadWorker<S> {
    /// Starts the thread, its state `S::default()`, giving up a job whose read hangs for
    /// `timeout`.
    pub fn start(timeout: Duration) -> std::io::Result<ReadWorker<S>> {
        let (jobs, inbox) = channel::<Job<S>>();
        let watch = ReadWatch::new();
        let theirs = watch.clone();
        std::thread::Builder::new()
            .name("media-read".into())
            .spawn(move || {
                let mut state = S::default();
                // Ends when the worker is dropped.
                while let Ok(job) = inbox.recv() {
                    job(&mut state, &theirs);
                }
            })?;
        Ok(ReadWorker {
            jobs: Some(jobs),
            watch,
            timeout,
        })
    }

    /// Runs `job` on the thread, with the state and the watch its reads must go through, and
    /// waits for it. Once a job has hung, every later one is refused at once. A panic in the
    /// job is passed on.
    pub fn run<T: Send + 'static>(
        &mut self,
        job: impl FnOnce(&mut S, &Arc<ReadWatch>) -> T + Send + 'static,
    ) -> Result<T, Hung> {
        let hung = Hung { after: self.timeout };
        let Some(jobs) = &self.jobs else {
            return Err(hung);
        };
        let (done, result) = sync_channel(1);
        let job: Job<S> = Box::new(move |state, watch| {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(state, watch)));
            // The caller may have given up waiting.
            let _ = done.send(outcome);
        });
        if jobs.send(job).is_err() {
            // The thread has gone: only a panic ends it, and that was passed on already.
            self.jobs = None;
            return Err(hung);
        }
        let poll = (self.timeout / 10).clamp(Duration::from_millis(10), Duration::from_millis(250));
        loop {
            match result.recv_timeout(poll) {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(panic)) => {
                    self.jobs = None;
                    std::panic::resume_unwind(panic)
                }
                Err(RecvTimeoutError::Timeout) if self.watch.hung_for() >= self.timeout => {
                    self.jobs = None;
                    return Err(hung);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    unreachable!("a job sends its outcome before it is dropped")
                }
            }
        }
    }

    /// Whether a job has hung: the thread and its state are gone.
    pub fn has_hung(&self) -> bool {
        self.jobs.is_none()
    }
}

#[cfg(test)]
#[path = "read_worker_tests.rs"]
mod tests;
