//! A sublingual scene and a group scene built in code, and helpers to drive a session.

use std::collections::BTreeMap;

use crate::scene::{
    Anchor, Cue, CueTime, LightCue, LightSpec, Look, Mark, MusicSpec, Phase, PhaseEnd, Ramp, Scene, SceneKind,
};
use crate::time::Millis;
use crate::timeline::{Action, Command, EventKind, MusicTarget, Policy, Request, Source, Target, Timeline};

pub fn m(minutes: u64) -> Millis {
    Millis::from_mins(minutes)
}

pub fn look(brightness: f32, kelvin: u16) -> Look {
    Look { brightness, kelvin }
}

fn light(zone: &str, b: f32, k: u16, fade_s: u64) -> BTreeMap<String, LightSpec> {
    BTreeMap::from([(
        zone.to_string(),
        LightSpec {
            look: look(b, k),
            fade: Millis::from_secs(fade_s),
            ramp: None,
        },
    )])
}

fn playlist(name: &str, level_db: f32) -> Option<MusicSpec> {
    Some(MusicSpec::Playlist {
        name: name.into(),
        level_db,
        crossfade: Millis::from_secs(10),
    })
}

fn phase(id: &str, planned: u64, max: Option<u64>, ends: PhaseEnd) -> Phase {
    Phase {
        id: id.into(),
        title: id.to_uppercase(),
        planned: m(planned),
        min: None,
        max: max.map(m),
        ends,
        sets_mark: None,
        music: None,
        light: BTreeMap::new(),
        cues: Vec::new(),
    }
}

pub fn prompt_cue(label: &str, anchor: Anchor, offset: Millis) -> Cue {
    Cue {
        label: label.into(),
        at: CueTime { anchor, offset },
        repeat: None,
        prompt: Some(label.into()),
        asks: None,
        music: None,
        light: BTreeMap::new(),
    }
}

/// The sublingual arc of the reference scenes, in code so the core is tested on its own.
pub fn sublingual() -> Scene {
    use PhaseEnd::*;
    let mut arrival = phase("arrival", 15, Some(20), Therapist);
    arrival.light = light("room", 50.0, 2700, 45);
    arrival.music = playlist("arrival", -24.0);
    let mut intention = phase("intention", 10, None, Therapist);
    intention.light = light("room", 50.0, 3000, 45);
    intention.music = Some(MusicSpec::Silence {
        fade: Millis::from_secs(10),
    });
    let mut dosing = phase("dosing", 10, Some(15), Therapist);
    dosing.sets_mark = Some(Mark::Dose);
    dosing.light = light("room", 25.0, 2400, 60);
    dosing.music = playlist("dosing", -20.0);
    dosing
        .cues
        .push(prompt_cue("spit out the lozenge", Anchor::Mark(Mark::Dose), m(7)));
    let mut onset = phase("onset", 10, Some(15), Prompt);
    onset.light = light("room", 10.0, 2200, 60);
    onset.music = playlist("onset", -16.0);
    let mut peak = phase("peak", 40, Some(50), Timer);
    peak.light = light("room", 3.0, 2200, 60);
    peak.music = playlist("peak", -12.0);
    let mut ret = phase("return", 25, Some(30), Therapist);
    ret.light = BTreeMap::from([(
        "room".to_string(),
        LightSpec {
            look: look(5.0, 2400),
            fade: Millis::from_secs(60),
            ramp: Some(Ramp {
                to: look(25.0, 2700),
                start: m(5),
                over: m(15),
            }),
        },
    )]);
    ret.music = playlist("return", -16.0);
    ret.cues.push(Cue {
        label: "music lower".into(),
        at: CueTime {
            anchor: Anchor::Phase,
            offset: m(20),
        },
        repeat: None,
        prompt: None,
        asks: None,
        music: Some(crate::scene::MusicCue {
            level_db: Some(-22.0),
            silence: false,
            playlist: None,
            ramp: Millis::from_secs(30),
        }),
        light: BTreeMap::new(),
    });
    let mut integration = phase("integration", 45, None, Therapist);
    integration.light = light("room", 50.0, 2800, 60);
    integration.music = Some(MusicSpec::Silence {
        fade: Millis::from_secs(20),
    });
    let mut discharge = phase("discharge", 15, None, Therapist);
    discharge.light = light("room", 90.0, 3500, 60);
    Scene {
        name: "sublingual".into(),
        title: "Sublingual".into(),
        description: String::new(),
        kind: SceneKind::Individual,
        phases: vec![
            arrival,
            intention,
            dosing,
            onset,
            peak,
            ret,
            integration,
            discharge,
        ],
        cues: vec![
            prompt_cue("blood-pressure check", Anchor::Mark(Mark::Dose), m(40)),
            prompt_cue("return: time to come back?", Anchor::Mark(Mark::Dose), m(75)),
        ],
        closing_phase: 6,
        grounding_track: None,
    }
}

/// A group arc: one room zone and a mat per client; a light cue on the room mid-phase.
pub fn group() -> Scene {
    let mut s = sublingual();
    s.name = "group".into();
    s.kind = SceneKind::Group;
    for p in &mut s.phases {
        let room = p.light.get("room").cloned();
        if let Some(room) = room {
            for mat in ["mat-1", "mat-2"] {
                p.light.insert(mat.into(), room.clone());
            }
        }
    }
    s.phases[4].cues.push(Cue {
        label: "deepen".into(),
        at: CueTime {
            anchor: Anchor::Phase,
            offset: m(10),
        },
        repeat: None,
        prompt: None,
        asks: None,
        music: None,
        light: BTreeMap::from([(
            "room".into(),
            LightCue {
                look: look(1.0, 2200),
                fade: Millis::from_secs(60),
            },
        )]),
    });
    s
}

pub fn policy(zones: &[&str]) -> Policy {
    Policy {
        zones: zones.iter().map(|z| z.to_string()).collect(),
        ..Policy::default()
    }
}

pub fn therapist() -> Source {
    Source {
        via: crate::timeline::Via::Socket,
        who: Some("therapist".into()),
    }
}

/// A session with everything it emitted, each action with the session time it came at.
pub struct Run {
    pub tl: Timeline,
    pub log: Vec<(Millis, Action)>,
}

impl Run {
    pub fn start(scene: Scene, policy: Policy) -> Run {
        let (tl, actions) = Timeline::start(scene, policy, "test-session".into(), therapist());
        let mut run = Run { tl, log: Vec::new() };
        run.record(Millis::ZERO, actions);
        run
    }

    fn record(&mut self, at: Millis, actions: Vec<Action>) -> Vec<Action> {
        let mut cursor = at;
        for a in &actions {
            if let Action::Log(e) = a {
                cursor = e.at;
            }
            self.log.push((cursor, a.clone()));
        }
        actions
    }

    /// Ticks at every deadline up to and including `until`, as the engine would.
    pub fn run_until(&mut self, until: Millis) -> Vec<Action> {
        let mut all = Vec::new();
        while let Some(d) = self.tl.next_deadline().filter(|d| *d <= until) {
            let actions = self.tl.tick(d);
            all.extend(self.record(d, actions));
        }
        let actions = self.tl.tick(until);
        all.extend(self.record(until, actions));
        all
    }

    pub fn cmd(&mut self, at: Millis, command: Command) -> Vec<Action> {
        self.cmd_to(at, command, Target::Room)
    }

    pub fn cmd_to(&mut self, at: Millis, command: Command, target: Target) -> Vec<Action> {
        let mut all = self.run_until(at);
        let actions = self
            .tl
            .command(
                at,
                Request {
                    command: command.clone(),
                    target,
                    source: therapist(),
                },
            )
            .unwrap_or_else(|e| panic!("{command:?} at {at} refused: {e}"));
        all.extend(self.record(at, actions));
        all
    }

    pub fn phase(&self) -> String {
        self.tl.status(self.tl.now()).phase.id
    }
}

pub fn lights(actions: &[Action]) -> Vec<(String, Look, Millis)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Light { zone, look, fade, .. } => Some((zone.clone(), *look, *fade)),
            _ => None,
        })
        .collect()
}

pub fn music(actions: &[Action]) -> Vec<MusicTarget> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Music(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

pub fn prompts(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Prompt { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

pub fn events(actions: &[Action]) -> Vec<EventKind> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Log(e) => Some(e.kind.clone()),
            _ => None,
        })
        .collect()
}

pub fn entered(actions: &[Action]) -> Vec<String> {
    events(actions)
        .into_iter()
        .filter_map(|e| match e {
            EventKind::PhaseEntered { id, .. } => Some(id),
            _ => None,
        })
        .collect()
}
