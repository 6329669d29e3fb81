//! The level lines of the arc pictures, shared by the plan's and the report's: each change is
//! a straight ramp over its fade from wherever the level was, even when it cuts a slower fade
//! short (an emergency in the middle of a dusk ramp).

use std::collections::BTreeMap;

use setting::time::Millis;

use crate::arc_chart::{Panel, Tick, minutes};

/// A line of (minutes, value) points.
pub type Line = Vec<(f64, f64)>;

/// The floor the music line drops to when nothing is heard, in dB.
pub const SILENT_DB: f64 = -60.0;

/// A fade is a straight ramp from the value held at `at` to the new one.
pub fn ramp(series: &mut Vec<(f64, f64)>, at: Millis, fade: Millis, value: f64) {
    let x = minutes(at);
    if let Some(held) = value_at(series, x) {
        // A fade still running at `at` is cut short where it had got to.
        while series.last().is_some_and(|&(last, _)| last > x) {
            series.pop();
        }
        series.push((x, held));
    }
    series.push((minutes(at + fade), value));
}

/// The line's value at `x`: on its last segment, or held after its last point.
fn value_at(series: &[(f64, f64)], x: f64) -> Option<f64> {
    let &(last_x, last_v) = series.last()?;
    if x >= last_x {
        return Some(last_v);
    }
    let i = series.iter().rposition(|&(px, _)| px <= x)?;
    let (x0, v0) = series[i];
    let (x1, v1) = series[i + 1];
    let t = if x1 > x0 { (x - x0) / (x1 - x0) } else { 1.0 };
    Some(v0 + (v1 - v0) * t)
}

/// Holds the line's last value to the end of the picture.
pub fn hold_to(series: &mut Vec<(f64, f64)>, end: Millis) {
    if let Some(&(x, held)) = series.last()
        && x < minutes(end)
    {
        series.push((minutes(end), held));
    }
}

/// The lowest and highest of `values`, or `empty` when there are none.
pub fn span(values: impl Iterator<Item = f64>, empty: (f64, f64)) -> (f64, f64) {
    values
        .fold(None, |acc: Option<(f64, f64)>, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
        .unwrap_or(empty)
}

/// The three panels both pictures draw: brightness and colour temperature per zone, and the
/// music level with `notes` (playlists or tracks) written in it.
pub fn level_panels(
    brightness: BTreeMap<String, Line>,
    kelvin: BTreeMap<String, Line>,
    music: Line,
    notes: Vec<Tick>,
) -> Vec<Panel> {
    let (k_low, k_high) = span(kelvin.values().flatten().map(|p| p.1), (1800.0, 6500.0));
    let (db_low, _) = span(music.iter().map(|p| p.1), (SILENT_DB, 0.0));
    vec![
        Panel {
            y_desc: "brightness %".into(),
            y_range: (0.0, 100.0),
            series: brightness.into_iter().collect(),
            notes: Vec::new(),
        },
        Panel {
            y_desc: "colour temperature K".into(),
            y_range: (k_low - 200.0, k_high + 200.0),
            series: kelvin.into_iter().collect(),
            notes: Vec::new(),
        },
        Panel {
            y_desc: format!("music level dB (none: {SILENT_DB:.0})"),
            y_range: (db_low.min(SILENT_DB), 3.0),
            series: vec![("music".into(), music)],
            notes,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mins(m: u64) -> Millis {
        Millis(m * 60_000)
    }

    #[test]
    fn a_fade_ramps_from_the_held_value() {
        let mut line = Vec::new();
        ramp(&mut line, mins(0), mins(0), 10.0);
        ramp(&mut line, mins(10), mins(5), 60.0);
        hold_to(&mut line, mins(20));
        assert_eq!(line, vec![(0.0, 10.0), (10.0, 10.0), (15.0, 60.0), (20.0, 60.0)]);
    }

    #[test]
    fn a_change_during_a_fade_cuts_it_short_where_it_had_got_to() {
        let mut line = Vec::new();
        ramp(&mut line, mins(0), mins(0), 0.0);
        ramp(&mut line, mins(0), mins(20), 100.0);
        // Half way up, an emergency fade of one minute to 40.
        ramp(&mut line, mins(10), mins(1), 40.0);
        assert_eq!(line.last(), Some(&(11.0, 40.0)));
        let cut = line[line.len() - 2];
        assert!(
            (cut.0 - 10.0).abs() < 1e-9 && (cut.1 - 50.0).abs() < 1e-9,
            "{line:?}"
        );
        assert!(
            line.windows(2).all(|w| w[0].0 <= w[1].0),
            "time never runs back: {line:?}"
        );
    }

    #[test]
    fn span_of_nothing_is_the_default() {
        assert_eq!(span(std::iter::empty(), (1.0, 2.0)), (1.0, 2.0));
        assert_eq!(span([3.0, -1.0, 2.0].into_iter(), (0.0, 0.0)), (-1.0, 3.0));
    }
}
