//! What the MQTT task knows about the connection and each light, shared with the adapter's
//! handle so that `status` and `lights list` read it without asking the task.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::config::LightConfig;
use crate::lights::driver::{DeviceState, Report};
use crate::protocol::{LightStatus, LightsReport, SIMULATED};

#[derive(Clone)]
pub struct Board {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    /// `broker 127.0.0.1:1883 (MQTT v5)`.
    broker: String,
    lights: usize,
    report: LightsReport,
    /// Why the connection is down, or the last refusal; kept for the summary line.
    trouble: Option<String>,
}

impl Board {
    pub fn new(broker: String, lights: &[LightConfig]) -> Board {
        let statuses = lights
            .iter()
            .map(|light| LightStatus {
                name: light.name.clone(),
                zone: light.zone.clone(),
                family: light.family.name().to_string(),
                topic: light.topic.clone(),
                available: None,
                desired: None,
                estimated: None,
                reported_level: None,
                reported_kelvin: None,
                reported_on: None,
                commands: 0,
            })
            .collect();
        let board = Board {
            inner: Arc::new(Mutex::new(Inner {
                broker,
                lights: lights.len(),
                report: LightsReport {
                    lights: statuses,
                    ..LightsReport::default()
                },
                trouble: None,
            })),
        };
        board.lock().refresh_summary();
        board
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere while holding the lock leaves plain data behind: still readable.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn report(&self) -> LightsReport {
        self.lock().report.clone()
    }

    pub fn summary(&self) -> String {
        self.lock().report.summary.clone()
    }

    /// The lights are simulated (no `[mqtt]` in the config): the report says so, and its
    /// summary first, since everything else in it ("connected") would read as the real room.
    pub fn simulated(&self) {
        let mut inner = self.lock();
        inner.report.simulated = true;
        inner.refresh_summary();
    }

    pub fn connected(&self, connected: bool) {
        let mut inner = self.lock();
        inner.report.connected = connected;
        if connected {
            inner.trouble = None;
        }
        inner.refresh_summary();
    }

    /// Something is wrong (the link is down, a command was refused): said in the summary.
    pub fn trouble(&self, what: String) {
        let mut inner = self.lock();
        inner.trouble = Some(what);
        inner.refresh_summary();
    }

    pub fn sent(&self, light: usize) {
        let mut inner = self.lock();
        inner.report.commands_sent += 1;
        inner.report.lights[light].commands += 1;
    }

    /// The light's availability before this report.
    pub fn heard(&self, light: usize, report: Report) -> Option<bool> {
        let mut inner = self.lock();
        let status = &mut inner.report.lights[light];
        let before = status.available;
        match report {
            Report::Availability(available) => status.available = Some(available),
            Report::State(DeviceState { on, level, kelvin }) => {
                // A device that reports its state is evidently there.
                if status.available.is_none() {
                    status.available = Some(true);
                }
                status.reported_on = on.or(status.reported_on);
                status.reported_level = level.or(status.reported_level);
                status.reported_kelvin = kelvin.or(status.reported_kelvin);
            }
        }
        before
    }

    pub fn merged(&self, merged: u64) {
        self.lock().report.commands_merged = merged;
    }

    pub fn looks(
        &self,
        looks: impl Iterator<Item = (Option<crate::scene::Look>, Option<crate::scene::Look>)>,
    ) {
        let mut inner = self.lock();
        for (status, (desired, estimated)) in inner.report.lights.iter_mut().zip(looks) {
            status.desired = desired;
            status.estimated = estimated;
        }
    }
}

impl Inner {
    fn refresh_summary(&mut self) {
        let state = if self.report.connected {
            "connected"
        } else {
            "not connected"
        };
        let mut summary = if self.report.simulated {
            format!(
                "{SIMULATED}: no [mqtt] in the config, so {} stand-ins answer on a private demo {}, {state}; \
                 add [mqtt] to drive the room's real lights",
                self.lights, self.broker
            )
        } else {
            format!("mqtt: {}, {state}, {} lights", self.broker, self.lights)
        };
        if let Some(trouble) = &self.trouble {
            summary.push_str("; ");
            summary.push_str(trouble);
        }
        self.report.summary = summary;
    }
}
