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
            write!(stdout, "{}", render(&report))?;
        }
        stdout.flush()?;
        std::thread::sleep(EVERY);
    }
}

// `write!` into a String cannot fail; the results below are ignored for that reason.

pub fn render(report: &LightsReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}   (Ctrl-C to stop)", headline(report));
    let width = report
        .lights
        .iter()
        .map(|l| l.name.chars().count())
        .max()
        .unwrap_or(0);
    for light in &report.lights {
        let _ = writeln!(
            out,
            "{:<width$}  {}  {:>4}  avail {:<3}  desired {:<13} reported {:<22} cmds {}",
            light.name,
            bar(level(light)),
            level(light).map_or("-".into(), |l| format!("{:.0}%", l * 100.0)),
            available(report, light),
            light.desired.as_ref().map_or("-".into(), look),
            reported(light),
            light.commands,
        );
    }
    let _ = writeln!(
        out,
        "commands sent {}, merged by the budget {}",
        report.commands_sent, report.commands_merged
    );
    out
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

fn bar(level: Option<f32>) -> String {
    let Some(level) = level else {
        return format!("[{}]", "?".repeat(BAR));
    };
    let filled = (level * BAR as f32).round() as usize;
    format!("[{}{}]", "#".repeat(filled), ".".repeat(BAR - filled))
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
        assert_eq!(bar(Some(0.5)), format!("[{}{}]", "#".repeat(10), ".".repeat(10)));
        assert_eq!(bar(Some(0.0)), format!("[{}]", ".".repeat(BAR)));
        assert_eq!(bar(None), format!("[{}]", "?".repeat(BAR)));
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
        let text = render(&LightsReport {
            summary: "mqtt".into(),
            connected: true,
            lights: vec![ceiling],
            commands_sent: 4,
            commands_merged: 1,
        });
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "mqtt   (Ctrl-C to stop)");
        assert!(
            lines[1].starts_with("ceiling  [#####...............]   25%  avail ?"),
            "{text}"
        );
        assert!(lines[1].contains("reported on, 30 % raw"), "{text}");
        assert_eq!(lines[2], "commands sent 4, merged by the budget 1");
    }
}
