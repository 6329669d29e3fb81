//! `setting lights calibrate LIGHT`: steps one fixture through raw levels 1 % to 20 % (Enter
//! for the next, `b` to go back, `q` to stop at the current one), then prints the `min_level`
//! line for the config. Raw levels bypass the light's curve and its calibrated minimum.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use setting::protocol::{LightsCalibrateReply, Op};

use crate::args::Cli;
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

pub fn run(cli: &Cli, light: &str) -> anyhow::Result<ExitCode> {
    let mut client = connect(cli)?;
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
    use super::*;

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
