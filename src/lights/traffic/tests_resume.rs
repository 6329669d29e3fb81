//! The measure "after a check, every light has its resume look within the scene's restore
//! fade, not the budget's queue", in virtual time, with the shipped config's lights and
//! networks, its room policy, and a shipped scene's look.

use std::path::Path;

use super::tests::run;
use super::*;
use crate::catalog::Catalog;
use crate::config::load_config;

/// How far from the resume look a light may be when the restore fade is over: the device's
/// own rounding (Zigbee's 254 steps, mireds) and no more.
const CLOSE: f32 = 1.0;

#[test]
fn after_a_check_every_light_has_its_resume_look_within_the_restore_fade() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = load_config(&repo.join("config/settingd.toml")).unwrap_or_else(|e| panic!("{e}"));
    let catalog = Catalog::load(&config).unwrap_or_else(|e| panic!("{e}"));
    let scene = catalog.load_scene("sublingual").unwrap_or_else(|e| panic!("{e}"));
    let peak = scene
        .phases
        .iter()
        .find(|p| p.id == "peak")
        .expect("a peak phase");
    // Every light resumes to the peak's look: the worst case, where every one of them moves.
    let resume = peak.light.values().next().expect("peak has a look").look;
    let policy = &config.policy;
    let lights = &config.lights.lights;
    let zones: std::collections::BTreeSet<&str> = lights.iter().map(|l| l.zone.as_str()).collect();
    assert!(lights.len() >= 5, "the shipped room");

    // The check comes at once or after a while, and the resume at once after it or later:
    // the budget is never full or empty in the same way twice.
    for (warmup_overrides, emergency_first) in [(0, false), (3, false), (0, true), (3, true)] {
        for gap_ms in [100u64, 500, 1000, 2500, 5000, 30_000] {
            let mut p = Planner::new(lights, &config.lights.networks);
            let mut t = Millis::ZERO;
            for zone in &zones {
                p.set_zone(t, zone, resume, Millis::ZERO, false);
            }
            run(&mut p, t, t + Millis::from_secs(60));
            t = Millis::from_secs(60);
            // A technician's nudges just before: the budget is spent when the check comes.
            for k in 0..warmup_overrides {
                for zone in &zones {
                    let nudge = Look {
                        brightness: resume.brightness + 2.0 * (k + 1) as f32,
                        kelvin: resume.kelvin,
                    };
                    p.set_zone(t, zone, nudge, Millis::ZERO, false);
                }
                run(&mut p, t, t + Millis(100));
                t += Millis(100);
            }
            // An emergency just before, mid-transition: its stops and sets are charged to the
            // budget all at once.
            if emergency_first {
                for zone in &zones {
                    p.set_zone(t, zone, policy.emergency.look, policy.emergency.fade, true);
                }
                run(&mut p, t, t + Millis(300));
                t += Millis(300);
            }
            for zone in &zones {
                p.set_zone(t, zone, policy.check.look, policy.check.fade, false);
            }
            run(&mut p, t, t + Millis(gap_ms));
            t += Millis(gap_ms);
            for zone in &zones {
                p.set_zone(t, zone, resume, policy.resume_fade, false);
            }
            let done = t + policy.resume_fade;
            run(&mut p, t, done + Millis::from_secs(120));
            for (i, light) in lights.iter().enumerate() {
                let at = p.estimated(i, done).expect("sent something");
                // The look as the light shows it: its calibrated minimum may hold it above.
                let shown = level::command(light, resume, std::time::Duration::ZERO);
                let want = level::perceived(light, shown.on, shown.level);
                assert!(
                    (at.brightness - want).abs() <= CLOSE,
                    "{} at {:.1} % (not {want:.1} %) when the {} restore fade ended ({} nudges, \
                     emergency first: {emergency_first}, resumed {gap_ms} ms after the check)",
                    light.name,
                    at.brightness,
                    crate::time::format_duration(policy.resume_fade),
                    warmup_overrides,
                );
            }
        }
    }
}
