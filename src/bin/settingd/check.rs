//! `settingd --check`: validate the config the daemon would use, every scene and playlist it
//! points to, and the media files the playlists name (there, regular, readable), without
//! binding the socket or starting anything.

use std::path::Path;
use std::process::ExitCode;

use setting::catalog::Catalog;
use setting::config::{ConfigError, load_config, locate_config};
use setting::diagnostic::Diagnostic;

/// What `--check` exits with when it finds a problem: the same "bad input" as a usage error,
/// so a unit's `ExecStartPre=settingd --check` fails loudly and tells the two outcomes apart.
const PROBLEMS: u8 = 2;

/// Prints each problem as `file:line:col: message` on stderr, or one summary line when there
/// are none. Finds the config by the same rules as a real start, so it checks what would run.
pub fn run(explicit: Option<&Path>) -> ExitCode {
    let path = match locate_config(explicit) {
        Ok(path) => path,
        Err(e) => return problem(format!("settingd: {e}")),
    };
    let config = match load_config(&path) {
        Ok(config) => config,
        Err(ConfigError::Invalid(found)) => return report(&found.into_vec()),
        Err(e) => {
            let why = setting::error_text::error_chain(&e);
            return problem(format!(
                "settingd: cannot load the config {}: {why}",
                path.display()
            ));
        }
    };
    let unlisted = setting::catalog::directory_problems(&config);
    if !unlisted.is_empty() {
        return report(&unlisted);
    }
    let catalog = match Catalog::load(&config) {
        Ok(catalog) => catalog,
        Err(e) => return problem(format!("settingd: {}", setting::error_text::error_chain(&e))),
    };
    if let Some(note) = config.lights.simulated_note() {
        eprintln!("{note}");
    }
    let mut found = catalog.validate_all();
    let (media, tracks) = catalog.media_problems();
    found.extend(media);
    if !found.is_empty() {
        return report(&found);
    }
    eprintln!(
        "config {}: {} scenes, {} playlists, no problems; the files of their {tracks} tracks are \
         there, regular and readable",
        path.display(),
        catalog.scene_names().len(),
        catalog.playlist_names().len()
    );
    ExitCode::SUCCESS
}

fn report(found: &[Diagnostic]) -> ExitCode {
    for d in found {
        eprintln!("{d}");
    }
    ExitCode::from(PROBLEMS)
}

fn problem(line: String) -> ExitCode {
    eprintln!("{line}");
    ExitCode::from(PROBLEMS)
}
