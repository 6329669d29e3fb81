//! The daemon's shell in virtual time around the real room core: [`Room`] takes commands,
//! the clock's deadlines, device reports and crashes (`command`, `run_until`,
//! `track_started`, `crash`) and hands them to the code the daemon runs:
//! [`RecordedSession`] for the order of room and record and what a refusing disk refuses,
//! [`Heartbeat`] for when the state is saved and the log retried, [`IdleEmergency`] for an
//! emergency with no session, [`take_back`] for a restart. What is left here is only the
//! shell's I/O, modelled: the clock, the state file (kept in memory, refused by a full or
//! read-only disk), the log over a [`MemoryStore`], the lights' planner and the music. Each
//! step leaves a [`Trace`] for the checks.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use crate::engine::event_log::{parse_log, wall_string};
use crate::journal::{Journal, MemoryStore, Stamp, Store};
use crate::protocol::LogEntry;
use crate::room::{
    Heartbeat, Holding, IdleEmergency, Outcome, RecordedSession, Refusal, Resumed, TakenBack, take_back,
};
use crate::scene::Scene;
use crate::time::Millis;
use crate::timeline::{
    Action, Command, DeviceEvent, EventKind, Policy, Request, Snapshot, Source, State, Status, Target,
    Timeline,
};

use super::Violation;
use super::lights::Lights;
use super::music::Music;
use super::world::World;

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
    core: RecordedSession<MemoryStore>,
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
    /// The log while no session runs: an ended session's, or one a restart did not take back
    /// (the room has one log, the run's session's, in one place or the other).
    idle_log: Option<Journal<MemoryStore>>,
    saved: Vec<Saved>,
    idle_emergency: Option<IdleEmergency>,
    pub lights: Lights,
    pub music: Music,
    /// Virtual wall-clock time, ms since the run began; the daemon's monotonic clock too.
    wall: u64,
    heartbeat: Heartbeat,
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

/// The room's part of a decision, to the model adapters (`engine::dispatch::apply_room`).
fn apply_room(
    lights: &mut Lights,
    music: &mut Music,
    problems: &mut Vec<Violation>,
    wall: u64,
    room: &[Action],
) {
    for action in room {
        let checked = match action {
            Action::Light {
                zone,
                look,
                fade,
                urgent,
            } => {
                lights.set(wall, zone, *look, *fade, *urgent);
                Ok(())
            }
            Action::Music(target) => music.apply(target),
            Action::Skip { crossfade, .. } => music.skip(*crossfade),
            _ => Ok(()),
        };
        if let Err(v) = checked {
            problems.push(v);
        }
    }
}

/// A call into the room core: it is handed the stamp and the way to the room.
type CoreFn<'a> = dyn FnOnce(&mut RecordedSession<MemoryStore>, &Stamp, &mut dyn FnMut(&[Action])) -> Result<Outcome, Refusal>
    + 'a;

impl Room {
    /// Starts a session of `scene` at virtual time zero, as `Engine::start` does: the state
    /// file first, covering none of the log, then the start's entries, recorded first.
    pub fn start(world: &World, scene: Scene, reserve: usize) -> Room {
        let config = &world.config;
        let source = Source {
            via: crate::timeline::Via::Socket,
            who: Some("start".into()),
        };
        let policy = config.policy.clone();
        let (timeline, actions) = Timeline::start(scene.clone(), policy.clone(), SESSION_ID.into(), source);
        let journal = Journal::new(SESSION_ID, MemoryStore::with_reserve(reserve), 0);
        let mut room = Room {
            scene,
            policy,
            tracks: world.tracks.clone(),
            session: Some(Running {
                core: RecordedSession::new(timeline, journal),
                base_session: Millis::ZERO,
                base_wall: 0,
                last_now: Millis::ZERO,
            }),
            idle_log: None,
            saved: Vec::new(),
            idle_emergency: None,
            lights: Lights::new(&config.lights.lights, &config.lights.networks),
            music: Music::default(),
            wall: 0,
            // The engine's first beat is at once.
            heartbeat: Heartbeat::new(0, 1.0),
            lights_floor: 0,
            step: 0,
            last_append: None,
            trace: Vec::new(),
            problems: Vec::new(),
            unsaved: 0,
            reached: Millis::ZERO,
        };
        room.persist();
        let started = room.through_core(
            Input::Start,
            None,
            Box::new(|core, stamp, room| {
                core.record_first(actions, stamp, room)
                    .map_err(Refusal::NotRecorded)
            }),
        );
        if !matches!(started, Some(Ok(_))) {
            room.let_go();
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

    fn journal(&self) -> &Journal<MemoryStore> {
        match (&self.session, &self.idle_log) {
            (Some(running), _) => &running.core.journal,
            (None, Some(journal)) => journal,
            (None, None) => unreachable!("the room keeps its log whether a session runs or not"),
        }
    }

    fn journal_mut(&mut self) -> &mut Journal<MemoryStore> {
        match (&mut self.session, &mut self.idle_log) {
            (Some(running), _) => &mut running.core.journal,
            (None, Some(journal)) => journal,
            (None, None) => unreachable!("the room keeps its log whether a session runs or not"),
        }
    }

    pub fn log_bytes(&self) -> &[u8] {
        &self.journal().store().bytes
    }

    pub fn settled(&self) -> bool {
        self.journal().settled() && self.journal().unwritable().is_none()
    }

    /// Where the session stands now, as `status` shows it.
    pub fn status(&self) -> Option<Status> {
        let running = self.session.as_ref()?;
        Some(running.core.timeline.status(running.last_now))
    }

    /// The furthest session time reached.
    pub fn reached(&self) -> Millis {
        self.reached
    }

    pub fn finished_or_idle(&self) -> bool {
        self.session.is_none()
    }

    pub fn store_mut(&mut self) -> &mut MemoryStore {
        self.journal_mut().store_mut()
    }

    /// The session is let go (ended, or its start refused): its log stays.
    fn let_go(&mut self) {
        if let Some(running) = self.session.take() {
            self.idle_log = Some(running.core.journal);
        }
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

    /// When the engine's loop wakes for the timeline: the virtual wall time and the deadline.
    fn session_wake(&self) -> Option<(u64, Millis)> {
        let running = self.session.as_ref()?;
        let mut deadline = running.core.timeline.next_deadline()?;
        if deadline <= running.last_now {
            deadline = running.last_now + Millis(1);
        }
        let wall = running.base_wall + (deadline - running.base_session).0;
        Some((wall.max(self.wall), deadline))
    }

    /// Lets virtual time run to `until`: the engine's loop at the timeline's deadlines and the
    /// room core's heartbeat, the lights' task at the planner's deadlines.
    pub fn run_until(&mut self, until: u64) {
        for _ in 0..10_000_000 {
            let session = self.session_wake();
            let lights = self.lights.next_deadline().map(|d| d.max(self.lights_floor));
            let next = [
                session.map(|(w, _)| w),
                Some(self.heartbeat.next_deadline()),
                lights,
            ]
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
            self.heartbeat_due();
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
        self.through_core(
            Input::Tick,
            None,
            Box::new(move |core, stamp, room| Ok(core.tick(now, stamp, room))),
        );
        self.retire_if_finished();
        Some(now)
    }

    fn retire_if_finished(&mut self) {
        if self
            .session
            .as_ref()
            .is_some_and(|r| r.core.timeline.is_finished())
        {
            // The log stays: what the disk still refuses of it is written once it allows.
            self.let_go();
        }
    }

    /// The room core's heartbeat, when due: its chores as `Engine::heartbeat_due` does them.
    fn heartbeat_due(&mut self) {
        let holding = Holding {
            session: self
                .session
                .as_ref()
                .is_some_and(|r| !r.core.timeline.is_finished()),
            finished_logs: self.idle_log.as_ref().is_some_and(|j| !j.settled()),
        };
        let Some(chores) = self.heartbeat.due(self.wall, holding) else {
            return;
        };
        if chores.keep_reserve {
            self.journal_mut().store_mut().restore_reserve();
        }
        if chores.retry_log || chores.retry_finished {
            self.retry_journal();
        }
        if chores.save {
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
                timeline: running.core.timeline.timeline_time(),
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

    /// Notes the bytes a write added to the log since `start`, for a crash to tear.
    fn noted(&mut self, start: usize, entries: &[LogEntry]) {
        let end = self.journal().store().bytes.len();
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
    }

    /// A retry of what the disk refused, made on its own before each call into the core (whose
    /// own retry then finds nothing new to write, the journal trying at most once a second):
    /// so that what it writes is traced, and a crash tears only the last write.
    fn retry(&mut self) {
        let stamp = self.stamp();
        let start = self.journal().store().bytes.len();
        let written = self.journal_mut().retry(&stamp);
        if written.is_empty() {
            return;
        }
        self.noted(start, &written);
        let timeline = self.session.as_ref().map(|r| r.core.timeline.clone());
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

    /// `Engine::persist`: the core's snapshot, offered only while nothing is held, naming
    /// the last entry on disk. A disk that refuses the log refuses the state file too.
    fn persist(&mut self) {
        let wall = self.wall;
        let store = self.journal().store();
        let refused = store.read_only || store.free.is_some_and(|f| f < STATE_FILE_BYTES);
        let log_len = store.bytes.len();
        let Some(running) = self.session.as_mut() else {
            return;
        };
        // The state alone: the scene and policy in a snapshot are the run's.
        let Some(log_seq) = running.core.snapshot_covers() else {
            return;
        };
        let clock = running.base_session + Millis(wall.saturating_sub(running.base_wall));
        running.last_now = clock.max(running.last_now);
        if refused {
            self.unsaved += 1;
            return;
        }
        let saved = Saved {
            state: running.core.timeline.state().clone(),
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

    // --- through the room core --------------------------------------------------------------

    /// Calls the room core with the model adapters as the room, then does what its outcome
    /// asks (a save, a finished session's state file removed), as `engine::dispatch` does;
    /// traces the call. `before`: the session before the input, when it is not the one the
    /// core holds now (a restart's). `None` with no session.
    fn through_core(
        &mut self,
        input: Input,
        before: Option<Timeline>,
        call: Box<CoreFn<'_>>,
    ) -> Option<Result<Outcome, Refusal>> {
        self.session.as_ref()?;
        self.retry();
        let stamp = self.stamp();
        let start = self.journal().store().bytes.len();
        let Room {
            session,
            lights,
            music,
            problems,
            wall,
            ..
        } = self;
        let running = session.as_mut()?;
        let before = before.unwrap_or_else(|| running.core.timeline.clone());
        let mut told: Vec<Action> = Vec::new();
        let result = call(&mut running.core, &stamp, &mut |room: &[Action]| {
            told.extend_from_slice(room);
            apply_room(lights, music, problems, *wall, room);
        });
        // Cloned only for a trace: most ticks decide nothing.
        let after = match &result {
            Ok(outcome) if !(told.is_empty() && outcome.entries.is_empty()) => {
                Some(running.core.timeline.clone())
            }
            _ => None,
        };
        let changed = result.is_err() && running.core.timeline.state() != before.state();
        match &result {
            Ok(outcome) => {
                if !outcome.retried.is_empty() {
                    self.problems.push(Violation::new(
                        "log numbered",
                        "the core's own retry wrote what the retry just before it did not".into(),
                    ));
                }
                self.noted(start, &outcome.entries);
                if let Some(after) = after {
                    // What the core decided: the room's part as it was told, the log's as
                    // numbered.
                    let actions = told
                        .into_iter()
                        .chain(outcome.entries.iter().map(|e| Action::Log(e.event.clone())))
                        .collect();
                    self.trace.push(Trace::Core(Box::new(CoreCall {
                        input,
                        before,
                        actions,
                        applied: true,
                        entries: outcome.entries.clone(),
                        after,
                    })));
                }
                if outcome.snapshot_due {
                    self.persist();
                }
                if outcome.finished {
                    // The session is over: its state file goes.
                    self.saved.clear();
                }
            }
            Err(refusal) => {
                if changed {
                    self.problems.push(Violation::new(
                        "commands recorded",
                        format!("a refused command changed the session ({refusal})"),
                    ));
                }
                if !told.is_empty() {
                    self.problems.push(Violation::new(
                        "commands recorded",
                        format!("a refused command reached the room ({refusal})"),
                    ));
                }
            }
        }
        Some(result)
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
        let input = Input::Command {
            who: who.to_string(),
            command,
            target,
        };
        let result = self.through_core(
            input,
            None,
            Box::new(move |core, stamp, room| core.command(now, request, stamp, room)),
        );
        self.retire_if_finished();
        match result {
            None => Reply::NoSession,
            Some(Ok(outcome)) => Reply::Done {
                recorded: outcome.recorded,
            },
            Some(Err(Refusal::NotRecorded(reason))) => Reply::NotRecorded(reason.to_string()),
            Some(Err(Refusal::Command(e))) => Reply::Refused(e.to_string()),
        }
    }

    /// With no session: an emergency lights the room from the policy, a resume that means
    /// it ends it (`Engine::emergency_without_session`, `end_idle_emergency`), through the
    /// room core's [`IdleEmergency`].
    fn without_session(&mut self, command: &Command, target: &Target) -> Reply {
        let zone = match target {
            Target::Room => None,
            Target::Zone(zone) => Some(zone.as_str()),
        };
        match command {
            Command::Emergency => {
                let (orders, held) =
                    match IdleEmergency::begin(self.idle_emergency.as_ref(), &self.policy, zone) {
                        Ok(begun) => begun,
                        Err(refused) => return Reply::Refused(refused),
                    };
                for zone in &orders.zones {
                    self.lights
                        .set(self.wall, zone, orders.look.look, orders.look.fade, true);
                }
                if let Err(v) = self.music.apply(&orders.music) {
                    self.problems.push(v);
                }
                self.idle_emergency = Some(held);
                self.trace.push(Trace::IdleEmergency { zones: orders.zones });
                Reply::DoneIdle
            }
            Command::Resume { only, .. }
                if self
                    .idle_emergency
                    .as_ref()
                    .is_some_and(|held| held.ended_by(*only, zone)) =>
            {
                self.idle_emergency = self.idle_emergency.take().and_then(|held| held.end(zone));
                Reply::DoneIdle
            }
            _ => Reply::NoSession,
        }
    }

    /// The player reports a track of the playing playlist starting (`Engine::device`).
    pub fn track_started(&mut self, track: usize) {
        let Some(now) = self.advance() else { return };
        let Some(running) = self.session.as_ref() else {
            return;
        };
        let Some(playlist) = running.core.timeline.state().scene_music.playlist.clone() else {
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
        let event = DeviceEvent::TrackStarted { playlist, path };
        self.through_core(
            Input::Device,
            None,
            Box::new(move |core, stamp, room| Ok(core.device(now, event, stamp, room))),
        );
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
    /// stays down `down`, and starts again: recovery through the room core's [`take_back`],
    /// as `Engine::resume` does it.
    pub fn crash(&mut self, tear: Option<u16>, old: bool, down: Millis) {
        let mut torn = None;
        if let (Some(tear), Some(append)) = (tear, self.last_append)
            && append.step + 1 == self.step
        {
            let cut = append.start + (append.end - append.start) * usize::from(tear.min(999)) / 1000;
            self.store_mut().bytes.truncate(cut);
            self.saved.retain(|s| s.log_len <= cut);
            torn = Some(append.seqs);
        }
        self.last_append = None;
        self.music.silence();
        self.lights.restart();
        self.idle_emergency = None;
        let mut store = std::mem::take(self.store_mut());
        self.session = None;
        self.idle_log = None;
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
        self.heartbeat = Heartbeat::new(self.wall, 1.0);
        let logged = entries.iter().map(|e| e.seq).max().unwrap_or(0);
        if old && self.saved.len() >= 2 {
            // It died writing the state file: the copy before is the one there.
            self.saved.pop();
        }
        let Some(saved) = self.saved.last().cloned() else {
            self.idle_log = Some(Journal::new(SESSION_ID, store, logged));
            self.trace.push(Trace::Idle { why: "no state file" });
            return;
        };
        self.recover(saved, entries, store, torn_bytes);
        self.poll_lights();
    }

    fn recover(&mut self, saved: Saved, entries: Vec<LogEntry>, store: MemoryStore, torn_bytes: usize) {
        let logged = entries.iter().map(|e| e.seq).max().unwrap_or(0);
        self.idle_log = Some(Journal::new(SESSION_ID, store, logged.max(saved.log_seq)));
        // The state file as written and read back.
        let snapshot = Snapshot {
            scene: self.scene.clone(),
            policy: self.policy.clone(),
            state: saved.state.clone(),
        };
        let snapshot =
            match serde_json::to_string(&snapshot).and_then(|json| serde_json::from_str::<Snapshot>(&json)) {
                Ok(snapshot) => snapshot,
                Err(e) => return self.unrecoverable(e.to_string()),
            };
        let found = crate::room::Saved {
            session_time: saved.session_time,
            wall_unix_ms: EPOCH_UNIX_MS + saved.wall_ms,
            speed: 1.0,
            log_seq: saved.log_seq,
        };
        let after: Vec<&LogEntry> = entries.iter().filter(|e| e.seq > saved.log_seq).collect();
        let replayed_to = replayed_to(&after, saved.state.now);
        let taken = take_back(
            snapshot,
            found,
            &entries,
            torn_bytes > 0,
            EPOCH_UNIX_MS + self.wall,
        );
        let resumed = match taken {
            Ok(TakenBack::Resumed(resumed)) => resumed,
            Ok(TakenBack::NeverRecorded) => {
                self.saved.clear();
                self.trace.push(Trace::Idle {
                    why: "the start was never recorded",
                });
                return;
            }
            Ok(TakenBack::Ended(timeline)) => {
                self.trace.push(Trace::Recovered {
                    timeline: *timeline,
                    last_seq: logged.max(saved.log_seq),
                    replayed_to,
                });
                self.saved.clear();
                self.trace.push(Trace::Idle {
                    why: "the session had ended",
                });
                return;
            }
            Err(e) => return self.unrecoverable(e),
        };
        let Resumed {
            timeline,
            actions,
            now,
            last_seq,
            replayed,
            ..
        } = *resumed;
        self.trace.push(Trace::Recovered {
            timeline: replayed.clone(),
            last_seq,
            replayed_to,
        });
        let journal = self.idle_log.take().expect("set above");
        self.session = Some(Running {
            core: RecordedSession::new(timeline, journal),
            base_session: now,
            base_wall: self.wall,
            last_now: now,
        });
        self.through_core(
            Input::Resumed,
            Some(replayed),
            Box::new(move |core, stamp, room| Ok(core.carry_out(actions, stamp, room))),
        );
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
        let store = self.store_mut();
        store.free = None;
        store.read_only = false;
        self.broker_up();
        for i in 0..self.lights.count() {
            self.light_back(i);
        }
    }
}
