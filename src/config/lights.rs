//! Each zone's `[[room.zone.light]]`: the fixtures, their family and topic, what they can do
//! (colour-temperature range, longest native fade, lowest usable level) and the network budget
//! they draw on, which must have room for the two messages of a light with `separate_kelvin`.
//! Checked across the room too: names are unique among lights and zones, topics are unique, and
//! once the room has any light, every zone has one.

use std::collections::HashMap;
use std::time::Duration;

use serde_spanned::Spanned;

use super::family_limits::{default_max_transition, default_network, device_limit, driver_prefixes};
use super::networks::{burst_for, ordinary_room};
use super::raw::RawZone;
use super::raw_lights::RawLight;
use super::{Curve, Family, LightConfig, NetworkConfig};
use crate::diagnostic::Document;
use crate::time::{Millis, format_duration};

/// Colour temperatures outside this are not white light any fixture makes.
const KELVIN: std::ops::RangeInclusive<i64> = 1000..=10_000;
/// A calibrated minimum above half the range is a mistake (percent typed as a level, or the
/// wrong light): dim scenes would come out bright.
const MAX_MIN_LEVEL_PERCENT: f64 = 50.0;

/// `networks` is `None` when `[[lights.network]]` was wrong; network names are then not checked.
pub fn lights(
    doc: &mut Document<'_>,
    zones: &[RawZone],
    networks: Option<&[NetworkConfig]>,
) -> Option<Vec<LightConfig>> {
    let mut all = Some(Vec::new());
    let mut names: HashMap<&str, usize> = HashMap::new();
    let mut topics: HashMap<(Family, String), usize> = HashMap::new();
    for zone in zones {
        for raw in &zone.light {
            let light = light(doc, zone.name.get_ref(), raw.get_ref(), networks);
            let r = raw.get_ref();
            let key = r.name.get_ref().as_str();
            if let Some(line) = names.get(key) {
                doc.error_at(
                    &r.name,
                    format!("duplicate light `{key}`; first named on line {line}"),
                );
                all = None;
            } else if zones.iter().any(|z| z.name.get_ref() == key) {
                // `setting lights set NAME` takes a zone or a light: one name must mean one thing.
                doc.error_at(
                    &r.name,
                    format!(
                        "light `{key}` has the name of a zone; give it a name of its own, such as `{key}-1`"
                    ),
                );
                all = None;
            } else {
                names.insert(key, doc.line_of(r.name.span()));
            }
            if let Some(l) = &light {
                let at = r.topic.as_ref().map_or(r.name.span(), |t| t.span());
                let topic_key = (l.family, l.topic.clone());
                if let Some(line) = topics.get(&topic_key) {
                    let msg = format!(
                        "{} topic `{}` is already used on line {line}; two entries would send every command twice",
                        l.family.name(),
                        l.topic
                    );
                    doc.error(at, msg);
                    all = None;
                } else {
                    topics.insert(topic_key, doc.line_of(at));
                }
            }
            match (light, all.as_mut()) {
                (Some(l), Some(all)) => all.push(l),
                _ => all = None,
            }
        }
    }
    if zones.iter().any(|z| !z.light.is_empty()) {
        for zone in zones.iter().filter(|z| z.light.is_empty()) {
            let msg = format!(
                "zone `{}` has no lights; give it a [[room.zone.light]] or remove the zone",
                zone.name.get_ref()
            );
            doc.error_at(&zone.name, msg);
            all = None;
        }
    }
    all
}

fn light(
    doc: &mut Document<'_>,
    zone: &str,
    r: &RawLight,
    networks: Option<&[NetworkConfig]>,
) -> Option<LightConfig> {
    let name = doc.plain_name(&r.name, "light name");
    let families: Vec<(&str, Family)> = Family::ALL.iter().map(|f| (f.name(), *f)).collect();
    let family = doc.one_of(&r.family, "light family", &families);
    let topic = match (&r.topic, family) {
        (Some(t), Some(family)) => topic(doc, t, family),
        (Some(_), None) => None,
        (None, _) => Some(r.name.get_ref().clone()),
    };
    let group = match &r.group {
        Some(g) if *g.get_ref() && family.is_some_and(|f| f != Family::Zigbee2Mqtt) => {
            doc.error_at(
                g,
                "group is for Zigbee2MQTT groups only; list each light of another family on its own",
            );
            None
        }
        Some(g) => Some(*g.get_ref()),
        None => Some(false),
    };
    let kelvin = match &r.kelvin {
        Some(k) => kelvin(doc, k).map(Some),
        None => Some(None),
    };
    let max_transition = match (&r.max_transition, family) {
        (Some(t), Some(family)) => max_transition(doc, t, family),
        (None, Some(family)) => Some(default_max_transition(family)),
        _ => None,
    };
    let min_level = match &r.min_level {
        Some(m) => doc
            .in_range(m, "min_level", 0.0..=MAX_MIN_LEVEL_PERCENT, " %")
            .map(|m| (m / 100.0) as f32),
        None => Some(0.0),
    };
    let curve = match &r.curve {
        Some(c) => doc.one_of(c, "curve", &[("cie", Curve::Cie), ("linear", Curve::Linear)]),
        None => Some(Curve::default()),
    };
    let network = match (&r.network, family) {
        (Some(n), _) => network(doc, n, networks),
        (None, Some(family)) => Some(default_network(family, group.unwrap_or(false)).to_string()),
        (None, None) => None,
    };
    let separate_kelvin = match (&r.separate_kelvin, &kelvin, &network, networks) {
        // Without a colour temperature there is only one message per command.
        (Some(s), Some(Some(_)), Some(net), Some(networks)) if *s.get_ref() => {
            separate_kelvin(doc, s, r.name.get_ref(), net, networks)
        }
        (Some(s), _, _, _) => Some(*s.get_ref()),
        (None, _, _, _) => Some(false),
    };
    Some(LightConfig {
        name: name?,
        zone: zone.to_string(),
        family: family?,
        topic: topic?,
        group: group?,
        kelvin: kelvin?,
        max_transition: max_transition?,
        min_level: min_level?,
        curve: curve?,
        network: network?,
        separate_kelvin: separate_kelvin?,
    })
}

/// A light with `separate_kelvin` sends two messages per command, and they go together: its
/// network's burst must leave ordinary traffic room for both beside the emergencies' reserve,
/// or every command would overdraw the budget.
fn separate_kelvin(
    doc: &mut Document<'_>,
    value: &Spanned<bool>,
    light: &str,
    network: &str,
    networks: &[NetworkConfig],
) -> Option<bool> {
    let Some(n) = networks.iter().find(|n| n.name == network) else {
        // An unknown network is reported on its own.
        return Some(true);
    };
    let needed = burst_for(2);
    if n.burst >= needed {
        return Some(true);
    }
    let msg = format!(
        "light `{light}` has separate_kelvin, two messages per command, but network `{network}` has a \
         burst of {}, which leaves ordinary commands room for {} beside the emergencies' reserve; \
         raise that network's burst to {needed} or more, or remove separate_kelvin",
        n.burst,
        ordinary_room(n.burst)
    );
    doc.error_at(value, msg);
    None
}

/// The device's own name or topic: the driver builds the full topics around it, so MQTT
/// wildcards, empty levels and the driver's own prefix are refused.
fn topic(doc: &mut Document<'_>, value: &Spanned<String>, family: Family) -> Option<String> {
    let text = value.get_ref();
    let problem = if text.trim().is_empty() {
        Some("is empty".to_string())
    } else if text.contains(['+', '#']) || text.chars().any(char::is_control) {
        Some("has an MQTT wildcard or control character in it".to_string())
    } else if text.starts_with('/') || text.ends_with('/') || text.contains("//") {
        Some("has an empty topic level; remove the extra `/`".to_string())
    } else {
        driver_prefixes(family)
            .iter()
            .find(|p| text.starts_with(*p))
            .map(|p| {
                format!(
                    "starts with `{p}`, which the {} driver adds itself",
                    family.name()
                )
            })
    };
    match problem {
        Some(problem) => {
            doc.error_at(value, format!("topic `{text}` {problem}"));
            None
        }
        None => Some(text.clone()),
    }
}

fn kelvin(doc: &mut Document<'_>, value: &Spanned<Vec<Spanned<i64>>>) -> Option<(u16, u16)> {
    let [lo, hi] = value.get_ref().as_slice() else {
        doc.error_at(
            value,
            "kelvin is the fixture's range, two numbers such as [2200, 4000]",
        );
        return None;
    };
    let (lo_k, hi_k) = (
        doc.in_range(lo, "kelvin", KELVIN, " K"),
        doc.in_range(hi, "kelvin", KELVIN, " K"),
    );
    let (lo_k, hi_k) = (lo_k?, hi_k?);
    if lo_k >= hi_k {
        doc.error_at(
            value,
            format!(
                "kelvin range [{lo_k}, {hi_k}] is empty; expected the warmest first, such as [2200, 4000]"
            ),
        );
        return None;
    }
    Some((lo_k as u16, hi_k as u16))
}

fn max_transition(doc: &mut Document<'_>, value: &Spanned<String>, family: Family) -> Option<Duration> {
    let limit = device_limit(family);
    let limit_ms = Millis(limit.as_millis() as u64);
    // Zero is a fixture without transitions of its own: the planner steps it in software, slowly.
    let d = doc.duration(value)?;
    if d > limit_ms {
        let msg = format!(
            "max_transition of {} is longer than a {} device carries out; expected at most {}",
            value.get_ref(),
            family.name(),
            format_duration(limit_ms)
        );
        doc.error_at(value, msg);
        return None;
    }
    Some(d.to_duration())
}

fn network(
    doc: &mut Document<'_>,
    value: &Spanned<String>,
    networks: Option<&[NetworkConfig]>,
) -> Option<String> {
    let name = value.get_ref();
    let Some(networks) = networks else {
        return Some(name.clone());
    };
    if networks.iter().any(|n| &n.name == name) {
        return Some(name.clone());
    }
    let known: Vec<&str> = networks.iter().map(|n| n.name.as_str()).collect();
    let msg = format!(
        "unknown network `{name}`; expected one of {}, or add a [[lights.network]] of that name",
        known.join(", ")
    );
    doc.error_at(value, msg);
    None
}
