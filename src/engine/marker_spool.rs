//! The emergency spool: a directory beside the daemon's state (`<state_dir>/emergency`, group
//! writable and setgid in the installed layout) where any therapist's `setting emergency` can
//! leave its marker when the daemon does not answer, though the state directory itself is the
//! daemon's alone. One file per emergency, so two therapists never write the same file. What
//! is found there is untrusted: opened as [`safe_file`] opens the daemon's own files, bounded
//! in size and number, and every file that cannot be read is named in a warning.

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::marker::{DirectEmergency, MarkerError, Read};
use crate::safe_file::{self, Limit};
use crate::strict_json;

/// The spool's name inside the state directory.
pub const SPOOL_DIR: &str = "emergency";

/// A marker in the spool: `direct-<id>.json`.
const PREFIX: &str = "direct-";
const SUFFIX: &str = ".json";

/// Read at once at most; a spool holding more is honoured as the whole room's emergency
/// (someone filling it is not to keep the daemon reading forever).
pub const MAX_MARKERS: usize = 32;

/// Group read and write: the daemon (in the group) reads it and removes it.
const MODE: u32 = 0o640;

pub fn spool_dir(state_dir: &Path) -> PathBuf {
    state_dir.join(SPOOL_DIR)
}

/// One marker file found in the spool.
#[derive(Debug, PartialEq)]
pub struct Found {
    pub path: PathBuf,
    /// The file's owner: the account that really left it, whatever it says inside.
    pub owner: Option<u32>,
    pub read: Read,
}

/// What the spool holds.
#[derive(Debug, Default, PartialEq)]
pub struct Spool {
    pub found: Vec<Found>,
    /// More files than [`MAX_MARKERS`]: the rest were not read.
    pub overflowed: bool,
}

impl DirectEmergency {
    /// The marker's own file in the spool, named for its id (never two the same).
    pub fn spool_path(&self, spool: &Path) -> PathBuf {
        let id = self.id.as_deref().unwrap_or("0");
        let clean: String = id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .take(64)
            .collect();
        spool.join(format!("{PREFIX}{clean}{SUFFIX}"))
    }

    /// Leaves the marker in `spool` (created if missing, as in a user's own layout), readable
    /// by the spool's group whatever the sender's umask.
    pub fn leave_in_spool(&self, spool: &Path) -> Result<PathBuf, MarkerError> {
        fs::create_dir_all(spool).map_err(|source| MarkerError::CreateDir {
            path: spool.to_path_buf(),
            source,
        })?;
        let path = self.spool_path(spool);
        let json = serde_json::to_vec_pretty(self).map_err(|source| MarkerError::Encode {
            path: path.clone(),
            source,
        })?;
        safe_file::write_atomically_as(&path, &json, Some(MODE)).map_err(|source| MarkerError::Write {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }
}

fn is_marker_name(name: &str) -> bool {
    name.starts_with(PREFIX) && name.ends_with(SUFFIX)
}

/// Whether the spool holds anything that looks like a marker; cheap enough for every turn
/// of the loop.
pub fn has_markers(spool: &Path) -> bool {
    let Ok(entries) = fs::read_dir(spool) else {
        return false;
    };
    entries
        .flatten()
        .any(|e| e.file_name().to_str().is_some_and(is_marker_name))
}

/// Every marker in the spool, oldest name first. A file that cannot be read (a link, a FIFO,
/// too large, not JSON) is still a marker, as in the state directory: it is returned as
/// [`Read::Unreadable`] with the reason, for the daemon to warn about and honour. Other names
/// (a half-written `.tmp`) are left alone.
pub fn read_spool(spool: &Path) -> Result<Spool, MarkerError> {
    let entries = match fs::read_dir(spool) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Spool::default()),
        Err(e) => {
            return Err(MarkerError::Read {
                path: spool.to_path_buf(),
                source: safe_file::SafeFileError::Read {
                    path: spool.to_path_buf(),
                    source: e,
                },
            });
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(is_marker_name))
        .map(|e| e.path())
        .collect();
    paths.sort();
    let overflowed = paths.len() > MAX_MARKERS;
    paths.truncate(MAX_MARKERS);
    let found = paths
        .into_iter()
        .map(|path| {
            let owner = fs::symlink_metadata(&path).ok().map(|m| m.uid());
            let read = match safe_file::read_limited(&path, Limit::MARKER) {
                Ok(bytes) => match strict_json::from_slice::<DirectEmergency>(&bytes) {
                    Ok(marker) => Read::Marker(marker),
                    Err(e) => Read::Unreadable(e.to_string()),
                },
                Err(e) => Read::Unreadable(crate::error_text::error_chain(&e)),
            };
            Found { path, owner, read }
        })
        .collect();
    Ok(Spool { found, overflowed })
}

/// Removes what was applied; one already gone is fine.
pub fn remove_found(path: &Path) -> Result<(), MarkerError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(MarkerError::Remove {
            path: path.to_path_buf(),
            source: e,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker(id: &str, zones: &[&str]) -> DirectEmergency {
        DirectEmergency {
            id: Some(id.into()),
            sent_unix_ms: 1_700_000_000_000,
            whole_room: false,
            zones: zones.iter().map(|z| z.to_string()).collect(),
            lights: Vec::new(),
            user: Some("ana".into()),
            broker: "127.0.0.1:1883".into(),
        }
    }

    #[test]
    fn each_emergency_has_its_own_file_readable_by_the_group() {
        let dir = tempfile::tempdir().unwrap();
        let spool = spool_dir(dir.path());
        assert!(!has_markers(&spool));
        let first = marker("1-2", &["mat-1"]).leave_in_spool(&spool).unwrap();
        let second = marker("3-4", &["mat-2"]).leave_in_spool(&spool).unwrap();
        assert_ne!(first, second);
        assert!(has_markers(&spool));
        assert_eq!(fs::metadata(&first).unwrap().mode() & 0o777, MODE);
        let read = read_spool(&spool).unwrap();
        assert_eq!(read.found.len(), 2);
        assert!(matches!(&read.found[0].read, Read::Marker(m) if m.zones == ["mat-1"]));
        // SAFETY: getuid(2) has no preconditions.
        assert_eq!(read.found[0].owner, Some(unsafe { libc::getuid() }));
        remove_found(&first).unwrap();
        remove_found(&first).expect("gone already is fine");
        assert_eq!(read_spool(&spool).unwrap().found.len(), 1);
    }

    #[test]
    fn an_id_cannot_lead_the_file_out_of_the_spool() {
        let spool = Path::new("/var/lib/setting/emergency");
        let path = marker("../../etc/passwd", &[]).spool_path(spool);
        assert_eq!(path, spool.join("direct-etcpasswd.json"));
    }

    #[test]
    fn a_link_or_garbage_in_the_spool_is_named_and_stray_files_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let spool = dir.path().join("emergency");
        fs::create_dir(&spool).unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, b"{}").unwrap();
        std::os::unix::fs::symlink(&victim, spool.join("direct-a.json")).unwrap();
        fs::write(spool.join("direct-b.json"), b"{\"zones\": ").unwrap();
        fs::write(spool.join("direct-c.json.tmp"), b"half").unwrap();
        fs::write(spool.join("notes.txt"), b"hello").unwrap();
        let read = read_spool(&spool).unwrap();
        let names: Vec<_> = read
            .found
            .iter()
            .map(|f| f.path.file_name().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["direct-a.json", "direct-b.json"]);
        assert!(matches!(&read.found[0].read, Read::Unreadable(why) if why.contains("symbolic link")));
        assert!(matches!(&read.found[1].read, Read::Unreadable(_)));
    }

    #[test]
    fn a_flooded_spool_is_read_only_up_to_its_bound() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..MAX_MARKERS + 3 {
            marker(&format!("{i:03}"), &["mat-1"])
                .leave_in_spool(dir.path())
                .unwrap();
        }
        let read = read_spool(dir.path()).unwrap();
        assert_eq!(read.found.len(), MAX_MARKERS);
        assert!(read.overflowed);
    }
}
