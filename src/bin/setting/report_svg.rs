//! `setting report --svg FILE`: what really happened, drawn like the plan: the phases at their
//! real starts and ends, overrides as shaded spans, marks, skips and prompts as ticks, the
//! levels the lights and the music were really sent to, and the tracks played.

use std::collections::BTreeMap;

use setting::report::{MusicRecord, Report, vitals_line};
use setting::timeline::OverrideKind;

use crate::arc_chart::{Arc, Band, Marker, Panel, Shade, Tick, Tone};
use crate::level_lines::{SILENT_DB, hold_to, level_panels, ramp};
use crate::plan_svg::is_system_hint;

pub fn arc(report: &Report) -> Arc {
    let end = report.length;
    let mut ticks: Vec<Tick> = report
        .marks
        .iter()
        .map(|m| Tick {
            at: m.at.at,
            label: format!("mark {}", m.mark),
            marker: Marker::Mark,
        })
        .chain(
            report
                .prompts
                .iter()
                // A numbered prompt is clinical by the queue's own flag; the text decides only
                // for unnumbered ones (a hint, or any prompt of a log from before the queue).
                .filter(|p| p.number.is_some() || !is_system_hint(&p.text))
                .map(|p| Tick {
                    at: p.at.at,
                    label: format!("prompt: {}", p.text),
                    marker: Marker::Prompt,
                }),
        )
        .chain(report.skipped_tracks().map(|t| Tick {
            at: t.at.at + t.played,
            label: format!("skip {}", file_name(&t.path)),
            marker: Marker::Skip,
        }))
        .collect();
    ticks.extend(entered(report));
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
            marker: Marker::Note,
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
        panels: sent_levels(report, tracks),
    }
}

/// Each reading and note the therapist entered, as markers among the other events: a reading
/// past a threshold gets the alert marker, and the key tells what stood out.
fn entered(report: &Report) -> Vec<Tick> {
    let readings = report.vitals.iter().map(|v| Tick {
        at: v.at.at,
        label: format!("vitals {}", vitals_line(v)),
        marker: if v.flags.is_empty() {
            Marker::Vitals
        } else {
            Marker::VitalsAlert
        },
    });
    let notes = report.notes.iter().map(|n| Tick {
        at: n.at.at,
        label: format!("note: {}", n.text),
        marker: Marker::Note,
    });
    readings.chain(notes).collect()
}

/// Brightness and colour temperature per zone and the music level, as sent; a log from before
/// levels were recorded has none, and then one panel carries the tracks alone.
fn sent_levels(report: &Report, tracks: Vec<Tick>) -> Vec<Panel> {
    let end = report.length;
    if report.looks.is_empty() && report.music.is_empty() {
        return vec![Panel {
            y_desc: "tracks (this log has no levels)".into(),
            y_range: (0.0, 1.0),
            series: Vec::new(),
            notes: tracks,
        }];
    }
    let mut brightness: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    let mut kelvin: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for look in &report.looks {
        let b = brightness.entry(look.zone.clone()).or_default();
        ramp(b, look.at, look.fade, f64::from(look.brightness));
        let k = kelvin.entry(look.zone.clone()).or_default();
        ramp(k, look.at, look.fade, f64::from(look.kelvin));
    }
    let mut music = Vec::new();
    for m in &report.music {
        ramp(&mut music, m.at, m.fade, heard_db(m));
    }
    for line in brightness.values_mut().chain(kelvin.values_mut()) {
        hold_to(line, end);
    }
    hold_to(&mut music, end);
    level_panels(brightness, kelvin, music, tracks)
}

/// The level heard: the floor when muted, paused or silent.
fn heard_db(m: &MusicRecord) -> f64 {
    if m.playlist.is_none() || m.muted || m.paused {
        SILENT_DB
    } else {
        f64::from(m.level_db).max(SILENT_DB)
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use setting::protocol::LogEntry;
    use setting::time::Millis;
    use setting::timeline::{Event, EventKind, Source};
    use setting::vitals::{Reading, Thresholds};

    use super::*;

    fn entry(secs: u64, kind: EventKind) -> LogEntry {
        LogEntry {
            seq: 0,
            wall: "2026-11-26T10:00:00.000Z".into(),
            session: "s1".into(),
            event: Event {
                at: Millis::from_secs(secs),
                timeline: Millis::from_secs(secs),
                kind,
            },
        }
    }

    #[test]
    fn readings_and_notes_are_markers_in_time_order_and_one_past_a_threshold_stands_out() {
        let high = Reading {
            systolic: Some(172),
            diastolic: Some(90),
            pulse: Some(80),
            ..Reading::default()
        };
        let pulse = Reading {
            pulse: Some(64),
            ..Reading::default()
        };
        let log = [
            entry(
                0,
                EventKind::SessionStarted {
                    scene: "sublingual".into(),
                    session: "s1".into(),
                },
            ),
            entry(
                2400,
                EventKind::Vitals {
                    flags: Thresholds::default().flags(&high),
                    reading: high,
                    source: Source::daemon(),
                    answers: None,
                },
            ),
            entry(
                600,
                EventKind::Note {
                    text: "client asked for water".into(),
                    source: Source::daemon(),
                },
            ),
            entry(
                900,
                EventKind::Vitals {
                    flags: Vec::new(),
                    reading: pulse,
                    source: Source::daemon(),
                    answers: None,
                },
            ),
        ];
        let ticks = arc(&Report::from_entries(&log)).ticks;
        let shown: Vec<(u64, Marker)> = ticks.iter().map(|t| (t.at.0 / 1000, t.marker)).collect();
        assert_eq!(
            shown,
            [
                (600, Marker::Note),
                (900, Marker::Vitals),
                (2400, Marker::VitalsAlert)
            ]
        );
        assert_eq!(ticks[0].label, "note: client asked for water");
        assert!(
            ticks[2].label.contains("HIGH systolic 172 mmHg (above 160)"),
            "{}",
            ticks[2].label
        );
    }
}
