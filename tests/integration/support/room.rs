//! A room config for tests that drive lights through a real broker: Zigbee2MQTT lights per
//! zone, an `[mqtt]` section that logs in as the room with its password in a file, the repo's
//! scenes, playlists and media, and no sound card.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::repo_path;

/// What goes in the room's config.
pub struct Room<'a> {
    pub name: &'a str,
    /// The broker password, written to a file beside the config.
    pub password: &'a str,
    /// Zones and the names of their lights.
    pub zones: &'a [(&'a str, &'a [&'a str])],
    /// The broker in `[mqtt]`; a test may point the daemon elsewhere with `--mqtt`.
    pub broker: (&'a str, u16),
    /// More lines for `[mqtt]` (TLS, the MQTT version).
    pub mqtt_extra: &'a str,
}

impl Room<'_> {
    /// Writes `settingd.toml` and the password file into `dir`, and returns the config's path.
    pub fn write(&self, dir: &Path) -> PathBuf {
        let password_file = dir.join("mqtt-password");
        std::fs::write(&password_file, format!("{}\n", self.password)).expect("password file");
        let mut text = format!("[room]\nname = \"{}\"\n", self.name);
        for (zone, lights) in self.zones {
            write!(text, "\n[[room.zone]]\nname = \"{zone}\"\n").expect("string");
            for light in *lights {
                write!(
                    text,
                    "\n[[room.zone.light]]\nname = \"{light}\"\nfamily = \"zigbee2mqtt\"\nkelvin = [2200, 4000]\n"
                )
                .expect("string");
            }
        }
        let (host, port) = self.broker;
        write!(
            text,
            "\n[mqtt]\nhost = \"{host}\"\nport = {port}\nusername = \"{name}\"\npassword_file = \"{file}\"\n{extra}\n\
             \n[paths]\nscenes = \"{scenes}\"\nplaylists = \"{playlists}\"\nmedia = \"{media}\"\n\
             \n[audio]\noutput = \"null\"\n",
            name = self.name,
            file = password_file.display(),
            extra = self.mqtt_extra,
            scenes = repo_path("scenes").display(),
            playlists = repo_path("playlists").display(),
            media = repo_path("media").display(),
        )
        .expect("string");
        let path = dir.join("settingd.toml");
        std::fs::write(&path, text).expect("config");
        path
    }
}
