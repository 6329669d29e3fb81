//! What the planner keeps per light: the scene's trajectory, the one command (if any) waiting
//! to go, and what the device was last told to do, for estimates.

use crate::config::LightConfig;
use crate::lights::driver::DeviceCommand;
use crate::lights::level;
use crate::scene::Look;
use crate::time::Millis;

use super::ramp::Ramp;

/// What the device was last told: a straight line in its own level from `from` to `to`.
/// Levels are 0 for off. Kelvin is the look's own for a light without colour temperature, so
/// the estimate still reads as a look.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Track {
    /// `None` when the planner did not know where the device was.
    pub from: Option<(f32, f32)>,
    pub to: (f32, f32),
    pub start: Millis,
    pub end: Millis,
}

impl Track {
    /// Already at `to`.
    pub fn still(to: (f32, f32), at: Millis) -> Track {
        Track {
            from: Some(to),
            to,
            start: at,
            end: at,
        }
    }

    pub fn running(&self, now: Millis) -> bool {
        now < self.end
    }

    /// Level and Kelvin at `now`; the target itself when the start was unknown.
    pub fn at(&self, now: Millis) -> (f32, f32) {
        let Some(from) = self.from else { return self.to };
        if now >= self.end || self.end <= self.start {
            return self.to;
        }
        let f = now.0.saturating_sub(self.start.0) as f32 / (self.end.0 - self.start.0) as f32;
        (
            from.0 + (self.to.0 - from.0) * f,
            from.1 + (self.to.1 - from.1) * f,
        )
    }
}

/// The desired state of a light: a ramp in the scene's terms, or a raw level from
/// calibration that bypasses the curve and minimum.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Target {
    Ramp(Ramp),
    Raw(DeviceCommand),
}

#[derive(Clone, Debug)]
pub struct LightState {
    pub network: usize,
    pub target: Option<Target>,
    /// When the next command is due; `None` when nothing is left to send. A command whose
    /// time has passed but which found no token keeps its time (its place in the queue) and
    /// is computed only when it goes, from the target at that moment.
    pub due: Option<Millis>,
    /// The waiting command is an emergency's.
    pub urgent: bool,
    /// A stop goes first: an emergency caught the device in a transition.
    pub stop: bool,
    /// The latest order is an emergency's: its one command goes straight to the target, so that
    /// nothing of it is left for ordinary traffic to carry later.
    pub straight: bool,
    /// The next command's transition, when it must jump from a state the planner does not
    /// know (the first order after start, a re-assertion after reconnect) rather than follow
    /// the ramp's cut.
    pub lead_in: Option<Millis>,
    pub track: Option<Track>,
    /// What was last shown by a software step, so the next waits for a visible change.
    pub shown: Option<Look>,
    /// The last command sent, until the device reports being somewhere else.
    pub last_sent: Option<DeviceCommand>,
    pub commands: u64,
}

impl LightState {
    pub fn new(network: usize) -> LightState {
        LightState {
            network,
            target: None,
            due: None,
            urgent: false,
            stop: false,
            straight: false,
            lead_in: None,
            track: None,
            shown: None,
            last_sent: None,
            commands: 0,
        }
    }

    /// A command is due but has not gone.
    pub fn waiting(&self, now: Millis) -> bool {
        self.due.is_some_and(|d| d <= now)
    }

    /// The device was last told `look` (as the light's config renders it) and is there by
    /// `by`, with nothing since saying otherwise.
    pub fn already_at(&self, config: &LightConfig, look: Look, by: Millis) -> bool {
        let (Some(sent), Some(track)) = (self.last_sent, self.track) else {
            return false;
        };
        let want = level::command(config, look, std::time::Duration::ZERO);
        let same = sent.on == want.on && sent.kelvin == want.kelvin && (!want.on || sent.level == want.level);
        // The track ends where the last command (or a report since) put the device.
        let at = (if want.on { want.level } else { 0.0 }, track.to.1);
        same && track.end <= by && (track.to.0 - at.0).abs() < 1e-6
    }

    /// The look the device shows at `now`, as far as the planner can tell.
    pub fn estimated(&self, config: &LightConfig, now: Millis) -> Option<Look> {
        let (level, kelvin) = self.track?.at(now);
        Some(Look {
            brightness: level::perceived(config, level > 0.0, level),
            kelvin: kelvin.round() as u16,
        })
    }

    /// Where the scene wants the light at `now`.
    pub fn wanted(&self, config: &LightConfig, now: Millis) -> Option<Look> {
        match self.target? {
            Target::Ramp(r) => Some(r.at(now)),
            Target::Raw(c) => Some(raw_look(config, &c, self.kelvin_hint())),
        }
    }

    /// The look the light is heading for.
    pub fn desired(&self, config: &LightConfig) -> Option<Look> {
        match self.target? {
            Target::Ramp(r) => Some(r.to),
            Target::Raw(c) => Some(raw_look(config, &c, self.kelvin_hint())),
        }
    }

    fn kelvin_hint(&self) -> u16 {
        self.track.map_or(2700, |t| t.to.1.round() as u16)
    }
}

fn raw_look(config: &LightConfig, c: &DeviceCommand, kelvin: u16) -> Look {
    Look {
        brightness: level::perceived(config, c.on, c.level),
        kelvin: c.kelvin.unwrap_or(kelvin),
    }
}
