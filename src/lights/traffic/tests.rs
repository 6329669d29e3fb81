//! The planner's fades: segments, software steps, the low end, re-assertion, and a whole
//! session's worth of orders. The helpers here drive it as the MQTT task would and replay what
//! it sent on a model device that fades linearly in its own level.

use std::time::Duration;

use super::ramp::{MAX_ERROR, Ramp, STEP_BRIGHTNESS, STEP_INTERVAL, STEP_KELVIN};
use super::*;
use crate::config::{Curve, Family};
use crate::lights::level::{curve_level, curve_perceived, device_level};

pub(super) fn look(brightness: f32, kelvin: u16) -> Look {
    Look { brightness, kelvin }
}

pub(super) fn bulb(name: &str, zone: &str, max_transition_s: u64) -> LightConfig {
    LightConfig {
        name: name.into(),
        zone: zone.into(),
        family: Family::Zigbee2Mqtt,
        topic: name.into(),
        group: false,
        kelvin: Some((2200, 4000)),
        max_transition: Duration::from_secs(max_transition_s),
        min_level: 0.0,
        curve: Curve::Cie,
        network: "zigbee".into(),
        separate_kelvin: false,
    }
}

pub(super) fn zigbee(burst: u32, per_second: f32) -> NetworkConfig {
    NetworkConfig {
        name: "zigbee".into(),
        per_second,
        burst,
    }
}

/// Everything the planner hands out from now until `until`, polled at its own deadlines as
/// the MQTT task would. Fails on a deadline that yields nothing and does not move on: that
/// would be a busy loop in the daemon.
pub(super) fn run(p: &mut Planner, from: Millis, until: Millis) -> Vec<(Millis, PlannedCommand)> {
    let mut out = Vec::new();
    let mut now = from;
    loop {
        let batch = p.poll(now);
        let idle = batch.is_empty();
        out.extend(batch.into_iter().map(|c| (now, c)));
        match p.next_deadline() {
            Some(next) if next <= until => {
                assert!(next > now || !idle, "deadline {next:?} at {now:?} yields nothing");
                now = next.max(now);
            }
            _ => return out,
        }
    }
}

pub(super) fn sets(sent: &[(Millis, PlannedCommand)], light: usize) -> Vec<(Millis, DeviceCommand)> {
    sent.iter()
        .filter(|(_, c)| c.light == light)
        .filter_map(|(t, c)| match c.kind {
            PlannedKind::Set(cmd) => Some((*t, cmd)),
            PlannedKind::Stop => None,
        })
        .collect()
}

/// A device that fades linearly in its own level, as bulbs do, replaying what it was sent.
pub(super) struct ModelDevice {
    level: f32,
    from: f32,
    to: f32,
    start: Millis,
    end: Millis,
}

impl ModelDevice {
    pub(super) fn new(level: f32) -> ModelDevice {
        ModelDevice {
            level,
            from: level,
            to: level,
            start: Millis::ZERO,
            end: Millis::ZERO,
        }
    }

    pub(super) fn level(&self, t: Millis) -> f32 {
        if t >= self.end || self.end <= self.start {
            return self.to;
        }
        let f = (t.0 - self.start.0) as f32 / (self.end.0 - self.start.0) as f32;
        self.from + (self.to - self.from) * f
    }

    pub(super) fn apply(&mut self, t: Millis, kind: &PlannedKind) {
        self.level = self.level(t);
        match kind {
            PlannedKind::Stop => {
                self.to = self.level;
                self.end = t;
            }
            PlannedKind::Set(c) => {
                self.from = self.level;
                self.to = if c.on { c.level } else { 0.0 };
                self.start = t;
                self.end = t + Millis(c.transition.as_millis() as u64);
            }
        }
    }
}

/// A planner with one light already sitting at `start`, so the next order ramps from there.
fn settled(light: LightConfig, start: Look) -> Planner {
    let mut p = Planner::new(&[light], &[zigbee(5, 1.0)]);
    p.set_index(Millis::ZERO, 0, start, Millis::ZERO, false);
    assert_eq!(run(&mut p, Millis::ZERO, Millis::from_secs(60)).len(), 1);
    p
}

#[test]
fn a_fifteen_minute_return_ramp_is_a_handful_of_commands_ending_at_the_target() {
    let mut p = settled(bulb("lamp", "room", 300), look(10.0, 2200));
    let t0 = Millis::from_mins(1);
    let target = look(80.0, 3500);
    p.set_zone(t0, "room", target, Millis::from_mins(15), false);
    let sent = run(&mut p, t0, Millis::from_mins(30));
    let cmds = sets(&sent, 0);
    // 900 s at 300 s a command needs three at the least; the curve costs a few more.
    assert!((3..=8).contains(&cmds.len()), "{} commands: {cmds:?}", cmds.len());
    for pair in cmds.windows(2) {
        let (t, c) = pair[0];
        assert_eq!(
            t + Millis(c.transition.as_millis() as u64),
            pair[1].0,
            "each goes when the last ends"
        );
    }
    let (t, last) = *cmds.last().unwrap();
    assert_eq!(
        t + Millis(last.transition.as_millis() as u64),
        t0 + Millis::from_mins(15)
    );
    assert_eq!(Some(last.level), device_level(&p.lights()[0], 80.0));
    assert_eq!(last.kelvin, Some(3500));
    assert!(last.on);
    assert_eq!(p.desired(0), Some(target));
    let end = p.estimated(0, t0 + Millis::from_mins(16)).unwrap();
    assert!(
        (end.brightness - 80.0).abs() < 0.01 && end.kelvin == 3500,
        "{end:?}"
    );
}

#[test]
fn the_device_s_linear_segments_stay_close_to_the_perceived_ramp() {
    for (from, to) in [(5.0, 90.0), (80.0, 10.0), (30.0, 45.0), (60.0, 0.0)] {
        let mut p = settled(bulb("lamp", "room", 120), look(from, 2700));
        let t0 = Millis::from_mins(1);
        let fade = Millis::from_mins(15);
        p.set_index(t0, 0, look(to, 2700), fade, false);
        let sent = run(&mut p, t0, Millis::from_mins(20));
        let ramp = Ramp {
            from: look(from, 2700),
            to: look(to, 2700),
            start: t0,
            end: t0 + fade,
        };
        let mut device = ModelDevice::new(curve_level(Curve::Cie, from));
        let mut next = sent.iter().peekable();
        let mut worst: f32 = 0.0;
        for s in (t0.0 / 1000)..=((t0 + fade).0 / 1000) {
            let t = Millis(s * 1000);
            while let Some((_, c)) = next.next_if(|(at, _)| *at <= t) {
                device.apply(t, &c.kind);
            }
            let shown = curve_perceived(Curve::Cie, device.level(t));
            worst = worst.max((shown - ramp.at(t).brightness).abs());
        }
        // The planner checks the error at samples; between them it may stray a little more.
        assert!(worst <= MAX_ERROR + 0.5, "{from} -> {to}: strayed {worst} points");
        assert!(
            sets(&sent, 0).len() >= 8,
            "120 s at most a segment: at least 8 for 15 min"
        );
    }
}

#[test]
fn lights_whose_firmware_corrects_perception_are_cut_only_by_their_longest_transition() {
    let mut light = bulb("lamp", "room", 120);
    light.curve = Curve::Linear;
    let mut p = settled(light, look(10.0, 2700));
    p.set_index(
        Millis::from_mins(1),
        0,
        look(80.0, 2700),
        Millis::from_mins(15),
        false,
    );
    let cmds = sets(&run(&mut p, Millis::from_mins(1), Millis::from_mins(30)), 0);
    assert_eq!(cmds.len(), 8, "{cmds:?}");
    assert!(cmds.iter().all(|(_, c)| c.transition <= Duration::from_secs(120)));
}

#[test]
fn short_transition_lights_fade_then_hold_instead_of_chaining_fades() {
    let mut light = bulb("shelly", "room", 5);
    light.family = Family::ShellyGen1;
    let mut p = settled(light, look(5.0, 2700));
    let t0 = Millis::from_mins(1);
    let fade = Millis::from_mins(15);
    p.set_index(t0, 0, look(80.0, 2700), fade, false);
    let sent = run(&mut p, t0, Millis::from_mins(20));
    let cmds = sets(&sent, 0);
    // Chained 5 s fades would be 180 commands; one per perceived point would be 75.
    assert!(cmds.len() < 75, "{} commands", cmds.len());
    assert!(cmds.iter().all(|(_, c)| c.transition <= Duration::from_secs(5)));
    for pair in cmds.windows(2) {
        assert!(
            pair[1].0.0 - pair[0].0.0 >= 5000,
            "a fade is never cut short by the next"
        );
    }
    let ramp = Ramp {
        from: look(5.0, 2700),
        to: look(80.0, 2700),
        start: t0,
        end: t0 + fade,
    };
    let mut device = ModelDevice::new(curve_level(Curve::Cie, 5.0));
    let mut next = sent.iter().peekable();
    let mut worst: f32 = 0.0;
    for s in (t0.0 / 500)..=((t0 + fade).0 / 500) {
        let t = Millis(s * 500);
        while let Some((_, c)) = next.next_if(|(at, _)| *at <= t) {
            device.apply(t, &c.kind);
        }
        // The device shows whole percent: a step that rounds to what it already shows is never
        // sent, so the stray allowed is the error bound plus what a percent is worth here.
        let level = device.level(t);
        let percent = curve_perceived(Curve::Cie, level + 0.01) - curve_perceived(Curve::Cie, level);
        let stray = (curve_perceived(Curve::Cie, level) - ramp.at(t).brightness).abs() - percent;
        worst = worst.max(stray);
    }
    assert!(worst <= MAX_ERROR + 0.5, "strayed {worst} points");
    assert_eq!(
        cmds.last().map(|(_, c)| c.level),
        device_level(&p.lights()[0], 80.0)
    );
}

#[test]
fn software_steps_stay_under_their_rate_and_only_show_visible_changes() {
    let mut p = settled(bulb("strip", "room", 0), look(10.0, 2200));
    let t0 = Millis::from_mins(1);
    let ramp = Ramp {
        from: look(10.0, 2200),
        to: look(60.0, 3000),
        start: t0,
        end: t0 + Millis::from_mins(5),
    };
    p.set_index(t0, 0, ramp.to, Millis::from_mins(5), false);
    let cmds = sets(&run(&mut p, t0, Millis::from_mins(10)), 0);
    assert!(cmds.iter().all(|(_, c)| c.transition.is_zero()));
    for pair in cmds.windows(2) {
        let (a, b) = (pair[0].0, pair[1].0);
        assert!(
            b.0 - a.0 >= STEP_INTERVAL.0 || b == ramp.end,
            "steps at {a:?} and {b:?}"
        );
        let (la, lb) = (ramp.at(a), ramp.at(b));
        let visible = (lb.brightness - la.brightness).abs() >= STEP_BRIGHTNESS - 1e-3
            || (lb.kelvin as f32 - la.kelvin as f32).abs() >= STEP_KELVIN
            || b == ramp.end;
        assert!(visible, "an invisible step from {la:?} to {lb:?}");
    }
    // 300 s at one step per 2 s at most: a stream would be thousands of commands.
    assert!(cmds.len() <= 151, "{} steps", cmds.len());
    assert!(cmds.len() >= 10, "a 50-point change needs steps: {}", cmds.len());
    let (t, last) = *cmds.last().unwrap();
    assert_eq!(t, ramp.end);
    assert_eq!(Some(last.level), device_level(&p.lights()[0], 60.0));
    assert_eq!(last.kelvin, Some(3000));
}

#[test]
fn off_is_an_explicit_off_and_dim_is_clamped_to_the_minimum() {
    let mut light = bulb("lamp", "room", 120);
    light.min_level = 0.08;
    let mut p = settled(light, look(40.0, 2700));
    let t0 = Millis::from_mins(1);
    p.set_index(t0, 0, look(0.0, 2700), Millis::from_mins(10), false);
    let cmds = sets(&run(&mut p, t0, Millis::from_mins(15)), 0);
    let (last, rest) = cmds.split_last().unwrap();
    assert!(!last.1.on, "the end of a fade to black is an OFF: {last:?}");
    assert!(!last.1.transition.is_zero(), "and it fades");
    for (_, c) in rest {
        assert!(
            c.on && c.level >= 0.08,
            "a dim step is at least the minimum: {c:?}"
        );
    }
    p.set_index(Millis::from_mins(20), 0, look(0.4, 2700), Millis::ZERO, false);
    let cmds = sets(&run(&mut p, Millis::from_mins(20), Millis::from_mins(21)), 0);
    assert_eq!(cmds.len(), 1);
    assert!(cmds[0].1.on);
    assert_eq!(cmds[0].1.level, 0.08);
}

#[test]
fn kelvin_is_clamped_and_left_out_for_lights_without_it() {
    let mut plain = bulb("plain", "room", 120);
    plain.kelvin = None;
    let mut p = Planner::new(&[bulb("lamp", "room", 120), plain], &[zigbee(5, 1.0)]);
    p.set_zone(Millis::ZERO, "room", look(50.0, 1800), Millis::ZERO, false);
    let sent = run(&mut p, Millis::ZERO, Millis::from_secs(10));
    assert_eq!(sets(&sent, 0)[0].1.kelvin, Some(2200));
    assert_eq!(sets(&sent, 1)[0].1.kelvin, None);
    p.set_zone(
        Millis::from_secs(20),
        "room",
        look(50.0, 6500),
        Millis::ZERO,
        false,
    );
    let sent = run(&mut p, Millis::from_secs(20), Millis::from_secs(30));
    assert_eq!(sets(&sent, 0)[0].1.kelvin, Some(4000));
}

#[test]
fn the_first_order_goes_straight_to_its_target_since_the_start_is_unknown() {
    let mut p = Planner::new(&[bulb("lamp", "room", 120)], &[zigbee(5, 1.0)]);
    assert_eq!(p.estimated(0, Millis::ZERO), None);
    p.set_zone(
        Millis::ZERO,
        "room",
        look(30.0, 2400),
        Millis::from_mins(10),
        false,
    );
    let cmds = sets(&run(&mut p, Millis::ZERO, Millis::from_mins(20)), 0);
    assert_eq!(cmds.len(), 1, "{cmds:?}");
    assert_eq!(cmds[0].1.transition, Duration::from_secs(120));
    assert_eq!(Some(cmds[0].1.level), device_level(&p.lights()[0], 30.0));
}

#[test]
fn a_report_from_the_device_is_where_the_next_fade_starts() {
    let mut p = Planner::new(&[bulb("lamp", "room", 300)], &[zigbee(5, 1.0)]);
    let report = DeviceState {
        on: Some(true),
        level: Some(curve_level(Curve::Cie, 70.0)),
        kelvin: Some(3000),
    };
    p.observe(Millis::ZERO, 0, &report);
    let seen = p.estimated(0, Millis::ZERO).unwrap();
    assert!((seen.brightness - 70.0).abs() < 0.01 && seen.kelvin == 3000);
    p.set_index(Millis(1000), 0, look(10.0, 2200), Millis::from_mins(10), false);
    let cmds = sets(&run(&mut p, Millis(1000), Millis::from_mins(20)), 0);
    assert!(
        cmds.len() >= 2,
        "a ramp from the reported state, not one jump: {cmds:?}"
    );
    let first = curve_perceived(Curve::Cie, cmds[0].1.level);
    assert!(
        first > 10.0 + MAX_ERROR,
        "the first segment ends part way: {first}"
    );
}

#[test]
fn reassert_after_a_reconnect_sends_where_the_ramp_is_now_then_carries_on() {
    let mut p = settled(bulb("lamp", "room", 120), look(10.0, 2200));
    let t0 = Millis::from_mins(1);
    let fade = Millis::from_mins(15);
    p.set_index(t0, 0, look(90.0, 3600), fade, false);
    let ramp = Ramp {
        from: look(10.0, 2200),
        to: look(90.0, 3600),
        start: t0,
        end: t0 + fade,
    };
    // Half-way through, the broker goes away for 90 s and comes back.
    let outage = t0 + Millis::from_secs(420);
    let back = outage + Millis::from_secs(90);
    let before = run(&mut p, t0, outage);
    assert!(!before.is_empty());
    p.reassert_all(back);
    let after = run(&mut p, back, Millis::from_mins(30));
    let cmds = sets(&after, 0);
    let (t, first) = cmds[0];
    assert_eq!(t, back);
    assert_eq!(first.transition, REASSERT_FADE.to_duration());
    let expected = ramp.at(back + REASSERT_FADE);
    assert_eq!(
        Some(first.level),
        device_level(&p.lights()[0], expected.brightness)
    );
    assert_eq!(first.kelvin, Some(expected.kelvin));
    // Every later command aims at the ramp's point when it ends: no old step replayed.
    for (t, c) in &cmds {
        let aim = ramp.at(*t + Millis(c.transition.as_millis() as u64));
        assert_eq!(
            Some(c.level),
            device_level(&p.lights()[0], aim.brightness),
            "at {t:?}"
        );
    }
    let (t, last) = *cmds.last().unwrap();
    assert_eq!(t + Millis(last.transition.as_millis() as u64), ramp.end);
}

#[test]
fn a_light_that_comes_back_online_is_reasserted_alone() {
    let lights = [bulb("a", "room", 120), bulb("b", "room", 120)];
    let mut p = Planner::new(&lights, &[zigbee(5, 1.0)]);
    p.set_zone(Millis::ZERO, "room", look(40.0, 2700), Millis::ZERO, false);
    run(&mut p, Millis::ZERO, Millis::from_secs(10));
    p.reassert(Millis::from_secs(60), 1);
    let sent = run(&mut p, Millis::from_secs(60), Millis::from_secs(120));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1.light, 1);
    let never_set = Planner::new(&lights, &[]).next_deadline();
    assert_eq!(never_set, None);
}

#[test]
fn unknown_names_are_refused_and_zones_answer_to_their_name() {
    let mut p = Planner::new(&[bulb("lamp", "room", 120)], &[]);
    assert!(matches!(
        p.set_light(Millis::ZERO, "attic", look(1.0, 2700), Millis::ZERO, false),
        Err(LightError::Unknown(name)) if name == "attic"
    ));
    assert!(
        p.set_light(Millis::ZERO, "room", look(1.0, 2700), Millis::ZERO, false)
            .is_ok()
    );
    assert!(
        p.set_light(Millis::ZERO, "lamp", look(1.0, 2700), Millis::ZERO, false)
            .is_ok()
    );
    assert!(p.calibrate(Millis::ZERO, "attic", 0.1).is_err());
}

#[test]
fn calibration_sends_the_raw_level_past_curve_and_minimum() {
    let mut light = bulb("lamp", "room", 120);
    light.min_level = 0.2;
    let mut p = Planner::new(&[light], &[]);
    p.calibrate(Millis::ZERO, "lamp", 0.03).unwrap();
    let cmds = sets(&run(&mut p, Millis::ZERO, Millis::from_secs(10)), 0);
    assert_eq!(cmds.len(), 1);
    assert!(cmds[0].1.on && cmds[0].1.level == 0.03 && cmds[0].1.transition.is_zero());
}

/// A whole three-hour group session: six zones of three lights of mixed kinds, a scene change
/// every ten minutes with 30-60 s fades, a 15-minute return ramp, checks and an emergency,
/// a reconnect. No timing: it just has to run, and end where it was told.
#[test]
fn a_three_hour_session_runs_through() {
    let mut lights = Vec::new();
    for z in 0..6 {
        for (n, max) in [(0, 120), (1, 20), (2, 0)] {
            let mut l = bulb(&format!("z{z}l{n}"), &format!("zone{z}"), max);
            if n == 1 {
                l.family = Family::Tasmota;
                l.network = "wifi".into();
                l.curve = Curve::Linear;
                l.min_level = 0.05;
            }
            lights.push(l);
        }
    }
    let mut p = Planner::new(&lights, &[zigbee(5, 1.0)]);
    let mut now = Millis::ZERO;
    let end = Millis::from_mins(180);
    let mut last = [look(0.0, 2700); 6];
    let mut k = 0u64;
    let mut sent = 0;
    while now < end {
        k += 1;
        let z = (k % 6) as usize;
        let target = look(((k * 37) % 100) as f32, 2200 + ((k * 113) % 1800) as u16);
        let (fade, urgent) = match k % 20 {
            0 => (Millis::from_mins(15), false),
            7 => (Millis::from_secs(3), true),
            _ => (Millis::from_secs(30 + (k * 7) % 31), false),
        };
        p.set_zone(now, &format!("zone{z}"), target, fade, urgent);
        last[z] = target;
        if k.is_multiple_of(50) {
            p.reassert_all(now);
        }
        let next = now + Millis::from_secs(100);
        sent += run(&mut p, now, next).len();
        now = next;
    }
    sent += run(&mut p, now, now + Millis::from_mins(30)).len();
    assert_eq!(p.next_deadline(), None, "everything settled");
    assert!(sent > 0);
    for (i, l) in lights.iter().enumerate() {
        let z: usize = l.zone["zone".len()..].parse().unwrap();
        assert_eq!(p.desired(i), Some(last[z]), "{}", l.name);
        let est = p.estimated(i, now + Millis::from_mins(30)).unwrap();
        let want = last[z].brightness.max(if last[z].brightness > 0.0 {
            curve_perceived(l.curve, l.min_level)
        } else {
            0.0
        });
        assert!(
            (est.brightness - want).abs() < 0.05,
            "{}: {est:?} vs {want}",
            l.name
        );
    }
}
