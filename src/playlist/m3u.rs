//! M3U and M3U8 playlists: reading their entries (with the line each came from), resolving
//! them to paths under the media root, and writing a playlist back out as M3U8.

use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use super::model::Playlist;
use crate::media_io::parallel::map_parallel;
use crate::media_io::read_watch::{Hung, run_watched};

/// One track of an M3U file, as written.
#[derive(Clone, Debug, PartialEq)]
pub struct M3uEntry {
    /// 1-based line of the path.
    pub line: usize,
    pub location: String,
    /// From the `#EXTINF` line before it, if any.
    pub title: Option<String>,
    /// Seconds from `#EXTINF`; `None` when absent or -1 (unknown).
    pub seconds: Option<f64>,
}

/// A track resolved to the media root.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedTrack {
    /// Relative to the media root, `/`-separated.
    pub path: String,
    pub title: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct M3uProblem {
    pub line: usize,
    pub kind: M3uProblemKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum M3uProblemKind {
    BadExtinf(String),
    /// Streams cannot be vouched for by a check before the session.
    Url(String),
    Missing(PathBuf),
    /// Looking at the file hung past the read timeout (a stalled share).
    Hung(PathBuf, Hung),
    OutsideMediaRoot(PathBuf),
    NoTracks,
}

impl fmt::Display for M3uProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.line)?;
        match &self.kind {
            M3uProblemKind::BadExtinf(line) => write!(
                f,
                "`{line}` is not an #EXTINF line; expected `#EXTINF:SECONDS,TITLE`"
            ),
            M3uProblemKind::Url(url) => write!(
                f,
                "`{url}` is a URL; only files under the media root can be played"
            ),
            M3uProblemKind::Missing(path) => write!(f, "{}: no such file", path.display()),
            M3uProblemKind::Hung(path, hung) => write!(f, "{}: {hung}", path.display()),
            M3uProblemKind::OutsideMediaRoot(path) => {
                write!(f, "{} is not under the media root", path.display())
            }
            M3uProblemKind::NoTracks => write!(f, "the file lists no tracks"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum M3uError {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", problems.iter().map(|p| format!("{}:{p}", path.display())).collect::<Vec<_>>().join("\n"))]
    Invalid {
        path: PathBuf,
        problems: Vec<M3uProblem>,
    },
}

/// The text of an M3U file: UTF-8 (M3U8, or plain ASCII), else Latin-1, which is what old
/// `.m3u` files written on Windows hold.
pub fn decode_m3u_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// The entries of an M3U text, or every malformed line. `#EXTM3U` and other comments are
/// skipped; an `#EXTINF` applies to the next path.
pub fn parse_m3u(text: &str) -> Result<Vec<M3uEntry>, Vec<M3uProblem>> {
    let (entries, problems) = parse_m3u_lines(text);
    if problems.is_empty() {
        Ok(entries)
    } else {
        Err(problems)
    }
}

/// The well-formed entries of an M3U text together with every malformed line, so that the
/// entries can be resolved too and every problem said at once.
pub fn parse_m3u_lines(text: &str) -> (Vec<M3uEntry>, Vec<M3uProblem>) {
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    let mut pending: Option<(Option<f64>, Option<String>)> = None;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let text = raw.trim();
        if text.is_empty() {
            continue;
        }
        if let Some(info) = text.strip_prefix("#EXTINF:") {
            match parse_extinf(info) {
                Some(parsed) => pending = Some(parsed),
                None => problems.push(M3uProblem {
                    line,
                    kind: M3uProblemKind::BadExtinf(text.to_string()),
                }),
            }
            continue;
        }
        if text.starts_with('#') {
            continue;
        }
        let (seconds, title) = pending.take().unwrap_or((None, None));
        // Players on Windows write backslashes; on this side they only mean separators. Turned
        // first, so that `http:\\host\path` is seen as the URL it is.
        let location = text.replace('\\', "/");
        if location.contains("://") {
            problems.push(M3uProblem {
                line,
                kind: M3uProblemKind::Url(text.to_string()),
            });
            continue;
        }
        entries.push(M3uEntry {
            line,
            location,
            title,
            seconds,
        });
    }
    if entries.is_empty() && problems.is_empty() {
        problems.push(M3uProblem {
            line: text.lines().count().max(1),
            kind: M3uProblemKind::NoTracks,
        });
    }
    (entries, problems)
}

/// `SECONDS[ attributes],TITLE`: the attributes some players add (`tvg-id=".."`) are ignored.
fn parse_extinf(info: &str) -> Option<(Option<f64>, Option<String>)> {
    let (head, title) = info.split_once(',')?;
    let seconds: f64 = head.split_whitespace().next()?.parse().ok()?;
    let seconds = (seconds >= 0.0 && seconds.is_finite()).then_some(seconds);
    let title = Some(title.trim().to_string()).filter(|t| !t.is_empty());
    Some((seconds, title))
}

/// Resolves entries against the M3U file's directory and makes them relative to the media
/// root, reporting every entry that is missing or lies outside it. Each entry is looked at on a
/// thread of its own, on every core, and given up once the look has hung for `read_timeout`
/// (a file on a stalled share): a stat hangs there as a read does.
pub fn resolve_m3u(
    entries: &[M3uEntry],
    m3u_dir: &Path,
    media_root: &Path,
    read_timeout: Duration,
) -> Result<Vec<ImportedTrack>, Vec<M3uProblem>> {
    // Canonical paths so that symlinks and `..` inside the M3U do not fool the prefix test.
    let root = media_root.to_path_buf();
    let root = run_watched(read_timeout, move |watch| {
        watch.reading(|| root.canonicalize().unwrap_or(root.clone()))
    })
    .unwrap_or_else(|_| media_root.to_path_buf());
    let looked = map_parallel(entries, |entry| {
        let path = m3u_dir.join(&entry.location);
        let theirs = path.clone();
        let real = run_watched(read_timeout, move |watch| {
            watch.reading(|| theirs.canonicalize().ok().filter(|p| p.is_file()))
        });
        (path, real)
    });
    let mut tracks = Vec::new();
    let mut problems = Vec::new();
    for (entry, (path, real)) in entries.iter().zip(looked) {
        let problem = |kind| M3uProblem {
            line: entry.line,
            kind,
        };
        let real = match real {
            Ok(Some(real)) => real,
            Ok(None) => {
                problems.push(problem(M3uProblemKind::Missing(path)));
                continue;
            }
            Err(hung) => {
                problems.push(problem(M3uProblemKind::Hung(path, hung)));
                continue;
            }
        };
        match real.strip_prefix(&root) {
            Ok(rel) => tracks.push(ImportedTrack {
                path: slash_path(rel),
                title: entry.title.clone(),
            }),
            Err(_) => problems.push(problem(M3uProblemKind::OutsideMediaRoot(real))),
        }
    }
    if problems.is_empty() {
        Ok(tracks)
    } else {
        Err(problems)
    }
}

/// Reads an M3U file and resolves its tracks; every problem comes back at once.
/// An entry whose look hangs for `read_timeout` is a problem, named as a hung read.
pub fn import_m3u(
    file: &Path,
    media_root: &Path,
    read_timeout: Duration,
) -> Result<Vec<ImportedTrack>, M3uError> {
    let bytes = std::fs::read(file).map_err(|source| M3uError::Read {
        path: file.to_path_buf(),
        source,
    })?;
    let invalid = |problems| M3uError::Invalid {
        path: file.to_path_buf(),
        problems,
    };
    let (entries, mut problems) = parse_m3u_lines(&decode_m3u_text(&bytes));
    let dir = file.parent().unwrap_or(Path::new("."));
    match resolve_m3u(&entries, dir, media_root, read_timeout) {
        Ok(tracks) if problems.is_empty() => return Ok(tracks),
        Ok(_) => {}
        Err(unresolved) => problems.extend(unresolved),
    }
    problems.sort_by_key(|p| p.line);
    Err(invalid(problems))
}

/// A playlist file's TOML for imported tracks; titles become curators' notes.
pub fn playlist_toml(title: &str, tracks: &[ImportedTrack]) -> String {
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut out = format!("title = {}\nwhen_done = \"loop\"\n", quote(title));
    for track in tracks {
        out.push_str(&format!("\n[[track]]\npath = {}\n", quote(&track.path)));
        if let Some(t) = &track.title {
            out.push_str(&format!("note = {}\n", quote(t)));
        }
    }
    out
}

/// The playlist as M3U8 text, each path relative to `out_dir` (the output file's directory).
/// `seconds` gives each track's length where known (written -1 otherwise, as M3U allows).
pub fn export_m3u8(
    playlist: &Playlist,
    media_root: &Path,
    out_dir: &Path,
    seconds: &dyn Fn(&str) -> Option<f64>,
) -> String {
    let mut out = String::from("#EXTM3U\n");
    out.push_str(&format!("#PLAYLIST:{}\n", playlist.title));
    for track in &playlist.tracks {
        let title = track.note.clone().unwrap_or_else(|| {
            Path::new(&track.path)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        let secs = seconds(&track.path).map_or(-1, |s| s.round() as i64);
        let file = track.file(media_root);
        out.push_str(&format!("#EXTINF:{secs},{}\n", title.replace('\n', " ")));
        out.push_str(&slash_path(&relative_to(&file, out_dir)));
        out.push('\n');
    }
    out
}

/// `target` relative to the directory `base`, both made absolute first.
pub fn relative_to(target: &Path, base: &Path) -> PathBuf {
    let absolute = |p: &Path| {
        let p = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        p.canonicalize().unwrap_or(p)
    };
    let target = absolute(target);
    let base = absolute(base);
    let t: Vec<Component> = target.components().collect();
    let b: Vec<Component> = base.components().collect();
    let common = t.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut rel = PathBuf::new();
    for _ in common..b.len() {
        rel.push("..");
    }
    for c in &t[common..] {
        rel.push(c);
    }
    rel
}

fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media_io::read_watch::DEFAULT_READ_TIMEOUT;

    fn lines(problems: &[M3uProblem]) -> Vec<String> {
        problems.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn extended_m3u_with_titles_and_comments() {
        let text = "#EXTM3U\n# a comment\n#EXTINF:123,Slow Rise\npeak/01.flac\n\npeak/02.ogg\n#EXTINF:-1,\r\nC:\\music\\03.mp3\r\n";
        let entries = parse_m3u(text).unwrap();
        assert_eq!(
            entries,
            [
                M3uEntry {
                    line: 4,
                    location: "peak/01.flac".into(),
                    title: Some("Slow Rise".into()),
                    seconds: Some(123.0)
                },
                M3uEntry {
                    line: 6,
                    location: "peak/02.ogg".into(),
                    title: None,
                    seconds: None
                },
                M3uEntry {
                    line: 8,
                    location: "C:/music/03.mp3".into(),
                    title: None,
                    seconds: None
                },
            ]
        );
    }

    #[test]
    fn every_bad_line_is_reported_with_its_number() {
        let text =
            "#EXTM3U\n#EXTINF:abc,Title\na.flac\n#EXTINF:12 Title\nhttp://radio.example/stream\nb.flac\n";
        assert_eq!(
            lines(&parse_m3u(text).unwrap_err()),
            [
                "2: `#EXTINF:abc,Title` is not an #EXTINF line; expected `#EXTINF:SECONDS,TITLE`",
                "4: `#EXTINF:12 Title` is not an #EXTINF line; expected `#EXTINF:SECONDS,TITLE`",
                "5: `http://radio.example/stream` is a URL; only files under the media root can be played",
            ]
        );
        assert_eq!(
            lines(&parse_m3u("#EXTM3U\n# nothing\n").unwrap_err()),
            ["2: the file lists no tracks"]
        );
    }

    #[test]
    fn latin1_files_are_read() {
        assert_eq!(decode_m3u_text(b"caf\xe9.flac"), "café.flac");
        assert_eq!(decode_m3u_text("\u{feff}é.flac".as_bytes()), "é.flac");
    }

    #[test]
    fn resolves_against_the_m3u_directory_and_reports_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let media = dir.path().join("media");
        std::fs::create_dir_all(media.join("peak")).unwrap();
        std::fs::write(media.join("peak/01.flac"), b"x").unwrap();
        std::fs::write(dir.path().join("outside.flac"), b"x").unwrap();
        let lists = dir.path().join("lists");
        std::fs::create_dir_all(&lists).unwrap();
        let entries = parse_m3u("../media/peak/01.flac\n../media/peak/02.flac\n../outside.flac\n").unwrap();
        let problems = resolve_m3u(&entries, &lists, &media, DEFAULT_READ_TIMEOUT).unwrap_err();
        assert_eq!(problems.iter().map(|p| p.line).collect::<Vec<_>>(), [2, 3]);
        assert!(matches!(&problems[0].kind, M3uProblemKind::Missing(p) if p.ends_with("peak/02.flac")));
        assert!(matches!(&problems[1].kind, M3uProblemKind::OutsideMediaRoot(_)));
        let ok = resolve_m3u(&entries[..1], &lists, &media, DEFAULT_READ_TIMEOUT).unwrap();
        assert_eq!(ok[0].path, "peak/01.flac");
    }

    #[test]
    fn an_import_says_bad_lines_and_missing_files_together_in_line_order() {
        let dir = tempfile::tempdir().unwrap();
        let media = dir.path().join("media");
        std::fs::create_dir_all(&media).unwrap();
        std::fs::write(media.join("01.flac"), b"x").unwrap();
        let m3u = media.join("list.m3u");
        std::fs::write(
            &m3u,
            "#EXTM3U\n02.flac\n#EXTINF:soon,Bad\n01.flac\nhttp://radio/stream\n",
        )
        .unwrap();
        let Err(M3uError::Invalid { problems, .. }) = import_m3u(&m3u, &media, DEFAULT_READ_TIMEOUT) else {
            panic!("an M3U with problems was taken");
        };
        assert_eq!(problems.iter().map(|p| p.line).collect::<Vec<_>>(), [2, 3, 5]);
        assert!(matches!(&problems[0].kind, M3uProblemKind::Missing(_)));
        assert!(matches!(&problems[1].kind, M3uProblemKind::BadExtinf(_)));
        assert!(matches!(&problems[2].kind, M3uProblemKind::Url(_)));
    }

    #[test]
    fn relative_paths_climb_out_of_the_output_directory() {
        assert_eq!(
            relative_to(Path::new("/m/peak/01.flac"), Path::new("/m/lists/x")),
            Path::new("../../peak/01.flac")
        );
        assert_eq!(
            relative_to(Path::new("/m/a.flac"), Path::new("/m")),
            Path::new("a.flac")
        );
    }

    #[test]
    fn imported_titles_are_quoted_in_toml() {
        let text = playlist_toml(
            "Say \"hi\"",
            &[ImportedTrack {
                path: "a/b.flac".into(),
                title: Some("x\"y".into()),
            }],
        );
        let value: toml::Table = text.parse().unwrap();
        assert_eq!(value["title"].as_str(), Some("Say \"hi\""));
    }
}
