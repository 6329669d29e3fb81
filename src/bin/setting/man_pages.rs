//! `setting man`: man pages for `setting` and each of its subcommands, generated from the
//! clap definition so that they say what `--help` says.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, CommandFactory};

use crate::args::Cli;

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The directory to write `setting.1`, `setting-emergency.1`, ... into; created if missing.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
}

pub fn run(args: &ManArgs) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create the directory {}", args.out.display()))?;
    clap_mangen::generate_to(Cli::command(), &args.out)
        .with_context(|| format!("cannot write the man pages into {}", args.out.display()))?;
    eprintln!("wrote the man pages into {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}
