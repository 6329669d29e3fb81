//! The live view's prompt box: the clinical prompts waiting for the therapist, bright and
//! numbered, oldest first, one reminded of again flagged; below them, quiet, the system's hint
//! (a planned time passed) or what comes next.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use setting::timeline::Status;

use crate::watch_arc::fit;
use crate::watch_layout::{AMBER, DARK, GREY, PROMPT, wrap_fit};

/// Draws the box in `area` (its frame included).
pub fn draw(status: &Status, area: Rect, buf: &mut Buffer) {
    let waiting = &status.prompts;
    let title = if waiting.is_empty() {
        " PROMPTS ".to_string()
    } else {
        format!(
            " PROMPTS {} waiting · a acknowledges #{} ",
            waiting.len(),
            waiting[0].number
        )
    };
    let border = if waiting.is_empty() { DARK } else { AMBER };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(Style::new().fg(border))
        .title(title);
    let inner = block.inner(area);
    block.render(area, buf);
    let width = usize::from(inner.width);
    let rows = usize::from(inner.height);
    if rows == 0 || width == 0 {
        return;
    }
    let quiet = quiet_line(status);
    // The last row is the quiet line's when there is one; the prompts have the rest.
    let for_prompts = if quiet.is_some() { rows - 1 } else { rows };
    let mut lines: Vec<Line> = Vec::new();
    let shown = if waiting.len() > for_prompts {
        for_prompts.saturating_sub(1)
    } else {
        waiting.len()
    };
    // One prompt alone may take every row it has, wrapped at words.
    let wrapped = waiting.len() == 1 && for_prompts > 1;
    if let [p] = waiting.as_slice()
        && for_prompts > 1
    {
        let again = if p.reminders > 0 { "AGAIN " } else { "" };
        let waited = status.session_time.saturating_sub(p.raised);
        let text = format!("#{} {again}{}  ({waited} ago)", p.number, p.text);
        let style = Style::new().fg(PROMPT).add_modifier(Modifier::BOLD);
        lines.extend(
            wrap_fit(&text, width, for_prompts)
                .into_iter()
                .map(|l| Line::styled(l, style)),
        );
    }
    for p in waiting.iter().take(shown).filter(|_| !wrapped) {
        let again = if p.reminders > 0 { "AGAIN " } else { "" };
        let head = format!("#{} {again}", p.number);
        let waited = status.session_time.saturating_sub(p.raised);
        let tail = format!("  {waited} ago");
        let room = width.saturating_sub(head.chars().count() + tail.chars().count());
        lines.push(Line::from(vec![
            Span::styled(head, Style::new().fg(PROMPT).add_modifier(Modifier::BOLD)),
            Span::styled(
                fit(&p.text, room),
                Style::new().fg(PROMPT).add_modifier(Modifier::BOLD),
            ),
            Span::styled(tail, Style::new().fg(GREY)),
        ]));
    }
    if shown < waiting.len() {
        let more = format!("+{} more: `setting status` lists them", waiting.len() - shown);
        lines.push(Line::styled(fit(&more, width), Style::new().fg(AMBER)));
    }
    if let Some(quiet) = quiet {
        while lines.len() < rows - 1 {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(fit(&quiet, width), Style::new().fg(GREY)));
    }
    Paragraph::new(lines).render(inner, buf);
}

/// The system's hint, else what comes next; `None` when neither.
fn quiet_line(status: &Status) -> Option<String> {
    match (&status.pending_prompt, &status.next) {
        (Some(hint), _) => Some(format!("hint: {hint}")),
        (None, Some(next)) => Some(format!("next in {}: {}", next.in_, next.what)),
        (None, None) if status.prompts.is_empty() => Some("nothing to do".into()),
        (None, None) => None,
    }
}
