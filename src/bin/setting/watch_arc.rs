//! The live view's arc: the session's phases as labelled segments, and a marker at where the
//! session really is: within the phase it is in, not where the planned clock would put it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};

use setting::time::Millis;
use setting::timeline::Status;

use crate::watch_layout::{AMBER, Arc, DARK, GREY};

/// Three rows: phase titles over their segments, the bar, and a marker under now.
pub fn draw(status: &Status, arc: Option<&Arc>, area: Rect, buf: &mut Buffer) {
    if area.width < 2 || area.height < 3 {
        return;
    }
    let width = area.width as usize;
    let bounds = segments(status, arc, width);
    let current = status.phase.index.min(bounds.len().saturating_sub(1));
    let (now, long) = marker(status, bounds.get(current).copied().unwrap_or((0, width)));
    let now = now.min(width - 1);
    let titles: Vec<&str> = match arc {
        Some(a) => a.phases.iter().map(|p| p.0.as_str()).collect(),
        None => Vec::new(),
    };
    // "Dosing: holding the lozenge" is "Dosing" on the arc; the phase line below it gives the
    // whole title, and the short one leaves the neighbours room for their own names.
    let title = |i: usize| {
        let whole = match titles.get(i) {
            Some(t) => *t,
            None if i == current => status.phase.title.as_str(),
            None => "",
        };
        whole.split(':').next().unwrap_or(whole).trim()
    };
    // The phase the session is in is named whole, even over its neighbours' room: it is the
    // one the therapist looks for. The others get what is left of their own segments.
    let (name, first) = match bounds.get(current) {
        Some(&(start, _)) => {
            let name = fit(title(current), width.saturating_sub(1));
            let first = (start + 1).min(width.saturating_sub(name.chars().count()));
            (name, first)
        }
        None => (String::new(), 0),
    };
    let taken = (
        first.saturating_sub(1),
        (first + name.chars().count() + 1).min(width),
    );
    for (i, &(start, end)) in bounds.iter().enumerate() {
        let (start, end) = (start.min(width), end.min(width));
        if i != current {
            let (from, to) = if i < current {
                (start + 1, end.min(taken.0))
            } else {
                ((start + 1).max(taken.1), end)
            };
            // Under three columns a name would be just an ellipsis: noise, not a name.
            let room = to.saturating_sub(from);
            let label = if room < 3 {
                String::new()
            } else {
                fit(title(i), room)
            };
            buf.set_string(area.x + from as u16, area.y, label, Style::new().fg(GREY));
        }
        for col in start..end {
            let (symbol, colour) = match col {
                c if c == start => ("│", DARK),
                c if c < now || (i == current && long) => ("━", AMBER),
                _ => ("─", if i == current { GREY } else { DARK }),
            };
            buf.set_string(area.x + col as u16, area.y + 1, symbol, Style::new().fg(colour));
        }
    }
    let style = Style::new().fg(AMBER).add_modifier(Modifier::BOLD);
    buf.set_string(area.x + first as u16, area.y, name, style);
    buf.set_string(area.x + now as u16, area.y + 2, "▲", Style::new().fg(AMBER));
    if long {
        let over = status.phase.elapsed - status.phase.planned;
        let note = format!(" running long, +{over}");
        let len = note.chars().count();
        // After the marker when there is room, else before it.
        let at = if now + 1 + len <= width {
            now + 1
        } else {
            now.saturating_sub(len)
        };
        let style = Style::new().fg(AMBER).add_modifier(Modifier::BOLD);
        buf.set_string(area.x + at as u16, area.y + 2, fit(&note, width - at), style);
    }
}

/// Each phase's columns `[start, end)`: from the plan when there is one, else equal shares.
fn segments(status: &Status, arc: Option<&Arc>, width: usize) -> Vec<(usize, usize)> {
    match arc.filter(|a| a.total.0 > 0) {
        Some(a) => {
            let col = |t: Millis| ((t.0 as f64 / a.total.0 as f64) * width as f64) as usize;
            a.phases.iter().map(|p| (col(p.1), col(p.2))).collect()
        }
        None => {
            let count = status.phase.count.max(1);
            (0..count)
                .map(|i| (i * width / count, (i + 1) * width / count))
                .collect()
        }
    }
}

/// The marker's column within the current phase's segment, by how much of the phase's planned
/// time has passed, and whether the phase has run past its plan: then the marker waits at the
/// segment's end rather than wandering into the next phase's.
fn marker(status: &Status, (start, end): (usize, usize)) -> (usize, bool) {
    let p = &status.phase;
    let long = p.elapsed > p.planned;
    let within = if p.planned.0 == 0 {
        if long { 1.0 } else { 0.0 }
    } else {
        (p.elapsed.0 as f64 / p.planned.0 as f64).min(1.0)
    };
    let span = end.saturating_sub(start);
    let col = start + (within * span as f64) as usize;
    // The last column of the segment is the furthest the marker goes while in this phase.
    (col.min(end.saturating_sub(1)).max(start), long)
}

/// A label cut to `room` columns at a word boundary, with an ellipsis when anything is left
/// out; a single word too long for the room keeps its first letters before the ellipsis.
pub fn fit(text: &str, room: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= room {
        return text.to_string();
    }
    if room == 0 {
        return String::new();
    }
    let limit = room - 1;
    // The last space that ends a word within the room; the text's own spacing before it stays,
    // so columns of times line up still.
    let cut = (1..=limit)
        .rev()
        .find(|&i| chars[i].is_whitespace() && !chars[i - 1].is_whitespace())
        .unwrap_or(limit);
    let mut kept: String = chars[..cut].iter().collect();
    kept.push('…');
    kept
}

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn labels_are_cut_at_words_with_an_ellipsis() {
        assert_eq!(fit("Arrival and settling", 40), "Arrival and settling");
        assert_eq!(fit("Arrival and settling", 10), "Arrival…");
        assert_eq!(fit("Arrival and settling", 13), "Arrival and…");
        assert_eq!(fit("Dosing", 5), "Dosi…");
        assert_eq!(fit("Dosing", 1), "…");
        assert_eq!(fit("Dosing", 0), "");
        assert_eq!(
            fit("   1:01      1:00  dose marked (socket (ana))", 30),
            "   1:01      1:00  dose…"
        );
    }
}
