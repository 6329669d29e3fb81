//! One readable line per event, shared by the report's timeline and `setting watch`, so a
//! therapist reads the same words live and afterwards.

use crate::local_time::human_duration;
use crate::timeline::{EventKind, Source};

/// `cli (ana)`, `timer`, ...
pub fn describe_source(source: &Source) -> String {
    match &source.who {
        Some(who) => format!("{} ({who})", source.via),
        None => source.via.to_string(),
    }
}

pub fn describe_event(kind: &EventKind) -> String {
    match kind {
        EventKind::SessionStarted { scene, session } => {
            format!("session {session} started with scene {scene}")
        }
        EventKind::SessionResumed { downtime, .. } => {
            format!(
                "session resumed after the daemon was down for {}",
                human_duration(*downtime)
            )
        }
        EventKind::PhaseEntered {
            index,
            title,
            reason,
            source,
            ..
        } => {
            format!(
                "phase {}: {title} ({reason}; {})",
                index + 1,
                describe_source(source)
            )
        }
        EventKind::MarkSet { mark, source } => format!("{mark} marked ({})", describe_source(source)),
        EventKind::CueFired {
            phase: Some(phase),
            label,
            ..
        } => format!("cue {label} (phase {phase})"),
        EventKind::CueFired {
            phase: None, label, ..
        } => format!("cue {label}"),
        EventKind::Prompt {
            text,
            number: Some(n),
            skipped_phase,
            ..
        } => {
            let skipped = skipped_phase
                .as_ref()
                .map_or(String::new(), |p| format!(" (from skipped phase {p})"));
            format!("PROMPT #{n}: {text}{skipped}")
        }
        EventKind::Prompt {
            text, number: None, ..
        } => format!("hint: {text}"),
        EventKind::PromptReminder {
            number, text, raised, ..
        } => format!("REMINDER #{number}, waiting since {raised}: {text}"),
        EventKind::PromptAcknowledged {
            number,
            text,
            source,
            answered_by,
            ..
        } => {
            let by = answered_by.map_or(String::new(), |asks| format!(" by {}", asks.name()));
            format!(
                "prompt #{number} acknowledged{by} ({}): {text}",
                describe_source(source)
            )
        }
        EventKind::PhaseSkipped {
            index,
            title,
            reason,
            source,
            ..
        } => format!(
            "phase {} skipped: {title} ({reason}; {})",
            index + 1,
            describe_source(source)
        ),
        EventKind::OverrideStarted { kind, target, source } => {
            format!("{} on, {target} ({})", kind.name(), describe_source(source))
        }
        EventKind::OverrideEnded { kind, target, source } => {
            format!("{} off, {target} ({})", kind.name(), describe_source(source))
        }
        EventKind::Command {
            command,
            detail,
            source,
            ..
        } if detail.is_empty() => {
            format!("{} ({})", command.name(), describe_source(source))
        }
        EventKind::Command {
            command,
            detail,
            source,
            ..
        } => {
            format!("{} {detail} ({})", command.name(), describe_source(source))
        }
        EventKind::LegacyCommand {
            command,
            detail,
            source,
        } => format!("{command} {detail} ({})", describe_source(source)).replace("  (", " ("),
        EventKind::DaemonStopped => "the daemon stopped; the session resumes when it starts again".into(),
        // The detail says what came of it (`reloaded; ...`, `reload refused: ...`).
        EventKind::Reloaded { detail, source } => format!("{detail} ({})", describe_source(source)),
        EventKind::LogGap {
            lasted_ms,
            held,
            reason,
            ..
        } => format!(
            "the event log could not be written for {} ({reason}); {held} entries were held in memory and written late",
            human_duration(crate::time::Millis(*lasted_ms))
        ),
        EventKind::Track { playlist, path } => format!("track {path} [{playlist}]"),
        EventKind::TrackSkipped {
            path,
            grounding,
            source,
            ..
        } => {
            let track = path.as_deref().unwrap_or("the track");
            let to = if *grounding {
                " for the grounding track"
            } else {
                ""
            };
            format!("skipped {track}{to} ({})", describe_source(source))
        }
        EventKind::Error { message } => format!("ERROR: {message}"),
        EventKind::DeviceRestored { message } => format!("restored: {message}"),
        EventKind::SessionEnded { reason, source } => {
            format!("session ended: {reason} ({})", describe_source(source))
        }
        EventKind::LookSet {
            zone,
            brightness,
            kelvin,
            fade,
        } => format!(
            "lights {zone} to {brightness:.0} % {kelvin} K over {}",
            human_duration(*fade)
        ),
        EventKind::MusicSet {
            playlist,
            level_db,
            muted,
            paused,
            fade,
        } => {
            let state = match (playlist, *paused, *muted) {
                (None, ..) => "silent".to_string(),
                (Some(_), true, _) => "paused".to_string(),
                (Some(_), false, true) => "muted".to_string(),
                (Some(playlist), false, false) => format!("{playlist} at {level_db:.1} dB"),
            };
            format!("music {state} over {}", human_duration(*fade))
        }
        EventKind::Vitals {
            reading,
            flags,
            source,
            ..
        } => {
            let mut line = format!("vitals {}", reading.summary());
            if !flags.is_empty() {
                let flags: Vec<String> = flags.iter().map(ToString::to_string).collect();
                line.push_str(&format!(" [{}]", flags.join("; ")));
            }
            if let Some(text) = &reading.text {
                line.push_str(&format!(": \"{text}\""));
            }
            format!("{line} ({})", describe_source(source))
        }
        EventKind::Note { text, source } => format!("note: {text} ({})", describe_source(source)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Millis;
    use crate::timeline::{OverrideKind, Target};

    #[test]
    fn lines_name_what_where_and_who() {
        let ana = Source {
            via: crate::timeline::Via::Cli,
            who: Some("ana".into()),
        };
        let check = EventKind::OverrideStarted {
            kind: OverrideKind::Check,
            target: Target::Zone("mat-1".into()),
            source: ana,
        };
        assert_eq!(describe_event(&check), "check on, zone mat-1 (cli (ana))");
        let resumed = EventKind::SessionResumed {
            downtime: Millis::from_secs(90),
            replayed: 0,
            torn: 0,
        };
        assert_eq!(
            describe_event(&resumed),
            "session resumed after the daemon was down for 1 min 30 s"
        );
        let entered = EventKind::PhaseEntered {
            index: 2,
            id: "onset".into(),
            title: "Onset".into(),
            reason: "planned time reached".into(),
            source: Source::timer(),
        };
        assert_eq!(
            describe_event(&entered),
            "phase 3: Onset (planned time reached; timer)"
        );
        let reloaded = EventKind::Reloaded {
            detail: "reload refused: 1 problem; nothing changed".into(),
            source: Source {
                via: crate::timeline::Via::Signal,
                who: Some("SIGHUP".into()),
            },
        };
        assert_eq!(
            describe_event(&reloaded),
            "reload refused: 1 problem; nothing changed (signal (SIGHUP))"
        );
    }
}
