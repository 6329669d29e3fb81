//! `setting plan SCENE --svg FILE`: the planned session as a picture for clinic staff, with
//! brightness and colour temperature per zone, the music level and the marks and prompts.

use std::collections::BTreeMap;

use setting::scene::Scene;
use setting::time::Millis;
use setting::timeline::plan::Plan;
use setting::timeline::{Action, MusicTarget};

use crate::arc_chart::{Arc, Band, Marker, Shade, Tick, Tone};
use crate::level_lines::{SILENT_DB, hold_to, level_panels, ramp};

pub fn arc(scene: &Scene, plan: &Plan) -> Arc {
    let mut brightness: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    let mut kelvin: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    let mut music: Vec<(f64, f64)> = Vec::new();
    let mut notes = Vec::new();
    let mut shades = Vec::new();
    let mut ticks: Vec<Tick> = plan
        .marks
        .iter()
        .map(|(mark, at)| Tick {
            at: *at,
            label: format!("mark {mark}"),
            marker: Marker::Mark,
        })
        .collect();
    let mut playlist: Option<String> = None;
    let mut silent_since: Option<Millis> = Some(Millis::ZERO);
    for planned in &plan.actions {
        let at = planned.at;
        match &planned.action {
            Action::Light { zone, look, fade, .. } => {
                ramp(
                    brightness.entry(zone.clone()).or_default(),
                    at,
                    *fade,
                    f64::from(look.brightness),
                );
                ramp(
                    kelvin.entry(zone.clone()).or_default(),
                    at,
                    *fade,
                    f64::from(look.kelvin),
                );
            }
            Action::Music(target) => {
                ramp(&mut music, at, target.fade, level(target));
                let silent = audible(target).is_none();
                match (silent, silent_since) {
                    (true, None) => silent_since = Some(at),
                    (false, Some(since)) => {
                        shades.push(silence(since, at));
                        silent_since = None;
                    }
                    _ => {}
                }
                if let Some(name) = audible(target)
                    && playlist.as_deref() != Some(name)
                {
                    notes.push(Tick {
                        at,
                        label: format!("{name} {:.0} dB", target.level_db),
                        marker: Marker::Note,
                    });
                    playlist = Some(name.to_owned());
                }
                if silent {
                    playlist = None;
                }
            }
            Action::Skip { to, .. } => ticks.push(Tick {
                at,
                label: match to {
                    Some(to) => format!("skip to {to}"),
                    None => "skip".into(),
                },
                marker: Marker::Skip,
            }),
            Action::Prompt { text } if !is_system_hint(text) => ticks.push(Tick {
                at,
                label: format!("prompt: {text}"),
                marker: Marker::Prompt,
            }),
            Action::Prompt { .. } => {}
            Action::Finished | Action::Log(_) | Action::Persist => {}
        }
    }
    if let Some(since) = silent_since {
        shades.push(silence(since, plan.total));
    }
    ticks.sort_by_key(|t| t.at);
    let end = plan.total;
    for series in brightness.values_mut().chain(kelvin.values_mut()) {
        hold_to(series, end);
    }
    hold_to(&mut music, end);
    Arc {
        title: format!(
            "{} ({}): the planned session, {}",
            plan.scene, scene.title, plan.total
        ),
        total: end,
        phases: plan
            .phases
            .iter()
            .map(|p| Band {
                start: p.start,
                end: p.end,
                label: p.title.clone(),
            })
            .collect(),
        shades,
        ticks,
        panels: level_panels(brightness, kelvin, music, notes),
    }
}

/// The daemon's own hints to the therapist ("the planned time has passed; `setting next` moves
/// on") name commands; clinic staff reading the picture want the scene's prompts only.
pub fn is_system_hint(text: &str) -> bool {
    text.contains("`setting ")
}

fn audible(target: &MusicTarget) -> Option<&str> {
    target
        .playlist
        .as_deref()
        .filter(|_| !target.muted && !target.paused)
}

fn level(target: &MusicTarget) -> f64 {
    match audible(target) {
        Some(_) => f64::from(target.level_db).max(SILENT_DB),
        None => SILENT_DB,
    }
}

fn silence(start: Millis, end: Millis) -> Shade {
    Shade {
        start,
        end,
        tone: Tone::Silence,
        label: String::new(),
    }
}
