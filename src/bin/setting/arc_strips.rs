//! The arc picture's strips around the panels: what the marks mean, the phases as labelled
//! bands, the events as small numbered markers, and the key that tells them all in full.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::arc_chart::{
    Arc, CHAR_PX, FONT, KEY_LINE, Marker, Tone, WIDTH, hhmm, minutes, phase_colour, plot_error, tone_colour,
    x_of,
};

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// What the marked spans and the markers mean, the ones this picture uses only.
pub fn legend(arc: &Arc, area: &Area<'_>) -> anyhow::Result<()> {
    let mut x = 20;
    let tones = [
        (Tone::Emergency, "emergency"),
        (Tone::Check, "check"),
        (Tone::Pause, "pause"),
        (Tone::Silence, "no music"),
    ];
    for (tone, name) in tones {
        if !arc.shades.iter().any(|s| s.tone == tone) {
            continue;
        }
        area.draw(&Rectangle::new(
            [(x, 38), (x + 18, 50)],
            tone_colour(tone).mix(0.25).filled(),
        ))
        .map_err(plot_error)?;
        area.draw(&Rectangle::new(
            [(x, 38), (x + 18, 41)],
            tone_colour(tone).filled(),
        ))
        .map_err(plot_error)?;
        area.draw(&Text::new(name, (x + 24, 37), (FONT, 13).into_font()))
            .map_err(plot_error)?;
        x += 40 + 8 * name.len() as i32;
    }
    let markers = [
        (Marker::Mark, "mark"),
        (Marker::Prompt, "prompt"),
        (Marker::Vitals, "vitals"),
        (Marker::VitalsAlert, "vitals past a threshold"),
        (Marker::Note, "note"),
        (Marker::Skip, "skipped track"),
    ];
    for (marker, name) in markers {
        if !arc.ticks.iter().any(|t| t.marker == marker) {
            continue;
        }
        draw_marker(area, marker, (x + 6, 44))?;
        area.draw(&Text::new(name, (x + 16, 37), (FONT, 13).into_font()))
            .map_err(plot_error)?;
        x += 34 + 8 * name.len() as i32;
    }
    Ok(())
}

/// The phases as bands of their own quiet colours, named in two staggered rows; each name has
/// the room until the next name on its row, and the key below gives the whole title.
pub fn phase_strip(arc: &Arc, area: &Area<'_>) -> anyhow::Result<()> {
    let (_, height) = area.dim_in_pixel();
    for (i, band) in arc.phases.iter().enumerate() {
        let (x0, x1) = (x_of(arc, minutes(band.start)), x_of(arc, minutes(band.end)));
        area.draw(&Rectangle::new(
            [(x0, 0), (x1, height as i32)],
            phase_colour(i).filled(),
        ))
        .map_err(plot_error)?;
        area.draw(&PathElement::new(
            vec![(x0, 0), (x0, height as i32)],
            WHITE.stroke_width(2),
        ))
        .map_err(plot_error)?;
    }
    for (i, band) in arc.phases.iter().enumerate() {
        let x0 = x_of(arc, minutes(band.start));
        let room_until = arc
            .phases
            .get(i + 2)
            // The last names may run on into the legends' margin, where nothing else is.
            .map_or(WIDTH as i32 - 10, |b| x_of(arc, minutes(b.start)));
        let chars = (f64::from(room_until - x0 - 8) / CHAR_PX).max(0.0) as usize;
        let name = format!("{} {}", i + 1, short_title(&band.label));
        let y = 4 + 20 * (i % 2) as i32;
        area.draw(&Text::new(
            fit_words(&name, chars),
            (x0 + 4, y),
            (FONT, 13).into_font(),
        ))
        .map_err(plot_error)?;
    }
    Ok(())
}

/// A phase's title before any colon: "Dosing: holding the lozenge" is "Dosing".
pub fn short_title(title: &str) -> &str {
    title.split(':').next().unwrap_or(title).trim()
}

/// The events as small markers in a row of their own, numbered in three staggered rows below
/// them; the key says what each number is.
pub fn events_strip(arc: &Arc, area: &Area<'_>) -> anyhow::Result<()> {
    for (i, tick) in arc.ticks.iter().enumerate() {
        let x = x_of(arc, minutes(tick.at));
        draw_marker(area, tick.marker, (x, 10))?;
        let y = 20 + 11 * (i % 3) as i32;
        area.draw(&Text::new(
            format!("{}", i + 1),
            (x - 3, y),
            (FONT, 11).into_font(),
        ))
        .map_err(plot_error)?;
    }
    Ok(())
}

fn draw_marker(area: &Area<'_>, marker: Marker, (x, y): (i32, i32)) -> anyhow::Result<()> {
    let r = 5;
    match marker {
        Marker::Mark => area.draw(&Polygon::new(
            vec![(x, y - r), (x + r, y), (x, y + r), (x - r, y)],
            BLACK.filled(),
        )),
        Marker::Prompt => area.draw(&Polygon::new(
            vec![(x - r, y - r), (x + r, y - r), (x, y + r)],
            RGBColor(40, 70, 140).filled(),
        )),
        Marker::Vitals => area.draw(&Circle::new((x, y), r, RGBColor(20, 120, 80).filled())),
        Marker::VitalsAlert => area.draw(&Circle::new((x, y), r + 1, RGBColor(200, 30, 30).filled())),
        Marker::Note => area.draw(&Rectangle::new(
            [(x - r + 1, y - r + 1), (x + r - 1, y + r - 1)],
            RGBColor(110, 110, 110).filled(),
        )),
        Marker::Skip => area.draw(&PathElement::new(
            vec![
                (x - r, y - r),
                (x + r, y + r),
                (x, y),
                (x + r, y - r),
                (x - r, y + r),
            ],
            RGBColor(140, 70, 20).stroke_width(2),
        )),
    }
    .map_err(plot_error)
}

/// The key's lines: every phase with its times, then every event by its number, whole,
/// wrapped to the key's column rather than cut.
pub fn key_lines(arc: &Arc) -> Vec<String> {
    let width = key_column_chars();
    let phases = arc.phases.iter().enumerate().map(|(i, b)| {
        let times = format!("{}-{}", hhmm(minutes(b.start)), hhmm(minutes(b.end)));
        format!("phase {}  {times}  {}", i + 1, b.label)
    });
    let spans = arc.shades.iter().filter(|s| !s.label.is_empty()).map(|s| {
        let times = format!("{}-{}", hhmm(minutes(s.start)), hhmm(minutes(s.end)));
        format!("{}  {times}", s.label)
    });
    let ticks = arc
        .ticks
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{:>3}  {}  {}", i + 1, hhmm(minutes(t.at)), plain(&t.label)));
    phases
        .chain(spans)
        .chain(ticks)
        .flat_map(|line| wrap(&line, width))
        .collect()
}

pub fn key(arc: &Arc, area: &Area<'_>) -> anyhow::Result<()> {
    let lines = key_lines(arc);
    let rows = lines.len().div_ceil(2).max(1);
    let column = (WIDTH as i32 - 40) / 2;
    for (i, line) in lines.into_iter().enumerate() {
        let (col, row) = ((i / rows) as i32, (i % rows) as u32);
        let at = (20 + column * col, 14 + (KEY_LINE * row) as i32);
        area.draw(&Text::new(line, at, (FONT, 13).into_font()))
            .map_err(plot_error)?;
    }
    Ok(())
}

fn key_column_chars() -> usize {
    (f64::from((WIDTH - 40) / 2 - 20) / CHAR_PX) as usize
}

/// A label as clinic staff read it: without the backticks that mark names on the command line.
fn plain(label: &str) -> String {
    label.replace('`', "")
}

/// `text` cut to `chars` at a word, with an ellipsis when anything is left out.
pub fn fit_words(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    let mut kept = String::new();
    for word in text.split_whitespace() {
        let with = if kept.is_empty() {
            word.to_owned()
        } else {
            format!("{kept} {word}")
        };
        if with.chars().count() + 1 > chars {
            break;
        }
        kept = with;
    }
    if kept.is_empty() {
        return String::new();
    }
    kept.push('…');
    kept
}

/// `text` wrapped at spaces into lines of at most `chars`; continuation lines are indented so
/// that a wrapped entry reads as one.
fn wrap(text: &str, chars: usize) -> Vec<String> {
    const INDENT: &str = "            ";
    let mut lines = Vec::new();
    let mut rest: Vec<char> = text.chars().collect();
    let mut indent = "";
    loop {
        let room = chars.saturating_sub(indent.len()).max(10);
        if rest.len() <= room {
            lines.push(format!("{indent}{}", rest.iter().collect::<String>()));
            return lines;
        }
        // The last space that keeps the line within its room; a word longer than the room
        // is broken where it must be.
        let cut = rest[..=room]
            .iter()
            .rposition(|&c| c == ' ')
            .filter(|&c| c > 0)
            .unwrap_or(room);
        let line: String = rest[..cut].iter().collect();
        lines.push(format!("{indent}{}", line.trim_end()));
        rest = rest[cut..].iter().copied().skip_while(|&c| c == ' ').collect();
        indent = INDENT;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cut_at_words_or_left_out() {
        assert_eq!(fit_words("8 Discharge vitals", 30), "8 Discharge vitals");
        assert_eq!(fit_words("8 Discharge vitals", 14), "8 Discharge…");
        assert_eq!(fit_words("Discharge", 4), "");
        assert_eq!(short_title("Dosing: holding the lozenge"), "Dosing");
    }

    #[test]
    fn key_entries_wrap_whole_and_lose_their_backticks() {
        let long = "word ".repeat(60);
        let lines = wrap(long.trim(), 50);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.chars().count() <= 50), "{lines:?}");
        assert_eq!(lines.join(" ").split_whitespace().count(), 60);
        assert_eq!(plain("`Dosing` has passed"), "Dosing has passed");
    }
}
