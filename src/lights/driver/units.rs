//! Unit conversions the drivers share: a device level onto each family's integer scale, Kelvin
//! and mireds, and transitions written as JSON seconds.

use std::time::Duration;

use serde::{Serialize, Serializer};

/// `level` (0.0-1.0) on a scale of `1..=max` for a light that is on. Never 0: a level that
/// rounds to nothing still means "on, as dim as it goes"; off is always an explicit OFF.
pub(super) fn scale(level: f32, max: u16) -> u16 {
    let level = if level.is_finite() {
        level.clamp(0.0, 1.0)
    } else {
        0.0
    };
    ((level * f32::from(max)).round() as u16).clamp(1, max)
}

/// A reported value on a `0..=max` scale back to a fraction, clamped: devices report
/// out-of-range values after firmware quirks, and a fraction outside 0-1 would poison fades.
pub(super) fn fraction(value: f64, max: u16) -> f32 {
    (value / f64::from(max)).clamp(0.0, 1.0) as f32
}

/// Kelvin to mireds (1e6 / K), the unit Zigbee, Tasmota and Home Assistant's JSON schema use.
pub(super) fn mireds(kelvin: u16) -> u16 {
    // Below 1000 K no light exists; the guard only keeps the division finite.
    (1_000_000.0 / f64::from(kelvin.max(1000))).round() as u16
}

/// Kelvin to mireds kept within the light's own range (`kelvin` = its lowest and highest
/// Kelvin): rounding alone would send 2200 K as 455 mireds, one past a bulb whose warmest is
/// 454 (IKEA's 2200 K bulbs), which the bulb refuses or clamps on its own terms.
pub(super) fn mireds_within(kelvin: u16, range: Option<(u16, u16)>) -> u16 {
    let m = mireds(kelvin);
    let Some((a, b)) = range else { return m };
    let (lo, hi) = (a.min(b).max(1000), a.max(b).max(1000));
    let warmest = (1_000_000.0 / f64::from(lo)).floor() as u16;
    let coolest = (1_000_000.0 / f64::from(hi)).ceil() as u16;
    m.clamp(coolest.min(warmest), warmest)
}

/// Mireds (or, from a Kelvin-configured device, Kelvin) back to Kelvin, clamped to what a
/// u16 holds. Values of 1000 and above cannot be mireds of a real light (≤ 1000 K), so they
/// are read as Kelvin: Home Assistant devices set up with `color_temp_kelvin` send those.
pub(super) fn kelvin_from_temperature(value: f64) -> Option<u16> {
    if !value.is_finite() || value <= 0.0 {
        return None;
    }
    let kelvin = if value >= 1000.0 {
        value
    } else {
        1_000_000.0 / value
    };
    Some(kelvin.round().clamp(1000.0, f64::from(u16::MAX)) as u16)
}

/// A Kelvin value a device reported, clamped to what a u16 holds; 0 or less means none.
pub(super) fn kelvin(value: f64) -> Option<u16> {
    (value >= 0.5).then(|| value.round().min(f64::from(u16::MAX)) as u16)
}

/// A transition in tenths of a second, the resolution Zigbee stores (and finer than any
/// other family keeps).
pub(super) fn tenths(transition: Duration) -> u64 {
    (transition.as_millis() as u64 + 50) / 100
}

/// A transition written as JSON seconds: a whole number when it is one (`30`, as every
/// family's documentation writes it), else with one decimal (`2.5`).
#[derive(Clone, Copy, Debug)]
pub(super) struct Seconds(pub Duration);

impl Serialize for Seconds {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let tenths = tenths(self.0);
        if tenths.is_multiple_of(10) {
            serializer.serialize_u64(tenths / 10)
        } else {
            serializer.serialize_f64(tenths as f64 / 10.0)
        }
    }
}

/// A payload as JSON bytes. The payload types are plain structs of numbers and strings, which
/// cannot fail to serialise.
pub(super) fn json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("light payloads are plain structs of numbers and strings")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_never_reaches_zero_and_never_exceeds_the_maximum() {
        assert_eq!(scale(0.0, 254), 1);
        assert_eq!(scale(0.4, 254), 102);
        assert_eq!(scale(1.5, 100), 100);
        assert_eq!(scale(f32::NAN, 255), 1);
    }

    #[test]
    fn mireds_and_kelvin_round_trip_within_a_kelvin_or_so() {
        assert_eq!(mireds(2700), 370);
        assert_eq!(mireds(0), 1000);
        assert_eq!(kelvin_from_temperature(370.0), Some(2703));
        assert_eq!(kelvin_from_temperature(2700.0), Some(2700));
        assert_eq!(kelvin_from_temperature(0.0), None);
        assert_eq!(kelvin_from_temperature(-3.0), None);
        assert_eq!(kelvin_from_temperature(1e300), Some(u16::MAX));
    }

    #[test]
    fn mireds_stay_within_the_lights_own_range() {
        assert_eq!(mireds(2200), 455);
        assert_eq!(mireds_within(2200, Some((2200, 4000))), 454);
        assert_eq!(mireds_within(4000, Some((2200, 4000))), 250);
        assert_eq!(mireds_within(2700, Some((2200, 4000))), 370);
        assert_eq!(mireds_within(2200, None), 455);
    }

    #[test]
    fn seconds_are_whole_when_whole_and_tenths_otherwise() {
        let text = |ms| serde_json::to_string(&Seconds(Duration::from_millis(ms))).unwrap();
        assert_eq!(text(30_000), "30");
        assert_eq!(text(2_500), "2.5");
        assert_eq!(text(0), "0");
        assert_eq!(text(249), "0.2");
    }
}
