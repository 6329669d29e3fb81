//! Requests: one variant per thing a client can ask of the daemon.

use serde::{Deserialize, Serialize};

use crate::scene::Mark;
use crate::time::{Millis, parse_duration};
use crate::timeline::{Command, OverrideKind, Request, Source, Target};
use crate::vitals::RawReading;

/// A request with its optional correlation id.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope {
    pub id: Option<u64>,
    pub op: Op,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Op {
    /// Begin a session with the named scene (a file stem under the scenes directory).
    Start {
        scene: String,
    },
    Mark {
        mark: Mark,
    },
    Next,
    Hold,
    Release,
    /// `by` in the human form: `10m`.
    Extend {
        by: String,
    },
    Pause {
        #[serde(default)]
        walk: bool,
    },
    Resume {
        #[serde(default)]
        all: bool,
        #[serde(default)]
        zone: Option<String>,
        /// Only overrides of this kind (`pause`, `check`, `emergency`): what a pause switch
        /// sends, so that switching it off can never end an emergency.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind: Option<OverrideKind>,
    },
    Check {
        #[serde(default)]
        zone: Option<String>,
    },
    Emergency {
        #[serde(default)]
        zone: Option<String>,
    },
    Mute,
    Unmute,
    Skip {
        /// To the scene's grounding track first, then on with the playlist.
        #[serde(default)]
        grounding: bool,
    },
    Volume {
        delta_db: f32,
    },
    /// The volume offset to reach, in dB from the scene's level, for controls that set a
    /// value (Home Assistant's slider). It moves at most the policy's largest step per
    /// request, like `volume`, so a dragged slider can never make the music jump.
    VolumeTo {
        db: f32,
    },
    Light {
        #[serde(default)]
        zone: Option<String>,
        #[serde(default)]
        brightness: f32,
        #[serde(default)]
        kelvin: i32,
    },
    End,
    Stop,
    Status,
    /// Stream the event log live; the reply is followed by one `LogEntry` per line.
    Watch,
    /// The whole event log of a session (the current or latest one when `None`).
    Report {
        #[serde(default)]
        session: Option<String>,
    },
    /// Sessions the daemon has logs for.
    Sessions,
    Ping,
    /// Read the config, scenes and playlists again; refused, changing nothing, if any has an error.
    Reload,
    /// Each light's availability, desired and reported state: the adapter's `LightsReport`.
    Lights,
    /// Technicians: move a zone or one light to a look, outside any session. `fade` in the
    /// human form (`30s`), at once when left out.
    LightsSet {
        target: String,
        brightness: f32,
        /// Left out: each light keeps its colour temperature (off needs none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kelvin: Option<u16>,
        #[serde(default)]
        fade: Option<String>,
    },
    /// Technicians: a gentle test pattern on a zone or light, or on every zone when `None`.
    LightsTest {
        #[serde(default)]
        target: Option<String>,
    },
    /// Technicians: one light to a raw device level (a fraction 0-1 of its range), bypassing
    /// its curve and calibrated minimum.
    LightsCalibrate {
        light: String,
        level: f32,
    },
    /// Vital signs for the running session's record: a blood pressure (both numbers, mmHg),
    /// a pulse (bpm), an SpO2 (%), any of them, and a short remark. Checked against the
    /// valid ranges ([`crate::vitals`]) and refused whole if any value is outside.
    Vitals {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        systolic: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        diastolic: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pulse: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        spo2: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
    /// A note for the running session's record.
    Note {
        text: String,
    },
}

impl Op {
    /// `vitals` for a reading as the CLI parsed it.
    pub fn vitals(raw: RawReading) -> Op {
        Op::Vitals {
            systolic: raw.systolic,
            diastolic: raw.diastolic,
            pulse: raw.pulse,
            spo2: raw.spo2,
            text: raw.text,
        }
    }

    /// The reading a `vitals` op carries, not yet checked; `None` for any other op.
    pub fn raw_reading(&self) -> Option<RawReading> {
        match self {
            Op::Vitals {
                systolic,
                diastolic,
                pulse,
                spo2,
                text,
            } => Some(RawReading {
                systolic: *systolic,
                diastolic: *diastolic,
                pulse: *pulse,
                spo2: *spo2,
                text: text.clone(),
            }),
            _ => None,
        }
    }
}

impl Op {
    /// The therapist command this op carries, if it is one. `Err` names a bad field value.
    pub fn to_command(&self, source: Source) -> Result<Option<Request>, String> {
        let zone = |z: &Option<String>| match z {
            Some(z) => Target::Zone(z.clone()),
            None => Target::Room,
        };
        let (command, target) = match self {
            Op::Mark { mark } => (Command::Mark { mark: *mark }, Target::Room),
            Op::Next => (Command::Next, Target::Room),
            Op::Hold => (Command::Hold, Target::Room),
            Op::Release => (Command::Release, Target::Room),
            Op::Extend { by } => {
                let by: Millis = parse_duration(by).map_err(|e| format!("field `by`: {e}"))?;
                (Command::Extend { by }, Target::Room)
            }
            Op::Pause { walk } => (Command::Pause { walk_light: *walk }, Target::Room),
            Op::Resume { all, zone: z, kind } => (
                Command::Resume {
                    all: *all,
                    only: *kind,
                },
                zone(z),
            ),
            Op::Check { zone: z } => (Command::Check, zone(z)),
            Op::Emergency { zone: z } => (Command::Emergency, zone(z)),
            Op::Mute => (Command::Mute, Target::Room),
            Op::Unmute => (Command::Unmute, Target::Room),
            Op::Skip { grounding } => (
                Command::Skip {
                    grounding: *grounding,
                },
                Target::Room,
            ),
            Op::Volume { delta_db } => {
                if !delta_db.is_finite() {
                    return Err("field `delta_db`: expected a finite number of dB".into());
                }
                (Command::Volume { delta_db: *delta_db }, Target::Room)
            }
            Op::Light {
                zone: z,
                brightness,
                kelvin,
            } => {
                if !brightness.is_finite() {
                    return Err("field `brightness`: expected a finite number of percent".into());
                }
                (
                    Command::Light {
                        brightness_delta: *brightness,
                        kelvin_delta: *kelvin,
                    },
                    zone(z),
                )
            }
            Op::End => (Command::End, Target::Room),
            Op::Stop => (Command::Stop, Target::Room),
            Op::Start { .. }
            | Op::VolumeTo { .. }
            | Op::Status
            | Op::Watch
            | Op::Report { .. }
            | Op::Sessions
            | Op::Ping
            | Op::Reload
            | Op::Lights
            | Op::LightsSet { .. }
            | Op::LightsTest { .. }
            | Op::LightsCalibrate { .. }
            | Op::Vitals { .. }
            | Op::Note { .. } => return Ok(None),
        };
        Ok(Some(Request {
            command,
            target,
            source,
        }))
    }
}
