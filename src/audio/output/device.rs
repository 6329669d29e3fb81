//! [`DeviceOutput`]: a sound card through rodio, kept open and playing silence when nothing
//! plays, reopened every few seconds after it fails.
//!
//! The mixer thread renders blocks and hands them over a bounded channel; the device callback
//! only copies samples out of them and hands the emptied blocks back for reuse, so it never
//! decodes, allocates or waits. The channel being full is what paces the mixer.
//!
//! While the device is down the session goes on: a pacer keeps the mixer rendering in real
//! time to nowhere, so when the device comes back the music is where the session is, and it
//! fades in rather than jumping in at full level. The loss and the return are both reported.

use std::num::NonZero;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rodio::cpal::traits::{DeviceTrait, HostTrait};
use rodio::{CpalErrorKind, DeviceSinkBuilder, DeviceSinkError, MixerDeviceSink};

use super::block_source::BlockSource;
use super::fade_in::FadeIn;
use super::pace::Pacer;
use super::{DeviceEvents, Output, OutputError, OutputOptions};
use crate::error_text::error_chain;
use crate::timeline::DeviceEvent;

/// Blocks waiting for the device: with the mixer's blocks of ~20 ms, about 100 ms of cushion
/// on top of the device's own buffer, and the most a command waits to be heard.
const QUEUE_BLOCKS: usize = 5;
/// A device that takes nothing for this long has stopped without saying so.
const STALL: Duration = Duration::from_secs(2);
/// How often a lost device is tried again: soon enough that a replugged card plays within
/// seconds, seldom enough that a missing one costs nothing.
const RETRY_EVERY: Duration = Duration::from_secs(3);
/// The music's rise when the device comes back after a loss.
const RETURN_FADE: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("no default sound device")]
    NoDefault,
    #[error("no sound device named `{name}`")]
    NotFound { name: String },
    #[error("cannot list the sound devices")]
    List(#[source] rodio::CpalError),
    #[error("cannot open the sound device")]
    Open(#[source] DeviceSinkError),
}

enum State {
    Open {
        _sink: MixerDeviceSink,
        blocks: SyncSender<Vec<f32>>,
        spare: Receiver<Vec<f32>>,
        /// Set once by the error callback, with what the device said.
        fault: Arc<OnceLock<String>>,
        what: String,
    },
    Down {
        /// Why the last attempt failed; `None` before the first.
        reason: Option<String>,
        /// When it was last tried.
        since: Instant,
    },
}

pub struct DeviceOutput {
    /// `None` for the system's default device.
    name: Option<String>,
    rate: u32,
    events: DeviceEvents,
    state: State,
    /// Keeps time while the device is down, so the session's music goes on where it should be.
    pacer: Pacer,
    /// Frames the mixer owes the session for time it stood still, waiting on a device that
    /// failed: rendered to nowhere at once, without pacing, when the device goes down.
    behind: u64,
    /// Runs after a return, so the music comes back rising from silence.
    fade: FadeIn,
}

impl DeviceOutput {
    /// Opens the device now or fails.
    pub fn open(name: Option<String>, options: &OutputOptions) -> Result<Self, DeviceError> {
        let state = open_state(name.as_deref(), options.rate)?;
        Ok(DeviceOutput::new(name, options, state))
    }

    fn new(name: Option<String>, options: &OutputOptions, state: State) -> Self {
        DeviceOutput {
            name,
            rate: options.rate,
            events: options.events.clone(),
            state,
            pacer: Pacer::new(options.pace, options.rate),
            behind: 0,
            fade: FadeIn::none(),
        }
    }

    /// Opens the device, or starts down and keeps trying.
    pub fn open_or_retry(name: Option<String>, options: &OutputOptions) -> Self {
        let down = State::Down {
            reason: None,
            since: Instant::now(),
        };
        let mut output = DeviceOutput::new(name, options, down);
        output.reopen();
        output
    }

    fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("sound device `{name}`"),
            None => "default sound device".into(),
        }
    }

    fn frames_in(&self, duration: Duration) -> u64 {
        (duration.as_secs_f64() * f64::from(self.rate)).round() as u64
    }

    /// Tries the device (again). Coming back after a failure, it says so and fades the music
    /// in; failing the first time, it says it will keep trying. Failed retries say nothing
    /// more: the loss is already in the log, and `status` shows the latest reason.
    fn reopen(&mut self) {
        let State::Down { reason: before, .. } = &self.state else {
            return;
        };
        let returning = before.is_some();
        match open_state(self.name.as_deref(), self.rate) {
            Ok(state) => {
                tracing::info!("{}: playing", self.label());
                if let (true, State::Open { what, .. }) = (returning, &state) {
                    self.events.send(back_event(&self.label(), what));
                    self.fade = FadeIn::new(self.frames_in(RETURN_FADE) as usize);
                }
                self.state = state;
                // The device sets the pace again; nothing is left to catch up.
                self.behind = 0;
            }
            Err(e) => {
                let reason = error_chain(&e);
                if !returning {
                    self.events.send(DeviceEvent::Error {
                        message: format!("{}: {reason}; {}", self.label(), retrying()),
                    });
                }
                self.state = State::Down {
                    reason: Some(reason),
                    since: Instant::now(),
                };
            }
        }
    }

    /// The device has gone. `stood_still` is how long the mixer waited on it before giving up:
    /// that much music is owed to the session, and is rendered to nowhere straight away.
    fn lose(&mut self, reason: String, stood_still: Duration) {
        tracing::warn!("{} lost: {reason}", self.label());
        self.events.send(DeviceEvent::Error {
            message: format!(
                "{} lost: {reason}; the session goes on, {}",
                self.label(),
                retrying()
            ),
        });
        self.pacer.restart();
        self.behind = self.frames_in(stood_still);
        let lost = std::mem::replace(
            &mut self.state,
            State::Down {
                reason: Some(reason),
                since: Instant::now(),
            },
        );
        // Closing a stream waits for its thread, which a hung driver may never let go: close
        // it on a thread of its own, so the player never waits on a dead device.
        let closing = std::thread::Builder::new()
            .name("sound-device-close".into())
            .spawn(move || drop(lost));
        if let Err(e) = closing {
            tracing::warn!("cannot close the lost sound device apart: {e}");
        }
    }

    /// Hands one block to the callback; `Err` with the reason when the device has gone.
    fn hand_over(&mut self, block: &[f32]) -> Result<(), String> {
        let State::Open {
            blocks, spare, fault, ..
        } = &mut self.state
        else {
            return Ok(());
        };
        let reported =
            |fault: &OnceLock<String>| fault.get().map(|e| format!("the device reported an error: {e}"));
        if let Some(reason) = reported(fault) {
            return Err(reason);
        }
        let mut buffer = spare.try_recv().unwrap_or_default();
        buffer.clear();
        buffer.extend_from_slice(block);
        self.fade.apply(&mut buffer);
        let poll = Duration::from_secs_f64(block.len() as f64 / 2.0 / f64::from(self.rate) / 4.0);
        let deadline = Instant::now() + STALL;
        loop {
            match blocks.try_send(buffer) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Full(back)) => {
                    if let Some(reason) = reported(fault) {
                        return Err(reason);
                    }
                    if Instant::now() > deadline {
                        return Err("the device stopped taking samples".into());
                    }
                    buffer = back;
                    std::thread::sleep(poll);
                }
                Err(TrySendError::Disconnected(_)) => return Err("the device stream ended".into()),
            }
        }
    }
}

impl Output for DeviceOutput {
    fn write(&mut self, block: &[f32]) -> Result<(), OutputError> {
        let frames = block.len() / 2;
        if let State::Down { since, .. } = &self.state
            && since.elapsed() >= RETRY_EVERY
        {
            let began = Instant::now();
            self.reopen();
            if !self.is_heard() {
                // The mixer stood still while the device was tried.
                self.behind += self.frames_in(began.elapsed());
            }
        }
        if self.is_heard() {
            let began = Instant::now();
            if let Err(reason) = self.hand_over(block) {
                self.lose(reason, began.elapsed());
            }
        } else if self.behind > 0 {
            self.behind = self.behind.saturating_sub(frames as u64);
        } else {
            self.pacer.wait(frames);
        }
        Ok(())
    }

    fn is_heard(&self) -> bool {
        matches!(self.state, State::Open { .. })
    }

    fn describe(&self) -> String {
        match &self.state {
            State::Open { what, .. } => format!("device: {what}"),
            State::Down { reason, .. } => format!(
                "device: {} unavailable, {} ({})",
                self.label(),
                retrying(),
                reason.as_deref().unwrap_or("not tried yet")
            ),
        }
    }
}

fn retrying() -> String {
    format!("retrying every {} s", RETRY_EVERY.as_secs())
}

/// The device's return, for the session's log: with the loss before it, the whole outage.
fn back_event(label: &str, what: &str) -> DeviceEvent {
    DeviceEvent::Restored {
        message: format!("{label} is back ({what}); the music fades in where the session is"),
    }
}

fn find_device(name: Option<&str>) -> Result<rodio::Device, DeviceError> {
    let host = rodio::cpal::default_host();
    let Some(name) = name else {
        return host.default_output_device().ok_or(DeviceError::NoDefault);
    };
    let devices = host.output_devices().map_err(DeviceError::List)?;
    let matches = |device: &rodio::Device| {
        let id = device.id().map(|id| id.to_string()).unwrap_or_default();
        let description = device.description().map(|d| d.name().to_string());
        description.is_ok_and(|d| d == name) || id == name || id.ends_with(&format!(":{name}"))
    };
    devices
        .into_iter()
        .find(matches)
        .ok_or_else(|| DeviceError::NotFound {
            name: name.to_string(),
        })
}

fn open_state(name: Option<&str>, rate: u32) -> Result<State, DeviceError> {
    // Each attempt, on whichever thread makes it: ALSA's handler is per thread.
    super::alsa_quiet::route_to_log();
    let device = find_device(name)?;
    let fault = Arc::new(OnceLock::new());
    // Only notes the fault: the mixer thread finds it at its next block and reports the loss
    // once, with this as its reason. A failing stream may call this in a loop until closed.
    let on_error = {
        let fault = fault.clone();
        move |e: rodio::CpalError| match e.kind() {
            // Glitches and reroutes: the stream plays on.
            CpalErrorKind::Xrun | CpalErrorKind::DeviceChanged | CpalErrorKind::RealtimeDenied => {
                tracing::debug!("sound device: {e}");
            }
            _ => {
                if fault.get().is_none() {
                    let _ = fault.set(e.to_string());
                }
            }
        }
    };
    let stereo = NonZero::new(2).expect("two is not zero");
    let wanted_rate = NonZero::new(rate).unwrap_or(NonZero::new(48_000).expect("not zero"));
    // The mixer's own rate first: anything else goes through rodio's linear resampler.
    let mut sink = DeviceSinkBuilder::from_device(device.clone())
        .map_err(DeviceError::Open)?
        .with_sample_rate(wanted_rate)
        .with_channels(stereo)
        .with_error_callback(on_error.clone())
        .open_stream()
        .or_else(|_| {
            DeviceSinkBuilder::from_device(device.clone())?
                .with_error_callback(on_error)
                .open_sink_or_fallback()
        })
        .map_err(DeviceError::Open)?;
    sink.log_on_drop(false);
    let config = *sink.config();
    let (blocks_tx, blocks_rx) = sync_channel(QUEUE_BLOCKS);
    let (spare_tx, spare_rx) = sync_channel(QUEUE_BLOCKS + 2);
    sink.mixer()
        .add(BlockSource::new(blocks_rx, spare_tx, wanted_rate));
    let label = device
        .description()
        .map(|d| d.name().to_string())
        .unwrap_or_else(|_| name.unwrap_or("default").to_string());
    let resampled = if config.sample_rate() == wanted_rate {
        String::new()
    } else {
        format!(", resampled from {rate} Hz",)
    };
    Ok(State::Open {
        _sink: sink,
        blocks: blocks_tx,
        spare: spare_rx,
        fault,
        what: format!(
            "{label} at {} Hz, {} channels{resampled}",
            config.sample_rate(),
            config.channel_count()
        ),
    })
}
