//! The `[mqtt]` section: where the broker is, how the daemon authenticates and whether TLS
//! protects the link. Only the password's source is kept; the daemon reads it when it connects.

use std::net::Ipv6Addr;
use std::path::Path;

use serde_spanned::Spanned;

use super::raw_lights::{RawMqtt, RawTls};
use super::{BrokerConfig, MqttVersion, SecretSource, TlsConfig};
use crate::diagnostic::Document;

pub const DEFAULT_PORT: u16 = 1883;
pub const DEFAULT_TLS_PORT: u16 = 8883;

/// The client id when the config gives none: one per room, so that two rooms on one broker
/// never take each other's session (the broker disconnects the older of two equal ids).
pub fn default_client_id(room: &str) -> String {
    format!("setting-{room}")
}

/// Why `host` cannot name a broker, if it cannot: a URL, a port written into it, or spaces.
pub fn host_problem(host: &str) -> Option<&'static str> {
    if host.trim().is_empty() {
        Some("is empty")
    } else if host.contains("://") {
        Some("is a URL; give the host alone: the port goes in `port` and TLS in [mqtt.tls]")
    } else if host.parse::<Ipv6Addr>().is_ok() {
        None
    } else if host.contains(':') {
        Some("has a port in it; the port goes in `port`")
    } else if host
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '/')
    {
        Some("is not a host name or address")
    } else {
        None
    }
}

/// `Some(None)` when there is no `[mqtt]` (the demo: a private broker), `None` when it is wrong.
pub fn broker(
    doc: &mut Document<'_>,
    raw: Option<&Spanned<RawMqtt>>,
    base: &Path,
    room: Option<&str>,
) -> Option<Option<BrokerConfig>> {
    let Some(raw) = raw else {
        return Some(None);
    };
    let m = raw.get_ref();
    let host = match host_problem(m.host.get_ref()) {
        Some(problem) => {
            doc.error_at(&m.host, format!("mqtt host `{}` {problem}", m.host.get_ref()));
            None
        }
        None => Some(m.host.get_ref().clone()),
    };
    let tls = match &m.tls {
        Some(t) => tls(doc, t, base).map(Some),
        None => Some(None),
    };
    let default_port = if m.tls.is_some() {
        DEFAULT_TLS_PORT
    } else {
        DEFAULT_PORT
    };
    let port = match &m.port {
        Some(p) => doc.in_range(p, "mqtt port", 1..=65_535, "").map(|p| p as u16),
        None => Some(default_port),
    };
    let client_id = match &m.client_id {
        Some(id) => word(doc, id, "client_id"),
        None => room.map(default_client_id),
    };
    let username = match &m.username {
        Some(u) => word(doc, u, "username").map(Some),
        None => Some(None),
    };
    let password = password(doc, raw, base);
    let version = match &m.version {
        Some(v) => doc.one_of(
            v,
            "mqtt version",
            &[("5", MqttVersion::V5), ("3.1.1", MqttVersion::V311)],
        ),
        None => Some(MqttVersion::default()),
    };
    Some(Some(BrokerConfig {
        host: host?,
        port: port?,
        tls: tls?,
        username: username?,
        password: password?,
        client_id: client_id?,
        version: version?,
    }))
}

/// A client id or user name: something, and nothing a broker or a log would mangle.
fn word(doc: &mut Document<'_>, value: &Spanned<String>, what: &str) -> Option<String> {
    let text = value.get_ref();
    if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        doc.error_at(
            value,
            format!("{what} `{text}` must not be empty or contain spaces"),
        );
        return None;
    }
    Some(text.clone())
}

fn password(doc: &mut Document<'_>, raw: &Spanned<RawMqtt>, base: &Path) -> Option<Option<SecretSource>> {
    let m = raw.get_ref();
    if let Some(inline) = &m.password {
        // Config files get copied, shared and pasted into tickets; a secret does not belong in one.
        doc.error_at(
            inline,
            "the password may not be written in the config; put it in a file named by \
             `password_file` (readable only by the daemon) or in the variable named by `password_env`",
        );
        return None;
    }
    let source = match (&m.password_file, &m.password_env) {
        (Some(_), Some(env)) => {
            doc.error_at(env, "give either password_file or password_env, not both");
            return None;
        }
        (Some(file), None) if file.get_ref().trim().is_empty() => {
            doc.error_at(
                file,
                "password_file is empty; give the path of the file that holds it",
            );
            return None;
        }
        (Some(file), None) => SecretSource::File(base.join(file.get_ref())),
        (None, Some(env)) if !is_env_name(env.get_ref()) => {
            let msg = format!(
                "password_env `{}` is not a variable name; expected letters, digits and `_`, such as SETTING_MQTT_PASSWORD",
                env.get_ref()
            );
            doc.error_at(env, msg);
            return None;
        }
        (None, Some(env)) => SecretSource::Env(env.get_ref().clone()),
        (None, None) => return Some(None),
    };
    // A username of the wrong type has had its error; it is not missing as well.
    if m.username.is_none() && !doc.was_refused(&raw.span(), "username") {
        let at = m.password_file.as_ref().or(m.password_env.as_ref())?;
        doc.error_at(at, "a password needs a `username` to go with it");
        return None;
    }
    Some(Some(source))
}

fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn tls(doc: &mut Document<'_>, raw: &Spanned<RawTls>, base: &Path) -> Option<TlsConfig> {
    let t = raw.get_ref();
    let mut ok = true;
    let mut path = |value: &Spanned<String>, what: &str| {
        if value.get_ref().trim().is_empty() {
            doc.error_at(value, format!("{what} is empty; give the path of a PEM file"));
            ok = false;
        }
        base.join(value.get_ref())
    };
    let ca = path(&t.ca, "ca");
    let cert = t.client_cert.as_ref().map(|c| path(c, "client_cert"));
    let key = t.client_key.as_ref().map(|k| path(k, "client_key"));
    let client_cert = match (cert, key) {
        (Some(cert), Some(key)) => Some((cert, key)),
        (None, None) => None,
        (Some(_), None) => {
            let at = t.client_cert.as_ref()?;
            doc.error_at(at, "client_cert needs its client_key; give both or neither");
            return None;
        }
        (None, Some(_)) => {
            let at = t.client_key.as_ref()?;
            doc.error_at(at, "client_key needs its client_cert; give both or neither");
            return None;
        }
    };
    ok.then_some(TlsConfig { ca, client_cert })
}
