//! A session's event log, `<state_dir>/sessions/<id>/events.jsonl`: one `LogEntry` per line,
//! appended and flushed to disk before the command that caused it is acknowledged.
//!
//! The reader is forgiving on purpose: a kill -9 can tear the line being written, and a report
//! that refused a whole session for one torn line would lose everything else recorded.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::protocol::LogEntry;

pub const LOG_FILE: &str = "events.jsonl";

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("cannot open the event log {path}")]
    Open { path: PathBuf, source: io::Error },
    #[error("cannot append to the event log {path}")]
    Append { path: PathBuf, source: io::Error },
    #[error("cannot read the event log {path}")]
    Read { path: PathBuf, source: io::Error },
}

/// The open log of the running session.
#[derive(Debug)]
pub struct EventLog {
    path: PathBuf,
    file: File,
}

impl EventLog {
    /// Opens (creating it and its directory if needed) the log at `path` for appending.
    pub fn open(path: &Path) -> Result<EventLog, LogError> {
        let err = |source| LogError::Open {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(err)?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(err)?;
        // A torn last line (killed mid-write) would swallow the next entry; end it first so
        // only the torn one is lost.
        if !ends_with_newline(&mut file).map_err(err)? {
            file.write_all(b"\n").map_err(err)?;
        }
        Ok(EventLog {
            path: path.to_path_buf(),
            file,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one entry and waits until it is on disk.
    pub fn append(&mut self, entry: &LogEntry) -> Result<(), LogError> {
        let err = |source| LogError::Append {
            path: self.path.clone(),
            source,
        };
        let mut line = serde_json::to_vec(entry).map_err(|e| err(io::Error::other(e)))?;
        line.push(b'\n');
        // One write call per entry, so that concurrent readers never see half of one.
        self.file.write_all(&line).map_err(err)?;
        self.file.sync_data().map_err(err)
    }
}

/// True for an empty file too: nothing to repair.
fn ends_with_newline(file: &mut File) -> io::Result<bool> {
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok(true);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

/// A log as read back.
#[derive(Clone, Debug, PartialEq)]
pub struct LogContents {
    pub entries: Vec<LogEntry>,
    /// Lines that could not be parsed (torn by a crash), left out of `entries`.
    pub skipped: usize,
}

pub fn read_log(path: &Path) -> Result<LogContents, LogError> {
    let text = fs::read(path).map_err(|source| LogError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(parse_log(&text))
}

/// Parses log text, skipping (and counting) lines that are not entries.
pub fn parse_log(text: &[u8]) -> LogContents {
    let mut contents = LogContents {
        entries: Vec::new(),
        skipped: 0,
    };
    for line in text.split(|&b| b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<LogEntry>(line) {
            Ok(entry) => contents.entries.push(entry),
            Err(_) => contents.skipped += 1,
        }
    }
    contents
}

/// Wall-clock time as the log writes it: RFC 3339, UTC, milliseconds.
pub fn wall_string(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Millis;
    use crate::timeline::{Event, EventKind};

    fn entry(n: u64) -> LogEntry {
        LogEntry {
            wall: wall_string(SystemTime::UNIX_EPOCH),
            session: "20250101-090000-sublingual".into(),
            event: Event {
                at: Millis(n),
                timeline: Millis(n),
                kind: EventKind::Prompt {
                    text: format!("p{n}"),
                },
            },
        }
    }

    #[test]
    fn appends_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sessions/x").join(LOG_FILE);
        let mut log = EventLog::open(&path).unwrap();
        log.append(&entry(1)).unwrap();
        log.append(&entry(2)).unwrap();
        drop(log);
        let mut log = EventLog::open(&path).unwrap();
        log.append(&entry(3)).unwrap();
        let read = read_log(&path).unwrap();
        assert_eq!(read.entries, vec![entry(1), entry(2), entry(3)]);
        assert_eq!(read.skipped, 0);
    }

    #[test]
    fn a_torn_line_costs_only_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOG_FILE);
        let mut text = serde_json::to_vec(&entry(1)).unwrap();
        text.extend_from_slice(b"\n{\"wall\":\"2025-01-01T09:");
        fs::write(&path, &text).unwrap();
        assert_eq!(
            read_log(&path).unwrap(),
            LogContents {
                entries: vec![entry(1)],
                skipped: 1
            }
        );
        EventLog::open(&path).unwrap().append(&entry(2)).unwrap();
        assert_eq!(
            read_log(&path).unwrap(),
            LogContents {
                entries: vec![entry(1), entry(2)],
                skipped: 1
            }
        );
    }

    #[test]
    fn wall_time_is_rfc3339_utc_with_millis() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_123);
        assert_eq!(wall_string(t), "2023-11-14T22:13:20.123Z");
    }
}
