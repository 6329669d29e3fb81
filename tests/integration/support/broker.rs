//! A real Mosquitto for tests: on a free loopback port, with its own temporary config, password
//! file and ACL, no persistence; stopped, restarted on the same port, and killed (that process
//! only) when the test ends. Plus [`Spy`], a client that records everything it sees.
//!
//! ```ignore
//! let broker = Broker::builder().user("room-1", "pw").acl("user room-1\ntopic readwrite #").start();
//! let spy = Spy::connect(&broker, "zigbee2mqtt/#");
//! ```

use std::fs::{self, File};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rumqttc::{Client, Event, MqttOptions, Packet, QoS};
use tempfile::TempDir;

const MOSQUITTO: &str = "/usr/sbin/mosquitto";
const READY_WITHIN: Duration = Duration::from_secs(10);
/// The user every harness broker has for [`Spy`] and for tests that play a device: it may
/// read and write everything.
pub const OBSERVER: (&str, &str) = ("observer", "observer-password");
/// The dynamic security plugin's administrator, for [`Broker::dynsec`].
const DYNSEC_ADMIN: (&str, &str) = ("dynsec-admin", "dynsec-admin-password");

#[derive(Clone, Debug, Default)]
pub struct BrokerBuilder {
    users: Vec<(String, String)>,
    acl: String,
    tls: bool,
    dynamic_security: bool,
}

impl BrokerBuilder {
    /// A user with this password (written with `mosquitto_passwd`).
    pub fn user(mut self, name: &str, password: &str) -> BrokerBuilder {
        self.users.push((name.into(), password.into()));
        self
    }

    /// Lines for the ACL file (`user NAME`, `topic [read|write|readwrite] FILTER`, `pattern ...`).
    pub fn acl(mut self, lines: &str) -> BrokerBuilder {
        self.acl.push_str(lines);
        self.acl.push('\n');
        self
    }

    /// TLS only, with a certificate for 127.0.0.1 from a fresh CA ([`Broker::ca`]) made
    /// with `openssl`.
    pub fn tls(mut self) -> BrokerBuilder {
        self.tls = true;
        self
    }

    /// Accounts and access through Mosquitto's dynamic security plugin instead of a password
    /// file and an ACL file: every account has the role `everything` (publish and subscribe
    /// to `#`) until the test narrows it with [`Broker::dynsec`] and a role of higher priority.
    /// Unlike the ACL file, the plugin refuses a subscription outright.
    pub fn dynamic_security(mut self) -> BrokerBuilder {
        self.dynamic_security = true;
        self
    }

    pub fn start(self) -> Broker {
        if self.dynamic_security {
            return self.start_with_dynamic_security();
        }
        let dir = tempfile::Builder::new()
            .prefix("mosquitto-test-")
            .tempdir()
            .expect("temp dir");
        let passwords = dir.path().join("passwords");
        let mut users = self.users.clone();
        users.push((OBSERVER.0.into(), OBSERVER.1.into()));
        for (i, (name, password)) in users.iter().enumerate() {
            let mut command = Command::new("mosquitto_passwd");
            if i == 0 {
                command.arg("-c");
            }
            let status = command
                .arg("-b")
                .arg(&passwords)
                .arg(name)
                .arg(password)
                .stdout(Stdio::null())
                .status()
                .expect("cannot run mosquitto_passwd");
            assert!(status.success(), "mosquitto_passwd failed for {name}");
        }
        let acl = dir.path().join("acl");
        let observer = format!("user {}\ntopic readwrite #\n\n", OBSERVER.0);
        fs::write(&acl, format!("{observer}{}", self.acl)).expect("acl file");
        let mut broker = Broker::in_dir(dir);
        let user = run_as();
        let tls = if self.tls {
            tls_files(broker.dir.path())
        } else {
            String::new()
        };
        let text = format!(
            "listener {port} 127.0.0.1\n{tls}allow_anonymous false\npassword_file {pw}\nacl_file {acl}\n\
             persistence false\nlog_dest stderr\nlog_type all\n{user}",
            port = broker.port,
            pw = passwords.display(),
            acl = acl.display(),
        );
        fs::write(&broker.config, text).expect("mosquitto.conf");
        broker.launch();
        broker
    }
}

impl BrokerBuilder {
    fn start_with_dynamic_security(self) -> Broker {
        assert!(
            self.acl.is_empty(),
            "dynamic security takes no ACL file: use Broker::dynsec"
        );
        assert!(!self.tls, "dynamic security is not set up with TLS here");
        let dir = tempfile::Builder::new()
            .prefix("mosquitto-test-")
            .tempdir()
            .expect("temp dir");
        let state = dir.path().join("dynamic-security.json");
        let status = Command::new("mosquitto_ctrl")
            .args(["dynsec", "init"])
            .arg(&state)
            .args([DYNSEC_ADMIN.0, DYNSEC_ADMIN.1])
            .stdout(Stdio::null())
            .status()
            .expect("cannot run mosquitto_ctrl");
        assert!(status.success(), "mosquitto_ctrl dynsec init failed");
        let mut broker = Broker::in_dir(dir);
        let user = run_as();
        let text = format!(
            "listener {port} 127.0.0.1\nallow_anonymous false\nplugin {plugin}\nplugin_opt_config_file {state}\n\
             persistence false\nlog_dest stderr\nlog_type all\n{user}",
            port = broker.port,
            plugin = dynsec_plugin().display(),
            state = state.display(),
        );
        fs::write(&broker.config, text).expect("mosquitto.conf");
        broker.launch();
        // A role rather than the default access, which the plugin does not apply to clients
        // created later here.
        broker.dynsec(&["createRole", "everything"]);
        for acl in ["publishClientSend", "subscribePattern"] {
            broker.dynsec(&["addRoleACL", "everything", acl, "#", "allow"]);
        }
        let mut users = self.users.clone();
        users.push((OBSERVER.0.into(), OBSERVER.1.into()));
        for (name, password) in &users {
            broker.dynsec(&["createClient", name, "-p", password]);
            broker.dynsec(&["addClientRole", name, "everything"]);
        }
        broker
    }
}

/// The config line that keeps Mosquitto running as whoever runs the tests: started as root it
/// would drop to the `mosquitto` user, which cannot read a private temp dir.
fn run_as() -> &'static str {
    // SAFETY: getuid(2) has no preconditions.
    if unsafe { libc::getuid() } == 0 {
        "user root\n"
    } else {
        ""
    }
}

/// A running (or stopped) Mosquitto and its temporary directory.
pub struct Broker {
    port: u16,
    child: Option<Child>,
    config: PathBuf,
    log: PathBuf,
    dir: TempDir,
}

impl Broker {
    pub fn builder() -> BrokerBuilder {
        BrokerBuilder::default()
    }

    /// Not started yet: a free port, its config and log in `dir`.
    fn in_dir(dir: TempDir) -> Broker {
        Broker {
            port: free_port(),
            child: None,
            config: dir.path().join("mosquitto.conf"),
            log: dir.path().join("mosquitto.log"),
            dir,
        }
    }

    pub fn host(&self) -> &'static str {
        "127.0.0.1"
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// The CA that signed a TLS broker's certificate.
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    fn launch(&mut self) {
        assert!(self.child.is_none(), "mosquitto already running");
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
        loop {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().expect("try_wait")) {
                panic!("mosquitto exited at start-up ({status}):\n{}", self.log_text());
            }
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "mosquitto did not listen on {address} within {READY_WITHIN:?}:\n{}",
                self.log_text()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills it (as a crash would: no clean goodbyes to clients).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, with nothing remembered (no persistence).
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    /// One `mosquitto_ctrl dynsec` command on a broker started with
    /// [`BrokerBuilder::dynamic_security`], e.g. `["addRoleACL", "deaf", "subscribePattern",
    /// "replies/#", "deny"]`.
    pub fn dynsec(&self, args: &[&str]) {
        let output = Command::new("mosquitto_ctrl")
            .args(["-h", self.host(), "-p", &self.port.to_string()])
            .args(["-u", DYNSEC_ADMIN.0, "-P", DYNSEC_ADMIN.1, "dynsec"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("cannot run mosquitto_ctrl");
        assert!(
            output.status.success(),
            "mosquitto_ctrl dynsec {args:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
        if thread::panicking() {
            eprintln!("--- mosquitto log ---\n{}", self.log_text());
        }
    }
}

/// A CA and a server certificate for 127.0.0.1 signed by it; the listener's config lines.
fn tls_files(dir: &std::path::Path) -> String {
    let openssl = |args: &[&str]| {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .expect("cannot run openssl");
        assert!(
            output.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=setting test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").expect("san.ext");
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "server.pem",
    ]);
    format!(
        "cafile {}\ncertfile {}\nkeyfile {}\n",
        dir.join("ca.pem").display(),
        dir.join("server.pem").display(),
        dir.join("server.key").display()
    )
}

/// Where Debian's mosquitto package puts the plugin: under the machine's multiarch directory.
fn dynsec_plugin() -> PathBuf {
    const NAME: &str = "mosquitto_dynamic_security.so";
    let lib = std::path::Path::new("/usr/lib");
    fs::read_dir(lib)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join(NAME))
        .chain([lib.join(NAME)])
        .find(|path| path.exists())
        .unwrap_or_else(|| panic!("no {NAME} under /usr/lib (apt-get install mosquitto)"))
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}

/// One message a [`Spy`] saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub topic: String,
    pub payload: String,
    pub retain: bool,
    pub at: Instant,
}

/// A client (as [`OBSERVER`]) that subscribes to a filter and records every message.
pub struct Spy {
    client: Client,
    seen: Arc<Mutex<Vec<Seen>>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Spy {
    pub fn connect(broker: &Broker, filter: &str) -> Spy {
        static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut options = MqttOptions::new(
            format!("spy-{}-{n}", std::process::id()),
            broker.host(),
            broker.port(),
        );
        options.set_credentials(OBSERVER.0, OBSERVER.1);
        options.set_keep_alive(Duration::from_secs(5));
        // A device may send more than rumqttc's default 10 KiB; so may a test playing one.
        options.set_max_packet_size(1 << 20, 1 << 20);
        let (client, mut connection) = Client::new(options, 64);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let record = Arc::clone(&seen);
        let thread = thread::spawn(move || {
            for event in connection.iter() {
                match event {
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        let _ = ready_tx.send(());
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => record.lock().unwrap().push(Seen {
                        topic: p.topic.clone(),
                        payload: String::from_utf8_lossy(&p.payload).into_owned(),
                        retain: p.retain,
                        at: Instant::now(),
                    }),
                    Ok(_) => {}
                    // Stopped (disconnect) or the broker went away: a spy does not reconnect.
                    Err(_) => break,
                }
            }
        });
        client.subscribe(filter, QoS::AtLeastOnce).expect("subscribe");
        ready_rx
            .recv_timeout(READY_WITHIN)
            .unwrap_or_else(|_| panic!("the spy got no SUBACK for {filter}:\n{}", broker.log_text()));
        Spy {
            client,
            seen,
            thread: Some(thread),
        }
    }

    /// Everything seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// What was seen on `topic`.
    pub fn on(&self, topic: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.topic == topic).collect()
    }

    /// Forgets what was seen so far.
    pub fn clear(&self) {
        self.seen.lock().unwrap().clear();
    }

    /// Waits up to `within` for a message matching `check`; `None` if none came.
    pub fn wait_for(&self, within: Duration, check: impl Fn(&Seen) -> bool) -> Option<Seen> {
        super::eventually(within, || self.seen().into_iter().find(|s| check(s)))
    }

    /// Publishes as [`OBSERVER`] (a device's state or availability, say).
    pub fn publish(&self, topic: &str, payload: &str, retain: bool) {
        self.client
            .publish(topic, QoS::AtLeastOnce, retain, payload.as_bytes().to_vec())
            .expect("publish");
    }
}

impl Drop for Spy {
    fn drop(&mut self) {
        // Not joined: a spy whose broker is gone may wait out its own reconnect attempt.
        let _ = self.client.disconnect();
        drop(self.thread.take());
    }
}
