use std::io::Read;
use std::time::{Duration, Instant};

use super::*;
use crate::media_io::test_pipe::pipe;

#[test]
fn a_read_that_hangs_is_given_up_after_the_timeout() {
    let (reader, writer) = pipe();
    let started = Instant::now();
    let outcome = run_watched(Duration::from_millis(300), move |watch| {
        let mut file = WatchedFile::new(reader, watch.clone());
        let mut byte = [0u8; 1];
        file.read(&mut byte).map_err(|e| e.kind())
    });
    let took = started.elapsed();
    assert_eq!(
        outcome,
        Err(Hung {
            after: Duration::from_millis(300)
        })
    );
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(2),
        "{took:?}"
    );
    // The job's thread was left in its read: writing lets it go.
    drop(writer);
}

#[test]
fn a_job_that_keeps_reading_may_take_longer_than_the_timeout() {
    let (reader, mut writer) = pipe();
    let feeder = std::thread::spawn(move || {
        use std::io::Write;
        for _ in 0..10 {
            std::thread::sleep(Duration::from_millis(60));
            writer.write_all(b"x").unwrap();
        }
    });
    let started = Instant::now();
    let outcome = run_watched(Duration::from_millis(200), move |watch| {
        let mut file = WatchedFile::new(reader, watch.clone());
        let mut all = Vec::new();
        file.read_to_end(&mut all)
            .map(|_| all.len())
            .map_err(|e| e.kind())
    });
    assert_eq!(outcome, Ok(Ok(10)));
    assert!(started.elapsed() >= Duration::from_millis(500));
    feeder.join().unwrap();
}

#[test]
fn between_reads_nothing_counts_as_hung() {
    let watch = ReadWatch::new();
    assert_eq!(watch.hung_for(), Duration::ZERO);
    let inside = watch.reading(|| {
        std::thread::sleep(Duration::from_millis(30));
        watch.hung_for()
    });
    assert!(inside >= Duration::from_millis(25), "{inside:?}");
    assert_eq!(watch.hung_for(), Duration::ZERO);
}

#[test]
#[should_panic(expected = "the job's own panic")]
fn a_panic_in_the_job_is_passed_on() {
    let _ = run_watched(Duration::from_secs(5), |_| -> () {
        panic!("the job's own panic")
    });
}
