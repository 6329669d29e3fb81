//! Reading media files and looking at them (a stat, a listing) without letting one stall its
//! caller, and working through many files at once: shared by the player, the checks, the
//! curation tools and the playlist checks, so it depends on none of them.

pub mod looker;
pub mod parallel;
pub mod read_watch;
pub mod read_worker;
#[cfg(test)]
mod test_pipe;
