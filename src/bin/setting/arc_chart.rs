//! The picture shared by `plan --svg` and `report --svg`: a session's arc along a time axis
//! (hh:mm) for clinic staff. Top to bottom: the title and what the marked spans mean, the
//! phases as labelled bands, the events (marks, prompts, vitals, skips) as small numbered
//! markers, one panel per measured quantity with its legend beside it, and a key that tells
//! every phase and event in full. Nothing is drawn over the data. Drawn with plotters' SVG
//! backend, whose text stays SVG `<text>` (its font layout is an estimate), so no font files
//! are needed to make it.

use std::path::Path;

use anyhow::{Context, anyhow};
use plotters::prelude::*;

use setting::time::Millis;

use crate::arc_panels::draw_panel;
use crate::arc_strips::{events_strip, key, key_lines, legend, phase_strip};

pub const WIDTH: u32 = 1400;
pub const HEADER: u32 = 60;
/// The phase names' two rows above the panels.
pub const PHASE_STRIP: u32 = 44;
/// The event markers' row, with their numbers in three staggered rows.
pub const EVENT_STRIP: u32 = 54;
pub const PANEL: u32 = 240;
/// Room under a panel for the words written along it (playlists, tracks), two rows.
pub const NOTE_STRIP: u32 = 36;
pub const KEY_LINE: u32 = 18;
/// The plotting area's left edge in pixels: the margin plus the y labels.
pub const PLOT_LEFT: u32 = 80;
/// Right of the plotting area: the panels' legends, then a margin.
pub const LEGEND: u32 = 230;
pub const PLOT_RIGHT: u32 = LEGEND + 20;
pub const FONT: &str = "sans-serif";
/// The naive font layout's estimate of a character's width at 13 px, for fitting words.
pub const CHAR_PX: f64 = 7.0;

/// Everything one picture shows; times are session times.
pub struct Arc {
    pub title: String,
    pub total: Millis,
    pub phases: Vec<Band>,
    pub shades: Vec<Shade>,
    pub ticks: Vec<Tick>,
    pub panels: Vec<Panel>,
}

pub struct Band {
    pub start: Millis,
    pub end: Millis,
    pub label: String,
}

/// The marked spans' kinds; their colours are kept apart from the phases' quiet ones.
#[derive(Clone, Copy, PartialEq)]
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

/// What an event marker stands for; each has its own shape.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Marker {
    Mark,
    Prompt,
    Vitals,
    /// A reading past one of the clinic's thresholds.
    VitalsAlert,
    Note,
    Skip,
}

pub struct Tick {
    pub at: Millis,
    pub label: String,
    pub marker: Marker,
}

pub struct Panel {
    /// The y axis's name, unit included (`brightness %`).
    pub y_desc: String,
    pub y_range: (f64, f64),
    /// Named lines: (minutes, value) points.
    pub series: Vec<(String, Vec<(f64, f64)>)>,
    /// Words written along the panel at their time (playlists, tracks).
    pub notes: Vec<Tick>,
}

pub fn minutes(t: Millis) -> f64 {
    t.0 as f64 / 60_000.0
}

pub fn hhmm(minutes: f64) -> String {
    let m = minutes.max(0.0).round() as u64;
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// The picture's x in pixels for a time in minutes, the same in every strip and panel.
pub fn x_of(arc: &Arc, minutes: f64) -> i32 {
    let width = f64::from(WIDTH - PLOT_LEFT - PLOT_RIGHT);
    (f64::from(PLOT_LEFT) + minutes / x_end(arc) * width).round() as i32
}

pub fn x_end(arc: &Arc) -> f64 {
    minutes(arc.total).max(1.0)
}

pub fn tone_colour(tone: Tone) -> RGBColor {
    match tone {
        Tone::Emergency => RGBColor(200, 30, 30),
        Tone::Check => RGBColor(225, 140, 0),
        Tone::Pause => RGBColor(70, 70, 110),
        Tone::Silence => RGBColor(120, 140, 170),
    }
}

/// Quiet tints for the phases, none of them near the marked spans' colours.
pub fn phase_colour(i: usize) -> RGBColor {
    const TINTS: [RGBColor; 4] = [
        RGBColor(226, 236, 248),
        RGBColor(228, 243, 230),
        RGBColor(238, 231, 246),
        RGBColor(225, 242, 242),
    ];
    TINTS[i % TINTS.len()]
}

pub fn write(arc: &Arc, path: &Path) -> anyhow::Result<()> {
    let svg = render(arc)?;
    std::fs::write(path, svg).with_context(|| format!("cannot write {}", path.display()))
}

fn panel_height(panel: &Panel) -> u32 {
    PANEL + if panel.notes.is_empty() { 0 } else { NOTE_STRIP }
}

pub fn render(arc: &Arc) -> anyhow::Result<String> {
    let key_rows = key_lines(arc).len().div_ceil(2) as u32;
    let key_height = if key_rows == 0 {
        0
    } else {
        24 + KEY_LINE * key_rows
    };
    let panels: u32 = arc.panels.iter().map(panel_height).sum::<u32>().max(PANEL);
    let top = HEADER + PHASE_STRIP + EVENT_STRIP;
    let height = top + panels + key_height;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let (header, rest) = root.split_vertically(HEADER);
        let (phases, rest) = rest.split_vertically(PHASE_STRIP);
        let (events, rest) = rest.split_vertically(EVENT_STRIP);
        let (mut body, key_area) = rest.split_vertically(panels);
        header
            .draw(&Text::new(arc.title.clone(), (20, 8), (FONT, 22).into_font()))
            .map_err(plot_error)?;
        legend(arc, &header)?;
        phase_strip(arc, &phases)?;
        events_strip(arc, &events)?;
        for panel in &arc.panels {
            let (area, below) = body.split_vertically(panel_height(panel));
            draw_panel(arc, panel, &area)?;
            body = below;
        }
        key(arc, &key_area)?;
        root.present().map_err(plot_error)?;
    }
    Ok(svg)
}

pub fn plot_error<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> anyhow::Error {
    anyhow!("cannot draw the picture: {e}")
}
