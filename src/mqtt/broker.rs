//! [`PrivateBroker`]: a Mosquitto of the daemon's own on a free loopback port, for the demo and
//! rehearsals when the config names lights but no broker. Demo only: anonymous, loopback,
//! no persistence. A clinic runs its own Mosquitto with passwords and per-room ACLs.

use std::fs;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long Mosquitto may take to accept connections once started.
const READY_WITHIN: Duration = Duration::from_secs(5);
/// Another process can take the port between our probe and Mosquitto's bind; try again then.
const ATTEMPTS: usize = 3;
/// Where Debian puts it, outside an ordinary user's PATH.
const SBIN_MOSQUITTO: &str = "/usr/sbin/mosquitto";

#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("mosquitto is not installed (apt-get install mosquitto); the demo's lights need it")]
    NotInstalled,
    #[error("cannot prepare the private broker's directory {}", path.display())]
    Dir { path: PathBuf, source: io::Error },
    #[error("cannot find a free loopback port for the private broker")]
    NoPort(#[source] io::Error),
    #[error("cannot run {}", program.display())]
    Spawn { program: PathBuf, source: io::Error },
    #[error("the private broker exited at start-up ({status}); its log {} says: {log}", log_path.display())]
    Exited {
        status: std::process::ExitStatus,
        log_path: PathBuf,
        log: String,
    },
    #[error("the private broker did not accept connections on 127.0.0.1:{port} within {} s", READY_WITHIN.as_secs())]
    NotReady { port: u16 },
}

/// A running private Mosquitto; killed and reaped when dropped.
///
/// A keeper thread starts it and holds it. Mosquitto is told by the kernel to stop when that
/// thread ends, so it goes with the daemon even when the daemon is killed with SIGKILL and no
/// destructor runs; a thread of its own (rather than whichever one called `start`) keeps a
/// short-lived caller thread from taking the broker down with it.
#[derive(Debug)]
pub struct PrivateBroker {
    port: u16,
    pid: u32,
    dir: PathBuf,
    /// Dropping it tells the keeper to stop Mosquitto.
    stop: Option<mpsc::Sender<()>>,
    keeper: Option<JoinHandle<()>>,
}

impl PrivateBroker {
    /// Starts Mosquitto with its config and log in `dir` (created if missing) and waits until
    /// it accepts connections.
    pub fn start(dir: &Path) -> Result<PrivateBroker, BrokerError> {
        let program = find_mosquitto().ok_or(BrokerError::NotInstalled)?;
        fs::create_dir_all(dir).map_err(|source| BrokerError::Dir {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut last = None;
        for _ in 0..ATTEMPTS {
            match Self::start_once(&program, dir) {
                Ok(broker) => return Ok(broker),
                // Lost the port to someone else: a fresh port may do.
                Err(e @ BrokerError::Exited { .. }) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.expect("at least one attempt was made"))
    }

    fn start_once(program: &Path, dir: &Path) -> Result<PrivateBroker, BrokerError> {
        let port = free_port().map_err(BrokerError::NoPort)?;
        let config_path = dir.join("mosquitto.conf");
        let log_path = dir.join("mosquitto.log");
        let dir_error = |source| BrokerError::Dir {
            path: dir.to_path_buf(),
            source,
        };
        // A log from an earlier attempt would be mistaken for this one's.
        match fs::remove_file(&log_path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(dir_error(e)),
            _ => {}
        }
        fs::write(&config_path, config_text(port, &log_path)).map_err(dir_error)?;
        let (started_tx, started) = mpsc::channel();
        let (stop, stop_rx) = mpsc::channel::<()>();
        let program = program.to_path_buf();
        let keeper = std::thread::Builder::new()
            .name("private-broker".into())
            .spawn(move || keep(&program, &config_path, &log_path, port, &started_tx, &stop_rx))
            .map_err(|source| BrokerError::Spawn {
                program: PathBuf::from("a thread for the private broker"),
                source,
            })?;
        match started.recv() {
            Ok(Ok(pid)) => {
                tracing::info!(port, pid, "private demo broker (Mosquitto) ready");
                Ok(PrivateBroker {
                    port,
                    pid,
                    dir: dir.to_path_buf(),
                    stop: Some(stop),
                    keeper: Some(keeper),
                })
            }
            Ok(Err(e)) => {
                let _ = keeper.join();
                Err(e)
            }
            Err(_) => {
                let _ = keeper.join();
                Err(BrokerError::NotReady { port })
            }
        }
    }

    pub fn host(&self) -> &'static str {
        "127.0.0.1"
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Where its config and log are.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for PrivateBroker {
    fn drop(&mut self) {
        drop(self.stop.take());
        // The keeper kills and reaps Mosquitto before it ends.
        if let Some(keeper) = self.keeper.take() {
            let _ = keeper.join();
        }
    }
}

/// The keeper thread: starts Mosquitto, says when it is ready (or why not), then holds it
/// until told to stop and kills and reaps it. Our own child, by its handle: never anyone
/// else's Mosquitto.
fn keep(
    program: &Path,
    config_path: &Path,
    log_path: &Path,
    port: u16,
    started: &mpsc::Sender<Result<u32, BrokerError>>,
    stop: &mpsc::Receiver<()>,
) {
    let mut child = match spawn(program, config_path) {
        Ok(child) => child,
        Err(source) => {
            let _ = started.send(Err(BrokerError::Spawn {
                program: program.to_path_buf(),
                source,
            }));
            return;
        }
    };
    let ready = wait_until_ready(&mut child, port, log_path);
    let ok = ready.is_ok();
    let _ = started.send(ready.map(|()| child.id()));
    if ok {
        // Returns when the sender is dropped: the broker's owner is done with it.
        let _ = stop.recv();
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn spawn(program: &Path, config_path: &Path) -> io::Result<Child> {
    let mut command = Command::new(program);
    command
        .arg("-c")
        .arg(config_path)
        // Mosquitto speaks sd_notify too: only the daemon may tell systemd it is ready.
        .env_remove("NOTIFY_SOCKET")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: getpid(2) has no preconditions.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the closure runs in the forked child before exec and only makes
    // async-signal-safe calls (prctl, getppid); it allocates nothing.
    unsafe {
        command.pre_exec(move || {
            // SIGTERM to Mosquitto when the thread that started it ends, however it ends.
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died before the line above took effect.
            if libc::getppid() != parent {
                return Err(io::Error::other("the daemon ended while starting the broker"));
            }
            Ok(())
        });
    }
    command.spawn()
}

fn wait_until_ready(child: &mut Child, port: u16, log_path: &Path) -> Result<(), BrokerError> {
    let deadline = Instant::now() + READY_WITHIN;
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let log = fs::read_to_string(log_path).unwrap_or_default();
            return Err(BrokerError::Exited {
                status,
                log_path: log_path.to_path_buf(),
                log: log.trim().to_string(),
            });
        }
        if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(BrokerError::NotReady { port });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn find_mosquitto() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("mosquitto"))
            .find(|candidate| candidate.is_file())
    });
    on_path.or_else(|| Some(PathBuf::from(SBIN_MOSQUITTO)).filter(|p| p.is_file()))
}

/// A port nobody listens on right now; the probe socket closes before Mosquitto binds.
fn free_port() -> io::Result<u16> {
    let probe = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(probe.local_addr()?.port())
}

fn config_text(port: u16, log_path: &Path) -> String {
    // `set_tcp_nodelay`: an emergency's small messages must not wait on a client's delayed
    // acknowledgement of the last one (Nagle's algorithm, about 40 ms).
    let mut text = format!(
        "# Written by settingd: a private demo broker, loopback only. Not for a clinic.\n\
         listener {port} 127.0.0.1\n\
         allow_anonymous true\n\
         persistence false\n\
         set_tcp_nodelay true\n\
         log_dest file {}\n",
        log_path.display()
    );
    // Started as root, Mosquitto switches to the `mosquitto` user, which cannot write a log in
    // a directory of ours; staying as whoever started it keeps the log and the port ours.
    // SAFETY: geteuid(2) has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        text.push_str("user root\n");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alive(pid: u32) -> bool {
        // SAFETY: signal 0 only asks whether the process exists.
        unsafe { libc::kill(pid as libc::pid_t, 0) == 0 }
    }

    #[test]
    fn starts_accepts_connections_and_stops_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let broker = PrivateBroker::start(dir.path()).unwrap();
        let pid = broker.pid();
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, broker.port()));
        TcpStream::connect(address).expect("the broker accepts connections");
        let config = fs::read_to_string(dir.path().join("mosquitto.conf")).unwrap();
        assert!(
            config.contains(&format!("listener {} 127.0.0.1", broker.port())),
            "{config}"
        );
        assert!(alive(pid));
        drop(broker);
        // Reaped on drop, so the pid is gone rather than a zombie.
        assert!(!alive(pid), "mosquitto {pid} still runs after drop");
        assert!(TcpStream::connect(address).is_err(), "the port still answers");
    }

    #[test]
    fn two_brokers_get_two_ports() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let first = PrivateBroker::start(a.path()).unwrap();
        let second = PrivateBroker::start(b.path()).unwrap();
        assert_ne!(first.port(), second.port());
    }
}
