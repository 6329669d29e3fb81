//! Finding the config file: the one asked for, else the system one, else the user's.

use std::path::{Path, PathBuf};

use super::defaults::Environment;
use super::error::ConfigError;

pub const SYSTEM_CONFIG: &str = "/etc/setting/settingd.toml";

/// `explicit` (a `--config` flag), then `$SETTING_CONFIG`, then [`SYSTEM_CONFIG`], then
/// `$XDG_CONFIG_HOME/setting/settingd.toml` (or `~/.config/...`).
pub fn locate_config(explicit: Option<&Path>) -> Result<PathBuf, ConfigError> {
    locate_config_in(explicit, &Environment::current(), |p| p.is_file())
}

/// [`locate_config`] with the environment and the file check passed in. A config named
/// explicitly (flag or variable) must exist: silently falling back to another file would run
/// the room with settings nobody asked for.
pub fn locate_config_in(
    explicit: Option<&Path>,
    env: &Environment,
    exists: impl Fn(&Path) -> bool,
) -> Result<PathBuf, ConfigError> {
    let named = explicit
        .map(Path::to_path_buf)
        .or_else(|| env.setting_config.clone());
    let candidates: Vec<PathBuf> = match named {
        Some(path) => vec![path],
        None => std::iter::once(PathBuf::from(SYSTEM_CONFIG))
            .chain(env.user_config())
            .collect(),
    };
    match candidates.iter().find(|p| exists(p)) {
        Some(found) => Ok(found.clone()),
        None => Err(ConfigError::NotFound { tried: candidates }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Environment {
        Environment {
            euid: 1000,
            home: Some("/home/ann".into()),
            ..Environment::default()
        }
    }

    #[test]
    fn an_explicit_path_wins_and_must_exist() {
        let got = locate_config_in(Some(Path::new("my.toml")), &env(), |_| true).unwrap();
        assert_eq!(got, Path::new("my.toml"));
        let err = locate_config_in(Some(Path::new("my.toml")), &env(), |p| {
            p == Path::new(SYSTEM_CONFIG)
        });
        assert_eq!(
            err.unwrap_err().to_string(),
            "no config file found; tried my.toml; give one with --config or SETTING_CONFIG"
        );
    }

    #[test]
    fn the_variable_comes_before_the_usual_places() {
        let env = Environment {
            setting_config: Some("/srv/s.toml".into()),
            ..env()
        };
        assert_eq!(
            locate_config_in(None, &env, |_| true).unwrap(),
            Path::new("/srv/s.toml")
        );
    }

    #[test]
    fn then_system_then_user() {
        assert_eq!(
            locate_config_in(None, &env(), |_| true).unwrap(),
            Path::new(SYSTEM_CONFIG)
        );
        let user = Path::new("/home/ann/.config/setting/settingd.toml");
        assert_eq!(locate_config_in(None, &env(), |p| p == user).unwrap(), user);
        let xdg = Environment {
            xdg_config_home: Some("/cfg".into()),
            ..env()
        };
        let err = locate_config_in(None, &xdg, |_| false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no config file found; tried /etc/setting/settingd.toml, /cfg/setting/settingd.toml; \
             give one with --config or SETTING_CONFIG"
        );
    }
}
