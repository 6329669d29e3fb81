//! The planner's budget: token buckets under a flood of orders, latest-state-only, and
//! emergencies going first.

use super::tests::{bulb, look, run, sets, zigbee};
use super::*;
use crate::config::{Family, reserve_for};
use crate::lights::level::device_level;

/// Fails if any window of the sends holds more messages than the bucket allows: its burst
/// plus what it refills over the window.
fn assert_within_budget(times: &[Millis], burst: u32, per_second: f32) {
    for (a, start) in times.iter().enumerate() {
        for (b, end) in times.iter().enumerate().skip(a) {
            let count = (b - a + 1) as f64;
            let allowed = burst as f64 + (end.0 - start.0) as f64 / 1000.0 * per_second as f64;
            assert!(
                count <= allowed + 1e-9,
                "{count} messages between {start:?} and {end:?}: budget {allowed}"
            );
        }
    }
}

#[test]
fn a_hundred_overrides_in_ten_seconds_keep_to_the_budget_and_the_latest_state_wins() {
    let lights: Vec<_> = (0..4).map(|i| bulb(&format!("l{i}"), "room", 120)).collect();
    let mut p = Planner::new(&lights, &[zigbee(5, 1.0)]);
    let mut latest = vec![None; lights.len()];
    let mut sent = Vec::new();
    // A deterministic scatter of overrides: 100 in 10 s, to any light, with short fades.
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for k in 0..100u64 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let now = Millis(k * 100);
        let i = (seed >> 33) as usize % lights.len();
        let target = look(((seed >> 40) % 101) as f32, 2200 + ((seed >> 20) % 1800) as u16);
        p.set_index(now, i, target, Millis::from_secs((seed >> 50) % 5), false);
        latest[i] = Some(target);
        sent.extend(run(&mut p, now, Millis(now.0 + 99)));
    }
    sent.extend(run(&mut p, Millis(10_000), Millis::from_mins(5)));
    let times: Vec<Millis> = sent.iter().map(|(t, _)| *t).collect();
    assert_within_budget(&times, 5, 1.0);
    // Under half of the orders could ever go: the rest were merged, never queued.
    assert!(sent.len() < 40, "{} sent", sent.len());
    assert!(p.merged() > 50, "{} merged", p.merged());
    assert_eq!(p.sent(), sent.len() as u64);
    for (i, want) in latest.iter().enumerate() {
        let want = want.expect("every light got orders");
        let (_, last) = *sets(&sent, i).last().unwrap();
        assert_eq!(
            Some(last.level),
            device_level(&lights[i], want.brightness).or(Some(0.0))
        );
        assert_eq!(last.on, want.brightness > 0.0);
        assert_eq!(last.kelvin, Some(want.kelvin));
        assert_eq!(p.desired(i), Some(want));
    }
}

#[test]
fn an_emergency_preempts_a_running_fade_ahead_of_everything_waiting() {
    let mut lights: Vec<_> = (0..6).map(|i| bulb(&format!("l{i}"), "room", 300)).collect();
    lights[0].zone = "client".into();
    let mut p = Planner::new(&lights, &[zigbee(5, 1.0)]);
    p.set_zone(Millis::ZERO, "client", look(10.0, 2200), Millis::ZERO, false);
    run(&mut p, Millis::ZERO, Millis::from_secs(60));
    let t0 = Millis::from_secs(60);
    p.set_zone(t0, "client", look(40.0, 2200), Millis::from_mins(10), false);
    // The rest of the room takes every ordinary token, and more waits.
    p.set_zone(t0, "room", look(20.0, 2700), Millis::from_secs(30), false);
    let first = p.poll(t0);
    assert!(
        first.iter().any(|c| c.light == 0),
        "the fade is running: {first:?}"
    );
    assert!(
        first.len() < lights.len(),
        "some ordinary orders must wait: {first:?}"
    );
    let now = t0 + Millis(200);
    assert!(p.poll(now).is_empty(), "no ordinary token left");
    assert!(p.next_deadline().unwrap() > now);

    p.set_zone(now, "client", look(100.0, 4000), Millis::ZERO, true);
    let out = p.poll(now);
    assert_eq!(
        out.iter().map(|c| (c.light, c.kind.clone())).collect::<Vec<_>>()[..1],
        [(0, PlannedKind::Stop)],
        "a stop first: {out:?}"
    );
    let PlannedKind::Set(cmd) = out[1].kind else {
        panic!("then the target: {out:?}")
    };
    assert_eq!(out[1].light, 0);
    assert!(out[1].urgent && cmd.on && cmd.level == 1.0 && cmd.kelvin == Some(4000));
    assert!(cmd.transition.is_zero());
    assert_eq!(
        out.len(),
        2,
        "nothing ordinary goes on the emergency's tokens: {out:?}"
    );
    assert_eq!(p.estimated(0, now).map(|l| l.brightness), Some(100.0));
}

#[test]
fn an_emergency_waits_for_no_ordinary_order_that_fell_due_before_it() {
    let lights: Vec<_> = (0..8).map(|i| bulb(&format!("l{i}"), "room", 120)).collect();
    let mut p = Planner::new(&lights, &[zigbee(4, 1.0)]);
    p.set_zone(Millis::ZERO, "room", look(30.0, 2700), Millis::ZERO, false);
    let now = Millis(10);
    // The bucket holds only its reserve (each bulb's set is two Zigbee commands, brightness
    // and colour temperature), and seven ordinary orders wait; none of them running.
    assert_eq!(p.poll(Millis::ZERO).len(), 1);
    p.set_index(now, 7, look(100.0, 4000), Millis::ZERO, true);
    let out = p.poll(now);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!((out[0].light, out[0].urgent), (7, true));
    assert!(
        matches!(out[0].kind, PlannedKind::Set(_)),
        "nothing was running, so no stop"
    );
}

#[test]
fn an_ordinary_new_target_replaces_a_running_fade_without_a_stop() {
    let mut p = Planner::new(&[bulb("lamp", "room", 300)], &[zigbee(5, 1.0)]);
    p.set_index(Millis::ZERO, 0, look(10.0, 2700), Millis::ZERO, false);
    run(&mut p, Millis::ZERO, Millis::from_secs(5));
    p.set_index(
        Millis::from_secs(10),
        0,
        look(50.0, 2700),
        Millis::from_mins(5),
        false,
    );
    run(&mut p, Millis::from_secs(10), Millis::from_secs(20));
    p.set_index(
        Millis::from_secs(30),
        0,
        look(20.0, 2700),
        Millis::from_secs(30),
        false,
    );
    let out = p.poll(Millis::from_secs(30));
    assert_eq!(out.len(), 1);
    assert!(matches!(out[0].kind, PlannedKind::Set(_)));
}

/// A network the planner was given no description of gets the built-in budget for its lights:
/// groups the broadcast one (`zigbee`), single bulbs the unicast one (`zigbee-unicast`).
#[test]
fn a_network_nobody_configured_gets_the_built_in_zigbee_budget_for_groups_or_single_bulbs() {
    for group in [true, false] {
        let lights: Vec<_> = (0..10)
            .map(|i| {
                let mut l = bulb(&format!("l{i}"), "room", 120);
                l.network = "unlisted".into();
                l.kelvin = None;
                l.group = group;
                l
            })
            .collect();
        let mut p = Planner::new(&lights, &[]);
        p.set_zone(
            Millis::ZERO,
            "room",
            look(50.0, 2700),
            Millis::from_secs(30),
            false,
        );
        let sent = run(&mut p, Millis::ZERO, Millis::from_mins(1));
        let (burst, rate) = default_budget(Family::Zigbee2Mqtt, group);
        let at_once = sent.iter().filter(|(t, _)| *t == Millis::ZERO).count() as u32;
        assert_eq!(at_once, (burst - reserve_for(burst)).min(10), "group {group}");
        if group {
            assert!(at_once < 10, "broadcasts are held to the radio's limit");
        } else {
            assert_eq!(at_once, 10, "ten single bulbs change together");
        }
        let times: Vec<Millis> = sent.iter().map(|(t, _)| *t).collect();
        assert_within_budget(&times, burst, rate);
        assert_eq!(sent.len(), 10, "every light gets its one command in the end");
    }
}

#[test]
fn a_light_waiting_for_a_token_goes_with_the_state_due_when_it_goes() {
    let lights: Vec<_> = (0..4).map(|i| bulb(&format!("l{i}"), "room", 120)).collect();
    let mut p = Planner::new(&lights, &[zigbee(3, 0.5)]);
    p.set_zone(Millis::ZERO, "room", look(10.0, 2700), Millis::ZERO, false);
    run(&mut p, Millis::ZERO, Millis::from_mins(1));
    let t0 = Millis::from_mins(1);
    p.set_zone(t0, "room", look(70.0, 2700), Millis::from_secs(20), false);
    let sent = run(&mut p, t0, Millis::from_mins(2));
    for i in 0..lights.len() {
        let cmds = sets(&sent, i);
        let (t, c) = cmds[0];
        let due_end = (t0 + Millis::from_secs(20)).max(t);
        // Those that waited past some of the fade carry only what is left of it.
        assert_eq!(
            Millis(t.0 + c.transition.as_millis() as u64),
            due_end,
            "light {i}"
        );
    }
    assert!(sent.iter().any(|(t, _)| *t > t0), "some had to wait");
}

#[test]
fn a_light_that_waited_past_its_whole_fade_still_fades_rather_than_jumps() {
    let lights: Vec<_> = (0..3).map(|i| bulb(&format!("l{i}"), "room", 120)).collect();
    let mut p = Planner::new(&lights, &[zigbee(1, 0.1)]);
    p.set_zone(Millis::ZERO, "room", look(10.0, 2700), Millis::ZERO, false);
    run(&mut p, Millis::ZERO, Millis::from_mins(2));
    let t0 = Millis::from_mins(2);
    p.set_zone(t0, "room", look(60.0, 2700), Millis::from_secs(3), false);
    p.set_index(t0, 2, look(60.0, 2700), Millis::ZERO, false);
    let sent = run(&mut p, t0, Millis::from_mins(4));
    let late = sets(&sent, 1);
    assert_eq!(late.len(), 1);
    assert!(
        late[0].0 >= t0 + Millis::from_secs(10),
        "it had to wait: {late:?}"
    );
    assert_eq!(late[0].1.transition, CATCH_UP.to_duration());
    assert_eq!(Some(late[0].1.level), device_level(&lights[1], 60.0));
    // An order for no fade at all is carried out at once, however late.
    assert!(sets(&sent, 2)[0].1.transition.is_zero());
}

/// On the default Zigbee budget, an emergency for a light without transitions of its own, while
/// five other bulbs change at the same moment, once went out as the light's old look (the ramp's
/// start) and reached full light only seconds later, as ordinary traffic behind the others.
#[test]
fn an_emergency_on_a_stepped_light_goes_straight_to_full_light_on_the_reserve() {
    let mut lights: Vec<_> = (0..5).map(|i| bulb(&format!("l{i}"), "room", 120)).collect();
    lights.push(bulb("strip", "client", 0));
    lights.push(bulb("lamp", "client", 120));
    let (burst, rate) = default_budget(Family::Zigbee2Mqtt, false);
    let mut p = Planner::new(&lights, &[zigbee(burst, rate)]);
    p.set_zone(Millis::ZERO, "room", look(20.0, 2700), Millis::ZERO, false);
    p.set_zone(Millis::ZERO, "client", look(20.0, 2700), Millis::ZERO, false);
    run(&mut p, Millis::ZERO, Millis::from_secs(100));
    let t0 = Millis::from_secs(100);
    p.set_zone(t0, "room", look(40.0, 2700), Millis::from_secs(30), false);
    p.set_zone(t0, "client", look(100.0, 4000), Millis(500), true);
    let sent = run(&mut p, t0, Millis::from_mins(5));
    for light in [5, 6] {
        let cmds: Vec<_> = sent.iter().filter(|(_, c)| c.light == light).collect();
        assert_eq!(cmds.len(), 1, "one command for the whole emergency: {cmds:?}");
        let (t, c) = cmds[0];
        let PlannedKind::Set(cmd) = c.kind else {
            panic!("{c:?}")
        };
        assert_eq!(*t, t0, "{c:?}");
        assert!(c.urgent, "{c:?}");
        assert!(
            cmd.on && cmd.level == 1.0 && cmd.kelvin == Some(4000),
            "straight to the target: {cmd:?}"
        );
        assert!(cmd.transition <= Millis(500).to_duration(), "{cmd:?}");
        assert_eq!(p.estimated(light, t0 + Millis(500)), Some(look(100.0, 4000)));
    }
    assert!(sets(&sent, 5)[0].1.transition.is_zero(), "a stepped light jumps");
}
