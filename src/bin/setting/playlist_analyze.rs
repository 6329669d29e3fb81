//! `setting playlist analyze [NAME|FILE.m3u]`: loudness per file, as a table or JSON.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use setting::catalog::Catalog;
use setting::curation::{Analysis, analyze_with_progress};
use setting::playlist::import_m3u;

use crate::args::Cli;
use crate::failure::Failure;
use crate::playlist::{files, is_m3u, selected};
use crate::progress::Progress;

pub fn run(cli: &Cli, catalog: &Catalog, name: Option<&str>) -> anyhow::Result<ExitCode> {
    let media = &catalog.config().paths.media;
    let paths = match name {
        // A list someone is about to import is measured as it stands, before it is a playlist.
        Some(file) if is_m3u(file) => import_m3u(Path::new(file), media, catalog.config().audio.read_timeout)
            .with_context(|| Failure::BadInput(format!("cannot use {file}")))?
            .into_iter()
            .map(|t| t.path)
            .collect(),
        _ => {
            let playlists = selected(catalog, name, false)?;
            files(catalog, &playlists, name.is_none())
        }
    };
    let progress = Progress::files(cli, "measuring", paths.len());
    let timeout = catalog.config().audio.read_timeout;
    let analysis = analyze_with_progress(media, &paths, timeout, &|| progress.tick())
        .context("cannot keep the loudness cache")?;
    progress.finish();
    for hang in &analysis.cache_hangs {
        eprintln!("setting: warning: {hang}");
    }
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&analysis)?);
    } else {
        print_table(&analysis);
    }
    Ok(if analysis.failed() == 0 {
        ExitCode::SUCCESS
    } else {
        Failure::Refused(String::new()).exit_code()
    })
}

fn db(value: Option<f64>, unit: &str) -> String {
    value.map_or("-".to_string(), |v| format!("{v:.1} {unit}"))
}

fn print_table(analysis: &Analysis) {
    let width = analysis
        .files
        .iter()
        .map(|f| f.path.len())
        .max()
        .unwrap_or(4)
        .max(4);
    println!(
        "{:<width$}  {:>10}  {:>10}  {:>10}  source",
        "file", "loudness", "true peak", "replaygain"
    );
    for f in &analysis.files {
        let (lufs, peak) = f
            .loudness
            .as_ref()
            .map_or((None, None), |l| (l.lufs, l.true_peak_dbtp));
        let source = match (&f.error, f.cached) {
            (Some(e), _) => format!("not measured: {e}"),
            (None, true) => "cached".to_string(),
            (None, false) => "measured".to_string(),
        };
        println!(
            "{:<width$}  {:>10}  {:>10}  {:>10}  {source}",
            f.path,
            db(lufs, "LUFS"),
            db(peak, "dBTP"),
            f.replaygain_db.map_or("-".to_string(), |g| format!("{g:+.1} dB")),
        );
    }
    eprintln!(
        "{} files: {} measured, {} from the cache ({}), {} not measured",
        analysis.files.len(),
        analysis.measured(),
        analysis.cached(),
        analysis.cache_file.display(),
        analysis.failed()
    );
}
