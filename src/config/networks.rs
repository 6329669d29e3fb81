//! The `[[lights.network]]` budgets: how many commands per second each network may carry.
//! `zigbee` (broadcasts: group lights), `zigbee-unicast` (single Zigbee devices) and `wifi`
//! always exist with safe defaults; an entry of the same name replaces one.
//! Also how much of a burst is kept for emergencies: the traffic planner draws on it and the
//! config refuses a light that would not fit beside it.

use std::collections::HashMap;

use serde_spanned::Spanned;

use super::NetworkConfig;
use super::raw_lights::RawNetwork;
use crate::diagnostic::Document;

/// Zigbee broadcasts: group (multicast) commands, which every router repeats and remembers in
/// its broadcast table; the stack allows about 8 in any 9 seconds (Silicon Labs' broadcast
/// table, echoed by Zigbee2MQTT's maintainers; docs/lighting.md cites them). Past that the
/// coordinator refuses or drops them and whole groups miss their change. Group lights
/// (`group = true`) draw on this budget.
const ZIGBEE: (f32, u32) = (0.5, 6);
/// The name of the unicast budget: commands to single Zigbee devices.
pub const ZIGBEE_UNICAST: &str = "zigbee-unicast";
/// Zigbee unicasts: commands to single devices, acknowledged hop by hop and not held to the
/// broadcast limit. Zigbee2MQTT's adapters keep up to 16 in flight at once on current
/// coordinators (Z-Stack on CC26x2/CC1352, EmberZNet), so a room of a dozen bulbs changes in
/// one burst; the rate keeps a fade of many bulbs from sustaining a flood that starves the
/// rest of the mesh (sensors, remotes) of the coordinator's queue.
const ZIGBEE_UNICAST_BUDGET: (f32, u32) = (8.0, 16);
/// Wi-Fi devices are addressed one by one through the broker; the budget only keeps a fade
/// from flooding small ESP-based devices.
const WIFI: (f32, u32) = (5.0, 10);

/// Faster than this is no budget at all: a stepped fade would get through.
const MAX_PER_SECOND: f64 = 50.0;
const MAX_BURST: i64 = 100;

pub fn default_networks() -> Vec<NetworkConfig> {
    [
        ("zigbee", ZIGBEE),
        (ZIGBEE_UNICAST, ZIGBEE_UNICAST_BUDGET),
        ("wifi", WIFI),
    ]
    .into_iter()
    .map(|(name, (per_second, burst))| NetworkConfig {
        name: name.to_string(),
        per_second,
        burst,
    })
    .collect()
}

/// How many tokens ordinary traffic must leave for emergencies: two (an emergency may need a
/// stop and its target) out of a burst of four or more, one out of two or three, none out of
/// a burst of one, where an emergency simply goes first.
pub fn reserve_for(burst: u32) -> u32 {
    match burst {
        0 | 1 => 0,
        2 | 3 => 1,
        _ => 2,
    }
}

/// The most tokens one ordinary command can ever take on a network with this burst: what the
/// reserve leaves of it.
pub fn ordinary_room(burst: u32) -> u32 {
    let burst = burst.max(1);
    burst - reserve_for(burst)
}

/// The smallest burst on which an ordinary command of `messages` messages fits whole (a light
/// with `separate_kelvin` sends two). On a smaller one the planner could keep the budget only
/// by holding the light back for good or by spending the emergencies' reserve, so the config
/// refuses such a light.
pub fn burst_for(messages: u32) -> u32 {
    (1..)
        .find(|&b| ordinary_room(b) >= messages)
        .expect("the room grows with the burst")
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
