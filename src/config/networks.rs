//! The `[[lights.network]]` budgets: how many commands per second each network may carry.
//! `zigbee` and `wifi` always exist with safe defaults; an entry of the same name replaces one.

use std::collections::HashMap;

use serde_spanned::Spanned;

use super::raw_lights::RawNetwork;
use crate::diagnostic::Document;
use crate::lights::model::NetworkConfig;

/// A Zigbee coordinator sustains well under one command a second, and group commands are
/// broadcasts of which the network allows only a handful per several seconds; past that,
/// deliveries fail and lights miss their change. The burst lets a room of up to six lights
/// (or groups) change together, then the rest waits.
const ZIGBEE: (f32, u32) = (0.5, 6);
/// Wi-Fi devices are addressed one by one through the broker; the budget only keeps a fade
/// from flooding small ESP-based devices.
const WIFI: (f32, u32) = (5.0, 10);

/// Faster than this is no budget at all: a stepped fade would get through.
const MAX_PER_SECOND: f64 = 50.0;
const MAX_BURST: i64 = 100;

pub fn default_networks() -> Vec<NetworkConfig> {
    [("zigbee", ZIGBEE), ("wifi", WIFI)]
        .into_iter()
        .map(|(name, (per_second, burst))| NetworkConfig {
            name: name.to_string(),
            per_second,
            burst,
        })
        .collect()
}

/// The built-in networks with the configured ones replacing or joining them.
pub fn networks(doc: &mut Document<'_>, raw: &[Spanned<RawNetwork>]) -> Option<Vec<NetworkConfig>> {
    let mut all = Some(default_networks());
    let mut first_seen: HashMap<&str, usize> = HashMap::new();
    for entry in raw {
        let n = entry.get_ref();
        let key = n.name.get_ref().as_str();
        let name = doc.plain_name(&n.name, "network name");
        if let Some(line) = first_seen.get(key) {
            doc.error_at(
                &n.name,
                format!("duplicate network `{key}`; first named on line {line}"),
            );
            all = None;
        } else {
            first_seen.insert(key, doc.line_of(n.name.span()));
        }
        let per_second = if *n.per_second.get_ref() > 0.0 {
            doc.in_range(
                &n.per_second,
                "per_second",
                0.0..=MAX_PER_SECOND,
                " commands a second",
            )
        } else {
            let v = n.per_second.get_ref();
            doc.error_at(
                &n.per_second,
                format!("per_second {v} is out of range; expected above 0 and at most {MAX_PER_SECOND}"),
            );
            None
        };
        let burst = doc.in_range(&n.burst, "burst", 1..=MAX_BURST, " commands");
        match (name, per_second, burst, all.as_mut()) {
            (Some(name), Some(per_second), Some(burst), Some(all)) => {
                let network = NetworkConfig {
                    name,
                    per_second: per_second as f32,
                    burst: burst as u32,
                };
                match all.iter_mut().find(|d| d.name == network.name) {
                    Some(default) => *default = network,
                    None => all.push(network),
                }
            }
            _ => all = None,
        }
    }
    all
}
