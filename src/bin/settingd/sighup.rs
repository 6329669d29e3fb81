//! SIGHUP: reload the config, scenes and playlists, the same way `setting reload` does.

use anyhow::{Context, Result};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use setting::timeline::{Source, Via};

/// From now on each SIGHUP asks the engine for a reload, which it checks and logs as it does
/// `setting reload`'s, and records as the signal's (`signal (SIGHUP)`), not as a socket
/// client's. Listening also stops SIGHUP's default action, which would kill the daemon
/// mid-session, so this is called before anything slow.
pub fn reloads_on_sighup() -> Result<mpsc::Receiver<Source>> {
    let mut hangup = signal(SignalKind::hangup()).context("cannot listen for SIGHUP")?;
    // Signals that come while a reload is under way fold into one: a second reload of the
    // same files would find nothing new.
    let (reloads, asked) = mpsc::channel(1);
    tokio::spawn(async move {
        while hangup.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading the config, scenes and playlists");
            let source = Source {
                via: Via::Signal,
                who: Some("SIGHUP".into()),
            };
            if reloads.try_send(source).is_err() && reloads.is_closed() {
                return;
            }
        }
    });
    Ok(asked)
}
