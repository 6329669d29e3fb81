//! Answering control requests: each op becomes a change to the session (through the core) or
//! a read of it, and one reply. Refusals and malformed requests change nothing.

use crate::protocol::{
    ErrorKind, IdleEmergencyReply, IdleResumeReply, Op, PingReply, Reply, ReportReply, StatusReply,
};
use crate::room::{IdleEmergency, IdleOrders, Refusal};
use crate::timeline::Source;

use super::control::ControlRequest;
use super::history::HistoryError;
use super::session::{Engine, StartError};
use crate::error_text::error_chain;

pub const NO_SESSION: &str = "no session is running; start one with `setting start SCENE`";

impl Engine {
    pub fn handle(&mut self, request: ControlRequest) {
        let ControlRequest {
            id,
            op,
            source,
            reply,
        } = request;
        tracing::debug!(?op, ?source, "request");
        let answer = self.answer(id, op, source);
        // The client may have gone; what it asked for is done and recorded all the same.
        let _ = reply.send(answer);
        self.retire_if_finished();
    }

    fn answer(&mut self, id: Option<u64>, op: Op, source: Source) -> Reply {
        match op {
            Op::Ping => Reply::ok(id, PingReply { pong: true }),
            Op::Reload => self.reload(id, source),
            Op::Status => {
                let session = self.status();
                Reply::ok(
                    id,
                    StatusReply {
                        daemon: self.daemon_info(),
                        session,
                        lights: Some(self.lights.report()),
                    },
                )
            }
            Op::Start { scene } => match self.start(&scene, source) {
                Ok(()) => Reply::ok(id, self.status()),
                Err(e @ StartError::NotRecorded(_)) => {
                    Reply::error(id, ErrorKind::NotRecorded, e.to_string())
                }
                Err(e) => Reply::error(id, ErrorKind::Refused, e.to_string()),
            },
            Op::Report { session } => self.report(id, session),
            Op::Sessions => match self.history.summaries() {
                Ok(list) => Reply::ok(id, list),
                Err(e) => Reply::error(id, ErrorKind::Internal, error_chain(&e)),
            },
            // The connection streams `watch` itself; it only reaches here if that changes.
            Op::Watch => Reply::error(
                id,
                ErrorKind::BadRequest,
                "`watch` must be the only request on its connection",
            ),
            op @ (Op::Lights | Op::LightsSet { .. } | Op::LightsTest { .. } | Op::LightsCalibrate { .. }) => {
                self.lights_request(id, op)
            }
            Op::VolumeTo { db } => self.volume_to(id, db, source),
            op @ (Op::Vitals { .. } | Op::Note { .. }) => self.record_clinical(id, &op, source),
            op => self.command(id, &op, source),
        }
    }

    /// `volume_to` as the `volume` step towards it, no larger than the policy allows.
    fn volume_to(&mut self, id: Option<u64>, db: f32, source: Source) -> Reply {
        if !db.is_finite() {
            return Reply::error(
                id,
                ErrorKind::BadRequest,
                "field `db`: expected a finite number of dB",
            );
        }
        let Some(current) = self.status().map(|s| s.volume_offset_db) else {
            return Reply::error(id, ErrorKind::NoSession, NO_SESSION);
        };
        let step = self.options.config.policy.max_volume_step_db;
        let delta_db = (db - current).clamp(-step, step);
        self.command(id, &Op::Volume { delta_db }, source)
    }

    fn command(&mut self, id: Option<u64>, op: &Op, source: Source) -> Reply {
        let request = match op.to_command(source) {
            Ok(Some(request)) => request,
            Ok(None) => {
                return Reply::error(
                    id,
                    ErrorKind::Internal,
                    format!("{op:?} is not a session command"),
                );
            }
            Err(message) => return Reply::error(id, ErrorKind::BadRequest, message),
        };
        // The tick that brings the session up to now may end it (a last phase on a timer),
        // and then there is no session to command: an emergency still lights the room.
        let now = self.advance();
        let (Some(now), Some(_)) = (now, self.session.as_ref()) else {
            return match op {
                Op::Emergency { zone } => self.emergency_without_session(id, zone.as_deref()),
                // Only a resume that could mean the emergency: a pause switch's `kind: pause`,
                // or another zone's, must never end it.
                Op::Resume { kind, zone, .. }
                    if self
                        .warnings
                        .idle_emergency
                        .as_ref()
                        .is_some_and(|held| held.ended_by(*kind, zone.as_deref())) =>
                {
                    self.end_idle_emergency(id, zone.as_deref(), &request.source)
                }
                _ => Reply::error(id, ErrorKind::NoSession, NO_SESSION),
            };
        };
        let command = request.command.name();
        match self.command_at(now, request) {
            Ok(()) => Reply::ok(id, self.status_at(now)),
            Err(Refusal::NotRecorded(reason)) => {
                tracing::warn!(command, %reason, "command refused: it cannot be recorded");
                not_recorded(id, &reason)
            }
            Err(Refusal::Command(e)) => {
                tracing::info!(command, reason = %e, "command refused");
                Reply::error(id, ErrorKind::Refused, e.to_string())
            }
        }
    }

    /// An emergency must never do nothing, session or not (before `start`, after `stop`):
    /// full light on the room (or the zone) and the music muted, straight from the policy.
    /// The room stays so until a session starts or the wall switch takes over.
    fn emergency_without_session(&mut self, id: Option<u64>, zone: Option<&str>) -> Reply {
        let held = self.warnings.idle_emergency.as_ref();
        match IdleEmergency::begin(held, &self.options.config.policy, zone) {
            Ok((orders, held)) => {
                tracing::warn!(zones = ?orders.zones, "EMERGENCY with no session running: full light, music muted");
                let zones = orders.zones.clone();
                self.light_idle(orders, held);
                Reply::ok(
                    id,
                    IdleEmergencyReply {
                        session: None,
                        emergency_zones: zones,
                    },
                )
            }
            Err(refused) => Reply::error(id, ErrorKind::Refused, refused),
        }
    }

    /// Carries out an emergency with no session and holds the room in it.
    pub(super) fn light_idle(&mut self, orders: IdleOrders, held: IdleEmergency) {
        for zone in &orders.zones {
            self.lights.set(zone, orders.look.look, orders.look.fade, true);
        }
        self.audio.apply(&orders.music);
        self.warnings.idle_emergency = Some(held);
    }

    /// `resume` after an emergency with no session: the room is released to the technicians'
    /// light commands and the next session; the lights stay as they are, since there is no
    /// scene to go back to.
    fn end_idle_emergency(&mut self, id: Option<u64>, zone: Option<&str>, source: &Source) -> Reply {
        self.warnings.idle_emergency = self
            .warnings
            .idle_emergency
            .take()
            .and_then(|held| held.end(zone));
        tracing::warn!(
            ?source,
            "the emergency with no session running ended; the lights stay as they are"
        );
        Reply::ok(
            id,
            IdleResumeReply {
                session: None,
                emergency_ended: true,
            },
        )
    }

    fn report(&mut self, id: Option<u64>, session: Option<String>) -> Reply {
        let wanted = session.or_else(|| {
            self.session
                .as_ref()
                .map(|r| r.core.timeline.session_id().to_string())
        });
        match self.history.read(wanted.as_deref()) {
            Ok((session, contents)) => Reply::ok(
                id,
                ReportReply {
                    session,
                    entries: contents.entries,
                    skipped_lines: contents.skipped,
                },
            ),
            Err(e @ HistoryError::BadId(_)) => Reply::error(id, ErrorKind::BadRequest, e.to_string()),
            Err(e @ (HistoryError::Unknown(_) | HistoryError::Empty)) => {
                Reply::error(id, ErrorKind::Refused, e.to_string())
            }
            Err(e) => Reply::error(id, ErrorKind::Internal, error_chain(&e)),
        }
    }
}

/// The refusal of a command the state disk would not record.
fn not_recorded(id: Option<u64>, reason: &crate::journal::Unwritable) -> Reply {
    Reply::error(
        id,
        ErrorKind::NotRecorded,
        format!("not recorded: {reason}; nothing was changed"),
    )
}
