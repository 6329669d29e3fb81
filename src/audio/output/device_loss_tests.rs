//! Losing the sound card mid-session and getting it back, through the real ALSA path. ALSA's
//! `file` plugin stands in for the card and writes what it plays into a FIFO that the test
//! reads. Closing the FIFO's reader makes ALSA's writes fail mid-stream: the card is lost.
//! While it is away, the ALSA config names a card that does not exist, so every reopen fails
//! as it would with the card unplugged; ALSA rereads its config files when they change, so
//! swapping the file back (and reading the FIFO again) brings the card back. Nothing below the
//! ALSA library is faked.
//!
//! The checks run in a child process, as in `alsa_tests`, because the ALSA config comes from
//! the environment, which every test shares.

use std::fs::OpenOptions;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::thread::JoinHandle;

use tokio::sync::mpsc;

use super::alsa_tests::{CHILD, run_child_with};
use super::*;
use crate::timeline::DeviceEvent;

const RATE: u32 = 48_000;
const BLOCK: usize = 1024;
/// The FIFO the `file` plugin writes to, in the child's `HOME`.
const FIFO: &str = "card.fifo";
/// The config file that defines the card, in the child's `HOME`: ALSA watches the files on
/// `ALSA_CONFIG_PATH` for changes, not those they load.
const CARD_CONF: &str = "card.conf";
/// Far more blocks than any wait below can take; reaching it means the output never changed
/// state, and the test fails instead of hanging.
const GIVE_UP: usize = 20_000;

#[test]
fn a_lost_card_is_reported_retried_and_fades_back_in_where_the_session_is() {
    run_card_child("child_loses_the_card_and_gets_it_back");
}

#[test]
fn a_card_that_stops_taking_samples_is_lost_without_hanging_the_player() {
    run_card_child("child_has_a_card_that_hangs");
}

/// Runs `child` in a child process whose ALSA config is the system's plus `card.conf`, with
/// the card present.
fn run_card_child(child: &str) {
    let home = tempfile::tempdir().unwrap();
    let top =
        Path::new(&std::env::var_os("ALSA_CONFIG_DIR").unwrap_or("/usr/share/alsa".into())).join("alsa.conf");
    if !top.exists() {
        println!("skipped: no ALSA config at {}", top.display());
        return;
    }
    let conf = home.path().join(CARD_CONF);
    swap_card(&conf, true);
    let path = std::env::join_paths([top.as_path(), conf.as_path()]).unwrap();
    let stdout = run_child_with(
        &format!("audio::output::device_loss_tests::{child}"),
        "# the card is in card.conf\n",
        home.path(),
        &[("ALSA_CONFIG_PATH", path.as_os_str())],
    );
    if let Some(reason) = stdout.lines().find_map(|l| l.strip_prefix("SKIP: ")) {
        println!("skipped: ALSA's file plugin is unavailable here: {reason}");
        return;
    }
    assert!(stdout.contains("CHECKED"), "the child did not finish:\n{stdout}");
    for report in stdout.lines().filter(|l| l.starts_with("REPORTED: ")) {
        println!("{report}");
    }
}

/// The card in the child's `HOME`, open, with a reader on its FIFO; `None` (having said
/// `SKIP`) when ALSA has no default device here.
fn open_card(events: DeviceEvents) -> Option<(DeviceOutput, Reader, PathBuf)> {
    let home = PathBuf::from(std::env::var_os("HOME").unwrap());
    let fifo = home.join(FIFO);
    make_fifo(&fifo);
    let reader = Reader::start(&fifo);
    let options = OutputOptions {
        rate: RATE,
        // Real time, as in a session: while the card is down the output keeps the time.
        pace: Pace::RealTime,
        events,
    };
    match DeviceOutput::open(None, &options) {
        Ok(output) => Some((output, reader, home)),
        Err(e @ (device::DeviceError::NoDefault | device::DeviceError::NotFound { .. })) => {
            println!("SKIP: {}", error_chain(&e));
            None
        }
        Err(e) => panic!("the ALSA file device would not open: {}", error_chain(&e)),
    }
}

/// Runs only as the child of `a_card_that_stops_taking_samples_is_lost_without_hanging_the_player`.
#[test]
fn child_has_a_card_that_hangs() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let (tx, mut rx) = mpsc::channel(64);
    let Some((mut output, reader, _)) = open_card(DeviceEvents::new(tx)) else {
        return;
    };
    let mut music = Music::default();
    for _ in 0..20 {
        output.write(&music.next_block()).unwrap();
    }
    assert!(output.is_heard());
    // Nothing reads the FIFO any more, but it stays open: ALSA's writes block, as a hung
    // driver's do, and the device's thread never comes back. Closing that stream waits for it
    // for ever; the player must not: were the output to close it on the mixer thread, this
    // child would hang here (and the test runner report it), never printing CHECKED.
    reader.hold();
    write_until(
        &mut output,
        &mut music,
        |o| !o.is_heard(),
        "the stall was never noticed",
    );
    let lost = drain(&mut rx);
    assert_eq!(lost.len(), 1, "one report of the loss: {lost:?}");
    assert!(message(&lost[0]).contains("lost"), "{lost:?}");
    // The session goes on, to nowhere, in real time.
    for _ in 0..20 {
        output.write(&music.next_block()).unwrap();
    }
    assert!(!output.is_heard());
    println!("REPORTED: {}", message(&lost[0]));
    // Lets the hung stream's thread finish, so the process ends cleanly.
    reader.close();
    println!("CHECKED");
}

/// Runs only as the child of
/// `a_lost_card_is_reported_retried_and_fades_back_in_where_the_session_is`.
#[test]
fn child_loses_the_card_and_gets_it_back() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let (tx, mut rx) = mpsc::channel(64);
    let Some((mut output, first, home)) = open_card(DeviceEvents::new(tx)) else {
        return;
    };
    let fifo = home.join(FIFO);
    let conf = home.join(CARD_CONF);
    let mut music = Music::default();

    // Playing.
    for _ in 0..20 {
        output.write(&music.next_block()).unwrap();
    }
    assert!(output.is_heard());
    assert!(drain(&mut rx).is_empty(), "events while playing");

    // The card goes: its writes fail, and it cannot be opened again.
    swap_card(&conf, false);
    first.close();
    write_until(
        &mut output,
        &mut music,
        |o| !o.is_heard(),
        "the loss was never noticed",
    );
    let lost = drain(&mut rx);
    assert_eq!(lost.len(), 1, "one report of the loss: {lost:?}");
    assert!(message(&lost[0]).contains("lost"), "{lost:?}");
    let down = output.describe();
    assert!(
        down.contains("unavailable") && down.contains("retrying"),
        "{down}"
    );

    // A retry fails while the card is missing: `status` shows why, the log is not flooded.
    write_until(&mut output, &mut music, |o| o.describe() != down, "no retry came");
    assert!(!output.is_heard());
    assert!(drain(&mut rx).is_empty(), "a failed retry was reported again");

    // The card comes back; the next retry finds it.
    let second = Reader::start(&fifo);
    swap_card(&conf, true);
    let returned_at = write_until(
        &mut output,
        &mut music,
        |o| o.is_heard(),
        "the card never came back",
    );
    let back = drain(&mut rx);
    assert_eq!(back.len(), 1, "one report of the return: {back:?}");
    assert!(
        matches!(&back[0], DeviceEvent::Restored { message } if message.contains("back")),
        "the return is good news, not an error: {back:?}"
    );
    for event in lost.iter().chain(&back) {
        println!("REPORTED: {}", message(event));
    }
    assert!(output.describe().starts_with("device: "), "{}", output.describe());

    // Two seconds more, then silence to push the last of the music through the queue.
    for _ in 0..2 * RATE as usize / BLOCK {
        output.write(&music.next_block()).unwrap();
    }
    for _ in 0..20 {
        output.write(&[0.0; BLOCK * 2]).unwrap();
    }
    output.finish().unwrap();
    drop(output);
    let heard = second.finish();

    check_return(&music, returned_at, &heard);
    println!("CHECKED");
}

/// What the room heard after the return must be the music from the block the output was
/// given when the card came back, on: not the music from where it was lost (it went on while
/// the card was away), with no block missing, rising from silence.
fn check_return(music: &Music, returned_at: usize, heard: &[[f32; 2]]) {
    let expected = &music.written[returned_at * BLOCK..];
    let fade = RATE as usize; // at least: the fade must have ended within a second
    assert!(
        heard.len() >= fade + RATE as usize / 2,
        "only {} frames heard after the return",
        heard.len()
    );
    let first = heard[0];
    assert!(
        first[0].abs() < 0.01 && first[1].abs() < 0.01,
        "the music came back at {first:?}, not from silence"
    );
    let mut gain_before = 0.0f32;
    for (k, (got, want)) in heard.iter().zip(expected).enumerate() {
        // The right channel is never near zero, so its ratio is the gain applied.
        let gain = got[1] / want[1];
        assert!(
            (got[0] - gain * want[0]).abs() < 1e-4,
            "frame {k} after the return is {got:?}, but the music there is {want:?} (gain {gain})"
        );
        assert!(
            gain >= gain_before - 1e-4 && gain <= 1.0 + 1e-4,
            "the level jumps at frame {k}: {gain_before} then {gain}"
        );
        gain_before = gain;
    }
    assert!(
        (gain_before - 1.0).abs() < 1e-4,
        "the music never came back to full level ({gain_before})"
    );
    let steepest = |frames: &mut dyn Iterator<Item = f32>| {
        let frames: Vec<f32> = frames.collect();
        frames
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0f32, f32::max)
    };
    let heard_step = steepest(&mut heard.iter().map(|f| f[0]));
    let music_step = steepest(&mut expected[..heard.len()].iter().map(|f| f[0]));
    assert!(
        heard_step <= music_step + 1e-4,
        "a click at the return: a step of {heard_step}, the music's own steepest is {music_step}"
    );
}

/// The music the "mixer" renders: a tone on the left, and on the right a slow rise that is
/// never near zero and differs at every frame, so each frame says where in the session it is.
#[derive(Default)]
struct Music {
    written: Vec<[f32; 2]>,
}

impl Music {
    fn next_block(&mut self) -> Vec<f32> {
        let start = self.written.len();
        let step = std::f64::consts::TAU * 440.0 / f64::from(RATE);
        for n in start..start + BLOCK {
            let left = 0.5 * (step * n as f64).sin() as f32;
            let right = 0.25 + n as f32 / (RATE as f32 * 100.0);
            self.written.push([left, right]);
        }
        self.written[start..].iter().flatten().copied().collect()
    }
}

/// Writes music until `done` holds for the output; returns the index of the block that made
/// it hold.
fn write_until(
    output: &mut DeviceOutput,
    music: &mut Music,
    done: impl Fn(&DeviceOutput) -> bool,
    never: &str,
) -> usize {
    for _ in 0..GIVE_UP {
        let index = music.written.len() / BLOCK;
        output.write(&music.next_block()).unwrap();
        if done(output) {
            return index;
        }
    }
    panic!("{never}: {}", output.describe());
}

fn drain(rx: &mut mpsc::Receiver<DeviceEvent>) -> Vec<DeviceEvent> {
    std::iter::from_fn(|| rx.try_recv().ok()).collect()
}

fn message(event: &DeviceEvent) -> &str {
    match event {
        DeviceEvent::Error { message } | DeviceEvent::Restored { message } => message,
        other => panic!("not a device report: {other:?}"),
    }
}

/// Writes the ALSA config with the card present (the `file` plugin into the FIFO beside the
/// config) or missing (a card number no machine has). A new file each time: ALSA notices a
/// changed file by its inode and modification time, and the time only has whole seconds.
fn swap_card(conf: &Path, present: bool) {
    let card = if present {
        let fifo = conf.with_file_name(FIFO);
        format!(
            "{{ type file; slave.pcm {{ type null }}; file \"{}\"; format \"raw\" }}",
            fifo.display()
        )
    } else {
        "{ type hw; card 97 }".to_string()
    };
    // `plug` converts whatever the stream opens with into 32-bit float at the mixer's rate,
    // so the FIFO carries exactly the samples the output was given.
    let text = format!(
        "pcm.!default {{ type plug; slave {{ pcm \"card\"; format FLOAT_LE; rate {RATE}; channels 2 }} }}\n\
         pcm.card {card}\n"
    );
    let new = conf.with_extension("new");
    std::fs::write(&new, text).unwrap();
    std::fs::rename(&new, conf).unwrap();
}

fn make_fifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo keeps no pointer to it.
    let made = unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) };
    assert_eq!(
        made,
        0,
        "mkfifo {}: {}",
        path.display(),
        std::io::Error::last_os_error()
    );
}

/// Reads the FIFO on a thread, keeping the frames that are not silence: the `file` plugin's
/// device is not paced, so it pads the music with silence whenever the output has no block
/// ready, and the music is what the test follows.
struct Reader {
    stop: Arc<AtomicU8>,
    thread: JoinHandle<Vec<[f32; 2]>>,
}

const READING: u8 = 0;
const CLOSE_NOW: u8 = 1;
const CLOSE_WHEN_EMPTY: u8 = 2;
/// Open, but reading nothing.
const HOLDING: u8 = 3;

impl Reader {
    /// Opens the FIFO for reading and writing, so that opening never waits for ALSA and the
    /// FIFO keeps a reader (and no end of file) across ALSA's own opens and closes.
    fn start(path: &Path) -> Reader {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .unwrap();
        let stop = Arc::new(AtomicU8::new(READING));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut frames = Vec::new();
            let mut bytes = Vec::new();
            let mut buffer = vec![0u8; 16 * 1024];
            loop {
                match flag.load(Ordering::Acquire) {
                    CLOSE_NOW => break,
                    HOLDING => {
                        std::thread::sleep(std::time::Duration::from_millis(1));
                        continue;
                    }
                    _ => {}
                }
                match file.read(&mut buffer) {
                    Ok(n) => bytes.extend_from_slice(&buffer[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        if flag.load(Ordering::Acquire) == CLOSE_WHEN_EMPTY {
                            break;
                        }
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                    Err(e) => panic!("reading the FIFO: {e}"),
                }
                let whole = bytes.len() / 8 * 8;
                for frame in bytes[..whole].chunks_exact(8) {
                    let left = f32::from_le_bytes(frame[..4].try_into().unwrap());
                    let right = f32::from_le_bytes(frame[4..].try_into().unwrap());
                    if left != 0.0 || right != 0.0 {
                        frames.push([left, right]);
                    }
                }
                bytes.drain(..whole);
            }
            frames
        });
        Reader { stop, thread }
    }

    /// Stops reading but keeps the FIFO open: once the pipe is full, ALSA's writes block.
    fn hold(&self) {
        self.stop.store(HOLDING, Ordering::Release);
    }

    /// Closes the reader at once, with ALSA still writing: its next write fails.
    fn close(self) {
        self.stop.store(CLOSE_NOW, Ordering::Release);
        self.thread.join().unwrap();
    }

    /// Reads what is left, closes, and returns every frame of music read.
    fn finish(self) -> Vec<[f32; 2]> {
        self.stop.store(CLOSE_WHEN_EMPTY, Ordering::Release);
        self.thread.join().unwrap()
    }
}
