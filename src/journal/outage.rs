//! Why the log cannot be written, in the words the therapist is given, and the record of an
//! outage while it lasts.

use std::io;

use crate::time::Millis;

/// Why the event log cannot be written now.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unwritable {
    #[error("the state disk is full")]
    Full,
    #[error("the state disk is read-only")]
    ReadOnly,
    #[error("the event log may not be written (permission denied)")]
    Denied,
    #[error("the event log cannot be written ({0})")]
    Io(String),
}

impl Unwritable {
    pub fn from_io(error: &io::Error) -> Unwritable {
        match error.kind() {
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => Unwritable::Full,
            io::ErrorKind::ReadOnlyFilesystem => Unwritable::ReadOnly,
            io::ErrorKind::PermissionDenied => Unwritable::Denied,
            _ => Unwritable::Io(error.to_string()),
        }
    }
}

/// A spell of refused writes, from the first refusal to the gap entry that ends it.
#[derive(Clone, Debug)]
pub(super) struct Outage {
    pub reason: Unwritable,
    /// Session time of the first refusal.
    pub since: Millis,
    pub since_mono_ms: u64,
    /// When the disk was last tried.
    pub tried_mono_ms: u64,
    /// Entries held in memory during it, and light and music levels dropped for room.
    pub held: usize,
    pub dropped: usize,
}
