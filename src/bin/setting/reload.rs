//! `setting reload`: the daemon reads its config, scenes and playlists again. A refusal lists
//! every problem as `file:line:col: message`, and the daemon keeps what it had.

use std::process::ExitCode;

use setting::protocol::Op;
use setting::protocol::ReloadReply;

use crate::args::Cli;
use crate::client::Client;

pub fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let mut client = Client::for_cli(cli)?;
    let reply: ReloadReply = client.request_as(&Op::Reload)?;
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&reply)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "reloaded: {} scenes, {} playlists; new sessions use the scenes, and the music takes the \
         playlists on from its next track",
        reply.scenes.len(),
        reply.playlists.len()
    );
    for part in &reply.applied {
        println!("  applied: {part}");
    }
    for part in &reply.needs_restart {
        println!("  needs a restart (the daemon keeps the old one until then): {part}");
    }
    if reply.applied.is_empty() && reply.needs_restart.is_empty() {
        println!("  the config itself is unchanged");
    }
    Ok(ExitCode::SUCCESS)
}
