//! `setting watch` away from a terminal: piped or with `--plain`, it still streams one line per
//! event from the real daemon, as scripts/demo.sh relies on; `--frame` prints one frame of the
//! full-screen view as text; and the full-screen view, run in a real pseudo-terminal, gives the
//! terminal back when it is told to stop by a signal.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{Daemon, eventually, repo_path};

const SCENE: &str = "sublingual";

/// Kills the watcher however the test ends; it only stops by itself when the daemon goes.
struct Watcher(Child);

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn watch(daemon: &Daemon, extra: &[&str]) -> (Watcher, Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_setting"))
        .arg("--socket")
        .arg(daemon.socket())
        .arg("watch")
        .args(extra)
        .env_remove("SETTING_SOCKET")
        .env_remove("SETTING_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot run setting watch");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    (Watcher(child), rx)
}

/// The first line containing `needle`, reading at most `limit` lines; generous waits, because
/// this checks what is said, not how fast.
fn line_with(rx: &Receiver<String>, needle: &str, limit: usize) -> Option<String> {
    (0..limit)
        .map_while(|_| rx.recv_timeout(Duration::from_secs(30)).ok())
        .find(|line| line.contains(needle))
}

#[test]
fn plain_watch_streams_one_line_per_event() {
    let daemon = Daemon::start();
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    let (_watcher, rx) = watch(&daemon, &["--plain"]);
    let first = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("watch printed nothing");
    assert!(first.starts_with("watching "), "{first}");
    daemon.ok(json!({"op": "mute"}));
    let line = line_with(&rx, "mute", 200).expect("the watch never showed the mute");
    // `session-time  timeline-time  what happened`: plain text, not the full-screen view.
    assert!(!line.contains('\u{1b}'), "escape codes in {line:?}");
    assert!(!line.starts_with('{'), "JSON in plain mode: {line}");
}

/// The dose cue that asks the client to spit out the lozenge raises a prompt: the plain watch
/// says it once, as the prompt, as the full-screen view and the report do.
#[test]
fn plain_watch_tells_a_cue_that_prompts_by_its_prompt_alone() {
    // A session minute a real second: the cue, seven minutes after the dose, comes in seconds.
    let daemon = Daemon::builder().speed(60.0).start();
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    let (_watcher, rx) = watch(&daemon, &["--plain"]);
    assert!(line_with(&rx, "watching ", 1).is_some());
    daemon.ok(json!({"op": "mark", "mark": "dose"}));
    let mut seen = Vec::new();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) {
        let done = line.contains("spit out the lozenge");
        seen.push(line);
        if done {
            break;
        }
    }
    let said: Vec<&String> = seen
        .iter()
        .filter(|l| l.to_lowercase().contains("spit out"))
        .collect();
    assert_eq!(said.len(), 1, "{seen:#?}");
    assert!(said[0].contains("PROMPT #"), "{seen:#?}");
}

#[test]
fn piped_watch_without_flags_is_still_lines_and_json_stays_json() {
    let daemon = Daemon::start();
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    let (_plain, plain_rx) = watch(&daemon, &[]);
    let (_json, json_rx) = watch(&daemon, &["--json"]);
    assert!(line_with(&plain_rx, "watching ", 1).is_some());
    // The JSON watch announces nothing when it is subscribed, so the room is muted and unmuted
    // until it hears one of them.
    let heard = (0..20).find_map(|i| {
        daemon.ok(json!({"op": if i % 2 == 0 { "mute" } else { "unmute" }}));
        json_rx
            .recv_timeout(Duration::from_secs(2))
            .ok()
            .filter(|line| line.contains("mute"))
    });
    let entry = heard.expect("the JSON watch never showed a mute");
    assert!(line_with(&plain_rx, "mute", 200).is_some());
    let entry: serde_json::Value = serde_json::from_str(&entry).expect("a JSON line");
    assert!(entry["session"].is_string(), "{entry}");
}

fn frame(daemon: &Daemon, size: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_setting"))
        .arg("--config")
        .arg(repo_path("config/settingd.toml"))
        .arg("--socket")
        .arg(daemon.socket())
        .args(["watch", "--frame", size])
        .env_remove("SETTING_SOCKET")
        .env_remove("SETTING_CONFIG")
        .output()
        .expect("cannot run setting watch --frame")
}

#[test]
fn a_frame_of_the_live_view_shows_the_scene_the_phase_and_the_events_as_text() {
    let daemon = Daemon::start();
    let idle = frame(&daemon, "100x28");
    assert!(idle.status.success(), "{}", String::from_utf8_lossy(&idle.stderr));
    assert!(String::from_utf8_lossy(&idle.stdout).contains("no session running"));

    daemon.ok(json!({"op": "start", "scene": SCENE}));
    daemon.ok(json!({"op": "next"}));
    daemon.ok(json!({"op": "mark", "mark": "dose"}));
    let status = daemon.status();
    let session = &status["session"];
    let scene_title = session["scene_title"].as_str().expect("scene title");
    let phase_title = session["phase"]["title"].as_str().expect("phase title");

    let out = frame(&daemon, "100x28");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("utf-8 frame");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 28, "{text}");
    assert!(
        lines
            .iter()
            .all(|l| l.chars().count() <= 100 && !l.ends_with(' ')),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "escape codes in the frame:\n{text}");
    assert!(lines[0].contains(scene_title), "{text}");
    assert!(
        text.contains(phase_title),
        "phase `{phase_title}` missing:\n{text}"
    );
    // The arc is drawn from the local plan: the next phases are named on it too.
    assert!(text.contains("Build and peak"), "{text}");
    assert!(text.contains("PROMPT"), "{text}");
    assert!(text.contains("dose marked"), "the events so far:\n{text}");
    // The baseline check the intention phase's cue raised: once in the prompt box, once in the
    // events pane, where its line tells the cue that raised it too.
    let baseline: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("Baseline blood pressure"))
        .collect();
    assert_eq!(baseline.len(), 2, "{text}");
    assert!(baseline[0].contains("#1 Baseline"), "{text}");
    assert!(baseline[1].contains("PROMPT #1: Baseline"), "{text}");
    assert!(!text.contains("cue Baseline"), "the cue told twice:\n{text}");
}

#[test]
fn a_frame_of_a_size_that_makes_no_sense_is_bad_input() {
    let daemon = Daemon::start();
    for size in ["100", "100x", "0x28", "100by28", "5000x28"] {
        let out = frame(&daemon, size);
        assert_eq!(out.status.code(), Some(2), "--frame {size}");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("COLSxROWS"), "--frame {size}: {said}");
        assert!(out.stdout.is_empty(), "--frame {size}");
    }
}

/// A pseudo-terminal of a known size; the side that a terminal window holds is `master`.
struct Pty {
    master: OwnedFd,
    slave: OwnedFd,
}

impl Pty {
    fn open(cols: u16, rows: u16) -> Pty {
        let (mut master, mut slave) = (-1, -1);
        let size = libc::winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: both fds are written by openpty before use; no name buffer or termios is passed.
        let done = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &size,
            )
        };
        assert_eq!(done, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: openpty just returned these open fds, and nothing else owns them.
        unsafe {
            Pty {
                master: OwnedFd::from_raw_fd(master),
                slave: OwnedFd::from_raw_fd(slave),
            }
        }
    }

    /// The terminal's local modes: canonical input and echo are what a shell needs back.
    fn local_modes(&self) -> libc::tcflag_t {
        // SAFETY: a zeroed termios is a valid buffer for tcgetattr to fill.
        let mut modes: libc::termios = unsafe { std::mem::zeroed() };
        let got = unsafe { libc::tcgetattr(self.slave.as_raw_fd(), &mut modes) };
        assert_eq!(got, 0, "tcgetattr: {}", std::io::Error::last_os_error());
        modes.c_lflag
    }

    fn cooked(&self) -> bool {
        let modes = self.local_modes();
        modes & libc::ICANON != 0 && modes & libc::ECHO != 0
    }
}

/// Everything the program wrote to the terminal so far, read on a thread so it never blocks
/// on a full terminal buffer.
fn screen_output(master: &OwnedFd) -> Receiver<Vec<u8>> {
    let mut reader = File::from(master.try_clone().expect("dup master"));
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        // Ends with an error (EIO) once nothing holds the terminal's other side.
        while let Ok(n @ 1..) = reader.read(&mut chunk) {
            if tx.send(chunk[..n].to_vec()).is_err() {
                return;
            }
        }
    });
    rx
}

fn wait_exit(child: &mut Child, within: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        thread::sleep(Duration::from_millis(20));
    }
    None
}

/// The full-screen view in `pty`, as in a terminal window: a session of its own with that
/// terminal as its controlling one, so it never touches the terminal the tests run in.
fn open_view(daemon: &Daemon, pty: &Pty) -> Child {
    let stdio = || Stdio::from(pty.slave.try_clone().expect("dup slave"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_setting"));
    command
        .arg("--socket")
        .arg(daemon.socket())
        .arg("watch")
        .env_remove("SETTING_SOCKET")
        .env_remove("SETTING_CONFIG")
        .env("TERM", "xterm-256color")
        .stdin(stdio())
        .stdout(stdio())
        .stderr(stdio());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    // The command keeps its copies of the terminal until dropped; the end of the output is
    // only seen once the test's own copy is the last one and closes.
    command.spawn().expect("cannot run setting watch")
}

/// What the view wrote until `needle` appeared or 30 s passed, as words: the terminal's control
/// sequences (the view moves the cursor over blank cells between words) become spaces.
fn screen_until(output: &Receiver<Vec<u8>>, needle: &str) -> String {
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let words = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes);
        let mut plain = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                // CSI: ESC [ parameters, then one final letter.
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
                plain.push(' ');
            } else {
                plain.push(c);
            }
        }
        plain.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    while !words(&seen).contains(needle) && Instant::now() < deadline {
        if let Ok(chunk) = output.recv_timeout(Duration::from_millis(200)) {
            seen.extend(chunk);
        }
    }
    words(&seen)
}

#[test]
fn the_full_screen_view_opened_mid_session_shows_what_happened_before() {
    let daemon = Daemon::start();
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    daemon.ok(json!({"op": "mark", "mark": "dose"}));
    let pty = Pty::open(100, 30);
    let mut child = open_view(&daemon, &pty);
    let output = screen_output(&pty.master);
    let shown = screen_until(&output, "dose marked");
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        shown.contains("dose marked"),
        "the events pane is empty though the dose was marked before the view opened:\n{shown:?}"
    );
    assert!(shown.contains("started with scene"), "{shown:?}");
}

#[test]
fn the_full_screen_view_gives_the_terminal_back_on_sigterm_and_sighup() {
    let daemon = Daemon::start();
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    for signal in [libc::SIGTERM, libc::SIGHUP] {
        let pty = Pty::open(100, 30);
        assert!(pty.cooked(), "a fresh terminal is in canonical mode with echo");
        let mut child = open_view(&daemon, &pty);
        let output = screen_output(&pty.master);
        let shown = screen_until(&output, "PROMPT");
        assert!(
            shown.contains("PROMPT"),
            "the view never drew the session:\n{shown:?}"
        );
        assert!(!pty.cooked(), "the view runs the terminal raw");

        let pid = libc::pid_t::try_from(child.id()).expect("pid fits");
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "kill -{signal} {pid}");
        let status = wait_exit(&mut child, Duration::from_secs(30));
        if status.is_none() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let status = status.unwrap_or_else(|| panic!("setting watch ignored signal {signal}"));
        assert_eq!(
            status.code(),
            Some(128 + signal),
            "ended by signal {signal}: {status}"
        );
        assert!(pty.cooked(), "signal {signal} left the terminal raw");
        drop(pty);
        let rest: Vec<u8> = output.iter().flatten().collect();
        let rest = String::from_utf8_lossy(&rest);
        assert!(
            rest.contains("\u{1b}[?1049l"),
            "signal {signal}: the alternate screen was not left: {rest:?}"
        );
    }
}

#[test]
fn the_a_key_acknowledges_the_oldest_prompt_as_the_one_at_the_terminal() {
    let daemon = Daemon::start();
    daemon.ok(json!({"op": "start", "scene": SCENE}));
    // The intention phase asks for the baseline blood pressure the moment it begins.
    daemon.ok(json!({"op": "next"}));
    assert_eq!(daemon.status()["session"]["prompts"][0]["number"], 1);
    let pty = Pty::open(100, 30);
    let mut child = open_view(&daemon, &pty);
    let output = screen_output(&pty.master);
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !String::from_utf8_lossy(&seen).contains("acknowledges #1") && Instant::now() < deadline {
        if let Ok(chunk) = output.recv_timeout(Duration::from_millis(200)) {
            seen.extend(chunk);
        }
    }
    assert!(
        String::from_utf8_lossy(&seen).contains("acknowledges #1"),
        "the view never showed the prompt waiting:\n{:?}",
        String::from_utf8_lossy(&seen)
    );
    let mut keyboard = File::from(pty.master.try_clone().expect("dup master"));
    keyboard.write_all(b"a").expect("press a");
    let acked = eventually(Duration::from_secs(10), || {
        daemon
            .entries()
            .into_iter()
            .find(|e| e["event"] == "prompt_acknowledged")
    })
    .expect("the a key acknowledged the prompt");
    assert_eq!(acked["number"], 1);
    assert_eq!(acked["source"]["who"], "root");
    assert!(
        daemon.status()["session"]["prompts"]
            .as_array()
            .is_none_or(|p| p.is_empty())
    );
    let pid = libc::pid_t::try_from(child.id()).expect("pid fits");
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0, "kill -TERM {pid}");
    if wait_exit(&mut child, Duration::from_secs(30)).is_none() {
        let _ = child.kill();
        let _ = child.wait();
        panic!("setting watch ignored SIGTERM");
    }
}
