//! The live view's events pane, entry by entry: which entries get a line, and a cue that
//! raised a prompt told by that prompt's line alone, so that the prompt shows once there
//! (besides its place in the prompt box while it waits).

use std::collections::VecDeque;

use setting::protocol::LogEntry;
use setting::report::tells_the_cue;
use setting::time::Millis;
use setting::timeline::EventKind;

use crate::watch::{render_entry, worth_a_line};

/// A line for the pane: a new one, or one that takes the place of the line `of` (the cue's).
#[derive(Clone, Debug, PartialEq)]
pub enum PaneLine {
    New(String),
    Instead { of: String, line: String },
}

/// The entry last given a line, to tell whether the next one stands for it.
#[derive(Clone, Debug, Default)]
pub struct PaneLines {
    last: Option<(Millis, EventKind, String)>,
}

impl PaneLines {
    /// The line for `entry`, if it gets one.
    pub fn take(&mut self, entry: &LogEntry) -> Option<PaneLine> {
        if !worth_a_line(entry) {
            return None;
        }
        let line = render_entry(entry);
        let event = &entry.event;
        let of = self
            .last
            .take()
            .filter(|(at, kind, _)| *at == event.at && tells_the_cue(kind, &event.kind))
            .map(|(.., line)| line);
        self.last = Some((event.at, event.kind.clone(), line.clone()));
        Some(match of {
            Some(of) => PaneLine::Instead { of, line },
            None => PaneLine::New(line),
        })
    }

    /// The lines of `entries`, oldest first, the last `kept` of them.
    pub fn of_all<'a>(
        &mut self,
        entries: impl IntoIterator<Item = &'a LogEntry>,
        kept: usize,
    ) -> Vec<String> {
        let mut lines = VecDeque::new();
        for entry in entries {
            if let Some(line) = self.take(entry) {
                add(&mut lines, line, kept);
            }
        }
        lines.into()
    }
}

/// Puts `line` into the pane's `lines`, keeping the last `kept`. A line meant to take the
/// place of one that is no longer last (something else came between) is added instead.
pub fn add(lines: &mut VecDeque<String>, line: PaneLine, kept: usize) {
    match line {
        PaneLine::Instead { of, line } if lines.back() == Some(&of) => {
            if let Some(last) = lines.back_mut() {
                *last = line;
            }
        }
        PaneLine::Instead { line, .. } | PaneLine::New(line) => {
            lines.push_back(line);
            if lines.len() > kept {
                lines.pop_front();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64, at_s: u64, event: &str) -> LogEntry {
        serde_json::from_str(&format!(
            r#"{{"seq":{seq},"wall":"2025-01-01T09:00:00.000Z","session":"s1","at":{},"timeline":{},{event}}}"#,
            at_s * 1000,
            at_s * 1000
        ))
        .unwrap()
    }

    /// The sublingual dosing phase's spit cue as the daemon logs it: the cue, its prompt, the
    /// look it leaves as it was; then a cue with no prompt, and a hint at a cue's time.
    fn log() -> Vec<LogEntry> {
        vec![
            entry(
                1,
                1980,
                r#""event":"cue_fired","phase":"dosing","label":"Spit out the lozenge""#,
            ),
            entry(
                2,
                1980,
                r#""event":"prompt","text":"Seven minutes since the dose: time to spit out the lozenge","number":2"#,
            ),
            entry(
                3,
                1980,
                r#""event":"look_set","zone":"room","brightness":25.0,"kelvin":2400,"fade":1000"#,
            ),
            entry(4, 2400, r#""event":"cue_fired","phase":"peak","label":"deepen""#),
            entry(5, 2400, r#""event":"prompt","text":"The planned 10m has passed""#),
        ]
    }

    #[test]
    fn a_cue_that_prompts_gets_one_line_its_prompts() {
        let lines = PaneLines::default().of_all(&log(), 50);
        assert_eq!(
            lines,
            [
                "   33:00     33:00  PROMPT #2: Seven minutes since the dose: time to spit out the lozenge",
                "   40:00     40:00  cue deepen (phase peak)",
                "   40:00     40:00  hint: The planned 10m has passed",
            ]
        );
        let prompts = lines
            .iter()
            .filter(|l| l.contains("spit out the lozenge"))
            .count();
        assert_eq!(prompts, 1, "{lines:#?}");
    }

    #[test]
    fn entry_by_entry_the_prompt_takes_the_cues_line_unless_another_came_between() {
        let log = log();
        let mut pane = PaneLines::default();
        let mut lines = VecDeque::new();
        let cue = pane.take(&log[0]).unwrap();
        add(&mut lines, cue, 50);
        assert_eq!(lines.len(), 1);
        let prompt = pane.take(&log[1]).unwrap();
        assert!(matches!(&prompt, PaneLine::Instead { of, .. } if of.contains("cue Spit out")));
        // The `a` key's answer landed between the two: the cue's line stays, the prompt's is added.
        let mut between = lines.clone();
        between.push_back("a: oldest prompt acknowledged; 0 still waiting".into());
        add(&mut between, prompt.clone(), 50);
        assert_eq!(between.len(), 3);
        add(&mut lines, prompt, 50);
        assert_eq!(lines.len(), 1);
        assert!(lines[0].contains("PROMPT #2"), "{lines:?}");
        assert_eq!(pane.take(&log[2]), None, "a look gets no line");
        // Only the last `kept` lines are kept.
        let mut short = VecDeque::from(vec!["a".to_string(), "b".to_string()]);
        add(&mut short, PaneLine::New("c".into()), 2);
        assert_eq!(short, ["b", "c"]);
    }
}
