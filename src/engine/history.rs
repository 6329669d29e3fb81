//! The sessions the daemon has run, as directories under `<state_dir>/sessions/`: naming a new
//! one, finding the latest, and summarising each from its event log. Logs are read only as
//! regular files, never through a link, within [`Limit::EVENT_LOG`].

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::protocol::SessionSummary;
use crate::safe_file::{self, Limit, SafeFileError};
use crate::timeline::EventKind;

use super::event_log::{LOG_FILE, LogContents, LogError, parse_log};

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("`{0}` is not a session id (expected something like 20250314-091500-sublingual)")]
    BadId(String),
    #[error("no session `{0}` is recorded here")]
    Unknown(String),
    #[error("no session has been recorded yet")]
    Empty,
    #[error("cannot list the sessions in {path}")]
    List { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Log(#[from] LogError),
    /// Not a regular file (a link, a FIFO), past [`Limit::EVENT_LOG`], or unreadable.
    #[error("cannot read the event log of session {session}")]
    Unreadable { session: String, source: SafeFileError },
}

#[derive(Clone, Debug)]
pub struct History {
    root: PathBuf,
}

impl History {
    pub fn in_state_dir(state_dir: &Path) -> History {
        History {
            root: state_dir.join("sessions"),
        }
    }

    pub fn log_path(&self, session: &str) -> PathBuf {
        self.root.join(session).join(LOG_FILE)
    }

    /// `YYYYMMDD-HHMMSS-<scene>` in UTC, with `-2`, `-3`... if a session of that scene was
    /// already started in the same second (a start, a stop and a start again).
    pub fn new_session_id(&self, scene: &str, wall: SystemTime) -> String {
        let stamp = humantime::format_rfc3339_seconds(wall).to_string();
        let digits: String = stamp.chars().filter(char::is_ascii_digit).collect();
        let base = format!("{}-{}-{scene}", &digits[..8], &digits[8..14]);
        let mut id = base.clone();
        let mut n = 2;
        while self.root.join(&id).exists() {
            id = format!("{base}-{n}");
            n += 1;
        }
        id
    }

    /// Session ids with a log, oldest first (ids sort by their start time).
    pub fn list(&self) -> Result<Vec<String>, HistoryError> {
        let entries = match fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(HistoryError::List {
                    path: self.root.clone(),
                    source,
                });
            }
        };
        let mut ids: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|id| is_session_id(id) && self.log_path(id).is_file())
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// The log of `session`, or of the latest one when `None`.
    pub fn read(&self, session: Option<&str>) -> Result<(String, LogContents), HistoryError> {
        let id = match session {
            Some(id) if !is_session_id(id) => return Err(HistoryError::BadId(id.to_string())),
            Some(id) => id.to_string(),
            None => self.list()?.pop().ok_or(HistoryError::Empty)?,
        };
        let path = self.log_path(&id);
        let text = match safe_file::read_limited(&path, Limit::EVENT_LOG) {
            Ok(text) => text,
            Err(e) if e.is_not_found() => return Err(HistoryError::Unknown(id)),
            Err(source) => return Err(HistoryError::Unreadable { session: id, source }),
        };
        Ok((id, parse_log(&text)))
    }

    /// One summary per session, each from the head and the tail of its log only: the list is
    /// asked for on the engine's loop, and a clinic's history grows without end.
    pub fn summaries(&self) -> Result<Vec<SessionSummary>, HistoryError> {
        let mut out = Vec::new();
        for id in self.list()? {
            // One unreadable log must not hide the others from the list.
            match ends_of(&self.log_path(&id)) {
                Ok(contents) => out.push(summarise(id, &contents)),
                Err(e) => tracing::warn!(session = %id, error = %e, "cannot summarise session"),
            }
        }
        Ok(out)
    }
}

/// How much of a log's end is read for its summary: a session's last entries, its end among
/// them, are far less.
const TAIL_BYTES: u64 = 64 * 1024;

/// The entries at the head and the tail of a log (the whole of a short one): a session starts
/// with its first entry and ends with one of its last.
fn ends_of(path: &Path) -> Result<LogContents, SafeFileError> {
    use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
    let read_error = |source| SafeFileError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = safe_file::open_read(path)?;
    let length = file.metadata().map_err(read_error)?.len();
    let mut reader = BufReader::new(file);
    if length <= 2 * TAIL_BYTES {
        let mut whole = Vec::new();
        reader.read_to_end(&mut whole).map_err(read_error)?;
        return Ok(parse_log(&whole));
    }
    // A first line of megabytes is no entry: its first `TAIL_BYTES` are enough to tell.
    let mut head = Vec::new();
    (&mut reader)
        .take(TAIL_BYTES)
        .read_until(b'\n', &mut head)
        .map_err(read_error)?;
    reader
        .seek(SeekFrom::Start(length - TAIL_BYTES))
        .map_err(read_error)?;
    let mut tail = Vec::new();
    reader.read_to_end(&mut tail).map_err(read_error)?;
    // The tail starts inside a line: that part is no entry.
    let from = tail
        .iter()
        .position(|&b| b == b'\n')
        .map_or(tail.len(), |i| i + 1);
    let mut contents = parse_log(&head);
    contents.entries.extend(parse_log(&tail[from..]).entries);
    Ok(contents)
}

fn summarise(session: String, contents: &LogContents) -> SessionSummary {
    let mut summary = SessionSummary {
        session,
        scene: String::new(),
        started: String::new(),
        ended: None,
    };
    for entry in &contents.entries {
        match &entry.event.kind {
            EventKind::SessionStarted { scene, .. } => {
                summary.scene = scene.clone();
                summary.started = entry.wall.clone();
            }
            EventKind::SessionEnded { .. } => summary.ended = Some(entry.wall.clone()),
            _ => {}
        }
    }
    summary
}

/// Ids name directories, so anything that could climb out of `sessions/` is refused.
pub fn is_session_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 200
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_utc_stamps_and_unique() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::in_state_dir(dir.path());
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        let id = history.new_session_id("sublingual", t);
        assert_eq!(id, "20231114-221320-sublingual");
        fs::create_dir_all(dir.path().join("sessions").join(&id)).unwrap();
        assert_eq!(
            history.new_session_id("sublingual", t),
            "20231114-221320-sublingual-2"
        );
    }

    #[test]
    fn refuses_ids_that_leave_the_directory() {
        for bad in ["", "..", "../etc", "a/b", ".hidden", "x\0y"] {
            assert!(!is_session_id(bad), "{bad:?}");
        }
        assert!(is_session_id("20231114-221320-sublingual-2"));
    }

    #[test]
    fn a_long_log_is_summarised_from_its_head_and_tail_as_from_the_whole() {
        use super::super::event_log::{EventLog, wall_string};
        use crate::protocol::LogEntry;
        use crate::time::Millis;
        use crate::timeline::{Event, Source};
        let dir = tempfile::tempdir().unwrap();
        let history = History::in_state_dir(dir.path());
        let id = "20250101-090000-sublingual";
        let entry = |n: u64, kind: EventKind| LogEntry {
            seq: 0,
            wall: wall_string(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(n)),
            session: id.into(),
            event: Event {
                at: Millis(n),
                timeline: Millis(n),
                kind,
            },
        };
        let mut log = EventLog::open(&history.log_path(id)).unwrap();
        log.append(&entry(
            0,
            EventKind::SessionStarted {
                scene: "sublingual".into(),
                session: id.into(),
            },
        ))
        .unwrap();
        for n in 1..3000 {
            let text = format!("prompt number {n}, long enough to fill the log past its tail");
            log.append(&entry(n, EventKind::hint(text))).unwrap();
        }
        log.append(&entry(
            3000,
            EventKind::SessionEnded {
                reason: "ended".into(),
                source: Source::daemon(),
            },
        ))
        .unwrap();
        drop(log);
        assert!(fs::metadata(history.log_path(id)).unwrap().len() > 4 * TAIL_BYTES);
        let quick = history.summaries().unwrap();
        let (_, whole) = history.read(Some(id)).unwrap();
        assert_eq!(quick, vec![summarise(id.into(), &whole)]);
        assert_eq!(quick[0].scene, "sublingual");
        assert!(quick[0].ended.is_some());
    }

    #[test]
    fn a_log_that_is_not_a_regular_file_is_refused_unread() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let history = History::in_state_dir(dir.path());
        let linked = "20250101-090000-sublingual";
        fs::create_dir_all(history.log_path(linked).parent().unwrap()).unwrap();
        symlink("/dev/zero", history.log_path(linked)).unwrap();
        let error = history.read(Some(linked)).unwrap_err();
        assert!(
            crate::error_text::error_chain(&error).contains("is a symbolic link"),
            "{error:?}"
        );
        assert!(history.summaries().unwrap().is_empty());
    }

    #[test]
    fn a_line_with_a_key_said_twice_is_left_out_of_the_log_as_read() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::in_state_dir(dir.path());
        let id = "20250101-090000-sublingual";
        let path = history.log_path(id);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let lines = [
            r#"{"wall":"w","session":"s1","at":0,"timeline":0,"event":"session_started","scene":"sublingual","session":"s1"}"#,
            r#"{"wall":"w","session":"s1","at":1,"timeline":1,"event":"prompt","text":"kept"}"#,
            r#"{"wall":"w","session":"s1","at":2,"timeline":2,"event":"prompt","text":"one","text":"two"}"#,
        ];
        fs::write(&path, lines.join("\n") + "\n").unwrap();
        let (_, contents) = history.read(Some(id)).unwrap();
        assert_eq!(contents.entries.len(), 2);
        assert_eq!(contents.skipped, 1);
    }

    #[test]
    fn an_empty_history_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::in_state_dir(dir.path());
        assert!(history.list().unwrap().is_empty());
        assert!(matches!(history.read(None), Err(HistoryError::Empty)));
        assert!(matches!(
            history.read(Some("nope")),
            Err(HistoryError::Unknown(_))
        ));
        assert!(matches!(history.read(Some("../x")), Err(HistoryError::BadId(_))));
    }
}
