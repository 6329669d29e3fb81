//! `setting rooms`: every room on the clinic's broker, from the state each room's daemon keeps
//! retained there: online or not, and where its session stands.

use std::fmt::Write;
use std::process::ExitCode;
use std::time::Duration;

use setting::remote::RoomState;
use setting::remote::client::{RoomList, list_rooms};
use setting::time::Millis;

use crate::args::Cli;
use crate::failure::Failure;
use crate::locate;

/// How long the broker has to let the CLI in and hand over the rooms' documents.
const WAIT: Duration = Duration::from_secs(5);

pub fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let target = locate::broker(cli)?;
    let list = list_rooms(&target.access, &target.prefix, WAIT).map_err(Failure::Remote)?;
    for topic in &list.unreadable {
        eprintln!(
            "setting: the state on {topic} could not be read, or names another room (another \
             version of settingd, or a copy?)"
        );
    }
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&list.rooms)?);
    } else {
        print!("{}", render(&list, &target.prefix));
    }
    Ok(ExitCode::SUCCESS)
}

// `write!` into a String cannot fail; the results below are ignored for that reason.

fn render(list: &RoomList, prefix: &str) -> String {
    let mut out = String::new();
    if list.rooms.is_empty() {
        let _ = writeln!(
            out,
            "no room has published its state under {prefix}/+/state: is any settingd running with \
             [remote] enabled on this broker?"
        );
        return out;
    }
    let rows: Vec<[String; 6]> = list.rooms.iter().map(row).collect();
    let header = ["ROOM", "ONLINE", "SCENE", "PHASE", "SESSION", "MODE"].map(String::from);
    let mut widths = header.clone().map(|h| h.len());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (cell, width) in row.iter().zip(widths) {
            let _ = write!(line, "{cell:<width$}  ");
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

/// The documents come from the network: numbers are not trusted to be small (a wrapped or
/// panicking sum would hide every other room).
fn row(room: &RoomState) -> [String; 6] {
    let online = if room.online { "yes" } else { "no" }.to_string();
    match &room.session {
        Some(s) => [
            room.room.clone(),
            online,
            s.scene.clone(),
            format!(
                "{}/{} {}",
                s.phase_index.saturating_add(1),
                s.phase_count,
                s.phase_title
            ),
            Millis(s.session_seconds.saturating_mul(1000)).to_string(),
            s.mode.clone(),
        ],
        None => {
            let idle = if !room.online {
                "-".to_string()
            } else if room.emergency_without_session.is_empty() {
                "no session".to_string()
            } else {
                format!(
                    "EMERGENCY (no session: {})",
                    room.emergency_without_session.join(", ")
                )
            };
            [
                room.room.clone(),
                online,
                "-".into(),
                "-".into(),
                "-".into(),
                idle,
            ]
        }
    }
}

#[cfg(test)]
mod tests {
    use setting::remote::SessionState;

    use super::*;

    fn session() -> SessionState {
        SessionState {
            id: "s1".into(),
            scene: "sublingual".into(),
            scene_title: "Sublingual lozenge".into(),
            phase: "peak".into(),
            phase_title: "Build and peak".into(),
            phase_index: 4,
            phase_count: 8,
            session_seconds: 4210,
            phase_remaining_seconds: 0,
            mode: "held".into(),
            paused: false,
            muted: false,
            emergency: false,
            volume_offset_db: 0.0,
        }
    }

    #[test]
    fn one_line_per_room_in_columns() {
        let mut a = RoomState::offline("room-a");
        a.online = true;
        a.session = Some(session());
        let b = RoomState::offline("room-b");
        let mut c = RoomState::offline("room-c");
        c.online = true;
        let text = render(
            &RoomList {
                rooms: vec![a, b, c],
                unreadable: Vec::new(),
            },
            "setting",
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[0].starts_with("ROOM    ONLINE  SCENE"), "{text}");
        assert_eq!(
            lines[1],
            "room-a  yes     sublingual  5/8 Build and peak  1:10:10  held"
        );
        assert!(lines[2].starts_with("room-b  no "), "{text}");
        assert!(lines[3].ends_with("no session"), "{text}");
    }

    #[test]
    fn numbers_from_a_foreign_document_do_not_overflow() {
        let mut a = RoomState::offline("room-a");
        a.online = true;
        a.session = Some(SessionState {
            phase_index: usize::MAX,
            session_seconds: u64::MAX,
            ..session()
        });
        let text = render(
            &RoomList {
                rooms: vec![a],
                unreadable: Vec::new(),
            },
            "setting",
        );
        let line = text.lines().nth(1).expect("room-a's line");
        assert!(
            line.contains(&format!("{}/8 Build and peak", usize::MAX)),
            "{text}"
        );
        assert!(line.contains(&Millis(u64::MAX).to_string()), "{text}");
    }

    #[test]
    fn no_rooms_says_where_it_looked() {
        let text = render(&RoomList::default(), "clinic");
        assert!(text.contains("clinic/+/state"), "{text}");
    }
}
