//! Taking a session back after a restart: the snapshot, then every input the log recorded
//! after it replayed through the timeline, then the time the daemon was down counted from the
//! later of the two. Reading the state file and the log is the shell's; what they come to is
//! decided here, so the daemon and the simulator recover alike.

use crate::protocol::LogEntry;
use crate::time::{Millis, unix_millis};
use crate::timeline::{Action, Event, EventKind, Snapshot, Timeline};

/// What the state file said beside its snapshot.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Saved {
    /// Session time when it was saved.
    pub session_time: Millis,
    /// Wall-clock time when it was saved (ms since the Unix epoch).
    pub wall_unix_ms: u64,
    /// Session seconds per real second the session ran at.
    pub speed: f64,
    /// The last log entry the snapshot covers (0: none).
    pub log_seq: u64,
}

/// What a restart found of the session.
pub enum TakenBack {
    /// Saved as it started, but its start never reached the log: it was never acknowledged,
    /// and is dropped.
    NeverRecorded,
    /// It had ended (its state file not yet gone): nothing to resume. The session as the
    /// replay left it.
    Ended(Box<Timeline>),
    Resumed(Box<Resumed>),
}

/// A session taken back, with what the room must be told now.
pub struct Resumed {
    pub timeline: Timeline,
    /// The restart's decisions: the present looks and music re-asserted, what fell due
    /// meanwhile, and the log's `session_resumed` entry.
    pub actions: Vec<Action>,
    /// Session time now.
    pub now: Millis,
    pub downtime: Millis,
    /// The number of the log's last entry: the next one written follows it.
    pub last_seq: u64,
    /// The session as the snapshot and the replay left it, before the downtime was counted.
    pub replayed: Timeline,
}

/// Session time that passed while the daemon was down: wall-clock time from the save at
/// `saved_unix_ms` to `now_unix_ms`, at the session's `speed`. Zero if the wall clock went
/// backwards (an NTP step, a bad RTC): a resumed session must never jump back in time.
pub fn downtime(saved_unix_ms: u64, now_unix_ms: u64, speed: f64) -> Millis {
    let real = now_unix_ms.saturating_sub(saved_unix_ms);
    Millis((real as f64 * speed) as u64)
}

/// Takes the session back from `snapshot` and what the state file said of it, the log's
/// `entries` (read whole: `torn` says a torn last line was cut off) and the wall clock now.
/// A snapshot the timeline cannot take back is an error, said in words.
pub fn take_back(
    snapshot: Snapshot,
    saved: Saved,
    entries: &[LogEntry],
    torn: bool,
    now_unix_ms: u64,
) -> Result<TakenBack, String> {
    if saved.log_seq == 0
        && !entries
            .iter()
            .any(|e| matches!(e.event.kind, EventKind::SessionStarted { .. }))
    {
        return Ok(TakenBack::NeverRecorded);
    }
    let after: Vec<&Event> = entries
        .iter()
        .filter(|e| e.seq > saved.log_seq)
        .map(|e| &e.event)
        .collect();
    let last_seq = entries
        .iter()
        .map(|e| e.seq)
        .max()
        .unwrap_or(0)
        .max(saved.log_seq);
    // The log's last entry counts as a save: the downtime is measured from the later.
    let last = entries.iter().rfind(|e| e.seq > saved.log_seq);
    let base_session = last.map_or(saved.session_time, |e| e.event.at.max(saved.session_time));
    let base_wall = last
        .and_then(|e| humantime::parse_rfc3339(&e.wall).ok())
        .map_or(saved.wall_unix_ms, |t| unix_millis(t).max(saved.wall_unix_ms));
    let downtime = downtime(base_wall, now_unix_ms, saved.speed);
    let now = base_session + downtime;
    let mut timeline = Timeline::restore(snapshot).map_err(|e| e.to_string())?;
    let replayed = timeline.replay(after.iter().copied());
    if timeline.is_finished() {
        return Ok(TakenBack::Ended(Box::new(timeline)));
    }
    let taken = timeline.clone();
    let recovered = Timeline::recovered(replayed, usize::from(torn));
    let actions = timeline.resumed_after(now, downtime, recovered);
    Ok(TakenBack::Resumed(Box::new(Resumed {
        timeline,
        actions,
        now,
        downtime,
        last_seq,
        replayed: taken,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    use crate::scene::{Phase, PhaseEnd, Scene, SceneKind};
    use crate::timeline::{Policy, Source};

    /// Two phases of ten minutes on a timer.
    fn scene() -> Scene {
        let phase = |id: &str| Phase {
            id: id.into(),
            title: id.into(),
            planned: Millis::from_mins(10),
            min: None,
            max: None,
            ends: PhaseEnd::Timer,
            sets_mark: None,
            music: None,
            light: BTreeMap::new(),
            cues: Vec::new(),
        };
        Scene {
            name: "two".into(),
            title: "Two".into(),
            description: String::new(),
            kind: SceneKind::Preparation,
            phases: vec![phase("one"), phase("two")],
            cues: Vec::new(),
            closing_phase: 1,
            grounding_track: None,
        }
    }

    fn entry(seq: u64, wall: &str, event: Event) -> LogEntry {
        LogEntry {
            seq,
            wall: wall.into(),
            session: "s".into(),
            event,
        }
    }

    const NINE: u64 = 1_767_258_000_000; // 2026-01-01T09:00:00Z

    #[test]
    fn the_downtime_counts_from_the_later_of_the_save_and_the_last_entry() {
        let policy = Policy {
            zones: vec!["room".into()],
            ..Policy::default()
        };
        let (timeline, actions) = Timeline::start(scene(), policy, "s".into(), Source::default());
        let logged: Vec<LogEntry> = actions
            .into_iter()
            .filter_map(|a| match a {
                Action::Log(e) => Some(e),
                _ => None,
            })
            .enumerate()
            .map(|(i, e)| entry(i as u64 + 1, "2026-01-01T09:01:00Z", e))
            .collect();
        let saved = Saved {
            session_time: Millis::ZERO,
            wall_unix_ms: NINE,
            speed: 1.0,
            log_seq: 0,
        };
        // Five minutes after the last entry (a minute after the save).
        let back = take_back(timeline.snapshot(), saved, &logged, false, NINE + 6 * 60_000).unwrap();
        let TakenBack::Resumed(resumed) = back else {
            panic!("not resumed")
        };
        assert_eq!(resumed.downtime, Millis::from_secs(5 * 60));
        assert_eq!(resumed.last_seq, logged.len() as u64);
        assert!(resumed.actions.iter().any(|a| matches!(
            a,
            Action::Log(Event {
                kind: EventKind::SessionResumed { .. },
                ..
            })
        )));
    }

    #[test]
    fn a_start_never_recorded_is_dropped_and_an_ended_session_is_not_resumed() {
        let (mut timeline, _) = Timeline::start(scene(), Policy::default(), "s".into(), Source::default());
        let saved = Saved {
            session_time: Millis::ZERO,
            wall_unix_ms: NINE,
            speed: 1.0,
            log_seq: 0,
        };
        let back = take_back(timeline.snapshot(), saved, &[], false, NINE).unwrap();
        assert!(matches!(back, TakenBack::NeverRecorded));
        timeline.tick(Millis::from_secs(3600));
        assert!(timeline.is_finished());
        let saved = Saved { log_seq: 9, ..saved };
        let back = take_back(timeline.snapshot(), saved, &[], false, NINE).unwrap();
        assert!(matches!(back, TakenBack::Ended(_)));
    }

    #[test]
    fn a_wall_clock_gone_backwards_is_no_downtime() {
        assert_eq!(downtime(10_000, 12_500, 60.0), Millis(150_000));
        assert_eq!(downtime(10_000, 9_000, 60.0), Millis::ZERO);
    }
}
