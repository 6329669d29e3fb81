//! `reload` (and SIGHUP): reads the config file, scenes and playlists again and takes on what
//! can change under a running daemon, only when every one of them is valid. A refused reload
//! changes nothing; either way a running session keeps the scene it started with (its
//! timeline holds its own copy), while the music player takes the playlists on from its next
//! track.

use crate::catalog::Catalog;
use crate::config::{Config, ConfigError, load_config};
use crate::diagnostic::Diagnostic;
use crate::error_text::error_chain;
use crate::protocol::{ErrorKind, ReloadReply, Reply};
use crate::timeline::{Event, EventKind, Source};

use super::session::Engine;

/// Why a reload was refused: every problem found, as `file:line:col: message`.
#[derive(Debug, thiserror::Error)]
#[error(
    "reload refused; the daemon keeps its current config and scenes, and a running session its scene:\n{}",
    lines(.0)
)]
pub struct ReloadRefused(pub Vec<Diagnostic>);

/// `1 problem`, `3 problems`.
fn problems(count: usize) -> String {
    match count {
        1 => "1 problem".into(),
        n => format!("{n} problems"),
    }
}

fn lines(diagnostics: &[Diagnostic]) -> String {
    let shown: Vec<String> = diagnostics.iter().map(|d| format!("  {d}")).collect();
    shown.join("\n")
}

impl Engine {
    pub(super) fn reload(&mut self, id: Option<u64>, source: Source) -> Reply {
        match self.try_reload() {
            Ok(reply) => {
                tracing::info!(applied = ?reply.applied, needs_restart = ?reply.needs_restart, "config reloaded");
                let detail = format!(
                    "reloaded; applied: {}; needs a restart: {}",
                    list_or_none(&reply.applied),
                    list_or_none(&reply.needs_restart)
                );
                self.note_reload(detail, source);
                Reply::ok(id, reply)
            }
            Err(refused) => {
                for d in &refused.0 {
                    tracing::error!(problem = %d, "reload refused");
                }
                let detail = format!("reload refused: {}; nothing changed", problems(refused.0.len()));
                self.note_reload(detail, source);
                Reply::error(id, ErrorKind::Refused, refused.to_string())
            }
        }
    }

    fn try_reload(&mut self) -> Result<ReloadReply, ReloadRefused> {
        let path = self.options.config.path.clone();
        let mut fresh = load_config(&path).map_err(|e| match e {
            ConfigError::Invalid(found) => ReloadRefused(found.into_vec()),
            other => ReloadRefused(vec![Diagnostic::new(&path, error_chain(&other))]),
        })?;
        if let Some((host, port)) = self.options.broker_override.clone() {
            fresh.override_broker(host, port);
        }
        // The playlists and media stay where the daemon started with them (a restart moves
        // them): the catalog is read from there.
        let mut reading = fresh.clone();
        reading.paths.playlists = self.options.config.paths.playlists.clone();
        reading.paths.media = self.options.config.paths.media.clone();
        let catalog = Catalog::load(&reading)
            .map_err(|e| ReloadRefused(vec![Diagnostic::new(&path, error_chain(&e))]))?;
        let problems = catalog.validate_all();
        if !problems.is_empty() {
            return Err(ReloadRefused(problems));
        }
        // The running session keeps its scene, so it keeps needing that scene's playlists.
        if let Some(running) = &self.session {
            let gone: Vec<Diagnostic> = running
                .core
                .timeline
                .scene()
                .playlists()
                .into_iter()
                .filter(|name| !catalog.playlists().contains_key(name))
                .map(|name| {
                    Diagnostic::new(
                        reading.paths.playlists.join(format!("{name}.toml")),
                        format!(
                            "the running session plays playlist `{name}`, which this reload would take away; \
                             keep it until the session ends"
                        ),
                    )
                })
                .collect();
            if !gone.is_empty() {
                return Err(ReloadRefused(gone));
            }
        }
        let (config, changes) = take_on(&self.options.config, fresh);
        self.options.config = config;
        // Checked with everything else: the player takes them on from its next track, so a
        // track the curators took out is not played again.
        self.audio.set_playlists(catalog.playlists().clone());
        self.config_updates
            .send_replace(std::sync::Arc::new(self.options.config.clone()));
        Ok(ReloadReply {
            applied: changes.applied,
            needs_restart: changes.needs_restart,
            scenes: catalog.scene_names(),
            playlists: catalog.playlist_names(),
        })
    }

    /// Notes the reload in a running session's log, so the record shows when the rules changed.
    fn note_reload(&mut self, detail: String, source: Source) {
        let Some(now) = self.advance() else { return };
        let Some(running) = self.session.as_ref() else {
            return;
        };
        let timeline = running.core.timeline.status(now).timeline_time;
        self.record_kept(vec![Event {
            at: now,
            timeline,
            kind: EventKind::Reloaded { detail, source },
        }]);
    }
}

#[derive(Debug, Default, PartialEq)]
struct Changes {
    applied: Vec<String>,
    needs_restart: Vec<String>,
}

/// The config the daemon runs with after a reload: `fresh`, except for the parts held by
/// things set up once at start-up (the socket and state directory, the room's zones and
/// topics, the broker and lights, the remote link, the buttons, the music player with its playlists and
/// media), which stay
/// as they are in `running`.
fn take_on(running: &Config, mut fresh: Config) -> (Config, Changes) {
    let mut changes = Changes::default();
    let mut needs_restart = |what: &str, changed: bool| {
        if changed {
            changes.needs_restart.push(what.to_string());
        }
    };
    needs_restart(
        "daemon (socket, state directory, speed)",
        fresh.daemon != running.daemon,
    );
    needs_restart("room (name, zones)", fresh.room != running.room);
    needs_restart("audio", fresh.audio != running.audio);
    needs_restart("lights and broker", fresh.lights != running.lights);
    needs_restart(
        "paths.playlists",
        fresh.paths.playlists != running.paths.playlists,
    );
    needs_restart("paths.media", fresh.paths.media != running.paths.media);
    needs_restart("remote", fresh.remote != running.remote);
    needs_restart("buttons", fresh.buttons != running.buttons);
    fresh.remote = running.remote.clone();
    fresh.buttons = running.buttons.clone();
    fresh.daemon = running.daemon.clone();
    fresh.room = running.room.clone();
    fresh.audio = running.audio.clone();
    fresh.lights = running.lights.clone();
    fresh.paths.playlists = running.paths.playlists.clone();
    fresh.paths.media = running.paths.media.clone();
    // The policy's zones come from the room, which stays.
    fresh.policy.zones = running.policy.zones.clone();
    if fresh.paths.scenes != running.paths.scenes {
        changes.applied.push("paths.scenes".into());
    }
    if fresh.policy != running.policy {
        changes
            .applied
            .push("overrides (for sessions started from now)".into());
    }
    (fresh, changes)
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "nothing".into()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::parse_config;

    #[test]
    fn problems_are_counted_in_words() {
        assert_eq!(problems(1), "1 problem");
        assert_eq!(problems(4), "4 problems");
    }

    const BASE: &str = r#"
[room]
name = "r"
[[room.zone]]
name = "ceiling"
"#;

    fn config(extra: &str) -> Config {
        let text = format!("{BASE}{extra}");
        parse_config(std::path::Path::new("/tmp/settingd.toml"), &text).expect("valid config")
    }

    #[test]
    fn a_new_policy_is_applied_and_a_new_socket_waits_for_a_restart() {
        let running = config("");
        let fresh = config(
            "[daemon]\nsocket = \"/tmp/elsewhere.sock\"\n[overrides]\nemergency_music_fade = \"4s\"\n",
        );
        let (now, changes) = take_on(&running, fresh.clone());
        assert_eq!(now.daemon, running.daemon, "the socket stays until a restart");
        assert_eq!(now.policy, fresh.policy);
        assert_eq!(
            changes.needs_restart,
            vec!["daemon (socket, state directory, speed)".to_string()]
        );
        assert_eq!(
            changes.applied,
            vec!["overrides (for sessions started from now)".to_string()]
        );
    }

    #[test]
    fn an_unchanged_config_changes_nothing() {
        let running = config("");
        let (now, changes) = take_on(&running, running.clone());
        assert_eq!(now, running);
        assert_eq!(changes, Changes::default());
    }

    #[test]
    fn turning_remote_control_on_waits_for_a_restart() {
        let running = config("");
        let fresh = config("[mqtt]\nhost = \"127.0.0.1\"\n[remote]\nenabled = true\n");
        assert!(fresh.remote.enabled);
        let (now, changes) = take_on(&running, fresh);
        assert!(!now.remote.enabled, "the link is set up at start-up only");
        assert!(
            changes.needs_restart.contains(&"remote".to_string()),
            "{changes:?}"
        );
    }

    #[test]
    fn a_new_button_waits_for_a_restart() {
        let mqtt = "[mqtt]\nhost = \"127.0.0.1\"\n";
        let running = config(mqtt);
        let fresh = config(&format!(
            "{mqtt}[[button]]\nname = \"b\"\nkind = \"zigbee2mqtt\"\ntopic = \"zigbee2mqtt/r/b\"\n\
             press = {{ hold = \"emergency\" }}\n"
        ));
        assert_eq!(fresh.buttons.len(), 1);
        let (now, changes) = take_on(&running, fresh);
        assert!(now.buttons.is_empty(), "the buttons are set up at start-up only");
        assert_eq!(changes.needs_restart, vec!["buttons".to_string()]);
    }
}
