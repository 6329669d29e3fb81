//! Talking to systemd (sd_notify): READY once the daemon serves, STATUS when a session starts or
//! ends, STOPPING on shutdown, and the watchdog pings that let systemd restart a hung engine.
//!
//! The pings come from a tick in the engine loop itself, never from a thread of their own: a
//! loop stuck in a request, a file or a device stops pinging, systemd kills and restarts the
//! daemon, and the restarted daemon resumes the session from its state file.
//!
//! The datagrams and their delivery are the `sd-notify` crate's. Like libsystemd's own
//! sd_notify, it sends on a blocking socket: a send waits only while systemd is not reading its
//! queue, and a systemd that stopped reading for good could not restart us anyway. It reaches
//! the socket by path (`/run/systemd/notify`), as systemd names it; the abstract `@name` form
//! is refused at start-up, saying so.

use std::io;
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

use sd_notify::NotifyState;
use tokio::time::{Interval, MissedTickBehavior};

use crate::error_text::error_chain;

/// Why the watchdog variables systemd gave us cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum WatchdogError {
    #[error("WATCHDOG_USEC `{0}` is not a positive number of microseconds")]
    Usec(String),
    #[error("WATCHDOG_PID `{0}` is not a process id")]
    Pid(String),
}

/// How often to ping, from `WATCHDOG_USEC` and `WATCHDOG_PID`: half the timeout systemd
/// allows, as sd_watchdog_enabled(3) advises, so one late tick does not get us killed. `None`
/// when there is no watchdog, or it is meant for another process (a parent that started us).
///
/// Not `sd_notify::watchdog_enabled`: that takes a malformed value for no watchdog, silently,
/// and `0` for a watchdog due at once, which no interval can keep.
pub fn watchdog_interval(
    usec: Option<&str>,
    pid: Option<&str>,
    our_pid: u32,
) -> Result<Option<Duration>, WatchdogError> {
    let Some(usec) = usec else { return Ok(None) };
    if let Some(pid) = pid {
        let pid: u32 = pid.trim().parse().map_err(|_| WatchdogError::Pid(pid.into()))?;
        if pid != our_pid {
            return Ok(None);
        }
    }
    match usec.trim().parse::<u64>() {
        Ok(micros) if micros > 0 => Ok(Some(Duration::from_micros(micros) / 2)),
        _ => Err(WatchdogError::Usec(usec.into())),
    }
}

/// Hands notifications to systemd: `sd_notify::notify` in the daemon, a recorder in the tests
/// (which cannot point the process-wide `NOTIFY_SOCKET` at a socket of their own).
type Deliver = Box<dyn FnMut(&NotifyState<'_>) -> io::Result<()> + Send>;

/// The engine's line to systemd; does nothing when not started by systemd (no `NOTIFY_SOCKET`).
pub struct Notifier {
    deliver: Option<Deliver>,
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
        let mut notifier = Notifier::silent();
        let Some(socket) = std::env::var_os("NOTIFY_SOCKET") else {
            return notifier;
        };
        if !socket.as_bytes().starts_with(b"/") {
            tracing::error!(
                socket = %socket.to_string_lossy(),
                "NOTIFY_SOCKET is not an absolute path (an abstract socket?); no readiness or watchdog"
            );
            return notifier;
        }
        notifier.deliver = Some(Box::new(|state| sd_notify::notify(std::slice::from_ref(state))));
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

    fn silent() -> Notifier {
        Notifier {
            deliver: None,
            watchdog: None,
            shown_session: None,
            failing: false,
        }
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
        self.send(&NotifyState::Watchdog);
    }

    pub fn ready(&mut self) {
        self.send(&NotifyState::Ready);
    }

    pub fn stopping(&mut self) {
        self.send(&NotifyState::Stopping);
    }

    /// Tells systemd which session runs, when that changed since the last call. Cheap enough for
    /// every turn of the loop: a comparison, and a datagram only on a change.
    pub fn session(&mut self, session: Option<&str>) {
        if self.deliver.is_none()
            || self
                .shown_session
                .as_ref()
                .is_some_and(|s| s.as_deref() == session)
        {
            return;
        }
        self.shown_session = Some(session.map(str::to_owned));
        self.send(&NotifyState::Status(&status_text(session)));
    }

    fn send(&mut self, state: &NotifyState<'_>) {
        let Some(deliver) = &mut self.deliver else {
            return;
        };
        match deliver(state) {
            Ok(()) => self.failing = false,
            Err(e) if !self.failing => {
                self.failing = true;
                tracing::warn!(error = %error_chain(&e), message = %state, "cannot notify systemd");
            }
            Err(_) => {}
        }
    }
}

/// The line `systemctl status settingd` shows. On one line: a line break in a STATUS would
/// start another assignment, which systemd would then obey.
pub fn status_text(session: Option<&str>) -> String {
    match session {
        Some(id) => format!("session {} running", id.replace(['\n', '\r'], " ")),
        None => "idle: no session".into(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_status_cannot_smuggle_in_another_assignment() {
        let text = status_text(Some("x\nWATCHDOG=trigger\r"));
        let datagram = NotifyState::Status(&text).to_string();
        assert_eq!(datagram.lines().count(), 1, "{datagram:?}");
        assert!(datagram.starts_with("STATUS=session x "), "{datagram:?}");
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
                matches!(result, Err(WatchdogError::Usec(_))),
                "{usec:?}: {result:?}"
            );
        }
        let result = watchdog_interval(Some("200000"), Some("me"), 42);
        assert!(matches!(result, Err(WatchdogError::Pid(_))), "{result:?}");
    }

    /// Plays systemd for a notifier: keeps what reaches it, or refuses it while `gone`.
    #[derive(Clone, Default)]
    struct FakeSystemd {
        sent: Arc<Mutex<Vec<String>>>,
        gone: Arc<AtomicBool>,
    }

    impl FakeSystemd {
        fn notifier(&self) -> Notifier {
            let systemd = self.clone();
            let mut notifier = Notifier::silent();
            notifier.deliver = Some(Box::new(move |state| {
                if systemd.gone.load(Ordering::SeqCst) {
                    return Err(io::Error::from(io::ErrorKind::NotFound));
                }
                systemd.sent.lock().unwrap().push(state.to_string());
                Ok(())
            }));
            notifier
        }

        fn sent(&self) -> Vec<String> {
            self.sent.lock().unwrap().clone()
        }
    }

    #[test]
    fn readiness_pings_and_stopping_go_out_in_order() {
        let systemd = FakeSystemd::default();
        let mut notifier = systemd.notifier();
        notifier.ready();
        notifier.ping();
        notifier.stopping();
        assert_eq!(systemd.sent(), ["READY=1", "WATCHDOG=1", "STOPPING=1"]);
    }

    #[test]
    fn status_is_sent_only_when_the_session_changes() {
        let systemd = FakeSystemd::default();
        let mut notifier = systemd.notifier();
        notifier.session(None);
        notifier.session(None);
        notifier.session(Some("2026-11-26-sublingual"));
        notifier.session(Some("2026-11-26-sublingual"));
        notifier.session(None);
        assert_eq!(
            systemd.sent(),
            [
                "STATUS=idle: no session",
                "STATUS=session 2026-11-26-sublingual running",
                "STATUS=idle: no session"
            ]
        );
    }

    #[test]
    fn a_missing_systemd_does_not_stop_the_engine() {
        let systemd = FakeSystemd::default();
        let mut notifier = systemd.notifier();
        systemd.gone.store(true, Ordering::SeqCst);
        notifier.ready();
        notifier.ping();
        assert!(notifier.failing);
        systemd.gone.store(false, Ordering::SeqCst);
        notifier.ping();
        assert!(!notifier.failing, "a systemd that is back clears the failure");
        assert_eq!(systemd.sent(), ["WATCHDOG=1"]);
    }

    #[test]
    fn without_systemd_nothing_is_sent() {
        let mut notifier = Notifier::silent();
        notifier.ready();
        notifier.session(Some("2026-11-26-sublingual"));
        assert!(!notifier.failing);
        assert_eq!(notifier.shown_session, None);
    }
}
