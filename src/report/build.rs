//! Rebuilding the story: one pass over the entries, pairing what starts with what ends it.

use crate::local_time::ClinicZone;
use crate::protocol::LogEntry;
use crate::time::Millis;
use crate::timeline::{Command, EventKind, OverrideKind, Source, Target};

use super::model::{
    AckRecord, CommandRecord, CueRecord, ErrorRecord, LookRecord, MarkRecord, MusicRecord, NoteRecord,
    OverrideRecord, PhaseRecord, PromptRecord, Report, ResumeRecord, SkippedRecord, Stamp, TimelineItem,
    TrackRecord, VitalsRecord,
};

/// Whether `entry`, told just after the cue entry `before` at the same session time, is the
/// prompt that cue raised, so that its line tells the cue too: a cue that prompts is logged as
/// the cue and then its prompt, and one line for the two is enough (the cue's looks and levels
/// are drawn, not told). A clinical prompt comes only from a cue (or a skipped phase, after a
/// `phase_skipped` entry); a hint, or any prompt of logs from before the queue, only when it
/// says the cue's label.
pub fn tells_the_cue(before: &EventKind, entry: &EventKind) -> bool {
    let EventKind::CueFired { label, .. } = before else {
        return false;
    };
    match entry {
        EventKind::Prompt { number: Some(_), .. } => true,
        EventKind::Prompt { text, .. } => text == label,
        _ => false,
    }
}

/// Whether an entry is a command whose effect is logged as an entry of its own, source
/// included (`mark` and `dose marked`): the report's story and `watch` tell the effect only.
pub fn told_by_its_effect(kind: &EventKind) -> bool {
    let command = match kind {
        EventKind::Command { command, .. } => command,
        // Older logs name the command only; the same ones tell their effect on their own.
        EventKind::LegacyCommand { command, .. } => {
            return matches!(
                command.as_str(),
                "next" | "mark" | "pause" | "check" | "emergency" | "resume" | "skip" | "end" | "stop"
            );
        }
        _ => return false,
    };
    // Every command whose effect is logged as its own entry, source included.
    match command {
        Command::Next
        | Command::Mark { .. }
        | Command::Ack { .. }
        | Command::Pause { .. }
        | Command::Check
        | Command::Emergency
        | Command::Resume { .. }
        | Command::Skip { .. }
        | Command::End
        | Command::Stop => true,
        Command::Hold
        | Command::Release
        | Command::Extend { .. }
        | Command::Mute
        | Command::Unmute
        | Command::Volume { .. }
        | Command::Light { .. } => false,
    }
}

impl Report {
    /// The story of the session the entries belong to. Entries of another session (two logs
    /// concatenated by hand) are counted and left out rather than mixed in.
    pub fn from_entries(entries: &[LogEntry]) -> Report {
        Report::from_entries_in(entries, None)
    }

    /// The story with every time also in the clinic's `zone`.
    pub fn from_entries_in(entries: &[LogEntry], zone: Option<&ClinicZone>) -> Report {
        let mut builder = Builder {
            zone: zone.cloned(),
            ..Builder::default()
        };
        builder.report.timezone = zone.map(|z| z.name().to_string());
        let session = entries
            .iter()
            .find(|e| matches!(e.event.kind, EventKind::SessionStarted { .. }))
            .or(entries.first())
            .map(|e| e.session.clone())
            .unwrap_or_default();
        builder.report.session = session.clone();
        for entry in entries {
            if entry.session == session {
                builder.add(entry);
            } else {
                builder.report.foreign_entries += 1;
            }
        }
        builder.finish()
    }
}

#[derive(Default)]
struct Builder {
    report: Report,
    /// The phase under way, not yet in `report.phases`.
    open_phase: Option<PhaseRecord>,
    /// Indexes into `report.overrides` still active.
    open_overrides: Vec<usize>,
    /// Index into `report.tracks` of the track playing.
    playing: Option<usize>,
    /// The clinic's zone, for the stamps' local times.
    zone: Option<ClinicZone>,
}

impl Builder {
    /// The clinical prompt numbered `number`, the latest of that number (a log is one session,
    /// whose numbers are never reused).
    fn clinical_prompt(&mut self, number: u32) -> Option<&mut PromptRecord> {
        self.report
            .prompts
            .iter_mut()
            .rev()
            .find(|p| p.number == Some(number))
    }

    fn add(&mut self, entry: &LogEntry) {
        let at = Stamp {
            at: entry.event.at,
            timeline: entry.event.timeline,
            wall: entry.wall.clone(),
            local: self.zone.as_ref().and_then(|z| z.local(&entry.wall)),
        };
        self.report.length = self.report.length.max(at.at);
        let shown = match &entry.event.kind {
            EventKind::Track { .. } | EventKind::LookSet { .. } | EventKind::MusicSet { .. } => false,
            kind => !told_by_its_effect(kind),
        };
        if shown {
            if let Some(last) = self.report.timeline.last()
                && last.at.at == at.at
                && tells_the_cue(&last.event, &entry.event.kind)
            {
                self.report.timeline.pop();
            }
            self.report.timeline.push(TimelineItem {
                at: at.clone(),
                event: entry.event.kind.clone(),
            });
        }
        match &entry.event.kind {
            EventKind::SessionStarted { scene, .. } => {
                self.report.scene = scene.clone();
                self.report.started = Some(at);
            }
            EventKind::SessionResumed { downtime, .. } => {
                self.report.resumes.push(ResumeRecord {
                    at,
                    downtime: *downtime,
                });
            }
            EventKind::PhaseEntered {
                index,
                id,
                title,
                reason,
                source,
            } => {
                self.close_phase(&at, reason, source);
                self.open_phase = Some(PhaseRecord {
                    index: *index,
                    id: id.clone(),
                    title: title.clone(),
                    start: at,
                    end: None,
                    duration: Millis::ZERO,
                    stood_still: Millis::ZERO,
                    entered_because: reason.clone(),
                    entered_by: source.clone(),
                    left_because: None,
                    left_by: None,
                });
            }
            EventKind::MarkSet { mark, source } => {
                self.report.marks.push(MarkRecord {
                    mark: *mark,
                    at,
                    source: source.clone(),
                });
            }
            EventKind::CueFired { phase, label, .. } => {
                self.report.cues.push(CueRecord {
                    at,
                    phase: phase.clone(),
                    label: label.clone(),
                });
            }
            EventKind::Prompt {
                text,
                number,
                skipped_phase,
                ..
            } => self.report.prompts.push(PromptRecord {
                at,
                text: text.clone(),
                number: *number,
                skipped_phase: skipped_phase.clone(),
                reminders: 0,
                acknowledged: None,
            }),
            EventKind::PromptReminder { number, .. } => {
                if let Some(p) = self.clinical_prompt(*number) {
                    p.reminders += 1;
                }
            }
            EventKind::PromptAcknowledged {
                number,
                source,
                answered_by,
                ..
            } => {
                if let Some(p) = self.clinical_prompt(*number) {
                    p.acknowledged = Some(AckRecord {
                        waited: at.at.saturating_sub(p.at.at),
                        at,
                        source: source.clone(),
                        answered_by: *answered_by,
                    });
                }
            }
            EventKind::PhaseSkipped {
                index,
                id,
                title,
                reason,
                source,
            } => self.report.skipped_phases.push(SkippedRecord {
                at,
                index: *index,
                id: id.clone(),
                title: title.clone(),
                reason: reason.clone(),
                source: source.clone(),
            }),
            EventKind::OverrideStarted { kind, target, source } => {
                // A repeated emergency re-asserts the one under way rather than starting another.
                let overrides = &self.report.overrides;
                if self
                    .open_overrides
                    .iter()
                    .any(|&i| overrides[i].kind == *kind && &overrides[i].target == target)
                {
                    return;
                }
                self.open_overrides.push(self.report.overrides.len());
                self.report.overrides.push(OverrideRecord {
                    kind: *kind,
                    target: target.clone(),
                    start: at,
                    end: None,
                    duration: Millis::ZERO,
                    started_by: source.clone(),
                    ended_by: None,
                });
            }
            EventKind::OverrideEnded { kind, target, source } => {
                self.close_override(*kind, target, &at, source)
            }
            EventKind::Command {
                command,
                detail,
                source,
                ..
            } => {
                self.report.commands.push(CommandRecord {
                    at,
                    command: command.clone(),
                    detail: detail.clone(),
                    source: source.clone(),
                });
            }
            EventKind::Track { playlist, path } => {
                self.stop_track(at.at);
                self.playing = Some(self.report.tracks.len());
                self.report.tracks.push(TrackRecord {
                    at,
                    playlist: playlist.clone(),
                    path: path.clone(),
                    played: Millis::ZERO,
                    skipped_by: None,
                });
            }
            EventKind::TrackSkipped {
                playlist,
                path,
                source,
                ..
            } => self.skip_track(playlist, path, at, source),
            EventKind::Error { message } => self.report.errors.push(ErrorRecord {
                at,
                message: message.clone(),
            }),
            kind @ EventKind::LogGap { .. } => self.report.errors.push(ErrorRecord {
                at,
                message: super::describe::describe_event(kind),
            }),
            EventKind::DaemonStopped | EventKind::Reloaded { .. } | EventKind::LegacyCommand { .. } => {}
            EventKind::DeviceRestored { message } => self.report.restored.push(ErrorRecord {
                at,
                message: message.clone(),
            }),
            EventKind::SessionEnded { reason, source } => {
                self.close_phase(&at, reason, source);
                self.stop_track(at.at);
                self.report.end_reason = Some(reason.clone());
                self.report.ended = Some(at);
            }
            EventKind::LookSet {
                zone,
                brightness,
                kelvin,
                fade,
            } => self.report.looks.push(LookRecord {
                at: at.at,
                zone: zone.clone(),
                brightness: *brightness,
                kelvin: *kelvin,
                fade: *fade,
            }),
            EventKind::MusicSet {
                playlist,
                level_db,
                muted,
                paused,
                fade,
            } => self.report.music.push(MusicRecord {
                at: at.at,
                playlist: playlist.clone(),
                level_db: *level_db,
                muted: *muted,
                paused: *paused,
                fade: *fade,
            }),
            EventKind::Vitals {
                reading,
                flags,
                source,
                ..
            } => self.report.vitals.push(VitalsRecord {
                at,
                reading: reading.clone(),
                flags: flags.clone(),
                source: source.clone(),
            }),
            EventKind::Note { text, source } => self.report.notes.push(NoteRecord {
                at,
                text: text.clone(),
                source: source.clone(),
            }),
        }
    }

    fn close_phase(&mut self, at: &Stamp, reason: &str, source: &Source) {
        if let Some(mut phase) = self.open_phase.take() {
            phase.duration = at.at - phase.start.at;
            phase.stood_still = phase.duration - (at.timeline - phase.start.timeline);
            phase.end = Some(at.clone());
            phase.left_because = Some(reason.to_string());
            phase.left_by = Some(source.clone());
            self.report.phases.push(phase);
        }
    }

    /// Pairs an end with the oldest open override of the same kind and target; failing that,
    /// of the same kind, so that an end logged with a wider target still closes its start.
    fn close_override(&mut self, kind: OverrideKind, target: &Target, at: &Stamp, source: &Source) {
        let overrides = &self.report.overrides;
        let found = self
            .open_overrides
            .iter()
            .position(|&i| overrides[i].kind == kind && &overrides[i].target == target)
            .or_else(|| {
                self.open_overrides
                    .iter()
                    .position(|&i| overrides[i].kind == kind)
            });
        let Some(pos) = found else { return };
        let record = &mut self.report.overrides[self.open_overrides.remove(pos)];
        record.duration = at.at - record.start.at;
        record.end = Some(at.clone());
        record.ended_by = Some(source.clone());
    }

    fn stop_track(&mut self, now: Millis) {
        if let Some(i) = self.playing.take() {
            let track = &mut self.report.tracks[i];
            track.played = now - track.at.at;
        }
    }

    /// Flags the track that was playing (or, if the log names another, that one). A skip of a
    /// track the log never saw start still gets a record: the curators need to see it.
    fn skip_track(&mut self, playlist: &Option<String>, path: &Option<String>, at: Stamp, source: &Source) {
        let now = at.at;
        let index = match path {
            Some(path) => self.report.tracks.iter().rposition(|t| &t.path == path),
            None => self.playing,
        };
        match index {
            Some(i) => {
                if self.playing == Some(i) {
                    self.stop_track(now);
                }
                self.report.tracks[i].skipped_by = Some(source.clone());
            }
            None => {
                let Some(path) = path else { return };
                self.report.tracks.push(TrackRecord {
                    at,
                    playlist: playlist.clone().unwrap_or_default(),
                    path: path.clone(),
                    played: Millis::ZERO,
                    skipped_by: Some(source.clone()),
                });
            }
        }
    }

    fn finish(mut self) -> Report {
        let end = self.report.length;
        if let Some(mut phase) = self.open_phase.take() {
            phase.duration = end - phase.start.at;
            self.report.phases.push(phase);
        }
        for &i in &self.open_overrides {
            let record = &mut self.report.overrides[i];
            record.duration = end - record.start.at;
        }
        self.stop_track(end);
        self.report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::Mark;
    use crate::timeline::Event;

    const SESSION: &str = "20250101-090000-sublingual";

    fn cli() -> Source {
        Source {
            via: crate::timeline::Via::Cli,
            who: Some("ana".into()),
        }
    }

    /// An entry at `at` minutes session time and `timeline` minutes timeline time.
    fn entry(at: u64, timeline: u64, kind: EventKind) -> LogEntry {
        LogEntry {
            seq: 0,
            wall: format!("2025-01-01T09:{:02}:00.000Z", at % 60),
            session: SESSION.into(),
            event: Event {
                at: Millis::from_mins(at),
                timeline: Millis::from_mins(timeline),
                kind,
            },
        }
    }

    fn phase(index: usize, id: &str, reason: &str, source: Source) -> EventKind {
        EventKind::PhaseEntered {
            index,
            id: id.into(),
            title: id.to_uppercase(),
            reason: reason.into(),
            source,
        }
    }

    fn session_log() -> Vec<LogEntry> {
        vec![
            entry(
                0,
                0,
                EventKind::SessionStarted {
                    scene: "sublingual".into(),
                    session: SESSION.into(),
                },
            ),
            entry(0, 0, phase(0, "arrival", "session start", cli())),
            entry(
                0,
                0,
                EventKind::Track {
                    playlist: "arrival".into(),
                    path: "a.flac".into(),
                },
            ),
            entry(15, 15, phase(1, "dosing", "dose marked", cli())),
            entry(
                15,
                15,
                EventKind::MarkSet {
                    mark: Mark::Dose,
                    source: cli(),
                },
            ),
            entry(
                20,
                20,
                EventKind::Track {
                    playlist: "dosing".into(),
                    path: "b.flac".into(),
                },
            ),
            entry(
                22,
                22,
                EventKind::TrackSkipped {
                    playlist: None,
                    path: None,
                    grounding: false,
                    source: cli(),
                },
            ),
            entry(
                22,
                22,
                EventKind::Track {
                    playlist: "dosing".into(),
                    path: "c.flac".into(),
                },
            ),
            entry(
                25,
                25,
                EventKind::OverrideStarted {
                    kind: OverrideKind::Pause,
                    target: Target::Room,
                    source: cli(),
                },
            ),
            entry(
                30,
                25,
                EventKind::OverrideEnded {
                    kind: OverrideKind::Pause,
                    target: Target::Room,
                    source: cli(),
                },
            ),
            entry(
                31,
                26,
                EventKind::OverrideStarted {
                    kind: OverrideKind::Check,
                    target: Target::Zone("mat-1".into()),
                    source: cli(),
                },
            ),
            entry(
                35,
                30,
                EventKind::Prompt {
                    text: "Blood pressure check".into(),
                    number: None,
                    asks: None,
                    skipped_phase: None,
                },
            ),
            entry(
                35,
                30,
                EventKind::CueFired {
                    phase: None,
                    label: "bp".into(),
                    prompted: false,
                },
            ),
            entry(40, 35, phase(2, "onset", "planned time reached", Source::timer())),
            entry(
                41,
                36,
                EventKind::Error {
                    message: "track c.flac failed".into(),
                },
            ),
        ]
    }

    #[test]
    fn phases_record_how_they_were_left_and_time_standing_still() {
        let report = Report::from_entries(&session_log());
        assert_eq!(report.scene, "sublingual");
        assert_eq!(report.session, SESSION);
        let ids: Vec<&str> = report.phases.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["arrival", "dosing", "onset"]);

        let dosing = &report.phases[1];
        assert_eq!(dosing.duration, Millis::from_mins(25));
        assert_eq!(
            dosing.stood_still,
            Millis::from_mins(5),
            "the pause stopped the timeline"
        );
        assert_eq!(dosing.entered_because, "dose marked");
        assert_eq!(dosing.left_because.as_deref(), Some("planned time reached"));
        assert_eq!(dosing.left_by, Some(Source::timer()));

        let onset = &report.phases[2];
        assert_eq!(onset.end, None);
        assert_eq!(
            onset.duration,
            Millis::from_mins(1),
            "open phase runs to the last entry"
        );
        assert!(!report.is_finished());
        assert_eq!(report.length, Millis::from_mins(41));
    }

    #[test]
    fn overrides_pair_starts_with_ends_and_stay_open_when_unended() {
        let report = Report::from_entries(&session_log());
        assert_eq!(report.overrides.len(), 2);
        let pause = &report.overrides[0];
        assert_eq!(
            (pause.kind, pause.duration),
            (OverrideKind::Pause, Millis::from_mins(5))
        );
        assert_eq!(pause.ended_by, Some(cli()));
        let check = &report.overrides[1];
        assert_eq!(check.target, Target::Zone("mat-1".into()));
        assert_eq!((check.end.clone(), check.duration), (None, Millis::from_mins(10)));
    }

    #[test]
    fn an_end_with_another_target_still_closes_the_same_kind() {
        let log = vec![
            entry(
                0,
                0,
                EventKind::SessionStarted {
                    scene: "group".into(),
                    session: SESSION.into(),
                },
            ),
            entry(
                1,
                1,
                EventKind::OverrideStarted {
                    kind: OverrideKind::Check,
                    target: Target::Zone("mat-2".into()),
                    source: cli(),
                },
            ),
            entry(
                3,
                3,
                EventKind::OverrideEnded {
                    kind: OverrideKind::Check,
                    target: Target::Room,
                    source: cli(),
                },
            ),
        ];
        let report = Report::from_entries(&log);
        assert_eq!(report.overrides[0].duration, Millis::from_mins(2));
        assert!(report.overrides[0].end.is_some());
    }

    #[test]
    fn tracks_know_how_long_they_played_and_who_skipped_them() {
        let report = Report::from_entries(&session_log());
        let played: Vec<(&str, Millis, bool)> = report
            .tracks
            .iter()
            .map(|t| (t.path.as_str(), t.played, t.skipped_by.is_some()))
            .collect();
        assert_eq!(
            played,
            [
                ("a.flac", Millis::from_mins(20), false),
                ("b.flac", Millis::from_mins(2), true),
                ("c.flac", Millis::from_mins(19), false),
            ]
        );
        assert_eq!(report.skipped_tracks().count(), 1);
    }

    #[test]
    fn marks_prompts_cues_errors_are_kept_in_order() {
        let report = Report::from_entries(&session_log());
        assert_eq!(report.marks.len(), 1);
        assert_eq!(report.marks[0].at.timeline, Millis::from_mins(15));
        assert_eq!(report.prompts[0].text, "Blood pressure check");
        assert_eq!(report.cues[0].label, "bp");
        assert_eq!(report.errors[0].message, "track c.flac failed");
    }

    #[test]
    fn the_end_closes_the_phase_and_records_the_reason() {
        let mut log = session_log();
        log.push(entry(
            50,
            45,
            EventKind::SessionEnded {
                reason: "stopped by the therapist".into(),
                source: cli(),
            },
        ));
        let report = Report::from_entries(&log);
        assert!(report.is_finished());
        assert_eq!(report.end_reason.as_deref(), Some("stopped by the therapist"));
        let onset = report.phases.last().unwrap();
        assert_eq!(onset.left_because.as_deref(), Some("stopped by the therapist"));
        assert_eq!(onset.duration, Millis::from_mins(10));
    }

    #[test]
    fn a_resume_records_the_downtime() {
        let mut log = session_log();
        log.push(entry(
            45,
            40,
            EventKind::SessionResumed {
                downtime: Millis::from_mins(2),
                replayed: 0,
                torn: 0,
            },
        ));
        let report = Report::from_entries(&log);
        assert_eq!(report.resumes[0].downtime, Millis::from_mins(2));
    }

    #[test]
    fn entries_of_another_session_are_left_out() {
        let mut log = session_log();
        let mut other = entry(
            50,
            50,
            EventKind::Error {
                message: "elsewhere".into(),
            },
        );
        other.session = "other".into();
        log.push(other);
        let report = Report::from_entries(&log);
        assert_eq!(report.foreign_entries, 1);
        assert_eq!(report.errors.len(), 1);
    }

    #[test]
    fn a_repeated_emergency_is_one_override() {
        let start = || EventKind::OverrideStarted {
            kind: OverrideKind::Emergency,
            target: Target::Room,
            source: cli(),
        };
        let log = vec![
            entry(
                0,
                0,
                EventKind::SessionStarted {
                    scene: "iv".into(),
                    session: SESSION.into(),
                },
            ),
            entry(1, 1, start()),
            entry(2, 1, start()),
            entry(
                4,
                1,
                EventKind::OverrideEnded {
                    kind: OverrideKind::Emergency,
                    target: Target::Room,
                    source: cli(),
                },
            ),
        ];
        let report = Report::from_entries(&log);
        assert_eq!(report.overrides.len(), 1);
        assert_eq!(report.overrides[0].duration, Millis::from_mins(3));
    }

    #[test]
    fn the_timeline_leaves_out_tracks_and_commands_shown_by_their_effect() {
        let mut log = session_log();
        let command = |command: Command| EventKind::Command {
            command,
            target: Target::Room,
            detail: String::new(),
            source: cli(),
        };
        log.push(entry(42, 37, command(Command::Check)));
        log.push(entry(42, 37, command(Command::Extend { by: Millis(1) })));
        let report = Report::from_entries(&log);
        assert!(
            report
                .timeline
                .iter()
                .all(|i| !matches!(i.event, EventKind::Track { .. }))
        );
        let commands: Vec<&EventKind> = report
            .timeline
            .iter()
            .map(|i| &i.event)
            .filter(|e| matches!(e, EventKind::Command { .. }))
            .collect();
        assert_eq!(commands, [&command(Command::Extend { by: Millis(1) })]);
    }

    #[test]
    fn a_cue_that_only_prompts_is_told_once() {
        let log = vec![
            entry(
                0,
                0,
                EventKind::SessionStarted {
                    scene: "sublingual".into(),
                    session: SESSION.into(),
                },
            ),
            entry(
                7,
                7,
                EventKind::CueFired {
                    phase: Some("dosing".into()),
                    label: "Spit".into(),
                    prompted: false,
                },
            ),
            entry(7, 7, EventKind::hint("Spit")),
            entry(
                8,
                8,
                EventKind::CueFired {
                    phase: None,
                    label: "lights down".into(),
                    prompted: false,
                },
            ),
            // A labelled cue's clinical prompt says more than its label: its line tells both.
            entry(
                9,
                9,
                EventKind::CueFired {
                    phase: Some("dosing".into()),
                    label: "Spit out the lozenge".into(),
                    prompted: false,
                },
            ),
            entry(
                9,
                9,
                EventKind::Prompt {
                    text: "Seven minutes since the dose".into(),
                    number: Some(2),
                    asks: None,
                    skipped_phase: None,
                },
            ),
            // A hint that happens to come at a cue's time is not that cue's.
            entry(
                10,
                10,
                EventKind::CueFired {
                    phase: None,
                    label: "warmer".into(),
                    prompted: false,
                },
            ),
            entry(10, 10, EventKind::hint("The planned 10m has passed")),
        ];
        let report = Report::from_entries(&log);
        let kinds: Vec<&EventKind> = report.timeline.iter().skip(1).map(|i| &i.event).collect();
        assert_eq!(
            kinds,
            [
                &EventKind::hint("Spit"),
                &EventKind::CueFired {
                    phase: None,
                    label: "lights down".into(),
                    prompted: false,
                },
                &EventKind::Prompt {
                    text: "Seven minutes since the dose".into(),
                    number: Some(2),
                    asks: None,
                    skipped_phase: None,
                },
                &EventKind::CueFired {
                    phase: None,
                    label: "warmer".into(),
                    prompted: false,
                },
                &EventKind::hint("The planned 10m has passed"),
            ]
        );
        assert_eq!(report.cues.len(), 4, "the cues are still listed as fired");
    }

    #[test]
    fn an_empty_log_is_an_empty_report() {
        let report = Report::from_entries(&[]);
        assert!(report.phases.is_empty());
        assert_eq!(report.length, Millis::ZERO);
    }

    #[test]
    fn levels_are_collected_apart_from_the_story() {
        let start = EventKind::SessionStarted {
            scene: "sublingual".into(),
            session: SESSION.into(),
        };
        let log = [
            entry(0, 0, start),
            entry(
                1,
                1,
                EventKind::LookSet {
                    zone: "ceiling".into(),
                    brightness: 40.0,
                    kelvin: 2700,
                    fade: Millis::from_mins(2),
                },
            ),
            entry(
                1,
                1,
                EventKind::MusicSet {
                    playlist: Some("arrival".into()),
                    level_db: -12.0,
                    muted: false,
                    paused: false,
                    fade: Millis::from_mins(1),
                },
            ),
        ];
        let report = Report::from_entries(&log);
        assert_eq!(report.looks.len(), 1);
        assert_eq!(
            (
                report.looks[0].zone.as_str(),
                report.looks[0].brightness,
                report.looks[0].kelvin
            ),
            ("ceiling", 40.0, 2700)
        );
        assert_eq!(report.music.len(), 1);
        assert_eq!(report.music[0].playlist.as_deref(), Some("arrival"));
        assert!(
            report
                .timeline
                .iter()
                .all(|i| !matches!(i.event, EventKind::LookSet { .. } | EventKind::MusicSet { .. })),
            "levels are drawn, not told"
        );
    }

    #[test]
    fn clinical_prompts_record_who_acknowledged_them_and_when() {
        let raised = |n: u32, text: &str, skipped: Option<&str>| EventKind::Prompt {
            text: text.into(),
            number: Some(n),
            asks: None,
            skipped_phase: skipped.map(String::from),
        };
        let report = Report::from_entries(&[
            entry(
                0,
                0,
                EventKind::SessionStarted {
                    scene: "sublingual".into(),
                    session: SESSION.into(),
                },
            ),
            entry(
                3,
                3,
                EventKind::PhaseSkipped {
                    index: 1,
                    id: "intention".into(),
                    title: "Intention".into(),
                    reason: "dose marked".into(),
                    source: cli(),
                },
            ),
            entry(3, 3, raised(1, "Baseline blood pressure", Some("intention"))),
            entry(10, 10, raised(2, "Spit out the lozenge", None)),
            entry(
                13,
                13,
                EventKind::PromptReminder {
                    number: 1,
                    text: "Baseline blood pressure".into(),
                    raised: Millis::from_mins(3),
                    reminders: 1,
                },
            ),
            entry(
                14,
                14,
                EventKind::PromptAcknowledged {
                    number: 1,
                    text: "Baseline blood pressure".into(),
                    raised: Millis::from_mins(3),
                    source: cli(),
                    answered_by: None,
                },
            ),
            entry(15, 15, EventKind::hint("The planned 10:00 has passed")),
        ]);
        assert_eq!(report.prompts.len(), 3);
        let first = &report.prompts[0];
        assert_eq!(first.reminders, 1);
        let ack = first.acknowledged.as_ref().expect("acknowledged");
        assert_eq!(
            (ack.at.at, ack.waited),
            (Millis::from_mins(14), Millis::from_mins(11))
        );
        assert_eq!(ack.source, cli());
        assert_eq!(first.skipped_phase.as_deref(), Some("intention"));
        assert!(report.prompts[1].acknowledged.is_none());
        assert_eq!(report.prompts[2].number, None);
        assert_eq!(report.skipped_phases.len(), 1);
        let text = crate::report::render_text(&report);
        assert!(
            text.contains("acknowledged at 14:00 by cli (ana) after 11:00"),
            "{text}"
        );
        assert!(
            text.contains("#2      10:00  Spit out the lozenge\n        NOT ACKNOWLEDGED"),
            "{text}"
        );
        assert!(
            text.contains("phase 2 Intention skipped at 3:00: dose marked"),
            "{text}"
        );
    }

    #[test]
    fn a_prompt_a_reading_acknowledged_says_so_in_every_telling() {
        let reading = crate::vitals::Reading {
            systolic: Some(128),
            diastolic: Some(82),
            pulse: Some(72),
            ..Default::default()
        };
        let acknowledged = EventKind::PromptAcknowledged {
            number: 1,
            text: "Baseline blood pressure".into(),
            raised: Millis::from_mins(3),
            source: cli(),
            answered_by: Some(crate::scene::Asks::Vitals),
        };
        let log = [
            entry(
                0,
                0,
                EventKind::SessionStarted {
                    scene: "sublingual".into(),
                    session: SESSION.into(),
                },
            ),
            entry(
                3,
                3,
                EventKind::Prompt {
                    text: "Baseline blood pressure".into(),
                    number: Some(1),
                    asks: Some(crate::scene::Asks::Vitals),
                    skipped_phase: None,
                },
            ),
            entry(
                5,
                5,
                EventKind::Vitals {
                    reading,
                    flags: Vec::new(),
                    source: cli(),
                    answers: Some(1),
                },
            ),
            entry(5, 5, acknowledged.clone()),
        ];
        let report = Report::from_entries(&log);
        let ack = report.prompts[0].acknowledged.as_ref().expect("acknowledged");
        assert_eq!(ack.answered_by, Some(crate::scene::Asks::Vitals));
        assert_eq!(ack.by(), "vitals from cli (ana)");
        assert_eq!(report.vitals.len(), 1);
        let text = crate::report::render_text(&report);
        assert!(
            text.contains("acknowledged at 5:00 by vitals from cli (ana) after 2:00"),
            "{text}"
        );
        assert_eq!(
            crate::report::describe_event(&acknowledged),
            "prompt #1 acknowledged by vitals (cli (ana)): Baseline blood pressure"
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(
            json["prompts"][0]["acknowledged"]["answered_by"], "vitals",
            "{json}"
        );
    }
}
