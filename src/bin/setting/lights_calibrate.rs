//! `setting lights calibrate LIGHT`: steps one fixture through raw levels 1 % to 20 % (Enter
//! for the next, `b` to go back, `q` to stop at the current one), then prints the `min_level`
//! line for the config. Raw levels bypass the light's curve and its calibrated minimum.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use setting::protocol::{LightsCalibrateReply, LightsReport, Op};

use crate::args::Cli;
use crate::failure::Failure;
use crate::lights::connect;

/// The raw levels offered, in percent of the device's range.
const LEVELS: std::ops::RangeInclusive<u8> = 1..=20;

/// What the technician typed.
#[derive(Debug, PartialEq, Eq)]
enum Key {
    Next,
    Back,
    Quit,
}

fn key(line: &str) -> Option<Key> {
    match line.trim() {
        "" | "n" => Some(Key::Next),
        "b" => Some(Key::Back),
        "q" => Some(Key::Quit),
        _ => None,
    }
}

/// The level after a key, or `None` to stop there. Past the last level it stays on it.
fn step(level: u8, key: &Key) -> Option<u8> {
    match key {
        Key::Next => Some((level + 1).min(*LEVELS.end())),
        Key::Back => Some(level.saturating_sub(1).max(*LEVELS.start())),
        Key::Quit => None,
    }
}

/// Why `name` cannot be calibrated as it stands: it is a zone, and calibration finds one
/// fixture's lowest steady level, so the technician is told which lights to name instead.
fn a_zone_not_a_light(report: &LightsReport, name: &str) -> Option<String> {
    if report.lights.iter().any(|l| l.name == name) {
        return None;
    }
    let lights: Vec<&str> = report
        .lights
        .iter()
        .filter(|l| l.zone == name)
        .map(|l| l.name.as_str())
        .collect();
    let first = lights.first()?;
    Some(format!(
        "`{name}` is a zone; calibration finds one light's min_level, so name one of its lights \
         and calibrate each in turn: {} (e.g. `setting lights calibrate {first}`)",
        lights.join(", ")
    ))
}

pub fn run(cli: &Cli, light: &str) -> anyhow::Result<ExitCode> {
    let mut client = connect(cli)?;
    let report: LightsReport = client.request_as(&Op::Lights)?;
    if let Some(why) = a_zone_not_a_light(&report, light) {
        return Err(Failure::Refused(why).into());
    }
    let mut level = *LEVELS.start();
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut stdout = std::io::stdout();
    // Prompts go to stderr when JSON is wanted, so stdout holds only the result.
    let mut say = |text: &str| -> std::io::Result<()> {
        if cli.json {
            eprint!("{text}");
            Ok(())
        } else {
            write!(stdout, "{text}")?;
            stdout.flush()
        }
    };
    say(&format!(
        "calibrating {light}: raise the level until the light is steadily on (no flicker); Enter: next, b: back, q: keep this one\n"
    ))?;
    loop {
        let op = Op::LightsCalibrate {
            light: light.to_string(),
            level: f32::from(level) / 100.0,
        };
        let _: LightsCalibrateReply = client.request_as(&op)?;
        say(&format!("{light} at raw level {level} % > "))?;
        let mut line = String::new();
        // End of input counts as `q`: the level reached is the answer.
        let typed = if input.read_line(&mut line)? == 0 {
            Key::Quit
        } else {
            match key(&line) {
                Some(k) => k,
                None => {
                    say("Enter for the next level, b to go back, q to keep this one\n")?;
                    continue;
                }
            }
        };
        match step(level, &typed) {
            Some(next) => level = next,
            None => break,
        }
    }
    if cli.json {
        println!("{}", serde_json::json!({ "light": light, "min_level": level }));
    } else {
        println!("\nput this in the config under the light named {light}:\nmin_level = {level}");
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use setting::protocol::LightStatus;

    use super::*;

    fn report(lights: &[(&str, &str)]) -> LightsReport {
        let lights = lights
            .iter()
            .map(|(name, zone)| LightStatus {
                name: name.to_string(),
                zone: zone.to_string(),
                family: "zigbee2mqtt".into(),
                topic: format!("zigbee2mqtt/{name}"),
                available: Some(true),
                desired: None,
                estimated: None,
                reported_level: None,
                reported_kelvin: None,
                reported_on: None,
                commands: 0,
            })
            .collect();
        LightsReport {
            summary: String::new(),
            connected: true,
            simulated: false,
            lights,
            commands_sent: 0,
            commands_merged: 0,
        }
    }

    #[test]
    fn a_zone_is_answered_with_its_lights() {
        let room = report(&[
            ("ceiling-1", "room"),
            ("ceiling-2", "room"),
            ("mat-1-lamp", "mat-1"),
        ]);
        assert_eq!(a_zone_not_a_light(&room, "ceiling-2"), None);
        assert_eq!(
            a_zone_not_a_light(&room, "nothing"),
            None,
            "left to the daemon to refuse"
        );
        let why = a_zone_not_a_light(&room, "room").unwrap();
        assert!(why.starts_with("`room` is a zone;"), "{why}");
        assert!(
            why.contains(": ceiling-1, ceiling-2 (e.g. `setting lights calibrate ceiling-1`)"),
            "{why}"
        );
        let why = a_zone_not_a_light(&room, "mat-1").unwrap();
        assert!(why.contains(": mat-1-lamp (e.g."), "{why}");
    }

    #[test]
    fn keys_step_within_the_range() {
        assert_eq!(key("\n"), Some(Key::Next));
        assert_eq!(key("b\n"), Some(Key::Back));
        assert_eq!(key(" q "), Some(Key::Quit));
        assert_eq!(key("x"), None);
        assert_eq!(step(1, &Key::Back), Some(1), "never below 1 %");
        assert_eq!(step(3, &Key::Next), Some(4));
        assert_eq!(step(20, &Key::Next), Some(20), "never above 20 %");
        assert_eq!(step(4, &Key::Back), Some(3));
        assert_eq!(step(4, &Key::Quit), None);
    }
}
