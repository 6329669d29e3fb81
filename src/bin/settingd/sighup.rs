//! SIGHUP: reload the config, scenes and playlists, the same way `setting reload` does.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::signal::unix::{SignalKind, signal};

/// From now on each SIGHUP asks the engine to reload through the daemon's own control socket,
/// so that a signal and `setting reload` take one path and are checked, answered and logged
/// alike (the engine logs every problem of a refused reload). Listening also stops SIGHUP's
/// default action, which would kill the daemon mid-session.
pub fn reload_on_sighup(socket: PathBuf) -> Result<()> {
    let mut hangup = signal(SignalKind::hangup()).context("cannot listen for SIGHUP")?;
    tokio::spawn(async move {
        while hangup.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading the config, scenes and playlists");
            if let Err(e) = ask_reload(&socket).await {
                tracing::error!(error = %e, socket = %socket.display(), "SIGHUP: cannot ask the engine to reload");
            }
        }
    });
    Ok(())
}

async fn ask_reload(socket: &Path) -> std::io::Result<()> {
    let stream = UnixStream::connect(socket).await?;
    let (reader, mut writer) = stream.into_split();
    writer.write_all(b"{\"op\":\"reload\"}\n").await?;
    // The answer itself is logged by the engine; waiting for it keeps reloads one at a time.
    let mut reply = String::new();
    BufReader::new(reader).read_line(&mut reply).await?;
    Ok(())
}
