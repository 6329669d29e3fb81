//! `setting playlist ...`: the curators' commands. They work on files and need no daemon.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use setting::catalog::Catalog;
use setting::config::Config;
use setting::playlist::{Playlist, WhenDone};

use crate::args::Cli;
use crate::failure::Failure;
use crate::{locate, playlist_analyze, playlist_check, playlist_m3u, playlist_skips};

#[derive(Debug, Subcommand)]
pub enum PlaylistCommand {
    /// Make a playlist from an M3U or M3U8 file; every problem in it is reported at once.
    Import {
        /// The M3U file; relative paths in it are read from its directory.
        file: PathBuf,
        /// The new playlist's name [default: the file's stem].
        #[arg(long)]
        name: Option<String>,
        /// Replace a playlist of that name.
        #[arg(long)]
        force: bool,
    },
    /// Write a playlist as M3U8, paths relative to the output file.
    Export {
        name: String,
        /// The output file [default: standard output, paths relative to the current directory].
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Decode every file in full and show whether the playlists cover their phases.
    Check {
        /// One playlist (and those it continues into); all when left out.
        name: Option<String>,
    },
    /// Integrated loudness and true peak of every file, cached by file identity.
    Analyze {
        /// One playlist, or the path of an .m3u or .m3u8 file (its files under the media
        /// directory); all playlists when left out.
        name: Option<String>,
    },
    /// The tracks therapists skipped, across every recorded session, most-skipped first.
    Skips {
        /// Only tracks skipped while playing from this playlist; all when left out.
        name: Option<String>,
        /// Read the sessions here [default: the config's `daemon.state_dir`].
        #[arg(long, value_name = "DIR")]
        state_dir: Option<PathBuf>,
    },
}

pub fn run(cli: &Cli, command: &PlaylistCommand) -> anyhow::Result<ExitCode> {
    if let PlaylistCommand::Skips { name, state_dir } = command {
        // Needs no config when given the state directory.
        return playlist_skips::run(cli, name.as_deref(), state_dir.as_deref());
    }
    let config = locate::load(cli.config.as_deref())?;
    match command {
        PlaylistCommand::Import { file, name, force } => {
            playlist_m3u::import(cli, &config, file, name.as_deref(), *force)
        }
        PlaylistCommand::Export { name, output } => {
            let catalog = catalog(&config)?;
            playlist_m3u::export(cli, &config, find(&catalog, name)?, output.as_deref())
        }
        PlaylistCommand::Check { name } => playlist_check::run(cli, &catalog(&config)?, name.as_deref()),
        PlaylistCommand::Analyze { name } => playlist_analyze::run(cli, &catalog(&config)?, name.as_deref()),
        PlaylistCommand::Skips { .. } => unreachable!("handled above"),
    }
}

pub fn catalog(config: &Config) -> anyhow::Result<Catalog> {
    Catalog::load(config).context(Failure::BadInput("cannot read the scenes and playlists".into()))
}

pub fn find<'a>(catalog: &'a Catalog, name: &str) -> anyhow::Result<&'a Playlist> {
    catalog.playlist(name).ok_or_else(|| {
        let why = if catalog
            .problems()
            .iter()
            .any(|d| d.to_string().contains(&format!("{name}.toml")))
        {
            format!("playlist `{name}` does not load; run `setting validate`")
        } else {
            format!(
                "no playlist `{name}`; known playlists: {}",
                catalog.playlist_names().join(", ")
            )
        };
        Failure::BadInput(why).into()
    })
}

/// The playlists a command covers: `name` and, with `follow`, those it continues into; else
/// every playlist that loaded.
pub fn selected<'a>(
    catalog: &'a Catalog,
    name: Option<&str>,
    follow: bool,
) -> anyhow::Result<Vec<&'a Playlist>> {
    let Some(name) = name else {
        return Ok(catalog.playlists().values().collect());
    };
    let mut out = vec![find(catalog, name)?];
    while let (true, WhenDone::Continue(next)) = (follow, &out[out.len() - 1].when_done) {
        match catalog.playlist(next) {
            Some(p) if !out.iter().any(|o| o.name == p.name) => out.push(p),
            _ => break,
        }
    }
    Ok(out)
}

/// Each file once, in playlist order; with no playlist named, the scenes' grounding tracks
/// too, since a skip plays them.
/// Whether a playlist argument names an M3U file rather than a playlist of the catalog.
pub fn is_m3u(name: &str) -> bool {
    std::path::Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("m3u") || e.eq_ignore_ascii_case("m3u8"))
}

pub fn files(catalog: &Catalog, playlists: &[&Playlist], grounding: bool) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let tracks = playlists
        .iter()
        .flat_map(|p| p.tracks.iter().map(|t| t.path.clone()));
    let grounding_tracks: Vec<String> = if grounding {
        catalog
            .scene_names()
            .iter()
            .filter_map(|s| catalog.load_scene(s).ok()?.grounding_track)
            .collect()
    } else {
        Vec::new()
    };
    for path in tracks.chain(grounding_tracks) {
        if seen.insert(path.clone()) {
            out.push(path);
        }
    }
    out
}

/// `m:ss.mmm`, exact enough to compare with an editor's display.
pub fn clock(seconds: f64) -> String {
    let ms = (seconds * 1000.0).round() as u64;
    format!("{}:{:02}.{:03}", ms / 60_000, ms / 1000 % 60, ms % 1000)
}
