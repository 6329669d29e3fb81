//! The `[session]` section: how a session treats the therapist; for now how long a clinical
//! prompt may wait unacknowledged before it is reminded of again.

use super::raw::RawSession;
use crate::diagnostic::Document;
use crate::time::{Millis, format_duration};
use crate::timeline::default_prompt_reminder;
use crate::timeline::limits::PROMPT_REMINDER;

pub fn prompt_reminder(doc: &mut Document<'_>, raw: &RawSession) -> Option<Millis> {
    let Some(value) = &raw.prompt_reminder else {
        return Some(default_prompt_reminder());
    };
    let d = doc.duration(value)?;
    if !PROMPT_REMINDER.contains(&d) {
        doc.error_at(
            value,
            format!(
                "[session] prompt_reminder of {} is out of range; expected between {} and {}",
                value.get_ref(),
                format_duration(*PROMPT_REMINDER.start()),
                format_duration(*PROMPT_REMINDER.end())
            ),
        );
        return None;
    }
    Some(d)
}
