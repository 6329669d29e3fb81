//! Looking at media (a file's status, a directory's listing) one look after another, each
//! watched as a read is: on a network share stat(2) and readdir(2) hang just as read(2) does.
//! The looks run on a [`ReadWorker`]; one that hangs for the timeout is given up with that
//! worker's thread, and the next look starts a fresh one. For a caller that looks at many files
//! in turn (the background measurer's look over the library) and must go on past one that does
//! not answer, without a thread of its own for every look.

use std::time::Duration;

use super::read_watch::Hung;
use super::read_worker::ReadWorker;

pub struct Looker {
    /// `None` before the first look; one that has hung is replaced at the next look.
    worker: Option<ReadWorker<()>>,
    timeout: Duration,
}

impl Looker {
    /// Gives a look up once it has hung for `timeout`.
    pub fn new(timeout: Duration) -> Looker {
        Looker {
            worker: None,
            timeout,
        }
    }

    /// Runs `look` (a stat, a listing) as one read, on the worker's thread, and waits for it
    /// until it is done or has hung for the timeout.
    pub fn look<T: Send + 'static>(&mut self, look: impl FnOnce() -> T + Send + 'static) -> Result<T, Hung> {
        if self.worker.as_ref().is_none_or(ReadWorker::has_hung) {
            match ReadWorker::start(self.timeout) {
                Ok(worker) => self.worker = Some(worker),
                Err(e) => {
                    // Out of threads: looking here, unwatched, still beats seeing nothing.
                    tracing::error!("cannot start a thread to look at media: {e}; looking unwatched");
                    self.worker = None;
                    return Ok(look());
                }
            }
        }
        let worker = self.worker.as_mut().expect("started above");
        worker.run(move |(), watch| watch.reading(look))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    #[test]
    fn a_look_that_hangs_is_given_up_and_the_next_one_is_answered() {
        let mut looker = Looker::new(Duration::from_millis(100));
        assert_eq!(looker.look(|| 1), Ok(1));
        // A look that never comes back, as a stat on a dead share.
        let (_held, never) = channel::<()>();
        let hung = looker.look(move || never.recv().is_ok());
        assert_eq!(
            hung,
            Err(Hung {
                after: Duration::from_millis(100)
            })
        );
        assert_eq!(looker.look(|| 2), Ok(2), "a fresh thread takes the next look");
    }
}
