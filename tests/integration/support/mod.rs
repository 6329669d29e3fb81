//! A real `settingd` for tests: started on a temporary socket and state directory with the
//! repository's config, scenes and playlists, talked to over its real Unix socket, and killed
//! (that process only) when the test ends.
//!
//! ```ignore
//! let mut daemon = Daemon::builder().speed(60.0).start();
//! daemon.ok(json!({"op": "start", "scene": "sublingual"}));
//! daemon.kill9();
//! daemon.restart();
//! ```

#![allow(dead_code)] // Each test module uses a different part of the harness.

pub mod broker;
pub mod gate;
pub mod picture;
pub mod room;
pub mod stalled_fs;

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;

/// How long a daemon may take to answer on its socket after launch, or to exit when told.
const PATIENCE: Duration = Duration::from_secs(15);
/// How long a test waits for one reply line.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// The engine's loop held still by [`Daemon::stall_the_loop`]. Released by
/// [`StalledLoop::release`], or when dropped.
///
/// ptrace(2) requests must come from the thread that attached: release it from the test's own
/// thread, as every test does.
pub struct StalledLoop {
    tid: libc::pid_t,
    released: bool,
}

impl StalledLoop {
    /// The loop runs again from where it stood: whatever came in meanwhile is handled.
    pub fn release(mut self) {
        self.detach();
    }

    fn detach(&mut self) {
        if !self.released {
            self.released = true;
            // SAFETY: PTRACE_DETACH of the thread this test thread attached to and stopped.
            let rc = unsafe { libc::ptrace(libc::PTRACE_DETACH, self.tid, 0, 0) };
            assert!(
                rc == 0 || std::thread::panicking(),
                "ptrace detach: {}",
                std::io::Error::last_os_error()
            );
        }
    }
}

impl Drop for StalledLoop {
    fn drop(&mut self) {
        self.detach();
    }
}

/// The repository's own files, which the daemon under test reads.
/// A 16-bit mono WAV of a sine at `peak` (of full scale); symphonia reads it like any other file.
pub fn sine_wav(freq: f64, peak: f64, rate: u32, seconds: f64) -> Vec<u8> {
    let n = (f64::from(rate) * seconds) as u32;
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + n * 2).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(n * 2).to_le_bytes());
    for i in 0..n {
        let x = peak * (2.0 * std::f64::consts::PI * freq * f64::from(i) / f64::from(rate)).sin();
        out.extend_from_slice(&((x * 32767.0).round() as i16).to_le_bytes());
    }
    out
}

pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// The end of a test's config: scenes from `scenes`, the repository's playlists and media,
/// and music to nowhere.
pub fn paths_and_null_audio(scenes: &Path) -> String {
    format!(
        "[paths]\nscenes = \"{}\"\nplaylists = \"{}\"\nmedia = \"{}\"\n\n[audio]\noutput = \"null\"\n",
        scenes.display(),
        repo_path("playlists").display(),
        repo_path("media").display(),
    )
}

#[derive(Clone, Debug)]
pub struct Builder {
    config: PathBuf,
    speed: f64,
    extra_args: Vec<String>,
    envs: Vec<(String, String)>,
    /// Runs the daemon as this uid and gid, as its own user would run it installed.
    user: Option<(u32, u32)>,
    /// `--audio`: `null` unless a test records what is heard.
    audio: String,
}

impl Builder {
    /// Session time runs `speed` times faster than real time.
    pub fn speed(mut self, speed: f64) -> Builder {
        self.speed = speed;
        self
    }

    /// Another config file than the repository's `config/settingd.toml`.
    pub fn config(mut self, path: impl Into<PathBuf>) -> Builder {
        self.config = path.into();
        self
    }

    /// The music to `spec` (`wav:PATH` records it) instead of nowhere.
    pub fn audio(mut self, spec: impl Into<String>) -> Builder {
        self.audio = spec.into();
        self
    }

    pub fn arg(mut self, arg: impl Into<String>) -> Builder {
        self.extra_args.push(arg.into());
        self
    }

    /// An environment variable for the daemon (as systemd sets `NOTIFY_SOCKET`).
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Builder {
        self.envs.push((key.into(), value.into()));
        self
    }

    /// Runs the daemon as another user (the tests run as root), owning its state directory
    /// and socket directory as the installed layout has it.
    pub fn user(mut self, uid: u32, gid: u32) -> Builder {
        self.user = Some((uid, gid));
        self
    }

    /// Prepares the directories without launching, so a test can put files in the state
    /// directory first; then [`Daemon::launch`].
    pub fn prepare(self) -> Daemon {
        let dir = tempfile::Builder::new()
            .prefix("settingd-test-")
            .tempdir()
            .expect("temp dir");
        let state_dir = dir.path().join("state");
        fs::create_dir_all(&state_dir).expect("state dir");
        if let Some((uid, gid)) = self.user {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
            let run = dir.path().join("run");
            fs::create_dir_all(&run).expect("run dir");
            for owned in [&state_dir, &run] {
                std::os::unix::fs::chown(owned, Some(uid), Some(gid)).expect("chown");
            }
            // The daemon's stderr file, opened by the test, is the test's own.
        }
        Daemon {
            socket: dir.path().join("run/control.sock"),
            log: dir.path().join("settingd.log"),
            state_dir,
            builder: self,
            child: None,
            dir,
        }
    }

    pub fn start(self) -> Daemon {
        let mut daemon = self.prepare();
        daemon.launch();
        daemon
    }
}

/// A running (or killed) `settingd` and its temporary directories.
pub struct Daemon {
    builder: Builder,
    child: Option<Child>,
    socket: PathBuf,
    state_dir: PathBuf,
    /// The daemon's stderr, kept across restarts and shown when a test fails.
    log: PathBuf,
    dir: TempDir,
}

impl Daemon {
    pub fn builder() -> Builder {
        Builder {
            config: repo_path("config/settingd.toml"),
            speed: 1.0,
            extra_args: Vec::new(),
            envs: Vec::new(),
            user: None,
            audio: "null".into(),
        }
    }

    /// A daemon at real speed with the repository's config.
    pub fn start() -> Daemon {
        Daemon::builder().start()
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// Stops the engine's loop, as a write to a dying disk or a hung network share would: the
    /// daemon's main thread, on which the runtime drives the engine, is stopped under
    /// ptrace(2) while its other threads (the socket's connections, the lights task, the
    /// player) run on. Nothing the daemon itself opens can be made to hang any more (it never
    /// blocks on a FIFO or follows a link), so the test stops it from outside.
    pub fn stall_the_loop(&self) -> StalledLoop {
        let tid = libc::pid_t::try_from(self.pid().expect("the daemon is running")).expect("pid fits");
        let os_error = std::io::Error::last_os_error;
        // SAFETY: PTRACE_SEIZE and PTRACE_INTERRUPT of a process this test spawned, then
        // waitpid(2) for the stop they cause, with a valid pointer for its status.
        unsafe {
            assert_eq!(
                libc::ptrace(libc::PTRACE_SEIZE, tid, 0, 0),
                0,
                "ptrace seize: {}",
                os_error()
            );
            assert_eq!(
                libc::ptrace(libc::PTRACE_INTERRUPT, tid, 0, 0),
                0,
                "ptrace interrupt: {}",
                os_error()
            );
            let mut status = 0;
            assert_eq!(
                libc::waitpid(tid, &mut status, libc::__WALL),
                tid,
                "waitpid: {}",
                os_error()
            );
            assert!(
                libc::WIFSTOPPED(status),
                "the main thread did not stop: status {status:#x}"
            );
        }
        StalledLoop { tid, released: false }
    }

    pub fn speed(&self) -> f64 {
        self.builder.speed
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Starts the process and waits until its socket answers.
    pub fn launch(&mut self) {
        assert!(self.child.is_none(), "daemon already running");
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("daemon log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_settingd"));
        if let Some((uid, gid)) = self.builder.user {
            use std::os::unix::process::CommandExt;
            command.uid(uid).gid(gid);
        }
        let child = command
            .arg("--config")
            .arg(&self.builder.config)
            .arg("--socket")
            .arg(&self.socket)
            .arg("--state-dir")
            .arg(&self.state_dir)
            .arg("--speed")
            .arg(self.builder.speed.to_string())
            .arg("--log-level")
            .arg("debug")
            // The real player, but never through the speakers of whoever runs the tests.
            .arg("--audio")
            .arg(&self.builder.audio)
            .args(&self.builder.extra_args)
            .envs(self.builder.envs.clone())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("cannot run settingd");
        self.child = Some(child);
        self.wait_until_ready();
    }

    fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().expect("try_wait")) {
                panic!("settingd exited during start-up ({status}):\n{}", self.log_text());
            }
            if let Ok(stream) = UnixStream::connect(&self.socket) {
                let mut client = Client::new(stream);
                if client.request(json!({"op": "ping"})).get("ok") == Some(&json!(true)) {
                    self.wait_for_lights();
                    return;
                }
            }
            if Instant::now() > deadline {
                panic!(
                    "settingd did not answer on {} within {PATIENCE:?}:\n{}",
                    self.socket.display(),
                    self.log_text()
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Gives lights on a broker a few seconds to connect, so that a test starts from a settled
    /// room rather than one whose status changes under it; a broker that refuses the daemon
    /// (as some tests arrange) just ends the wait. A room with no lights (logging only) has
    /// nothing to wait for.
    fn wait_for_lights(&self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            let status = self.request(json!({"op": "status"}));
            let lights = &status["result"]["lights"];
            let none = lights["lights"].as_array().is_some_and(Vec::is_empty);
            if lights.is_null() || none || lights["connected"] == json!(true) {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// A fresh connection.
    pub fn client(&self) -> Client {
        let stream = UnixStream::connect(&self.socket).unwrap_or_else(|e| {
            panic!(
                "cannot connect to {}: {e}\n{}",
                self.socket.display(),
                self.log_text()
            )
        });
        Client::new(stream)
    }

    /// Sends one request on a new connection and returns the whole reply.
    pub fn request(&self, request: Value) -> Value {
        self.client().request(request)
    }

    /// Sends a request that must succeed and returns its `result`.
    pub fn ok(&self, request: Value) -> Value {
        let reply = self.request(request.clone());
        assert_eq!(reply["ok"], json!(true), "{request} was refused: {reply}");
        reply["result"].clone()
    }

    /// The current (or latest) session's event log, entry by entry.
    pub fn entries(&self) -> Vec<Value> {
        self.ok(json!({"op": "report"}))["entries"]
            .as_array()
            .expect("entries")
            .clone()
    }

    /// The `status` result: `{daemon, session}`.
    pub fn status(&self) -> Value {
        self.ok(json!({"op": "status"}))
    }

    /// Writes raw bytes on a new connection, then reads whatever comes back until the daemon
    /// closes the connection or a newline ends the first reply.
    pub fn raw(&self, bytes: &[u8]) -> String {
        let mut client = self.client();
        client.send_raw(bytes);
        client.recv_text().unwrap_or_default()
    }

    /// SIGKILL, as a crash or power cut would: no chance to save anything.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("kill -9 settingd");
            child.wait().expect("reap settingd");
        }
    }

    /// SIGTERM, as systemd stops it; waits for the exit and returns its status.
    pub fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("daemon is not running");
        let pid = libc::pid_t::try_from(child.id()).expect("pid fits");
        // SAFETY: kill(2) with a pid this test spawned and has not yet reaped, so it is ours.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0, "kill -TERM {pid}");
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "settingd did not exit within {PATIENCE:?} of SIGTERM:\n{}",
                    self.log_text()
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the daemon again on the same socket and state directory.
    pub fn restart(&mut self) {
        if self.child.is_some() {
            self.kill9();
        }
        self.launch();
    }

    /// Everything the daemon wrote to stderr so far.
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
        if thread::panicking() {
            eprintln!(
                "--- settingd log ({}) ---\n{}",
                self.dir.path().display(),
                self.log_text()
            );
        }
    }
}

/// One connection to the daemon, for several requests or a `watch` stream.
pub struct Client {
    writer: UnixStream,
    reader: BufReader<UnixStream>,
}

impl Client {
    fn new(stream: UnixStream) -> Client {
        stream
            .set_read_timeout(Some(REPLY_TIMEOUT))
            .expect("read timeout");
        stream
            .set_write_timeout(Some(REPLY_TIMEOUT))
            .expect("write timeout");
        let reader = BufReader::new(stream.try_clone().expect("clone stream"));
        Client {
            writer: stream,
            reader,
        }
    }

    pub fn send(&mut self, request: &Value) {
        let mut line = serde_json::to_vec(request).expect("json");
        line.push(b'\n');
        self.send_raw(&line);
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        // The daemon may close early (an oversized line); what it replied is still readable.
        let _ = self.writer.write_all(bytes);
        let _ = self.writer.flush();
    }

    /// The next line as text; `None` when the daemon closed the connection.
    pub fn recv_text(&mut self) -> Option<String> {
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(0) => None,
            Ok(_) => Some(line),
            Err(e) => panic!("no reply line within {REPLY_TIMEOUT:?}: {e}"),
        }
    }

    /// The next line as JSON.
    pub fn recv(&mut self) -> Value {
        let line = self.recv_text().expect("the daemon closed the connection");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("reply is not JSON ({e}): {line:?}"))
    }

    pub fn request(&mut self, request: Value) -> Value {
        self.send(&request);
        self.recv()
    }

    /// True once the daemon has closed this connection (end of stream, or a reset because
    /// it closed with our unread bytes still queued); false if it is still open and silent.
    pub fn is_closed(&mut self) -> bool {
        let mut byte = [0u8];
        match self.reader.read(&mut byte) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
        }
    }

    pub fn shutdown_write(&self) {
        let _ = self.writer.shutdown(std::net::Shutdown::Write);
    }
}

/// Polls `check` until it returns `Some`, for at most `within`.
pub fn eventually<T>(within: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(found) = check() {
            return Some(found);
        }
        if Instant::now() > deadline {
            return None;
        }
        thread::sleep(Duration::from_millis(25));
    }
}

/// Asserts a command's exit code, showing what it printed when it is not the one expected.
#[track_caller]
pub fn assert_code(out: &std::process::Output, expected: i32) {
    assert_eq!(
        out.status.code(),
        Some(expected),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `setting` with its own variables cleared, so that a developer's `SETTING_SOCKET` or
/// `SETTING_CONFIG` cannot leak into a test.
pub fn setting(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_setting"))
        .args(args)
        .env_remove("SETTING_SOCKET")
        .env_remove("SETTING_CONFIG")
        .output()
        .expect("cannot run setting")
}

/// `setting --config <the repository's config> ARGS...`
pub fn setting_local(args: &[&str]) -> std::process::Output {
    let config = repo_path("config/settingd.toml");
    let mut all = vec!["--config", config.to_str().expect("utf-8 path")];
    all.extend_from_slice(args);
    setting(&all)
}

/// `setting --socket <the daemon's socket> ARGS...`
pub fn setting_against(daemon: &Daemon, args: &[&str]) -> std::process::Output {
    let mut all = vec!["--socket", daemon.socket().to_str().expect("utf-8 path")];
    all.extend_from_slice(args);
    setting(&all)
}

/// The output of a command that must have succeeded.
#[track_caller]
pub fn succeeded(out: std::process::Output) -> std::process::Output {
    assert_code(&out, 0);
    out
}
