//! `setting`: the room controller for ketamine-assisted psychotherapy sessions.
//!
//! The layout follows the flow of a session, from the core up to the engine and the tools
//! over its records. No two modules depend on each other, directly or round a loop
//! (`module_cycles_tests` checks it on every `cargo test`):
//!
//! - [`scene`], [`playlist`], [`config`] and [`catalog`]: the files clinic staff and
//!   technicians write, parsed in two stages (raw serde structures, then validated types)
//!   with errors that name file, line and column ([`diagnostic`]). The config owns the
//!   validated room, lights and broker.
//! - [`timeline`]: the pure core. Given the time and an input it returns actions and its next
//!   deadline; it never sleeps, reads a clock or does I/O.
//! - [`room`]: the pure room core beside the timeline: the session with its write-ahead log
//!   (what is written before the room is told, what a refusing disk refuses), the emergency
//!   with no session, and who owns the lights.
//! - [`journal`]: the session's write-ahead log as logic: numbering, all-or-nothing writes,
//!   entries held in memory while the disk refuses them.
//! - [`protocol`]: every message between `setting` and `settingd`; [`control`]: the engine's
//!   handle, through which the socket server and the remote link send it requests.
//! - [`audio`] and [`lights`]: the adapters behind small traits; [`mqtt`]: the broker
//!   plumbing the lights and [`remote`] share (login, TLS, backoff, the demo's broker).
//! - [`remote`]: the same protocol over the clinic's MQTT broker (`setting --room`), the
//!   room's retained state, and Home Assistant discovery.
//! - [`buttons`]: panic buttons on the wall that speak MQTT, mapped to the therapist's
//!   commands and sent through the engine's handle as `setting` would send them.
//! - [`engine`]: the daemon's one place that meets the outside world: the clock, the control
//!   socket, the state file and event log, and the adapters.
//! - [`report`]: a session's story, rebuilt from its event log.
//! - [`sim`]: whole sessions of every scene in virtual time under random commands and faults
//!   (crashes, full disks, broker outages), with the safety invariants checked at every step.
//! - [`curation`]: the curators' checks on the media: decoding every file, phase coverage,
//!   loudness and the tracks therapists skipped.
//! - [`local_time`]: the clinic's time zone for reports, and durations as people write them.
//! - [`vitals`]: vital signs and notes entered during a session: their valid ranges and the
//!   clinic's thresholds that make a reading stand out.
//! - [`safe_file`] and [`strict_json`]: how the daemon opens its own files (regular files only,
//!   never through a link, with a size limit) and reads JSON (no key said twice).

pub mod audio;
pub mod buttons;
pub mod catalog;
pub mod config;
pub mod control;
pub mod curation;
pub mod diagnostic;
pub mod engine;
pub mod error_text;
pub mod journal;
pub mod lights;
pub mod local_time;
pub mod media_io;
pub mod mqtt;
pub mod playlist;
pub mod protocol;
pub mod remote;
pub mod report;
pub mod room;
pub mod safe_file;
pub mod scene;
pub mod sim;
pub mod strict_json;
pub mod time;
pub mod timeline;
pub mod vitals;

#[cfg(test)]
mod module_cycles_tests;
