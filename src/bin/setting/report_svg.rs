//! `setting report --svg FILE`: what really happened, drawn like the plan: the phases at their
//! real starts and ends, overrides as shaded spans, marks, skips and prompts as ticks, and the
//! tracks played.

use setting::report::Report;
use setting::timeline::OverrideKind;

use crate::arc_chart::{Arc, Band, Panel, Shade, Tick, Tone};

pub fn arc(report: &Report) -> Arc {
    let end = report.length;
    let mut ticks: Vec<Tick> = report
        .marks
        .iter()
        .map(|m| Tick {
            at: m.at.at,
            label: format!("mark {}", m.mark),
        })
        .chain(report.prompts.iter().map(|p| Tick {
            at: p.at.at,
            label: format!("prompt: {}", p.text),
        }))
        .chain(report.skipped_tracks().map(|t| Tick {
            at: t.at.at + t.played,
            label: format!("skip {}", file_name(&t.path)),
        }))
        .collect();
    ticks.sort_by_key(|t| t.at);
    let shades = report
        .overrides
        .iter()
        .map(|o| Shade {
            start: o.start.at,
            end: o.end.as_ref().map_or(end, |e| e.at),
            tone: match o.kind {
                OverrideKind::Emergency => Tone::Emergency,
                OverrideKind::Check => Tone::Check,
                OverrideKind::Pause => Tone::Pause,
            },
            label: o.kind.name().into(),
        })
        .collect();
    let tracks = report
        .tracks
        .iter()
        .map(|t| Tick {
            at: t.at.at,
            label: format!("{}: {}", t.playlist, file_name(&t.path)),
        })
        .collect();
    Arc {
        title: format!(
            "session {} ({}): what happened, {}",
            report.session, report.scene, end
        ),
        total: end,
        phases: report
            .phases
            .iter()
            .map(|p| Band {
                start: p.start.at,
                end: p.end.as_ref().map_or(end, |e| e.at),
                label: p.title.clone(),
            })
            .collect(),
        shades,
        ticks,
        // The log records what happened, not the levels, so the one panel carries the
        // tracks; the plan's picture has the levels.
        panels: vec![Panel {
            y_desc: "events and tracks".into(),
            y_range: (0.0, 1.0),
            series: Vec::new(),
            notes: tracks,
        }],
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}
