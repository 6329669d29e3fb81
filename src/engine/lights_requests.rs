//! The technicians' light requests: list, set, test and calibrate single lights or zones.
//! They go straight to the lights adapter and never through the timeline, so they are refused
//! while a session runs (the scene owns the lights then) and while an emergency with no session
//! holds the room.

use crate::lights::LightError;
use crate::protocol::{
    ErrorKind, LightOrder, LightsCalibrateReply, LightsSetReply, LightsTestReply, Op, Pace, Reply,
    check_raw_level, test_pattern,
};
use crate::room::{LightsOwner, LightsTest, lights_owner};
use crate::time::format_duration;

use super::session::Engine;

pub const EMERGENCY_OWNS_LIGHTS: &str =
    "the room is in an emergency (no session running); `setting resume` ends it before lights can be set";

pub const SESSION_OWNS_LIGHTS: &str =
    "a session is running and its scene owns the lights; use `setting light` to nudge during a session";

impl Engine {
    /// Answers `lights`, `lights_set`, `lights_test` and `lights_calibrate`.
    pub(super) fn lights_request(&mut self, id: Option<u64>, op: Op) -> Reply {
        if matches!(op, Op::Lights) {
            return Reply::ok(id, self.lights.report());
        }
        // Also stops a `lights test` under way: its later steps come back as `lights_set`.
        match lights_owner(self.session_running(), self.warnings.idle_emergency.as_ref()) {
            LightsOwner::Session => return Reply::error(id, ErrorKind::Refused, SESSION_OWNS_LIGHTS),
            LightsOwner::Emergency => return Reply::error(id, ErrorKind::Refused, EMERGENCY_OWNS_LIGHTS),
            LightsOwner::Technician => {}
        }
        match op {
            Op::LightsSet {
                target,
                brightness,
                kelvin,
                fade,
            } => {
                let order = match LightOrder::new(&target, brightness, kelvin, fade.as_deref()) {
                    Ok(order) => order,
                    Err(message) => return Reply::error(id, ErrorKind::BadRequest, message),
                };
                tracing::info!(
                    target = %order.target,
                    brightness = order.brightness,
                    kelvin = ?order.kelvin,
                    fade = %format_duration(order.fade),
                    "technician: lights set"
                );
                let sent: Result<Vec<_>, _> = order
                    .looks(&self.lights.report())
                    .into_iter()
                    .map(|(name, look)| self.lights.set_light(&name, look, order.fade))
                    .collect();
                match sent.map(|paces| paces.concat()) {
                    Ok(paces) => {
                        for pace in paces
                            .iter()
                            .filter(|p| p.pace != Pace::AtOnce || p.replaced_waiting)
                        {
                            tracing::info!(light = %pace.light, "technician: lights set: {}", pace.describe());
                        }
                        Reply::ok(
                            id,
                            LightsSetReply {
                                paces,
                                report: self.lights.report(),
                            },
                        )
                    }
                    Err(e) => light_refusal(id, &e),
                }
            }
            Op::LightsTest { target } => self.lights_test(id, target),
            Op::LightsCalibrate { light, level } => {
                let level = match check_raw_level(level) {
                    Ok(level) => level,
                    Err(message) => return Reply::error(id, ErrorKind::BadRequest, message),
                };
                tracing::info!(%light, level, "technician: calibration level");
                match self.lights.calibrate(&light, level) {
                    Ok(()) => Reply::ok(id, LightsCalibrateReply { light, level }),
                    Err(e) => light_refusal(id, &e),
                }
            }
            other => Reply::error(
                id,
                ErrorKind::Internal,
                format!("{other:?} is not a lights request"),
            ),
        }
    }

    /// The zones that have lights, in order; the room's zones when the adapter lists none (a
    /// logging output, which then says it cannot address them).
    fn zones_with_lights(&self) -> Vec<String> {
        let mut zones: Vec<String> = self.lights.report().lights.into_iter().map(|l| l.zone).collect();
        zones.sort_unstable();
        zones.dedup();
        if zones.is_empty() {
            zones = self.options.config.policy.zones.clone();
        }
        zones
    }

    pub(super) fn session_running(&self) -> bool {
        self.session
            .as_ref()
            .is_some_and(|r| !r.core.timeline.is_finished())
    }

    /// Starts the pattern's first step at once; the later steps fall due in the room core
    /// (`LightsTest`) and the loop sends them at their time, so it never waits, and a session
    /// or an emergency started meanwhile ends the test (they own the lights then).
    fn lights_test(&mut self, id: Option<u64>, target: Option<String>) -> Reply {
        let targets = match target {
            Some(target) => vec![target],
            None => self.zones_with_lights(),
        };
        let steps = test_pattern();
        let (first, test) = LightsTest::begin(&targets, &steps, self.mono_ms());
        for order in &first {
            if let Err(e) = self
                .lights
                .set_light(&order.target, order.step.look, order.step.fade)
            {
                return light_refusal(id, &e);
            }
        }
        tracing::info!(?targets, "technician: lights test");
        self.lights_test = Some(test);
        Reply::ok(
            id,
            LightsTestReply {
                targets,
                steps: steps.to_vec(),
            },
        )
    }

    /// Sends the lights test's steps now due; a test whose lights are no longer the
    /// technicians' (a session, an emergency) or whose step is refused stops.
    pub(super) fn lights_test_due(&mut self) {
        let now = self.mono_ms();
        let Some(test) = self.lights_test.as_mut() else {
            return;
        };
        let orders = test.due(now);
        let over = test.is_over();
        if lights_owner(self.session_running(), self.warnings.idle_emergency.as_ref())
            != LightsOwner::Technician
        {
            tracing::info!("the lights test stops: the lights are the session's or the emergency's now");
            self.lights_test = None;
            return;
        }
        for order in orders {
            if let Err(e) = self
                .lights
                .set_light(&order.target, order.step.look, order.step.fade)
            {
                tracing::info!(error = %e, "the lights test stops: a step was refused");
                self.lights_test = None;
                return;
            }
        }
        if over {
            self.lights_test = None;
        }
    }
}

fn light_refusal(id: Option<u64>, error: &LightError) -> Reply {
    // Tested one by one rather than matched, so a new kind of error needs no change here.
    let hint = if matches!(error, LightError::Unknown(_)) {
        "; `setting lights list` shows the room's lights"
    } else if matches!(error, LightError::Unsupported(_)) {
        ": this daemon has no lights configured and only logs looks; add [[room.zone.light]] entries to the config"
    } else {
        ""
    };
    Reply::error(id, ErrorKind::Refused, format!("{error}{hint}"))
}
