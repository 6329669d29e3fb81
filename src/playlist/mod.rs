//! Playlists (`playlists/*.toml`): the ordered tracks a phase plays, what happens when they
//! run out, and per-track trims and fades. Read in two stages like every file people write.

mod error;
#[cfg(test)]
mod fuzz_regressions;
mod load;
pub mod m3u;
mod media_check;
mod model;
mod raw;
mod validate;

pub use error::PlaylistError;
pub use load::{load_playlist, parse_playlist};
pub use m3u::{M3uError, export_m3u8, import_m3u};
pub use media_check::{at_track, media_file_problem, media_problems};
pub use model::{Playlist, Track, WhenDone};
