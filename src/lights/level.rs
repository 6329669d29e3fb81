//! Perceived brightness (what scenes speak, 0-100) to a light's device level and back, through
//! the light's curve, calibrated minimum and colour-temperature range.

use std::time::Duration;

use crate::scene::Look;

use super::driver::{DeviceCommand, DeviceState};
use crate::config::{Curve, LightConfig};

/// CIE 1976: below this lightness the curve is linear (the cube root's toe).
const CIE_KNEE_LIGHTNESS: f32 = 8.0;
/// κ, the slope of the linear toe: L* = κ·Y below the knee.
const CIE_KAPPA: f32 = 903.3;

/// The device level (0.0-1.0 of its range) for a perceived brightness, before the light's
/// calibrated minimum: the pure curve, continuous and strictly rising.
pub fn curve_level(curve: Curve, perceived: f32) -> f32 {
    let p = perceived.clamp(0.0, 100.0);
    match curve {
        Curve::Linear => p / 100.0,
        Curve::Cie if p > CIE_KNEE_LIGHTNESS => ((p + 16.0) / 116.0).powi(3),
        Curve::Cie => p / CIE_KAPPA,
    }
}

/// The perceived brightness of a device level: the inverse of [`curve_level`].
pub fn curve_perceived(curve: Curve, level: f32) -> f32 {
    let y = level.clamp(0.0, 1.0);
    match curve {
        Curve::Linear => y * 100.0,
        Curve::Cie if y > CIE_KNEE_LIGHTNESS / CIE_KAPPA => 116.0 * y.cbrt() - 16.0,
        Curve::Cie => y * CIE_KAPPA,
    }
    .clamp(0.0, 100.0)
}

/// The level `light` is sent for a perceived brightness: `None` means off (sent as an
/// explicit OFF), anything else is at least the light's calibrated minimum, because below it
/// some bulbs flicker or switch themselves off.
pub fn device_level(light: &LightConfig, perceived: f32) -> Option<f32> {
    // NaN is treated as off rather than as some level.
    if perceived.is_nan() || perceived <= 0.0 {
        return None;
    }
    let min = light.min_level.clamp(0.0, 1.0);
    Some(curve_level(light.curve, perceived).max(min).min(1.0))
}

/// The colour temperature `light` is sent: clamped to its range, `None` for a light without
/// one (it must not be sent what it cannot do).
pub fn device_kelvin(light: &LightConfig, kelvin: u16) -> Option<u16> {
    let (lo, hi) = light.kelvin?;
    Some(kelvin.clamp(lo.min(hi), hi.max(lo)))
}

/// The whole command that moves `light` to `look` over `transition`.
pub fn command(light: &LightConfig, look: Look, transition: Duration) -> DeviceCommand {
    let level = device_level(light, look.brightness);
    DeviceCommand {
        on: level.is_some(),
        level: level.unwrap_or(0.0),
        kelvin: device_kelvin(light, look.kelvin),
        transition,
    }
}

/// The perceived brightness a device shows at `level`, `on` or not: off is 0.
pub fn perceived(light: &LightConfig, on: bool, level: f32) -> f32 {
    if on {
        curve_perceived(light.curve, level)
    } else {
        0.0
    }
}

/// What a device report means as a look. `fallback_kelvin` stands in where the report (or
/// the light) has no colour temperature; `None` when the report says nothing of brightness.
pub fn look_from_state(light: &LightConfig, state: &DeviceState, fallback_kelvin: u16) -> Option<Look> {
    let brightness = match (state.on, state.level) {
        (Some(false), _) => 0.0,
        (_, Some(level)) => curve_perceived(light.curve, level),
        (Some(true) | None, None) => return None,
    };
    Some(Look {
        brightness,
        kelvin: state.kelvin.unwrap_or(fallback_kelvin),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Family;

    fn light(curve: Curve, min_level: f32) -> LightConfig {
        LightConfig {
            name: "lamp".into(),
            zone: "room".into(),
            family: Family::Zigbee2Mqtt,
            topic: "lamp".into(),
            group: false,
            kelvin: Some((2200, 4000)),
            max_transition: Duration::from_secs(300),
            min_level,
            curve,
            network: "zigbee".into(),
            separate_kelvin: false,
        }
    }

    #[test]
    fn cie_matches_its_reference_points() {
        // L* 50 is 18.4 % luminance, the photographers' middle grey; L* 100 is full.
        assert!((curve_level(Curve::Cie, 50.0) - 0.1842).abs() < 1e-3);
        assert!((curve_level(Curve::Cie, 100.0) - 1.0).abs() < 1e-6);
        assert_eq!(curve_level(Curve::Cie, 0.0), 0.0);
        assert!((curve_level(Curve::Linear, 40.0) - 0.4).abs() < 1e-6);
    }

    #[test]
    fn curves_rise_strictly_and_invert() {
        for curve in [Curve::Cie, Curve::Linear] {
            let mut last = -1.0;
            for i in 0..=1000 {
                let p = i as f32 / 10.0;
                let level = curve_level(curve, p);
                assert!(level > last, "{curve:?} not rising at {p}: {level} after {last}");
                last = level;
                let back = curve_perceived(curve, level);
                assert!((back - p).abs() < 0.01, "{curve:?}: {p} -> {level} -> {back}");
            }
        }
    }

    #[test]
    fn cie_is_continuous_at_the_knee() {
        let below = curve_level(Curve::Cie, CIE_KNEE_LIGHTNESS - 1e-3);
        let above = curve_level(Curve::Cie, CIE_KNEE_LIGHTNESS + 1e-3);
        assert!((above - below).abs() < 1e-4, "{below} vs {above}");
    }

    #[test]
    fn anything_dim_but_on_is_clamped_up_to_the_minimum() {
        let l = light(Curve::Cie, 0.05);
        assert_eq!(device_level(&l, 0.5), Some(0.05));
        assert_eq!(device_level(&l, 0.001), Some(0.05));
        let bright = device_level(&l, 80.0).unwrap();
        assert!((bright - curve_level(Curve::Cie, 80.0)).abs() < 1e-6);
        assert!(bright > 0.05);
    }

    #[test]
    fn zero_is_an_explicit_off_never_the_lowest_level() {
        let l = light(Curve::Cie, 0.05);
        assert_eq!(device_level(&l, 0.0), None);
        assert_eq!(device_level(&l, f32::NAN), None);
        let off = command(
            &l,
            Look {
                brightness: 0.0,
                kelvin: 2700,
            },
            Duration::from_secs(3),
        );
        assert!(!off.on);
        assert_eq!(off.transition, Duration::from_secs(3));
    }

    #[test]
    fn kelvin_is_clamped_to_the_range_and_absent_without_one() {
        let mut l = light(Curve::Linear, 0.0);
        assert_eq!(device_kelvin(&l, 1800), Some(2200));
        assert_eq!(device_kelvin(&l, 6500), Some(4000));
        assert_eq!(device_kelvin(&l, 2700), Some(2700));
        l.kelvin = None;
        assert_eq!(device_kelvin(&l, 2700), None);
    }

    #[test]
    fn reports_read_back_as_looks() {
        let l = light(Curve::Cie, 0.0);
        let on = DeviceState {
            on: Some(true),
            level: Some(curve_level(Curve::Cie, 40.0)),
            kelvin: Some(2700),
        };
        let look = look_from_state(&l, &on, 3000).unwrap();
        assert!((look.brightness - 40.0).abs() < 0.01);
        assert_eq!(look.kelvin, 2700);
        let off = DeviceState {
            on: Some(false),
            level: Some(0.5),
            kelvin: None,
        };
        assert_eq!(look_from_state(&l, &off, 3000).unwrap().brightness, 0.0);
        assert_eq!(look_from_state(&l, &DeviceState::default(), 3000), None);
    }
}
