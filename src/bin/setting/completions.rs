//! `setting completions SHELL`: the shell completion script, generated from the same clap
//! definition that parses the command line, so it cannot drift from it; with a small addition
//! per shell that asks `setting complete-names` for the room's own names (scenes after `start`,
//! `plan` and `dry-run`, zones and lights after `lights set`, `test` and `calibrate`, zones after
//! `--zone`), read from the config and its scenes directory when the shell completes, so a scene
//! added later is offered without a new script.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;

use clap::{Args, CommandFactory, ValueEnum};
use clap_complete::Shell;

use crate::args::Cli;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

/// The shells the clinic machines use; clap_complete knows more, but untried scripts are not
/// worth offering.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

impl From<CompletionShell> for Shell {
    fn from(shell: CompletionShell) -> Shell {
        match shell {
            CompletionShell::Bash => Shell::Bash,
            CompletionShell::Zsh => Shell::Zsh,
            CompletionShell::Fish => Shell::Fish,
        }
    }
}

/// What `setting complete-names` lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum NameKind {
    Scenes,
    Zones,
    Lights,
    /// Zones and lights: what `lights set` and `lights test` take.
    Targets,
}

/// Writes the script to stdout, e.g. `setting completions bash > /etc/bash_completion.d/setting`.
pub fn run(args: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    let script = script(args.shell)?;
    // A reader that stops early (`| head`) is no failure: main ends quietly on a closed pipe.
    std::io::stdout()
        .write_all(script.as_bytes())
        .context("cannot write the completion script")?;
    Ok(ExitCode::SUCCESS)
}

/// The whole script for `shell`.
pub fn script(shell: CompletionShell) -> anyhow::Result<String> {
    let mut command = Cli::command();
    let name = command.get_name().to_string();
    // clap_complete panics when its writer fails; a buffer cannot.
    let mut generated = Vec::new();
    clap_complete::generate(Shell::from(shell), &mut command, name, &mut generated);
    let generated = String::from_utf8(generated).context("the generated script is not UTF-8")?;
    let with_names = match shell {
        CompletionShell::Bash => bash(&generated, &value_options(&Cli::command())),
        CompletionShell::Zsh => zsh(&generated),
        CompletionShell::Fish => Some(fish(&generated)),
    };
    // The additions lean on the generated script's shape; a clap_complete that changed it
    // must fail here (and in the tests), not ship a script that silently lost the names.
    with_names
        .with_context(|| format!("the generated {shell:?} script is not in the shape the names are added to"))
}

/// `setting complete-names KIND`: one name a line.
pub fn names(cli: &Cli, kind: NameKind) -> anyhow::Result<ExitCode> {
    let config = crate::locate::load(cli.config.as_deref())?;
    let zones = || config.room.zones.iter().map(|z| z.name.clone());
    let lights = || config.lights.lights.iter().map(|l| l.name.clone());
    let names: Vec<String> = match kind {
        NameKind::Scenes => setting::catalog::scene_names(&config)?,
        NameKind::Zones => zones().collect(),
        NameKind::Lights => lights().collect(),
        NameKind::Targets => zones().chain(lights()).collect(),
    };
    let mut out = std::io::stdout().lock();
    for name in names {
        writeln!(out, "{name}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Every long option, of any command, that takes a value: the bash addition skips their
/// values when it counts the words typed.
fn value_options(command: &clap::Command) -> Vec<String> {
    let mut found: Vec<String> = command
        .get_arguments()
        .filter(|a| a.get_action().takes_values())
        .filter_map(|a| a.get_long().map(|long| format!("--{long}")))
        .collect();
    for sub in command.get_subcommands() {
        found.extend(value_options(sub));
    }
    found.sort();
    found.dedup();
    found
}

const BASH_COMPLETE: &str = "complete -F _setting ";

fn bash(generated: &str, value_options: &[String]) -> Option<String> {
    if !generated.contains(BASH_COMPLETE) {
        return None;
    }
    let mut script = generated.replace(BASH_COMPLETE, "complete -F _setting_with_names ");
    script.push_str(&BASH_NAMES.replace("@VALUE_OPTIONS@", &value_options.join("|")));
    Some(script)
}

const BASH_NAMES: &str = r#"
# The room's own names, asked of `setting complete-names` as the shell completes: scenes
# after `start`, `plan` and `dry-run`; zones and lights after `lights set`, `lights test` and
# `lights calibrate`; zones after `--zone`. Anything else goes to the generated `_setting`.
_setting_with_names() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
    local i word kind="" skip=0
    local -a config=() words=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        word="${COMP_WORDS[i]}"
        if ((skip)); then
            skip=0
            continue
        fi
        case "$word" in
            --config) config=(--config "${COMP_WORDS[i+1]}"); skip=1 ;;
            --config=*) config=("$word") ;;
            @VALUE_OPTIONS@) skip=1 ;;
            -*) ;;
            *) words+=("$word") ;;
        esac
    done
    if [[ "$prev" == --zone ]]; then
        kind=zones
    elif [[ "$cur" != -* ]]; then
        case "${words[*]}" in
            start | plan | dry-run) kind=scenes ;;
            "lights set" | "lights test") kind=targets ;;
            "lights calibrate") kind=lights ;;
        esac
    fi
    if [[ -z "$kind" ]]; then
        _setting "$@"
        return
    fi
    local IFS=$'\n'
    COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" complete-names "$kind" "${config[@]}" 2>/dev/null)" -- "$cur"))
}
"#;

const ZSH_ENTRY: &str = "if [ \"$funcstack[1]\" = \"_setting\" ]; then";

fn zsh(generated: &str) -> Option<String> {
    let entry = generated.find(ZSH_ENTRY)?;
    let mut replaced = 0;
    let lines: Vec<String> = generated[..entry]
        .lines()
        .map(|line| match zsh_names_for(line) {
            Some(kind) => {
                replaced += 1;
                line.replacen(":_default'", &format!(":_setting_names {kind}'"), 1)
            }
            None => line.to_string(),
        })
        .collect();
    // start, plan, dry-run, lights set, test and calibrate, and the zones.
    if replaced < 6 {
        return None;
    }
    let mut script = lines.join("\n");
    script.push('\n');
    // `_arguments` narrows `words` to the subcommand's own, so the line as typed (the command
    // itself, a `--config` before the subcommand) is kept where `_setting_names` can see it.
    let script = script.replacen(ZSH_FUNCTION, &format!("{ZSH_FUNCTION}{ZSH_KEEP_LINE}"), 1);
    if !script.contains(ZSH_KEEP_LINE) {
        return None;
    }
    let mut script = script;
    script.push_str(ZSH_NAMES);
    script.push_str(&generated[entry..]);
    Some(script)
}

/// The names a line of the generated `_arguments` specification completes, when it is one
/// of ours: a positional scene, target or light, or the value of `--zone`.
fn zsh_names_for(line: &str) -> Option<&'static str> {
    let spec = line.trim_start();
    if !spec.ends_with(":_default' \\") {
        return None;
    }
    let positional = spec.trim_start_matches('\'').trim_start_matches(':');
    let id = positional.split([':', ' ']).next().unwrap_or_default();
    if spec.starts_with("'--zone=[") {
        return Some("zones");
    }
    if !spec.starts_with("':") {
        return None;
    }
    match id {
        "scene" => Some("scenes"),
        "target" => Some("targets"),
        "light" => Some("lights"),
        _ => None,
    }
}

const ZSH_FUNCTION: &str = "\n_setting() {\n";

const ZSH_KEEP_LINE: &str = "    local -a _setting_line\n    _setting_line=(\"${words[@]}\")\n";

const ZSH_NAMES: &str = r#"# The room's own names, asked of `setting complete-names` as the shell completes; the
# command and any `--config` come from the whole line, kept by `_setting`. `_arguments` puts
# its own options (the listing's group) before the kind of name, which comes last.
(( $+functions[_setting_names] )) ||
_setting_names() {
    local -a config names line
    local i kind=${@[-1]}
    line=("${_setting_line[@]}")
    (( $#line )) || line=(setting)
    for ((i = 2; i <= $#line; i++)); do
        case ${line[i]} in
            --config) config=(--config "${(Q)line[i+1]}") ;;
            --config=*) config=("${(Q)line[i]}") ;;
        esac
    done
    names=(${(f)"$(${(Q)line[1]} complete-names $kind $config 2>/dev/null)"})
    compadd "${@[1,-2]}" -a names
}

"#;

fn fish(generated: &str) -> String {
    format!("{generated}{FISH_NAMES}")
}

const FISH_NAMES: &str = r#"
# The room's own names, asked of `setting complete-names` as the shell completes.
function __fish_setting_names
    set -l tokens (commandline -opc)
    set -l config
    if set -l at (contains -i -- --config $tokens)
        set config --config $tokens[(math $at + 1)]
    end
    $tokens[1] complete-names $argv[1] $config 2>/dev/null
end
complete -c setting -n "__fish_setting_using_subcommand start" -f -a "(__fish_setting_names scenes)"
complete -c setting -n "__fish_setting_using_subcommand plan" -f -a "(__fish_setting_names scenes)"
complete -c setting -n "__fish_setting_using_subcommand dry-run" -f -a "(__fish_setting_names scenes)"
complete -c setting -n "__fish_setting_using_subcommand lights; and __fish_seen_subcommand_from set test" -f -a "(__fish_setting_names targets)"
complete -c setting -n "__fish_setting_using_subcommand lights; and __fish_seen_subcommand_from calibrate" -f -a "(__fish_setting_names lights)"
complete -c setting -l zone -x -a "(__fish_setting_names zones)"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shell_s_script_asks_for_the_room_s_names() {
        for shell in [CompletionShell::Bash, CompletionShell::Zsh, CompletionShell::Fish] {
            let script = script(shell).unwrap();
            for kind in ["scenes", "targets", "lights", "zones"] {
                assert!(
                    script.contains(&format!("names {kind}")) || script.contains(&format!("kind={kind}")),
                    "{shell:?} never asks for {kind}"
                );
            }
            assert!(script.contains("complete-names"), "{shell:?}");
        }
        let bash = script(CompletionShell::Bash).unwrap();
        assert!(
            !bash.contains("complete -F _setting -o"),
            "the generated function is wrapped"
        );
        let zsh = script(CompletionShell::Zsh).unwrap();
        assert!(zsh.contains(":scene:_setting_names scenes'"), "start's scene");
        assert!(zsh.contains(":_setting_names targets'"), "lights set's target");
        assert!(zsh.contains("ZONE:_setting_names zones'"), "--zone");
        // Inside a subcommand `words` is the subcommand's own: the whole line is kept first.
        assert!(
            zsh.contains(&format!("{ZSH_FUNCTION}{ZSH_KEEP_LINE}")),
            "the line is kept as `_setting` begins"
        );
    }

    #[test]
    fn the_options_whose_values_are_skipped_are_the_ones_that_take_values() {
        let options = value_options(&Cli::command());
        for taking in ["--config", "--socket", "--fade", "--zone", "--svg", "--room"] {
            assert!(options.iter().any(|o| o == taking), "{taking} in {options:?}");
        }
        for flag in ["--json", "--plain", "--all", "--help"] {
            assert!(!options.iter().any(|o| o == flag), "{flag} takes no value");
        }
    }
}
