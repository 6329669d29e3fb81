//! The control protocol between `setting` and `settingd`: newline-delimited JSON over a Unix
//! socket. Every message either side sends is defined here, and both binaries use it.
//!
//! A request is one JSON object on one line: `{"id": 7, "op": "extend", "by": "10m"}`. The
//! optional `id` is echoed in the reply. Unknown fields are refused rather than ignored, so a
//! misspelt `zone` cannot silently widen a check to the whole room; so is a key said twice
//! (`{"op":"check","zone":"mat-1","zone":"room"}`), rather than the last one winning.

mod clinical;
mod codec;
mod lights;
mod lights_report;
mod log_entry;
mod reply;
mod request;

pub use clinical::{AnsweredPrompt, RecordedReply};
pub use codec::{MAX_LINE_BYTES, ProtocolError, decode_request, encode_line};
pub use lights::{
    KELVIN_RANGE, LightOrder, LightPace, LightsCalibrateReply, LightsSetReply, LightsTestReply, Pace,
    TestStep, check_raw_level, test_pattern,
};
pub use lights_report::{LightStatus, LightsReport, SIMULATED};
pub use log_entry::LogEntry;
pub use reply::{
    Answer, CommandReply, DaemonInfo, EmergencyReply, ErrorKind, IdleEmergencyReply, IdleResumeReply,
    PingReply, ReloadReply, Reply, ReplyError, ReplyLine, ReportReply, SessionSummary, StatusReply,
    WatchingReply,
};
pub use request::{Envelope, Op};
