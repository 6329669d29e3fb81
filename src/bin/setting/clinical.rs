//! `setting vitals` and `setting note`: a reading or a note for the running session's record,
//! checked here against the valid ranges before anything is sent (the daemon checks again).

use std::process::ExitCode;

use clap::Args;

use setting::protocol::{Op, RecordedReply};
use setting::report::describe_source;
use setting::vitals::{RawReading, check_note, parse_measurements};

use crate::args::Cli;
use crate::client::Client;
use crate::failure::Failure;

#[derive(Debug, Args)]
pub struct VitalsArgs {
    /// A blood pressure in mmHg (`128/82`) and a pulse in bpm (`72`), either or both, in
    /// any order.
    #[arg(value_name = "BP|PULSE", allow_negative_numbers = true)]
    pub measurements: Vec<String>,
    /// Oxygen saturation in percent, e.g. `--spo2 98`.
    #[arg(long, value_name = "PERCENT", allow_negative_numbers = true)]
    pub spo2: Option<i64>,
    /// A short remark that goes with the reading, e.g. `--text "after standing up"`.
    #[arg(long, value_name = "TEXT")]
    pub text: Option<String>,
}

#[derive(Debug, Args)]
pub struct NoteArgs {
    /// The note; several words need no quotes.
    #[arg(required = true, value_name = "TEXT")]
    pub text: Vec<String>,
}

/// The request for a reading, or every problem with it as bad input.
pub fn vitals_op(args: &VitalsArgs) -> Result<Op, Failure> {
    let bad = |e: setting::vitals::Problems| Failure::BadInput(e.to_string());
    let raw = RawReading {
        spo2: args.spo2,
        text: args.text.clone(),
        ..parse_measurements(&args.measurements).map_err(bad)?
    };
    raw.check().map_err(bad)?;
    Ok(Op::vitals(raw))
}

pub fn note_op(args: &NoteArgs) -> Result<Op, Failure> {
    let text = check_note(&args.text.join(" ")).map_err(|e| Failure::BadInput(e.to_string()))?;
    Ok(Op::Note { text })
}

pub fn run_vitals(cli: &Cli, args: &VitalsArgs) -> anyhow::Result<ExitCode> {
    let op = vitals_op(args)?;
    send(cli, &op, "vitals")
}

pub fn run_note(cli: &Cli, args: &NoteArgs) -> anyhow::Result<ExitCode> {
    let op = note_op(args)?;
    send(cli, &op, "note")
}

fn send(cli: &Cli, op: &Op, what: &str) -> anyhow::Result<ExitCode> {
    let reply: RecordedReply = Client::for_cli(cli)?.request_as(op)?;
    if cli.json {
        println!("{}", serde_json::to_string(&reply)?);
    } else {
        println!("{}", answer(what, &reply));
    }
    Ok(ExitCode::SUCCESS)
}

/// `vitals recorded in session S at 42:10 (socket (ana))`, then the prompt the reading
/// acknowledged and what stood out, one per line.
fn answer(what: &str, reply: &RecordedReply) -> String {
    let mut said = format!(
        "{what} recorded in session {} at {} session time ({})",
        reply.session,
        reply.at,
        describe_source(&reply.source)
    );
    if let Some(prompt) = &reply.acknowledged {
        said.push_str(&format!(
            "\nprompt #{} acknowledged by this reading: {}",
            prompt.number, prompt.text
        ));
    }
    for flag in &reply.flags {
        said.push_str(&format!("\n{flag}: past the clinic's threshold"));
    }
    said
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(measurements: &[&str], spo2: Option<i64>) -> VitalsArgs {
        VitalsArgs {
            measurements: measurements.iter().map(|s| s.to_string()).collect(),
            spo2,
            text: None,
        }
    }

    #[test]
    fn a_reading_becomes_one_request_and_a_bad_one_is_bad_input() {
        let op = vitals_op(&args(&["128/82", "72"], Some(98))).unwrap();
        assert_eq!(
            op,
            Op::Vitals {
                systolic: Some(128),
                diastolic: Some(82),
                pulse: Some(72),
                spo2: Some(98),
                text: None
            }
        );
        let refused = vitals_op(&args(&["300/20", "500"], None)).unwrap_err();
        let Failure::BadInput(message) = &refused else {
            panic!("{refused:?}")
        };
        assert!(
            message.contains("systolic 300 mmHg is outside 50-260 mmHg"),
            "{message}"
        );
        assert!(message.contains("pulse 20-250 bpm"), "{message}");
        assert!(matches!(
            vitals_op(&args(&[], None)),
            Err(Failure::BadInput(m)) if m.contains("nothing was measured")
        ));
    }

    #[test]
    fn the_answer_names_the_prompt_a_reading_acknowledged() {
        let mut reply = RecordedReply {
            session: "s1".into(),
            seq: 7,
            at: setting::time::Millis::from_mins(14),
            wall: "2026-12-07T09:29:00Z".into(),
            source: setting::timeline::Source::daemon(),
            flags: Vec::new(),
            acknowledged: None,
        };
        let plain = answer("vitals", &reply);
        assert_eq!(
            plain,
            "vitals recorded in session s1 at 14:00 session time (daemon)"
        );
        reply.acknowledged = Some(setting::protocol::AnsweredPrompt {
            number: 3,
            text: "Baseline blood pressure and pulse before dosing".into(),
        });
        let said = answer("vitals", &reply);
        assert_eq!(
            said.lines().nth(1),
            Some("prompt #3 acknowledged by this reading: Baseline blood pressure and pulse before dosing"),
            "{said}"
        );
    }

    #[test]
    fn a_note_is_its_words_joined() {
        let note = NoteArgs {
            text: vec!["client".into(), "asked".into(), "for water".into()],
        };
        assert_eq!(
            note_op(&note).unwrap(),
            Op::Note {
                text: "client asked for water".into()
            }
        );
    }
}
