//! Whether a playlist lasts as long as the phases that play it are planned to, following
//! `when_done`: a looping playlist covers any length, one that continues hands the rest of
//! the phase to its `next`, and one that ends in silence must be long enough by itself.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::playlist::{Playlist, WhenDone};
use crate::scene::{MusicSpec, Scene};
use crate::time::Millis;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PhaseCoverage {
    pub scene: String,
    pub phase: String,
    pub playlist: String,
    pub planned: Millis,
    /// Total length less the crossfades between its tracks; `None` if a track did not decode.
    pub playlist_length: Option<Millis>,
    pub verdict: Verdict,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// `via` are the playlists continued into; `loops` that the last of them loops.
    Covered { via: Vec<String>, loops: bool },
    /// Silence falls `by` before the phase's planned end.
    Short { by: Millis, via: Vec<String> },
    /// This playlist's length is unknown: a track is bad, or the playlist did not load.
    Unknown { playlist: String },
}

impl Verdict {
    pub fn is_covered(&self) -> bool {
        matches!(self, Verdict::Covered { .. })
    }
}

/// Every phase of every scene that plays a playlist, optionally only those reaching
/// `only` (directly or by continuing into it). `seconds` is each file's decoded length.
pub fn coverage(
    scenes: &[Scene],
    playlists: &BTreeMap<String, Playlist>,
    seconds: &dyn Fn(&str) -> Option<f64>,
    only: Option<&str>,
) -> Vec<PhaseCoverage> {
    let mut out = Vec::new();
    for scene in scenes {
        for phase in &scene.phases {
            let Some(MusicSpec::Playlist { name, .. }) = &phase.music else {
                continue;
            };
            let verdict = covers(name, phase.planned, playlists, seconds, &mut Vec::new());
            let reaches = |only: &str| {
                name == only
                    || match &verdict {
                        Verdict::Covered { via, .. } | Verdict::Short { via, .. } => {
                            via.iter().any(|v| v == only)
                        }
                        Verdict::Unknown { playlist } => playlist == only,
                    }
            };
            if only.is_some_and(|o| !reaches(o)) {
                continue;
            }
            out.push(PhaseCoverage {
                scene: scene.name.clone(),
                phase: phase.id.clone(),
                playlist: name.clone(),
                planned: phase.planned,
                playlist_length: playlists.get(name).and_then(|p| length(p, seconds)),
                verdict,
            });
        }
    }
    out
}

/// What plays from start to end, crossfades overlapping their neighbours.
pub fn length(playlist: &Playlist, seconds: &dyn Fn(&str) -> Option<f64>) -> Option<Millis> {
    let mut total = 0.0;
    for (i, track) in playlist.tracks.iter().enumerate() {
        total += seconds(&track.path)?;
        if i + 1 < playlist.tracks.len() {
            total -= track.crossfade.map_or(0.0, Millis::as_secs_f64);
        }
    }
    Some(Millis((total.max(0.0) * 1000.0).round() as u64))
}

fn covers(
    name: &str,
    need: Millis,
    playlists: &BTreeMap<String, Playlist>,
    seconds: &dyn Fn(&str) -> Option<f64>,
    via: &mut Vec<String>,
) -> Verdict {
    let unknown = || Verdict::Unknown {
        playlist: name.to_string(),
    };
    let Some(playlist) = playlists.get(name) else {
        return unknown();
    };
    let Some(len) = length(playlist, seconds) else {
        return unknown();
    };
    match &playlist.when_done {
        WhenDone::Loop => Verdict::Covered {
            via: via.clone(),
            loops: true,
        },
        _ if len >= need => Verdict::Covered {
            via: via.clone(),
            loops: false,
        },
        WhenDone::Silence => Verdict::Short {
            by: need.saturating_sub(len),
            via: via.clone(),
        },
        WhenDone::Continue(next) => {
            // A chain that comes back round plays forever, like a loop.
            if via.contains(next) || next == name {
                return Verdict::Covered {
                    via: via.clone(),
                    loops: true,
                };
            }
            via.push(next.clone());
            covers(next, need.saturating_sub(len), playlists, seconds, via)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playlist::Track;

    fn playlist(name: &str, when_done: WhenDone, tracks: &[(&str, Option<u64>)]) -> (String, Playlist) {
        let tracks = tracks
            .iter()
            .map(|(path, crossfade)| Track {
                crossfade: crossfade.map(Millis::from_secs),
                ..Track::plain(*path)
            })
            .collect();
        (
            name.to_string(),
            Playlist {
                name: name.into(),
                title: name.into(),
                when_done,
                tracks,
            },
        )
    }

    fn minute(path: &str) -> Option<f64> {
        (path != "bad").then_some(60.0)
    }

    #[test]
    fn when_done_decides() {
        let lists: BTreeMap<String, Playlist> = [
            playlist("a", WhenDone::Silence, &[("1", Some(10)), ("2", None)]),
            playlist("b", WhenDone::Continue("c".into()), &[("1", None)]),
            playlist("c", WhenDone::Silence, &[("1", None)]),
            playlist("d", WhenDone::Loop, &[("1", None)]),
            playlist("e", WhenDone::Loop, &[("bad", None)]),
        ]
        .into_iter()
        .collect();
        let check = |name, mins| covers(name, Millis::from_mins(mins), &lists, &minute, &mut Vec::new());
        assert_eq!(length(&lists["a"], &minute), Some(Millis::from_secs(110)));
        assert!(check("a", 1).is_covered());
        assert_eq!(
            check("a", 2),
            Verdict::Short {
                by: Millis::from_secs(10),
                via: vec![]
            }
        );
        assert_eq!(
            check("b", 2),
            Verdict::Covered {
                via: vec!["c".into()],
                loops: false
            }
        );
        assert_eq!(
            check("b", 3),
            Verdict::Short {
                by: Millis::from_mins(1),
                via: vec!["c".into()]
            }
        );
        assert!(check("d", 600).is_covered());
        assert_eq!(check("e", 1), Verdict::Unknown { playlist: "e".into() });
    }
}
