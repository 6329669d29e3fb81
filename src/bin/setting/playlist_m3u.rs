//! `setting playlist import` and `export`: M3U and M3U8 in and out.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use setting::catalog::is_scene_name;
use setting::config::Config;
use setting::curation::header_seconds;
use setting::playlist::m3u::{M3uError, export_m3u8, import_m3u, playlist_toml};
use setting::playlist::{Playlist, parse_playlist};

use crate::args::Cli;
use crate::failure::Failure;

pub fn import(
    cli: &Cli,
    config: &Config,
    file: &Path,
    name: Option<&str>,
    force: bool,
) -> anyhow::Result<ExitCode> {
    let name = match name {
        Some(n) => n.to_string(),
        None => file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    if !is_scene_name(&name) {
        return Err(Failure::BadInput(format!(
            "`{name}` cannot name a playlist file; expected a plain name such as `peak`"
        ))
        .into());
    }
    let target = config.paths.playlists.join(format!("{name}.toml"));
    if target.exists() && !force {
        return Err(Failure::Refused(format!(
            "{} already exists; pass --force to replace it",
            target.display()
        ))
        .into());
    }
    let tracks = match import_m3u(file, &config.paths.media, config.audio.read_timeout) {
        Ok(tracks) => tracks,
        Err(M3uError::Invalid { path, problems }) => {
            for p in &problems {
                println!("{}:{p}", path.display());
            }
            return Err(Failure::Refused(format!("{} problems; nothing written", problems.len())).into());
        }
        Err(e) => return Err(e).context(Failure::BadInput("cannot import".into())),
    };
    let text = playlist_toml(&name, &tracks);
    // The file must load like any other; checking here keeps a bad one out of the directory.
    parse_playlist(&name, &target, &text, &[]).map_err(|e| Failure::Refused(e.to_string()))?;
    std::fs::write(&target, &text).with_context(|| format!("cannot write {}", target.display()))?;
    if cli.json {
        println!(
            "{}",
            serde_json::json!({ "playlist": name, "file": target, "tracks": tracks.len() })
        );
    } else {
        eprintln!("wrote {} ({} tracks)", target.display(), tracks.len());
    }
    Ok(ExitCode::SUCCESS)
}

pub fn export(
    cli: &Cli,
    config: &Config,
    playlist: &Playlist,
    output: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let dir = match output {
        Some(file) => file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new(".")),
        None => Path::new("."),
    };
    let media = &config.paths.media;
    let text = export_m3u8(playlist, media, dir, &|rel| header_seconds(&media.join(rel)));
    let tracks = playlist.tracks.len();
    match output {
        Some(file) => {
            std::fs::write(file, text).with_context(|| format!("cannot write {}", file.display()))?;
            if cli.json {
                println!(
                    "{}",
                    serde_json::json!({ "playlist": playlist.name, "file": file, "tracks": tracks })
                );
            } else {
                eprintln!("wrote {} ({tracks} tracks)", file.display());
            }
        }
        // The M3U8 text rides inside the JSON, so stdout stays one document.
        None if cli.json => {
            println!(
                "{}",
                serde_json::json!({ "playlist": playlist.name, "tracks": tracks, "m3u8": text })
            );
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
