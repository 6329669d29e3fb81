//! The pure room core beside [`crate::timeline`]: what the room decides that is not the
//! scene's arc. The session with its write-ahead log ([`RecordedSession`]: which decisions
//! are written before the room is told and which after, and what a refusing disk refuses),
//! the emergency with no session ([`IdleEmergency`]), who owns the lights ([`LightsOwner`]),
//! the heartbeat's chores as a deadline ([`Heartbeat`]: saving the session, retrying refused
//! logs), a technician's lights test as steps falling due ([`LightsTest`]), and a direct
//! emergency the daemon takes over from `setting emergency` ([`Handover`]). Like the timeline
//! it never sleeps, reads a clock or touches a device (a session taken back after a restart,
//! [`take_back`], is handed the state file's contents, the log and the wall clock):
//! it is handed the time and a way to reach the room, so the daemon's shell and the
//! simulator run it alike.

mod handover;
mod heartbeat;
mod idle;
mod lights_test;
mod recorded;
#[cfg(test)]
mod recorded_tests;
mod resume;

pub use handover::Handover;
pub use heartbeat::{Chores, HEARTBEAT, Heartbeat, Holding};
pub use idle::{IdleEmergency, IdleOrders, LightsOwner, lights_owner};
pub use lights_test::{LightsTest, TestOrder};
pub use recorded::{Outcome, RecordedSession, Refusal, Split, kept, split};
pub use resume::{Resumed, Saved, TakenBack, downtime, take_back};
