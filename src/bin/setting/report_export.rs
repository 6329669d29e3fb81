//! `setting report --markdown` and `--csv`: the session for clinical notes, as Markdown to
//! paste into a record, or one CSV row per event for a spreadsheet.

use std::fmt::Write;

use setting::protocol::LogEntry;
use setting::report::{Report, describe_event, describe_source};
use setting::time::Millis;
use setting::timeline::plan::Plan;
use setting::timeline::{Source, Target};

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
    if let Some(started) = &report.started {
        let _ = writeln!(out, "- started: {}", started.wall);
    }
    match (&report.ended, &report.end_reason) {
        (Some(ended), Some(reason)) => {
            let _ = writeln!(out, "- ended: {} ({reason})", ended.wall);
        }
        _ => {
            let _ = writeln!(out, "- not ended: the log runs to {}", report.length);
        }
    }
    let _ = writeln!(out, "- length: {}", report.length);
    let _ = writeln!(out, "\n## Phases\n");
    let _ = writeln!(
        out,
        "| # | phase | planned | actual | start | end | stood still | left because |"
    );
    let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- | --- | --- |");
    for p in &report.phases {
        let plan_length = planned
            .and_then(|plan| plan.phases.iter().find(|q| q.id == p.id))
            .map_or("-".to_string(), |q| (q.end - q.start).to_string());
        let _ = writeln!(
            out,
            "| {} | {} | {plan_length} | {} | {} | {} | {} | {} |",
            p.index + 1,
            cell(&p.title),
            p.duration,
            p.start.at,
            p.end
                .as_ref()
                .map_or("(running)".to_string(), |e| e.at.to_string()),
            p.stood_still,
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
                o.duration,
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
                t.played,
                cell(&skipped)
            );
        }
    }
    out
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

/// One row per entry, in the log's order, so the row count checks against the file.
pub fn csv(entries: &[LogEntry]) -> String {
    let mut out = String::from("wall,session_time,session_ms,kind,detail,source\n");
    for entry in entries {
        let kind = serde_json::to_value(&entry.event.kind).ok();
        let name = kind
            .as_ref()
            .and_then(|v| v.get("event"))
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string();
        let source = kind
            .as_ref()
            .and_then(|v| v.get("source"))
            .and_then(|v| serde_json::from_value::<Source>(v.clone()).ok())
            .map_or(String::new(), |s| describe_source(&s));
        let at: Millis = entry.event.at;
        let fields = [
            entry.wall.clone(),
            at.to_string(),
            at.0.to_string(),
            name,
            describe_event(&entry.event.kind),
            source,
        ];
        let row: Vec<String> = fields.iter().map(|f| quote(f)).collect();
        let _ = writeln!(out, "{}", row.join(","));
    }
    out
}

/// RFC 4180: a field holding a comma, a quote or a line break goes in quotes, its quotes
/// doubled.
fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote("a, b"), "\"a, b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("a|b\nc"), "a\\|b c");
    }
}
