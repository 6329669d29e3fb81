//! The therapist's commands: each checks everything first and only then changes the state,
//! so a refused command changes nothing.

use crate::scene::Mark;
use crate::time::{Millis, format_duration};

use super::action::Action;
use super::command::{Command, Request, Source, Target};
use super::core::Timeline;
use super::error::CommandError;
use super::event::{EventKind, OverrideKind};
use super::state::Override;

/// Light nudges glide rather than jump.
const NUDGE_FADE: Millis = Millis(3000);

impl Timeline {
    pub(super) fn apply(&mut self, request: Request, out: &mut Vec<Action>) -> Result<(), CommandError> {
        if self.state.finished {
            return Err(CommandError::Finished);
        }
        let Request {
            command,
            target,
            source,
        } = request;
        self.check_target(&command, &target)?;
        // The entry a recovery replays: the command as asked, before anything moves out of it.
        let logged = EventKind::Command {
            detail: describe(&command, &target),
            command: command.clone(),
            target: target.clone(),
            source: source.clone(),
        };
        match command {
            Command::Mark { mark } => self.mark(mark, &source, &logged, out)?,
            Command::Ack { number } => {
                let index = self.find_prompt(number)?;
                self.log_command(&logged, out);
                self.acknowledge_at(index, source, None, out);
            }
            Command::Next => {
                let next = self.state.phase + 1;
                if next >= self.scene.phases.len() {
                    return Err(CommandError::LastPhase {
                        phase: self.scene.phases[self.state.phase].id.clone(),
                    });
                }
                self.log_command(&logged, out);
                self.enter_phase(next, "therapist moved on", source, out);
            }
            Command::Hold => {
                if self.state.held {
                    return Err(CommandError::AlreadyHeld);
                }
                self.state.held = true;
                self.log_command(&logged, out);
            }
            Command::Release => {
                if !self.state.held {
                    return Err(CommandError::NotHeld);
                }
                self.state.held = false;
                self.log_command(&logged, out);
            }
            Command::Extend { by } => {
                if by == Millis::ZERO {
                    return Err(CommandError::ZeroExtension);
                }
                self.state.extension += by;
                // The prompts re-arm for the new planned and longest times still ahead.
                if self.planned_end() > self.state.timeline {
                    self.state.prompted_planned = false;
                    self.state.pending_prompt = None;
                }
                if self.max_end().is_some_and(|m| m > self.state.timeline) {
                    self.state.prompted_max = false;
                }
                self.log_command(&logged, out);
            }
            Command::Pause { walk_light } => {
                self.refuse_if_active(OverrideKind::Pause, &Target::Room)?;
                self.log_command(&logged, out);
                self.begin_override(OverrideKind::Pause, Target::Room, walk_light, source, out);
            }
            Command::Resume { all, only } => self.resume(all, only, &target, &logged, source, out)?,
            Command::Check => {
                self.refuse_if_active(OverrideKind::Check, &target)?;
                self.log_command(&logged, out);
                self.begin_override(OverrideKind::Check, target, false, source, out);
            }
            Command::Emergency => {
                // Never refused: a repeated emergency re-asserts the emergency looks.
                self.log_command(&logged, out);
                self.begin_override(OverrideKind::Emergency, target, false, source, out);
            }
            Command::Mute => {
                if self.state.muted {
                    return Err(CommandError::AlreadyMuted);
                }
                self.state.muted = true;
                self.log_command(&logged, out);
                self.sync_music(self.policy.mute_fade, false, out);
            }
            Command::Unmute => {
                if !self.state.muted {
                    return Err(CommandError::NotMuted);
                }
                self.state.muted = false;
                self.log_command(&logged, out);
                self.sync_music(self.policy.mute_fade, false, out);
            }
            Command::Skip { grounding } => {
                let to = if grounding {
                    let track = self.scene.grounding_track.clone();
                    Some(track.ok_or(CommandError::NoGroundingTrack)?)
                } else {
                    None
                };
                let Some(playlist) = self.state.scene_music.playlist.clone() else {
                    return Err(CommandError::NothingToSkip);
                };
                let track = self
                    .state
                    .current_track
                    .as_mut()
                    .filter(|t| t.playlist == playlist);
                let path = track.as_ref().map(|t| t.path.clone());
                // One flag per play: a second skip before the next track has started (`skip`,
                // then `skip --grounding` during the cross-fade) is the same track, and is
                // logged again only when it upgrades the flag to a grounding skip.
                let earlier = track.and_then(|t| {
                    let earlier = t.skipped;
                    t.skipped = Some(grounding || earlier == Some(true));
                    earlier
                });
                let flag = match earlier {
                    None => true,
                    Some(was_grounding) => grounding && !was_grounding,
                };
                if flag {
                    self.log(
                        out,
                        EventKind::TrackSkipped {
                            playlist: Some(playlist),
                            path,
                            grounding,
                            source: source.clone(),
                        },
                    );
                }
                self.log_command(&logged, out);
                out.push(Action::Skip {
                    crossfade: self.policy.skip_crossfade,
                    to,
                });
            }
            Command::Volume { delta_db } => {
                let limit = self.policy.max_volume_step_db;
                if !delta_db.is_finite() || delta_db.abs() > limit {
                    return Err(CommandError::VolumeStepTooLarge {
                        requested: delta_db,
                        limit,
                    });
                }
                self.state.volume_offset_db =
                    self.clamp_volume_offset(self.state.volume_offset_db + delta_db);
                self.log_command(&logged, out);
                self.sync_music(self.policy.volume_ramp, false, out);
            }
            Command::Light {
                brightness_delta,
                kelvin_delta,
            } => {
                let (brightness_limit, kelvin_limit) =
                    (self.policy.max_light_step_percent, self.policy.max_kelvin_step);
                if !brightness_delta.is_finite()
                    || brightness_delta.abs() > brightness_limit
                    || kelvin_delta.unsigned_abs() > kelvin_limit.unsigned_abs()
                {
                    return Err(CommandError::LightStepTooLarge {
                        brightness: brightness_delta,
                        kelvin: kelvin_delta,
                        brightness_limit,
                        kelvin_limit,
                    });
                }
                for zone in self.all_zones().into_iter().filter(|z| target.covers(z)) {
                    let n = self.state.light_nudges.entry(zone).or_default();
                    n.brightness = (n.brightness + brightness_delta).clamp(-100.0, 100.0);
                    n.kelvin = n.kelvin.saturating_add(kelvin_delta).clamp(-5000, 5000);
                }
                self.log_command(&logged, out);
                self.refresh_zones(&target, NUDGE_FADE, false, out);
            }
            Command::End => {
                let closing = self.scene.closing_phase;
                if self.state.phase >= closing {
                    return Err(CommandError::AlreadyClosing {
                        phase: self.scene.phases[self.state.phase].id.clone(),
                    });
                }
                self.log_command(&logged, out);
                self.enter_phase(closing, "therapist ended the journey", source, out);
            }
            Command::Stop => {
                self.log_command(&logged, out);
                self.finish("stopped by the therapist", source, out);
            }
        }
        Ok(())
    }

    fn check_target(&self, command: &Command, target: &Target) -> Result<(), CommandError> {
        let Target::Zone(zone) = target else { return Ok(()) };
        let zoned = matches!(
            command,
            Command::Check | Command::Emergency | Command::Resume { .. } | Command::Light { .. }
        );
        if !zoned {
            return Err(CommandError::RoomOnly {
                command: command.name(),
            });
        }
        let zones = self.all_zones();
        if !zones.contains(zone) {
            return Err(CommandError::UnknownZone {
                zone: zone.clone(),
                known: zones.join(", "),
            });
        }
        Ok(())
    }

    fn mark(
        &mut self,
        mark: Mark,
        source: &Source,
        logged: &EventKind,
        out: &mut Vec<Action>,
    ) -> Result<(), CommandError> {
        if mark == Mark::Booster {
            if !self.state.marks.contains_key(&Mark::Dose) && !self.state.marks.contains_key(&Mark::Infusion)
            {
                return Err(CommandError::BoosterBeforeDose);
            }
            let now = self.state.timeline;
            self.state.marks.insert(Mark::Booster, now);
            // What follows runs from the booster: the phase timer and its prompts start over.
            self.state.phase_anchor = now;
            self.state.extension = Millis::ZERO;
            self.state.prompted_planned = false;
            self.state.prompted_max = false;
            self.log_command(logged, out);
            self.log(
                out,
                EventKind::MarkSet {
                    mark,
                    source: source.clone(),
                },
            );
            return Ok(());
        }
        if let Some(at) = self.state.marks.get(&mark) {
            return Err(CommandError::AlreadyMarked {
                mark: mark.name(),
                at: at.to_string(),
            });
        }
        let Some(index) = self.scene.phases.iter().position(|p| p.sets_mark == Some(mark)) else {
            return Err(CommandError::MarkNotInScene(mark));
        };
        self.log_command(logged, out);
        if index > self.state.phase {
            self.skip_to(index, mark, source, out);
            self.enter_phase(index, &format!("{mark} marked"), source.clone(), out);
        } else {
            self.state.marks.insert(mark, self.state.timeline);
            self.log(
                out,
                EventKind::MarkSet {
                    mark,
                    source: source.clone(),
                },
            );
        }
        Ok(())
    }

    fn refuse_if_active(&self, kind: OverrideKind, target: &Target) -> Result<(), CommandError> {
        if self
            .state
            .overrides
            .iter()
            .any(|o| o.kind == kind && o.target == *target)
        {
            return Err(CommandError::AlreadyActive(kind.name()));
        }
        Ok(())
    }

    fn begin_override(
        &mut self,
        kind: OverrideKind,
        target: Target,
        walk: bool,
        source: Source,
        out: &mut Vec<Action>,
    ) {
        let repeated = self
            .state
            .overrides
            .iter()
            .any(|o| o.kind == kind && o.target == target);
        if !repeated {
            self.state.overrides.push(Override {
                kind,
                target: target.clone(),
                since: self.state.now,
                walk_light: walk,
            });
        }
        self.log(
            out,
            EventKind::OverrideStarted {
                kind,
                target: target.clone(),
                source,
            },
        );
        let urgent = kind == OverrideKind::Emergency;
        let (music_fade, light_fade) = match kind {
            OverrideKind::Emergency => (self.policy.emergency_music_fade, self.policy.emergency.fade),
            OverrideKind::Check => (self.policy.check.fade, self.policy.check.fade),
            OverrideKind::Pause => (self.policy.pause_fade, self.policy.walk.fade),
        };
        // An emergency is sent even when nothing seems to change: the adapters may have
        // lost what they were told, and this command must never do nothing.
        self.refresh_zones(&target, light_fade, urgent, out);
        if target == Target::Room {
            self.sync_music(music_fade, urgent, out);
        }
    }

    fn resume(
        &mut self,
        all: bool,
        only: Option<OverrideKind>,
        target: &Target,
        logged: &EventKind,
        source: Source,
        out: &mut Vec<Action>,
    ) -> Result<(), CommandError> {
        // With no zone, the most urgent override anywhere; with a zone, only that zone's own.
        let matches = |o: &Override| {
            only.is_none_or(|kind| o.kind == kind)
                && match target {
                    Target::Room => true,
                    Target::Zone(_) => o.target == *target,
                }
        };
        let mut chosen: Vec<Override> = self
            .state
            .overrides
            .iter()
            .filter(|o| matches(o))
            .cloned()
            .collect();
        chosen.sort_by_key(|o| o.kind);
        if !all {
            chosen.truncate(1);
        }
        if chosen.is_empty() {
            let kind = only.map_or(String::new(), |k| format!(" {}", k.name()));
            let hint = match target {
                Target::Room => kind,
                Target::Zone(z) => format!("{kind} in zone {z}"),
            };
            return Err(CommandError::NothingToResume(hint));
        }
        self.log_command(logged, out);
        for ended in &chosen {
            self.state
                .overrides
                .retain(|o| !(o.kind == ended.kind && o.target == ended.target));
            self.log(
                out,
                EventKind::OverrideEnded {
                    kind: ended.kind,
                    target: ended.target.clone(),
                    source: source.clone(),
                },
            );
        }
        // The scene comes back slowly, as it would now be, cues that fired underneath included.
        for ended in &chosen {
            self.refresh_zones(&ended.target, self.policy.resume_fade, false, out);
        }
        self.sync_music(self.policy.resume_fade, false, out);
        Ok(())
    }

    fn log_command(&self, logged: &EventKind, out: &mut Vec<Action>) {
        self.log(out, logged.clone());
    }
}

fn describe(command: &Command, target: &Target) -> String {
    let what = match command {
        Command::Mark { mark } => mark.name().to_string(),
        Command::Ack { number: Some(n) } => format!("#{n}"),
        Command::Ack { number: None } => "oldest".into(),
        Command::Extend { by } => format!("by {}", format_duration(*by)),
        Command::Pause { walk_light: true } => "with walking light".into(),
        Command::Resume {
            all: true,
            only: None,
        } => "all overrides".into(),
        Command::Resume {
            all: _,
            only: Some(kind),
        } => format!("{} only", kind.name()),
        Command::Volume { delta_db } => format!("{delta_db:+} dB"),
        Command::Light {
            brightness_delta,
            kelvin_delta,
        } => format!("brightness {brightness_delta:+} %, {kelvin_delta:+} K"),
        _ => String::new(),
    };
    match (what.is_empty(), target) {
        (true, Target::Room) => String::new(),
        (true, t) => t.to_string(),
        (false, Target::Room) => what,
        (false, t) => format!("{what}, {t}"),
    }
}
