//! `setting report` and `setting sessions`: a session's story, from the daemon or straight
//! from an `events.jsonl` file.

use std::process::ExitCode;

use anyhow::Context;

use setting::engine::event_log::read_log;
use setting::protocol::{Op, ReportReply, SessionSummary};
use setting::report::{Report, render_text};

use crate::args::{Cli, ReportArgs};
use crate::client::Client;
use crate::failure::Failure;
use crate::locate;

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
            let target = locate::socket(cli);
            let mut client = Client::connect(&target.path, &target.note)?;
            let reply: ReportReply = client.request_as(&Op::Report {
                session: args.session.clone(),
            })?;
            (reply.entries, reply.skipped_lines)
        }
    };
    let report = Report::from_entries(&entries);
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

pub fn sessions(cli: &Cli) -> anyhow::Result<ExitCode> {
    let target = locate::socket(cli);
    let mut client = Client::connect(&target.path, &target.note)?;
    let sessions: Vec<SessionSummary> = client.request_as(&Op::Sessions)?;
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&sessions)?);
        return Ok(ExitCode::SUCCESS);
    }
    if sessions.is_empty() {
        println!("no sessions recorded yet");
    }
    for s in &sessions {
        let ended = s.ended.as_deref().unwrap_or("(not ended)");
        println!("{:<36}  {:<14}  {}  {ended}", s.session, s.scene, s.started);
    }
    Ok(ExitCode::SUCCESS)
}
