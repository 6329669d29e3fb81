//! The shell's rules over the pure pieces, in one type: what `engine::dispatch`,
//! `engine::requests` and `engine::session` do with the core's output, the journal, the state
//! file and the adapters, in virtual time.
//!
//! This is the seam: [`Room`] takes commands, the clock's deadlines, device reports and
//! crashes (`command`, `run_until`, `track_started`, `crash`) exactly as the engine takes
//! them, so that a pure room core the engine also calls can later replace its insides. Each
//! step leaves a [`Trace`] for the checks.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use crate::engine::event_log::{parse_log, wall_string};
use crate::engine::persist::{downtime, unix_millis};
use crate::journal::{Journal, MemoryStore, Stamp, Store, Unwritable};
use crate::protocol::LogEntry;
use crate::room::{Split, split};
use crate::scene::Scene;
use crate::time::Millis;
use crate::timeline::{
    Action, Command, DeviceEvent, EventKind, MusicTarget, OverrideKind, Policy, Request, Snapshot, Source,
    State, Status, Target, Timeline,
};

use super::Violation;
use super::lights::Lights;
use super::music::Music;
use super::world::World;

/// The engine's heartbeat: a retry of the log and a save of the state file.
const HEARTBEAT_MS: u64 = 10_000;
/// Virtual wall-clock time zero: 2026-01-01T09:00:00Z.
const EPOCH_UNIX_MS: u64 = 1_767_258_000_000;
/// A state file needs about this much room to be written; less and its save fails.
const STATE_FILE_BYTES: usize = 64 * 1024;
/// State files kept for a crash to find (the last, and those a torn write falls back to).
const SAVED_KEPT: usize = 6;
const SESSION_ID: &str = "20260101-090000-sim";

/// The answer a command got.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// Carried out; `recorded` false while its entries are held in memory.
    Done {
        recorded: bool,
    },
    /// Carried out with no session running (an emergency, or its end): nothing to log.
    DoneIdle,
    Refused(String),
    NotRecorded(String),
    NoSession,
}

/// What went into the core.
#[derive(Clone, Debug)]
pub enum Input {
    Start,
    Tick,
    Command {
        who: String,
        command: Command,
        target: Target,
    },
    Device,
    Resumed,
}

/// One call into the core and what became of its output.
pub struct CoreCall {
    pub input: Input,
    pub before: Timeline,
    pub actions: Vec<Action>,
    /// Carried out in the room (false: the disk refused the command's entries and the core
    /// was rolled back).
    pub applied: bool,
    /// Its entries as numbered, written or held.
    pub entries: Vec<LogEntry>,
    pub after: Timeline,
}

pub enum Trace {
    Core(Box<CoreCall>),
    /// A retry wrote held entries and the gap entry.
    Gap {
        entries: Vec<LogEntry>,
        timeline: Option<Timeline>,
    },
    Reply {
        who: String,
        command: Command,
        target: Target,
        reply: Reply,
    },
    /// An emergency with no session: these zones were lit.
    IdleEmergency {
        zones: Vec<String>,
    },
    /// The daemon died. `log`: what a restart finds in the log; `torn`: the numbers of the
    /// write it died in, if it died in one.
    Crashed {
        log: Vec<LogEntry>,
        torn: Option<(u64, u64)>,
    },
    /// The restart took the session back: the timeline after its snapshot and replay, the last
    /// entry it found, and the session time the replay brought it to (`None`: the snapshot
    /// covered the whole log).
    Recovered {
        timeline: Timeline,
        last_seq: u64,
        replayed_to: Option<Millis>,
    },
    /// The restart found no session to take back.
    Idle {
        why: &'static str,
    },
}

struct Running {
    timeline: Timeline,
    /// The session clock: session time `base_session` at virtual wall time `base_wall`.
    base_session: Millis,
    base_wall: u64,
    last_now: Millis,
}

/// A state file as saved: the snapshot's state (the scene and policy are the run's) and what
/// the daemon writes beside it.
#[derive(Clone)]
struct Saved {
    state: State,
    session_time: Millis,
    wall_ms: u64,
    log_seq: u64,
    /// The log's length when it was saved: a crash that tears a later write finds it.
    log_len: usize,
}

/// The last write that reached the disk, and in which step.
#[derive(Clone, Copy)]
struct Append {
    step: usize,
    start: usize,
    end: usize,
    seqs: (u64, u64),
}

pub struct Room {
    scene: Scene,
    policy: Policy,
    tracks: BTreeMap<String, Vec<String>>,
    session: Option<Running>,
    journal: Journal<MemoryStore>,
    saved: Vec<Saved>,
    idle_emergency: Option<Vec<String>>,
    pub lights: Lights,
    pub music: Music,
    /// Virtual wall-clock time, ms since the run began.
    wall: u64,
    next_heartbeat: u64,
    /// Nothing more can go out on the lights before this (they were polled just now).
    lights_floor: u64,
    step: usize,
    last_append: Option<Append>,
    trace: Vec<Trace>,
    problems: Vec<Violation>,
    pub unsaved: u64,
    reached: Millis,
}

/// The session time a replay of `after` brings a snapshot taken at `now` to: never back in
/// time, each input advancing it (`Timeline::replay`).
fn replayed_to(after: &[&LogEntry], mut now: Millis) -> Option<Millis> {
    let mut last = None;
    for entry in after {
        let at = entry.event.at.max(now);
        last = Some(at);
        if matches!(
            entry.event.kind,
            EventKind::Command { .. } | EventKind::Track { .. } | EventKind::SessionResumed { .. }
        ) {
            now = at;
        }
    }
    last
}

/// What is kept whatever the disk says: the rest is recorded first, or refused.
fn kept(command: &Command) -> bool {
    matches!(
        command,
        Command::Emergency | Command::Check | Command::Resume { .. }
    )
}

impl Room {
    /// Starts a session of `scene` at virtual time zero, as `Engine::start` does: the state
    /// file first, covering none of the log, then the start's entries, recorded first.
    pub fn start(world: &World, scene: Scene, reserve: usize) -> Room {
        let config = &world.config;
        let mut room = Room {
            scene: scene.clone(),
            policy: config.policy.clone(),
            tracks: world.tracks.clone(),
            session: None,
            journal: Journal::new(SESSION_ID, MemoryStore::with_reserve(reserve), 0),
            saved: Vec::new(),
            idle_emergency: None,
            lights: Lights::new(&config.lights.lights, &config.lights.networks),
            music: Music::default(),
            wall: 0,
            next_heartbeat: HEARTBEAT_MS,
            lights_floor: 0,
            step: 0,
            last_append: None,
            trace: Vec::new(),
            problems: Vec::new(),
            unsaved: 0,
            reached: Millis::ZERO,
        };
        let source = Source {
            via: crate::timeline::Via::Socket,
            who: Some("start".into()),
        };
        let (timeline, actions) = Timeline::start(scene, room.policy.clone(), SESSION_ID.into(), source);
        let before = timeline.clone();
        room.session = Some(Running {
            timeline,
            base_session: Millis::ZERO,
            base_wall: 0,
            last_now: Millis::ZERO,
        });
        room.persist();
        if room
            .dispatch_recorded_first(Input::Start, before, actions)
            .is_err()
        {
            room.session = None;
            room.saved.clear();
        }
        room.poll_lights();
        room
    }

    /// Marks the start of script step `index`: a crash tears only the step before its own
    /// (the session's start counts as the step before the first).
    pub fn begin_step(&mut self, index: usize) {
        self.step = index + 1;
    }

    pub fn take_trace(&mut self) -> Vec<Trace> {
        std::mem::take(&mut self.trace)
    }

    pub fn take_problems(&mut self) -> Vec<Violation> {
        let mut problems = std::mem::take(&mut self.problems);
        problems.extend(self.lights.take_problems());
        problems
    }

    pub fn wall(&self) -> u64 {
        self.wall
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn scene(&self) -> &Scene {
        &self.scene
    }

    pub fn log_bytes(&self) -> &[u8] {
        &self.journal.store().bytes
    }

    pub fn settled(&self) -> bool {
        self.journal.settled() && self.journal.unwritable().is_none()
    }

    /// Where the session stands now, as `status` shows it.
    pub fn status(&self) -> Option<Status> {
        let running = self.session.as_ref()?;
        Some(running.timeline.status(running.last_now))
    }

    /// The furthest session time reached.
    pub fn reached(&self) -> Millis {
        self.reached
    }

    pub fn finished_or_idle(&self) -> bool {
        self.session.is_none()
    }

    pub fn store_mut(&mut self) -> &mut MemoryStore {
        self.journal.store_mut()
    }

    // --- the clock -----------------------------------------------------------------------

    /// Session time now, never earlier than what the core last saw (`Engine::now`).
    fn now(&mut self) -> Option<Millis> {
        let wall = self.wall;
        let running = self.session.as_mut()?;
        let clock = running.base_session + Millis(wall.saturating_sub(running.base_wall));
        running.last_now = clock.max(running.last_now);
        self.reached = self.reached.max(running.last_now);
        Some(running.last_now)
    }

    /// When the engine's loop wakes for the core: the virtual wall time and the deadline.
    fn session_wake(&self) -> Option<(u64, Millis)> {
        let running = self.session.as_ref()?;
        let mut deadline = running.timeline.next_deadline()?;
        if deadline <= running.last_now {
            deadline = running.last_now + Millis(1);
        }
        let wall = running.base_wall + (deadline - running.base_session).0;
        Some((wall.max(self.wall), deadline))
    }

    /// Lets virtual time run to `until`: the engine's loop at the core's deadlines and its
    /// heartbeat, the lights' task at the planner's deadlines.
    pub fn run_until(&mut self, until: u64) {
        for _ in 0..10_000_000 {
            let session = self.session_wake();
            let lights = self.lights.next_deadline().map(|d| d.max(self.lights_floor));
            let next = [session.map(|(w, _)| w), Some(self.next_heartbeat), lights]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(u64::MAX);
            if next > until {
                self.wall = self.wall.max(until);
                self.poll_lights();
                return;
            }
            self.wall = self.wall.max(next);
            if let Some((wall, deadline)) = session
                && wall <= self.wall
            {
                self.on_deadline(deadline);
            }
            if self.next_heartbeat <= self.wall {
                self.heartbeat();
                self.next_heartbeat = self.wall + HEARTBEAT_MS;
            }
            self.poll_lights();
        }
        self.problems.push(Violation::new(
            "liveness",
            "virtual time stopped moving: something asks to be woken again and again".into(),
        ));
    }

    fn poll_lights(&mut self) {
        self.lights.poll(self.wall);
        self.lights_floor = self.wall + 1;
    }

    fn on_deadline(&mut self, deadline: Millis) {
        if let Some(running) = self.session.as_mut() {
            running.last_now = running.last_now.max(deadline);
        }
        self.advance();
    }

    /// Brings the session up to now, room first (`Engine::advance`).
    fn advance(&mut self) -> Option<Millis> {
        let now = self.now()?;
        let running = self.session.as_mut()?;
        let before = running.timeline.clone();
        let actions = running.timeline.tick(now);
        self.dispatch(Input::Tick, before, actions);
        self.retire_if_finished();
        Some(now)
    }

    fn retire_if_finished(&mut self) {
        if self.session.as_ref().is_some_and(|r| r.timeline.is_finished()) {
            // The journal stays: what the disk still refuses of it is written once it allows.
            self.session = None;
        }
    }

    /// `Engine::heartbeat`: the space for emergencies kept back again if it can be, the log
    /// retried, the state file saved.
    fn heartbeat(&mut self) {
        if self.session.is_some() {
            self.journal.store_mut().restore_reserve();
            self.retry_journal();
        } else if !self.journal.settled() || self.journal.unwritable().is_some() {
            self.retry();
        }
        if self.session.as_ref().is_some_and(|r| !r.timeline.is_finished()) {
            self.persist();
        }
    }

    // --- the record ------------------------------------------------------------------------

    fn stamp(&self) -> Stamp {
        let wall = wall_string(SystemTime::UNIX_EPOCH + Duration::from_millis(EPOCH_UNIX_MS + self.wall));
        match &self.session {
            Some(running) => Stamp {
                wall,
                session_time: running.last_now,
                timeline: running.timeline.timeline_time(),
                mono_ms: self.wall,
            },
            None => Stamp {
                wall,
                session_time: Millis::ZERO,
                timeline: Millis::ZERO,
                mono_ms: self.wall,
            },
        }
    }

    fn noted<T>(&mut self, start: usize, entries: &[LogEntry], result: T) -> T {
        let end = self.journal.store().bytes.len();
        if end > start
            && let (Some(first), Some(last)) = (entries.first(), entries.last())
        {
            self.last_append = Some(Append {
                step: self.step,
                start,
                end,
                seqs: (first.seq, last.seq),
            });
        }
        result
    }

    /// The retry each write begins with (`Journal::write` and `write_or_hold` try what is held
    /// first), made on its own so that what it writes is seen.
    fn retry(&mut self) {
        let stamp = self.stamp();
        let start = self.journal.store().bytes.len();
        let written = self.journal.retry(&stamp);
        if written.is_empty() {
            return;
        }
        self.noted(start, &written, ());
        let timeline = self.session.as_ref().map(|r| r.timeline.clone());
        self.trace.push(Trace::Gap {
            entries: written,
            timeline,
        });
    }

    /// `Engine::retry_journal`: and a save once nothing is held any more.
    fn retry_journal(&mut self) {
        let was_held = !self.settled();
        self.retry();
        if was_held && self.settled() {
            self.persist();
        }
    }

    /// `Engine::persist`: only while nothing is held, naming the last entry on disk. A disk
    /// that refuses the log refuses the state file too.
    fn persist(&mut self) {
        if !self.journal.settled() {
            return;
        }
        let wall = self.wall;
        let store = self.journal.store();
        let refused = store.read_only || store.free.is_some_and(|f| f < STATE_FILE_BYTES);
        let (log_seq, log_len) = (self.journal.durable_seq(), store.bytes.len());
        let Some(running) = self.session.as_mut() else {
            return;
        };
        let clock = running.base_session + Millis(wall.saturating_sub(running.base_wall));
        running.last_now = clock.max(running.last_now);
        if refused {
            self.unsaved += 1;
            return;
        }
        let saved = Saved {
            state: running.timeline.state().clone(),
            session_time: running.last_now,
            wall_ms: wall,
            log_seq,
            log_len,
        };
        // A save over one naming the same entry replaces it; earlier ones are kept for a
        // crash that tears a later write to fall back on.
        match self.saved.last_mut() {
            Some(last) if last.log_seq == log_seq && last.log_len == log_len => *last = saved,
            _ => self.saved.push(saved),
        }
        if self.saved.len() > SAVED_KEPT {
            self.saved.remove(0);
        }
    }

    // --- carrying out the core's output (`engine::dispatch`) --------------------------------

    fn apply_room(&mut self, room: &[Action]) {
        for action in room {
            let checked = match action {
                Action::Light {
                    zone,
                    look,
                    fade,
                    urgent,
                } => {
                    self.lights.set(self.wall, zone, *look, *fade, *urgent);
                    Ok(())
                }
                Action::Music(target) => self.music.apply(target),
                Action::Skip { crossfade, .. } => self.music.skip(*crossfade),
                _ => Ok(()),
            };
            if let Err(v) = checked {
                self.problems.push(v);
            }
        }
    }

    fn after_record(&mut self, persist: bool, finished: bool) {
        if persist {
            self.persist();
        }
        if finished {
            // The session is over: its state file goes.
            self.saved.clear();
        }
    }

    /// The room first, then the record, written or held (`Engine::dispatch`).
    fn dispatch(&mut self, input: Input, before: Timeline, actions: Vec<Action>) -> bool {
        let Split {
            room,
            events,
            persist,
            finished,
        } = split(actions.clone());
        self.apply_room(&room);
        self.retry();
        let stamp = self.stamp();
        let start = self.journal.store().bytes.len();
        let written = self.journal.write_or_hold(events, &stamp);
        let written = self.noted(start, &written.entries.clone(), written);
        self.trace_call(input, before, actions, true, written.entries);
        self.after_record(persist, finished);
        written.recorded
    }

    /// The record first, all or nothing, then the room (`Engine::dispatch_recorded_first`).
    fn dispatch_recorded_first(
        &mut self,
        input: Input,
        before: Timeline,
        actions: Vec<Action>,
    ) -> Result<(), Unwritable> {
        let Split {
            room,
            events,
            persist,
            finished,
        } = split(actions.clone());
        self.retry();
        let stamp = self.stamp();
        let start = self.journal.store().bytes.len();
        match self.journal.write(events, &stamp) {
            Ok(entries) => {
                let entries = self.noted(start, &entries.clone(), entries);
                self.apply_room(&room);
                self.trace_call(input, before, actions, true, entries);
                self.after_record(persist, finished);
                Ok(())
            }
            Err(reason) => {
                self.trace_call(input, before, actions, false, Vec::new());
                Err(reason)
            }
        }
    }

    fn trace_call(
        &mut self,
        input: Input,
        before: Timeline,
        actions: Vec<Action>,
        applied: bool,
        entries: Vec<LogEntry>,
    ) {
        if actions.is_empty() {
            return;
        }
        let Some(running) = self.session.as_ref() else {
            return;
        };
        let after = running.timeline.clone();
        self.trace.push(Trace::Core(Box::new(CoreCall {
            input,
            before,
            actions,
            applied,
            entries,
            after,
        })));
    }

    // --- inputs (`engine::requests`, `Engine::device`) -------------------------------------

    /// A therapist's command, answered as `Engine::command` answers it. `who` names it in
    /// the log.
    pub fn command(&mut self, who: &str, command: Command, target: Target) -> Reply {
        let reply = self.answer(who, command.clone(), target.clone());
        self.trace.push(Trace::Reply {
            who: who.to_string(),
            command,
            target,
            reply: reply.clone(),
        });
        self.poll_lights();
        reply
    }

    fn answer(&mut self, who: &str, command: Command, target: Target) -> Reply {
        let request = Request {
            command: command.clone(),
            target: target.clone(),
            source: Source {
                via: crate::timeline::Via::Socket,
                who: Some(who.to_string()),
            },
        };
        let Some(now) = self.advance().filter(|_| self.session.is_some()) else {
            return self.without_session(&command, &target);
        };
        let kept = kept(&command);
        if !kept {
            self.retry_journal();
            if let Some(reason) = self.journal.unwritable() {
                return Reply::NotRecorded(reason.to_string());
            }
        }
        let Some(running) = self.session.as_mut() else {
            return Reply::NoSession;
        };
        let before = running.timeline.clone();
        let input = Input::Command {
            who: who.to_string(),
            command,
            target,
        };
        match running.timeline.command(now, request) {
            Ok(actions) if kept => {
                let recorded = self.dispatch(input, before, actions);
                self.retire_if_finished();
                Reply::Done { recorded }
            }
            Ok(actions) => match self.dispatch_recorded_first(input, before.clone(), actions) {
                Ok(()) => {
                    self.retire_if_finished();
                    Reply::Done { recorded: true }
                }
                Err(reason) => {
                    if let Some(running) = self.session.as_mut() {
                        running.timeline = before;
                    }
                    Reply::NotRecorded(reason.to_string())
                }
            },
            Err(e) => Reply::Refused(e.to_string()),
        }
    }

    /// An emergency with no session lights the room from the policy; a resume that could
    /// mean it ends it (`Engine::emergency_without_session`, `end_idle_emergency`).
    fn without_session(&mut self, command: &Command, target: &Target) -> Reply {
        match command {
            Command::Emergency => {
                let zones = match target {
                    Target::Room => self.policy.zones.clone(),
                    Target::Zone(z) if self.policy.zones.contains(z) => vec![z.clone()],
                    Target::Zone(z) => return Reply::Refused(format!("unknown zone `{z}`")),
                };
                let look = self.policy.emergency;
                for zone in &zones {
                    self.lights.set(self.wall, zone, look.look, look.fade, true);
                }
                let mut music = MusicTarget::silence();
                music.muted = true;
                music.fade = self.policy.emergency_music_fade;
                if let Err(v) = self.music.apply(&music) {
                    self.problems.push(v);
                }
                let held = self.idle_emergency.get_or_insert_with(Vec::new);
                held.extend(zones.iter().cloned());
                held.sort();
                held.dedup();
                self.trace.push(Trace::IdleEmergency { zones });
                Reply::DoneIdle
            }
            Command::Resume { only, .. }
                if matches!(only, None | Some(OverrideKind::Emergency))
                    && self.idle_emergency.as_ref().is_some_and(|held| match target {
                        Target::Room => true,
                        Target::Zone(z) => held.contains(z),
                    }) =>
            {
                match (target, &mut self.idle_emergency) {
                    (Target::Zone(z), Some(held)) if held.len() > 1 => held.retain(|h| h != z),
                    _ => self.idle_emergency = None,
                }
                Reply::DoneIdle
            }
            _ => Reply::NoSession,
        }
    }

    /// The player reports a track of the playing playlist starting (`Engine::device`).
    pub fn track_started(&mut self, track: usize) {
        let Some(now) = self.advance() else { return };
        let Some(running) = self.session.as_mut() else {
            return;
        };
        let Some(playlist) = running.timeline.state().scene_music.playlist.clone() else {
            return;
        };
        let Some(path) = self
            .tracks
            .get(&playlist)
            .filter(|t| !t.is_empty())
            .map(|t| t[track % t.len()].clone())
        else {
            return;
        };
        let before = running.timeline.clone();
        let actions = running
            .timeline
            .device(now, DeviceEvent::TrackStarted { playlist, path });
        self.dispatch(Input::Device, before, actions);
        self.retire_if_finished();
        self.poll_lights();
    }

    // --- faults ----------------------------------------------------------------------------

    pub fn broker_down(&mut self) {
        self.lights.broker_down();
    }

    pub fn broker_up(&mut self) {
        self.lights.broker_up(self.wall);
        self.poll_lights();
    }

    pub fn light_lost(&mut self, i: usize) {
        self.lights.lost(i);
    }

    pub fn light_back(&mut self, i: usize) {
        self.lights.back(self.wall, i);
        self.poll_lights();
    }

    /// The daemon dies (in the middle of the last step's last write when `tear` says where),
    /// stays down `down`, and starts again: recovery as `Engine::resume` does it.
    pub fn crash(&mut self, tear: Option<u16>, old: bool, down: Millis) {
        let mut torn = None;
        if let (Some(tear), Some(append)) = (tear, self.last_append)
            && append.step + 1 == self.step
        {
            let cut = append.start + (append.end - append.start) * usize::from(tear.min(999)) / 1000;
            self.journal.store_mut().bytes.truncate(cut);
            self.saved.retain(|s| s.log_len <= cut);
            torn = Some(append.seqs);
        }
        self.last_append = None;
        self.music.silence();
        self.lights.restart();
        self.idle_emergency = None;
        self.session = None;
        let mut store = std::mem::take(self.journal.store_mut());
        // The new daemon keeps space back for emergencies first thing, if the disk has it.
        store.restore_reserve();
        // Opening the log cuts a torn last line off (it was never acknowledged).
        let whole = store.bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let torn_bytes = store.bytes.len() - whole;
        store.bytes.truncate(whole);
        let entries = parse_log(&store.bytes).entries;
        self.trace.push(Trace::Crashed {
            log: entries.clone(),
            torn,
        });
        self.wall += down.0;
        self.next_heartbeat = self.wall + HEARTBEAT_MS;
        let logged = entries.iter().map(|e| e.seq).max().unwrap_or(0);
        if old && self.saved.len() >= 2 {
            // It died writing the state file: the copy before is the one there.
            self.saved.pop();
        }
        let Some(saved) = self.saved.last().cloned() else {
            self.journal = Journal::new(SESSION_ID, store, logged);
            self.trace.push(Trace::Idle { why: "no state file" });
            return;
        };
        self.recover(saved, entries, store, torn_bytes);
        self.poll_lights();
    }

    fn recover(&mut self, saved: Saved, entries: Vec<LogEntry>, store: MemoryStore, torn_bytes: usize) {
        let logged = entries.iter().map(|e| e.seq).max().unwrap_or(0);
        self.journal = Journal::new(SESSION_ID, store, logged.max(saved.log_seq));
        if saved.log_seq == 0
            && !entries
                .iter()
                .any(|e| matches!(e.event.kind, EventKind::SessionStarted { .. }))
        {
            self.saved.clear();
            self.trace.push(Trace::Idle {
                why: "the start was never recorded",
            });
            return;
        }
        // The state file as written and read back.
        let snapshot = Snapshot {
            scene: self.scene.clone(),
            policy: self.policy.clone(),
            state: saved.state.clone(),
        };
        let snapshot = serde_json::to_string(&snapshot)
            .map_err(|e| e.to_string())
            .and_then(|json| serde_json::from_str::<Snapshot>(&json).map_err(|e| e.to_string()));
        let mut timeline = match snapshot.map(Timeline::restore) {
            Ok(Ok(timeline)) => timeline,
            Ok(Err(e)) => return self.unrecoverable(e.to_string()),
            Err(e) => return self.unrecoverable(e),
        };
        let after: Vec<&LogEntry> = entries.iter().filter(|e| e.seq > saved.log_seq).collect();
        let last_seq = logged.max(saved.log_seq);
        let last = after.last();
        let base_session = last.map_or(saved.session_time, |e| e.event.at.max(saved.session_time));
        let base_wall = last
            .and_then(|e| humantime::parse_rfc3339(&e.wall).ok())
            .map_or(EPOCH_UNIX_MS + saved.wall_ms, |t| {
                unix_millis(t).max(EPOCH_UNIX_MS + saved.wall_ms)
            });
        let down = downtime(base_wall, EPOCH_UNIX_MS + self.wall, 1.0);
        let now = base_session + down;
        let replayed = timeline.replay(after.iter().map(|e| &e.event));
        self.trace.push(Trace::Recovered {
            timeline: timeline.clone(),
            last_seq,
            replayed_to: replayed_to(&after, saved.state.now),
        });
        if timeline.is_finished() {
            self.saved.clear();
            self.trace.push(Trace::Idle {
                why: "the session had ended",
            });
            return;
        }
        let before = timeline.clone();
        let recovered = Timeline::recovered(replayed, usize::from(torn_bytes > 0));
        let actions = timeline.resumed_after(now, down, recovered);
        self.session = Some(Running {
            timeline,
            base_session: now,
            base_wall: self.wall,
            last_now: now,
        });
        self.dispatch(Input::Resumed, before, actions);
        self.retire_if_finished();
    }

    fn unrecoverable(&mut self, reason: String) {
        self.saved.clear();
        self.problems.push(Violation::new(
            "recovery",
            format!("the saved session could not be taken back: {reason}"),
        ));
    }

    /// Every fault over: the disk writable with room, the broker and every light back.
    pub fn heal(&mut self) {
        let store = self.journal.store_mut();
        store.free = None;
        store.read_only = false;
        self.broker_up();
        for i in 0..self.lights.count() {
            self.light_back(i);
        }
    }
}
