//! The report as the therapist reads it in a terminal: a summary, the phases as a table,
//! then the session's timeline, the overrides, the tracks and anything that went wrong.

use std::fmt::Write;

use crate::local_time::human_duration;
use crate::time::Millis;

use super::describe::{describe_event, describe_source};
use super::model::{Report, VitalsRecord};

pub fn render_text(report: &Report) -> String {
    let mut out = String::new();
    summary(report, &mut out);
    phases(report, &mut out);
    marks(report, &mut out);
    prompts(report, &mut out);
    vitals(report, &mut out);
    notes(report, &mut out);
    overrides(report, &mut out);
    timeline(report, &mut out);
    tracks(report, &mut out);
    problems(report, &mut out);
    out
}

// `write!` into a String cannot fail; the results below are ignored for that reason.

fn summary(report: &Report, out: &mut String) {
    let _ = writeln!(out, "session {}   scene {}", report.session, report.scene);
    if let Some(zone) = &report.timezone {
        let _ = writeln!(out, "times in {zone}");
    }
    if let Some(started) = &report.started {
        let _ = writeln!(out, "started {}", started.clock());
    }
    match (&report.ended, &report.end_reason) {
        (Some(ended), Some(reason)) => {
            let _ = writeln!(
                out,
                "ended   {} after {}: {reason}",
                ended.clock(),
                human_duration(report.length)
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "not ended: the log runs to {} of session time",
                report.length
            );
        }
    }
}

fn phases(report: &Report, out: &mut String) {
    if report.phases.is_empty() {
        return;
    }
    let width = report
        .phases
        .iter()
        .map(|p| p.title.chars().count())
        .max()
        .unwrap_or(0)
        .max(5);
    let _ = writeln!(out, "\nphases");
    let _ = writeln!(
        out,
        "  {:>2}  {:<width$}  {:>8}  {:>8}  {:>14}  {:>14}  left",
        "#", "phase", "start", "end", "length", "paused"
    );
    for p in &report.phases {
        let end = p
            .end
            .as_ref()
            .map_or_else(|| "-".to_string(), |e| e.at.to_string());
        let still = if p.stood_still == Millis::ZERO {
            String::new()
        } else {
            human_duration(p.stood_still)
        };
        let left = match (&p.left_because, &p.left_by) {
            (Some(reason), Some(by)) => format!("{reason} ({})", describe_source(by)),
            _ => "still running".to_string(),
        };
        let _ = writeln!(
            out,
            "  {:>2}  {:<width$}  {:>8}  {:>8}  {:>14}  {:>14}  {left}",
            p.index + 1,
            p.title,
            p.start.at.to_string(),
            end,
            human_duration(p.duration),
            still,
        );
    }
}

fn marks(report: &Report, out: &mut String) {
    if report.marks.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nmarks");
    for m in &report.marks {
        let _ = writeln!(
            out,
            "  {:<8}  {:>8}  (timeline {}, {}, {})",
            m.mark.name(),
            m.at.at.to_string(),
            m.at.timeline,
            describe_source(&m.source),
            m.at.clock()
        );
    }
}

/// `BP 172/104 mmHg, pulse 88 bpm  HIGH systolic 172 mmHg (above 160)  "after standing up"`:
/// the reading, what stood out, and the remark.
pub fn vitals_line(v: &VitalsRecord) -> String {
    let mut line = v.reading.summary();
    for flag in &v.flags {
        let _ = write!(line, "  {flag}");
    }
    if let Some(text) = &v.reading.text {
        let _ = write!(line, "  \"{text}\"");
    }
    line
}

fn vitals(report: &Report, out: &mut String) {
    if report.vitals.is_empty() {
        return;
    }
    let flagged = report.vitals.iter().filter(|v| !v.flags.is_empty()).count();
    let _ = writeln!(
        out,
        "\nvitals ({} readings, {flagged} past the clinic's thresholds; session time, time, by)",
        report.vitals.len()
    );
    for v in &report.vitals {
        let _ = writeln!(
            out,
            "  {:>8}  {}  {}  ({})",
            v.at.at.to_string(),
            v.at.clock(),
            vitals_line(v),
            describe_source(&v.source)
        );
    }
}

fn notes(report: &Report, out: &mut String) {
    if report.notes.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nnotes (session time, time, by)");
    for n in &report.notes {
        let _ = writeln!(
            out,
            "  {:>8}  {}  {}  ({})",
            n.at.at.to_string(),
            n.at.clock(),
            n.text,
            describe_source(&n.source)
        );
    }
}

/// Each clinical prompt with who acknowledged it and when (or that nobody did), and the
/// phases a mark jumped over.
fn prompts(report: &Report, out: &mut String) {
    let clinical: Vec<_> = report.prompts.iter().filter(|p| p.number.is_some()).collect();
    if clinical.is_empty() && report.skipped_phases.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nprompts");
    for p in clinical {
        let acked = match &p.acknowledged {
            Some(a) => format!("acknowledged at {} by {} after {}", a.at.at, a.by(), a.waited),
            None => "NOT ACKNOWLEDGED".into(),
        };
        let mut notes = Vec::new();
        if let Some(phase) = &p.skipped_phase {
            notes.push(format!("from skipped phase {phase}"));
        }
        if p.reminders > 0 {
            notes.push(format!("reminded {}x", p.reminders));
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join(", "))
        };
        let _ = writeln!(
            out,
            "  #{:<3} {:>8}  {}{notes}\n        {acked}",
            p.number.unwrap_or_default(),
            p.at.at.to_string(),
            p.text
        );
    }
    for s in &report.skipped_phases {
        let _ = writeln!(
            out,
            "  phase {} {} skipped at {}: {} ({})",
            s.index + 1,
            s.title,
            s.at.at,
            s.reason,
            describe_source(&s.source)
        );
    }
}

fn overrides(report: &Report, out: &mut String) {
    if report.overrides.is_empty() {
        return;
    }
    let _ = writeln!(out, "\noverrides");
    for o in &report.overrides {
        let (end, ended_by) = match (&o.end, &o.ended_by) {
            (Some(end), Some(by)) => (end.at.to_string(), format!(", ended by {}", describe_source(by))),
            _ => ("-".to_string(), ", still active".to_string()),
        };
        let _ = writeln!(
            out,
            "  {:<9}  {:<12}  {:>8} to {:>8}  ({})  started by {}{ended_by}",
            o.kind.name(),
            o.target.to_string(),
            o.start.at.to_string(),
            end,
            human_duration(o.duration),
            describe_source(&o.started_by),
        );
    }
}

fn timeline(report: &Report, out: &mut String) {
    if report.timeline.is_empty() {
        return;
    }
    let _ = writeln!(out, "\ntimeline (session time, timeline time)");
    for item in &report.timeline {
        let _ = writeln!(
            out,
            "  {:>8}  {:>8}  {}",
            item.at.at.to_string(),
            item.at.timeline.to_string(),
            describe_event(&item.event)
        );
    }
}

fn tracks(report: &Report, out: &mut String) {
    if report.tracks.is_empty() {
        return;
    }
    let skipped = report.skipped_tracks().count();
    let _ = writeln!(
        out,
        "\ntracks ({} played, {skipped} skipped)",
        report.tracks.len()
    );
    for t in &report.tracks {
        let flag = match &t.skipped_by {
            Some(by) => format!("  SKIPPED by {}", describe_source(by)),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "  {:>8}  {:>8}  {} [{}]{flag}",
            t.at.at.to_string(),
            t.played.to_string(),
            t.path,
            t.playlist
        );
    }
}

fn problems(report: &Report, out: &mut String) {
    if !report.resumes.is_empty() {
        let _ = writeln!(out, "\ndaemon restarts");
        for r in &report.resumes {
            let _ = writeln!(
                out,
                "  {:>8}  down for {}",
                r.at.at.to_string(),
                human_duration(r.downtime)
            );
        }
    }
    if !report.errors.is_empty() {
        let _ = writeln!(out, "\nerrors");
        for e in &report.errors {
            let _ = writeln!(out, "  {:>8}  {}", e.at.at.to_string(), e.message);
        }
    }
    if report.foreign_entries > 0 {
        let _ = writeln!(
            out,
            "\n{} entries of other sessions were left out",
            report.foreign_entries
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::LogEntry;
    use crate::timeline::{Event, EventKind, OverrideKind, Source, Target};

    fn entry(secs: u64, kind: EventKind) -> LogEntry {
        LogEntry {
            seq: 0,
            wall: "2025-01-01T09:00:00.000Z".into(),
            session: "s1".into(),
            event: Event {
                at: Millis::from_secs(secs),
                timeline: Millis::from_secs(secs),
                kind,
            },
        }
    }

    #[test]
    fn the_text_names_phases_overrides_skips_and_the_end() {
        let cli = Source {
            via: crate::timeline::Via::Cli,
            who: None,
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
                0,
                EventKind::PhaseEntered {
                    index: 0,
                    id: "arrival".into(),
                    title: "Arrival, settling".into(),
                    reason: "session start".into(),
                    source: cli.clone(),
                },
            ),
            entry(
                60,
                EventKind::Track {
                    playlist: "arrival".into(),
                    path: "rain.flac".into(),
                },
            ),
            entry(
                90,
                EventKind::TrackSkipped {
                    playlist: None,
                    path: None,
                    grounding: false,
                    source: cli.clone(),
                },
            ),
            entry(
                100,
                EventKind::OverrideStarted {
                    kind: OverrideKind::Check,
                    target: Target::Room,
                    source: cli.clone(),
                },
            ),
            entry(
                900,
                EventKind::SessionEnded {
                    reason: "stopped by the therapist".into(),
                    source: cli,
                },
            ),
        ];
        let text = render_text(&Report::from_entries(&log));
        assert!(text.contains("scene sublingual"), "{text}");
        assert!(text.contains("Arrival, settling"), "{text}");
        assert!(text.contains("stopped by the therapist (cli)"), "{text}");
        assert!(text.contains("rain.flac [arrival]  SKIPPED by cli"), "{text}");
        assert!(text.contains("check      room"), "{text}");
        assert!(
            text.contains("ended   2025-01-01T09:00:00.000Z after 15 min"),
            "{text}"
        );
    }

    #[test]
    fn vitals_and_notes_are_listed_in_local_time_and_what_stood_out_is_marked() {
        let ana = Source {
            via: crate::timeline::Via::Socket,
            who: Some("ana".into()),
        };
        let at = |secs: u64, wall: &str, kind: EventKind| LogEntry {
            wall: wall.into(),
            ..entry(secs, kind)
        };
        let reading = |systolic, pulse| crate::vitals::Reading {
            systolic: Some(systolic),
            diastolic: Some(82),
            pulse: Some(pulse),
            spo2: None,
            text: None,
        };
        let thresholds = crate::vitals::Thresholds::default();
        let high = reading(172, 72);
        let log = [
            at(
                0,
                "2026-11-26T10:00:00.000Z",
                EventKind::SessionStarted {
                    scene: "sublingual".into(),
                    session: "s1".into(),
                },
            ),
            at(
                417,
                "2026-11-26T10:06:57.180Z",
                EventKind::Vitals {
                    reading: reading(128, 72),
                    flags: Vec::new(),
                    source: ana.clone(),
                    answers: None,
                },
            ),
            at(
                2400,
                "2026-11-26T10:40:00.000Z",
                EventKind::Vitals {
                    flags: thresholds.flags(&high),
                    reading: high,
                    source: ana.clone(),
                    answers: None,
                },
            ),
            at(
                2500,
                "2026-11-26T10:41:40.000Z",
                EventKind::Note {
                    text: "client asked for water".into(),
                    source: ana,
                },
            ),
        ];
        let berlin = crate::local_time::ClinicZone::named("Europe/Berlin").unwrap();
        let report = Report::from_entries_in(&log, Some(&berlin));
        assert_eq!(report.vitals.len(), 2);
        assert_eq!(report.notes.len(), 1);
        let text = render_text(&report);
        assert!(text.contains("times in Europe/Berlin"), "{text}");
        assert!(text.contains("started 2026-11-26 11:00:00 CET"), "{text}");
        assert!(
            text.contains("vitals (2 readings, 1 past the clinic's thresholds"),
            "{text}"
        );
        assert!(
            text.contains("6:57  2026-11-26 11:06:57 CET  BP 128/82 mmHg, pulse 72 bpm  (socket (ana))"),
            "{text}"
        );
        assert!(
            text.contains("BP 172/82 mmHg, pulse 72 bpm  HIGH systolic 172 mmHg (above 160)  (socket (ana))"),
            "{text}"
        );
        assert!(
            text.contains("41:40  2026-11-26 11:41:40 CET  client asked for water  (socket (ana))"),
            "{text}"
        );
        // The story tells them too, where they happened.
        assert!(
            text.contains(
                "vitals BP 172/82 mmHg, pulse 72 bpm [HIGH systolic 172 mmHg (above 160)] (socket (ana))"
            ),
            "{text}"
        );
        // Built with no zone, the times stay as logged.
        let plain = render_text(&Report::from_entries(&log));
        assert!(plain.contains("started 2026-11-26T10:00:00.000Z"), "{plain}");
        assert!(!plain.contains("times in"), "{plain}");
    }
}
