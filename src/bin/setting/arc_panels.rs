//! One panel of the arc picture: a measured quantity over the session, on the phases' bands
//! with the marked spans, its legend beside it (never over the data), and the words written
//! along it (playlists, tracks) in a strip of their own below it.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::arc_chart::{
    Arc, CHAR_PX, FONT, LEGEND, PANEL, PLOT_LEFT, PLOT_RIGHT, Panel, Tone, WIDTH, hhmm, minutes,
    phase_colour, plot_error, tone_colour, x_end, x_of,
};
use crate::arc_strips::fit_words;

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Line colours far enough apart to tell zones by, none of them the marked spans' red or amber.
const LINES: [RGBColor; 6] = [
    RGBColor(31, 90, 160),
    RGBColor(20, 130, 90),
    RGBColor(130, 60, 150),
    RGBColor(60, 60, 60),
    RGBColor(0, 150, 170),
    RGBColor(150, 110, 40),
];

pub fn draw_panel(arc: &Arc, panel: &Panel, area: &Area<'_>) -> anyhow::Result<()> {
    let (chart_area, notes_area) = area.split_vertically(PANEL);
    let x_end = x_end(arc);
    let (y0, y1) = panel.y_range;
    let mut chart = ChartBuilder::on(&chart_area)
        .margin_left(PLOT_LEFT - 70)
        .margin_right(PLOT_RIGHT)
        .margin_top(8)
        .x_label_area_size(34)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..x_end, y0..y1)
        .map_err(plot_error)?;
    let mut mesh = chart.configure_mesh();
    if panel.series.is_empty() {
        // A panel of words only: its y axis measures nothing.
        mesh.disable_y_mesh().y_labels(0);
    }
    mesh.disable_x_mesh()
        .x_labels(13)
        .x_label_formatter(&|x| hhmm(*x))
        .y_labels(6)
        .y_label_formatter(&|y| format!("{y:.0}"))
        .x_desc("session time (hh:mm)")
        .y_desc(panel.y_desc.as_str())
        .label_style((FONT, 13))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(plot_error)?;
    let bands = arc.phases.iter().enumerate().map(|(i, b)| {
        Rectangle::new(
            [(minutes(b.start), y0), (minutes(b.end), y1)],
            phase_colour(i).mix(0.7).filled(),
        )
    });
    chart.draw_series(bands).map_err(plot_error)?;
    let span = y1 - y0;
    let music = panel.y_desc.starts_with("music");
    // "No music" concerns the music panel alone; the overrides concern the whole room.
    let shades = arc.shades.iter().filter(|s| music || s.tone != Tone::Silence);
    for shade in shades {
        let (x0, x1) = (minutes(shade.start), minutes(shade.end));
        let colour = tone_colour(shade.tone);
        chart
            .draw_series([
                Rectangle::new([(x0, y0), (x1, y1)], colour.mix(0.16).filled()),
                Rectangle::new([(x0, y1 - span * 0.04), (x1, y1)], colour.filled()),
            ])
            .map_err(plot_error)?;
    }
    let series = merged(&panel.series);
    for (i, (name, points)) in series.iter().enumerate() {
        let colour = LINES[i % LINES.len()];
        chart
            .draw_series(LineSeries::new(points.iter().copied(), colour.stroke_width(2)))
            .map_err(plot_error)?;
        let y = 16 + 20 * i as i32;
        let x = (WIDTH - LEGEND + 10) as i32;
        chart_area
            .draw(&PathElement::new(
                vec![(x, y + 7), (x + 22, y + 7)],
                colour.stroke_width(3),
            ))
            .map_err(plot_error)?;
        let chars = (f64::from(LEGEND - 50) / CHAR_PX) as usize;
        chart_area
            .draw(&Text::new(
                fit_words(name, chars),
                (x + 28, y),
                (FONT, 13).into_font(),
            ))
            .map_err(plot_error)?;
    }
    notes(arc, panel, &notes_area)
}

/// Lines with the same points drawn once, named by all of theirs: three mats dimmed alike are
/// one line "mat-1, mat-2, mat-3", not two lines hidden under a third.
fn merged(series: &[(String, Vec<(f64, f64)>)]) -> Vec<(String, Vec<(f64, f64)>)> {
    let mut out: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for (name, points) in series {
        match out.iter_mut().find(|(_, p)| p == points) {
            Some((names, _)) => {
                names.push_str(", ");
                names.push_str(name);
            }
            None => out.push((name.clone(), points.clone())),
        }
    }
    out
}

/// The panel's words at their times in two staggered rows, each with the room until the next
/// on its row.
fn notes(arc: &Arc, panel: &Panel, area: &Area<'_>) -> anyhow::Result<()> {
    let end = x_of(arc, minutes(arc.total));
    for (i, note) in panel.notes.iter().enumerate() {
        let x = x_of(arc, minutes(note.at));
        let until = panel
            .notes
            .get(i + 2)
            .map_or(end + 40, |n| x_of(arc, minutes(n.at)));
        let chars = (f64::from(until - x - 6) / CHAR_PX).max(0.0) as usize;
        let y = 2 + 16 * (i % 2) as i32;
        area.draw(&PathElement::new(
            vec![(x, 0), (x, y + 12)],
            RGBColor(150, 150, 150).stroke_width(1),
        ))
        .map_err(plot_error)?;
        area.draw(&Text::new(
            fit_words(&note.label, chars),
            (x + 3, y),
            (FONT, 12).into_font(),
        ))
        .map_err(plot_error)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::merged;

    #[test]
    fn alike_lines_become_one_named_by_each() {
        let a = vec![(0.0, 1.0), (5.0, 2.0)];
        let b = vec![(0.0, 1.0), (5.0, 3.0)];
        let series = vec![
            ("mat-1".to_string(), a.clone()),
            ("mat-2".to_string(), a.clone()),
            ("room".to_string(), b.clone()),
            ("mat-3".to_string(), a.clone()),
        ];
        let lines = merged(&series);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].0, "mat-1, mat-2, mat-3");
        assert_eq!(lines[1], ("room".to_string(), b));
    }
}
