//! `setting`: the room controller for ketamine-assisted psychotherapy sessions.
//!
//! The layout follows the flow of a session:
//!
//! - [`scene`], [`playlist`], [`config`] and [`catalog`]: the files clinic staff and
//!   technicians write, parsed in two stages (raw serde structures, then validated types)
//!   with errors that name file, line and column ([`diagnostic`]).
//! - [`timeline`]: the pure core. Given the time and an input it returns actions and its next
//!   deadline; it never sleeps, reads a clock or does I/O.
//! - [`engine`]: the daemon's one place that meets the outside world: the clock, the control
//!   socket, the state file and event log, and the adapters.
//! - [`journal`]: the session's write-ahead log as logic: numbering, all-or-nothing writes,
//!   entries held in memory while the disk refuses them.
//! - [`protocol`]: every message between `setting` and `settingd`.
//! - [`remote`]: the same protocol over the clinic's MQTT broker (`setting --room`), the
//!   room's retained state, and Home Assistant discovery.
//! - [`audio`] and [`lights`]: the adapters behind small traits.
//! - [`report`]: a session's story, rebuilt from its event log.
//! - [`sim`]: whole sessions of every scene in virtual time under random commands and faults
//!   (crashes, full disks, broker outages), with the safety invariants checked at every step.
//! - [`curation`]: the curators' checks on the media: decoding every file, phase coverage and
//!   loudness.

pub mod audio;
pub mod catalog;
pub mod config;
pub mod curation;
pub mod diagnostic;
pub mod engine;
pub mod error_text;
pub mod journal;
pub mod lights;
pub mod playlist;
pub mod protocol;
pub mod remote;
pub mod report;
pub mod scene;
pub mod sim;
pub mod time;
pub mod timeline;
