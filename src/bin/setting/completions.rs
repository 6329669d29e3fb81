//! `setting completions SHELL`: the shell completion script, generated from the same clap
//! definition that parses the command line, so it cannot drift from it.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;

use clap::{Args, CommandFactory, ValueEnum};
use clap_complete::Shell;

use crate::args::Cli;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

/// The shells the clinic machines use; clap_complete knows more, but untried scripts are not
/// worth offering.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

impl From<CompletionShell> for Shell {
    fn from(shell: CompletionShell) -> Shell {
        match shell {
            CompletionShell::Bash => Shell::Bash,
            CompletionShell::Zsh => Shell::Zsh,
            CompletionShell::Fish => Shell::Fish,
        }
    }
}

/// Writes the script to stdout, e.g. `setting completions bash > /etc/bash_completion.d/setting`.
pub fn run(args: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut command = Cli::command();
    let name = command.get_name().to_string();
    // clap_complete panics when its writer fails; a buffer cannot, so a closed pipe
    // (`| head`) is an ordinary error here rather than a panic.
    let mut script = Vec::new();
    clap_complete::generate(Shell::from(args.shell), &mut command, name, &mut script);
    std::io::stdout()
        .write_all(&script)
        .context("cannot write the completion script")?;
    Ok(ExitCode::SUCCESS)
}
