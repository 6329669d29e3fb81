//! Vital signs and notes through a real settingd: entered with `setting vitals` and `setting
//! note`, written into the session's log with the session time and the account that entered
//! them, and listed by `setting report` in text, CSV, JSON and Markdown, in the clinic's zone,
//! with a reading past the config's threshold marked; bad input refused by the CLI and by the
//! daemon with the valid ranges, and nothing recorded.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::{Daemon, assert_code, paths_and_null_audio, repo_path, setting};

/// A room in Berlin whose clinic flags a systolic pressure above 150.
fn config(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("settingd.toml");
    std::fs::write(
        &path,
        format!(
            "[room]\nname = \"room-1\"\ntimezone = \"Europe/Berlin\"\n\n[[room.zone]]\nname = \"room\"\n\n\
             [vitals]\nsystolic_above = 150\n\n{}",
            paths_and_null_audio(&repo_path("scenes"))
        ),
    )
    .expect("config");
    path
}

fn run(daemon: &Daemon, config: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec![
        "--socket",
        daemon.socket().to_str().expect("utf-8 path"),
        "--config",
        config.to_str().expect("utf-8 path"),
    ];
    all.extend_from_slice(args);
    setting(&all)
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn recorded(daemon: &Daemon) -> Vec<Value> {
    daemon
        .entries()
        .into_iter()
        .filter(|e| e["event"] == "vitals" || e["event"] == "note")
        .collect()
}

#[test]
fn vitals_and_notes_are_recorded_with_who_and_when_and_reported_in_every_form() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config(dir.path());
    let daemon = Daemon::builder().config(&config).start();
    // The account the daemon names from the socket's peer credentials.
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = setting::engine::peer::account_name(unsafe { libc::geteuid() });

    // No session: nothing to add the reading to, and it says so.
    let idle = run(&daemon, &config, &["vitals", "128/82", "72"]);
    assert_code(&idle, 1);
    assert!(
        stderr(&idle).contains("no session is running"),
        "{}",
        stderr(&idle)
    );

    daemon.ok(json!({"op": "start", "scene": "sublingual"}));

    // Bad input: refused by the CLI before sending, and by the daemon, with the ranges.
    let bad = run(&daemon, &config, &["vitals", "300/20", "500"]);
    assert_code(&bad, 2);
    let said = stderr(&bad);
    for part in [
        "systolic 300 mmHg is outside 50-260 mmHg",
        "diastolic 20 mmHg is outside 30-160 mmHg",
        "pulse 500 bpm is outside 20-250 bpm",
        "SpO2 50-100 %",
    ] {
        assert!(said.contains(part), "{part}: {said}");
    }
    let reply = daemon.request(json!({"op": "vitals", "systolic": 300, "diastolic": 20, "pulse": 500}));
    assert_eq!(reply["ok"], json!(false), "{reply}");
    assert_eq!(reply["error"]["kind"], "bad_request", "{reply}");
    let message = reply["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("systolic 300 mmHg is outside 50-260 mmHg"),
        "{message}"
    );
    assert!(message.contains("valid: "), "{message}");
    let empty = daemon.request(json!({"op": "note", "text": "  "}));
    assert_eq!(empty["error"]["kind"], "bad_request", "{empty}");
    assert!(recorded(&daemon).is_empty(), "refused input was recorded");

    // Two readings, the second past the clinic's 150, and a note.
    let baseline = run(
        &daemon,
        &config,
        &[
            "vitals",
            "128/82",
            "72",
            "--spo2",
            "98",
            "--text",
            "baseline before dosing",
        ],
    );
    assert_code(&baseline, 0);
    assert!(
        stdout(&baseline).starts_with("vitals recorded in session"),
        "{}",
        stdout(&baseline)
    );
    let high = run(&daemon, &config, &["--json", "vitals", "158/96", "88"]);
    assert_code(&high, 0);
    let high: Value = serde_json::from_slice(&high.stdout).expect("JSON reply");
    assert_eq!(
        high["flags"],
        json!([{"measure": "systolic", "level": "high", "value": 158, "threshold": 150}])
    );
    assert_eq!(high["source"], json!({"via": "socket", "who": me}));
    let note = run(&daemon, &config, &["note", "client", "asked for water"]);
    assert_code(&note, 0);

    // In the log as written, with session time and who.
    let entries = recorded(&daemon);
    assert_eq!(entries.len(), 3, "{entries:#?}");
    assert_eq!(entries[0]["systolic"], 128);
    assert_eq!(entries[0]["spo2"], 98);
    assert_eq!(entries[0]["text"], "baseline before dosing");
    assert_eq!(entries[1]["flags"][0]["threshold"], 150);
    assert_eq!(entries[2]["text"], "client asked for water");
    for e in &entries {
        assert_eq!(e["source"]["who"], json!(me), "{e}");
        assert!(
            e["at"].as_u64().is_some() && e["seq"].as_u64().unwrap() > 0,
            "{e}"
        );
    }

    // The text report: local times with the zone, the readings, what stood out, who.
    let text = run(&daemon, &config, &["report"]);
    assert_code(&text, 0);
    let text = stdout(&text);
    assert!(text.contains("times in Europe/Berlin"), "{text}");
    assert!(
        text.contains("vitals (2 readings, 1 past the clinic's thresholds"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "BP 128/82 mmHg, pulse 72 bpm, SpO2 98 %  \"baseline before dosing\"  (socket ({me}))"
        )),
        "{text}"
    );
    assert!(
        text.contains("BP 158/96 mmHg, pulse 88 bpm  HIGH systolic 158 mmHg (above 150)"),
        "{text}"
    );
    assert!(
        text.contains(&format!("client asked for water  (socket ({me}))")),
        "{text}"
    );
    assert!(text.contains(" CET  ") || text.contains(" CEST  "), "{text}");

    // CSV: the numbers in their columns, the flag, the local time and its zone.
    let csv = run(&daemon, &config, &["report", "--csv"]);
    assert_code(&csv, 0);
    let mut reader = csv::Reader::from_reader(csv.stdout.as_slice());
    let header = reader.headers().expect("header").clone();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let vitals: Vec<&csv::StringRecord> = rows.iter().filter(|r| &r[column("kind")] == "vitals").collect();
    assert_eq!(vitals.len(), 2);
    assert_eq!(&vitals[1][column("systolic")], "158");
    assert_eq!(&vitals[1][column("pulse")], "88");
    assert_eq!(&vitals[1][column("flags")], "HIGH systolic 158 mmHg (above 150)");
    assert_eq!(&vitals[0][column("spo2")], "98");
    assert_eq!(&vitals[0][column("source")], format!("socket ({me})"));
    assert_eq!(&vitals[0][column("timezone")], "Europe/Berlin");
    let local = &vitals[0][column("local_time")];
    assert!(local.ends_with("+01:00") || local.ends_with("+02:00"), "{local}");
    assert!(!vitals[0][column("session_time")].is_empty());
    assert!(rows.iter().any(|r| &r[column("kind")] == "note"));

    // JSON: the records, with local times and the zone.
    let report = run(&daemon, &config, &["--json", "report"]);
    assert_code(&report, 0);
    let report: Value = serde_json::from_slice(&report.stdout).expect("JSON report");
    assert_eq!(report["timezone"], "Europe/Berlin");
    assert_eq!(report["vitals"].as_array().unwrap().len(), 2, "{report}");
    assert_eq!(report["vitals"][1]["flags"][0]["level"], "high");
    assert_eq!(report["vitals"][0]["source"]["who"], json!(me));
    assert_eq!(report["notes"][0]["text"], "client asked for water");
    let local = report["notes"][0]["at"]["local"].as_str().unwrap();
    assert!(local.ends_with(" CET") || local.ends_with(" CEST"), "{local}");

    // Markdown: the readings in their own table, what stood out in bold.
    let markdown = stdout(&run(&daemon, &config, &["report", "--markdown"]));
    assert!(markdown.contains("## Vital signs"), "{markdown}");
    assert!(
        markdown.contains("**BP 158/96 mmHg, pulse 88 bpm  HIGH systolic 158 mmHg (above 150)**"),
        "{markdown}"
    );
    assert!(markdown.contains("## Notes"), "{markdown}");

    // The live view's events show them too.
    let frame = stdout(&run(&daemon, &config, &["watch", "--frame", "160x40"]));
    assert!(
        frame.contains("vitals BP 158/96 mmHg, pulse 88 bpm [HIGH systolic 158"),
        "{frame}"
    );
    assert!(frame.contains("note: client asked for water"), "{frame}");

    // The picture carries them as markers, in its key.
    let svg = dir.path().join("session.svg");
    let drawn = run(&daemon, &config, &["report", "--svg", svg.to_str().unwrap()]);
    assert_code(&drawn, 0);
    let svg = std::fs::read_to_string(&svg).expect("svg");
    assert!(svg.contains("vitals BP 158/96 mmHg"), "the reading in the key");
    assert!(svg.contains("HIGH systolic 158"), "what stood out, in the key");
    assert!(
        svg.contains("vitals past a threshold"),
        "the alert marker in the legend"
    );
    assert!(svg.contains("note: client asked for water"), "the key");
    crate::support::picture::assert_reads_well(&svg, "a report with vitals and notes");
}
