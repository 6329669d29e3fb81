//! The drawing shared by `plan --svg` and `report --svg`: a session's arc along a time axis
//! (hh:mm), phases as labelled bands, overrides as shaded spans, events as labelled ticks,
//! and one panel per measured quantity. Drawn with plotters' SVG backend, whose text stays SVG
//! `<text>` (its font layout is an estimate), so no font files are needed.

use std::path::Path;

use anyhow::{Context, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;

use setting::time::Millis;

const WIDTH: u32 = 1400;
const HEADER: u32 = 50;
const PANEL: u32 = 260;
const KEY_LINE: u32 = 18;
/// The plotting area's left and right edges in pixels (margins plus the y labels).
const PLOT_LEFT: u32 = 80;
const PLOT_RIGHT: u32 = 30;
const FONT: &str = "sans-serif";
/// The naive font layout's estimate of a character's width at 14 px, for fitting titles.
const CHAR_PX: f64 = 7.5;

/// Everything one picture shows; times are session times.
pub struct Arc {
    pub title: String,
    pub total: Millis,
    pub phases: Vec<Band>,
    pub shades: Vec<Shade>,
    pub ticks: Vec<Tick>,
    /// Small labelled markers along the bottom of the first panel: what the therapist
    /// entered (vital signs, notes).
    pub markers: Vec<Marker>,
    pub panels: Vec<Panel>,
}

/// A small triangle with a short label on the chart, told in full in the key.
pub struct Marker {
    pub at: Millis,
    /// A few characters drawn beside the triangle (`BP 128/82`, `note`).
    pub short: String,
    /// The whole entry, for the key.
    pub label: String,
    /// Drawn in red: a reading past one of the clinic's thresholds.
    pub alert: bool,
}

pub struct Band {
    pub start: Millis,
    pub end: Millis,
    pub label: String,
}

/// The colours say how urgent an override was, as the room's staff already read them.
#[derive(Clone, Copy)]
pub enum Tone {
    Emergency,
    Check,
    Pause,
    Silence,
}

pub struct Shade {
    pub start: Millis,
    pub end: Millis,
    pub tone: Tone,
    pub label: String,
}

pub struct Tick {
    pub at: Millis,
    pub label: String,
}

pub struct Panel {
    /// The y axis's name, unit included (`brightness %`).
    pub y_desc: String,
    pub y_range: (f64, f64),
    /// Named lines: (minutes, value) points.
    pub series: Vec<(String, Vec<(f64, f64)>)>,
    /// Words written inside the panel at their time (playlists, tracks).
    pub notes: Vec<Tick>,
}

pub fn minutes(t: Millis) -> f64 {
    t.0 as f64 / 60_000.0
}

fn hhmm(minutes: f64) -> String {
    let m = minutes.max(0.0).round() as u64;
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn tone_colour(tone: Tone) -> RGBAColor {
    match tone {
        Tone::Emergency => RGBColor(220, 40, 40).mix(0.30),
        Tone::Check => RGBColor(240, 170, 20).mix(0.30),
        Tone::Pause => RGBColor(130, 130, 130).mix(0.30),
        Tone::Silence => RGBColor(90, 90, 160).mix(0.12),
    }
}

pub fn write(arc: &Arc, path: &Path) -> anyhow::Result<()> {
    let svg = render(arc)?;
    std::fs::write(path, svg).with_context(|| format!("cannot write {}", path.display()))
}

pub fn render(arc: &Arc) -> anyhow::Result<String> {
    // Ticks are numbered on the chart and told in full in a key below it: prompts are
    // sentences, and several often fall within a minute of each other.
    let key_rows = (arc.phases.len() + arc.ticks.len() + arc.markers.len()).div_ceil(2) as u32;
    let key_height = if key_rows == 0 {
        0
    } else {
        20 + KEY_LINE * key_rows
    };
    let height = HEADER + PANEL * arc.panels.len().max(1) as u32 + key_height;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let (header, rest) = root.split_vertically(HEADER);
        let (body, key_area) = rest.split_vertically(PANEL * arc.panels.len().max(1) as u32);
        header
            .draw(&Text::new(arc.title.clone(), (20, 8), (FONT, 22).into_font()))
            .map_err(plot_error)?;
        legend(&header)?;
        key(arc, &key_area)?;
        let areas = body.split_evenly((arc.panels.len().max(1), 1));
        for (i, (panel, area)) in arc.panels.iter().zip(&areas).enumerate() {
            draw_panel(arc, panel, area, i == 0)?;
        }
        root.present().map_err(plot_error)?;
    }
    Ok(svg)
}

/// What the shaded spans mean.
fn legend(area: &DrawingArea<SVGBackend<'_>, Shift>) -> anyhow::Result<()> {
    let tones = [
        (Tone::Emergency, "emergency"),
        (Tone::Check, "check"),
        (Tone::Pause, "pause"),
        (Tone::Silence, "silence"),
    ];
    for (i, (tone, name)) in tones.into_iter().enumerate() {
        let x = 20 + 130 * i as i32;
        area.draw(&Rectangle::new(
            [(x, 32), (x + 18, 44)],
            tone_colour(tone).filled(),
        ))
        .map_err(plot_error)?;
        area.draw(&Text::new(name, (x + 24, 32), (FONT, 13).into_font()))
            .map_err(plot_error)?;
    }
    Ok(())
}

/// The phases with their times and the numbered ticks, in full, in two columns: the
/// chart has room only for cut titles and numbers.
fn key(arc: &Arc, area: &DrawingArea<SVGBackend<'_>, Shift>) -> anyhow::Result<()> {
    let phases = arc.phases.iter().map(|b| {
        let times = format!("{}-{}", hhmm(minutes(b.start)), hhmm(minutes(b.end)));
        format!("      {times}  phase {}", b.label)
    });
    let ticks = (arc.ticks.iter().enumerate())
        .map(|(i, t)| format!("{:>3}   {}  {}", i + 1, hhmm(minutes(t.at)), t.label));
    let markers = arc.markers.iter().map(|m| {
        let sign = if m.alert { "!" } else { "▲" };
        format!("  {sign}   {}  {}", hhmm(minutes(m.at)), m.label)
    });
    let lines: Vec<String> = phases.chain(ticks).chain(markers).collect();
    let rows = lines.len().div_ceil(2).max(1);
    let column = (WIDTH as i32 - 40) / 2;
    for (i, line) in lines.into_iter().enumerate() {
        let (col, row) = ((i / rows) as i32, (i % rows) as u32);
        let at = (20 + column * col, 12 + (KEY_LINE * row) as i32);
        area.draw(&Text::new(fit(&line, 95), at, (FONT, 13).into_font()))
            .map_err(plot_error)?;
    }
    Ok(())
}

/// Shortens `text` to `chars` characters, marking the cut.
fn fit(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(chars.saturating_sub(1)).collect();
    short.push('…');
    short
}

fn plot_error<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> anyhow::Error {
    anyhow!("cannot draw the picture: {e}")
}

const MARKER: RGBColor = RGBColor(20, 110, 120);
const MARKER_ALERT: RGBColor = RGBColor(200, 30, 30);

/// The therapist's entries as small triangles along the bottom, each with its short label,
/// staggered in two rows so neighbours do not print over each other.
fn draw_markers<DB: DrawingBackend>(
    arc: &Arc,
    chart: &mut ChartContext<
        '_,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    (y0, y1): (f64, f64),
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let span = y1 - y0;
    for (i, marker) in arc.markers.iter().enumerate() {
        let colour = if marker.alert { MARKER_ALERT } else { MARKER };
        let x = minutes(marker.at);
        let y = y0 + span * if i % 2 == 0 { 0.05 } else { 0.17 };
        chart
            .draw_series(std::iter::once(TriangleMarker::new((x, y), 6, colour.filled())))
            .map_err(|e| anyhow!("cannot draw the picture: {e}"))?;
        // Text hangs down from its point: starting it above the triangle keeps it off the axis.
        let style = TextStyle::from((FONT, 12).into_font()).color(&colour);
        let label = (x, y + span * 0.09);
        chart
            .draw_series(std::iter::once(Text::new(
                format!(" {}", marker.short),
                label,
                style,
            )))
            .map_err(|e| anyhow!("cannot draw the picture: {e}"))?;
    }
    Ok(())
}

fn draw_panel(
    arc: &Arc,
    panel: &Panel,
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    first: bool,
) -> anyhow::Result<()> {
    let x_end = minutes(arc.total).max(1.0);
    let (y0, y1) = panel.y_range;
    let mut chart = ChartBuilder::on(area)
        .margin_left(PLOT_LEFT - 70)
        .margin_right(PLOT_RIGHT)
        .margin_top(10)
        .x_label_area_size(30)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..x_end, y0..y1)
        .map_err(plot_error)?;
    let mut mesh = chart.configure_mesh();
    if panel.series.is_empty() {
        // A panel of words only: its y axis measures nothing.
        mesh.disable_y_mesh().y_labels(0);
    }
    mesh.disable_x_mesh()
        .x_labels(12)
        .x_label_formatter(&|x| hhmm(*x))
        .x_desc("session time (hh:mm)")
        .y_desc(panel.y_desc.as_str())
        .label_style((FONT, 13))
        .draw()
        .map_err(plot_error)?;
    // Alternate tints make neighbouring phases readable apart without a legend.
    let bands = arc.phases.iter().enumerate().map(|(i, b)| {
        let tint = if i % 2 == 0 {
            RGBColor(235, 242, 250)
        } else {
            RGBColor(250, 246, 235)
        };
        Rectangle::new([(minutes(b.start), y0), (minutes(b.end), y1)], tint.filled())
    });
    chart.draw_series(bands).map_err(plot_error)?;
    let shades = arc.shades.iter().map(|s| {
        Rectangle::new(
            [(minutes(s.start), y0), (minutes(s.end), y1)],
            tone_colour(s.tone).filled(),
        )
    });
    chart.draw_series(shades).map_err(plot_error)?;
    let span = y1 - y0;
    if first {
        // Phase titles in two staggered rows, each cut to the room it has before the next
        // title on its row.
        let px_per_minute = f64::from(WIDTH - PLOT_LEFT - PLOT_RIGHT) / x_end;
        let titles = arc.phases.iter().enumerate().map(|(i, b)| {
            let room_until = arc.phases.get(i + 2).map_or(arc.total, |next| next.start);
            let room = (minutes(room_until) - minutes(b.start)) * px_per_minute / CHAR_PX;
            let y = y1 - span * if i % 2 == 0 { 0.0 } else { 0.08 };
            Text::new(
                fit(&b.label, room as usize),
                (minutes(b.start), y),
                (FONT, 14).into_font(),
            )
        });
        chart.draw_series(titles).map_err(plot_error)?;
        let shade_labels = arc.shades.iter().filter(|s| !s.label.is_empty()).map(|s| {
            Text::new(
                s.label.clone(),
                (minutes(s.start), y1 - span * 0.17),
                (FONT, 12).into_font(),
            )
        });
        chart.draw_series(shade_labels).map_err(plot_error)?;
        // The ticks' numbers, staggered; the key below says what each is.
        let numbers = arc.ticks.iter().enumerate().map(|(i, t)| {
            let y = y0 + span * (0.16 - 0.06 * (i % 3) as f64);
            Text::new(format!("{}", i + 1), (minutes(t.at), y), (FONT, 12).into_font())
        });
        chart.draw_series(numbers).map_err(plot_error)?;
        draw_markers(arc, &mut chart, (y0, y1))?;
    }
    for tick in &arc.ticks {
        let x = minutes(tick.at);
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(x, y0), (x, y1)],
                RGBColor(60, 60, 60).mix(0.6).stroke_width(1),
            )))
            .map_err(plot_error)?;
    }
    let notes = panel.notes.iter().enumerate().map(|(i, n)| {
        let y = y1 - span * (0.12 + 0.08 * (i % 3) as f64);
        Text::new(
            format!(" {}", n.label),
            (minutes(n.at), y),
            (FONT, 12).into_font(),
        )
    });
    chart.draw_series(notes).map_err(plot_error)?;
    for (i, (name, points)) in panel.series.iter().enumerate() {
        let colour = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(points.iter().copied(), colour.stroke_width(2)))
            .map_err(plot_error)?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
    }
    if !panel.series.is_empty() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::MiddleRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FONT, 13))
            .draw()
            .map_err(plot_error)?;
    }
    Ok(())
}
