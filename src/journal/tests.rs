use super::*;
use crate::engine::event_log::parse_log;
use crate::timeline::{Command, Source, Target};

fn stamp(ms: u64) -> Stamp {
    Stamp {
        wall: "2026-01-01T09:00:00.000Z".into(),
        session_time: Millis(ms),
        timeline: Millis(ms),
        // Seconds apart, as real retries are.
        mono_ms: ms * 1000,
    }
}

fn command(ms: u64, command: Command) -> Event {
    Event {
        at: Millis(ms),
        timeline: Millis(ms),
        kind: EventKind::Command {
            command,
            target: Target::Room,
            detail: String::new(),
            source: Source::daemon(),
        },
    }
}

fn on_disk(journal: &Journal<MemoryStore>) -> Vec<LogEntry> {
    let read = parse_log(&journal.store().bytes);
    assert_eq!(read.skipped, 0);
    read.entries
}

fn seqs(entries: &[LogEntry]) -> Vec<u64> {
    entries.iter().map(|e| e.seq).collect()
}

#[test]
fn entries_are_numbered_from_the_last_on_disk() {
    let mut journal = Journal::new("s", MemoryStore::with_reserve(100), 7);
    let written = journal.write(vec![command(1, Command::Hold)], &stamp(1)).unwrap();
    assert_eq!(seqs(&written), [8]);
    let kept = journal.write_or_hold(
        vec![command(2, Command::Check), command(2, Command::Mute)],
        &stamp(2),
    );
    assert!(kept.recorded);
    assert_eq!(seqs(&on_disk(&journal)), [8, 9, 10]);
    assert_eq!(journal.durable_seq(), 10);
}

#[test]
fn an_ordinary_command_on_a_full_disk_is_refused_and_leaves_nothing() {
    let mut store = MemoryStore::with_reserve(4096);
    store.free = Some(0);
    let mut journal = Journal::new("s", store, 0);
    let refused = journal.write(vec![command(1, Command::Mute)], &stamp(1));
    assert_eq!(refused, Err(Unwritable::Full));
    assert!(journal.store().bytes.is_empty());
    assert_eq!(journal.durable_seq(), 0);
    assert_eq!(journal.unwritable(), Some(&Unwritable::Full));
    // The reserve is for what must not be lost, never for ordinary commands.
    assert_eq!(journal.store().reserve, 4096);
}

#[test]
fn an_emergency_on_a_full_disk_uses_the_reserve() {
    let mut store = MemoryStore::with_reserve(4096);
    store.free = Some(0);
    let mut journal = Journal::new("s", store, 0);
    let kept = journal.write_or_hold(vec![command(1, Command::Emergency)], &stamp(1));
    assert!(kept.recorded);
    assert_eq!(seqs(&on_disk(&journal)), [1]);
    assert_eq!(journal.store().reserve, 0);
    // With the reserve spent, ordinary commands stay refused though bytes are free.
    assert_eq!(
        journal.write(vec![command(2, Command::Mute)], &stamp(2)),
        Err(Unwritable::Full)
    );
}

#[test]
fn held_entries_are_written_in_order_with_a_gap_entry_once_the_disk_allows() {
    let mut store = MemoryStore::with_reserve(10);
    store.read_only = true;
    let mut journal = Journal::new("s", store, 3);
    let a = journal.write_or_hold(vec![command(10, Command::Check)], &stamp(10));
    let b = journal.write_or_hold(vec![command(20, Command::Emergency)], &stamp(20));
    assert!(!a.recorded && !b.recorded);
    assert_eq!(journal.held(), 2);
    assert_eq!(journal.durable_seq(), 3);
    assert_eq!(
        journal.write(vec![command(25, Command::Mute)], &stamp(25)),
        Err(Unwritable::ReadOnly)
    );
    journal.store_mut().read_only = false;
    let written = journal.retry(&stamp(90));
    assert_eq!(seqs(&written), [4, 5, 6]);
    let disk = on_disk(&journal);
    assert_eq!(seqs(&disk), [4, 5, 6]);
    let EventKind::LogGap {
        since,
        lasted_ms,
        held,
        ..
    } = &disk[2].event.kind
    else {
        panic!("{:?}", disk[2]);
    };
    assert_eq!((*since, *lasted_ms, *held), (Millis(10), 80_000, 2));
    assert!(journal.unwritable().is_none());
    assert!(
        journal
            .write(vec![command(91, Command::Mute)], &stamp(91))
            .is_ok()
    );
}

#[test]
fn a_refusal_with_nothing_held_is_still_marked_in_the_log() {
    let mut store = MemoryStore::with_reserve(10);
    store.free = Some(0);
    let mut journal = Journal::new("s", store, 0);
    assert!(journal.write(vec![command(1, Command::Mute)], &stamp(1)).is_err());
    journal.store_mut().free = None;
    let written = journal.retry(&stamp(5));
    assert!(matches!(
        written[..],
        [LogEntry {
            seq: 1,
            event: Event {
                kind: EventKind::LogGap { held: 0, .. },
                ..
            },
            ..
        }]
    ));
}

#[test]
fn an_endless_outage_holds_the_story_and_drops_levels_first() {
    let store = MemoryStore {
        read_only: true,
        ..MemoryStore::default()
    };
    let mut journal = Journal::new("s", store, 0);
    let level = Event {
        at: Millis(1),
        timeline: Millis(1),
        kind: EventKind::LookSet {
            zone: "room".into(),
            brightness: 10.0,
            kelvin: 2700,
            fade: Millis(0),
        },
    };
    for _ in 0..MAX_HELD {
        journal.write_or_hold(vec![level.clone()], &stamp(1));
    }
    journal.write_or_hold(vec![command(2, Command::Emergency)], &stamp(2));
    assert_eq!(journal.held(), MAX_HELD);
    assert!(
        journal
            .held
            .iter()
            .any(|e| matches!(e.event.kind, EventKind::Command { .. }))
    );
    assert_eq!(
        seqs(&journal.held.iter().cloned().collect::<Vec<_>>())[..2],
        [1, 2]
    );
}
