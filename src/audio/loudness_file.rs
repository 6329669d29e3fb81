//! One loudness cache file, read and written through the read watch: the media root's cache
//! lives on the curators' share, and when that share stalls a read or write of it never
//! returns. Each load or save runs on a thread of its own and is given up once it has hung for
//! the read timeout; that thread is left in it. While one given up is still stuck, later loads
//! and saves of the file are given up at once rather than leave one more thread behind each;
//! once it comes back (the share answers again), the file is read and written as before.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::time::Duration;

use super::loudness_cache::{CacheError, LoudnessCache};
use super::read_watch::{Hung, run_watched};

pub struct CacheFile {
    path: PathBuf,
    timeout: Duration,
    /// How many loads and saves given up are still stuck in the file.
    stuck: Arc<AtomicUsize>,
}

/// A job's state, between it and whoever waits for it: whichever of them moves it on from
/// running first says whether the job is counted as stuck.
const RUNNING: u8 = 0;
const FINISHED: u8 = 1;
const ABANDONED: u8 = 2;

impl CacheFile {
    /// The cache file at `path`, each load or save given up once it has hung for `timeout`.
    pub fn new(path: PathBuf, timeout: Duration) -> CacheFile {
        CacheFile {
            path,
            timeout,
            stuck: Arc::new(AtomicUsize::new(0)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// As [`LoudnessCache::load_from`]; a read that hangs is [`CacheError::ReadHung`].
    pub fn load(&self) -> Result<LoudnessCache, CacheError> {
        self.watched(LoudnessCache::load_from)
            .map_err(|source| CacheError::ReadHung {
                path: self.path.clone(),
                source,
            })?
    }

    /// As [`LoudnessCache::save_to`]; a write that hangs is [`CacheError::WriteHung`].
    pub fn save(&self, cache: &LoudnessCache) -> Result<(), CacheError> {
        // Made here: only the text goes to the thread that may be left behind.
        let text = cache.to_json();
        self.watched(move |path| LoudnessCache::write_json(path, &text))
            .map_err(|source| CacheError::WriteHung {
                path: self.path.clone(),
                source,
            })?
    }

    /// Runs `job` on the file as one watched read, unless one given up earlier is still stuck.
    fn watched<T: Send + 'static>(&self, job: impl FnOnce(&Path) -> T + Send + 'static) -> Result<T, Hung> {
        let hung = Hung { after: self.timeout };
        if self.stuck.load(Ordering::Acquire) > 0 {
            return Err(hung);
        }
        let state = Arc::new(AtomicU8::new(RUNNING));
        let (theirs, stuck, path) = (state.clone(), self.stuck.clone(), self.path.clone());
        let done = run_watched(self.timeout, move |watch| {
            let result = watch.reading(|| job(&path));
            if theirs.swap(FINISHED, Ordering::AcqRel) == ABANDONED {
                // Given up, and back after all: the file answers again.
                stuck.fetch_sub(1, Ordering::AcqRel);
            }
            result
        });
        if done.is_err()
            && state
                .compare_exchange(RUNNING, ABANDONED, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            self.stuck.fetch_add(1, Ordering::AcqRel);
        }
        done.map_err(|_| hung)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{Sender, channel};

    /// Says when it is dropped: a job's result is dropped once the job is wholly done, its
    /// thread about to end.
    struct SaysWhenDone(Sender<()>);

    impl Drop for SaysWhenDone {
        fn drop(&mut self) {
            let _ = self.0.send(());
        }
    }

    #[test]
    fn while_a_job_given_up_is_stuck_the_next_is_given_up_at_once_and_once_it_returns_the_file_is_used_again()
    {
        let dir = tempfile::tempdir().unwrap();
        let timeout = Duration::from_millis(100);
        let file = CacheFile::new(dir.path().join("cache.json"), timeout);
        // A read that does not come back until the test lets it, as on a share that stalled.
        let (release, held) = channel::<()>();
        let (returned, back) = channel::<()>();
        let hung = file.watched(move |_| {
            let _ = held.recv();
            SaysWhenDone(returned)
        });
        assert!(matches!(hung, Err(Hung { after }) if after == timeout));

        let started = std::time::Instant::now();
        let refused = file.load();
        assert!(matches!(refused, Err(CacheError::ReadHung { .. })), "{refused:?}");
        assert!(
            started.elapsed() < timeout,
            "not waited for: {:?}",
            started.elapsed()
        );
        let refused = file.save(&LoudnessCache::default());
        assert!(
            matches!(refused, Err(CacheError::WriteHung { .. })),
            "{refused:?}"
        );

        release.send(()).unwrap();
        back.recv_timeout(Duration::from_secs(5)).unwrap();
        file.save(&LoudnessCache::default())
            .expect("written again once the stuck job is back");
        assert!(file.load().unwrap().files.is_empty());
    }
}
