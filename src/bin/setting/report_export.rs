//! `setting report --markdown` and `--csv`: the session for clinical notes, as Markdown to
//! paste into a record, or one CSV row per event for a spreadsheet.

use std::fmt::Write;

use setting::local_time::{ClinicZone, human_duration};
use setting::protocol::LogEntry;
use setting::report::{Report, describe_event, describe_source, vitals_line};
use setting::time::Millis;
use setting::timeline::plan::Plan;
use setting::timeline::{EventKind, Target};

// `write!` into a String cannot fail; the results below are ignored for that reason.

/// `planned`, when the scene could be loaded here, gives each phase its planned length.
pub fn markdown(report: &Report, planned: Option<&Plan>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Session {} ({})\n",
        cell(&report.session),
        cell(&report.scene)
    );
    if let Some(zone) = &report.timezone {
        let _ = writeln!(out, "- times in: {zone}");
    }
    if let Some(started) = &report.started {
        let _ = writeln!(out, "- started: {}", started.clock());
    }
    match (&report.ended, &report.end_reason) {
        (Some(ended), Some(reason)) => {
            let _ = writeln!(out, "- ended: {} ({reason})", ended.clock());
        }
        _ => {
            let _ = writeln!(out, "- not ended: the log runs to {}", report.length);
        }
    }
    let _ = writeln!(out, "- length: {}", human_duration(report.length));
    let _ = writeln!(out, "\n## Phases\n");
    let _ = writeln!(
        out,
        "| # | phase | planned | actual | start | end | stood still | left because |"
    );
    let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- | --- | --- |");
    for p in &report.phases {
        let plan_length = planned
            .and_then(|plan| plan.phases.iter().find(|q| q.id == p.id))
            .map_or("-".to_string(), |q| human_duration(q.end - q.start));
        let _ = writeln!(
            out,
            "| {} | {} | {plan_length} | {} | {} | {} | {} | {} |",
            p.index + 1,
            cell(&p.title),
            human_duration(p.duration),
            p.start.at,
            p.end
                .as_ref()
                .map_or("(running)".to_string(), |e| e.at.to_string()),
            human_duration(p.stood_still),
            cell(p.left_because.as_deref().unwrap_or("-"))
        );
    }
    let _ = writeln!(out, "\n## Overrides\n");
    if report.overrides.is_empty() {
        let _ = writeln!(out, "none");
    } else {
        let _ = writeln!(out, "| override | where | start | end | length | by |");
        let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- |");
        for o in &report.overrides {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                o.kind.name(),
                cell(&target(&o.target)),
                o.start.at,
                o.end
                    .as_ref()
                    .map_or("(active)".to_string(), |e| e.at.to_string()),
                human_duration(o.duration),
                cell(&describe_source(&o.started_by))
            );
        }
    }
    let _ = writeln!(out, "\n## Marks\n");
    if report.marks.is_empty() {
        let _ = writeln!(out, "none");
    }
    for m in &report.marks {
        let _ = writeln!(
            out,
            "- {} at {} ({})",
            m.mark,
            m.at.at,
            describe_source(&m.source)
        );
    }
    prompts_markdown(report, &mut out);
    let _ = writeln!(out, "\n## Vital signs\n");
    if report.vitals.is_empty() {
        let _ = writeln!(out, "none recorded");
    } else {
        let _ = writeln!(out, "| session time | time | reading | by |");
        let _ = writeln!(out, "| --- | --- | --- | --- |");
        for v in &report.vitals {
            // What stood out in bold, so it is seen in the rendered record too.
            let line = if v.flags.is_empty() {
                cell(&vitals_line(v))
            } else {
                format!("**{}**", cell(&vitals_line(v)))
            };
            let _ = writeln!(
                out,
                "| {} | {} | {line} | {} |",
                v.at.at,
                v.at.clock(),
                cell(&describe_source(&v.source))
            );
        }
    }
    let _ = writeln!(out, "\n## Notes\n");
    if report.notes.is_empty() {
        let _ = writeln!(out, "none");
    }
    for n in &report.notes {
        let _ = writeln!(
            out,
            "- {} ({}, {}): {}",
            n.at.at,
            n.at.clock(),
            describe_source(&n.source),
            n.text.replace('\n', " ")
        );
    }
    let _ = writeln!(out, "\n## Tracks\n");
    if report.tracks.is_empty() {
        let _ = writeln!(out, "none");
    } else {
        let _ = writeln!(out, "| at | playlist | track | played | skipped |");
        let _ = writeln!(out, "| --- | --- | --- | --- | --- |");
        for t in &report.tracks {
            let skipped = t
                .skipped_by
                .as_ref()
                .map_or(String::new(), |s| format!("by {}", describe_source(s)));
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                t.at.at,
                cell(&t.playlist),
                cell(&t.path),
                human_duration(t.played),
                cell(&skipped)
            );
        }
    }
    out
}

/// The clinical prompts with who acknowledged each and when, and the phases a mark skipped.
fn prompts_markdown(report: &Report, out: &mut String) {
    let _ = writeln!(out, "\n## Prompts\n");
    let clinical: Vec<_> = report.prompts.iter().filter(|p| p.number.is_some()).collect();
    if clinical.is_empty() {
        let _ = writeln!(out, "none");
    } else {
        let _ = writeln!(
            out,
            "| # | prompt | raised | acknowledged | by | waited | reminders |"
        );
        let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- | --- |");
        for p in clinical {
            let (at, by, waited) = match &p.acknowledged {
                Some(a) => (a.at.at.to_string(), a.by(), a.waited.to_string()),
                None => ("NOT ACKNOWLEDGED".into(), "-".into(), "-".into()),
            };
            let text = match &p.skipped_phase {
                Some(phase) => format!("{} (from skipped phase {phase})", p.text),
                None => p.text.clone(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {at} | {} | {waited} | {} |",
                p.number.unwrap_or_default(),
                cell(&text),
                p.at.at,
                cell(&by),
                p.reminders
            );
        }
    }
    for s in &report.skipped_phases {
        let _ = writeln!(
            out,
            "\nPhase {} ({}) was skipped at {}: {} ({}).",
            s.index + 1,
            cell(&s.title),
            s.at.at,
            s.reason,
            describe_source(&s.source)
        );
    }
}

fn target(target: &Target) -> String {
    match target {
        Target::Room => "room".into(),
        Target::Zone(zone) => format!("zone {zone}"),
    }
}

/// A table cell: a `|` would end it early, a line break would end the row.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The columns of `setting report --csv`, as docs/commands.md lists them. Later columns are
/// added at the end, so a sheet that reads the first ones by place keeps working.
const CSV_HEADER: [&str; 13] = [
    "wall",
    "session_time",
    "session_ms",
    "kind",
    "detail",
    "source",
    "local_time",
    "timezone",
    "systolic",
    "diastolic",
    "pulse",
    "spo2",
    "flags",
];

/// A reading's numbers and flags as CSV fields, empty for every other entry.
fn vitals_fields(kind: &EventKind) -> [String; 5] {
    let EventKind::Vitals { reading, flags, .. } = kind else {
        return Default::default();
    };
    let number = |n: Option<u16>| n.map_or(String::new(), |n| n.to_string());
    let flags: Vec<String> = flags.iter().map(ToString::to_string).collect();
    [
        number(reading.systolic),
        number(reading.diastolic),
        number(reading.pulse),
        number(reading.spo2),
        flags.join("; "),
    ]
}

/// One row per entry, in the log's order, so the row count checks against the file. Fields
/// holding a comma, a quote or a line break are quoted as RFC 4180 says, by the `csv` crate.
pub fn csv(entries: &[LogEntry], zone: &ClinicZone) -> Result<String, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(CSV_HEADER)?;
    for entry in entries {
        let kind = &entry.event.kind;
        let name = kind.name().to_string();
        let source = kind.source().map_or(String::new(), describe_source);
        let at: Millis = entry.event.at;
        let [systolic, diastolic, pulse, spo2, flags] = vitals_fields(kind);
        out.write_record([
            entry.wall.clone(),
            at.to_string(),
            at.0.to_string(),
            name,
            describe_event(&entry.event.kind),
            source,
            zone.local_rfc3339(&entry.wall).unwrap_or_default(),
            zone.name().to_string(),
            systolic,
            diastolic,
            pulse,
            spo2,
            flags,
        ])?;
    }
    let bytes = out.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
    // Every field came from a Rust string, so nothing here is lossy.
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use setting::timeline::{Event, EventKind};

    use super::*;

    #[test]
    fn table_cells_keep_to_their_cell_and_row() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
    }

    fn entry(wall: &str, kind: EventKind) -> LogEntry {
        LogEntry {
            seq: 0,
            wall: wall.into(),
            session: "2026-11-26-sublingual".into(),
            event: Event {
                at: Millis(61_500),
                timeline: Millis(61_500),
                kind,
            },
        }
    }

    #[test]
    fn a_field_with_a_comma_a_quote_and_a_line_break_reads_back_whole() {
        let text = "Breathe, and say \"I am here\"\nwhen ready";
        let export = csv(
            &[
                entry("2026-11-26T10:00:00Z", EventKind::hint(text)),
                entry("2026-11-26T10:00:01Z", EventKind::hint("plain")),
            ],
            &ClinicZone::named("Europe/Berlin").unwrap(),
        )
        .unwrap();
        let mut reader = csv::Reader::from_reader(export.as_bytes());
        assert_eq!(
            reader.headers().unwrap(),
            &csv::StringRecord::from(CSV_HEADER.to_vec())
        );
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2, "{export}");
        assert_eq!(
            rows[0].iter().collect::<Vec<_>>(),
            [
                "2026-11-26T10:00:00Z",
                "1:01",
                "61500",
                "prompt",
                &format!("hint: {text}"),
                "",
                "2026-11-26T11:00:00+01:00",
                "Europe/Berlin",
                "",
                "",
                "",
                "",
                ""
            ]
        );
        assert_eq!(&rows[1][4], "hint: plain");
        assert!(
            export.contains("\"hint: Breathe, and say \"\"I am here\"\"\nwhen ready\""),
            "RFC 4180 quoting: {export}"
        );
        // Quoted only where needed, so a plain row stays plain to read.
        assert!(
            export.ends_with(
                "\n2026-11-26T10:00:01Z,1:01,61500,prompt,hint: plain,,2026-11-26T11:00:01+01:00,Europe/Berlin,,,,,\n"
            ),
            "{export}"
        );
    }

    #[test]
    fn an_empty_log_still_has_its_header() {
        assert_eq!(
            csv(&[], &ClinicZone::utc()).unwrap(),
            "wall,session_time,session_ms,kind,detail,source,local_time,timezone,systolic,diastolic,pulse,spo2,flags\n"
        );
    }
}
