//! `setting lights`: the technicians' tools for the room's fixtures: list, set, test, watch and
//! calibrate. Refused by the daemon while a session runs (the scene owns the lights then).

use std::fmt::Write;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use setting::protocol::{KELVIN_RANGE, LightOrder, LightsSetReply, LightsTestReply, Op, Pace};
use setting::protocol::{LightStatus, LightsReport};
use setting::scene::Look;
use setting::time::parse_duration;

use crate::args::Cli;
use crate::client::Client;
use crate::failure::Failure;

#[derive(Debug, Subcommand)]
pub enum LightsCommand {
    /// Every light: zone, family, topic, availability, desired and reported state, commands.
    List,
    /// Move a zone or one light, e.g. `lights set room 40% 2700K --fade 30s`, `lights set
    /// room off`; without a colour temperature each light keeps its own.
    Set(SetArgs),
    /// A gentle pattern (dim warm, brighter cooler, off; 3 s each) on a zone or light, or on
    /// every zone.
    Test {
        /// A zone or a light; every zone when left out.
        #[arg(value_name = "ZONE|LIGHT")]
        target: Option<String>,
    },
    /// Each light's level, availability and commands, redrawn twice a second until Ctrl-C.
    Watch,
    /// Find a fixture's lowest usable level: steps through raw levels 1 % to 20 % and prints
    /// the `min_level` line for the config.
    Calibrate {
        #[arg(value_name = "LIGHT")]
        light: String,
    },
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// A zone or a light.
    #[arg(value_name = "ZONE|LIGHT")]
    pub target: String,
    /// Perceived brightness, `40%` or `40`; `off` or `0%` is off.
    #[arg(value_parser = parse_percent, value_name = "BRIGHTNESS")]
    pub brightness: f32,
    /// Colour temperature, `2700K` or `2700`; left out, each light keeps its own.
    #[arg(value_parser = parse_kelvin, value_name = "KELVIN")]
    pub kelvin: Option<u16>,
    /// How long the change takes: `0s`, `30s`, `2m`.
    // Hyphen values, so `-5s` is refused as a duration rather than read as an unknown flag.
    #[arg(
        long,
        default_value = "0s",
        allow_hyphen_values = true,
        value_parser = parse_fade,
        value_name = "DURATION"
    )]
    pub fade: String,
}

pub fn run(cli: &Cli, command: &LightsCommand) -> anyhow::Result<ExitCode> {
    match command {
        LightsCommand::List => list(cli),
        LightsCommand::Set(args) => set(cli, args),
        LightsCommand::Test { target } => test(cli, target.clone()),
        LightsCommand::Watch => crate::lights_watch::run(cli),
        LightsCommand::Calibrate { light } => crate::lights_calibrate::run(cli, light),
    }
}

/// A connection to the daemon the command line points at.
pub fn connect(cli: &Cli) -> anyhow::Result<Client> {
    Client::for_cli(cli)
}

fn list(cli: &Cli) -> anyhow::Result<ExitCode> {
    let report: LightsReport = connect(cli)?.request_as(&Op::Lights)?;
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render_list(&report));
    }
    Ok(ExitCode::SUCCESS)
}

fn set(cli: &Cli, args: &SetArgs) -> anyhow::Result<ExitCode> {
    // Checked here as the daemon would, so a bad value is bad input before anything is sent.
    let order = LightOrder::new(&args.target, args.brightness, args.kelvin, Some(&args.fade))
        .map_err(Failure::BadInput)?;
    let op = Op::LightsSet {
        target: order.target.clone(),
        brightness: order.brightness,
        kelvin: order.kelvin,
        fade: Some(args.fade.clone()),
    };
    let reply: LightsSetReply = connect(cli)?.request_as(&op)?;
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&reply)?);
    } else {
        println!(
            "{} heading for {} over {}; `setting lights list` shows what the lights report",
            order.target,
            ordered(order.brightness, order.kelvin),
            args.fade
        );
        // A step the budget holds back is said, light by light: the technician reading a
        // bulb by eye must know it has not been sent yet, and that a quicker next step
        // replaces it.
        for pace in &reply.paces {
            if pace.pace != Pace::AtOnce || pace.replaced_waiting {
                println!("  {}: {}", pace.light, pace.describe());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn test(cli: &Cli, target: Option<String>) -> anyhow::Result<ExitCode> {
    let reply: LightsTestReply = connect(cli)?.request_as(&Op::LightsTest { target })?;
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&reply)?);
    } else {
        let steps: Vec<String> = reply
            .steps
            .iter()
            .map(|s| format!("{} over {}", look(&s.look), s.fade))
            .collect();
        println!(
            "testing {}: {} (about {} in all)",
            reply.targets.join(", "),
            steps.join(", then "),
            reply.takes()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// What a `lights set` asked for: `40 % 2700 K`, `40 % (colour temperature kept)`, or `off`.
fn ordered(brightness: f32, kelvin: Option<u16>) -> String {
    match kelvin {
        Some(kelvin) => look(&Look { brightness, kelvin }),
        None if brightness <= 0.0 => "off".into(),
        None => format!("{brightness:.0} % (each light keeps its colour temperature)"),
    }
}

/// `40 %`, `2700 K`, or `off`.
pub fn look(look: &Look) -> String {
    if look.brightness <= 0.0 {
        "off".into()
    } else {
        format!("{:.0} % {} K", look.brightness, look.kelvin)
    }
}

/// `yes`, `NO` or `?`; a simulated light that answers is `sim`, never taken for the room's.
pub fn available(report: &LightsReport, light: &LightStatus) -> &'static str {
    match light.available {
        Some(true) if report.simulated => "sim",
        Some(true) => "yes",
        Some(false) => "NO",
        None => "?",
    }
}

/// What the device last said: `on, 19 % raw, 2700 K`, `off`, or `-` before it has said
/// anything. The level is the device's own (a share of its range), not the perceived
/// brightness a look speaks: the curve puts 50 % perceived near 19 % raw.
pub fn reported(light: &LightStatus) -> String {
    let mut parts = Vec::new();
    match light.reported_on {
        Some(false) => return "off".into(),
        Some(true) => parts.push("on".to_string()),
        None => {}
    }
    if let Some(level) = light.reported_level {
        parts.push(format!("{:.0} % raw", level * 100.0));
    }
    if let Some(kelvin) = light.reported_kelvin {
        parts.push(format!("{kelvin} K"));
    }
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(", ")
    }
}

/// The adapter's one line, marked loudly when its lights are out of reach.
pub fn headline(report: &LightsReport) -> String {
    if report.connected || report.lights.is_empty() {
        report.summary.clone()
    } else {
        format!("NOT CONNECTED: {}", report.summary)
    }
}

// `write!` into a String cannot fail; the results below are ignored for that reason.

pub fn render_list(report: &LightsReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", headline(report));
    if report.lights.is_empty() {
        let _ = writeln!(out, "no lights configured");
        return out;
    }
    let header = [
        "LIGHT",
        "ZONE",
        "FAMILY",
        "TOPIC",
        "AVAILABLE",
        "DESIRED",
        "REPORTED",
        "COMMANDS",
    ];
    let rows: Vec<[String; 8]> = report
        .lights
        .iter()
        .map(|l| {
            [
                l.name.clone(),
                l.zone.clone(),
                l.family.clone(),
                l.topic.clone(),
                available(report, l).to_string(),
                l.desired.as_ref().map_or("-".into(), look),
                reported(l),
                l.commands.to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(&header.map(String::from)));
    for row in &rows {
        let _ = writeln!(out, "{}", line(row));
    }
    let _ = writeln!(
        out,
        "commands sent {}, merged by the budget {}",
        report.commands_sent, report.commands_merged
    );
    out
}

/// `40%`, `40 %` or `40`: perceived brightness in percent; `off` is 0.
fn parse_percent(text: &str) -> Result<f32, String> {
    if text.trim().eq_ignore_ascii_case("off") {
        return Ok(0.0);
    }
    let number = text.trim().trim_end_matches('%').trim_end();
    match number.parse::<f32>() {
        Ok(p) if p.is_finite() && (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!(
            "`{text}` is not a brightness; expected 0% to 100% (e.g. 40%), or off"
        )),
    }
}

/// `2700K`, `2700 K` or `2700`.
fn parse_kelvin(text: &str) -> Result<u16, String> {
    let number = text.trim().trim_end_matches(['K', 'k']).trim_end();
    match number.parse::<u16>() {
        Ok(k) if KELVIN_RANGE.contains(&k) => Ok(k),
        _ => Err(format!(
            "`{text}` is not a colour temperature; expected {}K to {}K, e.g. 2700K",
            KELVIN_RANGE.start(),
            KELVIN_RANGE.end()
        )),
    }
}

fn parse_fade(text: &str) -> Result<String, String> {
    parse_duration(text)
        .map(|_| text.trim().to_string())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn light(name: &str, zone: &str) -> LightStatus {
        LightStatus {
            name: name.into(),
            zone: zone.into(),
            family: "zigbee2mqtt".into(),
            topic: format!("zigbee2mqtt/{name}"),
            available: Some(true),
            desired: Some(Look {
                brightness: 40.0,
                kelvin: 2700,
            }),
            estimated: None,
            reported_level: Some(0.4),
            reported_kelvin: Some(2703),
            reported_on: Some(true),
            commands: 3,
        }
    }

    #[test]
    fn values_read_the_way_technicians_type_them() {
        assert_eq!(parse_percent("40%"), Ok(40.0));
        assert_eq!(parse_percent("40"), Ok(40.0));
        assert_eq!(parse_percent("0 %"), Ok(0.0));
        assert_eq!(parse_percent("off"), Ok(0.0));
        assert_eq!(parse_percent("OFF"), Ok(0.0));
        assert!(parse_percent("140%").is_err());
        assert!(parse_percent("bright").is_err());
        assert_eq!(parse_kelvin("2700K"), Ok(2700));
        assert_eq!(parse_kelvin("2700"), Ok(2700));
        assert!(parse_kelvin("27").is_err());
        assert!(parse_kelvin("warm").is_err());
        assert!(parse_fade("30s").is_ok());
        assert!(parse_fade("a while").is_err());
    }

    #[test]
    fn off_and_a_brightness_alone_need_no_colour_temperature() {
        use clap::Parser;
        let set = |args: &[&str]| {
            let cli =
                crate::args::Cli::try_parse_from(["setting", "lights", "set"].iter().chain(args)).unwrap();
            let crate::args::Command::Lights(LightsCommand::Set(set)) = cli.command else {
                panic!("lights set")
            };
            (set.brightness, set.kelvin)
        };
        assert_eq!(set(&["room", "off"]), (0.0, None));
        assert_eq!(set(&["lamp", "0%"]), (0.0, None));
        assert_eq!(set(&["lamp", "40%"]), (40.0, None));
        assert_eq!(set(&["room", "40%", "2700K"]), (40.0, Some(2700)));
        assert_eq!(ordered(0.0, None), "off");
        assert_eq!(
            ordered(40.0, None),
            "40 % (each light keeps its colour temperature)"
        );
        assert_eq!(ordered(40.0, Some(2700)), "40 % 2700 K");
    }

    #[test]
    fn the_list_is_a_table_with_one_row_per_light() {
        let mut off = light("lamp-2", "mat-1");
        off.available = Some(false);
        off.reported_on = Some(false);
        off.desired = None;
        let report = LightsReport {
            summary: "mqtt 127.0.0.1:1883".into(),
            connected: true,
            simulated: false,
            lights: vec![light("ceiling", "room"), off],
            commands_sent: 6,
            commands_merged: 2,
        };
        let text = render_list(&report);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "mqtt 127.0.0.1:1883");
        assert!(lines[1].starts_with("LIGHT    ZONE   FAMILY"), "{text}");
        assert!(
            lines[2].contains("ceiling")
                && lines[2].contains("40 % 2700 K")
                && lines[2].contains("on, 40 % raw, 2703 K"),
            "{text}"
        );
        assert!(lines[3].contains("NO") && lines[3].contains("off"), "{text}");
        assert_eq!(lines[4], "commands sent 6, merged by the budget 2");
        // The columns line up: every row's zone starts where the header's does.
        let zone_at = lines[1].find("ZONE").unwrap();
        assert_eq!(lines[2].find("room"), Some(zone_at));
        assert_eq!(lines[3].find("mat-1"), Some(zone_at));
    }

    #[test]
    fn no_lights_says_so_and_lost_lights_say_so_loudly() {
        let text = render_list(&LightsReport {
            summary: "logging".into(),
            ..LightsReport::default()
        });
        assert_eq!(text, "logging\nno lights configured\n");
        let mut report = LightsReport {
            summary: "mqtt 127.0.0.1:1883".into(),
            lights: vec![light("ceiling", "room")],
            ..LightsReport::default()
        };
        assert_eq!(headline(&report), "NOT CONNECTED: mqtt 127.0.0.1:1883");
        report.connected = true;
        assert_eq!(headline(&report), "mqtt 127.0.0.1:1883");
    }

    #[test]
    fn a_simulated_light_is_sim_because_the_report_says_so_not_by_its_summary() {
        let mut lamp = light("ceiling", "room");
        lamp.available = Some(true);
        let mut report = LightsReport {
            summary: format!("{} on a private broker", setting::protocol::SIMULATED),
            connected: true,
            lights: vec![lamp.clone()],
            ..LightsReport::default()
        };
        assert_eq!(available(&report, &lamp), "yes", "the words alone decide nothing");
        report.simulated = true;
        report.summary = "stand-ins".into();
        assert_eq!(available(&report, &lamp), "sim");
    }
}
