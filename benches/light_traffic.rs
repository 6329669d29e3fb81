//! Light traffic: how many commands the planner sends for a fade, per device family at the
//! config's default `max_transition`, against naive stepping (one command per 1 % of
//! perceived change, or one every 100 ms), and how far the device's straight-line segments
//! stray from the scene's perceived ramp. Then how long planning a three-hour session takes.
//!
//! Run with `cargo bench --bench light_traffic`; it prints markdown tables.

use std::time::{Duration, Instant};

use setting::config::default_max_transition;
use setting::config::{Curve, Family, LightConfig, NetworkConfig};
use setting::lights::driver::DeviceCommand;
use setting::lights::level::{curve_level, curve_perceived};
use setting::lights::traffic::{PlannedKind, Planner};
use setting::scene::Look;
use setting::time::Millis;

/// A return ramp: from the journey's dim warm light to a soft room light.
const FROM: Look = Look {
    brightness: 5.0,
    kelvin: 2200,
};
const TO: Look = Look {
    brightness: 80.0,
    kelvin: 3000,
};

fn light(family: Family, max_transition: Duration, network: &str) -> LightConfig {
    LightConfig {
        name: format!("{}-{}", family.name(), max_transition.as_millis()),
        zone: "room".into(),
        family,
        topic: "lamp".into(),
        group: false,
        kelvin: Some((2200, 4000)),
        max_transition,
        min_level: 0.0,
        curve: Curve::Cie,
        network: network.into(),
        separate_kelvin: false,
    }
}

/// Polls the planner at its own deadlines until `until`, as the MQTT task does.
fn drain(p: &mut Planner, from: Millis, until: Millis) -> Vec<(Millis, usize, PlannedKind)> {
    let mut out = Vec::new();
    let mut now = from;
    loop {
        out.extend(p.poll(now).into_iter().map(|c| (now, c.light, c.kind)));
        match p.next_deadline() {
            Some(next) if next <= until => now = next.max(now),
            _ => return out,
        }
    }
}

/// The worst perceived error, sampled every 100 ms, of a device fading linearly in its level
/// through `sent`, against the straight perceived ramp.
fn worst_error(sent: &[(Millis, DeviceCommand)], t0: Millis, fade: Millis) -> f32 {
    let at_rest = curve_level(Curve::Cie, FROM.brightness);
    let (mut from, mut to, mut start, mut end) = (at_rest, at_rest, t0, t0);
    let mut next = sent.iter().peekable();
    let mut worst: f32 = 0.0;
    let level_at = |t: Millis, from: f32, to: f32, start: Millis, end: Millis| {
        if t >= end || end <= start {
            to
        } else {
            from + (to - from) * (t.0 - start.0) as f32 / (end.0 - start.0) as f32
        }
    };
    let mut t = t0;
    while t <= t0 + fade {
        while let Some((at, c)) = next.next_if(|(at, _)| *at <= t) {
            from = level_at(*at, from, to, start, end);
            to = if c.on { c.level } else { 0.0 };
            start = *at;
            end = *at + Millis(c.transition.as_millis() as u64);
        }
        let f = (t.0 - t0.0) as f32 / fade.0 as f32;
        let wanted = FROM.brightness + (TO.brightness - FROM.brightness) * f;
        let shown = curve_perceived(Curve::Cie, level_at(t, from, to, start, end));
        worst = worst.max((shown - wanted).abs());
        t += Millis(100);
    }
    worst
}

/// Commands for one fade on one light that already sits at `FROM`.
fn one_fade(config: LightConfig, fade: Millis) -> (usize, f32) {
    let nets = [NetworkConfig {
        name: "net".into(),
        per_second: 1.0,
        burst: 5,
    }];
    let mut p = Planner::new(&[config], &nets);
    p.set_index(Millis::ZERO, 0, FROM, Millis::ZERO, false);
    drain(&mut p, Millis::ZERO, Millis::from_secs(60));
    let t0 = Millis::from_secs(60);
    p.set_index(t0, 0, TO, fade, false);
    let sent: Vec<(Millis, DeviceCommand)> = drain(&mut p, t0, t0 + fade + Millis::from_mins(1))
        .into_iter()
        .filter_map(|(t, _, k)| match k {
            PlannedKind::Set(c) => Some((t, c)),
            PlannedKind::Stop => None,
        })
        .collect();
    (sent.len(), worst_error(&sent, t0, fade))
}

fn fade_table() {
    let fades = [Millis::from_mins(1), Millis::from_mins(5), Millis::from_mins(15)];
    let per_percent = (TO.brightness - FROM.brightness).abs().ceil() as u64;
    println!(
        "Fade {:.0} -> {:.0} % perceived, {} -> {} K; CIE curve; one light, budget 5 + 1/s.\n",
        FROM.brightness, TO.brightness, FROM.kelvin, TO.kelvin
    );
    println!(
        "| family | max_transition | fade | planner commands | worst error (points) | naive 1 % steps | naive 100 ms steps |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let mut rows: Vec<(&str, Family, Duration)> = Family::ALL
        .iter()
        .map(|&f| (f.name(), f, default_max_transition(f)))
        .collect();
    rows.push(("no native fade (software steps)", Family::Tasmota, Duration::ZERO));
    for (name, family, max) in rows {
        for fade in fades {
            let (commands, error) = one_fade(light(family, max, "net"), fade);
            println!(
                "| {name} | {} | {} min | {commands} | {error:.1} | {per_percent} | {} |",
                humantime::format_duration(max),
                fade.0 / 60_000,
                fade.0 / 100,
            );
        }
    }
}

/// A three-hour group session: 24 lights in 6 zones on two networks, a change every 20 s of
/// session time (540 orders), every fifth a 15-minute ramp, every 25th an emergency.
fn session_speed() {
    let mut lights = Vec::new();
    for z in 0..6 {
        for (n, family) in [
            Family::Zigbee2Mqtt,
            Family::Zigbee2Mqtt,
            Family::Tasmota,
            Family::Wled,
        ]
        .into_iter()
        .enumerate()
        {
            let network = if family == Family::Zigbee2Mqtt {
                "zigbee"
            } else {
                "wifi"
            };
            let mut l = light(family, default_max_transition(family), network);
            l.name = format!("z{z}-{n}");
            l.zone = format!("zone{z}");
            lights.push(l);
        }
    }
    let runs = 20;
    let mut best = Duration::MAX;
    let mut commands = 0;
    let mut merged = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let mut p = Planner::new(&lights, &[]);
        let mut now = Millis::ZERO;
        let mut sent = 0;
        for k in 0..540u64 {
            let look = Look {
                brightness: ((k * 37) % 100) as f32,
                kelvin: 2200 + ((k * 113) % 1800) as u16,
            };
            let (fade, urgent) = match k % 25 {
                0 => (Millis::from_secs(3), true),
                n if n % 5 == 0 => (Millis::from_mins(15), false),
                _ => (Millis::from_secs(45), false),
            };
            p.set_zone(now, &format!("zone{}", k % 6), look, fade, urgent);
            let next = now + Millis::from_secs(20);
            sent += drain(&mut p, now, next).len();
            now = next;
        }
        sent += drain(&mut p, now, now + Millis::from_mins(30)).len();
        best = best.min(started.elapsed());
        commands = sent;
        merged = p.merged();
    }
    println!("\n| planning | lights | orders | messages sent | merged | best of {runs} |");
    println!("| --- | --- | --- | --- | --- | --- |");
    println!(
        "| 3 h group session | {} | 540 | {commands} | {merged} | {:.2} ms |",
        lights.len(),
        best.as_secs_f64() * 1000.0
    );
}

fn main() {
    fade_table();
    session_speed();
}
