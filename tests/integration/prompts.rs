//! The clinical prompt queue through a real `settingd` and the `setting` binary: a dose
//! marked early names the phase it skips and keeps that phase's baseline check waiting,
//! `status` lists what waits, the daemon reminds of it after `[session] prompt_reminder`,
//! `setting ack` takes it off the queue, and the report says who acknowledged it and when; a
//! reading entered with `setting vitals` acknowledges the check that asked for it.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use serde_json::Value;

use crate::support::{Daemon, eventually, paths_and_null_audio, repo_path, setting_against};

/// Session time runs this much faster than real time: a session minute is a real second.
const SPEED: f64 = 60.0;

/// The shipped scenes in a room with the zones they name, no lights, and reminders after one
/// session minute.
fn config(dir: &Path) -> PathBuf {
    let config = dir.join("settingd.toml");
    let zones: String = ["room", "mat-1", "mat-2", "mat-3"]
        .iter()
        .map(|z| format!("[[room.zone]]\nname = \"{z}\"\n\n"))
        .collect();
    std::fs::write(
        &config,
        format!(
            "[room]\nname = \"room-1\"\n\n{zones}[session]\nprompt_reminder = \"1m\"\n\n{}",
            paths_and_null_audio(&repo_path("scenes"))
        ),
    )
    .expect("config");
    config
}

fn text(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn events_named<'a>(entries: &'a [Value], name: &str) -> Vec<&'a Value> {
    entries.iter().filter(|e| e["event"] == name).collect()
}

#[test]
fn a_skipped_baseline_check_waits_is_reminded_of_and_acknowledged_on_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let daemon = Daemon::builder().config(config(dir.path())).speed(SPEED).start();
    text(&setting_against(&daemon, &["start", "sublingual"]));

    // Still arriving: the dose jumps over the intention phase and its baseline check.
    let marked = text(&setting_against(&daemon, &["mark", "dose"]));
    assert!(
        marked.contains("SKIPPED phase 2/8 Vitals and intention"),
        "{marked}"
    );
    assert!(
        marked.contains("#1 Baseline blood pressure and pulse before dosing"),
        "{marked}"
    );
    let entries = daemon.entries();
    let skipped = events_named(&entries, "phase_skipped");
    assert_eq!(skipped.len(), 1, "{entries:#?}");
    assert_eq!(skipped[0]["id"], "intention");
    assert_eq!(skipped[0]["reason"], "dose marked");
    assert_eq!(skipped[0]["source"]["who"], "root");

    // `status` lists it, by number, as a prompt and not as a hint.
    let status = text(&setting_against(&daemon, &["status"]));
    assert!(
        status.contains("PROMPT    #1 waiting since")
            && status.contains("Baseline blood pressure and pulse before dosing (from skipped phase intention, asks for vitals"),
        "{status}"
    );
    let queued = &daemon.status()["session"]["prompts"];
    assert_eq!(queued[0]["number"], 1, "{queued}");
    assert_eq!(queued[0]["asks"], "vitals", "{queued}");

    // Not acknowledged within a session minute: reminded, in the log.
    let reminded = eventually(Duration::from_secs(10), || {
        let entries = daemon.entries();
        events_named(&entries, "prompt_reminder")
            .first()
            .map(|e| (*e).clone())
    })
    .expect("a reminder after one session minute");
    assert_eq!(reminded["number"], 1);
    let raised = events_named(&daemon.entries(), "prompt")[0]["at"]
        .as_u64()
        .unwrap();
    let at = reminded["at"].as_u64().unwrap();
    assert!(
        at >= raised + 60_000,
        "reminded at {at} ms, raised at {raised} ms: not before a minute"
    );

    // A number not given is refused, naming what waits, and changes nothing.
    let wrong = setting_against(&daemon, &["ack", "7"]);
    assert_eq!(wrong.status.code(), Some(1));
    let said = String::from_utf8_lossy(&wrong.stderr);
    assert!(said.contains("there is no prompt #7; waiting: #1"), "{said}");

    // Acknowledged by number: off the queue, on the record with who and when.
    let acked = text(&setting_against(&daemon, &["ack", "1"]));
    assert!(acked.starts_with("prompt #1 acknowledged"), "{acked}");
    let status = daemon.status();
    assert!(
        status["session"]["prompts"]
            .as_array()
            .is_none_or(|p| p.is_empty()),
        "{status}"
    );
    let entries = daemon.entries();
    let ack = events_named(&entries, "prompt_acknowledged");
    assert_eq!(ack.len(), 1, "{entries:#?}");
    assert_eq!(ack[0]["number"], 1);
    assert_eq!(ack[0]["source"]["via"], "socket");
    assert_eq!(ack[0]["source"]["who"], "root");
    let nothing = setting_against(&daemon, &["ack"]);
    assert_eq!(nothing.status.code(), Some(1));

    let report = text(&setting_against(&daemon, &["report"]));
    let line = line_after_the_baseline_prompt(&report);
    assert!(
        line.contains("acknowledged at") && line.contains("by socket (root) after"),
        "{report}"
    );
    assert!(
        report.contains("phase 2 Vitals and intention skipped at"),
        "{report}"
    );
    let markdown = text(&setting_against(&daemon, &["report", "--markdown"]));
    assert!(markdown.contains("## Prompts"), "{markdown}");
    assert!(markdown.contains("| socket (root) |"), "{markdown}");
}

#[test]
fn the_queue_survives_a_daemon_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut daemon = Daemon::builder().config(config(dir.path())).speed(SPEED).start();
    text(&setting_against(&daemon, &["start", "sublingual"]));
    text(&setting_against(&daemon, &["mark", "dose"]));
    daemon.kill9();
    daemon.restart();
    let status = text(&setting_against(&daemon, &["status"]));
    assert!(
        status.contains("#1 waiting since") && status.contains("Baseline blood pressure"),
        "{status}"
    );
    let acked = text(&setting_against(&daemon, &["ack"]));
    assert!(acked.starts_with("oldest prompt acknowledged"), "{acked}");
}

#[test]
fn a_reading_acknowledges_the_check_that_asked_for_vitals_on_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let daemon = Daemon::builder().config(config(dir.path())).speed(SPEED).start();
    text(&setting_against(&daemon, &["start", "sublingual"]));
    // Into the intention phase, whose baseline check asks for vitals (`asks = "vitals"`).
    text(&setting_against(&daemon, &["next"]));
    let queued = &daemon.status()["session"]["prompts"];
    assert_eq!(queued[0]["number"], 1, "{queued}");
    assert_eq!(queued[0]["asks"], "vitals", "{queued}");

    let said = text(&setting_against(
        &daemon,
        &["vitals", "128/82", "72", "--spo2", "98"],
    ));
    assert!(said.starts_with("vitals recorded in session"), "{said}");
    assert!(
        said.contains(
            "prompt #1 acknowledged by this reading: Baseline blood pressure and pulse before dosing"
        ),
        "{said}"
    );
    let status = daemon.status();
    assert!(
        status["session"]["prompts"]
            .as_array()
            .is_none_or(|p| p.is_empty()),
        "the check left the queue: {status}"
    );

    // On the record: the reading names the prompt it answered, and the acknowledgement names
    // the reading and who entered it.
    let entries = daemon.entries();
    let readings = events_named(&entries, "vitals");
    assert_eq!(readings.len(), 1, "{entries:#?}");
    assert_eq!(readings[0]["answers"], 1);
    assert_eq!(readings[0]["systolic"], 128);
    let ack = events_named(&entries, "prompt_acknowledged");
    assert_eq!(ack.len(), 1, "{entries:#?}");
    assert_eq!(ack[0]["number"], 1);
    assert_eq!(ack[0]["answered_by"], "vitals");
    assert_eq!(ack[0]["source"]["via"], "socket");
    assert_eq!(ack[0]["source"]["who"], "root");
    assert!(
        readings[0]["seq"].as_u64() < ack[0]["seq"].as_u64(),
        "the reading comes first: {entries:#?}"
    );

    // With nothing waiting a reading is only a reading, and its answer says nothing more.
    let again = text(&setting_against(&daemon, &["vitals", "126/80"]));
    assert!(!again.contains("acknowledged"), "{again}");
    let nothing = setting_against(&daemon, &["ack"]);
    assert_eq!(nothing.status.code(), Some(1), "nothing left to acknowledge");

    let report = text(&setting_against(&daemon, &["report"]));
    let line = line_after_the_baseline_prompt(&report);
    assert!(
        line.contains("acknowledged at") && line.contains("by vitals from socket (root) after"),
        "{report}"
    );
    assert!(
        report.contains("prompt #1 acknowledged by vitals (socket (root))"),
        "{report}"
    );
}

/// The report's line after prompt #1 (the baseline check): who acknowledged it, and when.
fn line_after_the_baseline_prompt(report: &str) -> String {
    report
        .lines()
        .position(|l| l.contains("#1") && l.contains("Baseline blood pressure"))
        .map(|i| report.lines().nth(i + 1).unwrap_or_default().to_string())
        .unwrap_or_else(|| panic!("{report}"))
}
