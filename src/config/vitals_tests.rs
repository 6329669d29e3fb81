//! `[vitals]` thresholds and `[room] timezone`, pinned to their messages and positions.

use super::tests::{ROOM, one, parse};
use crate::vitals::Thresholds;

#[test]
fn thresholds_default_to_the_documented_values_and_each_can_be_set() {
    let c = parse(ROOM).unwrap();
    assert_eq!(c.vitals, Thresholds::default());
    assert_eq!(c.room.timezone, None);
    let c = parse(&format!(
        "{ROOM}[vitals]\nsystolic_above = 150\ndiastolic_above = 95\npulse_below = 45\nspo2_below = 94\n"
    ))
    .unwrap();
    assert_eq!(
        c.vitals,
        Thresholds {
            systolic_above: 150,
            diastolic_above: 95,
            pulse_below: 45,
            spo2_below: 94,
            ..Thresholds::default()
        }
    );
}

#[test]
fn a_threshold_outside_its_measures_range_is_named_with_its_place() {
    let error = one(&format!("{ROOM}[vitals]\nsystolic_above = 300\n"));
    assert_eq!(
        error,
        "8:18: `systolic_above` 300 is outside the systolic range 50-260 mmHg"
    );
    let error = one(&format!("{ROOM}[vitals]\npulse_below = 130\n"));
    assert!(
        error.starts_with("8:15: `pulse_below` (130) must be under `pulse_above` (120)"),
        "{error}"
    );
    assert!(one(&format!("{ROOM}[vitals]\nspo2_above = 99\n")).contains("spo2_above"));
}

#[test]
fn the_timezone_must_be_one_this_machine_knows() {
    let c = parse(&ROOM.replace(
        "name = \"demo-room\"\n",
        "name = \"demo-room\"\ntimezone = \"Europe/Berlin\"\n",
    ))
    .unwrap();
    assert_eq!(c.room.timezone.as_deref(), Some("Europe/Berlin"));
    let error = one(&ROOM.replace(
        "name = \"demo-room\"\n",
        "name = \"demo-room\"\ntimezone = \"Europe/Berlni\"\n",
    ));
    assert!(
        error.starts_with("3:12: timezone: `Europe/Berlni` is not a time zone"),
        "{error}"
    );
}
