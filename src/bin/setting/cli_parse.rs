//! Reading the command line into [`Cli`]: a variable set but empty counts as unset, and an
//! emergency is never stopped by a flag or variable that cannot be read; it goes on with
//! what could be, and says what it left out.

use std::ffi::{OsStr, OsString};

use clap::{CommandFactory, FromArgMatches};

use crate::args::Cli;

/// What came of the command line, and for an emergency read only in part, what was left out.
pub struct Parsed {
    pub cli: Cli,
    /// The error that kept the command line from being read whole (an emergency only).
    pub left_out: Option<String>,
}

/// Reads `args` (the program's name first) with the environment `env` looks up.
pub fn parse(args: &[OsString], env: impl Fn(&OsStr) -> Option<OsString>) -> Result<Parsed, clap::Error> {
    let empty = empty_variables(&env);
    let first = read(args, &empty, false);
    let error = match first {
        Ok(cli) => return Ok(Parsed { cli, left_out: None }),
        Err(error) => typed_usage(args, error),
    };
    // Help, version and anything but an emergency get clap's answer as it is.
    if !error.use_stderr() || !is_emergency(args) {
        return Err(error);
    }
    let said = error.to_string();
    let first = said.lines().next().unwrap_or_default();
    let left_out = first.strip_prefix("error: ").unwrap_or(first).to_string();
    // First without the variables only the remote path reads (a bad SETTING_BROKER), then
    // with the words an emergency needs, then bare: each keeps more of the room's own paths
    // than giving up would.
    let attempts = [args.to_vec(), essential_words(args), bare(args)];
    for attempt in &attempts {
        if let Ok(cli) = read(attempt, &empty, true) {
            return Ok(Parsed {
                cli,
                left_out: Some(left_out),
            });
        }
    }
    Err(error)
}

/// clap counts a value taken from the environment as given, so the usage line of its error
/// shows `--socket <PATH> --config <FILE>` as if they were required. Read again without the
/// variables, the same mistake gives the same complaint with the usage of what was typed: that
/// error is used when it says the same thing. Help and version keep their variables.
fn typed_usage(args: &[OsString], error: clap::Error) -> clap::Error {
    if !error.use_stderr() {
        return error;
    }
    let every: Vec<String> = variables().into_iter().map(|(id, _)| id).collect();
    match read(args, &every, false) {
        Err(typed) if typed.kind() == error.kind() && complaint(&typed) == complaint(&error) => typed,
        _ => error,
    }
}

/// An error's text up to its usage line.
fn complaint(error: &clap::Error) -> String {
    let text = error.to_string();
    text.split("\nUsage:").next().unwrap_or_default().to_string()
}

/// The arguments read from the environment, by clap id and variable.
fn variables() -> Vec<(String, OsString)> {
    Cli::command()
        .get_arguments()
        .filter_map(|a| Some((a.get_id().to_string(), a.get_env()?.to_os_string())))
        .collect()
}

/// The ids of the arguments whose variable is set but empty: unset, as far as clap knows.
fn empty_variables(env: &impl Fn(&OsStr) -> Option<OsString>) -> Vec<String> {
    variables()
        .into_iter()
        .filter(|(_, name)| env(name).is_some_and(|value| value.is_empty()))
        .map(|(id, _)| id)
        .collect()
}

/// With `local_only`, only the socket and the config are read from the environment: the
/// other variables serve `--room` alone.
fn read(args: &[OsString], empty: &[String], local_only: bool) -> Result<Cli, clap::Error> {
    let mut command = Cli::command();
    for (id, _) in variables() {
        let local = id == "socket" || id == "config";
        if empty.contains(&id) || (local_only && !local) {
            command = command.mut_arg(id, |a| a.env(None));
        }
    }
    let matches = command.try_get_matches_from(args)?;
    Cli::from_arg_matches(&matches)
}

fn is_emergency(args: &[OsString]) -> bool {
    args.iter().skip(1).any(|a| a == "emergency")
}

/// The flags that name the room's own paths and the zone, with their values, and the command.
fn essential_words(args: &[OsString]) -> Vec<OsString> {
    const KEPT: [&str; 4] = ["--config", "--socket", "--zone", "--state-dir"];
    let mut words = vec![args[0].clone()];
    let mut tail = Vec::new();
    let mut i = 1;
    while i < args.len() {
        let word = args[i].to_string_lossy();
        if word == "--json" {
            words.push(args[i].clone());
        } else if let Some((flag, value)) = word.split_once('=')
            && KEPT.contains(&flag)
            && !value.is_empty()
        {
            tail.push(args[i].clone());
        } else if KEPT.contains(&word.as_ref())
            && let Some(value) = args.get(i + 1)
            && !value.is_empty()
            && !value.to_string_lossy().starts_with("--")
        {
            tail.push(args[i].clone());
            tail.push(value.clone());
            i += 1;
        }
        i += 1;
    }
    words.push("emergency".into());
    words.extend(tail);
    words
}

fn bare(args: &[OsString]) -> Vec<OsString> {
    vec![args[0].clone(), "emergency".into()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::Command;

    fn words(args: &[&str]) -> Vec<OsString> {
        std::iter::once("setting")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect()
    }

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&OsStr) -> Option<OsString> {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| OsStr::new(n) == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn the_variables_read_are_the_ones_clap_knows() {
        let names: Vec<_> = variables().into_iter().map(|(_, v)| v).collect();
        for name in [
            "SETTING_SOCKET",
            "SETTING_CONFIG",
            "SETTING_ROOM",
            "SETTING_BROKER",
        ] {
            assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
        }
        let empty = empty_variables(&env(&[("SETTING_CONFIG", ""), ("SETTING_SOCKET", "/s")]));
        assert_eq!(empty, ["config"]);
    }

    #[test]
    fn a_bad_flag_keeps_no_emergency_from_going_and_is_said() {
        let parsed = parse(
            &words(&[
                "--config",
                "/etc/s.toml",
                "emergency",
                "--zone",
                "mat-1",
                "--timeout",
                "soon",
            ]),
            env(&[]),
        )
        .unwrap();
        let left_out = parsed.left_out.expect("something was left out");
        assert!(left_out.contains("soon"), "{left_out}");
        assert_eq!(
            parsed.cli.config.as_deref(),
            Some(std::path::Path::new("/etc/s.toml"))
        );
        let Command::Emergency(args) = parsed.cli.command else {
            panic!("an emergency")
        };
        assert_eq!(args.zone.as_deref(), Some("mat-1"));

        // A flag missing its value: the whole room, which errs towards the light.
        let parsed = parse(&words(&["emergency", "--zone"]), env(&[])).unwrap();
        assert!(parsed.left_out.is_some());
        let Command::Emergency(args) = parsed.cli.command else {
            panic!("an emergency")
        };
        assert_eq!(args.zone, None);
    }

    #[test]
    fn other_commands_keep_clap_s_error_and_a_good_line_leaves_nothing_out() {
        assert!(parse(&words(&["extend"]), env(&[])).is_err());
        assert!(parse(&words(&["status", "--bogus"]), env(&[])).is_err());
        let parsed = parse(&words(&["emergency", "--timeout", "200"]), env(&[])).unwrap();
        assert!(parsed.left_out.is_none());
    }
}
