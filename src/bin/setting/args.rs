//! The command line as clap reads it: global flags and one variant per command.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

use setting::config::BrokerOverrideError;
use setting::scene::Mark;
use setting::time::{Millis, parse_duration};

/// Steer the room during a ketamine-assisted psychotherapy session.
///
/// Commands that steer a session talk to `settingd` over its control socket, or with `--room`
/// to that room's `settingd` over the clinic's MQTT broker. `plan`, `validate`, `playlist`,
/// `render`, `dry-run` and `report --log` work on files and need no daemon.
///
/// Exit codes: 0 done, 1 refused (or problems found), 2 bad input, 3 settingd not reachable (or
/// sent and not answered in time: it may still be carried out); `emergency` only: 4 not
/// delivered (act by hand), 5 sent over the broker but not confirmed, 7 lit directly but not
/// kept for the daemon's return (neither marker nor notice could be left).
#[derive(Debug, Parser)]
#[command(name = "setting", version, max_term_width = 100)]
pub struct Cli {
    /// The daemon's control socket [default: the one named in the config].
    #[arg(long, global = true, env = "SETTING_SOCKET", value_name = "PATH")]
    pub socket: Option<PathBuf>,

    /// The config file, to find the socket and the scenes [default: the usual places].
    #[arg(long, global = true, env = "SETTING_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// Steer this room over the clinic's MQTT broker instead of the local control socket.
    #[arg(
        long,
        global = true,
        env = "SETTING_ROOM",
        value_name = "NAME",
        help_heading = "Remote rooms"
    )]
    pub room: Option<String>,

    /// The broker for `--room` and `rooms` [default: the config's `[mqtt]` host and port; the
    /// port defaults to 8883 with `--broker-ca`, else 1883].
    #[arg(
        long,
        global = true,
        env = "SETTING_BROKER",
        value_name = "HOST[:PORT]",
        value_parser = parse_broker,
        help_heading = "Remote rooms"
    )]
    pub broker: Option<BrokerArg>,

    /// The broker account to log in with (the password from SETTING_BROKER_PASSWORD or
    /// `--broker-password-file`); anonymous when left out.
    #[arg(
        long,
        global = true,
        env = "SETTING_BROKER_USER",
        value_name = "NAME",
        help_heading = "Remote rooms"
    )]
    pub broker_user: Option<String>,

    /// A file holding the broker password (one line), instead of SETTING_BROKER_PASSWORD.
    #[arg(long, global = true, value_name = "FILE", help_heading = "Remote rooms")]
    pub broker_password_file: Option<PathBuf>,

    /// Talk TLS to the broker, trusting this CA certificate (PEM).
    #[arg(
        long,
        global = true,
        env = "SETTING_BROKER_CA",
        value_name = "FILE",
        help_heading = "Remote rooms"
    )]
    pub broker_ca: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a session with a scene (e.g. `sublingual`).
    Start { scene: String },
    /// Where the session stands: phase, marks, next cue, overrides, music, lights.
    Status,
    /// Full neutral light, music muted, clock paused, at once.
    ///
    /// With `--zone`, that zone's light only: the music and the clock are left alone.
    Emergency(crate::emergency::EmergencyArgs),
    /// Task light up and music ducked for a check; the clock keeps running.
    ///
    /// With `--zone`, that zone's light only: the music and the clock are left alone.
    Check(ZoneArg),
    /// End the most urgent override (or all of them); the scene comes back slowly.
    Resume(ResumeArgs),
    /// Fade the music out; the lights stay as they are.
    Mute,
    /// Fade the music back in.
    Unmute,
    /// Cross-fade to the next track; the skipped one is flagged for the curators.
    Skip(SkipArgs),
    /// Stop the timeline; the music fades out.
    Pause(PauseArgs),
    /// Keep the current phase from moving on by itself.
    Hold,
    /// Let a held phase move on by its own timing again.
    Release,
    /// Lengthen the current phase, e.g. `extend 10m`.
    Extend {
        /// How much longer: `5m`, `10m`, `1h15m`.
        // Hyphen values, so that `-5m` is refused with the message that names the form rather
        // than read as an unknown flag.
        #[arg(value_name = "DURATION", allow_hyphen_values = true, value_parser = parse_extension)]
        by: Millis,
    },
    /// Mark the dose, a booster or the infusion start; timing after it counts from now.
    Mark {
        #[arg(value_enum)]
        mark: MarkArg,
    },
    /// Record vital signs in the session, e.g. `vitals 128/82 72 --spo2 98`; readings past the
    /// config's `[vitals]` thresholds are marked HIGH or LOW.
    Vitals(crate::clinical::VitalsArgs),
    /// Record a note in the session, e.g. `note client asked for water`.
    Note(crate::clinical::NoteArgs),
    /// Move on to the next phase now.
    Next,
    /// End the journey: go to the closing phase.
    End,
    /// Stop the session (music fades out; lights stay).
    Stop,
    /// Nudge the music level in dB, e.g. `volume +3` or `volume -3`; with no change, show the
    /// level now.
    Volume {
        /// Signed change in dB: `+3`, `-3`, `-1.5dB`.
        // Hyphen values, not just negative numbers: `-3dB` is no number, and no flag either.
        #[arg(allow_hyphen_values = true, value_parser = parse_db, value_name = "DB")]
        delta: Option<f32>,
    },
    /// Nudge the lights, e.g. `light --brightness +5 --kelvin -200`.
    Light(LightArgs),
    /// Follow the session live: a full-screen view in a terminal (q quits), else one line per
    /// event until Ctrl-C.
    Watch {
        /// One line per event even in a terminal, as when piped.
        #[arg(long)]
        plain: bool,
        /// Print one frame of the full-screen view at this size (`100x30`) as plain text, and
        /// exit: for notes, support requests and screen readers.
        #[arg(long, value_name = "COLSxROWS", conflicts_with = "plain")]
        frame: Option<String>,
    },
    /// A session's story: phases, marks, overrides, tracks, errors.
    Report(ReportArgs),
    /// The sessions the daemon has logs for.
    Sessions,
    /// Make the daemon read its config, scenes and playlists again (as SIGHUP does); refused,
    /// with every problem shown, if any has an error.
    Reload,
    /// Show a scene's planned timeline (no daemon needed).
    Plan {
        scene: String,
        /// Draw the plan as an SVG picture into FILE instead of printing it.
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
    },
    /// Check the config, scenes and playlists (or the given files); no daemon needed.
    Validate {
        /// Files (or directories) to check; a config among them is checked and is the one the
        /// others are checked against. None checks everything the config points to.
        paths: Vec<PathBuf>,
    },
    /// Curators' tools: M3U import and export, file checks, loudness; no daemon needed.
    #[command(subcommand)]
    Playlist(crate::playlist::PlaylistCommand),
    /// Render a playlist (a name, or an .m3u/.m3u8 file) offline to a WAV file, exactly as it
    /// would play; no daemon needed.
    Render(crate::render::RenderArgs),
    /// Play a whole session offline, each phase at its planned length: the music into a WAV
    /// file, the light commands into a CSV timeline; no daemon needed.
    DryRun(crate::dry_run::DryRunArgs),
    /// The rooms on the clinic's broker: online or not, scene, phase, session time, mode.
    Rooms,
    /// Technicians' tools for the room's lights: list, set, test, watch, calibrate. Refused
    /// while a session runs, except `list` and `watch`.
    #[command(subcommand)]
    Lights(crate::lights::LightsCommand),
    /// Print a shell completion script (bash, zsh, fish) to stdout.
    Completions(crate::completions::CompletionsArgs),
    /// Write man pages for `setting` and each of its commands.
    Man(crate::man_pages::ManArgs),
    /// The names the completion scripts offer (scenes, zones, lights), one a line, from the
    /// config and its scenes directory; for the scripts, not for people.
    #[command(name = "complete-names", hide = true)]
    CompleteNames {
        #[arg(value_enum)]
        kind: crate::completions::NameKind,
    },
}

#[derive(Debug, Args)]
pub struct ZoneArg {
    /// One zone only (group sessions); the whole room when left out.
    #[arg(long, value_name = "ZONE")]
    pub zone: Option<String>,
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// End every override, not just the most urgent.
    #[arg(long)]
    pub all: bool,
    /// Only that zone's own overrides.
    #[arg(long, value_name = "ZONE")]
    pub zone: Option<String>,
}

#[derive(Debug, Args)]
pub struct SkipArgs {
    /// Cross-fade to the scene's grounding track instead, then on with the playlist.
    #[arg(long)]
    pub grounding: bool,
}

#[derive(Debug, Args)]
pub struct PauseArgs {
    /// Leave a low walking light on (bathroom escort).
    #[arg(long)]
    pub walk: bool,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("nudge").required(true).multiple(true).args(["brightness", "kelvin"])))]
pub struct LightArgs {
    /// One zone only; the whole room when left out.
    #[arg(long, value_name = "ZONE")]
    pub zone: Option<String>,
    /// Brightness change in percentage points, e.g. `+5` or `-5`.
    #[arg(long, allow_negative_numbers = true, value_name = "PERCENT")]
    pub brightness: Option<f32>,
    /// Colour temperature change in Kelvin, e.g. `-200`.
    #[arg(long, allow_negative_numbers = true, value_name = "K")]
    pub kelvin: Option<i32>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A session id (see `setting sessions`); the current or latest one when left out.
    #[arg(conflicts_with = "log")]
    pub session: Option<String>,
    /// Read an `events.jsonl` file directly, without a daemon.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Draw the session as an SVG picture into FILE instead of printing the report.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Print the report as Markdown, for clinical notes.
    #[arg(long, conflicts_with_all = ["csv", "svg"])]
    pub markdown: bool,
    /// Print one CSV row per event of the log.
    #[arg(long, conflicts_with = "svg")]
    pub csv: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum MarkArg {
    Dose,
    Booster,
    Infusion,
}

impl From<MarkArg> for Mark {
    fn from(mark: MarkArg) -> Mark {
        match mark {
            MarkArg::Dose => Mark::Dose,
            MarkArg::Booster => Mark::Booster,
            MarkArg::Infusion => Mark::Infusion,
        }
    }
}

/// A broker address as typed: a host, and a port when given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerArg {
    pub host: String,
    pub port: Option<u16>,
}

/// `broker.lan`, `broker.lan:8883`, `192.0.2.7`, `[fd00::7]`, `[fd00::7]:1883`.
fn parse_broker(text: &str) -> Result<BrokerArg, String> {
    let bare_v6 = text.starts_with('[') && text.ends_with(']');
    if text.contains(':') && !bare_v6 {
        let (host, port) = setting::config::broker_override(text).map_err(|e| e.to_string())?;
        return Ok(BrokerArg {
            host,
            port: Some(port),
        });
    }
    // The same checks on the host as with a port: any valid port will do for them.
    match setting::config::broker_override(&format!("{text}:1")) {
        Ok((host, _)) => Ok(BrokerArg { host, port: None }),
        Err(BrokerOverrideError::Host { problem, .. }) => Err(format!("`{text}`: the host {problem}")),
        Err(_) => Err(format!(
            "`{text}` is not HOST[:PORT]; expected e.g. broker.lan, broker.lan:8883 or [fd00::7]:1883"
        )),
    }
}

/// How much longer a phase runs: a positive duration. Zero, negative and malformed lengths all
/// get the one message, which names the form; the daemon would refuse zero anyway.
fn parse_extension(text: &str) -> Result<Millis, String> {
    match parse_duration(text) {
        Ok(by) if by > Millis::ZERO => Ok(by),
        _ => Err(format!(
            "`{text}` is not a length to extend by; expected a positive duration in whole hours, \
             minutes and seconds, largest first, such as `5m`, `10m` or `1h15m`"
        )),
    }
}

/// `+3`, `-3`, `-1.5`, with an optional `dB` that people type out of habit.
fn parse_db(text: &str) -> Result<f32, String> {
    let number = text
        .trim()
        .trim_end_matches("dB")
        .trim_end_matches("db")
        .trim_end();
    match number.parse::<f32>() {
        Ok(db) if db.is_finite() => Ok(db),
        _ => Err(format!("`{text}` is not a change in dB; expected e.g. +3 or -3")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("setting").chain(args.iter().copied()))
    }

    #[test]
    fn signed_nudges_parse_as_values_not_flags() {
        let Command::Volume { delta } = parse(&["volume", "-3"]).unwrap().command else {
            panic!()
        };
        assert_eq!(delta, Some(-3.0));
        let Command::Volume { delta } = parse(&["volume", "+3dB"]).unwrap().command else {
            panic!()
        };
        assert_eq!(delta, Some(3.0));
        let Command::Volume { delta } = parse(&["volume", "-3dB"]).unwrap().command else {
            panic!()
        };
        assert_eq!(delta, Some(-3.0));
        let Command::Volume { delta } = parse(&["volume", "-1.5", "--json"]).unwrap().command else {
            panic!()
        };
        assert_eq!(delta, Some(-1.5));
        let Command::Volume { delta } = parse(&["volume"]).unwrap().command else {
            panic!()
        };
        assert_eq!(delta, None, "no change asks for the level now");
        let Command::Light(light) = parse(&["light", "--kelvin", "-200", "--brightness", "+5"])
            .unwrap()
            .command
        else {
            panic!()
        };
        assert_eq!((light.brightness, light.kelvin), (Some(5.0), Some(-200)));
    }

    #[test]
    fn every_bad_extension_is_a_usage_error_with_one_message() {
        let Command::Extend { by } = parse(&["extend", "1h15m"]).unwrap().command else {
            panic!()
        };
        assert_eq!(by, Millis::from_secs(75 * 60));
        let mut messages = Vec::new();
        for bad in ["0m", "banana", "-5m", "-5", "1.5h", ""] {
            let err = parse(&["extend", bad]).unwrap_err();
            assert_eq!(
                err.kind(),
                clap::error::ErrorKind::ValueValidation,
                "{bad}: {err}"
            );
            let said = err.to_string();
            assert!(!said.contains("-- -5"), "{bad}: {said}");
            assert!(
                said.contains(&format!("`{bad}` is not a length to extend by")),
                "{said}"
            );
            assert!(said.contains("such as `5m`, `10m` or `1h15m`"), "{said}");
            let own = parse_extension(bad).unwrap_err();
            messages.push(own.replace(&format!("`{bad}`"), "`X`"));
        }
        messages.dedup();
        assert_eq!(
            messages.len(),
            1,
            "one message for every bad length: {messages:#?}"
        );
    }

    #[test]
    fn refuses_what_it_cannot_mean() {
        assert!(parse(&["volume", "loud"]).is_err());
        assert!(
            parse(&["light", "--zone", "mat-1"]).is_err(),
            "a light nudge needs something to nudge"
        );
        assert!(parse(&["mark", "lozenge"]).is_err());
        assert!(parse(&["report", "s1", "--log", "events.jsonl"]).is_err());
    }

    #[test]
    fn the_remote_flags_are_global_and_the_broker_port_optional() {
        let cli = parse(&[
            "start",
            "sublingual",
            "--room",
            "room-a",
            "--broker",
            "broker.lan",
            "--broker-user",
            "ana",
            "--broker-ca",
            "/etc/ssl/clinic-ca.pem",
        ])
        .unwrap();
        assert_eq!(cli.room.as_deref(), Some("room-a"));
        assert_eq!(
            cli.broker,
            Some(BrokerArg {
                host: "broker.lan".into(),
                port: None
            })
        );
        assert_eq!(cli.broker_user.as_deref(), Some("ana"));
        assert!(cli.broker_ca.is_some());
        let cli = parse(&["--broker", "[fd00::7]:1884", "rooms"]).unwrap();
        assert!(matches!(cli.command, Command::Rooms));
        assert_eq!(
            cli.broker,
            Some(BrokerArg {
                host: "fd00::7".into(),
                port: Some(1884)
            })
        );
        let cli = parse(&["--broker", "[fd00::7]", "rooms"]).unwrap();
        assert_eq!(cli.broker.unwrap().host, "fd00::7");
    }

    #[test]
    fn a_broker_address_that_cannot_be_one_is_refused() {
        assert!(parse(&["--broker", "broker.lan:0", "rooms"]).is_err());
        assert!(parse(&["--broker", "broker.lan:port", "rooms"]).is_err());
        assert!(
            parse(&["--broker", "fd00::7", "rooms"]).is_err(),
            "IPv6 needs brackets"
        );
        assert!(parse(&["--broker", "", "rooms"]).is_err());
    }

    #[test]
    fn global_flags_go_anywhere() {
        let cli = parse(&["status", "--json", "--socket", "/tmp/s.sock"]).unwrap();
        assert!(cli.json);
        assert_eq!(cli.socket.as_deref(), Some(std::path::Path::new("/tmp/s.sock")));
    }
}
