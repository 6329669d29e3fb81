//! `setting validate`: check the config, scenes and playlists, printing every problem as
//! `file:line:col: message` so an editor or a CI log can jump to it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use setting::catalog::{self, Catalog};
use setting::config::{self, Config, ConfigError};
use setting::diagnostic::Diagnostic;

use crate::args::Cli;
use crate::failure::Failure;
use crate::locate;

pub fn run(cli: &Cli, paths: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let diagnostics = if paths.is_empty() {
        everything(cli)?
    } else {
        named(cli, paths)?
    };
    print(cli, &diagnostics, paths)?;
    Ok(if diagnostics.is_empty() {
        ExitCode::SUCCESS
    } else {
        Failure::Refused(String::new()).exit_code()
    })
}

/// The config found as every command finds it, and everything it points to.
fn everything(cli: &Cli) -> anyhow::Result<Vec<Diagnostic>> {
    match locate::load(cli.config.as_deref()) {
        Ok(config) => {
            note_simulated(&config);
            let unlisted = catalog::directory_problems(&config);
            if !unlisted.is_empty() {
                return Ok(unlisted);
            }
            Ok(Catalog::load(&config)
                .context(Failure::BadInput("cannot read the scenes and playlists".into()))?
                .validate_all())
        }
        // A config with problems is itself a validation result, not a failure to validate.
        Err(e) => match e.chain().find_map(|c| c.downcast_ref::<ConfigError>()) {
            Some(ConfigError::Invalid(found)) => Ok(found.iter().cloned().collect()),
            _ => Err(e),
        },
    }
}

/// The files named. A config among them is checked as the config and is the one the scenes
/// and playlists named with it are checked against, so that a config and its scenes can be
/// checked together before either is installed; else the config found as usual is.
fn named(cli: &Cli, paths: &[PathBuf]) -> anyhow::Result<Vec<Diagnostic>> {
    // The config found as usual is checked as a config even when its TOML cannot be read,
    // so that its own problem is shown rather than a complaint that there is no config.
    let own = config::locate_config(cli.config.as_deref()).ok();
    let is_own = |p: &Path| own.as_deref().is_some_and(|own| same_file(p, own));
    let configs: Vec<&PathBuf> = paths.iter().filter(|p| holds_a_config(p) || is_own(p)).collect();
    if configs.is_empty() {
        return match located(cli) {
            Ok(config) => Ok(catalog::validate_paths(&config, paths)),
            Err(why) => {
                let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                Err(Failure::BadInput(format!(
                    "cannot check {} without a config to check against (the room's zones and \
                     playlists): {why}",
                    shown.join(", ")
                ))
                .into())
            }
        };
    }
    let mut config_problems = Vec::new();
    for path in &configs {
        match config::load_config(path) {
            // The other configs named are checked again by `validate_paths`, as configs.
            Ok(config) => {
                note_simulated(&config);
                return Ok(catalog::validate_paths(&config, paths));
            }
            Err(ConfigError::Invalid(found)) => config_problems.extend(found),
            Err(e) => config_problems.push(Diagnostic::new(path, error_text(e))),
        }
    }
    // Another config would check the scenes against zones and playlists nobody named.
    let unchecked = paths.iter().filter(|p| !configs.contains(p)).map(|p| {
        Diagnostic::new(
            p,
            "not checked: the config named with it has problems, and scenes and playlists are \
             checked against its zones and playlists",
        )
    });
    Ok(config_problems.into_iter().chain(unchecked).collect())
}

/// A valid config whose lights will be simulated says so: it is not a problem (the demo
/// runs that way) but a room whose `[mqtt]` was forgotten must not pass unremarked.
fn note_simulated(config: &Config) {
    if let Some(note) = config.lights.simulated_note() {
        eprintln!("{note}");
    }
}

fn error_text(e: ConfigError) -> String {
    crate::error_chain(&anyhow::Error::from(e))
}

/// The config `--config`, `SETTING_CONFIG` or the usual places give, or why there is none to
/// check against.
fn located(cli: &Cli) -> Result<Config, String> {
    let path = config::locate_config(cli.config.as_deref()).map_err(|e| e.to_string())?;
    config::load_config(&path).map_err(|e| match e {
        ConfigError::Invalid(found) => format!(
            "the config {} has {} (`setting validate {}` lists each); name another with \
             --config, or name one among the files",
            path.display(),
            problems(found.len()),
            path.display()
        ),
        other => error_text(other),
    })
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Whether a file named on the command line is a config: its keys say so, as `validate_paths`
/// decides it. A file whose TOML cannot be read is left to that check, which says why.
fn holds_a_config(path: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    let Ok(table) = toml::from_str::<toml::Table>(&text) else {
        return false;
    };
    let has = |key: &str| table.contains_key(key);
    let other_kind = ["phase", "kind", "track", "when_done"].iter().any(|k| has(k));
    !other_kind && (has("room") || has("daemon"))
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
    eprintln!("checked the {what}: {}", problems(diagnostics.len()));
    Ok(())
}

fn problems(n: usize) -> String {
    match n {
        0 => "no problems".into(),
        1 => "1 problem".into(),
        n => format!("{n} problems"),
    }
}

fn files(n: usize) -> String {
    if n == 1 {
        "file".into()
    } else {
        format!("{n} files")
    }
}
