//! One track's reads on a thread of their own, for a caller that works through a file a piece
//! at a time (a render, a dry run) rather than in one job: the thread keeps the caller's state
//! for the file (its open stream) and runs each job it is sent on it, and the caller waits for
//! each job until it is done or one of its reads has hung for the timeout. Then the thread and
//! the state are given up together, left in the read, never joined.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel, sync_channel};
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
        let ticket = self.submit(job);
        ticket.wait(self)
    }

    /// Starts `job` on the thread and returns at once: the caller works on meanwhile (a
    /// render mixes the last block while the next is decoded) and collects the outcome with
    /// [`Ticket::wait`], which gives a hung job up as [`ReadWorker::run`] does.
    pub fn submit<T: Send + 'static>(
        &mut self,
        job: impl FnOnce(&mut S, &Arc<ReadWatch>) -> T + Send + 'static,
    ) -> Ticket<T> {
        let (done, result) = sync_channel(1);
        let Some(jobs) = &self.jobs else {
            return Ticket { result: None };
        };
        let job: Job<S> = Box::new(move |state, watch| {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(state, watch)));
            // The caller may have given up waiting.
            let _ = done.send(outcome);
        });
        if jobs.send(job).is_err() {
            // The thread has gone: only a panic ends it, and that was passed on already.
            self.jobs = None;
            return Ticket { result: None };
        }
        Ticket { result: Some(result) }
    }

    /// Whether a job has hung: the thread and its state are gone.
    pub fn has_hung(&self) -> bool {
        self.jobs.is_none()
    }
}

/// A job started with [`ReadWorker::submit`], its outcome still to collect.
#[must_use = "a job's outcome says whether its read hung"]
pub struct Ticket<T> {
    /// `None` when the job was refused (the thread had hung or gone).
    result: Option<Receiver<std::thread::Result<T>>>,
}

impl<T> Ticket<T> {
    /// Waits for the job on `worker`'s thread until it is done or one of its reads has hung
    /// for the worker's timeout. A panic in the job is passed on.
    pub fn wait<S>(self, worker: &mut ReadWorker<S>) -> Result<T, Hung> {
        let hung = Hung {
            after: worker.timeout,
        };
        let Some(result) = self.result else {
            return Err(hung);
        };
        let poll = (worker.timeout / 10).clamp(Duration::from_millis(10), Duration::from_millis(250));
        loop {
            match result.recv_timeout(poll) {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(panic)) => {
                    worker.jobs = None;
                    std::panic::resume_unwind(panic)
                }
                Err(RecvTimeoutError::Timeout) if worker.watch.hung_for() >= worker.timeout => {
                    worker.jobs = None;
                    return Err(hung);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    unreachable!("a job sends its outcome before it is dropped")
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "read_worker_tests.rs"]
mod tests;
