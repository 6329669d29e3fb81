//! The `settingd` under soak: launched from the release build on a temp socket and state
//! directory, asked over its socket, steered through the real `setting` CLI, killed with
//! SIGKILL by its PID, and its peak RSS read before each death.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const PATIENCE: Duration = Duration::from_secs(20);

pub struct Daemon {
    config: PathBuf,
    socket: PathBuf,
    state_dir: PathBuf,
    log: PathBuf,
    speed: f64,
    child: Option<Child>,
    /// Peak RSS (VmHWM) of every run that has ended, in KiB, oldest first.
    peaks_kib: Vec<u64>,
}

impl Daemon {
    pub fn start(dir: &Path, config: &Path, speed: f64) -> Daemon {
        let state_dir = dir.join("state");
        fs::create_dir_all(&state_dir).expect("state dir");
        let mut daemon = Daemon {
            config: config.to_path_buf(),
            socket: dir.join("settingd.sock"),
            state_dir,
            log: dir.join("settingd.log"),
            speed,
            child: None,
            peaks_kib: Vec::new(),
        };
        daemon.launch();
        daemon
    }

    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    pub fn peaks_kib(&self) -> &[u64] {
        &self.peaks_kib
    }

    fn launch(&mut self) {
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("daemon log");
        let child = Command::new(env!("CARGO_BIN_EXE_settingd"))
            .arg("--config")
            .arg(&self.config)
            .arg("--socket")
            .arg(&self.socket)
            .arg("--state-dir")
            .arg(&self.state_dir)
            .arg("--speed")
            .arg(self.speed.to_string())
            .args(["--log-level", "info"])
            // The real player, never through the speakers of whoever runs the bench.
            .args(["--audio", "null"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("cannot run settingd");
        self.child = Some(child);
        let deadline = Instant::now() + PATIENCE;
        while self.request(&json!({"op": "ping"})).is_none() {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().expect("try_wait")) {
                panic!("settingd exited during start-up ({status}):\n{}", self.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "settingd did not answer within {PATIENCE:?}"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Read before the process goes, since /proc forgets it once it is reaped.
    fn record_peak(&mut self) {
        let Some(pid) = self.child.as_ref().map(Child::id) else {
            return;
        };
        let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let peak = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok());
        if let Some(peak) = peak {
            self.peaks_kib.push(peak);
        }
    }

    /// SIGKILL, as a crash or a power cut would: no chance to save anything; then a new
    /// process on the same socket and state directory.
    pub fn kill9_and_restart(&mut self) {
        self.record_peak();
        if let Some(mut child) = self.child.take() {
            child.kill().expect("kill -9 settingd");
            child.wait().expect("reap settingd");
        }
        self.launch();
    }

    /// SIGTERM, as systemd stops it; its exit status (`None` if it had to be killed).
    pub fn terminate(&mut self) -> Option<ExitStatus> {
        self.record_peak();
        let mut child = self.child.take()?;
        let pid = libc::pid_t::try_from(child.id()).expect("pid fits");
        // SAFETY: kill(2) on a pid this bench spawned and has not yet reaped, so it is ours.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// One request on a fresh connection; `None` if the daemon did not answer.
    pub fn request(&self, request: &Value) -> Option<Value> {
        let mut stream = UnixStream::connect(&self.socket).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        stream.write_all(format!("{request}\n").as_bytes()).ok()?;
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line).ok()?;
        serde_json::from_str(&line).ok()
    }

    /// The `status` result; `None` if the daemon did not answer.
    pub fn status(&self) -> Option<Value> {
        self.request(&json!({"op": "status"}))
            .map(|reply| reply["result"].clone())
    }

    /// Runs `setting --json ARGS` against this daemon; its exit code and stdout.
    pub fn cli(&self, args: &[String]) -> (i32, String) {
        let output = Command::new(env!("CARGO_BIN_EXE_setting"))
            .arg("--socket")
            .arg(&self.socket)
            .arg("--config")
            .arg(&self.config)
            .arg("--json")
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("cannot run setting");
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    }

    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
