//! `setting dry-run SCENE --wav FILE`: a whole session played offline, the scene's planned
//! timeline driving the music into a WAV file and its light commands into a CSV beside it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use setting::audio::dry_run::{DEFAULT_RATE, DryRunSetup, dry_run};
use setting::catalog::Catalog;
use setting::timeline::plan::plan;

use crate::args::Cli;
use crate::failure::Failure;
use crate::playlist::clock;
use crate::progress::Progress;

#[derive(Debug, Args)]
pub struct DryRunArgs {
    /// The scene to play through, each phase at its planned length.
    pub scene: String,
    /// The WAV file to write (16-bit stereo).
    #[arg(long, value_name = "FILE")]
    pub wav: PathBuf,
    /// The output sample rate; low rates render faster.
    #[arg(long, value_name = "HZ", default_value_t = DEFAULT_RATE)]
    pub rate: u32,
    /// The light timeline (CSV) [default: <wav>.lights.csv].
    #[arg(long, value_name = "FILE")]
    pub lights: Option<PathBuf>,
}

pub fn run(cli: &Cli, args: &DryRunArgs) -> anyhow::Result<ExitCode> {
    if !(8_000..=384_000).contains(&args.rate) {
        return Err(Failure::BadInput(format!("--rate {}: expected 8000 to 384000 Hz", args.rate)).into());
    }
    let config = crate::locate::load(cli.config.as_deref())?;
    let catalog =
        Catalog::load(&config).context(Failure::BadInput("cannot read the scenes and playlists".into()))?;
    let scene = catalog
        .load_scene(&args.scene)
        .with_context(|| Failure::BadInput(format!("cannot load scene `{}`", args.scene)))?;
    let planned = plan(&scene, &config.policy);
    let lights = args.lights.clone().unwrap_or_else(|| {
        let mut name = args.wav.clone().into_os_string();
        name.push(".lights.csv");
        PathBuf::from(name)
    });
    // The WAV is exactly the plan's length, so the bar's end is known.
    let total_frames = (planned.total.as_secs_f64() * f64::from(args.rate)).round() as u64;
    let progress = Progress::audio(cli, "playing", Some(total_frames), args.rate);
    let written = |frames| progress.frames(frames, args.rate, Some(total_frames));
    let setup = DryRunSetup {
        playlists: catalog.playlists(),
        media_root: &config.paths.media,
        rate: args.rate,
        ceiling_db: config.audio.ceiling_db,
        target_lufs: config.audio.target_lufs,
        max_boost_db: config.audio.max_boost_db,
        wav: &args.wav,
        lights: &lights,
        // The daemon's own measurements are read too, and used when the media cannot be written.
        fallback_dir: Some(&config.daemon.state_dir),
        read_timeout: config.audio.read_timeout,
        progress: Some(&written),
    };
    let summary = dry_run(&planned, &setup).context("dry run failed")?;
    progress.finish();
    for hang in &summary.cache_hangs {
        eprintln!("setting: warning: {hang}");
    }
    // Each at its track's line in its playlist, as `settingd --check` names a bad file.
    let problems: Vec<String> = summary
        .problems
        .iter()
        .map(|p| match &p.playlist {
            Some((name, index)) => catalog.track_problem(name, *index, p.why.clone()).to_string(),
            None => format!("grounding track {}: {}", p.path, p.why),
        })
        .collect();
    if cli.json {
        let json = serde_json::json!({
            "scene": args.scene,
            "wav": args.wav,
            "lights": lights,
            "rate": summary.rate,
            "frames": summary.frames,
            "seconds": summary.seconds(),
            "tracks": summary.tracks,
            "light_commands": summary.light_commands,
            "failed": summary.failed,
            "problems": problems,
            "measured": summary.measured,
            "measurements_kept_in": summary.kept.as_ref().ok().and_then(Option::as_ref),
            "measurements_not_kept": summary.kept.as_ref().err(),
            "cache_hangs": summary.cache_hangs,
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(ExitCode::SUCCESS);
    }
    match &summary.kept {
        Ok(Some(cache)) => eprintln!("measured {} files, kept in {}", summary.measured, cache.display()),
        Ok(None) => {}
        Err(why) => eprintln!(
            "measured {} files, used for this run only: {why}",
            summary.measured
        ),
    }
    for (failed, problem) in summary.failed.iter().zip(&problems) {
        eprintln!("setting: cannot play {failed}; passed over as the daemon would: {problem}");
    }
    println!(
        "{}: {} at {} Hz to {}; {} tracks started, {} light commands to {}",
        args.scene,
        clock(summary.seconds()),
        summary.rate,
        args.wav.display(),
        summary.tracks.len(),
        summary.light_commands,
        lights.display()
    );
    Ok(ExitCode::SUCCESS)
}
