//! `setting lights watch`: each light's level as a bar, its availability and the commands sent,
//! redrawn every half second until Ctrl-C. Plain ANSI; no redraw codes when not on a terminal.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use setting::protocol::Op;
use setting::protocol::{LightStatus, LightsReport};

use crate::args::Cli;
use crate::lights::{available, connect, headline, look, reported};

const EVERY: Duration = Duration::from_millis(500);
const BAR: usize = 20;
/// Cursor home and clear screen.
const REDRAW: &str = "\x1b[H\x1b[2J";

pub fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let mut client = connect(cli)?;
    let terminal = std::io::stdout().is_terminal();
    let mut stdout = std::io::stdout();
    // Ctrl-C's default action ends the process; nothing here needs undoing.
    loop {
        let report: LightsReport = client.request_as(&Op::Lights)?;
        if cli.json {
            writeln!(stdout, "{}", serde_json::to_string(&report)?)?;
        } else {
            if terminal {
                write!(stdout, "{REDRAW}")?;
            }
            // Read each time: a technician resizes the window while watching.
            let width = terminal
                .then(|| ratatui::crossterm::terminal::size().ok())
                .flatten()
                .map(|(cols, _)| usize::from(cols));
            write!(stdout, "{}", render(&report, width))?;
        }
        stdout.flush()?;
        std::thread::sleep(EVERY);
    }
}

// `write!` into a String cannot fail; the results below are ignored for that reason.

/// The columns a row can have, in the order they give way when the terminal is narrow: the
/// command count first, then the bar's length, then the look asked for. The light, its level,
/// whether it answers and what it says of itself always stay.
struct Columns {
    bar: usize,
    desired: bool,
    cmds: bool,
}

const FULL: Columns = Columns {
    bar: BAR,
    desired: true,
    cmds: true,
};

/// `width` is the terminal's; `None` when the output is not a terminal and nothing need give way.
pub fn render(report: &LightsReport, width: Option<usize>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}   (Ctrl-C to stop)", headline(report));
    let name_width = report
        .lights
        .iter()
        .map(|l| l.name.chars().count())
        .chain(std::iter::once("light".len()))
        .max()
        .unwrap_or(0);
    let choices = [
        FULL,
        Columns { cmds: false, ..FULL },
        Columns {
            bar: BAR / 2,
            cmds: false,
            ..FULL
        },
        Columns {
            bar: BAR / 2,
            desired: false,
            cmds: false,
        },
    ];
    let rows = |columns: &Columns| -> Vec<String> {
        let header = row(
            columns,
            name_width,
            ["light", "level", "", "up", "asked", "device says", "cmds"],
        );
        let lights = report.lights.iter().map(|light| {
            let level = level(light);
            row(
                columns,
                name_width,
                [
                    &light.name,
                    &bar(level, columns.bar),
                    &level.map_or("-".into(), |l| format!("{:.0}%", l * 100.0)),
                    available(report, light),
                    &light.desired.as_ref().map_or("-".into(), look),
                    &reported(light),
                    &light.commands.to_string(),
                ],
            )
        });
        std::iter::once(header).chain(lights).collect()
    };
    let fits = |lines: &Vec<String>| width.is_none_or(|w| lines.iter().all(|l| l.chars().count() < w));
    let last = rows(&choices[choices.len() - 1]);
    let lines = choices.iter().map(rows).find(fits).unwrap_or(last);
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(
        out,
        "commands sent {}, merged by the budget {}",
        report.commands_sent, report.commands_merged
    );
    out
}

/// One row: name, bar, level, up, asked, device says, cmds; left out what `columns` leaves out.
fn row(columns: &Columns, name_width: usize, cells: [&str; 7]) -> String {
    let [name, bar, level, up, asked, says, cmds] = cells;
    let mut line = format!(
        "{name:<name_width$}  {bar:<bar_width$}  {level:>4}  {up:<3}",
        bar_width = columns.bar + 2
    );
    if columns.desired {
        line.push_str(&format!("  {asked:<13}"));
    }
    line.push_str(&format!("  {says:<22}"));
    if columns.cmds {
        line.push_str(&format!("  {cmds:>4}"));
    }
    line.trim_end().to_string()
}

/// Where the light is, in perceived terms as a fraction: where the planner reckons it is part
/// way through a fade, else off if the device says so, else nothing known. (The device's
/// own raw level is shown beside it; the two scales differ by the light's curve.)
fn level(light: &LightStatus) -> Option<f32> {
    match (light.estimated, light.reported_on) {
        (Some(look), _) => Some((look.brightness / 100.0).clamp(0.0, 1.0)),
        (None, Some(false)) => Some(0.0),
        (None, _) => None,
    }
}

fn bar(level: Option<f32>, length: usize) -> String {
    let Some(level) = level else {
        return format!("[{}]", "?".repeat(length));
    };
    let filled = ((level * length as f32).round() as usize).min(length);
    format!("[{}{}]", "#".repeat(filled), ".".repeat(length - filled))
}

#[cfg(test)]
mod tests {
    use setting::scene::Look;

    use super::*;

    fn light(estimated: Option<f32>, reported_on: Option<bool>) -> LightStatus {
        LightStatus {
            name: "ceiling".into(),
            zone: "room".into(),
            family: "wled".into(),
            topic: "wled/ceiling".into(),
            available: None,
            desired: None,
            estimated: estimated.map(|brightness| Look {
                brightness,
                kelvin: 2700,
            }),
            reported_level: None,
            reported_kelvin: None,
            reported_on,
            commands: 0,
        }
    }

    #[test]
    fn bars_show_the_perceived_level_or_that_it_is_unknown() {
        assert_eq!(
            bar(Some(0.5), BAR),
            format!("[{}{}]", "#".repeat(10), ".".repeat(10))
        );
        assert_eq!(bar(Some(0.0), BAR), format!("[{}]", ".".repeat(BAR)));
        assert_eq!(bar(None, BAR), format!("[{}]", "?".repeat(BAR)));
        assert_eq!(bar(Some(0.5), 10), "[#####.....]");
        assert_eq!(level(&light(Some(25.0), None)), Some(0.25));
        assert_eq!(
            level(&light(None, Some(false))),
            Some(0.0),
            "a light that says it is off"
        );
        assert_eq!(
            level(&light(None, Some(true))),
            None,
            "on, but at what is unknown"
        );
    }

    #[test]
    fn each_light_is_one_line_with_its_raw_report_beside_the_bar() {
        let mut ceiling = light(Some(25.0), Some(true));
        ceiling.reported_level = Some(0.3);
        let report = LightsReport {
            summary: "mqtt".into(),
            connected: true,
            simulated: false,
            lights: vec![ceiling],
            commands_sent: 4,
            commands_merged: 1,
        };
        let text = render(&report, None);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "mqtt   (Ctrl-C to stop)");
        assert!(lines[1].starts_with("light    level"), "{text}");
        assert!(
            lines[2].starts_with("ceiling  [#####...............]   25%  ?"),
            "{text}"
        );
        assert!(lines[2].contains("on, 30 % raw"), "{text}");
        assert_eq!(lines[3], "commands sent 4, merged by the budget 1");
    }

    #[test]
    fn rows_fit_the_terminal_by_leaving_out_the_least_needed_columns() {
        let mut lamp = light(Some(40.0), Some(true));
        lamp.name = "reading-lamp-by-the-mat".into();
        lamp.reported_level = Some(0.123);
        lamp.reported_kelvin = Some(2700);
        lamp.desired = Some(Look {
            brightness: 40.0,
            kelvin: 2700,
        });
        let report = LightsReport {
            summary: "mqtt".into(),
            connected: true,
            simulated: false,
            lights: vec![lamp],
            commands_sent: 4,
            commands_merged: 1,
        };
        let wide = render(&report, None);
        for width in [80, 100] {
            let text = render(&report, Some(width));
            assert!(
                text.lines().all(|l| l.chars().count() < width),
                "{width}:\n{text}"
            );
            assert!(text.contains("reading-lamp-by-the-mat"), "{text}");
            assert!(text.contains("on, 12 % raw, 2700 K"), "{text}");
        }
        assert!(wide.lines().any(|l| l.chars().count() >= 100), "{wide}");
    }
}
