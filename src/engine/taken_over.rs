//! The direct emergencies this room's daemon has taken over, kept in
//! `<state_dir>/emergencies-taken-over.json` across restarts.
//!
//! A direct emergency leaves a retained notice on the broker; once the engine has taken it
//! over, the notice is cleared. If the daemon dies first, or the broker is away when the
//! clear would go, the notice is still there at the next start. Without this record the new
//! daemon would take it over again: the room lit to full and the session put back into an
//! emergency the therapist may have resumed from hours ago. With it, the notice is only
//! cleared.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::safe_file::{self, Limit, SafeFileError};

const FILE_NAME: &str = "emergencies-taken-over.json";

/// How long a taken-over emergency is remembered: a notice older than this that is still on
/// the broker has outlived any session it belonged to.
const KEEP_FOR_MS: u64 = 30 * 24 * 3600 * 1000;
/// At most this many are kept (the newest), so the file stays a few KiB whatever happens.
const KEEP_AT_MOST: usize = 256;

const LIMIT: Limit = Limit {
    bytes: 1 << 20,
    what: "the record of emergencies taken over",
};

#[derive(Debug, thiserror::Error)]
pub enum TakenOverError {
    #[error("cannot read {}", .0.path().display())]
    Read(#[source] SafeFileError),
    #[error("{} is not a record of emergencies taken over", path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot write {}", .0.path().display())]
    Write(#[source] SafeFileError),
}

/// Each emergency's id, with when it was taken over (ms since 1970).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakenOver {
    taken: BTreeMap<String, u64>,
}

impl TakenOver {
    pub fn path(state_dir: &Path) -> PathBuf {
        state_dir.join(FILE_NAME)
    }

    /// The record as the daemon starts with it: an unreadable one is logged and taken as
    /// empty, the safe way round (an emergency still on the broker is honoured again).
    pub fn load_or_empty(state_dir: &Path) -> TakenOver {
        TakenOver::load(state_dir).unwrap_or_else(|e| {
            tracing::error!(
                error = %crate::error_text::error_chain(&e),
                "the record of emergencies taken over cannot be read; starting without it"
            );
            TakenOver::default()
        })
    }

    /// The record, or an empty one when there is none yet.
    pub fn load(state_dir: &Path) -> Result<TakenOver, TakenOverError> {
        let path = TakenOver::path(state_dir);
        let bytes = match safe_file::read_limited(&path, LIMIT) {
            Ok(bytes) => bytes,
            Err(e) if e.is_not_found() => return Ok(TakenOver::default()),
            Err(e) => return Err(TakenOverError::Read(e)),
        };
        serde_json::from_slice(&bytes).map_err(|source| TakenOverError::Parse { path, source })
    }

    pub fn contains(&self, id: &str) -> bool {
        self.taken.contains_key(id)
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.taken.keys().map(String::as_str)
    }

    /// Adds `ids`, taken over at `now_unix_ms`, and forgets those past [`KEEP_FOR_MS`] or
    /// beyond the newest [`KEEP_AT_MOST`].
    pub fn add(&mut self, ids: impl IntoIterator<Item = String>, now_unix_ms: u64) {
        for id in ids {
            self.taken.insert(id, now_unix_ms);
        }
        let oldest = now_unix_ms.saturating_sub(KEEP_FOR_MS);
        self.taken.retain(|_, at| *at >= oldest);
        if self.taken.len() > KEEP_AT_MOST {
            let mut by_age: Vec<(u64, String)> =
                self.taken.iter().map(|(id, at)| (*at, id.clone())).collect();
            by_age.sort();
            let excess = self.taken.len() - KEEP_AT_MOST;
            for (_, id) in by_age.into_iter().take(excess) {
                self.taken.remove(&id);
            }
        }
    }

    pub fn save(&self, state_dir: &Path) -> Result<(), TakenOverError> {
        let bytes = serde_json::to_vec_pretty(self).expect("the record is always JSON");
        safe_file::write_atomically(&TakenOver::path(state_dir), &bytes).map_err(TakenOverError::Write)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY_MS: u64 = 24 * 3600 * 1000;

    #[test]
    fn what_is_saved_is_loaded_back_and_nothing_saved_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(TakenOver::load(dir.path()).unwrap(), TakenOver::default());
        let mut record = TakenOver::default();
        record.add(["1700000000000-42".to_string()], 1_700_000_000_500);
        record.save(dir.path()).unwrap();
        let loaded = TakenOver::load(dir.path()).unwrap();
        assert!(loaded.contains("1700000000000-42"));
        assert!(!loaded.contains("1700000000000-43"));
    }

    #[test]
    fn old_and_surplus_ids_are_forgotten() {
        let mut record = TakenOver::default();
        let now = 100 * DAY_MS;
        record.add(["old".to_string()], now - 31 * DAY_MS);
        record.add((0..300).map(|i| format!("id-{i:03}")), now);
        assert!(!record.contains("old"), "older than 30 days");
        assert_eq!(record.ids().count(), KEEP_AT_MOST);
        record.add(["newest".to_string()], now + 1);
        assert!(record.contains("newest"), "the newest is kept");
        assert_eq!(record.ids().count(), KEEP_AT_MOST);
    }

    #[test]
    fn a_damaged_or_planted_record_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = TakenOver::path(dir.path());
        std::fs::write(&path, "{ not json").unwrap();
        let error = TakenOver::load(dir.path()).unwrap_err();
        assert!(error.to_string().contains(FILE_NAME), "{error}");
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
        let error = TakenOver::load(dir.path()).unwrap_err();
        assert!(matches!(error, TakenOverError::Read(_)), "{error:?}");
        // The daemon starts with an empty record then, and leaves the planted file as it is.
        assert_eq!(TakenOver::load_or_empty(dir.path()), TakenOver::default());
        assert!(path.is_symlink());
    }
}
