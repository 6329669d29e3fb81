//! The full-screen `setting watch` view drawn from what is known, with no I/O: state in, cells out.
//!
//! Meant for a dim room: amber and grey text on black, never a filled block or a bright
//! background; only the prompt, which the therapist must act on, is drawn bright.

use std::collections::{BTreeMap, VecDeque};

use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use setting::protocol::StatusReply;
use setting::time::Millis;
use setting::timeline::Status;
use setting::timeline::plan::Plan;

pub const AMBER: Color = Color::Rgb(190, 130, 40);
pub const GREY: Color = Color::Rgb(120, 120, 120);
pub const DARK: Color = Color::Rgb(70, 70, 70);
const PROMPT: Color = Color::Rgb(255, 210, 90);
const BACKGROUND: Color = Color::Black;

/// How the daemon's warning about a state disk that refuses the event log begins.
const EVENTS_NOT_RECORDED: &str = "EVENTS NOT RECORDED";

/// How many recent events the view keeps; the screen shows as many as fit.
pub const EVENTS_KEPT: usize = 50;

/// Everything the view shows, gathered by the loop from `status` replies and the event stream.
#[derive(Default)]
pub struct View {
    pub reply: Option<StatusReply>,
    /// The planned phases of the running scene, when its plan could be computed here.
    pub arc: Option<Arc>,
    /// The file name of the track last started, from the event stream.
    pub track: Option<String>,
    /// Newest last, already one line each.
    pub events: VecDeque<String>,
    /// Why the daemon cannot be reached right now; the view keeps showing the last known state.
    pub unreachable: Option<String>,
}

/// The planned phases as `(title, start, end)` in session time.
pub struct Arc {
    pub phases: Vec<(String, Millis, Millis)>,
    pub total: Millis,
}

impl Arc {
    pub fn from_plan(plan: &Plan) -> Arc {
        Arc {
            phases: plan
                .phases
                .iter()
                .map(|p| (p.title.clone(), p.start, p.end))
                .collect(),
            total: plan.total,
        }
    }
}

pub fn draw(view: &View, area: Rect, buf: &mut Buffer) {
    buf.set_style(area, Style::new().fg(GREY).bg(BACKGROUND));
    let [header, arc, phase, prompt, middle, overrides, events] =
        Layout::vertical(heights(view, area.height).map(Constraint::Length)).areas(area);
    header_line(view, header, buf);
    let session = view.reply.as_ref().and_then(|r| r.session.as_ref());
    let Some(status) = session else {
        let text = if view.reply.is_some() {
            "no session running; `setting start SCENE` begins one"
        } else {
            "waiting for settingd"
        };
        Paragraph::new(text)
            .style(Style::new().fg(GREY))
            .render(phase, buf);
        draw_events(view, events, buf);
        return;
    };
    crate::watch_arc::draw(status, view.arc.as_ref(), arc, buf);
    phase_line(status, phase, buf);
    draw_prompt(status, prompt, buf);
    draw_middle(view, status, middle, buf);
    overrides_line(status, overrides, buf);
    draw_events(view, events, buf);
}

/// The rows of header, arc, phase line, prompt, music and lights, overrides and events. On a
/// short screen the events give way first, then the lights' spare rows, then the prompt's
/// blank line; the arc and the prompt itself stay.
fn heights(view: &View, rows: u16) -> [u16; 7] {
    let overrides = view
        .reply
        .as_ref()
        .and_then(|r| r.session.as_ref())
        .is_some_and(|s| !s.overrides.is_empty());
    let overrides = u16::from(overrides);
    let fixed = 1 + 3 + 1 + overrides;
    let left = rows.saturating_sub(fixed);
    let prompt = match left {
        l if l >= 10 => 5,
        l if l >= 9 => 4,
        l => l.min(3),
    };
    let middle = middle_height(view).min(left - prompt);
    let events = left - prompt - middle;
    [1, 3, 1, prompt, middle, overrides, events]
}

fn middle_height(view: &View) -> u16 {
    let zones = view.reply.as_ref().map_or(0, |r| zones(r).len());
    (zones.max(3) as u16).min(8) + 2
}

fn header_line(view: &View, area: Rect, buf: &mut Buffer) {
    let mut spans = Vec::new();
    if let Some(session) = view.reply.as_ref().and_then(|r| r.session.as_ref()) {
        spans.push(Span::styled(session.scene_title.clone(), Style::new().fg(AMBER)));
        spans.push(Span::raw(format!("  session {}", session.session_time)));
        for (on, word) in [
            (session.held, "HELD"),
            (session.paused, "PAUSED"),
            (session.muted, "MUTED"),
            (session.finished, "FINISHED"),
        ] {
            if on {
                spans.push(Span::styled(format!("  {word}"), Style::new().fg(AMBER)));
            }
        }
    }
    // A disk that refuses the record is the therapist's to know at once: the next ordinary
    // command will be refused.
    let unrecorded = view.reply.as_ref().is_some_and(|r| {
        r.daemon
            .warnings
            .iter()
            .any(|w| w.starts_with(EVENTS_NOT_RECORDED))
    });
    if unrecorded {
        spans.push(Span::styled(
            format!("  {EVENTS_NOT_RECORDED}: only emergency, check and resume are taken"),
            Style::new().fg(AMBER).add_modifier(Modifier::BOLD),
        ));
    }
    if let Some(why) = &view.unreachable {
        spans.push(Span::styled(
            format!("  daemon not answering, retrying ({why})"),
            Style::new().fg(AMBER).add_modifier(Modifier::BOLD),
        ));
    }
    spans.push(Span::styled("  q quits", Style::new().fg(DARK)));
    Paragraph::new(Line::from(spans)).render(area, buf);
}

fn phase_line(status: &Status, area: Rect, buf: &mut Buffer) {
    let p = &status.phase;
    let timing = if p.elapsed > p.planned {
        format!("over planned time by {}", p.elapsed - p.planned)
    } else {
        format!("{} left", p.remaining)
    };
    let line = Line::from(vec![
        Span::raw(format!("phase {}/{}  ", p.index + 1, p.count)),
        Span::styled(
            p.title.clone(),
            Style::new().fg(AMBER).add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!("  {timing}")),
    ]);
    Paragraph::new(line).render(area, buf);
}

/// The one bright thing on screen, centred in its frame, wrapped rather than cut.
fn draw_prompt(status: &Status, area: Rect, buf: &mut Buffer) {
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(Style::new().fg(AMBER))
        .title(" PROMPT ");
    let inner = block.inner(area);
    let (width, rows) = (usize::from(inner.width), usize::from(inner.height));
    let text = match (&status.pending_prompt, &status.next) {
        (Some(prompt), _) => {
            let mut lines = wrap_fit(&prompt.to_uppercase(), width, rows);
            // A blank line first sets a short prompt in the middle of its frame rather than on
            // its edge.
            if lines.len() < rows {
                lines.insert(0, String::new());
            }
            Paragraph::new(lines.into_iter().map(Line::raw).collect::<Vec<_>>())
                .style(Style::new().fg(PROMPT).add_modifier(Modifier::BOLD))
        }
        (None, Some(next)) => Paragraph::new(
            wrap_fit(&format!("next in {}: {}", next.in_, next.what), width, rows)
                .into_iter()
                .map(Line::raw)
                .collect::<Vec<_>>(),
        ),
        (None, None) => Paragraph::new("nothing to do"),
    };
    text.block(block).alignment(Alignment::Center).render(area, buf);
}

/// `text` wrapped at words into at most `rows` lines of `width` columns; when it does not fit,
/// the last line ends in an ellipsis, so a cut is never mistaken for the whole prompt.
pub fn wrap_fit(text: &str, width: usize, rows: usize) -> Vec<String> {
    if width == 0 || rows == 0 {
        return Vec::new();
    }
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let fits = line.chars().count() + 1 + word.chars().count() <= width;
        if line.is_empty() {
            line = word.to_string();
        } else if fits {
            line = format!("{line} {word}");
        } else {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    let lines: Vec<String> = lines
        .into_iter()
        .flat_map(|l| {
            // A word longer than the whole width is broken where it must be.
            let chars: Vec<char> = l.chars().collect();
            chars
                .chunks(width)
                .map(|c| c.iter().collect())
                .collect::<Vec<String>>()
        })
        .collect();
    if lines.len() <= rows {
        return lines;
    }
    let mut kept = lines[..rows].to_vec();
    let rest = lines[rows - 1..].join(" ");
    kept[rows - 1] = crate::watch_arc::fit(&rest, width);
    if !kept[rows - 1].ends_with('…') {
        kept[rows - 1] = crate::watch_arc::fit(&format!("{rest} …"), width);
    }
    kept
}

fn draw_middle(view: &View, status: &Status, area: Rect, buf: &mut Buffer) {
    let [music, lights] =
        Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(area);
    let m = &status.music;
    let mut lines = vec![Line::from(vec![
        Span::raw("playlist "),
        Span::styled(
            m.playlist.clone().unwrap_or("silence".into()),
            Style::new().fg(AMBER),
        ),
    ])];
    let room = usize::from(music.width.saturating_sub(2 + 9));
    lines.push(Line::raw(format!(
        "track    {}",
        crate::watch_arc::fit(view.track.as_deref().unwrap_or("not known yet"), room)
    )));
    let mut level = format!("level    {:.1} dB", m.level_db);
    if status.volume_offset_db != 0.0 {
        level.push_str(&format!(" ({:+.1})", status.volume_offset_db));
    }
    for (on, word) in [(m.muted, " muted"), (m.paused, " paused")] {
        if on {
            level.push_str(word);
        }
    }
    lines.push(Line::raw(level));
    Paragraph::new(lines).block(frame(" music ")).render(music, buf);
    let mut all = view.reply.as_ref().map(zones).unwrap_or_default();
    let rows = usize::from(lights.height.saturating_sub(2));
    let (mut more, mut more_ok) = (0, true);
    if all.len() > rows {
        // A zone with a light down must stay in sight; the ones that are fine give way.
        all.sort_by_key(|(_, _, ok)| *ok);
        let kept = rows.saturating_sub(1);
        more = all.len() - kept;
        more_ok = all[kept..].iter().all(|(_, _, ok)| *ok);
        all.truncate(kept);
    }
    let mut zone_lines: Vec<Line> = all
        .into_iter()
        .map(|(zone, text, ok)| {
            Line::from(vec![
                Span::styled(format!("{zone:<10} "), Style::new().fg(AMBER)),
                Span::styled(text, Style::new().fg(if ok { GREY } else { AMBER })),
            ])
        })
        .collect();
    if more > 0 {
        let how = if more_ok { ", all lights up" } else { "" };
        zone_lines.push(Line::raw(format!("… {more} more zones{how}")));
    }
    Paragraph::new(zone_lines)
        .block(frame(" lights "))
        .render(lights, buf);
}

fn frame(title: &str) -> Block<'_> {
    Block::new()
        .borders(Borders::ALL)
        .border_style(Style::new().fg(DARK))
        .title(title)
}

/// Each zone with its look and how many of its lights answer, from the session's looks and the
/// lights report; `false` when a light is missing, to draw it in amber.
fn zones(reply: &StatusReply) -> Vec<(String, String, bool)> {
    let mut looks: BTreeMap<String, String> = BTreeMap::new();
    if let Some(s) = &reply.session {
        for (zone, look) in &s.lights {
            looks.insert(
                zone.clone(),
                format!("{:.0} % {} K", look.brightness, look.kelvin),
            );
        }
    }
    let lights = reply
        .lights
        .as_ref()
        .map(|r| r.lights.as_slice())
        .unwrap_or_default();
    for l in lights {
        looks.entry(l.zone.clone()).or_insert_with(|| "no look".into());
    }
    looks
        .into_iter()
        .map(|(zone, look)| {
            let here: Vec<_> = lights.iter().filter(|l| l.zone == zone).collect();
            if here.is_empty() {
                return (zone, look, true);
            }
            let up = here.iter().filter(|l| l.available == Some(true)).count();
            let text = format!("{look}, {up}/{} up", here.len());
            (zone, text, up == here.len())
        })
        .collect()
}

fn overrides_line(status: &Status, area: Rect, buf: &mut Buffer) {
    if status.overrides.is_empty() {
        return;
    }
    let mut active: Vec<_> = status.overrides.iter().collect();
    active.sort_by_key(|o| o.kind);
    let parts: Vec<String> = active
        .iter()
        .map(|o| {
            format!(
                "{} ({}) {}",
                o.kind.name(),
                o.target,
                status.session_time - o.since
            )
        })
        .collect();
    let line = Line::from(vec![
        Span::styled("override ", Style::new().fg(AMBER).add_modifier(Modifier::BOLD)),
        Span::styled(parts.join("; "), Style::new().fg(AMBER)),
    ]);
    Paragraph::new(line).render(area, buf);
}

fn draw_events(view: &View, area: Rect, buf: &mut Buffer) {
    let inner = area.height.saturating_sub(2) as usize;
    let skip = view.events.len().saturating_sub(inner);
    let lines: Vec<Line> = view
        .events
        .iter()
        .skip(skip)
        .map(|e| {
            // Cut at a word with an ellipsis, so that "(socket (ana))" never reads "(sock".
            let shown = crate::watch_arc::fit(e, usize::from(area.width.saturating_sub(2)));
            if crate::watch::stands_out(e) {
                Line::styled(
                    shown,
                    Style::new().fg(Color::LightRed).add_modifier(Modifier::BOLD),
                )
            } else {
                Line::raw(shown)
            }
        })
        .collect();
    Paragraph::new(lines).block(frame(" events ")).render(area, buf);
}

/// The buffer as text, one string per row with its trailing spaces trimmed; a wide symbol's
/// hidden neighbours are left out so that each row reads as the screen shows it.
pub fn text_lines(buf: &Buffer) -> Vec<String> {
    let width = usize::from(buf.area.width.max(1));
    buf.content
        .chunks(width)
        .map(|row| {
            let mut line = String::new();
            let mut hidden = 0;
            for cell in row {
                if hidden == 0 {
                    line.push_str(cell.symbol());
                }
                hidden = hidden.max(Span::raw(cell.symbol()).width()).saturating_sub(1);
            }
            line.trim_end().to_string()
        })
        .collect()
}

#[cfg(test)]
#[path = "watch_layout_tests.rs"]
mod tests;
