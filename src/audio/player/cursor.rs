//! [`Cursor`]: which track of which playlist comes next, following each playlist's order and
//! its `when_done` (loop, hold silence, or continue into another playlist).

use std::collections::BTreeMap;

use crate::playlist::{Playlist, Track, WhenDone};

#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    playlist: String,
    index: usize,
}

/// One track to play, with the playlist it is played as part of.
#[derive(Debug, Clone, PartialEq)]
pub struct Upcoming {
    pub playlist: String,
    /// Where the track is in its playlist, from 0: the same file may be there twice.
    pub index: usize,
    pub track: Track,
}

impl Cursor {
    pub fn new(playlist: &str) -> Self {
        Cursor {
            playlist: playlist.to_string(),
            index: 0,
        }
    }

    /// A cursor whose next track is `path` in `playlist`, if the playlist has it.
    pub fn at_track(playlist: &str, path: &str, playlists: &BTreeMap<String, Playlist>) -> Option<Self> {
        let index = playlists
            .get(playlist)?
            .tracks
            .iter()
            .position(|t| t.path == path)?;
        Some(Cursor {
            playlist: playlist.to_string(),
            index,
        })
    }

    /// The playlist the next track comes from.
    pub fn playlist(&self) -> &str {
        &self.playlist
    }

    /// After the playlists changed from `old` to `new` under it (a reload): the next track is
    /// the one after the last handed out, where that track now stands; if it was taken out,
    /// the first of those that followed it that is still there. False when its playlist is
    /// gone.
    pub fn reposition(&mut self, old: &BTreeMap<String, Playlist>, new: &BTreeMap<String, Playlist>) -> bool {
        let Some(fresh) = new.get(&self.playlist) else {
            return false;
        };
        let Some(before) = old.get(&self.playlist) else {
            self.index = 0;
            return true;
        };
        let at = |path: &str| fresh.tracks.iter().position(|t| t.path == path);
        let last = self.index.checked_sub(1).and_then(|i| before.tracks.get(i));
        self.index = match last.and_then(|t| at(&t.path)) {
            Some(i) => i + 1,
            None => before
                .tracks
                .iter()
                .skip(self.index)
                .find_map(|t| at(&t.path))
                .unwrap_or(fresh.tracks.len()),
        };
        true
    }

    /// Moves on to the next track; `None` once the music ends here (silence, or an unknown
    /// playlist).
    pub fn next(&mut self, playlists: &BTreeMap<String, Playlist>) -> Option<Upcoming> {
        // Every playlist has a track, so each hop either finds one or ends; the bound only
        // guards against a catalog that breaks that promise.
        for _ in 0..=playlists.len() {
            let playlist = playlists.get(&self.playlist)?;
            if let Some(track) = playlist.tracks.get(self.index) {
                self.index += 1;
                return Some(Upcoming {
                    playlist: self.playlist.clone(),
                    index: self.index - 1,
                    track: track.clone(),
                });
            }
            match &playlist.when_done {
                WhenDone::Loop if !playlist.tracks.is_empty() => self.index = 0,
                WhenDone::Loop | WhenDone::Silence => return None,
                WhenDone::Continue(next) => {
                    self.playlist = next.clone();
                    self.index = 0;
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn playlist(name: &str, paths: &[&str], when_done: WhenDone) -> (String, Playlist) {
        let tracks = paths.iter().map(|p| Track::plain(*p)).collect();
        let p = Playlist {
            name: name.into(),
            title: name.into(),
            when_done,
            tracks,
        };
        (name.to_string(), p)
    }

    fn take(cursor: &mut Cursor, playlists: &BTreeMap<String, Playlist>, n: usize) -> Vec<String> {
        (0..n)
            .map_while(|_| cursor.next(playlists))
            .map(|u| format!("{}/{}", u.playlist, u.track.path))
            .collect()
    }

    #[test]
    fn loops_holds_silence_or_continues() {
        let playlists: BTreeMap<_, _> = [
            playlist("a", &["1", "2"], WhenDone::Loop),
            playlist("b", &["1"], WhenDone::Silence),
            playlist("c", &["1"], WhenDone::Continue("a".into())),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            take(&mut Cursor::new("a"), &playlists, 5),
            ["a/1", "a/2", "a/1", "a/2", "a/1"]
        );
        assert_eq!(take(&mut Cursor::new("b"), &playlists, 5), ["b/1"]);
        let mut c = Cursor::new("c");
        assert_eq!(take(&mut c, &playlists, 4), ["c/1", "a/1", "a/2", "a/1"]);
        assert_eq!(c.playlist(), "a");
        assert!(Cursor::new("nope").next(&playlists).is_none());
    }

    #[test]
    fn after_a_reload_it_carries_on_after_the_last_track_where_it_now_stands() {
        let before: BTreeMap<_, _> = [playlist("a", &["1", "2", "3", "4"], WhenDone::Loop)]
            .into_iter()
            .collect();
        let mut cursor = Cursor::new("a");
        assert_eq!(take(&mut cursor, &before, 2), ["a/1", "a/2"]);
        // "3" taken out, "0" put first: after "2" comes "4".
        let after: BTreeMap<_, _> = [playlist("a", &["0", "1", "2", "4"], WhenDone::Loop)]
            .into_iter()
            .collect();
        assert!(cursor.reposition(&before, &after));
        assert_eq!(take(&mut cursor, &after, 2), ["a/4", "a/0"]);
        // The last track itself taken out: the first that followed it and is still there.
        let mut cursor = Cursor::new("a");
        take(&mut cursor, &before, 2);
        let without: BTreeMap<_, _> = [playlist("a", &["1", "3", "4"], WhenDone::Loop)]
            .into_iter()
            .collect();
        assert!(cursor.reposition(&before, &without));
        assert_eq!(take(&mut cursor, &without, 1), ["a/3"]);
        assert!(!cursor.reposition(&before, &BTreeMap::new()));
    }

    #[test]
    fn starts_at_a_named_track_and_carries_on_from_it() {
        let playlists: BTreeMap<_, _> = [playlist("a", &["1", "2", "3"], WhenDone::Loop)]
            .into_iter()
            .collect();
        let mut at = Cursor::at_track("a", "2", &playlists).unwrap();
        assert_eq!(take(&mut at, &playlists, 3), ["a/2", "a/3", "a/1"]);
        assert!(Cursor::at_track("a", "gone", &playlists).is_none());
        assert!(Cursor::at_track("nope", "1", &playlists).is_none());
    }
}
