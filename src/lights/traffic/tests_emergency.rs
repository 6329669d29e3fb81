//! Emergencies and technicians' steps against a busy budget: every light of the zone in the
//! same poll, dimmest first, nothing sent twice; fades that never repeat a command; and
//! calibration steps that are never delayed or merged.

use super::tests::{bulb, look, run, sets};
use super::*;
use crate::config::{Family, default_networks};
use crate::lights::driver::driver;

/// The room of the measures: twelve single bulbs and two groups on the built-in budgets.
fn room() -> (Vec<LightConfig>, Vec<NetworkConfig>) {
    let mut lights: Vec<_> = (0..12)
        .map(|i| {
            let mut l = bulb(&format!("bulb-{i}"), "room", 300);
            l.network = crate::config::default_network(Family::Zigbee2Mqtt, false).into();
            l
        })
        .collect();
    for i in 0..2 {
        let mut g = bulb(&format!("group-{i}"), "room", 300);
        g.group = true;
        g.network = crate::config::default_network(Family::Zigbee2Mqtt, true).into();
        lights.push(g);
    }
    (lights, default_networks())
}

/// Drains both budgets with ordinary traffic: a technician's overrides to every light, over
/// and over, with orders still waiting.
fn busy(p: &mut Planner, lights: usize, until: Millis) {
    let mut t = Millis::ZERO;
    let mut k = 0u16;
    while t < until {
        for i in 0..lights {
            p.set_index(
                t,
                i,
                look(5.0 + f32::from(k % 40), 2200 + k % 800),
                Millis::from_secs(20),
                false,
            );
            k += 1;
        }
        p.poll(t);
        t += Millis(250);
    }
}

#[test]
fn an_emergency_reaches_every_light_in_the_same_poll_dimmest_first_however_busy_the_budget() {
    let (lights, networks) = room();
    let mut p = Planner::new(&lights, &networks);
    let t0 = Millis::from_secs(10);
    busy(&mut p, lights.len(), t0);
    p.poll(t0);
    assert!(
        p.next_deadline().is_some_and(|d| d > t0),
        "ordinary orders are left waiting"
    );
    let now = t0 + Millis(5);
    let before: Vec<f32> = (0..lights.len())
        .map(|i| p.estimated(i, now).map_or(0.0, |l| l.brightness))
        .collect();
    p.set_zone(now, "room", look(100.0, 4000), Millis(500), true);
    let out = p.poll(now);
    let set: Vec<usize> = out
        .iter()
        .filter(|c| matches!(c.kind, PlannedKind::Set(_)))
        .map(|c| c.light)
        .collect();
    let mut all = set.clone();
    all.sort();
    assert_eq!(
        all,
        (0..lights.len()).collect::<Vec<_>>(),
        "every light at once: {out:?}"
    );
    assert!(out.iter().all(|c| c.urgent));
    // Dimmest first: in the order of where the lights were just before.
    let order: Vec<f32> = set.iter().map(|&i| before[i]).collect();
    assert!(
        order.windows(2).all(|w| w[0] <= w[1]),
        "not dimmest first: {order:?}"
    );
    assert!(
        order[0] < order[order.len() - 1],
        "the lights were at different levels: {order:?}"
    );
}

#[test]
fn a_second_emergency_or_the_take_over_sends_nothing_to_lights_already_there() {
    let (lights, networks) = room();
    let mut p = Planner::new(&lights, &networks);
    p.set_zone(Millis::ZERO, "room", look(20.0, 2200), Millis::ZERO, false);
    run(&mut p, Millis::ZERO, Millis::from_secs(60));
    let t0 = Millis::from_secs(60);
    p.set_zone(t0, "room", look(100.0, 4000), Millis(500), true);
    assert_eq!(run(&mut p, t0, t0 + Millis::from_secs(5)).len(), lights.len());
    // The engine takes the emergency over, and the therapist presses it again.
    for k in 1..=2u64 {
        let t = t0 + Millis::from_secs(5 * k);
        p.set_zone(t, "room", look(100.0, 4000), Millis(500), true);
        let again = run(&mut p, t, t + Millis::from_secs(5));
        assert!(again.is_empty(), "sent twice: {again:?}");
    }
    // A light someone dimmed by hand since is sent it again.
    let t = t0 + Millis::from_secs(20);
    p.observe(
        t,
        3,
        &crate::lights::driver::DeviceState {
            on: Some(true),
            level: Some(8.0 / 254.0),
            kelvin: Some(4000),
        },
    );
    p.set_zone(t, "room", look(100.0, 4000), Millis(500), true);
    let out = run(&mut p, t, t + Millis::from_secs(5));
    assert_eq!(
        out.iter().map(|(_, c)| c.light).collect::<Vec<_>>(),
        [3],
        "{out:?}"
    );
}

/// Shelly Gen1 got 11 commands for a 15-minute ramp, 7 of them repeats; Tasmota 9 with 5.
#[test]
fn a_slow_ramp_never_sends_a_light_what_it_was_last_sent() {
    for (family, max) in [(Family::ShellyGen1, 5), (Family::Tasmota, 20)] {
        let mut light = bulb("lamp", "room", max);
        light.family = family;
        light.network = "wifi".into();
        light.kelvin = Some((2700, 6500));
        let mut p = Planner::new(std::slice::from_ref(&light), &default_networks());
        p.set_index(Millis::ZERO, 0, look(20.0, 2700), Millis::ZERO, false);
        run(&mut p, Millis::ZERO, Millis::from_secs(60));
        let t0 = Millis::from_secs(60);
        p.set_index(t0, 0, look(30.0, 2700), Millis::from_mins(15), false);
        let cmds = sets(&run(&mut p, t0, Millis::from_mins(30)), 0);
        assert!(!cmds.is_empty());
        let still = |c: &DeviceCommand| DeviceCommand {
            transition: std::time::Duration::ZERO,
            ..*c
        };
        let payloads: Vec<_> = cmds
            .iter()
            .map(|(_, c)| driver(family).encode(&light, &still(c)))
            .collect();
        for pair in payloads.windows(2) {
            assert_ne!(pair[0], pair[1], "{family:?} repeated a command: {cmds:?}");
        }
        assert_eq!(p.desired(0), Some(look(30.0, 2700)));
        let end = crate::lights::level::command(&light, look(30.0, 2700), std::time::Duration::ZERO);
        assert_eq!(
            payloads.last(),
            Some(&driver(family).encode(&light, &end)),
            "{family:?} ends at the target"
        );
    }
}

/// Calibration steps, a second apart, on a budget ordinary traffic has used up: each step is
/// sent when asked, none merged into the next.
#[test]
fn calibration_steps_are_never_delayed_or_merged() {
    let lights: Vec<_> = (0..6).map(|i| bulb(&format!("l{i}"), "room", 120)).collect();
    let mut p = Planner::new(&lights, &[super::tests::zigbee(4, 0.2)]);
    p.set_zone(
        Millis::ZERO,
        "room",
        look(30.0, 2700),
        Millis::from_secs(30),
        false,
    );
    p.poll(Millis::ZERO);
    let mut sent = Vec::new();
    for (k, raw) in [0.03f32, 0.04, 0.05].into_iter().enumerate() {
        let t = Millis(1000 * k as u64 + 100);
        p.calibrate(t, "l5", raw).unwrap();
        sent.extend(p.poll(t).into_iter().map(|c| (t, c)));
    }
    let steps: Vec<(Millis, f32)> = sets(&sent, 5).into_iter().map(|(t, c)| (t, c.level)).collect();
    assert_eq!(
        steps,
        [(Millis(100), 0.03), (Millis(1100), 0.04), (Millis(2100), 0.05)],
        "{sent:?}"
    );
    assert_eq!(p.merged(), 0);
}
