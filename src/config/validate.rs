//! From the raw config to [`Config`]: the room and its zones, the daemon's socket and state,
//! and paths resolved against the config file's directory; the other sections (audio,
//! overrides, lights, broker, networks) are checked by their own modules.

use std::collections::HashMap;
use std::path::Path;

use serde_spanned::Spanned;

use super::LightsConfig;
use super::defaults::Environment;
use super::model::{Config, DaemonConfig, PathsConfig, RoomConfig, ZoneConfig};
use super::raw::{RawConfig, RawDaemon, RawPaths, RawRoom};
use super::{audio, broker, buttons, lights, networks, overrides, remote, vitals};
use crate::diagnostic::Document;

pub fn config(doc: &mut Document<'_>, path: &Path, raw: RawConfig, env: &Environment) -> Option<Config> {
    // Relative paths count from the config file, not from wherever the daemon was started.
    let base = path.parent().unwrap_or(Path::new(""));
    let room = room(doc, &raw.room);
    let daemon = daemon(doc, &raw.daemon, base, env);
    let paths = paths(&raw.paths, base);
    let policy = overrides::policy(doc, &raw.overrides);
    let audio = audio::audio(doc, &raw.audio, base);
    let lights = room_lights(doc, &raw, base, room.as_ref().map(|r| r.name.as_str()));
    let remote = remote::remote(doc, raw.remote.as_ref(), raw.mqtt.as_ref());
    let zone_names: Vec<Spanned<String>> = raw.room.get_ref().zone.iter().map(|z| z.name.clone()).collect();
    let buttons = buttons::buttons(doc, &raw.button, &zone_names, raw.mqtt.as_ref());
    let vitals = vitals::thresholds(doc, &raw.vitals);
    let (room, daemon, mut policy, audio, lights, remote, buttons, vitals) = (
        room?, daemon?, policy?, audio?, lights?, remote?, buttons?, vitals?,
    );
    policy.zones = room.zones.iter().map(|z| z.name.clone()).collect();
    Some(Config {
        path: path.to_path_buf(),
        room,
        daemon,
        paths,
        audio,
        policy,
        lights,
        remote,
        buttons,
        vitals,
    })
}

fn room_lights(
    doc: &mut Document<'_>,
    raw: &RawConfig,
    base: &Path,
    room: Option<&str>,
) -> Option<LightsConfig> {
    let broker = broker::broker(doc, raw.mqtt.as_ref(), base, room);
    let networks = networks::networks(doc, &raw.lights.network);
    let lights = lights::lights(doc, &raw.room.get_ref().zone, networks.as_deref());
    Some(LightsConfig {
        broker: broker?,
        lights: lights?,
        networks: networks?,
    })
}

fn room(doc: &mut Document<'_>, raw: &Spanned<RawRoom>) -> Option<RoomConfig> {
    let r = raw.get_ref();
    let name = doc.plain_name(&r.name, "room name");
    if r.zone.is_empty() {
        doc.error_at(
            raw,
            "the room has no zones; expected at least one [[room.zone]] with a `name`",
        );
    }
    let mut first_seen: HashMap<&str, usize> = HashMap::new();
    let mut zones = Some(Vec::new());
    for z in &r.zone {
        let zone_name = doc.plain_name(&z.name, "zone name");
        let key = z.name.get_ref().as_str();
        if let Some(line) = first_seen.get(key) {
            doc.error_at(
                &z.name,
                format!("duplicate zone `{key}`; first named on line {line}"),
            );
            zones = None;
        } else {
            first_seen.insert(key, doc.line_of(z.name.span()));
        }
        match (zone_name, zones.as_mut()) {
            (Some(name), Some(zones)) => zones.push(ZoneConfig {
                name,
                description: z.description.clone(),
            }),
            _ => zones = None,
        }
    }
    let timezone = match &r.timezone {
        Some(zone) => match crate::local_time::ClinicZone::named(zone.get_ref()) {
            Ok(known) => Some(Some(known.name().to_string())),
            Err(e) => {
                doc.error_at(zone, format!("timezone: {e}"));
                None
            }
        },
        None => Some(None),
    };
    let zones = zones.filter(|z| !z.is_empty())?;
    Some(RoomConfig {
        name: name?,
        zones,
        timezone: timezone?,
    })
}

fn daemon(doc: &mut Document<'_>, raw: &RawDaemon, base: &Path, env: &Environment) -> Option<DaemonConfig> {
    let socket = raw
        .socket
        .as_ref()
        .map_or_else(|| env.default_socket(), |s| base.join(s));
    let state_dir = raw
        .state_dir
        .as_ref()
        .map_or_else(|| env.default_state_dir(), |s| base.join(s));
    let socket_mode = match &raw.socket_mode {
        Some(mode) => socket_mode(doc, mode),
        None => Some(0o660),
    };
    let allow_world_writable_socket = raw
        .allow_world_writable_socket
        .as_ref()
        .is_some_and(|a| *a.get_ref());
    if let (Some(mode), Some(raw_mode)) = (socket_mode, &raw.socket_mode)
        && mode & 0o002 != 0
        && !allow_world_writable_socket
    {
        // Any local account could then steer the room, or silence an emergency.
        doc.error_at(
            raw_mode,
            format!(
                "socket_mode `{}` lets every local account write to the control socket; \
                 use \"0660\" with socket_group, or set allow_world_writable_socket = true",
                raw_mode.get_ref().trim()
            ),
        );
    }
    let socket_group = match &raw.socket_group {
        Some(g) if g.get_ref().trim().is_empty() => {
            doc.error_at(g, "socket_group is empty; give a group name or leave the key out");
            None
        }
        Some(g) => Some(Some(g.get_ref().clone())),
        None => Some(None),
    };
    let user = match &raw.user {
        Some(u) if u.get_ref().trim().is_empty() => {
            doc.error_at(
                u,
                "user is empty; give the account settingd runs as or leave the key out",
            );
            None
        }
        Some(u) => Some(u.get_ref().trim().to_string()),
        None => Some(super::DEFAULT_DAEMON_USER.to_string()),
    };
    let speed = match &raw.speed {
        Some(s) if !(*s.get_ref() > 0.0 && *s.get_ref() <= super::MAX_SPEED) => {
            doc.error_at(
                s,
                format!(
                    "speed {} is out of range; expected above 0 and at most {}",
                    s.get_ref(),
                    super::MAX_SPEED
                ),
            );
            None
        }
        Some(s) => Some(*s.get_ref()),
        None => Some(1.0),
    };
    Some(DaemonConfig {
        socket,
        socket_mode: socket_mode?,
        socket_group: socket_group?,
        allow_world_writable_socket,
        user: user?,
        state_dir,
        speed: speed?,
    })
}

/// `"0660"`, `"660"` or `"0o660"`: a string, because TOML has no leading-zero octal and an
/// integer 660 would silently mean something else.
fn socket_mode(doc: &mut Document<'_>, raw: &Spanned<String>) -> Option<u32> {
    let text = raw.get_ref().trim();
    let digits = text.strip_prefix("0o").unwrap_or(text);
    let octal = !digits.is_empty() && digits.bytes().all(|b| (b'0'..=b'7').contains(&b));
    match u32::from_str_radix(digits, 8) {
        Ok(mode) if octal && mode <= 0o777 => Some(mode),
        _ => {
            let msg = format!(
                "socket_mode `{text}` is not a permission mode; expected octal digits up to 0777, such as \"0660\""
            );
            doc.error_at(raw, msg);
            None
        }
    }
}

fn paths(raw: &RawPaths, base: &Path) -> PathsConfig {
    let resolve = |p: &Option<String>, default: &str| base.join(p.as_deref().unwrap_or(default));
    PathsConfig {
        scenes: resolve(&raw.scenes, "scenes"),
        playlists: resolve(&raw.playlists, "playlists"),
        media: resolve(&raw.media, "media"),
    }
}
