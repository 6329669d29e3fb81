//! The daemon's engine: the one place that meets the outside world. A single loop waits for
//! the next deadline of the timeline core or of the room core (the heartbeat, the lights
//! test's steps), a control request (emergencies first) or a device event; it feeds the cores
//! and carries out the actions they return, recording and saving every change before answering.
//!
//! - [`clock`]: session time from the monotonic clock, at rehearsal speed, without drift.
//! - [`persist`] and [`event_log`]: the state file that survives a crash, and the per-session
//!   append-only log ([`history`] lists and reads them).
//! - [`socket`], [`server`], [`line`] and [`control`]: the control socket and the channels to
//!   the loop; `session`, `dispatch` and `requests`: the loop's state and how it answers.
//! - `watchdog`: readiness, status and watchdog pings to systemd, from the loop itself.

mod clinical;
pub mod clock;
mod dispatch;
pub mod event_log;
pub mod history;
mod lights_requests;
mod line;
mod log_file;
pub mod marker;
pub mod marker_spool;
pub mod peer;
pub mod persist;
mod reload;
mod requests;
mod server;
mod session;
pub mod socket;
pub mod taken_over;
mod watchdog;

use std::future::Future;
use std::path::PathBuf;

use tokio::net::UnixListener;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::audio::AudioOutput;
use crate::config::Config;
use crate::control;
use crate::lights::LightOutput;
use crate::time::Millis;
use crate::timeline::{DeviceEvent, Source};

pub use clinical::NO_SESSION_FOR_RECORD;
pub use control::EngineHandle;
pub use reload::ReloadRefused;
pub use requests::NO_SESSION;
pub use socket::{SocketError, bind_socket};

/// What the engine runs with. The socket, state directory and speed start from the config and
/// may be overridden on the command line, so tests and several rooms can be kept apart.
pub struct EngineOptions {
    pub config: Config,
    pub socket: PathBuf,
    pub state_dir: PathBuf,
    /// Session seconds per real second: 1 for a session, more for a rehearsal.
    pub speed: f64,
    /// `--mqtt HOST:PORT`, applied again to the config a `reload` reads.
    pub broker_override: Option<(String, u16)>,
    /// The direct emergencies taken over in earlier runs, read once at start-up for the engine
    /// and the lights task alike ([`taken_over::TakenOver::load_or_empty`]).
    pub taken_over: taken_over::TakenOver,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("speed must be a positive number, not {0}")]
    Speed(f64),
    #[error("cannot create the state directory {path}")]
    StateDir { path: PathBuf, source: std::io::Error },
}

/// Runs the daemon until `shutdown` completes, serving requests on `listener` and driving
/// `audio` and `lights`; `devices` carries what the adapters report back, and `reloads` the
/// reloads asked for other than over the socket (SIGHUP), each with who asked.
///
/// A session found in the state directory is resumed first. On shutdown the music fades out
/// and the session is saved, so the next run picks it up.
pub async fn run(
    options: EngineOptions,
    listener: UnixListener,
    audio: Box<dyn AudioOutput>,
    lights: Box<dyn LightOutput>,
    mut devices: mpsc::Receiver<DeviceEvent>,
    mut reloads: mpsc::Receiver<Source>,
    shutdown: impl Future,
) -> Result<(), EngineError> {
    if !(options.speed.is_finite() && options.speed > 0.0) {
        return Err(EngineError::Speed(options.speed));
    }
    std::fs::create_dir_all(&options.state_dir).map_err(|source| EngineError::StateDir {
        path: options.state_dir.clone(),
        source,
    })?;

    let (handle, queues) = control::channels(&options.config);
    let control::EngineQueues {
        mut normal,
        mut urgent,
        config: config_updates,
    } = queues;
    let remote = crate::remote::spawn(&options.config, handle.clone());
    let buttons = crate::buttons::spawn(&options.config, handle.clone());
    let mut engine = session::Engine::new(options, audio, lights, handle.log_sender(), config_updates);
    engine.recover();
    let server = tokio::spawn(server::serve(listener, handle));
    tracing::info!(room = %engine.options.config.room.name, speed = engine.options.speed, "settingd ready");
    let mut systemd = watchdog::Notifier::from_env();
    systemd.ready();

    tokio::pin!(shutdown);
    loop {
        let deadline = engine.next_deadline();
        tokio::select! {
            biased;
            Some(request) = urgent.recv() => engine.handle(request),
            _ = &mut shutdown => break,
            // Ahead of the client queue, so a flood of requests (a busy loop, not a hung one)
            // cannot starve the pings and get the daemon restarted.
            _ = systemd.tick() => systemd.ping(),
            Some(request) = normal.recv() => engine.handle(request),
            at = sleep_until(deadline) => engine.on_deadline(at),
            Some(event) = devices.recv() => engine.device(event),
            // Answered to nobody: the engine logs the outcome and every problem.
            Some(source) = reloads.recv() => drop(engine.reload(None, source)),
            // The room core's own deadlines: the heartbeat and the lights test's steps.
            () = tokio::time::sleep_until(engine.room_deadline()) => engine.room_due(),
        }
        systemd.session(engine.session.as_ref().map(|r| r.core.timeline.session_id()));
    }

    systemd.stopping();

    server.abort();
    // The music's fade-out and the save first: a slow broker must not hold them up.
    engine.stop_daemon();
    if let Some(buttons) = buttons {
        buttons.stop().await;
    }
    if let Some(remote) = remote {
        remote.stop().await;
    }
    Ok(())
}

/// Sleeps until the deadline's instant and returns its session time; forever without one.
async fn sleep_until(deadline: Option<(Millis, Instant)>) -> Millis {
    match deadline {
        Some((at, instant)) => {
            tokio::time::sleep_until(instant).await;
            at
        }
        None => std::future::pending().await,
    }
}
