//! Where the daemon's log lines go and how they look: plain text fit for the journal by
//! default, or one JSON object per line for a log collector.

use std::io::IsTerminal;
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;

use anyhow::{Context, Result};
use clap::ValueEnum;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One line of text per event.
    #[default]
    Text,
    /// One JSON object per event, the message under `fields.message`.
    Json,
}

/// Installs the global subscriber, writing to stderr.
pub fn init(filter: &str, format: LogFormat) -> Result<()> {
    let filter = EnvFilter::try_new(filter).with_context(|| format!("bad --log-level `{filter}`"))?;
    // Colour codes only for a person at a terminal, not in the journal or a test's log file.
    let ansi = std::io::stderr().is_terminal() && format == LogFormat::Text;
    // The journal stamps every line itself; a second timestamp only widens each line.
    let stamp = !stderr_is_journal();
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    let layer: Box<dyn Layer<Registry> + Send + Sync> = match (format, stamp) {
        (LogFormat::Text, true) => layer.boxed(),
        (LogFormat::Text, false) => layer.without_time().boxed(),
        (LogFormat::Json, true) => layer.json().boxed(),
        (LogFormat::Json, false) => layer.json().without_time().boxed(),
    };
    tracing_subscriber::registry()
        .with(layer.with_filter(filter))
        .try_init()
        .context("cannot set up logging")
}

/// Whether stderr is the journal's stream. systemd sets `JOURNAL_STREAM` to that stream's
/// `DEVICE:INODE`; comparing them (as sd_journal_stream_fd(3) advises) keeps a process that
/// merely inherited the variable, with stderr sent elsewhere, from dropping its timestamps.
fn stderr_is_journal() -> bool {
    let Ok(value) = std::env::var("JOURNAL_STREAM") else {
        return false;
    };
    let Some((dev, ino)) = value.split_once(':') else {
        return false;
    };
    let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() else {
        return false;
    };
    match std::fs::File::from(fd).metadata() {
        Ok(meta) => dev.parse() == Ok(meta.dev()) && ino.parse() == Ok(meta.ino()),
        Err(_) => false,
    }
}
