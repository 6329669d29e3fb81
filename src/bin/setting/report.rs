//! `setting report` and `setting sessions`: a session's story, from the daemon or straight
//! from an `events.jsonl` file.

use std::process::ExitCode;

use anyhow::Context;

use setting::engine::event_log::read_log;
use setting::local_time::ClinicZone;
use setting::protocol::{Op, ReportReply, SessionSummary};
use setting::report::{Report, render_text};

use crate::args::{Cli, ReportArgs};
use crate::client::Client;
use crate::failure::Failure;
use crate::{arc_chart, locate, report_export, report_svg};

pub fn run(cli: &Cli, args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let (entries, skipped) = match &args.log {
        Some(path) => {
            let log = read_log(path).context(Failure::BadInput("cannot report on that log".into()))?;
            if log.entries.is_empty() {
                let message = format!(
                    "{} holds no event log entries ({} unreadable lines)",
                    path.display(),
                    log.skipped
                );
                return Err(Failure::BadInput(message).into());
            }
            (log.entries, log.skipped)
        }
        None => {
            let mut client = Client::for_cli(cli)?;
            let reply: ReportReply = client.request_as(&Op::Report {
                session: args.session.clone(),
            })?;
            (reply.entries, reply.skipped_lines)
        }
    };
    let zone = clinic_zone(cli);
    let report = Report::from_entries_in(&entries, Some(&zone));
    let exporting = args.csv || args.markdown || args.svg.is_some();
    if exporting && skipped > 0 {
        // Said on stderr so the export itself stays clean to redirect into a file.
        eprintln!("setting: {skipped} unreadable lines of the log were left out (torn by a crash?)");
    }
    // With `--json` an export still comes as one JSON document, its text in a field.
    let export = |format: &str, text: String| {
        if cli.json {
            println!(
                "{}",
                serde_json::json!({ "session": report.session, format: text })
            );
        } else {
            print!("{text}");
        }
    };
    if args.csv {
        let csv = report_export::csv(&entries, &zone).context("cannot write the log as CSV")?;
        export("csv", csv);
        return Ok(ExitCode::SUCCESS);
    }
    if args.markdown {
        export(
            "markdown",
            report_export::markdown(&report, planned(cli, &report.scene).as_ref()),
        );
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(path) = &args.svg {
        arc_chart::write(&report_svg::arc(&report), path)?;
        if cli.json {
            println!(
                "{}",
                serde_json::json!({ "session": report.session, "svg": path })
            );
        } else {
            println!("session {} drawn into {}", report.session, path.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render_text(&report));
        if skipped > 0 {
            println!("\n{skipped} unreadable lines of the log were left out (torn by a crash?)");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The clinic's zone: the config's `[room] timezone` when this machine's config names one,
/// else the system's (a log read on a machine with no config).
fn clinic_zone(cli: &Cli) -> ClinicZone {
    let config = locate::load(cli.config.as_deref()).ok();
    ClinicZone::for_config(config.as_ref().and_then(|c| c.room.timezone.as_deref()))
}

/// The scene's plan, to set the planned lengths beside the real ones; `None` when the config
/// or the scene cannot be read here (a log copied off another machine).
fn planned(cli: &Cli, scene: &str) -> Option<setting::timeline::plan::Plan> {
    let config = locate::load(cli.config.as_deref()).ok()?;
    let scene = setting::catalog::Catalog::load(&config)
        .ok()?
        .load_scene(scene)
        .ok()?;
    Some(setting::timeline::plan::plan(&scene, &config.policy))
}

pub fn sessions(cli: &Cli) -> anyhow::Result<ExitCode> {
    let mut client = Client::for_cli(cli)?;
    let sessions: Vec<SessionSummary> = client.request_as(&Op::Sessions)?;
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&sessions)?);
        return Ok(ExitCode::SUCCESS);
    }
    if sessions.is_empty() {
        println!("no sessions recorded yet");
        return Ok(ExitCode::SUCCESS);
    }
    let zone = clinic_zone(cli);
    let local = |wall: &str| zone.local(wall).unwrap_or_else(|| wall.to_string());
    println!("times in {}", zone.name());
    for s in &sessions {
        let ended = s.ended.as_deref().map_or("(not ended)".to_string(), local);
        println!(
            "{:<36}  {:<14}  {}  {ended}",
            s.session,
            s.scene,
            local(&s.started)
        );
    }
    Ok(ExitCode::SUCCESS)
}
