//! The `[remote]` section: whether the room may be steered over the clinic's broker and shows
//! up in Home Assistant. Both need a real `[mqtt]` broker: the demo's private one is reachable
//! from nowhere else.

use serde_spanned::Spanned;

use super::model::RemoteConfig;
use super::raw::RawRemote;
use super::raw_lights::RawMqtt;
use crate::diagnostic::Document;

pub fn remote(
    doc: &mut Document<'_>,
    raw: Option<&Spanned<RawRemote>>,
    mqtt: Option<&Spanned<RawMqtt>>,
) -> Option<RemoteConfig> {
    let mut config = RemoteConfig::default();
    let Some(raw) = raw else {
        return Some(config);
    };
    let r = raw.get_ref();
    let mut ok = true;
    if let Some(enabled) = &r.enabled {
        config.enabled = *enabled.get_ref();
    } else {
        // A `[remote]` section is written to be used.
        config.enabled = true;
    }
    if let Some(ha) = &r.home_assistant {
        config.home_assistant = *ha.get_ref();
        if config.home_assistant && !config.enabled {
            doc.error_at(
                ha,
                "`home_assistant = true` needs `enabled = true`: Home Assistant steers the room \
                 through the same remote requests",
            );
            ok = false;
        }
    }
    if let Some(user) = &r.home_assistant_user {
        match crate::remote::topics::user_level_problem(user.get_ref()) {
            None => config.home_assistant_user = user.get_ref().clone(),
            Some(problem) => {
                doc.error_at(user, format!("`home_assistant_user` {problem}"));
                ok = false;
            }
        }
    }
    for (field, value, target) in [
        ("discovery_prefix", &r.discovery_prefix, &mut config.discovery_prefix),
        ("topic_prefix", &r.topic_prefix, &mut config.topic_prefix),
    ] {
        if let Some(value) = value {
            match topic_level_problem(value.get_ref()) {
                None => *target = value.get_ref().clone(),
                Some(problem) => {
                    doc.error_at(value, format!("`{field}` {problem}"));
                    ok = false;
                }
            }
        }
    }
    if config.enabled && mqtt.is_none() {
        let at = r.enabled.as_ref().map(|e| e.span()).unwrap_or(raw.span());
        doc.error(
            at,
            "`[remote]` needs an `[mqtt]` broker that the clinic's other machines can reach; \
             add one, or set `enabled = false`",
        );
        ok = false;
    }
    ok.then_some(config)
}

/// Why `prefix` cannot be the first level of a topic, if it cannot.
fn topic_level_problem(prefix: &str) -> Option<&'static str> {
    if prefix.is_empty() {
        Some("must not be empty")
    } else if prefix.contains(['/', '+', '#']) {
        Some("must be one topic level: no `/`, `+` or `#`")
    } else if prefix.starts_with('$') {
        Some("must not start with `$` (the broker's own topics)")
    } else if prefix.chars().any(char::is_control) || prefix.contains(' ') {
        Some("must not contain spaces or control characters")
    } else {
        None
    }
}
