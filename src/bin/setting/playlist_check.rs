//! `setting playlist check [NAME]`: decode every file and show phase coverage.

use std::collections::HashMap;
use std::process::ExitCode;

use serde::Serialize;

use setting::audio::loudness_cache::unmeasured;
use setting::audio::loudness_store::LoudnessStore;
use setting::catalog::Catalog;
use setting::curation::{FileCheck, PhaseCoverage, Verdict, check_files_with_progress, coverage};
use setting::scene::Scene;
use setting::time::{Millis, format_duration};

use crate::args::Cli;
use crate::failure::Failure;
use crate::playlist::{clock, files, selected};
use crate::progress::Progress;

#[derive(Serialize)]
struct Report<'a> {
    playlists: Vec<String>,
    files: &'a [FileCheck],
    coverage: &'a [PhaseCoverage],
    /// Files that play but have no loudness measurement yet: the daemon measures them before
    /// they play.
    unmeasured: &'a [String],
    /// Loudness caches that hung as they were read (a stalled share), gone on without.
    cache_hangs: &'a [String],
}

pub fn run(cli: &Cli, catalog: &Catalog, name: Option<&str>) -> anyhow::Result<ExitCode> {
    let playlists = selected(catalog, name, true)?;
    let media = &catalog.config().paths.media;
    let paths = files(catalog, &playlists, name.is_none());
    let progress = Progress::files(cli, "checking", paths.len());
    let timeout = catalog.config().audio.read_timeout;
    let checks = check_files_with_progress(media, &paths, timeout, &|| progress.tick());
    progress.finish();
    let lengths: HashMap<&str, f64> = checks
        .iter()
        .filter(|c| c.is_ok())
        .filter_map(|c| Some((c.path.as_str(), c.seconds?)))
        .collect();
    let scenes: Vec<Scene> = catalog
        .scene_names()
        .iter()
        .filter_map(|s| catalog.load_scene(s).ok())
        .collect();
    let covered = coverage(&scenes, catalog.playlists(), &|p| lengths.get(p).copied(), name);
    let bad = checks.iter().filter(|c| !c.is_ok()).count();
    let playable: Vec<String> = checks
        .iter()
        .filter(|c| c.is_ok())
        .map(|c| c.path.clone())
        .collect();
    // As the daemon sees them: its own measurements too, when it cannot write beside the media.
    let store = LoudnessStore::new(media, Some(&catalog.config().daemon.state_dir), timeout);
    let known = store.load();
    let cache_hangs = store.hangs();
    for hang in &cache_hangs {
        eprintln!("setting: warning: {hang}");
    }
    let unmeasured = unmeasured(media, &known, &playable, timeout);
    if cli.json {
        let report = Report {
            playlists: playlists.iter().map(|p| p.name.clone()).collect(),
            files: &checks,
            coverage: &covered,
            unmeasured: &unmeasured,
            cache_hangs: &cache_hangs,
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_files(&checks);
        print_coverage(&covered);
        for problem in catalog.problems() {
            eprintln!("not checked: {problem}");
        }
        if !unmeasured.is_empty() {
            eprintln!(
                "{} files have no loudness measurement yet; the daemon measures them in the background \
                 (or before their turn), `setting playlist analyze` measures them now: {}",
                unmeasured.len(),
                unmeasured.join(", ")
            );
        }
        eprintln!(
            "checked {} files in {} playlists: {}",
            checks.len(),
            playlists.len(),
            if bad == 0 {
                "all play".to_string()
            } else {
                format!("{bad} bad")
            }
        );
    }
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        Failure::Refused(String::new()).exit_code()
    })
}

fn print_files(checks: &[FileCheck]) {
    let width = checks.iter().map(|c| c.path.len()).max().unwrap_or(0);
    for c in checks {
        let info = match (&c.format, c.sample_rate, c.channels, c.seconds) {
            (Some(f), Some(r), Some(ch), Some(s)) => format!("{f:<9} {r:>6} Hz {ch} ch {:>10}", clock(s)),
            _ => String::new(),
        };
        let reason = c
            .reason
            .as_deref()
            .or(c.note.as_deref())
            .map(|r| format!("  {r}"))
            .unwrap_or_default();
        println!("{:<10} {:<width$}  {info}{reason}", c.status.as_str(), c.path);
    }
}

fn print_coverage(covered: &[PhaseCoverage]) {
    if covered.is_empty() {
        return;
    }
    println!("\ncoverage of the planned phases:");
    for c in covered {
        // Whole seconds: milliseconds here would only be noise next to a plan in minutes.
        let length = c.playlist_length.map_or("?".to_string(), |l| {
            format_duration(Millis((l.0 + 500) / 1000 * 1000))
        });
        let verdict = match &c.verdict {
            Verdict::Covered { via, loops } => {
                let then = via.iter().map(|v| format!(", then {v}")).collect::<String>();
                format!("covered{then}{}", if *loops { " (loops)" } else { "" })
            }
            Verdict::Short { by, via } => {
                let then = via.iter().map(|v| format!(" then {v},")).collect::<String>();
                format!("SHORT:{then} silence for the last {}", format_duration(*by))
            }
            Verdict::Unknown { playlist } => format!("unknown: `{playlist}` has a bad or unloaded track"),
        };
        println!(
            "  {}/{}: planned {}, playlist {} {length}: {verdict}",
            c.scene,
            c.phase,
            format_duration(c.planned),
            c.playlist
        );
    }
}
