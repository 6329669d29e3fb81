//! `[vitals]`: the clinic's thresholds for vital signs, each within the range its measure can
//! take, and each `_below` under its `_above`, so a reading can never be both high and low.

use serde_spanned::Spanned;

use super::raw::RawVitals;
use crate::diagnostic::Document;
use crate::vitals::{Measure, Thresholds};

pub fn thresholds(doc: &mut Document<'_>, raw: &RawVitals) -> Option<Thresholds> {
    let defaults = Thresholds::default();
    let mut ok = true;
    let mut take = |key: &str, measure: Measure, value: &Option<Spanned<i64>>, default: u16| -> u16 {
        let Some(value) = value else { return default };
        let range = measure.range();
        let n = *value.get_ref();
        if range.contains(n) {
            return n as u16;
        }
        doc.error_at(
            value,
            format!(
                "`{key}` {n} is outside the {measure} range {}-{} {}",
                range.min,
                range.max,
                measure.unit()
            ),
        );
        ok = false;
        default
    };
    let t = Thresholds {
        systolic_above: take(
            "systolic_above",
            Measure::Systolic,
            &raw.systolic_above,
            defaults.systolic_above,
        ),
        systolic_below: take(
            "systolic_below",
            Measure::Systolic,
            &raw.systolic_below,
            defaults.systolic_below,
        ),
        diastolic_above: take(
            "diastolic_above",
            Measure::Diastolic,
            &raw.diastolic_above,
            defaults.diastolic_above,
        ),
        diastolic_below: take(
            "diastolic_below",
            Measure::Diastolic,
            &raw.diastolic_below,
            defaults.diastolic_below,
        ),
        pulse_above: take(
            "pulse_above",
            Measure::Pulse,
            &raw.pulse_above,
            defaults.pulse_above,
        ),
        pulse_below: take(
            "pulse_below",
            Measure::Pulse,
            &raw.pulse_below,
            defaults.pulse_below,
        ),
        spo2_below: take("spo2_below", Measure::Spo2, &raw.spo2_below, defaults.spo2_below),
    };
    for (measure, below, above, below_raw, above_raw) in [
        (
            "systolic",
            t.systolic_below,
            t.systolic_above,
            &raw.systolic_below,
            &raw.systolic_above,
        ),
        (
            "diastolic",
            t.diastolic_below,
            t.diastolic_above,
            &raw.diastolic_below,
            &raw.diastolic_above,
        ),
        (
            "pulse",
            t.pulse_below,
            t.pulse_above,
            &raw.pulse_below,
            &raw.pulse_above,
        ),
    ] {
        if ok && below >= above {
            let message = format!(
                "`{measure}_below` ({below}) must be under `{measure}_above` ({above}), or a reading \
                 could be flagged both low and high"
            );
            // At whichever of the two was written; the section when both are the defaults'.
            match (below_raw, above_raw) {
                (Some(at), _) | (None, Some(at)) => doc.error_at(at, message),
                (None, None) => doc.error_whole(message),
            }
            ok = false;
        }
    }
    ok.then_some(t)
}
