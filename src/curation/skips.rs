//! Which tracks therapists skipped, across every session the daemon recorded: read from the
//! `track_skipped` events of each session's log, so curators can see what lands badly.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use crate::engine::history::{History, HistoryError};
use crate::timeline::EventKind;

/// Every skipped track, most-skipped first, and the logs that could not be read in full.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SkipReport {
    pub tracks: Vec<SkippedTrack>,
    /// Session logs read, in full or in part.
    pub sessions_read: usize,
    /// Logs left out or read only in part; never fatal.
    pub problems: Vec<LogProblem>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SkippedTrack {
    /// As the playlist names it, relative to the media directory.
    pub path: String,
    /// The playlists it was playing from when skipped.
    pub playlists: Vec<String>,
    /// Plays of it that were skipped: skipping one play twice (`skip`, then `skip --grounding`
    /// before the next track started) is one skip.
    pub skips: usize,
    /// Of those, the skips to the scene's grounding track: the track seemed to unsettle.
    pub grounding: usize,
    /// How many sessions it was skipped in.
    pub sessions: usize,
    /// Wall-clock time of the latest skip, RFC 3339 in UTC.
    pub last_skipped: String,
    pub last_session: String,
    /// Who skipped it: the user when known, else how the skip came (`cli`, `mqtt`...).
    pub skipped_by: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogProblem {
    pub session: String,
    pub problem: String,
}

#[derive(Default)]
struct Tally {
    playlists: BTreeSet<String>,
    skips: usize,
    grounding: usize,
    sessions: BTreeSet<String>,
    last: (String, String),
    who: BTreeSet<String>,
}

/// Skips recorded under `state_dir`, only of tracks playing from `playlist` when given. A
/// state directory with no sessions yet gives an empty report.
pub fn skips(state_dir: &Path, playlist: Option<&str>) -> Result<SkipReport, HistoryError> {
    let history = History::in_state_dir(state_dir);
    let mut report = SkipReport::default();
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for id in history.list()? {
        let contents = match history.read(Some(&id)) {
            Ok((_, contents)) => contents,
            Err(e) => {
                report.problems.push(LogProblem {
                    session: id,
                    problem: e.to_string(),
                });
                continue;
            }
        };
        report.sessions_read += 1;
        if contents.skipped > 0 {
            report.problems.push(LogProblem {
                session: id.clone(),
                problem: format!("{} unreadable lines left out", contents.skipped),
            });
        }
        // The track last flagged, and whether to the grounding track, until the next starts:
        // a skip of it again is the same play (logs written before the daemon kept one flag
        // per play have both).
        let mut flagged: Option<(String, bool)> = None;
        for entry in &contents.entries {
            let (from, path, grounding, source) = match &entry.event.kind {
                EventKind::Track { .. } => {
                    flagged = None;
                    continue;
                }
                EventKind::TrackSkipped {
                    playlist: from,
                    path: Some(path),
                    grounding,
                    source,
                } => (from, path, *grounding, source),
                _ => continue,
            };
            if playlist.is_some_and(|name| from.as_deref() != Some(name)) {
                continue;
            }
            let tally = tallies.entry(path.clone()).or_default();
            tally.playlists.extend(from.clone());
            match &mut flagged {
                Some((same, was_grounding)) if same == path => {
                    if grounding && !*was_grounding {
                        tally.grounding += 1;
                        *was_grounding = true;
                    }
                }
                _ => {
                    tally.skips += 1;
                    tally.grounding += usize::from(grounding);
                    flagged = Some((path.clone(), grounding));
                }
            }
            tally.sessions.insert(id.clone());
            if entry.wall >= tally.last.0 {
                tally.last = (entry.wall.clone(), id.clone());
            }
            tally
                .who
                .insert(source.who.clone().unwrap_or_else(|| source.via.to_string()));
        }
    }
    report.tracks = tallies
        .into_iter()
        .map(|(path, t)| SkippedTrack {
            path,
            playlists: t.playlists.into_iter().collect(),
            skips: t.skips,
            grounding: t.grounding,
            sessions: t.sessions.len(),
            last_skipped: t.last.0,
            last_session: t.last.1,
            skipped_by: t.who.into_iter().collect(),
        })
        .collect();
    report.tracks.sort_by(|a, b| {
        b.skips
            .cmp(&a.skips)
            .then(b.sessions.cmp(&a.sessions))
            .then(a.path.cmp(&b.path))
    });
    Ok(report)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::protocol::LogEntry;
    use crate::time::Millis;
    use crate::timeline::{Event, Source};

    fn entry(session: &str, wall: &str, kind: EventKind) -> String {
        let entry = LogEntry {
            seq: 0,
            wall: wall.into(),
            session: session.into(),
            event: Event {
                at: Millis(0),
                timeline: Millis(0),
                kind,
            },
        };
        serde_json::to_string(&entry).unwrap()
    }

    fn skip(playlist: &str, path: &str, who: Option<&str>) -> EventKind {
        EventKind::TrackSkipped {
            playlist: Some(playlist.into()),
            path: Some(path.into()),
            grounding: false,
            source: Source {
                via: crate::timeline::Via::Cli,
                who: who.map(Into::into),
            },
        }
    }

    fn write_log(state: &Path, session: &str, lines: &[String]) {
        let dir = state.join("sessions").join(session);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("events.jsonl"), lines.join("\n") + "\n").unwrap();
    }

    fn two_sessions(state: &Path) {
        let a = "20250101-090000-sublingual";
        let b = "20250102-090000-sublingual";
        write_log(
            state,
            a,
            &[
                entry(
                    a,
                    "2025-01-01T09:10:00.000Z",
                    skip("peak", "peak/drone.flac", Some("ana")),
                ),
                // Played again later, and skipped again: a second skip.
                entry(
                    a,
                    "2025-01-01T09:19:00.000Z",
                    EventKind::Track {
                        playlist: "peak".into(),
                        path: "peak/drone.flac".into(),
                    },
                ),
                entry(
                    a,
                    "2025-01-01T09:20:00.000Z",
                    skip("peak", "peak/drone.flac", Some("ana")),
                ),
                entry(
                    a,
                    "2025-01-01T09:30:00.000Z",
                    skip("onset", "onset/rain.flac", None),
                ),
            ],
        );
        write_log(
            state,
            b,
            &[
                entry(
                    b,
                    "2025-01-02T09:10:00.000Z",
                    skip("peak", "peak/drone.flac", Some("ben")),
                ),
                // Torn by a crash mid-write.
                "{\"wall\":\"2025-01-02T09:1".to_string(),
            ],
        );
    }

    #[test]
    fn counts_skips_per_track_across_sessions() {
        let dir = tempfile::tempdir().unwrap();
        two_sessions(dir.path());
        let report = skips(dir.path(), None).unwrap();
        assert_eq!(report.sessions_read, 2);
        assert_eq!(report.tracks.len(), 2);
        let drone = &report.tracks[0];
        assert_eq!(drone.path, "peak/drone.flac");
        assert_eq!(drone.playlists, ["peak"]);
        assert_eq!((drone.skips, drone.sessions), (3, 2));
        assert_eq!(drone.last_skipped, "2025-01-02T09:10:00.000Z");
        assert_eq!(drone.last_session, "20250102-090000-sublingual");
        assert_eq!(drone.skipped_by, ["ana", "ben"]);
        assert_eq!(report.tracks[1].skipped_by, ["cli"]);
        assert_eq!(report.problems.len(), 1);
        assert_eq!(report.problems[0].session, "20250102-090000-sublingual");
    }

    #[test]
    fn a_play_skipped_twice_is_one_skip_upgraded_to_grounding() {
        let dir = tempfile::tempdir().unwrap();
        let id = "20250104-090000-sublingual";
        let grounding = |who| {
            let mut kind = skip("peak", "peak/drone.flac", Some(who));
            if let EventKind::TrackSkipped { grounding, .. } = &mut kind {
                *grounding = true;
            }
            kind
        };
        write_log(
            dir.path(),
            id,
            &[
                entry(
                    id,
                    "2025-01-04T09:10:00.000Z",
                    skip("peak", "peak/drone.flac", Some("ana")),
                ),
                // `skip --grounding` during the cross-fade, before the next track started.
                entry(id, "2025-01-04T09:10:02.000Z", grounding("ana")),
                entry(
                    id,
                    "2025-01-04T09:10:08.000Z",
                    EventKind::Track {
                        playlist: "peak".into(),
                        path: "peak/bells.flac".into(),
                    },
                ),
                entry(
                    id,
                    "2025-01-04T09:20:00.000Z",
                    skip("peak", "peak/bells.flac", Some("ben")),
                ),
            ],
        );
        let report = skips(dir.path(), None).unwrap();
        let drone = report
            .tracks
            .iter()
            .find(|t| t.path == "peak/drone.flac")
            .unwrap();
        assert_eq!((drone.skips, drone.grounding, drone.sessions), (1, 1, 1));
        assert_eq!(drone.last_skipped, "2025-01-04T09:10:02.000Z");
        let bells = report
            .tracks
            .iter()
            .find(|t| t.path == "peak/bells.flac")
            .unwrap();
        assert_eq!((bells.skips, bells.grounding), (1, 0));
    }

    #[test]
    fn filters_by_playlist() {
        let dir = tempfile::tempdir().unwrap();
        two_sessions(dir.path());
        let report = skips(dir.path(), Some("onset")).unwrap();
        assert_eq!(report.tracks.len(), 1);
        assert_eq!(report.tracks[0].path, "onset/rain.flac");
    }

    #[test]
    fn a_damaged_log_is_reported_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        two_sessions(dir.path());
        let id = "20250103-090000-sublingual";
        write_log(dir.path(), id, &[]);
        // Bytes that are no log at all (a damaged disk): permissions would not do, since the
        // tests may run as root, who reads anything.
        let log = dir.path().join("sessions").join(id).join("events.jsonl");
        fs::write(&log, b"\xff\xfe\x00garbage\n\x80\x81\n").unwrap();
        let report = skips(dir.path(), None).unwrap();
        assert_eq!(report.tracks[0].skips, 3);
        assert!(
            report.problems.iter().any(|p| p.session == id),
            "{:?}",
            report.problems
        );
    }

    #[test]
    fn no_sessions_is_an_empty_report() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(skips(dir.path(), None).unwrap(), SkipReport::default());
    }
}
