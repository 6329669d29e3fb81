//! The zsh and fish completion scripts loaded into the real shells and asked for completions,
//! as someone pressing Tab would: scenes after `start` and `plan`, zones and lights after
//! `lights set`, zones after `--zone`, read from a real config and scenes directory.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli_fixes::{checkout, stdout};
use crate::support::{assert_code, repo_path, setting};

#[derive(Clone, Copy, Debug)]
enum Shell {
    Zsh,
    Fish,
}

/// A checkout with the shell's script written into it, and a scene added after the script was
/// written, which must be offered all the same.
struct Room {
    dir: tempfile::TempDir,
    script: PathBuf,
    shell: Shell,
}

impl Room {
    fn new(shell: Shell) -> Room {
        let dir = tempfile::tempdir().unwrap();
        checkout(dir.path());
        let name = match shell {
            Shell::Zsh => "zsh",
            Shell::Fish => "fish",
        };
        let out = setting(&["completions", name]);
        assert_code(&out, 0);
        let script = dir.path().join(format!("setting.{name}"));
        std::fs::write(&script, &out.stdout).unwrap();
        std::fs::copy(
            dir.path().join("scenes/sublingual.toml"),
            dir.path().join("scenes/sublingual-short.toml"),
        )
        .unwrap();
        Room { dir, script, shell }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// What the shell offers for the line typed so far (`line` ends where the cursor is), with
    /// `config` as SETTING_CONFIG.
    fn complete_with(&self, line: &str, config: &Path) -> Vec<String> {
        let binaries = Path::new(env!("CARGO_BIN_EXE_setting")).parent().unwrap();
        let mut command = match self.shell {
            Shell::Zsh => {
                let mut c = Command::new("timeout");
                c.args(["60", "zsh", "-f"])
                    .arg(repo_path("tests/integration/support/complete.zsh"))
                    .arg(&self.script)
                    .arg(line);
                c
            }
            Shell::Fish => {
                let program = format!(
                    "source {}; complete -C {}",
                    fish_quote(&self.script.display().to_string()),
                    fish_quote(line)
                );
                let mut c = Command::new("timeout");
                c.args(["60", "fish", "--no-config", "-c", &program]);
                c
            }
        };
        let out = command
            .current_dir(self.path())
            .env("PATH", format!("{}:/usr/bin:/bin", binaries.display()))
            .env("SETTING_CONFIG", config)
            // fish keeps its own files under these; a test leaves the developer's alone.
            .env("XDG_CONFIG_HOME", self.path().join("xdg-config"))
            .env("XDG_DATA_HOME", self.path().join("xdg-data"))
            .env_remove("SETTING_SOCKET")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {:?} (scripts/deps.sh installs it): {e}", self.shell));
        assert_code(&out, 0);
        let mut offered: Vec<String> = stdout(&out)
            .lines()
            // fish gives each match its description after a tab.
            .map(|l| l.split('\t').next().unwrap_or_default().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        offered.sort();
        offered.dedup();
        offered
    }

    fn complete(&self, line: &str) -> Vec<String> {
        self.complete_with(line, &self.path().join("config/settingd.toml"))
    }

    fn scenes(&self) -> Vec<String> {
        let mut scenes: Vec<String> = std::fs::read_dir(self.path().join("scenes"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
        scenes.sort();
        scenes
    }
}

fn fish_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn sorted(names: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut names: Vec<String> = names.into_iter().collect();
    names.sort();
    names
}

/// The same questions for each shell, with the answers taken from the files themselves.
fn completes_the_room_s_names(shell: Shell) {
    let room = Room::new(shell);
    let scenes = room.scenes();
    assert!(scenes.contains(&"sublingual-short".to_string()), "{scenes:?}");
    assert_eq!(room.complete("setting start "), scenes);
    assert_eq!(room.complete("setting start sublingual-"), ["sublingual-short"]);
    // The config named on the line is the one read, whatever SETTING_CONFIG says.
    assert_eq!(
        room.complete_with(
            "setting --config config/settingd.toml plan sub",
            &room.path().join("no-such-config.toml")
        ),
        ["sublingual", "sublingual-short"]
    );

    let config = setting::config::load_config(&room.path().join("config/settingd.toml")).unwrap();
    let zones = sorted(config.room.zones.iter().map(|z| z.name.clone()));
    let lights = sorted(config.lights.lights.iter().map(|l| l.name.clone()));
    assert!(!zones.is_empty() && !lights.is_empty());
    assert_eq!(
        room.complete("setting lights set "),
        sorted(zones.iter().chain(&lights).cloned())
    );
    assert_eq!(room.complete("setting lights calibrate "), lights);
    assert_eq!(room.complete("setting check --zone "), zones);
    // Elsewhere the generated completion answers as before.
    assert_eq!(room.complete("setting sta"), ["start", "status"]);
}

#[test]
fn zsh_completes_scenes_after_start_and_zones_and_lights_after_lights_set() {
    completes_the_room_s_names(Shell::Zsh);
}

#[test]
fn fish_completes_scenes_after_start_and_zones_and_lights_after_lights_set() {
    completes_the_room_s_names(Shell::Fish);
}
