//! The music adapter's contract: the engine tells an [`AudioOutput`] the whole desired music
//! state, and the adapter glides there on its own thread or task.
//!
//! The trait is deliberately tiny and non-blocking: the engine loop calls it while a therapist
//! waits for an acknowledgement, so a real player must hand the work to its own thread and
//! report trouble back as [`DeviceEvent`](crate::timeline::DeviceEvent)s through the channel it
//! was given at construction.

pub mod decode;
pub mod decode_ahead;
pub mod dry_run;
pub mod feed;
pub mod gain;
pub mod heard;
pub mod levelled;
pub mod limiter;
mod logging;
pub mod loudness_cache;
pub mod loudness_file;
pub mod loudness_store;
pub mod measure;
pub mod mixer;
pub mod output;
pub use crate::media_io::parallel;
pub mod player;
pub use crate::media_io::read_watch;
pub mod render;
pub mod resample;
pub mod stream;
#[cfg(test)]
pub(crate) mod test_media;
pub mod track;
pub mod wav;

pub use logging::LoggingAudio;

use std::collections::BTreeMap;

use crate::playlist::Playlist;
use crate::time::Millis;
use crate::timeline::MusicTarget;

pub trait AudioOutput: Send {
    /// Glide to `target` (over `target.fade`). Called with the full state each time, so an
    /// adapter that lost its device can reach it again without history.
    fn apply(&mut self, target: &MusicTarget);

    /// Cross-fade to the next track of the current playlist, or first to `to`, a path under
    /// the media root (the scene's grounding track), played once before the playlist goes on.
    fn skip(&mut self, crossfade: Millis, to: Option<&str>);

    /// One line for `status`: what this output is and where it plays.
    fn describe(&self) -> String;

    /// What the room really hears, for an adapter that knows: the track sounding, or why
    /// nothing does while music is asked for.
    fn heard(&self) -> Option<heard::Heard> {
        None
    }

    /// The playlists as the curators left them (checked before they get here): the next
    /// track is taken from them, while the one playing plays on.
    fn set_playlists(&mut self, playlists: BTreeMap<String, Playlist>) {
        let _ = playlists;
    }
}
