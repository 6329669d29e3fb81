//! The clinical prompt queue: what the scene asks the therapist to do (a blood-pressure check,
//! the lozenge spat out) stays in the queue, numbered, until the therapist acknowledges it,
//! and is reminded of again each `prompt_reminder` of timeline time it waits. The system's
//! own hints (a planned time passed) are not queued: they are `pending_prompt`.

use serde::{Deserialize, Serialize};

use crate::scene::{Asks, Mark};
use crate::time::Millis;

use super::action::Action;
use super::command::Source;
use super::core::Timeline;
use super::error::CommandError;
use super::event::EventKind;

/// A clinical prompt raised and not yet acknowledged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueuedPrompt {
    /// Its number in the session, from 1, never reused: what `setting ack N` names.
    pub number: u32,
    pub text: String,
    /// What it asks to be recorded, from the scene's `asks`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asks: Option<Asks>,
    /// Session time it was raised.
    pub raised: Millis,
    /// The phase it belongs to, when a mark jumped over that phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped_phase: Option<String>,
    /// Timeline time the next reminder is due: reminders stand still while the timeline does
    /// (a pause, an emergency), when the therapist has other things to do.
    pub remind_at: Millis,
    /// Reminders given so far.
    #[serde(default)]
    pub reminders: u32,
}

/// A phase a mark jumped over: never entered, its prompts queued all the same.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SkippedPhase {
    pub index: usize,
    pub id: String,
    pub title: String,
    /// The mark whose phase was entered instead.
    pub mark: Mark,
    /// Session time it was jumped over.
    pub at: Millis,
}

impl Timeline {
    /// Queues a clinical prompt and shows it.
    pub(super) fn raise(
        &mut self,
        text: String,
        asks: Option<Asks>,
        skipped_phase: Option<String>,
        out: &mut Vec<Action>,
    ) {
        self.state.prompts_numbered += 1;
        let number = self.state.prompts_numbered;
        self.state.prompts.push(QueuedPrompt {
            number,
            text: text.clone(),
            asks,
            raised: self.state.now,
            skipped_phase: skipped_phase.clone(),
            remind_at: self.state.timeline + self.policy.prompt_reminder,
            reminders: 0,
        });
        self.log(
            out,
            EventKind::Prompt {
                text: text.clone(),
                number: Some(number),
                asks,
                skipped_phase,
            },
        );
        out.push(Action::Prompt {
            text,
            number: Some(number),
        });
    }

    /// Where in the queue the prompt `number` is (the oldest when `None`), or why there is
    /// nothing to acknowledge.
    pub(super) fn find_prompt(&self, number: Option<u32>) -> Result<usize, CommandError> {
        let queue = &self.state.prompts;
        let waiting = || {
            let numbers: Vec<String> = queue.iter().map(|p| format!("#{}", p.number)).collect();
            if numbers.is_empty() {
                "none".to_string()
            } else {
                numbers.join(", ")
            }
        };
        match number {
            None if queue.is_empty() => Err(CommandError::NoPromptWaiting),
            None => Ok(0),
            Some(n) => match queue.iter().position(|p| p.number == n) {
                Some(i) => Ok(i),
                None if n >= 1 && n <= self.state.prompts_numbered => Err(CommandError::PromptAcknowledged {
                    number: n,
                    waiting: waiting(),
                }),
                None => Err(CommandError::NoSuchPrompt {
                    number: n,
                    waiting: waiting(),
                }),
            },
        }
    }

    /// Takes the prompt at `index` off the queue, recording who acknowledged it and, when it
    /// was by recording what it asked for, what that was. Its reminders end with it.
    pub(super) fn acknowledge_at(
        &mut self,
        index: usize,
        source: Source,
        answered_by: Option<Asks>,
        out: &mut Vec<Action>,
    ) {
        let prompt = self.state.prompts.remove(index);
        self.log(
            out,
            EventKind::PromptAcknowledged {
                number: prompt.number,
                text: prompt.text,
                raised: prompt.raised,
                source,
                answered_by,
            },
        );
    }

    /// Where in the queue the oldest prompt waiting for `asks` is.
    pub(super) fn oldest_asking(&self, asks: Asks) -> Option<usize> {
        self.state.prompts.iter().position(|p| p.asks == Some(asks))
    }

    /// Reminds the therapist of a prompt still waiting, and sets its next reminder.
    pub(super) fn remind(&mut self, number: u32, out: &mut Vec<Action>) {
        let next = self.state.timeline + self.policy.prompt_reminder;
        let Some(prompt) = self.state.prompts.iter_mut().find(|p| p.number == number) else {
            return;
        };
        prompt.reminders += 1;
        prompt.remind_at = next;
        let kind = EventKind::PromptReminder {
            number,
            text: prompt.text.clone(),
            raised: prompt.raised,
            reminders: prompt.reminders,
        };
        self.log(out, kind);
    }

    /// The phases between the current one and `index`, which a mark jumps over: each logged
    /// as skipped, its clinical prompts queued (a baseline blood pressure still has to be
    /// taken when the dose comes early).
    pub(super) fn skip_to(&mut self, index: usize, mark: Mark, source: &Source, out: &mut Vec<Action>) {
        for skipped in self.state.phase + 1..index {
            let phase = self.scene.phases[skipped].clone();
            self.state.skipped.push(SkippedPhase {
                index: skipped,
                id: phase.id.clone(),
                title: phase.title.clone(),
                mark,
                at: self.state.now,
            });
            self.log(
                out,
                EventKind::PhaseSkipped {
                    index: skipped,
                    id: phase.id.clone(),
                    title: phase.title.clone(),
                    reason: format!("{mark} marked"),
                    source: source.clone(),
                },
            );
            for cue in &phase.cues {
                if let Some(text) = &cue.prompt {
                    self.raise(text.clone(), cue.asks, Some(phase.id.clone()), out);
                }
            }
        }
    }
}
