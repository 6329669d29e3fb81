//! The watch view drawn into ratatui's test backend from a known state.

use std::collections::BTreeMap;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use setting::protocol::DaemonInfo;
use setting::protocol::{LightStatus, LightsReport};
use setting::scene::{Look, PhaseEnd};
use setting::timeline::{MusicTarget, PhaseStatus};

use super::*;

fn status(session_mins: u64) -> Status {
    Status {
        session: "s1".into(),
        scene: "sublingual".into(),
        scene_title: "Sublingual lozenge".into(),
        session_time: Millis::from_mins(session_mins),
        timeline_time: Millis::from_mins(session_mins),
        phase: PhaseStatus {
            index: 1,
            count: 3,
            id: "peak".into(),
            title: "Build and peak".into(),
            ends: PhaseEnd::Timer,
            elapsed: Millis::from_mins(session_mins.saturating_sub(20)),
            planned: Millis::from_mins(40),
            max: None,
            remaining: Millis::from_mins(60u64.saturating_sub(session_mins)),
            next_phase: Some("Return".into()),
        },
        marks: BTreeMap::new(),
        next: None,
        overrides: Vec::new(),
        held: false,
        paused: false,
        muted: true,
        volume_offset_db: 0.0,
        music: MusicTarget {
            playlist: Some("peak".into()),
            level_db: -12.0,
            muted: true,
            paused: false,
            fade: Millis::ZERO,
            resume_from: None,
        },
        lights: BTreeMap::from([
            (
                "room".into(),
                Look {
                    brightness: 5.0,
                    kelvin: 2200,
                },
            ),
            (
                "mat-1".into(),
                Look {
                    brightness: 10.0,
                    kelvin: 2000,
                },
            ),
        ]),
        pending_prompt: Some("The planned 40:00 of `Build and peak` has passed".into()),
        prompts: vec![setting::timeline::QueuedPrompt {
            number: 2,
            text: "Blood pressure".into(),
            asks: None,
            raised: Millis::from_mins(60),
            skipped_phase: None,
            remind_at: Millis::from_mins(70),
            reminders: 1,
        }],
        skipped_phases: Vec::new(),
        finished: false,
        unrecorded: 0,
    }
}

fn light(name: &str, zone: &str, available: bool) -> LightStatus {
    LightStatus {
        name: name.into(),
        zone: zone.into(),
        family: "zigbee2mqtt".into(),
        topic: name.into(),
        available: Some(available),
        desired: None,
        estimated: None,
        reported_level: None,
        reported_kelvin: None,
        reported_on: None,
        commands: 0,
    }
}

fn view(session_mins: u64) -> View {
    View {
        reply: Some(StatusReply {
            daemon: DaemonInfo {
                version: "0.1.0".into(),
                room: "room-1".into(),
                speed: 1.0,
                socket: "/run/setting/settingd.sock".into(),
                state_dir: "/var/lib/setting".into(),
                audio: "null".into(),
                heard: None,
                lights: "simulated".into(),
                warnings: Vec::new(),
                emergency_without_session: Vec::new(),
            },
            session: Some(status(session_mins)),
            lights: Some(LightsReport {
                summary: "simulated".into(),
                connected: true,
                simulated: false,
                lights: vec![light("a", "room", true), light("b", "reading-lamp", false)],
                commands_sent: 0,
                commands_merged: 0,
            }),
        }),
        arc: Some(Arc {
            phases: vec![
                ("Arrive".into(), Millis::ZERO, Millis::from_mins(20)),
                (
                    "Build and peak".into(),
                    Millis::from_mins(20),
                    Millis::from_mins(60),
                ),
                ("Return".into(), Millis::from_mins(60), Millis::from_mins(100)),
            ],
            total: Millis::from_mins(100),
        }),
        track: Some("01-drift.flac".into()),
        events: VecDeque::from(["    1:01      1:00  dose marked".to_string()]),
        unreachable: None,
    }
}

fn screen(view: &View, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| draw(view, f.area(), f.buffer_mut())).unwrap();
    terminal.backend().buffer().clone()
}

fn text(buf: &Buffer) -> String {
    let area = buf.area;
    (area.top()..area.bottom())
        .map(|y| {
            (area.left()..area.right())
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                + "\n"
        })
        .collect()
}

/// The column of the "now" marker on the arc's third row.
fn marker_column(buf: &Buffer) -> u16 {
    let row = 3;
    (0..buf.area.width)
        .find(|&x| buf[(x, row)].symbol() == "▲")
        .unwrap_or_else(|| panic!("no marker in\n{}", text(buf)))
}

#[test]
fn the_prompt_phase_zones_music_and_events_are_shown() {
    let shown = text(&screen(&view(30), 100, 30));
    for expected in [
        "#2 AGAIN Blood pressure",
        "Build and peak",
        "room",
        "mat-1",
        "reading-lamp",
        "0/1 up",
        "-12.0 dB muted",
        "01-drift.flac",
        "dose marked",
        "phase 2/3",
    ] {
        assert!(shown.contains(expected), "missing {expected:?} in\n{shown}");
    }
}

#[test]
fn the_marker_moves_along_the_arc_with_session_time() {
    let early = marker_column(&screen(&view(25), 100, 30));
    let later = marker_column(&screen(&view(50), 100, 30));
    // 25 of 100 minutes across 100 columns is column 25; 50 is column 50.
    assert_eq!((early, later), (25, 50));
}

#[test]
fn nothing_is_drawn_outside_the_area() {
    let mut buf = Buffer::empty(Rect::new(0, 0, 120, 40));
    let area = Rect::new(7, 4, 90, 28);
    draw(&view(30), area, &mut buf);
    for y in 0..40 {
        for x in 0..120 {
            if !area.contains((x, y).into()) {
                assert_eq!(buf[(x, y)], Default::default(), "cell {x},{y} was drawn on");
            }
        }
    }
    assert!(text(&buf).contains("#2 AGAIN Blood pressure"));
}

#[test]
fn a_narrow_terminal_still_shows_the_prompt() {
    let shown = text(&screen(&view(30), 60, 20));
    assert!(shown.contains("#2 AGAIN Blood pressure"), "{shown}");
    assert!(shown.contains("Build and peak"), "{shown}");
}

#[test]
fn no_cell_has_a_bright_background() {
    let buf = screen(&view(30), 100, 30);
    for cell in buf.content() {
        assert!(
            matches!(cell.bg, Color::Black | Color::Reset),
            "background {:?}",
            cell.bg
        );
    }
}

#[test]
fn a_lost_daemon_is_said_while_the_last_state_stays() {
    let mut lost = view(30);
    lost.unreachable = Some("connection refused".into());
    let shown = text(&screen(&lost, 120, 30));
    assert!(shown.contains("daemon not answering"), "{shown}");
    assert!(shown.contains("#2 AGAIN Blood pressure"), "{shown}");
}

#[test]
fn a_frame_as_text_is_the_screen_row_by_row_without_trailing_spaces() {
    let buf = screen(&view(30), 100, 30);
    let lines = text_lines(&buf);
    assert_eq!(lines.len(), 30);
    let screen_rows: Vec<String> = text(&buf).lines().map(|l| l.trim_end().to_string()).collect();
    assert_eq!(lines, screen_rows);
    assert!(lines.iter().all(|l| !l.ends_with(' ')));
    assert!(
        lines.iter().any(|l| l.contains("#2 AGAIN Blood pressure")),
        "{lines:#?}"
    );
}

#[test]
fn a_wide_symbol_in_a_frame_hides_the_cell_it_covers() {
    let mut buf = Buffer::empty(Rect::new(0, 0, 6, 1));
    buf.set_string(0, 0, "日本a", Style::new());
    assert_eq!(text_lines(&buf), ["日本a"]);
}

#[test]
fn a_disk_that_refuses_the_record_is_said_in_the_header() {
    let mut v = view(30);
    assert!(!text(&screen(&v, 100, 30)).contains("EVENTS NOT RECORDED"));
    v.reply.as_mut().unwrap().daemon.warnings =
        vec!["EVENTS NOT RECORDED: the state disk is full since session time 30:00".into()];
    let shown = text(&screen(&v, 140, 30));
    let header = shown.lines().next().unwrap();
    assert!(header.contains("EVENTS NOT RECORDED"), "{header}");
}

#[test]
fn clinical_prompts_are_bright_and_numbered_and_the_hint_is_quiet_and_apart() {
    let buf = screen(&view(30), 100, 30);
    let lines = text_lines(&buf);
    let prompt_row = lines
        .iter()
        .position(|l| l.contains("#2 AGAIN Blood pressure"))
        .unwrap_or_else(|| panic!("{lines:#?}"));
    let hint_row = lines
        .iter()
        .position(|l| l.contains("hint: The planned 40:00 of `Build and peak` has passed"))
        .unwrap_or_else(|| panic!("{lines:#?}"));
    assert_ne!(prompt_row, hint_row);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("PROMPTS 1 waiting · a acknowledges #2")),
        "{lines:#?}"
    );
    // The hint keeps its own words (no shouting capitals), in grey; the prompt is bright.
    let col = |row: usize, needle: &str| lines[row].find(needle).map(|b| lines[row][..b].chars().count());
    let hint_x = col(hint_row, "hint").unwrap() as u16;
    let prompt_x = col(prompt_row, "Blood").unwrap() as u16;
    assert_eq!(buf[(hint_x, hint_row as u16)].fg, crate::watch_layout::GREY);
    assert_eq!(buf[(prompt_x, prompt_row as u16)].fg, crate::watch_layout::PROMPT);
}

#[test]
fn prompts_beyond_the_box_are_counted_not_cut() {
    let mut many = view(30);
    let session = many.reply.as_mut().unwrap().session.as_mut().unwrap();
    let first = session.prompts[0].clone();
    session.prompts = (1..=4)
        .map(|n| setting::timeline::QueuedPrompt {
            number: n,
            text: format!("check number {n}"),
            ..first.clone()
        })
        .collect();
    let shown = text(&screen(&many, 100, 30));
    assert!(shown.contains("check number 1"), "{shown}");
    assert!(shown.contains("+3 more: `setting status` lists them"), "{shown}");
    assert!(shown.contains("hint: The planned"), "{shown}");
}

/// The arc's three rows as text.
fn arc_rows(buf: &Buffer) -> Vec<String> {
    text_lines(buf)[1..4].to_vec()
}

#[test]
fn the_marker_follows_the_phase_the_session_is_in_not_the_planned_clock() {
    // Session minute 17 but already in phase 2 of 3 (the dose was marked early), 2 minutes in:
    // the marker belongs in the second segment, not at the planned clock's column 17.
    let mut early = view(17);
    let status = early.reply.as_mut().unwrap().session.as_mut().unwrap();
    status.phase.elapsed = Millis::from_mins(2);
    let col = marker_column(&screen(&early, 100, 30));
    assert_eq!(col, 22, "{}", arc_rows(&screen(&early, 100, 30)).join("\n"));
}

#[test]
fn a_phase_running_long_keeps_the_marker_in_its_segment_and_says_so() {
    // Phase 2 planned 40 minutes (columns 20 to 60), 55 minutes in.
    let mut long = view(75);
    let status = long.reply.as_mut().unwrap().session.as_mut().unwrap();
    status.phase.elapsed = Millis::from_mins(55);
    let buf = screen(&long, 100, 30);
    let col = marker_column(&buf);
    assert_eq!(col, 59, "the marker waits at its phase's last column");
    let rows = arc_rows(&buf);
    assert!(rows[2].contains("running long, +15:00"), "{rows:#?}");
    // The next phase's segment is not drawn as passed.
    let bar: Vec<char> = rows[1].chars().collect();
    assert!(bar[61..].iter().all(|&c| c != '━'), "{rows:#?}");
}

#[test]
fn phase_names_are_cut_at_words_and_the_current_one_is_whole() {
    let mut v = view(30);
    v.arc = Some(Arc {
        phases: vec![
            ("Arrival and settling".into(), Millis::ZERO, Millis::from_mins(10)),
            (
                "Build and peak".into(),
                Millis::from_mins(10),
                Millis::from_mins(15),
            ),
            ("Return".into(), Millis::from_mins(15), Millis::from_mins(100)),
        ],
        total: Millis::from_mins(100),
    });
    let rows = arc_rows(&screen(&v, 80, 24));
    assert!(rows[0].contains("Build and peak"), "{rows:#?}");
    assert!(!rows[0].contains("Arrival a"), "cut mid-word: {rows:#?}");
    assert!(rows[0].contains("Return"), "{rows:#?}");
}

#[test]
fn a_small_terminal_keeps_the_arc_and_ends_a_cut_prompt_with_an_ellipsis() {
    let mut v = view(30);
    let status = v.reply.as_mut().unwrap().session.as_mut().unwrap();
    status.prompts[0].text = "Baseline blood pressure and pulse before dosing; note the reading and how the \
                              client describes their intention for today's session before the lozenge is given"
        .into();
    status.overrides = Vec::new();
    for zone in ["mat-2", "mat-3", "hall"] {
        status.lights.insert(
            zone.into(),
            Look {
                brightness: 5.0,
                kelvin: 2200,
            },
        );
    }
    let lines = text_lines(&screen(&v, 60, 16));
    let shown = lines.join("\n");
    assert!(lines[3].contains('▲'), "the arc is gone:\n{shown}");
    assert!(shown.contains("Baseline blood pressure"), "{shown}");
    assert!(shown.contains('…'), "a cut prompt must say it is cut:\n{shown}");
    assert!(
        shown.contains("reading-lamp"),
        "a zone with a light down stays:\n{shown}"
    );
}

#[test]
fn wrapping_keeps_words_and_marks_what_is_left_out() {
    assert_eq!(wrap_fit("one two three", 20, 2), ["one two three"]);
    assert_eq!(wrap_fit("one two three", 8, 2), ["one two", "three"]);
    let cut = wrap_fit("one two three four five", 8, 2);
    assert_eq!(cut.len(), 2);
    assert!(cut[1].ends_with('…'), "{cut:?}");
    assert!(cut.iter().all(|l| l.chars().count() <= 8), "{cut:?}");
}
