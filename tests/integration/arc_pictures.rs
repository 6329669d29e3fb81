//! `setting plan --svg`, `setting report --svg`, `--markdown` and `--csv`: the pictures and
//! exports clinic staff read, made by the real binary from the shipped scene and from a real
//! session run through the daemon.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::support::{self, Daemon, picture, repo_path, setting_against, setting_local, succeeded};

fn setting(args: &[&str]) -> Output {
    succeeded(support::setting(args))
}

fn local(args: &[&str]) -> Output {
    succeeded(setting_local(args))
}

fn against(daemon: &Daemon, args: &[&str]) -> Output {
    succeeded(setting_against(daemon, args))
}

fn text(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("utf-8 output")
}

/// How SVG text spells a title.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Structural checks standing in for an XML parser: one root, every text element closed.
fn assert_svg(svg: &str) {
    assert!(
        svg.trim_start().starts_with("<svg"),
        "{}",
        &svg[..svg.len().min(200)]
    );
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<svg").count(), 1);
    assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
}

#[test]
fn the_planned_sublingual_session_as_a_picture() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("arc.svg");
    local(&["plan", "sublingual", "--svg", path.to_str().unwrap()]);
    let svg = std::fs::read_to_string(&path).expect("the picture was written");
    assert_svg(&svg);
    let second = dir.path().join("again.svg");
    let said: Value = serde_json::from_str(&text(&local(&[
        "--json",
        "plan",
        "sublingual",
        "--svg",
        second.to_str().unwrap(),
    ])))
    .expect("--json with --svg is one JSON document");
    assert_eq!(said["svg"], second.to_str().unwrap());
    assert_eq!(std::fs::read_to_string(&second).expect("written"), svg);

    let plan: Value = serde_json::from_str(&text(&local(&["plan", "sublingual", "--json"]))).unwrap();
    let phases = plan["phases"].as_array().expect("phases");
    assert!(phases.len() >= 5);
    for phase in phases {
        let title = phase["title"].as_str().unwrap();
        assert!(
            svg.contains(&escaped(title)),
            "phase `{title}` missing from the picture"
        );
    }
    let zones: Vec<&str> = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"]["action"] == "light")
        .filter_map(|a| a["action"]["zone"].as_str())
        .collect();
    assert!(!zones.is_empty(), "the plan moves some lights");
    for zone in zones {
        assert!(svg.contains(zone), "zone `{zone}` missing from the picture");
    }
    for word in ["dB", "brightness %", "colour temperature K", "00:00"] {
        assert!(svg.contains(word), "`{word}` missing from the picture");
    }
    for axis_number in ["100.0", "3600.0"] {
        assert!(
            !svg.contains(&format!(">{axis_number}<")),
            "axes read whole numbers"
        );
    }
    let (_, lines) = picture::assert_reads_well(&svg, "the plan");
    assert!(lines >= 3, "a line in each panel: {lines}");
}

/// The README shows `docs/img/sublingual-arc.svg`; drawing is deterministic, so the committed
/// picture must be exactly what the shipped scene draws now, or the README tells a stale story.
#[test]
fn the_readme_arc_picture_is_what_the_shipped_scene_draws_now() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("arc.svg");
    local(&["plan", "sublingual", "--svg", path.to_str().unwrap()]);
    let now = std::fs::read_to_string(&path).expect("the picture was written");
    let committed = std::fs::read_to_string(repo_path("docs/img/sublingual-arc.svg"))
        .expect("docs/img/sublingual-arc.svg is committed");
    assert!(
        committed == now,
        "docs/img/sublingual-arc.svg is stale: run scripts/screenshots.sh"
    );
}

/// The README's live view is a frame of a real session, so its clock times vary by run; what
/// must hold is its size and that it shows the shipped scene's phases.
#[test]
fn the_readme_live_view_is_a_frame_of_the_shipped_scene() {
    let frame = std::fs::read_to_string(repo_path("docs/img/live-view.txt"))
        .expect("docs/img/live-view.txt is committed");
    let lines: Vec<&str> = frame.lines().collect();
    assert_eq!(lines.len(), 28, "a 100x28 frame:\n{frame}");
    assert!(lines.iter().all(|l| l.chars().count() <= 100), "{frame}");
    let scene: toml::Table = std::fs::read_to_string(repo_path("scenes/sublingual.toml"))
        .expect("the shipped scene")
        .parse()
        .expect("TOML");
    let scene_title = scene["title"].as_str().expect("the scene's title");
    assert!(lines[0].starts_with(scene_title), "{frame}");
    let plan: Value = serde_json::from_str(&text(&local(&["plan", "sublingual", "--json"]))).unwrap();
    let phases = plan["phases"].as_array().expect("phases");
    let shown = phases.iter().enumerate().any(|(i, p)| {
        let line = format!(
            "phase {}/{}  {}",
            i + 1,
            phases.len(),
            p["title"].as_str().unwrap()
        );
        lines.iter().any(|l| l.starts_with(&line))
    });
    assert!(shown, "no phase of the plan is the current one:\n{frame}");
    let readme = std::fs::read_to_string(repo_path("README.md")).expect("README.md");
    assert!(
        readme.contains(frame.trim_end()),
        "README.md shows another frame than docs/img/live-view.txt"
    );
    for picture in ["sublingual-arc", "session-report"] {
        assert!(readme.contains(&format!("(docs/img/{picture}.png)")), "{picture}");
        // The PNG is the SVG rendered: the same size, read from the PNG's header.
        let svg = std::fs::read_to_string(repo_path(&format!("docs/img/{picture}.svg"))).expect("svg");
        let png = std::fs::read(repo_path(&format!("docs/img/{picture}.png"))).expect("png");
        let side = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
        let size = format!("width=\"{}\" height=\"{}\"", side(16), side(20));
        assert!(
            svg.contains(&size),
            "docs/img/{picture}.png is not the SVG's size ({size})"
        );
    }
}

#[test]
fn a_real_session_as_picture_markdown_and_csv() {
    let daemon = Daemon::builder().speed(60.0).start();
    against(&daemon, &["start", "sublingual"]);
    against(&daemon, &["mark", "dose"]);
    against(&daemon, &["check"]);
    against(&daemon, &["resume"]);
    against(&daemon, &["next"]);
    against(&daemon, &["emergency"]);
    against(&daemon, &["resume"]);
    against(&daemon, &["stop"]);

    let report: Value = serde_json::from_str(&text(&against(&daemon, &["report", "--json"]))).unwrap();
    let session = report["session"].as_str().unwrap();
    let titles: Vec<&str> = report["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert!(titles.len() >= 2, "the session moved on once: {report}");

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("session.svg");
    against(&daemon, &["report", "--svg", path.to_str().unwrap()]);
    let svg = std::fs::read_to_string(&path).expect("the picture was written");
    assert_svg(&svg);
    for title in &titles {
        assert!(
            svg.contains(&escaped(title)),
            "phase `{title}` missing from the picture"
        );
    }
    for word in ["emergency", "check", "mark dose"] {
        assert!(svg.contains(word), "`{word}` missing from the picture");
    }
    picture::assert_reads_well(&svg, "the session's report");

    let markdown = text(&against(&daemon, &["report", "--markdown"]));
    assert!(
        markdown.starts_with(&format!("# Session {session}")),
        "{markdown}"
    );
    for title in &titles {
        assert!(markdown.contains(title), "phase `{title}` missing:\n{markdown}");
    }
    let overrides: Vec<&str> = markdown
        .lines()
        .filter(|l| l.starts_with("| emergency |") || l.starts_with("| check |"))
        .collect();
    assert_eq!(overrides.len(), 2, "one row per override:\n{markdown}");
    assert!(markdown.contains("dose at"), "{markdown}");
    // With the scene at hand, each phase's planned length stands beside the actual one.
    let config = repo_path("config/settingd.toml");
    let config = config.to_str().unwrap();
    let socket = daemon.socket().to_str().unwrap();
    let with_plan = text(&setting(&[
        "--config",
        config,
        "--socket",
        socket,
        "report",
        "--markdown",
    ]));
    assert!(
        with_plan.contains(&format!("| 1 | {} | 15 min |", titles[0])),
        "planned length of the first phase:\n{with_plan}"
    );

    let log = daemon
        .state_dir()
        .join("sessions")
        .join(session)
        .join("events.jsonl");
    assert!(Path::new(&log).exists(), "{}", log.display());
    let lines = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count();
    let as_json: Value = serde_json::from_str(&text(&setting(&[
        "--json",
        "report",
        "--csv",
        "--log",
        log.to_str().unwrap(),
    ])))
    .expect("--json with --csv is one JSON document");
    let csv_in_json = as_json["csv"].as_str().expect("the CSV in its field").to_string();
    for csv in [
        text(&against(&daemon, &["report", "--csv"])),
        text(&setting(&["report", "--csv", "--log", log.to_str().unwrap()])),
        csv_in_json,
    ] {
        let rows = parse_csv(&csv);
        assert_eq!(
            rows[0],
            [
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
                "flags"
            ]
        );
        assert_eq!(rows.len() - 1, lines, "one row per event line:\n{csv}");
        assert!(
            rows.iter().all(|r| r.len() == 13),
            "every row has thirteen fields:\n{csv}"
        );
        let kinds: Vec<&str> = rows.iter().map(|r| r[3].as_str()).collect();
        for kind in ["session_started", "mark_set", "override_started", "phase_entered"] {
            assert!(kinds.contains(&kind), "no `{kind}` row:\n{csv}");
        }
    }
}

/// Every row of the export, the header first, as a spreadsheet would read them (RFC 4180).
/// Flexible, so that a row with a field too many or too few fails the count below, by name.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|row| {
            let row = row.unwrap_or_else(|e| panic!("not CSV: {e}\n{text}"));
            row.iter().map(str::to_owned).collect()
        })
        .collect()
}
