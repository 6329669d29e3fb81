//! `setting watch`: the session's events as they happen, one line each, until Ctrl-C; in a
//! terminal, the full-screen view of `watch_view` instead, or one frame of it with `--frame`.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use setting::protocol::{LogEntry, Op, ReplyLine, WatchingReply};
use setting::report::{describe_event, told_by_its_effect};
use setting::timeline::EventKind;

use crate::args::Cli;
use crate::client::Client;
use crate::failure::Failure;
use crate::locate;

pub fn run(cli: &Cli, plain: bool, frame: Option<&str>) -> anyhow::Result<ExitCode> {
    if let Some(size) = frame {
        return crate::watch_view::frame(cli, size);
    }
    // Scripts, pipes and `--json` readers want the lines; only a person at a terminal gets the view.
    if !plain && !cli.json && std::io::stdout().is_terminal() {
        return crate::watch_view::run(cli);
    }
    let target = locate::socket(cli);
    let mut client = Client::connect(&target.path, &target.note)?;
    client.request_as::<WatchingReply>(&Op::Watch)?;
    client.wait_without_timeout()?;
    if !cli.json {
        println!("watching {} (Ctrl-C to stop)", target.path.display());
    }
    let mut stdout = std::io::stdout();
    while let Some(line) = client.read_line()? {
        if cli.json {
            write!(stdout, "{line}")?;
        } else {
            if serde_json::from_str::<LogEntry>(&line).is_ok_and(|entry| !worth_a_line(&entry)) {
                continue;
            }
            writeln!(stdout, "{}", render_line(&line)?)?;
        }
        // Someone piping this into a file or a pager wants each event as it happens.
        stdout.flush()?;
    }
    Err(client.closed().into())
}

/// Whether a person following the session wants a line for the entry. The levels sent to the
/// lights and the music are left out: every phase change sends one per zone, and they would
/// bury the prompts and marks (`status`, `lights watch` and the report's picture show them;
/// `--json` keeps every entry). So is a command whose effect has a line of its own, as in the
/// report: `dose marked (socket (ana))` says it all; and a cue that raised a prompt, whose
/// prompt comes next and tells it.
pub fn worth_a_line(entry: &LogEntry) -> bool {
    let kind = &entry.event.kind;
    !matches!(
        kind,
        EventKind::LookSet { .. } | EventKind::MusicSet { .. } | EventKind::CueFired { prompted: true, .. }
    ) && !told_by_its_effect(kind)
}

/// Whether an event line is a reading past the clinic's thresholds: the view draws it in red.
/// The words are [`describe_event`]'s, which marks each crossing `[HIGH ...]` or `[LOW ...]`.
pub fn stands_out(line: &str) -> bool {
    // The third word, after the two times: a note that quotes such words is not a reading.
    line.split_whitespace().nth(2) == Some("vitals") && (line.contains("[HIGH ") || line.contains("[LOW "))
}

/// An entry as `session-time  timeline-time  what happened`; an error reply (the watch fell
/// behind, the daemon is stopping) ends the watch with its message.
pub fn render_line(line: &str) -> Result<String, Failure> {
    if let Ok(entry) = serde_json::from_str::<LogEntry>(line) {
        return Ok(render_entry(&entry));
    }
    match serde_json::from_str::<ReplyLine>(line) {
        Ok(ReplyLine {
            error: Some(error), ..
        }) => Err(Failure::from_reply(error)),
        _ => Ok(format!("(unreadable event: {})", line.trim())),
    }
}

pub fn render_entry(entry: &LogEntry) -> String {
    let e = &entry.event;
    format!(
        "{:>8}  {:>8}  {}",
        e.at.to_string(),
        e.timeline.to_string(),
        describe_event(&e.kind)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_become_one_line_and_errors_end_the_watch() {
        let line = r#"{"wall":"2025-01-01T09:00:00.000Z","session":"s1","at":61000,"timeline":60000,"event":"mark_set","mark":"dose","source":{"via":"socket","who":"uid 1000"}}"#;
        assert_eq!(
            render_line(line).unwrap(),
            "    1:01      1:00  dose marked (socket (uid 1000))"
        );
        let cut = r#"{"ok":false,"error":{"kind":"internal","message":"watch fell 3 entries behind"}}"#;
        assert!(matches!(render_line(cut), Err(Failure::Refused(m)) if m.contains("fell 3")));
    }

    #[test]
    fn a_reading_past_a_threshold_stands_out_and_a_usual_one_does_not() {
        let entry = |fields: &str| -> LogEntry {
            serde_json::from_str(&format!(
                r#"{{"wall":"2025-01-01T09:00:00.000Z","session":"s1","at":2400000,"timeline":2400000,"event":"vitals",{fields},"source":{{"via":"socket","who":"ana"}}}}"#
            ))
            .unwrap()
        };
        let high = entry(
            r#""systolic":172,"diastolic":90,"pulse":80,"flags":[{"measure":"systolic","level":"high","value":172,"threshold":160}]"#,
        );
        let usual = entry(r#""systolic":128,"diastolic":82,"pulse":72"#);
        assert!(worth_a_line(&high) && worth_a_line(&usual));
        let line = render_entry(&high);
        assert_eq!(
            line,
            "   40:00     40:00  vitals BP 172/90 mmHg, pulse 80 bpm [HIGH systolic 172 mmHg (above 160)] (socket (ana))"
        );
        assert!(stands_out(&line));
        assert!(!stands_out(&render_entry(&usual)));
        let note = r#"{"wall":"w","session":"s1","at":0,"timeline":0,"event":"note","text":"said [HIGH systolic] vitals ","source":{"via":"socket","who":"ana"}}"#;
        let note = render_line(note).unwrap();
        assert!(note.contains("note: said"), "{note}");
        assert!(!stands_out(&note), "{note}");
    }

    #[test]
    fn levels_are_left_out_of_the_lines_and_marks_are_not() {
        let entry = |event: &str| -> LogEntry {
            serde_json::from_str(&format!(
                r#"{{"wall":"2025-01-01T09:00:00.000Z","session":"s1","at":0,"timeline":0,{event}}}"#
            ))
            .unwrap()
        };
        let look = entry(r#""event":"look_set","zone":"room","brightness":40.0,"kelvin":2700,"fade":1000"#);
        let music = entry(
            r#""event":"music_set","playlist":"peak","level_db":-12.0,"muted":false,"paused":false,"fade":1000"#,
        );
        let mark = entry(r#""event":"mark_set","mark":"dose","source":{"via":"socket","who":"ana"}"#);
        assert!(!worth_a_line(&look));
        assert!(!worth_a_line(&music));
        assert!(worth_a_line(&mark));
        let command = entry(
            r#""event":"command","command":"mark","mark":"dose","target":"room","detail":"dose","source":{"via":"socket","who":"ana"}"#,
        );
        assert!(!worth_a_line(&command), "the mark's own line tells it");
        let extend = entry(
            r#""event":"command","command":"extend","by":600000,"target":"room","detail":"by 10m","source":{"via":"socket","who":"ana"}"#,
        );
        assert!(worth_a_line(&extend), "an extension has no other line");
    }
}
