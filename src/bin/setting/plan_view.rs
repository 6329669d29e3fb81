//! The planned timeline as text: the phases as a table, then every change in order under
//! the phase it happens in.

use std::fmt::Write;

use setting::scene::{PhaseEnd, Scene};
use setting::time::{Millis, format_duration};
use setting::timeline::plan::Plan;
use setting::timeline::{Action, MusicTarget};

// `write!` into a String cannot fail; the results below are ignored for that reason.

pub fn render(scene: &Scene, plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}): {} phases, {} in all, taking each therapist step at its planned time",
        plan.scene,
        scene.title,
        plan.phases.len(),
        plan.total
    );
    phases(plan, &mut out);
    if !plan.marks.is_empty() {
        let marks: Vec<String> = plan
            .marks
            .iter()
            .map(|(mark, at)| format!("{mark} at {at}"))
            .collect();
        let _ = writeln!(out, "\nmarks: {}", marks.join(", "));
    }
    timeline(plan, &mut out);
    out
}

fn phases(plan: &Plan, out: &mut String) {
    let width = plan
        .phases
        .iter()
        .map(|p| p.title.chars().count())
        .max()
        .unwrap_or(0)
        .max(5);
    let _ = writeln!(
        out,
        "\n  {:>2}  {:<width$}  {:>8}  {:>8}  {:>8}  moves on",
        "#", "phase", "start", "end", "length"
    );
    for (i, p) in plan.phases.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {:>2}  {:<width$}  {:>8}  {:>8}  {:>8}  {}",
            i + 1,
            p.title,
            p.start.to_string(),
            p.end.to_string(),
            (p.end - p.start).to_string(),
            ends(p.ends)
        );
    }
}

fn ends(end: PhaseEnd) -> &'static str {
    match end {
        PhaseEnd::Timer => "by timer",
        PhaseEnd::Therapist => "by the therapist",
        PhaseEnd::Prompt => "timer asks the therapist",
    }
}

fn timeline(plan: &Plan, out: &mut String) {
    let _ = writeln!(out, "\ntimeline");
    let mut next_phase = 0;
    let mut next_mark = 0;
    for planned in &plan.actions {
        // Prompts at the very moment a phase begins were raised by the phase before it (its
        // time had run out), so they stay under that phase's heading.
        let opens = |start: Millis| {
            start < planned.at || (start == planned.at && !matches!(planned.action, Action::Prompt { .. }))
        };
        while let Some(phase) = plan.phases.get(next_phase).filter(|p| opens(p.start)) {
            let _ = writeln!(
                out,
                "  {:>8}  == phase {}: {}",
                phase.start.to_string(),
                next_phase + 1,
                phase.title
            );
            next_phase += 1;
        }
        while let Some((mark, at)) = plan.marks.get(next_mark).filter(|(_, at)| opens(*at)) {
            let _ = writeln!(out, "  {:>8}  mark {mark}", at.to_string());
            next_mark += 1;
        }
        if let Some(text) = describe(&planned.action) {
            let _ = writeln!(out, "  {:>8}    {text}", planned.at.to_string());
        }
    }
}

fn describe(action: &Action) -> Option<String> {
    Some(match action {
        Action::Light { zone, look, fade, .. } => {
            format!(
                "light {zone}: {:.0} % {} K{}",
                look.brightness,
                look.kelvin,
                over(*fade)
            )
        }
        Action::Music(music) => format!("music: {}", music_text(music)),
        Action::Skip { crossfade, to } => match to {
            Some(to) => format!("skip to {to}{}", over(*crossfade)),
            None => format!("skip track{}", over(*crossfade)),
        },
        Action::Prompt {
            text,
            number: Some(_),
        } => format!("PROMPT: {text}"),
        Action::Prompt { text, number: None } => format!("hint: {text}"),
        Action::Finished => "session ends".into(),
        Action::Log(_) | Action::Persist => return None,
    })
}

fn music_text(m: &MusicTarget) -> String {
    let mut text = match &m.playlist {
        Some(playlist) => format!("{playlist} at {:.1} dB", m.level_db),
        None => "silence".into(),
    };
    if m.muted {
        text.push_str(", muted");
    }
    if m.paused {
        text.push_str(", paused");
    }
    text + &over(m.fade)
}

fn over(fade: Millis) -> String {
    if fade == Millis::ZERO {
        String::new()
    } else {
        format!(" over {}", format_duration(fade))
    }
}
