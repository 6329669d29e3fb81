//! A session's event log on disk, `<state_dir>/sessions/<id>/events.jsonl`: one `LogEntry` per
//! line, appended and synced before the command that caused it is acknowledged (the numbering
//! and the order of writes are `crate::journal`'s).
//!
//! The reader is forgiving on purpose: a kill -9 can tear the line being written, and a report
//! that refused a whole session for one torn line would lose everything else recorded.

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::safe_file::{self, Limit, SafeFileError};
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
    /// Bytes in the file: where a failed append is cut back to.
    len: u64,
    /// Bytes of a torn last line cut off when it was opened.
    torn: u64,
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
        // A symlink planted where the log goes must not make the daemon append elsewhere.
        let mut file = safe_file::open_append(path).map_err(|e| err(into_io(e)))?;
        // A torn last line (killed mid-write) was never acknowledged: cut it off, so that
        // the next entry starts on a line of its own.
        let len = file.seek(SeekFrom::End(0)).map_err(err)?;
        let whole = whole_lines_len(&mut file, len).map_err(err)?;
        if whole < len {
            file.set_len(whole).map_err(err)?;
            file.sync_data().map_err(err)?;
        }
        Ok(EventLog {
            path: path.to_path_buf(),
            file,
            len: whole,
            torn: len - whole,
        })
    }

    /// Bytes of a torn last line cut off when the log was opened (0: none).
    pub fn torn_bytes(&self) -> u64 {
        self.torn
    }

    /// Appends whole lines and waits until they are on disk. On a failure what was written
    /// of them is cut off again, so a refused entry never comes back at the next start.
    pub fn append_bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        let written = self.file.write_all(bytes).and_then(|()| self.file.sync_data());
        match written {
            Ok(()) => {
                self.len += bytes.len() as u64;
                Ok(())
            }
            Err(e) => {
                // Shrinking a file needs no space, so this works on a full disk too.
                let _ = self.file.set_len(self.len);
                Err(e)
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one entry and waits until it is on disk.
    pub fn append(&mut self, entry: &LogEntry) -> Result<(), LogError> {
        let path = self.path.clone();
        let err = |source| LogError::Append { path, source };
        let line = serde_json::to_vec(entry).map(|mut line| {
            line.push(b'\n');
            line
        });
        match line {
            Ok(line) => self.append_bytes(&line).map_err(err),
            Err(e) => Err(err(io::Error::other(e))),
        }
    }
}

/// The length of the file up to and including its last newline (`len` for a file that
/// ends with one or is empty).
fn whole_lines_len(file: &mut File, len: u64) -> io::Result<u64> {
    const CHUNK: u64 = 4096;
    let mut end = len;
    let mut buf = vec![0u8; CHUNK as usize];
    while end > 0 {
        let start = end.saturating_sub(CHUNK);
        let chunk = &mut buf[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(chunk)?;
        if let Some(i) = chunk.iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// A log as read back.
#[derive(Clone, Debug, PartialEq)]
pub struct LogContents {
    pub entries: Vec<LogEntry>,
    /// Lines that could not be parsed (torn by a crash), left out of `entries`.
    pub skipped: usize,
}

pub fn read_log(path: &Path) -> Result<LogContents, LogError> {
    let text = safe_file::read_limited(path, Limit::EVENT_LOG).map_err(|e| LogError::Read {
        path: path.to_path_buf(),
        source: into_io(e),
    })?;
    Ok(parse_log(&text))
}

/// The I/O error behind a refusal to open or read, keeping its kind where there is one (a
/// full or read-only disk must read as such), else the refusal's own words.
fn into_io(error: SafeFileError) -> io::Error {
    match error {
        SafeFileError::Open { source, .. }
        | SafeFileError::Read { source, .. }
        | SafeFileError::Write { source, .. } => source,
        other => io::Error::new(io::ErrorKind::InvalidInput, other.to_string()),
    }
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
            seq: n,
            wall: wall_string(SystemTime::UNIX_EPOCH),
            session: "20250101-090000-sublingual".into(),
            event: Event {
                at: Millis(n),
                timeline: Millis(n),
                kind: EventKind::hint(format!("p{n}")),
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
        let mut log = EventLog::open(&path).unwrap();
        assert_eq!(log.torn_bytes(), 23);
        log.append(&entry(2)).unwrap();
        assert_eq!(
            read_log(&path).unwrap(),
            LogContents {
                entries: vec![entry(1), entry(2)],
                skipped: 0
            }
        );
    }

    #[test]
    fn wall_time_is_rfc3339_utc_with_millis() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_123);
        assert_eq!(wall_string(t), "2023-11-14T22:13:20.123Z");
    }
}
