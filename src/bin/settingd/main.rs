//! `settingd`: the room daemon. Reads the config, binds the control socket, resumes any
//! session a previous run left, and runs the engine until SIGTERM or SIGINT.

mod check;
mod lights;
mod logging;
mod sighup;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use setting::audio::output::{DeviceEvents, OutputOptions, Pace, open_output};
use setting::audio::player::{Player, PlayerSetup};
use setting::audio::{AudioOutput, LoggingAudio};
use setting::catalog::Catalog;
use setting::config::{Config, MAX_SPEED, OutputSpec, OutputSpecError, load_config, locate_config};
use setting::engine::taken_over::TakenOver;
use setting::engine::{self, EngineOptions};

use logging::LogFormat;

/// The room daemon for ketamine-assisted psychotherapy sessions: runs the scene, the music
/// and the lights; `setting` steers it.
#[derive(Debug, Parser)]
#[command(name = "settingd", version)]
struct Args {
    /// The daemon config (default: the first of the standard locations that exists).
    #[arg(long, value_name = "FILE", env = "SETTING_CONFIG")]
    config: Option<PathBuf>,
    /// The control socket, instead of the config's `daemon.socket`.
    #[arg(long, value_name = "PATH")]
    socket: Option<PathBuf>,
    /// Where the state file and session logs live, instead of the config's `daemon.state_dir`.
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Run session time N times faster (rehearsals, tests), instead of the config's `daemon.speed`.
    #[arg(long, value_name = "N", value_parser = parse_speed)]
    speed: Option<f64>,
    /// Where the music goes, instead of the config's `audio.output`: `default`, `null`,
    /// `wav:PATH`, `device:NAME`, or `log` to only log what would play.
    #[arg(long, value_name = "OUTPUT", value_parser = parse_audio)]
    audio: Option<AudioChoice>,
    /// The MQTT broker for the lights, instead of the config's `[mqtt]` host and port
    /// (credentials and TLS stay as configured).
    #[arg(long, value_name = "HOST:PORT", value_parser = parse_mqtt)]
    mqtt: Option<(String, u16)>,
    /// Log filter: a level (`info`, `debug`) or tracing directives (`setting=debug`).
    #[arg(long, value_name = "FILTER", default_value = "info", env = "SETTINGD_LOG")]
    log_level: String,
    /// Log lines as `text` (for the journal or a terminal) or `json` (one object per line).
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Check the config, scenes and playlists, print every problem, and exit: 0 when there
    /// are none, 2 when there are. Binds nothing and starts nothing.
    #[arg(long)]
    check: bool,
}

/// As the config's `speed`: a faster daemon would save sessions it then refuses to resume.
fn parse_speed(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(speed) if speed > 0.0 && speed <= MAX_SPEED => Ok(speed),
        _ => Err(format!("`{text}` is not a speed above 0 and at most {MAX_SPEED}")),
    }
}

fn parse_mqtt(text: &str) -> Result<(String, u16), String> {
    setting::config::broker_override(text).map_err(|e| e.to_string())
}

#[derive(Debug, Clone)]
enum AudioChoice {
    Log,
    Output(OutputSpec),
}

fn parse_audio(text: &str) -> Result<AudioChoice, String> {
    if text.trim() == "log" {
        return Ok(AudioChoice::Log);
    }
    text.parse()
        .map(AudioChoice::Output)
        .map_err(|e: OutputSpecError| format!("{e}, or `log`"))
}

fn main() -> ExitCode {
    ignore_file_size_signal();
    let args = Args::parse();
    if let Err(e) = logging::init(&args.log_level, args.log_format) {
        eprintln!("settingd: error: {e:#}");
        return ExitCode::FAILURE;
    }
    if args.check {
        return check::run(args.config.as_deref());
    }
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("settingd: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<()> {
    let config_path = match args.config {
        Some(path) => path,
        None => locate_config(None).context("cannot find a config file; pass --config FILE")?,
    };
    let mut config = load_config(&config_path)
        .with_context(|| format!("cannot load the config {}", config_path.display()))?;
    if let Some((host, port)) = args.mqtt.clone() {
        config.override_broker(host, port);
    }
    let socket = args.socket.unwrap_or_else(|| config.daemon.socket.clone());
    let state_dir = args.state_dir.unwrap_or_else(|| config.daemon.state_dir.clone());
    let speed = args.speed.unwrap_or(config.daemon.speed);
    let (mode, group) = (config.daemon.socket_mode, config.daemon.socket_group.clone());
    if speed != 1.0 {
        tracing::warn!(
            speed,
            "REHEARSAL: session time runs {speed} times faster than real time"
        );
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = engine::bind_socket(&socket, mode, group.as_deref())?;
        tracing::info!(socket = %socket.display(), state_dir = %state_dir.display(), "listening");
        let shutdown = shutdown_signal()?;
        let reloads = sighup::reloads_on_sighup()?;
        let (device_events, device_rx) = mpsc::channel(64);
        let audio = audio_output(
            &config,
            args.audio,
            &state_dir,
            DeviceEvents::new(device_events.clone()),
        )?;
        tracing::info!(audio = %audio.describe(), "music output");
        let taken_over = TakenOver::load_or_empty(&state_dir);
        let lights = lights::lights_output(&config, &state_dir, speed, device_events, &taken_over).await;
        let options = EngineOptions {
            config,
            socket: socket.clone(),
            state_dir,
            speed,
            broker_override: args.mqtt,
            taken_over,
        };
        let result = engine::run(
            options,
            listener,
            audio,
            lights.output,
            device_rx,
            reloads,
            shutdown,
        )
        .await;
        lights.running.finish().await;
        // A clean exit leaves no socket behind for clients to knock on.
        let _ = std::fs::remove_file(&socket);
        result.context("the engine failed")
    })
}

/// The music adapter: `--audio` if given, else the config's `audio.output`. Loudness
/// measurements go beside the media, else into `state_dir`.
fn audio_output(
    config: &Config,
    choice: Option<AudioChoice>,
    state_dir: &Path,
    events: DeviceEvents,
) -> Result<Box<dyn AudioOutput>> {
    let spec = match choice {
        Some(AudioChoice::Log) => return Ok(Box::new(LoggingAudio::new())),
        Some(AudioChoice::Output(spec)) => spec,
        None => config.audio.output.clone(),
    };
    let catalog = Catalog::load(config).context("cannot load the playlists for the player")?;
    let mut setup = PlayerSetup::from_catalog(&catalog);
    setup.measuring.fallback_dir = Some(state_dir.to_owned());
    let options = OutputOptions {
        rate: setup.rate,
        pace: Pace::RealTime,
        events: events.clone(),
    };
    let output =
        open_output(&spec, &options).with_context(|| format!("cannot open the audio output `{spec}`"))?;
    let player = Player::start(setup, output, events).context("cannot start the audio player")?;
    Ok(Box::new(player))
}

/// A file-size limit (`ulimit -f`, `LimitFSIZE=`) reached by the event log would otherwise
/// kill the daemon in the middle of a session; ignored, the write fails with EFBIG instead,
/// which the engine reports as a warning while the session goes on.
fn ignore_file_size_signal() {
    // SAFETY: setting a signal's disposition to SIG_IGN installs no handler code, and this
    // runs before any other thread exists.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// Completes at the first SIGTERM (systemd stopping us) or SIGINT (Ctrl-C).
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>> {
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: saving the session and stopping"),
            _ = int.recv() => tracing::info!("SIGINT: saving the session and stopping"),
        }
    })
}
