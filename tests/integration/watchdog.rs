//! systemd's notify protocol and watchdog against a real `settingd`: the test plays systemd on
//! a real Unix datagram socket, hangs the daemon with SIGSTOP and checks the pings stop (so
//! systemd would restart it) and come back when it runs again.

use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::json;
use tempfile::TempDir;

use crate::support::{Daemon, eventually};

/// WATCHDOG_USEC for the tests: a ping is due every 100 ms.
const WATCHDOG_USEC: &str = "200000";
/// Far more than the 100 ms between pings: a stopped daemon must stay silent this long.
const SILENCE: Duration = Duration::from_secs(1);
/// How long a test waits for a notification that should come.
const PATIENCE: Duration = Duration::from_secs(15);

/// Plays systemd's side: a datagram socket the daemon finds in `NOTIFY_SOCKET`.
struct FakeSystemd {
    socket: UnixDatagram,
    path: PathBuf,
    /// Every datagram received so far, in order.
    seen: Vec<String>,
    _dir: TempDir,
}

impl FakeSystemd {
    fn new() -> FakeSystemd {
        let dir = tempfile::Builder::new()
            .prefix("fake-systemd-")
            .tempdir()
            .expect("temp dir");
        let path = dir.path().join("notify");
        let socket = UnixDatagram::bind(&path).expect("bind the notify socket");
        FakeSystemd {
            socket,
            path,
            seen: Vec::new(),
            _dir: dir,
        }
    }

    fn daemon(&self) -> crate::support::Builder {
        Daemon::builder().env("NOTIFY_SOCKET", self.path.to_str().expect("utf-8 temp path"))
    }

    /// The next datagram within `within`, or `None` if none came. Without the line break that
    /// may end its assignment, which systemd reads either way.
    fn next(&mut self, within: Duration) -> Option<String> {
        self.socket.set_read_timeout(Some(within)).expect("read timeout");
        let mut buffer = [0u8; 4096];
        let n = self.socket.recv(&mut buffer).ok()?;
        let datagram = String::from_utf8_lossy(&buffer[..n]);
        let message = datagram.strip_suffix('\n').unwrap_or(&datagram).to_string();
        self.seen.push(message.clone());
        Some(message)
    }

    /// Receives until a datagram satisfies `wanted` and returns it; fails the test with what
    /// came instead after [`PATIENCE`].
    fn wait_for(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.next(left) {
                Some(message) if wanted(&message) => return message,
                Some(_) => {}
                None => break,
            }
        }
        panic!("no {what} within {PATIENCE:?}; received {:?}", self.seen);
    }

    /// Throws away what is queued, returning how many there were.
    fn drain(&mut self) -> usize {
        let mut count = 0;
        while self.next(Duration::from_millis(1)).is_some() {
            count += 1;
        }
        count
    }

    fn count(&self, message: &str) -> usize {
        self.seen.iter().filter(|m| *m == message).count()
    }
}

fn signal(daemon: &Daemon, signal: libc::c_int) {
    let pid = libc::pid_t::try_from(daemon.pid().expect("daemon running")).expect("pid fits");
    // SAFETY: kill(2) on the daemon this test spawned and has not reaped, so the pid is ours.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "kill -{signal} {pid}");
}

/// The process state letter from /proc (`T` once SIGSTOP has taken effect).
fn process_state(daemon: &Daemon) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", daemon.pid()?)).ok()?;
    // The command name in parentheses may hold spaces; the state follows its closing one.
    stat.rsplit_once(") ")?.1.chars().next()
}

#[test]
fn a_hung_engine_stops_pinging_the_watchdog_and_pings_again_when_it_runs() {
    let mut systemd = FakeSystemd::new();
    let mut daemon = systemd.daemon().env("WATCHDOG_USEC", WATCHDOG_USEC).start();

    systemd.wait_for("READY=1", |m| m == "READY=1");
    systemd.wait_for("STATUS for an idle room", |m| m == "STATUS=idle: no session");
    for _ in 0..3 {
        systemd.wait_for("WATCHDOG=1", |m| m == "WATCHDOG=1");
    }

    // A hung loop: the whole process stopped, as a deadlock or a stuck read would leave it.
    signal(&daemon, libc::SIGSTOP);
    let stopped = eventually(PATIENCE, || (process_state(&daemon) == Some('T')).then_some(()));
    assert!(
        stopped.is_some(),
        "settingd did not stop: {:?}",
        process_state(&daemon)
    );
    systemd.drain();
    let during_hang = systemd.next(SILENCE);
    assert_eq!(during_hang, None, "a stopped daemon still notified systemd");

    signal(&daemon, libc::SIGCONT);
    systemd.wait_for("WATCHDOG=1 after the hang", |m| m == "WATCHDOG=1");
    assert_eq!(daemon.status()["session"], serde_json::Value::Null);

    daemon.ok(json!({"op": "start", "scene": "sublingual"}));
    let status = systemd.wait_for("STATUS for the session", |m| m.starts_with("STATUS=session "));
    let session = daemon.status()["session"]["session"]
        .as_str()
        .expect("session id")
        .to_string();
    assert_eq!(status, format!("STATUS=session {session} running"));

    assert!(daemon.terminate().success());
    systemd.wait_for("STOPPING=1", |m| m == "STOPPING=1");
    // Only the daemon says it is ready: its demo broker (which speaks sd_notify too) must not.
    assert_eq!(systemd.count("READY=1"), 1, "{:?}", systemd.seen);
}

#[test]
fn a_watchdog_meant_for_another_process_is_never_pinged() {
    let mut systemd = FakeSystemd::new();
    // WATCHDOG_PID 1 is init, never the daemon: the variables were inherited, not meant for us.
    let mut daemon = systemd
        .daemon()
        .env("WATCHDOG_USEC", WATCHDOG_USEC)
        .env("WATCHDOG_PID", "1")
        .start();

    systemd.wait_for("READY=1", |m| m == "READY=1");
    let listen_until = Instant::now() + SILENCE;
    while let Some(left) = listen_until.checked_duration_since(Instant::now()) {
        systemd.next(left);
    }
    assert_eq!(systemd.count("WATCHDOG=1"), 0, "{:?}", systemd.seen);

    assert!(daemon.terminate().success());
    systemd.wait_for("STOPPING=1", |m| m == "STOPPING=1");
}

#[test]
fn a_stuck_loop_stops_the_pings_while_the_process_runs_on() {
    let mut systemd = FakeSystemd::new();
    let daemon = systemd.daemon().env("WATCHDOG_USEC", WATCHDOG_USEC).start();
    systemd.wait_for("READY=1", |m| m == "READY=1");
    systemd.wait_for("WATCHDOG=1", |m| m == "WATCHDOG=1");

    // The loop stops, as on a save to a dying disk or a hung network share, with a start
    // waiting for it.
    let stuck = daemon.stall_the_loop();
    let mut client = daemon.client();
    client.send(&json!({"op": "start", "scene": "sublingual"}));
    let deadline = Instant::now() + PATIENCE;
    while systemd.next(SILENCE).is_some() {
        assert!(
            Instant::now() < deadline,
            "the pings never stopped: {:?}",
            systemd.seen
        );
    }
    // Silent, yet not stopped: only the loop is stuck, and the pings are what reveal it.
    let others = other_thread_states(&daemon);
    assert!(
        others.iter().any(|s| matches!(s, 'R' | 'S' | 'D')),
        "the daemon's other threads: {others:?}"
    );

    // The loop runs again, answers the start and pings again.
    stuck.release();
    let reply = client.recv();
    assert_eq!(reply["ok"], json!(true), "{reply}");
    systemd.wait_for("WATCHDOG=1 after the stuck write", |m| m == "WATCHDOG=1");
}

/// The states of the daemon's threads other than its main one, where the engine's loop runs.
fn other_thread_states(daemon: &Daemon) -> Vec<char> {
    let pid = daemon.pid().expect("running");
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("the daemon's threads");
    tasks
        .filter_map(Result::ok)
        .filter(|task| task.file_name().to_str() != Some(pid.to_string().as_str()))
        .filter_map(|task| std::fs::read_to_string(task.path().join("stat")).ok())
        .filter_map(|stat| stat.rsplit_once(") ")?.1.chars().next())
        .collect()
}
