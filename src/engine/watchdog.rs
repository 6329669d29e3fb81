//! Talking to systemd (sd_notify): READY once the daemon serves, STATUS when a session starts or
//! ends, STOPPING on shutdown, and the watchdog pings that let systemd restart a hung engine.
//!
//! The pings come from a tick in the engine loop itself, never from a thread of their own: a
//! loop stuck in a request, a file or a device stops pinging, systemd kills and restarts the
//! daemon, and the restarted daemon resumes the session from its state file.

use std::ffi::OsStr;
use std::io;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

use tokio::time::{Interval, MissedTickBehavior};

use crate::error_text::error_chain;

/// One notification; systemd reads a datagram of `KEY=value` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Ready,
    Stopping,
    Watchdog,
    Status(String),
}

impl Message {
    pub fn datagram(&self) -> String {
        match self {
            Message::Ready => "READY=1".into(),
            Message::Stopping => "STOPPING=1".into(),
            Message::Watchdog => "WATCHDOG=1".into(),
            // A newline would start another assignment, which systemd would then obey.
            Message::Status(text) => format!("STATUS={}", text.replace(['\n', '\r'], " ")),
        }
    }
}

/// Why the environment systemd gave us cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("NOTIFY_SOCKET `{0}` is neither an absolute path nor an abstract socket (`@name`)")]
    Socket(String),
    #[error("cannot use NOTIFY_SOCKET `{value}` as a socket address")]
    Address { value: String, source: io::Error },
    #[error("WATCHDOG_USEC `{0}` is not a positive number of microseconds")]
    Usec(String),
    #[error("WATCHDOG_PID `{0}` is not a process id")]
    Pid(String),
    #[error("cannot open a datagram socket to notify systemd")]
    Open(#[source] io::Error),
}

/// The address in `NOTIFY_SOCKET`: a path, or an abstract socket when it starts with `@`.
pub fn notify_address(value: &OsStr) -> Result<SocketAddr, NotifyError> {
    let bytes = value.as_bytes();
    let shown = || value.to_string_lossy().into_owned();
    let address = match bytes.first() {
        Some(b'/') => SocketAddr::from_pathname(value),
        Some(b'@') => SocketAddr::from_abstract_name(&bytes[1..]),
        _ => return Err(NotifyError::Socket(shown())),
    };
    address.map_err(|source| NotifyError::Address {
        value: shown(),
        source,
    })
}

/// How often to ping, from `WATCHDOG_USEC` and `WATCHDOG_PID`: half the timeout systemd
/// allows, as sd_watchdog_enabled(3) advises, so one late tick does not get us killed. `None`
/// when there is no watchdog, or it is meant for another process (a parent that started us).
pub fn watchdog_interval(
    usec: Option<&str>,
    pid: Option<&str>,
    our_pid: u32,
) -> Result<Option<Duration>, NotifyError> {
    let Some(usec) = usec else { return Ok(None) };
    if let Some(pid) = pid {
        let pid: u32 = pid.trim().parse().map_err(|_| NotifyError::Pid(pid.into()))?;
        if pid != our_pid {
            return Ok(None);
        }
    }
    match usec.trim().parse::<u64>() {
        Ok(micros) if micros > 0 => Ok(Some(Duration::from_micros(micros) / 2)),
        _ => Err(NotifyError::Usec(usec.into())),
    }
}

/// The engine's line to systemd; does nothing when not started by systemd (no `NOTIFY_SOCKET`).
pub struct Notifier {
    target: Option<(UnixDatagram, SocketAddr)>,
    watchdog: Option<Interval>,
    /// The session the last STATUS named, so that only a change is sent.
    shown_session: Option<Option<String>>,
    /// Set after a send fails, so a gone systemd is logged once, not at every ping.
    failing: bool,
}

impl Notifier {
    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID`. Must be called inside the
    /// runtime, since the watchdog's interval is a tokio timer.
    pub fn from_env() -> Notifier {
        let mut notifier = Notifier {
            target: None,
            watchdog: None,
            shown_session: None,
            failing: false,
        };
        let Some(socket) = std::env::var_os("NOTIFY_SOCKET") else {
            return notifier;
        };
        notifier.target = match notify_address(&socket).and_then(|address| Ok((open()?, address))) {
            Ok(target) => Some(target),
            Err(e) => {
                tracing::error!(error = %error_chain(&e), "cannot talk to systemd; no readiness or watchdog");
                return notifier;
            }
        };
        let usec = std::env::var("WATCHDOG_USEC").ok();
        let pid = std::env::var("WATCHDOG_PID").ok();
        match watchdog_interval(usec.as_deref(), pid.as_deref(), std::process::id()) {
            Ok(Some(every)) => {
                tracing::info!(every = ?every, "systemd watchdog: the engine loop pings it");
                let mut interval = tokio::time::interval(every);
                // After a stall, one ping says we are back; a burst of them would say nothing more.
                interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
                notifier.watchdog = Some(interval);
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %error_chain(&e), "systemd watchdog left off"),
        }
        notifier
    }

    /// Completes when the next watchdog ping is due; never when there is no watchdog.
    pub async fn tick(&mut self) {
        match &mut self.watchdog {
            Some(interval) => {
                interval.tick().await;
            }
            None => std::future::pending().await,
        }
    }

    pub fn ping(&mut self) {
        self.send(&Message::Watchdog);
    }

    pub fn ready(&mut self) {
        self.send(&Message::Ready);
    }

    pub fn stopping(&mut self) {
        self.send(&Message::Stopping);
    }

    /// Tells systemd which session runs, when that changed since the last call. Cheap enough for
    /// every turn of the loop: a comparison, and a datagram only on a change.
    pub fn session(&mut self, session: Option<&str>) {
        if self.target.is_none()
            || self
                .shown_session
                .as_ref()
                .is_some_and(|s| s.as_deref() == session)
        {
            return;
        }
        self.shown_session = Some(session.map(str::to_owned));
        self.send(&Message::Status(status_text(session)));
    }

    fn send(&mut self, message: &Message) {
        let Some((socket, address)) = &self.target else {
            return;
        };
        match socket.send_to_addr(message.datagram().as_bytes(), address) {
            Ok(_) => self.failing = false,
            Err(e) if !self.failing => {
                self.failing = true;
                tracing::warn!(error = %error_chain(&e), message = %message.datagram(), "cannot notify systemd");
            }
            Err(_) => {}
        }
    }
}

/// The line `systemctl status settingd` shows.
pub fn status_text(session: Option<&str>) -> String {
    match session {
        Some(id) => format!("session {id} running"),
        None => "idle: no session".into(),
    }
}

/// An unbound socket that never blocks the engine: if systemd's queue is full, that
/// notification is dropped rather than the loop held up.
fn open() -> Result<UnixDatagram, NotifyError> {
    let socket = UnixDatagram::unbound().map_err(NotifyError::Open)?;
    socket.set_nonblocking(true).map_err(NotifyError::Open)?;
    Ok(socket)
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;
    use std::os::unix::net::UnixDatagram;
    use std::time::Duration;

    use super::*;

    #[test]
    fn messages_are_the_assignments_systemd_reads() {
        assert_eq!(Message::Ready.datagram(), "READY=1");
        assert_eq!(Message::Stopping.datagram(), "STOPPING=1");
        assert_eq!(Message::Watchdog.datagram(), "WATCHDOG=1");
        assert_eq!(Message::Status("idle".into()).datagram(), "STATUS=idle");
    }

    #[test]
    fn a_status_cannot_smuggle_in_another_assignment() {
        let datagram = Message::Status("session x\nWATCHDOG=trigger\r".into()).datagram();
        assert_eq!(datagram.lines().count(), 1, "{datagram:?}");
        assert!(datagram.starts_with("STATUS=session x "));
    }

    #[test]
    fn the_watchdog_is_pinged_at_half_its_timeout() {
        let every = watchdog_interval(Some("10000000"), None, 42).unwrap();
        assert_eq!(every, Some(Duration::from_secs(5)));
        let every = watchdog_interval(Some(" 200000\n"), Some("42"), 42).unwrap();
        assert_eq!(every, Some(Duration::from_millis(100)));
    }

    #[test]
    fn no_watchdog_without_watchdog_usec() {
        assert_eq!(watchdog_interval(None, None, 42).unwrap(), None);
        assert_eq!(watchdog_interval(None, Some("42"), 42).unwrap(), None);
    }

    #[test]
    fn a_watchdog_meant_for_another_process_is_not_ours_to_ping() {
        assert_eq!(watchdog_interval(Some("200000"), Some("41"), 42).unwrap(), None);
    }

    #[test]
    fn a_bad_watchdog_environment_is_an_error_not_a_guess() {
        for usec in ["", "0", "-5", "5s", "1.5"] {
            let result = watchdog_interval(Some(usec), None, 42);
            assert!(
                matches!(result, Err(NotifyError::Usec(_))),
                "{usec:?}: {result:?}"
            );
        }
        let result = watchdog_interval(Some("200000"), Some("me"), 42);
        assert!(matches!(result, Err(NotifyError::Pid(_))), "{result:?}");
    }

    #[test]
    fn notify_socket_is_a_path_or_an_abstract_name() {
        let path = notify_address(OsStr::new("/run/systemd/notify")).unwrap();
        assert_eq!(
            path.as_pathname(),
            Some(std::path::Path::new("/run/systemd/notify"))
        );
        let abstract_name = notify_address(OsStr::new("@/org/freedesktop/systemd1/notify/1")).unwrap();
        assert_eq!(
            abstract_name.as_abstract_name(),
            Some(&b"/org/freedesktop/systemd1/notify/1"[..])
        );
        for bad in ["", "relative/notify", "vsock:2:1234"] {
            let result = notify_address(OsStr::new(bad));
            assert!(
                matches!(result, Err(NotifyError::Socket(_))),
                "{bad:?}: {result:?}"
            );
        }
        // Longer than sun_path holds.
        let too_long = format!("/{}", "x".repeat(200));
        let result = notify_address(OsStr::new(&too_long));
        assert!(matches!(result, Err(NotifyError::Address { .. })), "{result:?}");
    }

    /// A notifier aimed at `address`, as `from_env` builds it, without touching the
    /// process's environment (other tests run in parallel in this process).
    fn notifier_to(address: SocketAddr) -> Notifier {
        Notifier {
            target: Some((open().unwrap(), address)),
            watchdog: None,
            shown_session: None,
            failing: false,
        }
    }

    fn received(socket: &UnixDatagram) -> Vec<String> {
        socket.set_nonblocking(true).unwrap();
        let mut buffer = [0u8; 512];
        let mut messages = Vec::new();
        while let Ok(n) = socket.recv(&mut buffer) {
            messages.push(String::from_utf8_lossy(&buffer[..n]).into_owned());
        }
        messages
    }

    #[test]
    fn datagrams_reach_an_abstract_socket() {
        let name = format!("setting-watchdog-test-{}", std::process::id());
        let listener = UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(&name).unwrap()).unwrap();
        let mut notifier = notifier_to(notify_address(OsStr::new(&format!("@{name}"))).unwrap());
        notifier.ready();
        notifier.ping();
        notifier.stopping();
        assert_eq!(received(&listener), ["READY=1", "WATCHDOG=1", "STOPPING=1"]);
    }

    #[test]
    fn status_is_sent_only_when_the_session_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path).unwrap();
        let mut notifier = notifier_to(notify_address(path.as_os_str()).unwrap());
        notifier.session(None);
        notifier.session(None);
        notifier.session(Some("2026-11-26-sublingual"));
        notifier.session(Some("2026-11-26-sublingual"));
        notifier.session(None);
        assert_eq!(
            received(&listener),
            [
                "STATUS=idle: no session",
                "STATUS=session 2026-11-26-sublingual running",
                "STATUS=idle: no session"
            ]
        );
    }

    #[test]
    fn a_missing_systemd_does_not_stop_the_engine() {
        let dir = tempfile::tempdir().unwrap();
        let mut notifier = notifier_to(notify_address(dir.path().join("gone").as_os_str()).unwrap());
        notifier.ready();
        notifier.ping();
        assert!(notifier.failing);
    }
}
