//! The full-screen `setting watch` view drawn from what is known, with no I/O: state in, cells out.
//!
//! Meant for a dim room: amber and grey text on black, never a filled block or a bright
//! background; only the prompt, which the therapist must act on, is drawn bright.

use std::collections::{BTreeMap, VecDeque};

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use setting::protocol::StatusReply;
use setting::time::Millis;
use setting::timeline::Status;
use setting::timeline::plan::Plan;

pub(crate) const AMBER: Color = Color::Rgb(190, 130, 40);
pub(crate) const GREY: Color = Color::Rgb(120, 120, 120);
pub(crate) const DARK: Color = Color::Rgb(70, 70, 70);
pub(crate) const PROMPT: Color = Color::Rgb(255, 210, 90);
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
    let [header, arc, phase, prompt, middle, overrides, events] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(3),
        Constraint::Length(1),
        Constraint::Length(5),
        Constraint::Length(middle_height(view)),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(area);
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
    draw_arc(status, view.arc.as_ref(), arc, buf);
    phase_line(status, phase, buf);
    crate::watch_prompts::draw(status, prompt, buf);
    draw_middle(view, status, middle, buf);
    overrides_line(status, overrides, buf);
    draw_events(view, events, buf);
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
    spans.push(Span::styled("  a acknowledges  q quits", Style::new().fg(DARK)));
    Paragraph::new(Line::from(spans)).render(area, buf);
}

/// Three rows: phase titles over their segments, the bar, and a marker under now.
fn draw_arc(status: &Status, arc: Option<&Arc>, area: Rect, buf: &mut Buffer) {
    if area.width < 2 || area.height < 3 {
        return;
    }
    let width = area.width as usize;
    // Without a plan, each phase gets an equal share and now sits within the current one.
    let (bounds, now) = match arc.filter(|a| a.total.0 > 0) {
        Some(a) => {
            let col = |t: Millis| ((t.0 as f64 / a.total.0 as f64) * width as f64) as usize;
            let bounds: Vec<(usize, usize)> = a.phases.iter().map(|p| (col(p.1), col(p.2))).collect();
            (bounds, col(status.session_time))
        }
        None => {
            let count = status.phase.count.max(1);
            let bounds = (0..count)
                .map(|i| (i * width / count, (i + 1) * width / count))
                .collect();
            let within = if status.phase.planned.0 == 0 {
                0.0
            } else {
                (status.phase.elapsed.0 as f64 / status.phase.planned.0 as f64).min(1.0)
            };
            let now = ((status.phase.index as f64 + within) / count as f64 * width as f64) as usize;
            (bounds, now)
        }
    };
    let now = now.min(width - 1);
    let titles = arc.map(|a| a.phases.iter().map(|p| p.0.as_str()).collect::<Vec<_>>());
    for (i, &(start, end)) in bounds.iter().enumerate() {
        let (start, end) = (start.min(width), end.min(width));
        let current = i == status.phase.index;
        let style = if current {
            Style::new().fg(AMBER).add_modifier(Modifier::BOLD)
        } else {
            Style::new().fg(GREY)
        };
        let title = titles
            .as_ref()
            .and_then(|t| t.get(i).copied())
            .unwrap_or(if current { status.phase.title.as_str() } else { "" });
        let room = end.saturating_sub(start).saturating_sub(1);
        let shown: String = title.chars().take(room).collect();
        buf.set_string(area.x + start as u16 + 1, area.y, shown, style);
        for col in start..end {
            let (symbol, colour) = match col {
                c if c == start => ("│", DARK),
                c if c < now => ("━", AMBER),
                _ => ("─", if current { GREY } else { DARK }),
            };
            buf.set_string(area.x + col as u16, area.y + 1, symbol, Style::new().fg(colour));
        }
    }
    buf.set_string(area.x + now as u16, area.y + 2, "▲", Style::new().fg(AMBER));
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
    lines.push(Line::raw(format!(
        "track    {}",
        view.track.as_deref().unwrap_or("not known yet")
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
    let zone_lines: Vec<Line> = view
        .reply
        .as_ref()
        .map(zones)
        .unwrap_or_default()
        .into_iter()
        .map(|(zone, text, ok)| {
            Line::from(vec![
                Span::styled(format!("{zone:<10} "), Style::new().fg(AMBER)),
                Span::styled(text, Style::new().fg(if ok { GREY } else { AMBER })),
            ])
        })
        .collect();
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
        .map(|e| Line::raw(e.as_str()))
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
