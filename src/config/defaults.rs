//! Where the daemon puts its socket and state when the config does not say: the usual places
//! for a system service (root) or a user session, read from an [`Environment`] so that tests
//! do not depend on who runs them.

use std::path::{Path, PathBuf};

/// The parts of the process environment the config's defaults depend on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Environment {
    pub euid: u32,
    pub home: Option<PathBuf>,
    pub xdg_runtime_dir: Option<PathBuf>,
    pub xdg_state_home: Option<PathBuf>,
    pub xdg_config_home: Option<PathBuf>,
    /// `$SETTING_CONFIG`.
    pub setting_config: Option<PathBuf>,
}

impl Environment {
    pub fn current() -> Environment {
        Environment {
            // SAFETY: geteuid has no preconditions and cannot fail.
            euid: unsafe { libc::geteuid() },
            home: var("HOME", true),
            xdg_runtime_dir: var("XDG_RUNTIME_DIR", true),
            xdg_state_home: var("XDG_STATE_HOME", true),
            xdg_config_home: var("XDG_CONFIG_HOME", true),
            setting_config: var("SETTING_CONFIG", false),
        }
    }

    fn is_root(&self) -> bool {
        self.euid == 0
    }

    /// A private fallback directory for a user without the usual variables (a bare `su`).
    fn tmp_dir(&self) -> PathBuf {
        PathBuf::from(format!("/tmp/setting-{}", self.euid))
    }

    pub fn default_socket(&self) -> PathBuf {
        if let Some(runtime) = &self.xdg_runtime_dir {
            runtime.join("setting/settingd.sock")
        } else if self.is_root() {
            PathBuf::from("/run/setting/settingd.sock")
        } else {
            self.tmp_dir().join("settingd.sock")
        }
    }

    pub fn default_state_dir(&self) -> PathBuf {
        if self.is_root() {
            PathBuf::from("/var/lib/setting")
        } else if let Some(state) = &self.xdg_state_home {
            state.join("setting")
        } else if let Some(home) = &self.home {
            home.join(".local/state/setting")
        } else {
            self.tmp_dir().join("state")
        }
    }

    /// The per-user config file, `$XDG_CONFIG_HOME/setting/settingd.toml`.
    pub fn user_config(&self) -> Option<PathBuf> {
        let base = self
            .xdg_config_home
            .clone()
            .or_else(|| Some(self.home.as_ref()?.join(".config")))?;
        Some(base.join("setting/settingd.toml"))
    }
}

/// An environment variable as a path. Unset and empty are the same; XDG variables must be
/// absolute (the XDG spec says to ignore relative ones, which are usually a mistake).
fn var(name: &str, must_be_absolute: bool) -> Option<PathBuf> {
    let value = std::env::var_os(name).filter(|v| !v.is_empty())?;
    let path = PathBuf::from(value);
    (!must_be_absolute || Path::new(&path).is_absolute()).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> Environment {
        Environment {
            euid: 1000,
            home: Some("/home/ann".into()),
            ..Environment::default()
        }
    }

    #[test]
    fn socket_defaults() {
        let with_runtime = Environment {
            xdg_runtime_dir: Some("/run/user/1000".into()),
            ..user()
        };
        assert_eq!(
            with_runtime.default_socket(),
            Path::new("/run/user/1000/setting/settingd.sock")
        );
        assert_eq!(
            Environment::default().default_socket(),
            Path::new("/run/setting/settingd.sock")
        );
        assert_eq!(
            user().default_socket(),
            Path::new("/tmp/setting-1000/settingd.sock")
        );
    }

    #[test]
    fn state_dir_defaults() {
        assert_eq!(
            Environment::default().default_state_dir(),
            Path::new("/var/lib/setting")
        );
        let xdg = Environment {
            xdg_state_home: Some("/st".into()),
            ..user()
        };
        assert_eq!(xdg.default_state_dir(), Path::new("/st/setting"));
        assert_eq!(
            user().default_state_dir(),
            Path::new("/home/ann/.local/state/setting")
        );
        let bare = Environment {
            euid: 7,
            ..Environment::default()
        };
        assert_eq!(bare.default_state_dir(), Path::new("/tmp/setting-7/state"));
    }
}
