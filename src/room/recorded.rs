//! A running session with its write-ahead log: the timeline's decisions carried out in the
//! order the stakes require, against a log that may refuse them.
//! - An ordinary command is written first: its entries are on disk before the room is told,
//!   and a disk that refuses them refuses the command, the timeline taken back as it was.
//! - The emergency, the check and the resume, the clock's own events, device reports and
//!   restarts go to the room first (two fsyncs must not stand between an emergency and the
//!   light), then are written, or held in memory until the disk allows.
//!
//! The room is reached only through the `room` callback each call is handed, so the order is
//! decided here and the daemon's shell and the simulator carry it out alike.

use crate::journal::{Journal, Stamp, Store, Unwritable};
use crate::protocol::LogEntry;
use crate::time::Millis;
use crate::timeline::{
    Action, Command, CommandError, DeviceEvent, Event, Request, Snapshot, Source, Timeline,
};
use crate::vitals::{Flag, Reading};

/// The session and its log.
pub struct RecordedSession<S> {
    pub timeline: Timeline,
    pub journal: Journal<S>,
}

/// What a batch of decisions came to, for the shell to finish: entries for `watch` clients,
/// a snapshot to save, a session to let go.
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    /// Entries held from before that the disk took now, the gap entry last.
    pub retried: Vec<LogEntry>,
    /// This batch's own entries as numbered, written or held.
    pub entries: Vec<LogEntry>,
    /// False while the entries are held in memory.
    pub recorded: bool,
    pub snapshot_due: bool,
    pub finished: bool,
}

/// Why a command was not carried out. Either way nothing changed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Command(#[from] CommandError),
    #[error("not recorded: {0}; nothing was changed")]
    NotRecorded(Unwritable),
}

/// Whether a command is carried out whatever the state disk says: the ones a person in
/// distress may need at once.
pub fn kept(command: &Command) -> bool {
    matches!(
        command,
        Command::Emergency | Command::Check | Command::Resume { .. }
    )
}

/// The core's actions taken apart: what goes to the room, what to the log, what follows.
pub struct Split {
    pub room: Vec<Action>,
    pub events: Vec<Event>,
    pub persist: bool,
    pub finished: bool,
}

pub fn split(actions: Vec<Action>) -> Split {
    let mut split = Split {
        room: Vec::new(),
        events: Vec::new(),
        persist: false,
        finished: false,
    };
    for action in actions {
        match action {
            Action::Log(event) => split.events.push(event),
            Action::Persist => split.persist = true,
            Action::Finished => split.finished = true,
            room => split.room.push(room),
        }
    }
    split
}

impl<S: Store> RecordedSession<S> {
    pub fn new(timeline: Timeline, journal: Journal<S>) -> RecordedSession<S> {
        RecordedSession { timeline, journal }
    }

    /// Carries out decisions that stand whatever the disk says: the room first, then the
    /// record, written or held.
    pub fn carry_out(
        &mut self,
        actions: Vec<Action>,
        stamp: &Stamp,
        room: impl FnOnce(&[Action]),
    ) -> Outcome {
        let split = split(actions);
        room(&split.room);
        let retried = self.journal.retry(stamp);
        let written = self.journal.write_or_hold(split.events, stamp);
        Outcome {
            retried,
            entries: written.entries,
            recorded: written.recorded,
            snapshot_due: split.persist,
            finished: split.finished,
        }
    }

    /// Whatever fell due up to `now`.
    pub fn tick(&mut self, now: Millis, stamp: &Stamp, room: impl FnOnce(&[Action])) -> Outcome {
        let actions = self.timeline.tick(now);
        self.carry_out(actions, stamp, room)
    }

    /// What a device reported.
    pub fn device(
        &mut self,
        now: Millis,
        event: DeviceEvent,
        stamp: &Stamp,
        room: impl FnOnce(&[Action]),
    ) -> Outcome {
        let actions = self.timeline.device(now, event);
        self.carry_out(actions, stamp, room)
    }

    /// A therapist's command, in the order its stakes require (see the module's note).
    pub fn command(
        &mut self,
        now: Millis,
        request: Request,
        stamp: &Stamp,
        room: impl FnOnce(&[Action]),
    ) -> Result<Outcome, Refusal> {
        if kept(&request.command) {
            let actions = self.timeline.command(now, request)?;
            return Ok(self.carry_out(actions, stamp, room));
        }
        self.written_first(stamp, room, |timeline| timeline.command(now, request))
    }

    /// A reading, which may acknowledge the prompt waiting for it: written before it is
    /// answered, like an ordinary command, and refused whole while the disk refuses. The room
    /// gets what came due on the way to `now` (a cue's look), as after a command.
    pub fn vitals(
        &mut self,
        now: Millis,
        reading: Reading,
        flags: Vec<Flag>,
        source: Source,
        stamp: &Stamp,
        room: impl FnOnce(&[Action]),
    ) -> Result<Outcome, Refusal> {
        self.written_first(stamp, room, |timeline| {
            timeline.vitals(now, reading, flags, source)
        })
    }

    /// What `decide` makes of the timeline, on disk before the room is told; a disk that
    /// refuses it takes the timeline back as it was.
    fn written_first(
        &mut self,
        stamp: &Stamp,
        room: impl FnOnce(&[Action]),
        decide: impl FnOnce(&mut Timeline) -> Result<Vec<Action>, CommandError>,
    ) -> Result<Outcome, Refusal> {
        let retried = self.journal.retry(stamp);
        if let Some(reason) = self.journal.unwritable() {
            return Err(Refusal::NotRecorded(reason.clone()));
        }
        let before = self.timeline.clone();
        let actions = decide(&mut self.timeline)?;
        match self.record_first(actions, stamp, room) {
            Ok(outcome) => Ok(Outcome { retried, ..outcome }),
            Err(reason) => {
                self.timeline = before;
                Err(Refusal::NotRecorded(reason))
            }
        }
    }

    /// Entries of the therapist's that change nothing in the room (a reading, a note):
    /// written before they are answered, and refused whole while the disk refuses, like an
    /// ordinary command's.
    pub fn record(&mut self, events: Vec<Event>, stamp: &Stamp) -> Result<Outcome, Refusal> {
        let retried = self.journal.retry(stamp);
        if let Some(reason) = self.journal.unwritable() {
            return Err(Refusal::NotRecorded(reason.clone()));
        }
        let entries = self.journal.write(events, stamp).map_err(Refusal::NotRecorded)?;
        Ok(Outcome {
            retried,
            entries,
            recorded: true,
            snapshot_due: false,
            finished: false,
        })
    }

    /// Decisions written before the room is told, all or none (a command's, a session's
    /// start). On a refusal the room was not told; the caller takes the decision back.
    pub fn record_first(
        &mut self,
        actions: Vec<Action>,
        stamp: &Stamp,
        room: impl FnOnce(&[Action]),
    ) -> Result<Outcome, Unwritable> {
        let split = split(actions);
        let entries = self.journal.write(split.events, stamp)?;
        room(&split.room);
        Ok(Outcome {
            retried: Vec::new(),
            entries,
            recorded: true,
            snapshot_due: split.persist,
            finished: split.finished,
        })
    }

    /// Why an ordinary command cannot be recorded now, after trying the disk again; with
    /// the entries that try wrote.
    pub fn unrecordable(&mut self, stamp: &Stamp) -> (Option<Unwritable>, Vec<LogEntry>) {
        let written = self.journal.retry(stamp);
        (self.journal.unwritable().cloned(), written)
    }

    /// The snapshot to save and the last log entry it covers, when one may be saved: only
    /// while nothing is held, or it would hold what the log does not.
    pub fn snapshot(&self) -> Option<(Snapshot, u64)> {
        let covers = self.snapshot_covers()?;
        Some((self.timeline.snapshot(), covers))
    }

    /// The last log entry a snapshot taken now would cover; `None` while one may not be
    /// taken (see [`RecordedSession::snapshot`]).
    pub fn snapshot_covers(&self) -> Option<u64> {
        self.journal.settled().then(|| self.journal.durable_seq())
    }
}
