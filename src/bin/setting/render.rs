//! `setting render PLAYLIST --wav FILE`: a playlist played offline into a WAV file, so curators
//! can listen to its joins and tests can measure them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use setting::audio::render::{RenderError, RenderOptions, RenderSummary, render_playlist_with_progress};
use setting::config::Config;
use setting::playlist::{Track, import_m3u};

use crate::args::Cli;
use crate::failure::Failure;
use crate::playlist::{catalog, clock, find};
use crate::progress::Progress;

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// A playlist's name, or the path of an .m3u or .m3u8 file.
    pub playlist: String,
    /// The WAV file to write (32-bit float, stereo).
    #[arg(long, value_name = "FILE")]
    pub wav: PathBuf,
    /// Join every track with a crossfade this long instead of as the playlist says; 0 joins
    /// them all gaplessly.
    #[arg(long, value_name = "SECONDS")]
    pub crossfade: Option<f64>,
    /// The output sample rate.
    #[arg(long, value_name = "HZ", default_value_t = 48_000)]
    pub rate: u32,
}

pub fn run(cli: &Cli, args: &RenderArgs) -> anyhow::Result<ExitCode> {
    let config = crate::locate::load(cli.config.as_deref())?;
    let tracks = tracks(&config, &args.playlist)?;
    let crossfade = match args.crossfade {
        Some(s) if !(s.is_finite() && s >= 0.0) => {
            return Err(Failure::BadInput(format!("--crossfade {s}: expected seconds, 0 or more")).into());
        }
        other => other.map(Duration::from_secs_f64),
    };
    if !(8_000..=384_000).contains(&args.rate) {
        return Err(Failure::BadInput(format!("--rate {}: expected 8000 to 384000 Hz", args.rate)).into());
    }
    // Levelled and capped as the room's player would: the config's target and ceiling.
    let options = RenderOptions {
        rate: args.rate,
        crossfade,
        target_lufs: config.audio.target_lufs,
        max_boost_db: config.audio.max_boost_db,
        ceiling_db: config.audio.ceiling_db,
        // The daemon's own measurements are read too, and used when the media cannot be written.
        fallback_dir: Some(config.daemon.state_dir.clone()),
        // A stalled share stops the render after as long as the room would wait for it.
        read_timeout: config.audio.read_timeout,
    };
    // How long the render comes out is known only as it goes: a spinner, not a bar.
    let progress = Progress::audio(cli, "rendering", None, args.rate);
    let mut written = |frames| progress.frames(frames, args.rate, None);
    let rendered =
        render_playlist_with_progress(&tracks, &config.paths.media, &args.wav, &options, &mut written);
    progress.finish();
    let summary = match rendered {
        Ok(summary) => summary,
        Err(e @ (RenderError::Decode { .. } | RenderError::Prepare { .. })) => {
            return Err(anyhow::Error::new(e).context(Failure::Refused(format!(
                "{} is not rendered in full",
                args.wav.display()
            ))));
        }
        // Named at its line in the playlist, as `settingd --check` names a bad file, so the
        // curator knows which entry to look at once the share answers again.
        Err(e @ RenderError::Hung { index, .. }) => {
            let at = track_at(
                &config,
                &args.playlist,
                index,
                setting::error_text::error_chain(&e),
            );
            return Err(anyhow::anyhow!(at).context(Failure::Refused(format!(
                "{} is not rendered: a track could not be read",
                args.wav.display()
            ))));
        }
        Err(e) => return Err(e).context(format!("cannot render to {}", args.wav.display())),
    };
    for hang in &summary.cache_hangs {
        eprintln!("setting: warning: {hang}");
    }
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&json_of(&summary, &args.wav))?);
    } else {
        print_summary(&summary, &args.wav);
    }
    Ok(ExitCode::SUCCESS)
}

/// A playlist by name from the catalog, or the tracks of an M3U file as a plain playlist
/// would hold them: no trims, no fades, gapless unless `--crossfade` says otherwise.
fn tracks(config: &Config, playlist: &str) -> anyhow::Result<Vec<Track>> {
    if !crate::playlist::is_m3u(playlist) {
        let catalog = catalog(config)?;
        return Ok(find(&catalog, playlist)?.tracks.clone());
    }
    let imported = import_m3u(
        Path::new(playlist),
        &config.paths.media,
        config.audio.read_timeout,
    )
    .with_context(|| Failure::BadInput(format!("cannot use {playlist}")))?;
    Ok(imported
        .into_iter()
        .map(|t| Track {
            note: t.title,
            ..Track::plain(t.path)
        })
        .collect())
}

/// `message` about track `index` (from 0) of `playlist`: at its `path` line in a playlist file,
/// by its place in an M3U file.
fn track_at(config: &Config, playlist: &str, index: usize, message: String) -> String {
    if crate::playlist::is_m3u(playlist) {
        return format!("{playlist}: track {}: {message}", index + 1);
    }
    match catalog(config) {
        Ok(catalog) => catalog.track_problem(playlist, index, message).to_string(),
        Err(_) => format!("{playlist}: track {}: {message}", index + 1),
    }
}

/// The summary for scripts: the library's type stays free of serde, so the shape is kept here.
fn json_of(summary: &RenderSummary, wav: &Path) -> serde_json::Value {
    let tracks: Vec<serde_json::Value> = summary
        .tracks
        .iter()
        .map(|t| {
            serde_json::json!({
                "path": t.path,
                "frames": t.frames,
                "seconds": t.frames as f64 / f64::from(summary.rate),
                "gain_db": t.gain_db,
                "lufs": t.lufs,
            })
        })
        .collect();
    serde_json::json!({
        "wav": wav,
        "rate": summary.rate,
        "frames": summary.frames,
        "seconds": summary.seconds(),
        "tracks": tracks,
        "measured": summary.measured,
        "measurements_kept_in": summary.kept.as_ref().ok().and_then(Option::as_ref),
        "measurements_not_kept": summary.kept.as_ref().err(),
        "cache_hangs": summary.cache_hangs,
    })
}

fn print_summary(summary: &RenderSummary, wav: &Path) {
    match &summary.kept {
        Ok(Some(cache)) => eprintln!("measured {} files, kept in {}", summary.measured, cache.display()),
        Ok(None) => {}
        Err(why) => eprintln!(
            "measured {} files, used for this render only: {why}",
            summary.measured
        ),
    }
    for track in &summary.tracks {
        let lufs = track
            .lufs
            .map_or("silent".to_string(), |l| format!("{l:.1} LUFS"));
        println!(
            "{:>9}  {:+6.1} dB  ({lufs})  {}",
            clock(track.frames as f64 / f64::from(summary.rate)),
            track.gain_db,
            track.path
        );
    }
    println!(
        "rendered {} tracks, {} at {} Hz, to {}",
        summary.tracks.len(),
        clock(summary.seconds()),
        summary.rate,
        wav.display()
    );
}
