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
        match user_level_problem(user.get_ref()) {
            None => config.home_assistant_user = user.get_ref().clone(),
            Some(problem) => {
                doc.error_at(user, format!("`home_assistant_user` {problem}"));
                ok = false;
            }
        }
    }
    for (field, value, target) in [
        (
            "discovery_prefix",
            &r.discovery_prefix,
            &mut config.discovery_prefix,
        ),
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
    if config.enabled && mqtt.is_none() && !doc.was_refused_anywhere("mqtt") {
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

/// What a sender's name may not contain to be one topic level: the config's
/// `home_assistant_user`, and every name a request arrives under or a client sends as.
pub fn user_level_problem(user: &str) -> Option<&'static str> {
    if user.is_empty() {
        Some("is empty")
    } else if user.contains(['/', '+', '#']) {
        Some("contains `/`, `+` or `#`, which cannot be part of one topic level")
    } else if user.chars().any(char::is_control) {
        Some("contains control characters")
    } else {
        None
    }
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

#[cfg(test)]
mod tests {
    use super::super::RemoteConfig;
    use super::super::tests::{ROOM, one, parse};

    /// The demo room (6 lines) with a broker on lines 7-8 and `[remote]` from line 9.
    fn with_broker(remote: &str) -> String {
        format!("{ROOM}[mqtt]\nhost = \"broker.clinic.lan\"\n[remote]\n{remote}")
    }

    fn remote(text: &str) -> RemoteConfig {
        parse(text).unwrap().remote
    }

    #[test]
    fn without_the_section_remote_control_is_off() {
        assert_eq!(remote(ROOM), RemoteConfig::default());
        assert!(!RemoteConfig::default().enabled);
        assert_eq!(
            remote(&format!("{ROOM}[mqtt]\nhost = \"b\"\n")),
            RemoteConfig::default()
        );
    }

    #[test]
    fn a_section_is_on_unless_it_says_otherwise_and_takes_the_defaults() {
        assert_eq!(
            remote(&with_broker("")),
            RemoteConfig {
                enabled: true,
                home_assistant: false,
                home_assistant_user: "homeassistant".into(),
                discovery_prefix: "homeassistant".into(),
                topic_prefix: "setting".into(),
            }
        );
        assert!(!remote(&with_broker("enabled = false\n")).enabled);
    }

    #[test]
    fn everything_given() {
        assert_eq!(
            remote(&with_broker(
                "enabled = true\nhome_assistant = true\nhome_assistant_user = \"ha\"\n\
                 discovery_prefix = \"ha-discovery\"\ntopic_prefix = \"clinic\"\n"
            )),
            RemoteConfig {
                enabled: true,
                home_assistant: true,
                home_assistant_user: "ha".into(),
                discovery_prefix: "ha-discovery".into(),
                topic_prefix: "clinic".into(),
            }
        );
    }

    #[test]
    fn enabled_without_a_broker_is_refused_where_it_is_turned_on() {
        let err = one(&format!("{ROOM}[remote]\nenabled = true\n"));
        assert!(
            err.starts_with("8:11: `[remote]` needs an `[mqtt]` broker"),
            "{err}"
        );
        // A section that does not say `enabled` is refused at the section.
        let err = one(&format!("{ROOM}[remote]\nhome_assistant = true\n"));
        assert!(
            err.starts_with("7:1: `[remote]` needs an `[mqtt]` broker"),
            "{err}"
        );
        // Turned off, it needs nothing.
        assert!(!remote(&format!("{ROOM}[remote]\nenabled = false\n")).enabled);
    }

    #[test]
    fn home_assistant_needs_remote_control_on() {
        let err = one(&with_broker("enabled = false\nhome_assistant = true\n"));
        assert!(
            err.starts_with("11:18: `home_assistant = true` needs `enabled = true`"),
            "{err}"
        );
    }

    #[test]
    fn prefixes_must_be_one_plain_topic_level() {
        for (value, problem) in [
            ("", "must not be empty"),
            ("a/b", "must be one topic level"),
            ("a+", "must be one topic level"),
            ("#", "must be one topic level"),
            ("$SYS", "must not start with `$`"),
            ("my prefix", "must not contain spaces"),
        ] {
            for field in ["topic_prefix", "discovery_prefix"] {
                let err = one(&with_broker(&format!("{field} = \"{value}\"\n")));
                let at = format!("10:{}: `{field}` {problem}", field.len() + 4);
                assert!(err.starts_with(&at), "{field} = {value:?}: {err}");
            }
        }
    }

    #[test]
    fn the_remote_control_guides_examples_are_valid() {
        let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/remote.md")).unwrap();
        let blocks: Vec<&str> = doc
            .split("```toml\n")
            .skip(1)
            .map(|rest| &rest[..rest.find("```").unwrap()])
            .collect();
        assert!(!blocks.is_empty());
        for block in blocks {
            let config = parse(&format!("{ROOM}{block}")).unwrap_or_else(|e| panic!("{e:#?}\n{block}"));
            assert!(config.remote.enabled, "{block}");
        }
    }

    #[test]
    fn the_home_assistant_user_must_be_one_topic_level() {
        for (value, problem) in [
            ("", "is empty"),
            ("ha/x", "contains `/`"),
            ("ha+", "contains `/`, `+` or `#`"),
            ("h\\u0007a", "contains control characters"),
        ] {
            let err = one(&with_broker(&format!("home_assistant_user = \"{value}\"\n")));
            let at = "10:23: `home_assistant_user` ";
            assert!(err.starts_with(&format!("{at}{problem}")), "{value:?}: {err}");
        }
    }

    #[test]
    fn user_names_must_be_one_topic_level() {
        assert!(super::user_level_problem("ana").is_none());
        assert!(super::user_level_problem("dr.ana@clinic").is_none());
        assert!(super::user_level_problem("").is_some());
        assert!(super::user_level_problem("a/b").is_some());
        assert!(super::user_level_problem("a+").is_some());
        assert!(super::user_level_problem("#").is_some());
    }
}
