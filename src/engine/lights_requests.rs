//! The technicians' light requests: list, set, test and calibrate single lights or zones.
//! They go straight to the lights adapter and never through the timeline, so they are refused
//! while a session runs (the scene owns the lights then) and while an emergency with no session
//! holds the room.

use std::path::PathBuf;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

use crate::lights::LightError;
use crate::protocol::{
    ErrorKind, LightOrder, LightsCalibrateReply, LightsTestReply, Op, Reply, TestStep, check_raw_level,
    encode_line, test_pattern,
};
use crate::room::{LightsOwner, lights_owner};
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
            return Reply::ok(id, &self.lights.report());
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
                    brightness = order.look.brightness,
                    kelvin = order.look.kelvin,
                    fade = %format_duration(order.fade),
                    "technician: lights set"
                );
                match self.lights.set_light(&order.target, order.look, order.fade) {
                    Ok(()) => Reply::ok(id, &self.lights.report()),
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
                    Ok(()) => Reply::ok(id, &LightsCalibrateReply { light, level }),
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

    fn session_running(&self) -> bool {
        self.session
            .as_ref()
            .is_some_and(|r| !r.core.timeline.is_finished())
    }

    /// Starts the pattern's first step at once; the later steps come back to this daemon as
    /// ordinary `lights_set` requests from a small task, so the engine loop never waits, and a
    /// session started meanwhile refuses them (the scene takes the lights over).
    fn lights_test(&mut self, id: Option<u64>, target: Option<String>) -> Reply {
        let targets = match target {
            Some(target) => vec![target],
            None => self.zones_with_lights(),
        };
        let steps = test_pattern();
        let first = steps[0];
        for target in &targets {
            if let Err(e) = self.lights.set_light(target, first.look, first.fade) {
                return light_refusal(id, &e);
            }
        }
        tracing::info!(?targets, "technician: lights test");
        let socket = self.options.socket.clone();
        let later: Vec<(Duration, Op)> = steps
            .windows(2)
            .flat_map(|pair| {
                let (before, step) = (pair[0], pair[1]);
                targets
                    .iter()
                    .enumerate()
                    .map(move |(i, target)| (wait_before(i, before), set_op(target, step)))
            })
            .collect();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(send_later(socket, later));
            }
            Err(_) => {
                tracing::warn!("no runtime to run the rest of the lights test; only its first step ran")
            }
        }
        Reply::ok(
            id,
            &LightsTestReply {
                targets,
                steps: steps.to_vec(),
            },
        )
    }
}

/// The first target of a step waits for the previous step's fade; the others go with it.
fn wait_before(index: usize, previous: TestStep) -> Duration {
    if index == 0 {
        previous.fade.to_duration()
    } else {
        Duration::ZERO
    }
}

fn set_op(target: &str, step: TestStep) -> Op {
    Op::LightsSet {
        target: target.to_string(),
        brightness: step.look.brightness,
        kelvin: step.look.kelvin,
        fade: Some(format_duration(step.fade)),
    }
}

/// Sends each request after its wait, on one connection to the daemon's own socket; stops at
/// the first refusal (a session started) or when the daemon goes away.
async fn send_later(socket: PathBuf, requests: Vec<(Duration, Op)>) {
    let Ok(stream) = UnixStream::connect(&socket).await else {
        tracing::warn!(socket = %socket.display(), "the lights test cannot reach the daemon; it stops");
        return;
    };
    let (read, mut write) = stream.into_split();
    let mut replies = BufReader::new(read).lines();
    for (wait, op) in requests {
        tokio::time::sleep(wait).await;
        if write.write_all(&encode_line(&op)).await.is_err() {
            return;
        }
        match replies.next_line().await {
            Ok(Some(line)) if serde_json::from_str::<Reply>(&line).is_ok_and(|r| r.ok) => {}
            Ok(Some(line)) => {
                tracing::info!(reply = %line.trim(), "the lights test stops: a step was refused");
                return;
            }
            _ => return,
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
