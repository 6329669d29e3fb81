//! Vital signs and notes the therapist enters during a session (`setting vitals`, `setting
//! note`): what a reading may hold and the ranges a body can show ([`reading`]), and the
//! clinic's thresholds that make a reading stand out ([`thresholds`]). Pure: the daemon
//! checks with it, the CLI checks with it before sending, and the report reads its types.
//!
//! The software records and flags; it never judges. A flag only says which of the clinic's
//! own thresholds a value crossed, so the therapist's eye falls on it.

mod reading;
mod thresholds;

pub use reading::{
    DIASTOLIC, MAX_NOTE_CHARS, MAX_VITALS_TEXT_CHARS, Measure, PULSE, Problems, RawReading, Reading, SPO2,
    SYSTOLIC, ValidRange, VitalsProblem, check_note, parse_measurements, valid_ranges,
};
pub use thresholds::{Flag, Level, Thresholds};
