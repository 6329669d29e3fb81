//! `setting`: the therapist's, the curators' and the technicians' command line for `settingd`.

mod arc_chart;
mod arc_panels;
mod arc_strips;
mod args;
mod cli_parse;
mod client;
mod clinical;
mod completions;
mod dry_run;
mod emergency;
mod emergency_direct;
mod failure;
mod level_lines;
mod lights;
mod lights_calibrate;
mod lights_watch;
mod locate;
mod man_pages;
mod peer_check;
mod plan;
mod plan_svg;
mod plan_view;
mod playlist;
mod playlist_analyze;
mod playlist_check;
mod playlist_m3u;
mod playlist_skips;
mod progress;
mod quiet_pipe;
mod reload;
mod render;
mod report;
mod report_export;
mod report_svg;
mod rooms;
mod status;
mod steer;
mod validate;
mod volume;
mod watch;
mod watch_arc;
mod watch_layout;
mod watch_lines;
mod watch_prompts;
mod watch_view;

use std::process::ExitCode;

use args::{Cli, Command};

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().collect();
    let cli = match cli_parse::parse(&args, |name| std::env::var_os(name)) {
        Ok(parsed) => {
            if let Some(left_out) = &parsed.left_out {
                eprintln!(
                    "setting: {left_out}; sending the emergency anyway, without what could not be read"
                );
            }
            parsed.cli
        }
        Err(e) => {
            // Help and version go to stdout and are a success; a usage error is bad input.
            // The flags are not parsed yet, so `--json` is looked for among the raw words.
            if e.use_stderr() && std::env::args_os().any(|a| a == "--json") {
                print_json_error("bad_input", e.to_string().trim_end());
                return ExitCode::from(2);
            }
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // An emergency's exit code says what reached the room (4, 5, 7): a closed stdout must not
    // turn that into a success, so it keeps the usual failure.
    let quiet = !matches!(cli.command, Command::Emergency(_));
    if quiet {
        quiet_pipe::install();
    }
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&cli)));
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(panic) if quiet && quiet_pipe::is_stdout_closed(&*panic) => return ExitCode::SUCCESS,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    match outcome {
        Ok(code) => code,
        Err(e) if quiet && quiet_pipe::is_broken_stdout(&e) => ExitCode::SUCCESS,
        Err(e) => {
            if cli.json {
                print_json_error(failure::kind_of(&e), &error_chain(&e));
            } else {
                eprintln!("setting: {}", error_chain(&e));
            }
            failure::exit_code_of(&e)
        }
    }
}

/// With `--json` an error is one document on stdout, where the script already reads.
fn print_json_error(kind: &str, message: &str) {
    println!(
        "{}",
        serde_json::json!({ "error": { "kind": kind, "message": message } })
    );
}

fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    if let Some(room) = &cli.room
        && follows_live(&cli.command)
    {
        return Err(client::needs_socket(&locate::broker_prefix(cli), room).into());
    }
    match &cli.command {
        Command::Status => status::run(cli),
        Command::Emergency(args) => emergency::run(cli, args),
        Command::Watch { plain, frame } => watch::run(cli, *plain, frame.as_deref()),
        Command::Report(args) => report::run(cli, args),
        Command::Sessions => report::sessions(cli),
        Command::Reload => reload::run(cli),
        Command::Plan { scene, svg } => plan::run(cli, scene, svg.as_deref()),
        Command::Validate { paths } => validate::run(cli, paths),
        Command::Playlist(command) => playlist::run(cli, command),
        Command::Render(args) => render::run(cli, args),
        Command::DryRun(args) => dry_run::run(cli, args),
        Command::Lights(command) => lights::run(cli, command),
        Command::Rooms => rooms::run(cli),
        Command::Volume { delta: None } => volume::show(cli),
        Command::Completions(args) => completions::run(args),
        Command::CompleteNames { kind } => completions::names(cli, *kind),
        Command::Man(args) => man_pages::run(args),
        Command::Vitals(args) => clinical::run_vitals(cli, args),
        Command::Note(args) => clinical::run_note(cli, args),
        other => steer::run(cli, other),
    }
}

/// The commands that follow the room live: a stream of lines the socket carries and the
/// broker does not.
fn follows_live(command: &Command) -> bool {
    matches!(
        command,
        Command::Watch { .. } | Command::Lights(lights::LightsCommand::Watch)
    )
}

/// The error and its causes on one line, outermost first, skipping causes that only repeat
/// what the line already says.
fn error_chain(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !line.contains(&text) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&text);
        }
    }
    line
}
