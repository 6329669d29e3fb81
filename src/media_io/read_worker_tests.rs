use std::fs::File;
use std::io::{Read, Write};
use std::time::Instant;

use super::*;
use crate::media_io::read_watch::WatchedFile;
use crate::media_io::test_pipe::pipe;

/// Reads one byte of the state's file through the watch.
fn read_byte(state: &mut Option<File>, watch: &Arc<ReadWatch>) -> Option<u8> {
    let file = state.take()?;
    let mut watched = WatchedFile::new(file.try_clone().unwrap(), watch.clone());
    let mut byte = [0u8; 1];
    let got = watched.read(&mut byte).ok().filter(|n| *n == 1).map(|_| byte[0]);
    *state = Some(file);
    got
}

#[test]
fn the_state_stays_on_the_thread_between_jobs_until_a_read_hangs_then_every_job_is_refused() {
    let (reader, mut writer) = pipe();
    let mut worker = ReadWorker::<Option<File>>::start(Duration::from_millis(300)).unwrap();
    assert_eq!(worker.run(move |state, _| *state = Some(reader)), Ok(()));
    writer.write_all(b"ab").unwrap();
    assert_eq!(worker.run(read_byte), Ok(Some(b'a')));
    assert_eq!(worker.run(read_byte), Ok(Some(b'b')));
    assert!(!worker.has_hung());

    // Nothing more is written: the next read blocks, as on a share gone away.
    let started = Instant::now();
    let hung = Hung {
        after: Duration::from_millis(300),
    };
    assert_eq!(worker.run(read_byte), Err(hung));
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(2),
        "{took:?}"
    );
    assert!(worker.has_hung());
    let refused = Instant::now();
    assert_eq!(worker.run(|_, _| 1), Err(hung));
    assert!(refused.elapsed() < Duration::from_millis(50));
    // Lets the thread left in the read go.
    drop(writer);
}

#[test]
fn a_job_that_keeps_reading_may_take_longer_than_the_timeout() {
    let (reader, mut writer) = pipe();
    let feeder = std::thread::spawn(move || {
        for _ in 0..8 {
            std::thread::sleep(Duration::from_millis(50));
            writer.write_all(b"x").unwrap();
        }
    });
    let mut worker = ReadWorker::<()>::start(Duration::from_millis(200)).unwrap();
    let started = Instant::now();
    let read = worker.run(move |_, watch| {
        let mut all = Vec::new();
        WatchedFile::new(reader, watch.clone())
            .read_to_end(&mut all)
            .map(|_| all.len())
            .map_err(|e| e.kind())
    });
    assert_eq!(read, Ok(Ok(8)));
    assert!(started.elapsed() >= Duration::from_millis(350));
    feeder.join().unwrap();
}

#[test]
#[should_panic(expected = "the job's own panic")]
fn a_panic_in_a_job_is_passed_on() {
    let mut worker = ReadWorker::<()>::start(Duration::from_secs(5)).unwrap();
    let _ = worker.run(|_, _| -> () { panic!("the job's own panic") });
}

#[test]
fn a_submitted_job_runs_while_the_caller_works_and_a_hung_one_is_given_up_at_its_wait() {
    let (reader, mut writer) = pipe();
    let mut worker = ReadWorker::<Option<File>>::start(Duration::from_millis(300)).unwrap();
    assert_eq!(worker.run(move |state, _| *state = Some(reader)), Ok(()));
    // The job waits for a byte the caller writes only after submitting it: submit returned
    // before the job finished.
    let ticket = worker.submit(read_byte);
    writer.write_all(b"x").unwrap();
    assert_eq!(ticket.wait(&mut worker), Ok(Some(b'x')));

    let ticket = worker.submit(read_byte);
    let hung = Hung {
        after: Duration::from_millis(300),
    };
    assert_eq!(ticket.wait(&mut worker), Err(hung));
    assert!(worker.has_hung());
    assert_eq!(
        worker.submit(|_, _| 1).wait(&mut worker),
        Err(hung),
        "refused once hung"
    );
}
