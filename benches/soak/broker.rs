//! A real Mosquitto for the soak: anonymous (the simulated bulbs log in without credentials),
//! no persistence, on a free loopback port that it keeps across restarts; killed by its PID.

use std::fs::{self, File};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const MOSQUITTO: &str = "/usr/sbin/mosquitto";
const READY_WITHIN: Duration = Duration::from_secs(10);

pub struct Broker {
    port: u16,
    config: PathBuf,
    log: PathBuf,
    child: Option<Child>,
    restarts: u32,
}

impl Broker {
    /// Writes the config into `dir` and starts the broker.
    pub fn start(dir: &Path) -> Broker {
        let port = free_port();
        // Started as root, Mosquitto drops to the `mosquitto` user, which cannot read a
        // private temp dir: keep it as whoever runs the bench.
        // SAFETY: getuid(2) has no preconditions.
        let user = if unsafe { libc::getuid() } == 0 {
            "user root\n"
        } else {
            ""
        };
        let config = dir.join("mosquitto.conf");
        let text = format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n{user}"
        );
        fs::write(&config, text).expect("mosquitto.conf");
        let mut broker = Broker {
            port,
            config,
            log: dir.join("mosquitto.log"),
            child: None,
            restarts: 0,
        };
        broker.launch();
        broker
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn is_up(&self) -> bool {
        self.child.is_some()
    }

    pub fn restarts(&self) -> u32 {
        self.restarts
    }

    fn launch(&mut self) {
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("mosquitto log");
        let child = Command::new(MOSQUITTO)
            .arg("-c")
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("cannot run /usr/sbin/mosquitto (apt-get install mosquitto)");
        self.child = Some(child);
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = Instant::now() + READY_WITHIN;
        while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().expect("try_wait")) {
                panic!("mosquitto exited at start-up ({status}):\n{}", self.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "mosquitto did not listen on {address} within {READY_WITHIN:?}"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL, as a crash of the broker host would: no goodbyes to its clients.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, remembering nothing (no persistence, no retained).
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
        self.restarts += 1;
    }

    fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}
