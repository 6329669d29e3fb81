//! The session's write-ahead log as logic, apart from the disk: every entry is numbered and on
//! disk before what caused it is carried out or answered, and a snapshot names the last
//! number it covers.
//!
//! When the disk refuses (full, read-only, an I/O error) two kinds of entries part ways:
//! - an ordinary command's entries are refused as a whole ([`Journal::write`]), so the command
//!   changes nothing and the therapist is told it was not recorded;
//! - what must happen anyway (the emergency, the check and the resume, the clock's own events)
//!   is held in memory in order ([`Journal::write_or_hold`]) and written as soon as the disk
//!   allows, followed by a [`EventKind::LogGap`] entry saying how long it refused.
//!
//! The disk itself is behind [`Store`], so the simulator can fill it, cut it at any byte and
//! take it away without touching a real file.

mod outage;
mod store;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use crate::protocol::LogEntry;
use crate::time::Millis;
use crate::timeline::{Event, EventKind};

pub use outage::Unwritable;
pub use store::{MemoryStore, Store};

use outage::Outage;

/// Entries held in memory at most while the disk refuses. A session's clock writes a few
/// entries a minute, so this covers days; past it the oldest light and music levels (which
/// the report only draws) are dropped first, and the gap entry counts them.
const MAX_HELD: usize = 50_000;

/// How often a refusing disk is tried again: each try writes everything held.
const RETRY_EVERY_MS: u64 = 1000;

/// When something was recorded: the wall-clock text written in the entry, the session time,
/// and a monotonic reading in milliseconds to measure how long an outage lasted.
#[derive(Clone, Debug, PartialEq)]
pub struct Stamp {
    pub wall: String,
    pub session_time: Millis,
    pub timeline: Millis,
    pub mono_ms: u64,
}

/// The write-ahead log of one session.
#[derive(Debug)]
pub struct Journal<S> {
    session: String,
    store: S,
    /// The number of the last entry on disk.
    durable: u64,
    /// Entries the disk refused, oldest first, numbered after `durable`.
    held: VecDeque<LogEntry>,
    outage: Option<Outage>,
}

/// What [`Journal::write_or_hold`] did.
#[derive(Debug, PartialEq)]
pub struct Written {
    /// The entries as numbered, written or held: what `watch` clients are shown.
    pub entries: Vec<LogEntry>,
    /// False when they are held in memory for now.
    pub recorded: bool,
}

impl<S: Store> Journal<S> {
    /// A journal over `store`, whose last entry on disk is number `last_seq` (0: none yet).
    pub fn new(session: impl Into<String>, store: S, last_seq: u64) -> Journal<S> {
        Journal {
            session: session.into(),
            store,
            durable: last_seq,
            held: VecDeque::new(),
            outage: None,
        }
    }

    pub fn session(&self) -> &str {
        &self.session
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// The number of the last entry on disk: what a snapshot taken now covers.
    pub fn durable_seq(&self) -> u64 {
        self.durable
    }

    /// Entries held in memory, not yet on disk.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// Why the log cannot be written now, while it cannot.
    pub fn unwritable(&self) -> Option<&Unwritable> {
        self.outage.as_ref().map(|o| &o.reason)
    }

    /// Since when (session time) the log has been unwritable.
    pub fn unwritable_since(&self) -> Option<Millis> {
        self.outage.as_ref().map(|o| o.since)
    }

    /// Nothing is waiting: a snapshot taken now matches the log exactly.
    pub fn settled(&self) -> bool {
        self.held.is_empty()
    }

    /// Writes the entries of an ordinary command, all or none. Refused during an outage
    /// (call [`Journal::retry`] first) or when the disk refuses them; the caller then leaves
    /// the session as it was.
    pub fn write(&mut self, events: Vec<Event>, stamp: &Stamp) -> Result<Vec<LogEntry>, Unwritable> {
        if let Some(outage) = &self.outage {
            return Err(outage.reason.clone());
        }
        // The space for emergencies is not for ordinary commands: without it the disk is
        // as good as full (a restart finds it missing after an emergency took it).
        if !self.store.restore_reserve() {
            self.begin_outage(Unwritable::Full, stamp);
            return Err(Unwritable::Full);
        }
        let entries = self.number(events, &stamp.wall);
        match self.append(&entries) {
            Ok(()) => Ok(entries),
            Err(reason) => {
                self.begin_outage(reason.clone(), stamp);
                Err(reason)
            }
        }
    }

    /// Writes entries that stand whatever the disk says: on a refusal the space kept back
    /// for them is given up and the write tried once more, and failing that they are held
    /// in memory, in order, until [`Journal::retry`] gets them out.
    pub fn write_or_hold(&mut self, events: Vec<Event>, stamp: &Stamp) -> Written {
        let entries = self.number(events, &stamp.wall);
        if entries.is_empty() {
            return Written {
                entries,
                recorded: self.held.is_empty(),
            };
        }
        if self.held.is_empty() {
            let mut attempt = self.append(&entries);
            if matches!(attempt, Err(Unwritable::Full)) && self.store.release_reserve() {
                // The disk is full all the same: ordinary commands stay refused until the
                // reserve can be kept again, or they would use it up.
                self.begin_outage(Unwritable::Full, stamp);
                attempt = self.append(&entries);
            }
            match attempt {
                Ok(()) => {
                    return Written {
                        entries,
                        recorded: true,
                    };
                }
                Err(reason) => self.begin_outage(reason, stamp),
            }
        }
        self.hold(entries.clone());
        Written {
            entries,
            recorded: false,
        }
    }

    /// Tries to get held entries onto the disk, and to end an outage: once nothing is held
    /// and the space for emergencies can be kept back again, a gap entry says how long the
    /// log was unwritable. Returns the entries written now (the gap entry last).
    pub fn retry(&mut self, stamp: &Stamp) -> Vec<LogEntry> {
        let Some(outage) = self.outage.clone() else {
            // A reserve given up (before a restart, too) is a full disk until it is back.
            if !self.store.restore_reserve() {
                self.begin_outage(Unwritable::Full, stamp);
            }
            return Vec::new();
        };
        if stamp.mono_ms < outage.tried_mono_ms.saturating_add(RETRY_EVERY_MS) {
            return Vec::new();
        }
        if let Some(outage) = &mut self.outage {
            outage.tried_mono_ms = stamp.mono_ms;
        }
        let mut written = Vec::new();
        if !self.held.is_empty() {
            let held: Vec<LogEntry> = self.held.iter().cloned().collect();
            if let Err(reason) = self.append(&held) {
                if let Some(outage) = &mut self.outage {
                    outage.reason = reason;
                }
                return written;
            }
            self.held.clear();
            written = held;
        }
        if !self.store.restore_reserve() {
            return written;
        }
        let gap = Event {
            at: stamp.session_time,
            timeline: stamp.timeline,
            kind: EventKind::LogGap {
                since: outage.since,
                lasted_ms: stamp.mono_ms.saturating_sub(outage.since_mono_ms),
                held: outage.held + outage.dropped,
                reason: if outage.dropped == 0 {
                    outage.reason.to_string()
                } else {
                    format!(
                        "{}; {} light and music levels were dropped to make room",
                        outage.reason, outage.dropped
                    )
                },
            },
        };
        let entry = self.number(vec![gap], &stamp.wall);
        if self.append(&entry).is_ok() {
            self.outage = None;
            written.extend(entry);
        }
        written
    }

    fn number(&self, events: Vec<Event>, wall: &str) -> Vec<LogEntry> {
        let first = self.durable + self.held.len() as u64 + 1;
        events
            .into_iter()
            .zip(first..)
            .map(|(event, seq)| LogEntry {
                seq,
                wall: wall.to_string(),
                session: self.session.clone(),
                event,
            })
            .collect()
    }

    fn append(&mut self, entries: &[LogEntry]) -> Result<(), Unwritable> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut bytes = Vec::new();
        for entry in entries {
            serde_json::to_writer(&mut bytes, entry).map_err(|e| Unwritable::Io(e.to_string()))?;
            bytes.push(b'\n');
        }
        self.store.append(&bytes).map_err(|e| Unwritable::from_io(&e))?;
        self.durable = entries.last().map_or(self.durable, |e| e.seq);
        Ok(())
    }

    fn begin_outage(&mut self, reason: Unwritable, stamp: &Stamp) {
        match &mut self.outage {
            Some(outage) => {
                outage.reason = reason;
                outage.tried_mono_ms = stamp.mono_ms;
            }
            None => {
                self.outage = Some(Outage {
                    reason,
                    since: stamp.session_time,
                    since_mono_ms: stamp.mono_ms,
                    tried_mono_ms: stamp.mono_ms,
                    held: 0,
                    dropped: 0,
                })
            }
        }
    }

    fn hold(&mut self, entries: Vec<LogEntry>) {
        for entry in entries {
            if let Some(outage) = &mut self.outage {
                outage.held += 1;
            }
            self.held.push_back(entry);
        }
        while self.held.len() > MAX_HELD {
            // Levels only feed the report's picture; the story and the inputs stay.
            let Some(i) = self.held.iter().position(|e| {
                matches!(
                    e.event.kind,
                    EventKind::LookSet { .. } | EventKind::MusicSet { .. }
                )
            }) else {
                break;
            };
            self.held.remove(i);
            if let Some(outage) = &mut self.outage {
                outage.held -= 1;
                outage.dropped += 1;
            }
            self.renumber_held();
        }
    }

    fn renumber_held(&mut self) {
        for (entry, seq) in self.held.iter_mut().zip(self.durable + 1..) {
            entry.seq = seq;
        }
    }
}
