//! The marker a direct emergency leaves: when `setting emergency` could not reach the daemon
//! and lit the room through the broker itself, it says so in the spool (`marker_spool`; in the
//! state directory itself where the sender may write there), and the daemon that comes back
//! applies the emergency itself (audited as `cli-direct`) instead of dimming the room back to
//! the scene. The room's retained notice on the broker becomes a marker in the spool too.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::room::{Handover, IdleEmergency};
use crate::time::Millis;
use crate::timeline::Action;

use super::marker_spool::{self, Found, spool_dir};
use super::peer::account_name;
use super::session::Engine;
use crate::error_text::error_chain;
use crate::safe_file::{self, Limit, SafeFileError};
use crate::strict_json;

pub const MARKER_FILE: &str = "emergency-direct.json";

/// An emergency sent straight to the lights while the daemon did not answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DirectEmergency {
    /// The emergency's own name (`<sent_unix_ms>-<pid>`), shared with its notice on the
    /// broker: the daemon takes over each once.
    #[serde(default)]
    pub id: Option<String>,
    /// Wall time it was sent, in milliseconds since the Unix epoch.
    pub sent_unix_ms: u64,
    /// The whole room; else only `zones`.
    pub whole_room: bool,
    pub zones: Vec<String>,
    /// The lights the broker acknowledged.
    pub lights: Vec<String>,
    /// Who sent it (the login name or uid).
    pub user: Option<String>,
    /// The broker it went through, `host:port`.
    pub broker: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MarkerError {
    #[error("cannot create the state directory {} for the emergency marker", path.display())]
    CreateDir { path: PathBuf, source: io::Error },
    #[error("cannot encode the emergency marker {}", path.display())]
    Encode {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("cannot write the emergency marker {}", path.display())]
    Write { path: PathBuf, source: SafeFileError },
    /// Anything but a readable regular file in its place (a FIFO, a link) is this too, and so
    /// honoured as an emergency for the whole room.
    #[error("cannot read the emergency marker {}", path.display())]
    Read { path: PathBuf, source: SafeFileError },
    #[error("cannot remove the emergency marker {}", path.display())]
    Remove { path: PathBuf, source: io::Error },
}

pub fn marker_path(state_dir: &Path) -> PathBuf {
    state_dir.join(MARKER_FILE)
}

impl DirectEmergency {
    /// Writes the marker, joined with one already there: two direct emergencies for two
    /// zones before the daemon returns must both be honoured.
    pub fn write(&self, state_dir: &Path) -> Result<(), MarkerError> {
        let path = marker_path(state_dir);
        let mut marker = self.clone();
        if let Ok(Some(Read::Marker(earlier))) = read(state_dir) {
            marker.whole_room |= earlier.whole_room;
            for zone in earlier.zones {
                if !marker.zones.contains(&zone) {
                    marker.zones.push(zone);
                }
            }
            for light in earlier.lights {
                if !marker.lights.contains(&light) {
                    marker.lights.push(light);
                }
            }
        }
        fs::create_dir_all(state_dir).map_err(|source| MarkerError::CreateDir {
            path: state_dir.to_path_buf(),
            source,
        })?;
        let json = serde_json::to_vec_pretty(&marker).map_err(|source| MarkerError::Encode {
            path: path.clone(),
            source,
        })?;
        safe_file::write_atomically(&path, &json).map_err(|source| MarkerError::Write { path, source })
    }
}

/// What the state directory holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Read {
    Marker(DirectEmergency),
    /// A marker that cannot be read is still a marker: it is honoured as a whole-room
    /// emergency, since dimming a room someone lit in an emergency is the worse mistake.
    Unreadable(String),
}

/// The marker, if there is one: a regular file, read whole within its limit, each key once
/// (a marker saying `whole_room` twice cannot be trusted to say which).
pub fn read(state_dir: &Path) -> Result<Option<Read>, MarkerError> {
    let path = marker_path(state_dir);
    let bytes = match safe_file::read_limited(&path, Limit::MARKER) {
        Ok(bytes) => bytes,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(source) => return Err(MarkerError::Read { path, source }),
    };
    Ok(Some(match strict_json::from_slice(&bytes) {
        Ok(marker) => Read::Marker(marker),
        Err(e) => Read::Unreadable(e.to_string()),
    }))
}

pub fn remove(state_dir: &Path) -> Result<(), MarkerError> {
    let path = marker_path(state_dir);
    match fs::remove_file(&path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(MarkerError::Remove { path, source: e }),
        _ => Ok(()),
    }
}

impl Engine {
    /// Dispatches a resumed session's actions with a direct emergency applied on top of them.
    /// The scene's looks for the zones the emergency covers are dropped rather than sent and
    /// then overridden, so the room is never dimmed in between.
    pub(super) fn dispatch_resumed(&mut self, actions: Vec<Action>, now: Millis) {
        let Some(pending) = self.pending_marker() else {
            self.dispatch(actions);
            return;
        };
        let kept = pending.handover.over(actions);
        self.dispatch(kept);
        self.apply_to_session(pending, now);
    }

    /// A daemon that was only hung (stopped, swapped out) and runs on finds the marker at its
    /// next heartbeat: it applies the emergency itself, so the session cannot dim the room at
    /// its next cue, the audit has it, and a later restart does not apply a stale one again.
    ///
    /// Whatever fell due meanwhile is carried out with the emergency on top, as after a
    /// restart: a look due for a zone the emergency covers is never sent.
    pub(super) fn honour_marker_while_running(&mut self) {
        // Whatever is there, even a link to nowhere, counts: one that cannot be read is
        // honoured as an emergency for the whole room.
        let state_dir = &self.options.state_dir;
        if fs::symlink_metadata(marker_path(state_dir)).is_err()
            && !marker_spool::has_markers(&spool_dir(state_dir))
        {
            return;
        }
        // One already applied that could not be removed is not applied again at every turn.
        if let Some(stuck) = self.stuck_marker.clone()
            && self.pending_marker().is_some_and(|p| p.handover.said == stuck)
        {
            return;
        }
        let Some(now) = self.now() else {
            self.honour_marker_when_idle();
            return;
        };
        let actions = match self.session.as_mut() {
            Some(running) => running.core.timeline.tick(now),
            None => Vec::new(),
        };
        self.dispatch_resumed(actions, now);
        self.retire_if_finished();
    }

    fn apply_to_session(&mut self, pending: Pending, now: Millis) {
        // A session that ended meanwhile takes no command: the room is lit as with none.
        self.retire_if_finished();
        if self.session.is_none() {
            self.light_idle_room(pending);
            return;
        }
        let honour = &pending.handover;
        tracing::warn!(said = %honour.said, "EMERGENCY sent directly while the daemon did not answer: applying it to the session");
        for request in honour.requests() {
            let Some(running) = self.session.as_mut() else {
                break;
            };
            match running.core.timeline.command(now, request) {
                Ok(actions) => {
                    self.dispatch(actions);
                }
                Err(e) => tracing::error!(error = %e, "the direct emergency could not be applied"),
            }
        }
        self.remove_marker(pending);
    }

    /// With no session to resume, a direct emergency still leaves the room lit and the music
    /// muted, as an emergency with no session does; the daemon log records it.
    pub(super) fn honour_marker_when_idle(&mut self) {
        if self.session.is_some() {
            return;
        }
        let Some(pending) = self.pending_marker() else {
            return;
        };
        self.light_idle_room(pending);
    }

    fn light_idle_room(&mut self, pending: Pending) {
        let honour = &pending.handover;
        let policy = &self.options.config.policy;
        let zones = honour.idle_zones(policy);
        let held = self.warnings.idle_emergency.as_ref();
        let (orders, held) = IdleEmergency::begin_zones(held, policy, zones);
        tracing::warn!(
            said = %honour.said,
            zones = ?orders.zones,
            "EMERGENCY sent directly while the daemon was away, no session running: full light, music muted"
        );
        self.light_idle(orders, held);
        self.remove_marker(pending);
    }

    /// The markers waiting, in the state directory and the spool, as one hand-over. Spool
    /// markers the daemon already took over in this run (the notice on the broker came back as
    /// one) are only removed.
    fn pending_marker(&mut self) -> Option<Pending> {
        let state_dir = self.options.state_dir.clone();
        let mut parts = Vec::new();
        let mut files = Vec::new();
        match read(&state_dir) {
            Ok(None) => {}
            Ok(Some(read)) => {
                parts.push(Part::of(read, None));
                files.push(marker_path(&state_dir));
            }
            Err(e) => {
                // Cannot tell: err towards the emergency.
                tracing::error!(error = %error_chain(&e), "cannot read the emergency marker; honouring it");
                parts.push(Part::of(Read::Unreadable(error_chain(&e)), None));
                files.push(marker_path(&state_dir));
            }
        }
        let spool = match marker_spool::read_spool(&spool_dir(&state_dir)) {
            Ok(spool) => spool,
            Err(e) => {
                tracing::error!(error = %error_chain(&e), "cannot look into the emergency spool");
                Default::default()
            }
        };
        if spool.overflowed {
            tracing::warn!(
                spool = %spool_dir(&state_dir).display(),
                "more than {} emergency markers in the spool: honoured as the whole room's",
                marker_spool::MAX_MARKERS
            );
            parts.push(Part::of(
                Read::Unreadable("too many markers in the spool".into()),
                None,
            ));
        }
        for found in spool.found {
            if let Read::Marker(DirectEmergency { id: Some(id), .. }) = &found.read
                && self.handed_over.contains(id)
            {
                tracing::info!(file = %found.path.display(), "an emergency already taken over; its marker goes");
                if let Err(e) = marker_spool::remove_found(&found.path) {
                    // Harmless: it is skipped again at every turn, never applied twice.
                    tracing::warn!(error = %error_chain(&e), "an emergency marker already taken over cannot be removed");
                }
                continue;
            }
            parts.push(self.checked(&found));
            files.push(found.path);
        }
        if parts.is_empty() {
            return None;
        }
        let whole_room = parts.iter().any(|p| p.whole_room);
        let mut zones: Vec<String> = Vec::new();
        let mut who: Vec<String> = Vec::new();
        for part in &parts {
            for zone in &part.zones {
                if !zones.contains(zone) {
                    zones.push(zone.clone());
                }
            }
            if let Some(name) = &part.who
                && !who.contains(name)
            {
                who.push(name.clone());
            }
        }
        let said = parts
            .iter()
            .map(|p| p.said.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let who = (!who.is_empty()).then(|| who.join(", "));
        Some(Pending {
            handover: Handover::new(whole_room, &zones, who, said),
            files,
            ids: parts.into_iter().filter_map(|p| p.id).collect(),
        })
    }

    /// A spool marker checked as the untrusted input it is: its zones must be the room's, and
    /// the sender is the file's owner, whatever the file says. A warning names the file for
    /// anything left out.
    fn checked(&self, found: &Found) -> Part {
        let file = found.path.display().to_string();
        let owner = found.owner.map(account_name);
        let marker = match &found.read {
            Read::Marker(marker) => marker,
            Read::Unreadable(reason) => {
                tracing::warn!(
                    file,
                    reason,
                    "an emergency marker in the spool cannot be read; honoured as the whole room's"
                );
                return Part::of(found.read.clone(), owner);
            }
        };
        let room = &self.options.config.policy.zones;
        let (known, unknown): (Vec<String>, Vec<String>) =
            marker.zones.iter().cloned().partition(|z| room.contains(z));
        if !unknown.is_empty() {
            tracing::warn!(file, zones = ?unknown, "an emergency marker names zones this room does not have; left out");
        }
        let mut marker = marker.clone();
        if !marker.whole_room && known.is_empty() {
            tracing::warn!(
                file,
                "an emergency marker names none of this room's zones; honoured as the whole room's"
            );
            marker.whole_room = true;
        }
        marker.zones = known;
        let claimed = marker.user.take();
        marker.user = owner.clone().or(claimed.clone());
        let mut part = Part::of(Read::Marker(marker), None);
        if let (Some(owner), Some(claimed)) = (owner, claimed)
            && owner != claimed
        {
            part.said = format!("{} (the file is {owner}'s; it says {claimed})", part.said);
        }
        part
    }

    /// Once applied (and saved), the markers go, and the lights are told which emergencies
    /// were taken over (their notices on the broker go too). A marker that cannot go is applied
    /// again at the next start: the safe way round, but worth a warning; `said` names what was
    /// applied, so one that cannot be removed is applied once in this run.
    fn remove_marker(&mut self, pending: Pending) {
        let said = pending.handover.said;
        for id in &pending.ids {
            self.lights.direct_handed_over(id);
        }
        if !pending.ids.is_empty() {
            self.handed_over.add(
                pending.ids,
                super::persist::unix_millis(std::time::SystemTime::now()),
            );
            // Before the markers go: a daemon that dies after this finds them taken over.
            if let Err(e) = self.handed_over.save(&self.options.state_dir) {
                tracing::error!(error = %error_chain(&e), "the emergencies taken over are not recorded; a notice still on the broker at the next start is honoured again");
            }
        }
        let mut stuck = None;
        for file in &pending.files {
            let removed = if *file == marker_path(&self.options.state_dir) {
                remove(&self.options.state_dir)
            } else {
                marker_spool::remove_found(file)
            };
            if let Err(e) = removed {
                stuck = Some(e);
            }
        }
        match stuck {
            None => self.stuck_marker = None,
            Some(e) => {
                tracing::error!(error = %error_chain(&e), "the emergency marker stays; the next start applies it again");
                if self.stuck_marker.as_deref() != Some(said.as_str()) {
                    self.warnings.standing.push(error_chain(&e));
                }
                self.stuck_marker = Some(said);
            }
        }
    }
}

/// What is waiting to be handed over: every marker found, as one.
pub(super) struct Pending {
    handover: Handover,
    /// The files it came from, removed once applied.
    files: Vec<PathBuf>,
    /// The ids of the emergencies in it.
    ids: Vec<String>,
}

/// One marker's share of a hand-over.
struct Part {
    whole_room: bool,
    zones: Vec<String>,
    who: Option<String>,
    said: String,
    id: Option<String>,
}

impl Part {
    fn of(read: Read, owner: Option<String>) -> Part {
        match read {
            Read::Marker(marker) => Part {
                said: format!(
                    "by {} at {} ms since 1970 through {}: {}",
                    marker.user.as_deref().unwrap_or("someone"),
                    marker.sent_unix_ms,
                    marker.broker,
                    if marker.lights.is_empty() {
                        marker.zones.join(", ")
                    } else {
                        marker.lights.join(", ")
                    }
                ),
                whole_room: marker.whole_room,
                zones: marker.zones,
                who: marker.user,
                id: marker.id,
            },
            Read::Unreadable(reason) => {
                let handover = Handover::unreadable(&reason);
                Part {
                    whole_room: true,
                    zones: Vec::new(),
                    who: owner,
                    said: handover.said,
                    id: None,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker(whole_room: bool, zones: &[&str]) -> DirectEmergency {
        DirectEmergency {
            id: None,
            sent_unix_ms: 1_700_000_000_000,
            whole_room,
            zones: zones.iter().map(|z| z.to_string()).collect(),
            lights: zones.iter().map(|z| format!("{z}-lamp")).collect(),
            user: Some("therapist".into()),
            broker: "127.0.0.1:1883".into(),
        }
    }

    #[test]
    fn a_second_marker_joins_the_first_and_removal_clears_it() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()).unwrap(), None);
        marker(false, &["mat-1"]).write(dir.path()).unwrap();
        marker(false, &["mat-2"]).write(dir.path()).unwrap();
        let Some(Read::Marker(joined)) = read(dir.path()).unwrap() else {
            panic!("a marker")
        };
        assert_eq!(joined.zones, ["mat-2", "mat-1"]);
        assert!(!joined.whole_room);
        marker(true, &["room"]).write(dir.path()).unwrap();
        let Some(Read::Marker(joined)) = read(dir.path()).unwrap() else {
            panic!("a marker")
        };
        assert!(joined.whole_room);
        remove(dir.path()).unwrap();
        assert_eq!(read(dir.path()).unwrap(), None);
        remove(dir.path()).expect("removing what is gone is fine");
    }

    #[test]
    fn a_damaged_marker_is_still_a_marker() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(marker_path(dir.path()), "{half a").unwrap();
        assert!(matches!(read(dir.path()).unwrap(), Some(Read::Unreadable(_))));
    }

    #[test]
    fn a_marker_saying_a_key_twice_is_unreadable_and_so_the_whole_room() {
        let dir = tempfile::tempdir().unwrap();
        let json = serde_json::to_string(&marker(false, &["mat-1"])).unwrap();
        let twice = json.replacen(
            "\"whole_room\":false",
            "\"whole_room\":false,\"whole_room\":false",
            1,
        );
        assert_ne!(json, twice);
        fs::write(marker_path(dir.path()), twice).unwrap();
        let Some(Read::Unreadable(reason)) = read(dir.path()).unwrap() else {
            panic!("unreadable")
        };
        assert!(reason.contains("`whole_room`"), "{reason}");
    }

    #[test]
    fn a_fifo_or_link_in_its_place_is_refused_at_once_and_replaced_by_a_write() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let path = marker_path(dir.path());
        let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: mkfifo(3) with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let error = read(dir.path()).unwrap_err();
        assert!(
            error_chain(&error).contains("is a FIFO"),
            "{}",
            error_chain(&error)
        );
        remove(dir.path()).unwrap();

        let victim = dir.path().join("victim");
        fs::write(&victim, b"precious").unwrap();
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        assert!(error_chain(&read(dir.path()).unwrap_err()).contains("symbolic link"));
        std::os::unix::fs::symlink(&victim, safe_file::temp_path(&path)).unwrap();
        marker(true, &["room"]).write(dir.path()).unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(matches!(read(dir.path()).unwrap(), Some(Read::Marker(m)) if m.whole_room));
    }
}
