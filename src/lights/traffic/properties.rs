//! Property tests of the planner's budget: random lights on random networks under random
//! orders (fades, emergencies, reconnects) never send a network more messages in any stretch
//! of time than its bucket allows, burst + rate × length, each emergency is one urgent command
//! straight to its look, and each light ends where it was last told to go.
//!
//! A message is what goes on the wire: a stop is one, a set is one, or two for a light with
//! `separate_kelvin`. Where one command needs more messages than the network's burst, the
//! planner knowingly overdraws (`Bucket::fit`) so that the light still moves: an emergency's
//! stop rides with its set on a network with a burst of one, and is not counted there.
//! Networks with a burst of one or two come up often, and a light asks for `separate_kelvin`
//! on any network; it gets it where the config would accept it ([`burst_for`]), so the
//! config's rule is what keeps the budget there.

use std::time::Duration;

use proptest::collection::vec;
use proptest::prelude::*;

use super::tests::{look, run};
use super::*;
use crate::config::{Curve, Family, burst_for};

const ZONES: [&str; 2] = ["room", "mat-1"];

#[derive(Clone, Debug)]
enum Order {
    Set {
        light: usize,
        look: Look,
        fade: Millis,
        urgent: bool,
    },
    Zone {
        zone: usize,
        look: Look,
        fade: Millis,
        urgent: bool,
    },
    /// The broker came back: every light is re-asserted.
    Reconnect,
}

fn network() -> impl Strategy<Value = NetworkConfig> {
    (prop_oneof![1u32..=2, 1u32..=10], 0.2f32..=10.0).prop_map(|(burst, per_second)| NetworkConfig {
        name: String::new(),
        per_second,
        burst,
    })
}

/// A light's zone, network (0 or 1), longest native transition in seconds, and whether it
/// wants its Kelvin in a second message.
fn light() -> impl Strategy<Value = (usize, usize, u64, bool)> {
    (
        0..ZONES.len(),
        0..2usize,
        prop_oneof![Just(0u64), 1u64..=120],
        any::<bool>(),
    )
}

fn setup() -> impl Strategy<Value = (Vec<NetworkConfig>, Vec<LightConfig>)> {
    (vec(network(), 2), vec(light(), 1..=6)).prop_map(|(mut networks, lights)| {
        for (i, n) in networks.iter_mut().enumerate() {
            n.name = format!("net-{i}");
        }
        let lights = lights
            .into_iter()
            .enumerate()
            .map(|(i, (zone, net, max_transition, separate))| LightConfig {
                name: format!("light-{i}"),
                zone: ZONES[zone].into(),
                family: Family::Zigbee2Mqtt,
                topic: format!("light-{i}"),
                group: false,
                kelvin: Some((2200, 4000)),
                max_transition: Duration::from_secs(max_transition),
                min_level: 0.0,
                curve: Curve::Cie,
                network: networks[net].name.clone(),
                separate_kelvin: separate && networks[net].burst >= burst_for(2),
            })
            .collect();
        (networks, lights)
    })
}

fn a_look() -> impl Strategy<Value = Look> {
    (0.0f32..=100.0, 2200u16..=4000).prop_map(|(b, k)| look(b, k))
}

fn fade() -> impl Strategy<Value = Millis> {
    prop_oneof![Just(Millis::ZERO), (0u64..=120_000).prop_map(Millis)]
}

fn order() -> impl Strategy<Value = Order> {
    prop_oneof![
        6 => (0..6usize, a_look(), fade(), prop::bool::weighted(0.15))
            .prop_map(|(light, look, fade, urgent)| Order::Set { light, look, fade, urgent }),
        3 => (0..ZONES.len(), a_look(), fade(), prop::bool::weighted(0.15))
            .prop_map(|(zone, look, fade, urgent)| Order::Zone { zone, look, fade, urgent }),
        1 => Just(Order::Reconnect),
    ]
}

/// Orders, each after a gap of up to five seconds: bursts of overrides and quiet spells.
fn orders() -> impl Strategy<Value = Vec<(Millis, Order)>> {
    vec(((0u64..=5_000).prop_map(Millis), order()), 1..=80)
}

/// What a planned command costs its network, as the coordinator carries it (see
/// `carriage`): an emergency's in full; an ordinary one as far as the burst can ever hold it
/// beside the reserve, where the planner knowingly overdraws so that the light still moves.
fn messages(light: &LightConfig, network: &NetworkConfig, c: &PlannedCommand) -> u32 {
    let cost = match c.kind {
        PlannedKind::Stop => super::carriage::stop_cost(light),
        PlannedKind::Set(_) => super::carriage::set_cost(light),
    };
    if c.urgent {
        cost
    } else {
        cost.min(crate::config::ordinary_room(network.burst))
    }
}

/// Fails if any stretch of a network's sends holds more messages than its bucket allows.
/// Emergencies are never held back: what they send in a stretch is allowed on top, and what
/// they took is paid back by ordinary traffic waiting.
fn within_budget(sends: &[(Millis, u32, bool)], network: &NetworkConfig) -> Result<(), TestCaseError> {
    for (a, (start, _, _)) in sends.iter().enumerate() {
        let mut count = 0u32;
        let mut urgent = 0u32;
        for (end, n, u) in &sends[a..] {
            count += n;
            if *u {
                urgent += n;
            }
            let allowed = f64::from(network.burst)
                + f64::from(urgent)
                + (end.0 - start.0) as f64 / 1000.0 * f64::from(network.per_second);
            prop_assert!(
                f64::from(count) <= allowed + 1e-6,
                "{} messages on {} from {} to {}: the budget is {:.3}",
                count,
                network.name,
                start,
                end,
                allowed
            );
        }
    }
    Ok(())
}

/// An emergency's command is urgent and goes straight to the emergency's look, however the
/// light fades: nothing of it is left for ordinary traffic.
fn emergency_commands_carry_their_look(
    lights: &[LightConfig],
    batch: &[(Millis, PlannedCommand)],
    emergency: &mut [Option<Look>],
) -> Result<(), TestCaseError> {
    for (t, c) in batch {
        let PlannedKind::Set(cmd) = c.kind else { continue };
        let Some(look) = emergency[c.light].take() else {
            continue;
        };
        let want = crate::lights::level::command(&lights[c.light], look, Duration::ZERO);
        prop_assert!(
            c.urgent,
            "the emergency's command at {} is not urgent: {:?}",
            t,
            c
        );
        prop_assert_eq!(
            (cmd.on, cmd.level, cmd.kelvin),
            (want.on, want.level, want.kelvin),
            "the emergency's command at {} is not its look {:?}",
            t,
            look
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_orders_never_exceed_burst_plus_rate_times_time((networks, lights) in setup(), orders in orders()) {
        let mut p = Planner::new(&lights, &networks);
        let mut sent = Vec::new();
        let mut now = Millis::ZERO;
        let mut last: Vec<Option<Look>> = vec![None; lights.len()];
        // The look of an emergency whose command has not gone yet, per light.
        let mut emergency: Vec<Option<Look>> = vec![None; lights.len()];
        for (gap, order) in orders {
            let next = now + gap;
            let batch = run(&mut p, now, next);
            emergency_commands_carry_their_look(&lights, &batch, &mut emergency)?;
            sent.extend(batch);
            now = next;
            match order {
                Order::Set { light, look, fade, urgent } => {
                    let light = light % lights.len();
                    p.set_index(now, light, look, fade, urgent);
                    last[light] = Some(look);
                    // An emergency to a light already at its look sends nothing.
                    emergency[light] = (urgent && p.pending(light)).then_some(look);
                }
                Order::Zone { zone, look, fade, urgent } => {
                    p.set_zone(now, ZONES[zone], look, fade, urgent);
                    for (i, l) in lights.iter().enumerate() {
                        if l.zone == ZONES[zone] {
                            last[i] = Some(look);
                            emergency[i] = (urgent && p.pending(i)).then_some(look);
                        }
                    }
                }
                Order::Reconnect => p.reassert_all(now),
            }
        }
        // Long enough for the slowest fade and the emptiest bucket to finish.
        let batch = run(&mut p, now, now + Millis::from_mins(30));
        emergency_commands_carry_their_look(&lights, &batch, &mut emergency)?;
        prop_assert!(emergency.iter().all(Option::is_none), "an emergency never went: {:?}", emergency);
        sent.extend(batch);
        prop_assert_eq!(p.next_deadline(), None, "still sending half an hour after the last order");
        for network in &networks {
            let sends: Vec<(Millis, u32, bool)> = sent
                .iter()
                .filter(|(_, c)| lights[c.light].network == network.name)
                .map(|(t, c)| (*t, messages(&lights[c.light], network, c), c.urgent))
                .collect();
            within_budget(&sends, network)?;
        }
        for (i, want) in last.iter().enumerate() {
            prop_assert_eq!(p.desired(i), *want, "light {} does not head where it was last sent", i);
        }
    }
}
