//! What the run must find in the log once and only once: every command by its answer (an
//! acknowledged one exactly once, a refused one never), and every cue and prompt by the
//! anchor it fired against, across crashes too.

use std::collections::{BTreeMap, BTreeSet};

use crate::protocol::LogEntry;
use crate::scene::Scene;
use crate::time::Millis;
use crate::timeline::{Action, Command, EventKind, Target};

use super::Violation;
use super::room::{CoreCall, Input, Reply};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Status {
    /// Acknowledged with its entries on disk.
    Recorded,
    /// Acknowledged with its entries held in memory: on disk once the disk allows.
    Held,
    /// Refused, by the core or for the disk: never in the log.
    Refused,
    /// Carried out with no session: nothing to log.
    Idle,
    /// Its answer never went out (the daemon died writing it): in the log at most once.
    Unanswered,
    /// Held in memory when the daemon died: gone with it. A known failure (see "Known
    /// failures" in docs/reliability.md): the log never gets it and the restarted session
    /// does not know it, so an emergency acknowledged on a read-only disk is undone by a crash.
    Lost,
}

struct Sent {
    what: String,
    status: Status,
    /// Its `command` entry's number, once numbered.
    seq: Option<u64>,
}

#[derive(Default)]
pub struct Commands {
    sent: BTreeMap<String, Sent>,
    /// Numbers of the `command` entries of calls carried out, by who sent them.
    numbered: BTreeMap<String, u64>,
    pub acknowledged: u64,
    pub refused: u64,
}

fn who_of(entry: &LogEntry) -> Option<&str> {
    match &entry.event.kind {
        EventKind::Command { source, .. } => source.who.as_deref(),
        _ => None,
    }
}

fn counts(log: &[LogEntry]) -> BTreeMap<&str, usize> {
    let mut counts = BTreeMap::new();
    for who in log.iter().filter_map(who_of) {
        *counts.entry(who).or_default() += 1;
    }
    counts
}

impl Commands {
    pub fn call(&mut self, call: &CoreCall) {
        if let Input::Command { who, .. } = &call.input
            && call.applied
            && let Some(entry) = call.entries.iter().find(|e| who_of(e) == Some(who))
        {
            self.numbered.insert(who.clone(), entry.seq);
        }
    }

    /// A command's answer. The shell's own rules are checked here: the emergency, the check
    /// and the resume are never refused for the disk, nothing else is answered unrecorded,
    /// and an emergency is refused only for a zone the room does not have.
    pub fn reply(
        &mut self,
        who: &str,
        command: &Command,
        target: &Target,
        reply: &Reply,
    ) -> Result<(), Violation> {
        let kept = crate::room::kept(command);
        let status = match reply {
            Reply::Done { recorded: true } => Status::Recorded,
            Reply::Done { recorded: false } if kept => Status::Held,
            Reply::Done { recorded: false } => {
                return Err(Violation::new(
                    "commands recorded",
                    format!(
                        "{} was carried out with its entries held in memory",
                        command.name()
                    ),
                ));
            }
            Reply::DoneIdle => Status::Idle,
            Reply::NotRecorded(reason) if kept => {
                return Err(Violation::new(
                    "commands recorded",
                    format!("{} was refused for the disk: {reason}", command.name()),
                ));
            }
            Reply::Refused(reason) if *command == Command::Emergency && !reason.contains("zone") => {
                return Err(Violation::new(
                    "emergency light",
                    format!("an emergency ({target}) was refused: {reason}"),
                ));
            }
            Reply::NoSession if *command == Command::Emergency => {
                return Err(Violation::new(
                    "emergency light",
                    "an emergency was refused for want of a session".into(),
                ));
            }
            Reply::Refused(_) | Reply::NotRecorded(_) | Reply::NoSession => Status::Refused,
        };
        if status == Status::Refused {
            self.refused += 1;
        } else {
            self.acknowledged += 1;
        }
        let seq = self.numbered.get(who).copied();
        self.sent.insert(
            who.to_string(),
            Sent {
                what: format!("{} ({target})", command.name()),
                status,
                seq: seq.filter(|_| matches!(status, Status::Recorded | Status::Held)),
            },
        );
        Ok(())
    }

    /// The daemon died; `log` is what survived of the log, `torn` the numbers of the write it
    /// died in. Commands of that write were never answered; held ones not on disk are lost.
    pub fn crashed(&mut self, log: &[LogEntry], torn: Option<(u64, u64)>) -> Result<(), Violation> {
        let counts = counts(log);
        for (who, sent) in &mut self.sent {
            let n = counts.get(who.as_str()).copied().unwrap_or(0);
            let in_torn = sent.seq.zip(torn).is_some_and(|(s, (a, b))| (a..=b).contains(&s));
            if in_torn {
                sent.status = Status::Unanswered;
            }
            match sent.status {
                Status::Held if n == 0 => sent.status = Status::Lost,
                Status::Held => sent.status = Status::Recorded,
                _ => {}
            }
            check(who, sent, n)?;
        }
        Ok(())
    }

    /// The whole log at the end, with the disk healed and everything written.
    pub fn finished(&self, log: &[LogEntry]) -> Result<(), Violation> {
        let counts = counts(log);
        for (who, sent) in &self.sent {
            check(who, sent, counts.get(who.as_str()).copied().unwrap_or(0))?;
        }
        Ok(())
    }

    /// How many acknowledged commands a crash took while their entries were held in memory.
    pub fn lost(&self) -> usize {
        self.sent.values().filter(|s| s.status == Status::Lost).count()
    }
}

fn check(who: &str, sent: &Sent, n: usize) -> Result<(), Violation> {
    let ok = match sent.status {
        Status::Recorded | Status::Held => n == 1,
        Status::Refused | Status::Idle => n == 0,
        Status::Unanswered | Status::Lost => n <= 1,
    };
    if ok {
        return Ok(());
    }
    Err(Violation::new(
        "commands recorded",
        format!(
            "{who}: {} answered {:?} is in the log {n} times",
            sent.what, sent.status
        ),
    ))
}

/// Cues by key, anchor and repetition, and the phase prompts by text and the phase timer
/// they belong to, each with the number of the entry that recorded it; and every cue firing
/// the room was shown, whatever became of its entry.
#[derive(Default)]
pub struct Firings {
    cues: BTreeMap<(String, Millis, u32), u64>,
    prompts: BTreeMap<(String, usize, Millis, Millis, Millis), u64>,
    shown: BTreeSet<(String, Millis, u32)>,
    pub cues_fired: u64,
    pub prompts_shown: u64,
    /// Firings shown again after the crash that took their entries.
    pub shown_again: u64,
}

fn cue_of<'a>(scene: &'a Scene, key: &str) -> Option<(Option<&'a str>, &'a crate::scene::Cue)> {
    let mut parts = key.split(':');
    match (parts.next()?, parts.next()?.parse::<usize>().ok()?, parts.next()) {
        ("phase", p, Some(c)) => {
            let phase = scene.phases.get(p)?;
            Some((Some(phase.id.as_str()), phase.cues.get(c.parse::<usize>().ok()?)?))
        }
        ("scene", c, None) => Some((None, scene.cues.get(c)?)),
        _ => None,
    }
}

/// The key of the cue an entry names: the first of that phase (or of the scene's own cues)
/// with that label that the session counts as fired.
fn key_of(scene: &Scene, phase: Option<&str>, label: &str, state: &crate::timeline::State) -> Option<String> {
    let keys: Vec<String> = match phase {
        Some(id) => {
            let p = scene.phases.iter().position(|p| p.id == id)?;
            (0..scene.phases[p].cues.len())
                .filter(|&c| scene.phases[p].cues[c].label == label)
                .map(|c| format!("phase:{p}:{c}"))
                .collect()
        }
        None => (0..scene.cues.len())
            .filter(|&c| scene.cues[c].label == label)
            .map(|c| format!("scene:{c}"))
            .collect(),
    };
    keys.iter()
        .find(|k| state.fired.contains_key(*k))
        .or(keys.first())
        .cloned()
}

impl Firings {
    /// Records what a call carried out fired: a cue fired again against the same anchor and
    /// repetition, or a prompt shown again for the same phase timer, while the log still has
    /// the first, is a violation; so is a session that counts a cue as fired that the room
    /// was never shown.
    pub fn call(&mut self, scene: &Scene, call: &CoreCall) -> Result<(), Violation> {
        if !call.applied {
            return Ok(());
        }
        let before = &call.before.state().fired;
        let after = call.after.state();
        // Each `cue_fired` entry by the cue it names; a call that catches up on a long wait
        // fires a repeating cue once per repetition come due, each with its own entry.
        let mut by_key: BTreeMap<String, Vec<&LogEntry>> = BTreeMap::new();
        for entry in &call.entries {
            if let EventKind::CueFired { phase, label, .. } = &entry.event.kind {
                let Some(key) = key_of(scene, phase.as_deref(), label, after) else {
                    return Err(Violation::new(
                        "cues fire once",
                        format!("an entry names cue `{label}`, which the scene does not have"),
                    ));
                };
                by_key.entry(key).or_default().push(entry);
            }
        }
        for (key, fired) in &after.fired {
            if before.get(key) != Some(fired) && !by_key.contains_key(key) {
                return Err(Violation::new(
                    "cues fire once",
                    format!("cue {key} fired with no entry in the log"),
                ));
            }
        }
        let mut cue_prompts: Vec<&str> = Vec::new();
        for (key, entries) in &by_key {
            // A phase left in the same call has its cues forgotten: they cannot fire again.
            let Some(fired) = after.fired.get(key) else {
                continue;
            };
            let cue = cue_of(scene, key).map(|(_, c)| c);
            let label = cue.map_or(key.as_str(), |c| c.label.as_str());
            for (back, entry) in entries.iter().rev().enumerate() {
                let id = (key.clone(), fired.anchor, fired.count.saturating_sub(back as u32));
                if let Some(seq) = self.cues.get(&id) {
                    return Err(Violation::new(
                        "cues fire once",
                        format!(
                            "cue `{label}` ({key}) fired again against anchor {} (repetition {}), first recorded as entry {seq}",
                            id.1, id.2
                        ),
                    ));
                }
                self.cues.insert(id.clone(), entry.seq);
                if !self.shown.insert(id) {
                    self.shown_again += 1;
                }
                self.cues_fired += 1;
                if let Some(prompt) = cue.and_then(|c| c.prompt.as_deref()) {
                    cue_prompts.push(prompt);
                }
            }
        }
        for (key, fired) in &after.fired {
            if !self.shown.contains(&(key.clone(), fired.anchor, fired.count)) {
                let label = cue_of(scene, key).map_or(key.as_str(), |(_, c)| c.label.as_str());
                return Err(Violation::new(
                    "cues fire once",
                    format!(
                        "the session counts cue `{label}` as fired (anchor {}, repetition {}), but the room was never shown it",
                        fired.anchor, fired.count
                    ),
                ));
            }
        }
        for action in &call.actions {
            let Action::Prompt { text, .. } = action else {
                continue;
            };
            if let Some(i) = cue_prompts.iter().position(|p| p == text) {
                cue_prompts.remove(i);
                continue;
            }
            let key = (
                text.clone(),
                after.phase,
                after.phase_entered,
                after.phase_anchor,
                after.extension,
            );
            if let Some(seq) = self.prompts.get(&key) {
                return Err(Violation::new(
                    "prompts fire once",
                    format!("prompt shown again (first recorded as entry {seq}): {text}"),
                ));
            }
            let seq = call
                .entries
                .iter()
                .find(|e| matches!(&e.event.kind, EventKind::Prompt { text: t, .. } if t == text))
                .map_or(0, |e| e.seq);
            self.prompts.insert(key, seq);
            self.prompts_shown += 1;
        }
        Ok(())
    }

    /// After a crash whose log ends at `seq`: what was recorded later may fire again.
    pub fn cut(&mut self, seq: u64) {
        self.cues.retain(|_, s| *s <= seq);
        self.prompts.retain(|_, s| *s <= seq);
    }
}
