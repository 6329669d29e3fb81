//! What a recovery must give back: for every write to the log, the session as it stood once
//! that write was decided, so that after a crash the state the snapshot and the replay give
//! can be compared with the state before the crash as far as the log reached.

use std::collections::BTreeMap;
use std::fmt::Debug;

use crate::protocol::LogEntry;
use crate::scene::Mark;
use crate::time::Millis;
use crate::timeline::{EventKind, Fired, Nudge, Override, State, Timeline};

/// The parts of a session a recovery must bring back exactly; the clocks and what the
/// adapters were last told are re-sent at a restart anyway.
#[derive(Clone, Debug, PartialEq)]
pub struct Essentials {
    pub phase: usize,
    pub phase_entered: Millis,
    pub phase_anchor: Millis,
    pub extension: Millis,
    pub held: bool,
    pub marks: BTreeMap<Mark, Millis>,
    pub fired: BTreeMap<String, Fired>,
    pub overrides: Vec<Override>,
    pub muted: bool,
    pub volume_offset_db: f32,
    pub light_nudges: BTreeMap<String, Nudge>,
    pub finished: bool,
}

impl From<&State> for Essentials {
    fn from(s: &State) -> Essentials {
        Essentials {
            phase: s.phase,
            phase_entered: s.phase_entered,
            phase_anchor: s.phase_anchor,
            extension: s.extension,
            held: s.held,
            marks: s.marks.clone(),
            fired: s.fired.clone(),
            overrides: s.overrides.clone(),
            muted: s.muted,
            volume_offset_db: s.volume_offset_db,
            light_nudges: s.light_nudges.clone(),
            finished: s.finished,
        }
    }
}

impl Essentials {
    /// The fields that differ, each as `name: expected != got`.
    pub fn diff(&self, got: &Essentials) -> String {
        fn field<T: Debug + PartialEq>(out: &mut Vec<String>, name: &str, a: &T, b: &T) {
            if a != b {
                out.push(format!("{name}: {a:?} != {b:?}"));
            }
        }
        let mut out = Vec::new();
        field(&mut out, "phase", &self.phase, &got.phase);
        field(&mut out, "phase_entered", &self.phase_entered, &got.phase_entered);
        field(&mut out, "phase_anchor", &self.phase_anchor, &got.phase_anchor);
        field(&mut out, "extension", &self.extension, &got.extension);
        field(&mut out, "held", &self.held, &got.held);
        field(&mut out, "marks", &self.marks, &got.marks);
        field(&mut out, "fired", &self.fired, &got.fired);
        field(&mut out, "overrides", &self.overrides, &got.overrides);
        field(&mut out, "muted", &self.muted, &got.muted);
        field(
            &mut out,
            "volume_offset_db",
            &self.volume_offset_db,
            &got.volume_offset_db,
        );
        field(&mut out, "light_nudges", &self.light_nudges, &got.light_nudges);
        field(&mut out, "finished", &self.finished, &got.finished);
        out.join("; ")
    }
}

/// Entries a recovery replays: whatever follows them in the same write is decided again.
fn is_input(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::SessionStarted { .. }
            | EventKind::Command { .. }
            | EventKind::Track { .. }
            | EventKind::SessionResumed { .. }
    )
}

struct Record {
    first: u64,
    /// Numbers of its entries a recovery replays.
    inputs: Vec<u64>,
    /// The timeline just before the call whose entries these are.
    before: Timeline,
    after: Timeline,
}

/// Every write of the run by its last entry's number; numbers past a crash's last surviving
/// entry are forgotten, as the log reuses them.
#[derive(Default)]
pub struct Writes {
    records: BTreeMap<u64, Record>,
}

impl Writes {
    pub fn wrote(&mut self, entries: &[LogEntry], before: &Timeline, after: &Timeline) {
        let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
            return;
        };
        self.records.insert(
            last.seq,
            Record {
                first: first.seq,
                inputs: entries
                    .iter()
                    .filter(|e| is_input(&e.event.kind))
                    .map(|e| e.seq)
                    .collect(),
                before: before.clone(),
                after: after.clone(),
            },
        );
    }

    /// The session as the log up to entry `seq` describes it. `replayed_to`: the session time
    /// a replay brought it up to (that of the last entry after the snapshot), `None` when the
    /// snapshot covers the whole log. With a replay, the session after the write that holds
    /// `seq` if an input of that write is in, else the session before it, brought up to that
    /// time as the replay does; with none, the session after the write, as it was saved.
    /// `None` when no write of the run has that number.
    pub fn expected(&self, seq: u64, replayed_to: Option<Millis>) -> Option<Essentials> {
        let (_, record) = self.records.range(seq..).next()?;
        if record.first > seq {
            return None;
        }
        let Some(at) = replayed_to else {
            return Some(Essentials::from(record.after.state()));
        };
        let mut timeline = if record.inputs.iter().any(|&i| i <= seq) {
            record.after.clone()
        } else {
            record.before.clone()
        };
        timeline.tick(at);
        Some(Essentials::from(timeline.state()))
    }

    /// After a crash whose log ends at `seq`: later numbers are forgotten, and the write
    /// that held `seq` ends there, with the state the recovery gave.
    pub fn cut(&mut self, seq: u64, recovered: &Timeline) {
        let Some((&last, _)) = self.records.range(seq..).next() else {
            return;
        };
        let later: Vec<u64> = self.records.range(last..).map(|(k, _)| *k).collect();
        let holding = self.records.remove(&last).filter(|r| r.first <= seq);
        for k in later {
            self.records.remove(&k);
        }
        if let Some(mut record) = holding {
            record.inputs.retain(|&i| i <= seq);
            record.after = recovered.clone();
            self.records.insert(seq, record);
        }
    }
}
