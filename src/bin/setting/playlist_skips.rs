//! `setting playlist skips [NAME]`: the tracks therapists skipped across sessions, as a table
//! or JSON. Logs that cannot be read in full are reported and left out, never fatal.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use setting::curation::{SkipReport, skips};

use crate::args::Cli;
use crate::failure::Failure;
use crate::locate;

pub fn run(cli: &Cli, name: Option<&str>, state_dir: Option<&Path>) -> anyhow::Result<ExitCode> {
    let (state_dir, from) = match state_dir {
        Some(dir) => (dir.to_path_buf(), String::new()),
        None => {
            let config = locate::load(cli.config.as_deref())?;
            let from = format!(", the one {} gives,", config.path.display());
            (config.daemon.state_dir, from)
        }
    };
    // A mistyped directory would otherwise read as "nothing was ever skipped", which a
    // curator would take at its word. A state directory with no sessions yet is fine.
    if !state_dir.is_dir() {
        let what = if state_dir.exists() {
            "is not a directory"
        } else {
            "does not exist"
        };
        return Err(Failure::BadInput(format!(
            "the state directory {}{from} {what}; give the daemon's with --state-dir DIR",
            state_dir.display()
        ))
        .into());
    }
    let report = skips(&state_dir, name).context(Failure::BadInput(format!(
        "cannot read the sessions in {}",
        state_dir.display()
    )))?;
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_table(&report);
    }
    for p in &report.problems {
        eprintln!("setting: session {}: {}", p.session, p.problem);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_table(report: &SkipReport) {
    let width = report
        .tracks
        .iter()
        .map(|t| t.path.len())
        .max()
        .unwrap_or(5)
        .max(5);
    println!(
        "{:<width$}  {:>5}  {:>9}  {:>8}  {:<24}  {:<16}  skipped by",
        "track", "skips", "grounding", "sessions", "last skipped", "playlist"
    );
    for t in &report.tracks {
        println!(
            "{:<width$}  {:>5}  {:>9}  {:>8}  {:<24}  {:<16}  {}",
            t.path,
            t.skips,
            t.grounding,
            t.sessions,
            t.last_skipped,
            t.playlists.join(", "),
            t.skipped_by.join(", ")
        );
    }
    eprintln!(
        "{} tracks skipped, in {} sessions read",
        report.tracks.len(),
        report.sessions_read
    );
}
