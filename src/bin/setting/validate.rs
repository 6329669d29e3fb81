//! `setting validate`: check the config, scenes and playlists, printing every problem as
//! `file:line:col: message` so an editor or a CI log can jump to it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use setting::catalog::{self, Catalog};
use setting::config::ConfigError;
use setting::diagnostic::Diagnostic;

use crate::args::Cli;
use crate::failure::Failure;
use crate::locate;

pub fn run(cli: &Cli, paths: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let diagnostics = match locate::load(cli.config.as_deref()) {
        Ok(config) if paths.is_empty() => Catalog::load(&config)
            .context(Failure::BadInput("cannot read the scenes and playlists".into()))?
            .validate_all(),
        Ok(config) => catalog::validate_paths(&config, paths),
        // A config with problems is itself a validation result, not a failure to validate.
        Err(e) => match e.chain().find_map(|c| c.downcast_ref::<ConfigError>()) {
            Some(ConfigError::Invalid(found)) => found.iter().cloned().collect(),
            _ => return Err(e),
        },
    };
    print(cli, &diagnostics, paths)?;
    Ok(if diagnostics.is_empty() {
        ExitCode::SUCCESS
    } else {
        Failure::Refused(String::new()).exit_code()
    })
}

fn print(cli: &Cli, diagnostics: &[Diagnostic], paths: &[PathBuf]) -> anyhow::Result<()> {
    if cli.json {
        println!("{}", serde_json::to_string_pretty(diagnostics)?);
        return Ok(());
    }
    for d in diagnostics {
        println!("{d}");
    }
    let what = if paths.is_empty() {
        "config, scenes and playlists".to_string()
    } else {
        files(paths.len())
    };
    match diagnostics.len() {
        0 => eprintln!("checked the {what}: no problems"),
        1 => eprintln!("checked the {what}: 1 problem"),
        n => eprintln!("checked the {what}: {n} problems"),
    }
    Ok(())
}

fn files(n: usize) -> String {
    if n == 1 {
        "file".into()
    } else {
        format!("{n} files")
    }
}
