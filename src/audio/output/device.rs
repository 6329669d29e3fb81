//! [`DeviceOutput`]: a sound card through rodio, kept open and playing silence when nothing
//! plays, reopened a few seconds after it fails.
//!
//! The mixer thread renders blocks and hands them over a bounded channel; the device callback
//! only copies samples out of them and hands the emptied blocks back for reuse, so it never
//! decodes, allocates or waits. The channel being full is what paces the mixer.

use std::num::NonZero;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError, sync_channel};
use std::time::{Duration, Instant};

use rodio::cpal::traits::{DeviceTrait, HostTrait};
use rodio::{CpalErrorKind, DeviceSinkBuilder, DeviceSinkError, MixerDeviceSink, Source};

use super::pace::Pacer;
use super::{DeviceEvents, Output, OutputError, OutputOptions};
use crate::error_text::error_chain;
use crate::timeline::DeviceEvent;

/// Blocks waiting for the device: with the mixer's blocks of ~20 ms, about 100 ms of cushion
/// on top of the device's own buffer, and the most a command waits to be heard.
const QUEUE_BLOCKS: usize = 5;
/// A device that takes nothing for this long has stopped without saying so.
const STALL: Duration = Duration::from_secs(2);
const RETRY_EVERY: Duration = Duration::from_secs(3);

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
        failed: Arc<AtomicBool>,
        what: String,
    },
    Down {
        reason: String,
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
}

impl DeviceOutput {
    /// Opens the device now or fails.
    pub fn open(name: Option<String>, options: &OutputOptions) -> Result<Self, DeviceError> {
        let state = open_state(name.as_deref(), options.rate, &options.events)?;
        Ok(DeviceOutput {
            name,
            rate: options.rate,
            events: options.events.clone(),
            state,
            pacer: Pacer::new(options.pace, options.rate),
        })
    }

    /// Opens the device, or starts down and keeps trying.
    pub fn open_or_retry(name: Option<String>, options: &OutputOptions) -> Self {
        let mut output = DeviceOutput {
            name,
            rate: options.rate,
            events: options.events.clone(),
            state: State::Down {
                reason: String::new(),
                since: Instant::now(),
            },
            pacer: Pacer::new(options.pace, options.rate),
        };
        output.reopen();
        output
    }

    fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("sound device `{name}`"),
            None => "default sound device".into(),
        }
    }

    fn reopen(&mut self) {
        match open_state(self.name.as_deref(), self.rate, &self.events) {
            Ok(state) => {
                tracing::info!("{}: playing", self.label());
                self.state = state;
            }
            Err(e) => {
                let reason = error_chain(&e);
                let first = matches!(&self.state, State::Down { reason, .. } if reason.is_empty())
                    || matches!(self.state, State::Open { .. });
                if first {
                    self.events.send(DeviceEvent::Error {
                        message: format!("{}: {reason}; retrying every few seconds", self.label()),
                    });
                }
                self.state = State::Down {
                    reason,
                    since: Instant::now(),
                };
            }
        }
    }

    fn lose(&mut self, reason: String) {
        self.events.send(DeviceEvent::Error {
            message: format!("{} lost: {reason}; retrying every few seconds", self.label()),
        });
        self.pacer.restart();
        self.state = State::Down {
            reason,
            since: Instant::now(),
        };
    }

    /// Hands one block to the callback; `Err` with the reason when the device has gone.
    fn hand_over(&mut self, block: &[f32]) -> Result<(), String> {
        let State::Open {
            blocks,
            spare,
            failed,
            ..
        } = &mut self.state
        else {
            return Ok(());
        };
        if failed.load(Ordering::Acquire) {
            return Err("the device reported an error".into());
        }
        let mut buffer = spare.try_recv().unwrap_or_default();
        buffer.clear();
        buffer.extend_from_slice(block);
        let poll = Duration::from_secs_f64(block.len() as f64 / 2.0 / f64::from(self.rate) / 4.0);
        let deadline = Instant::now() + STALL;
        loop {
            match blocks.try_send(buffer) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Full(back)) => {
                    if Instant::now() > deadline || failed.load(Ordering::Acquire) {
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
        if let State::Down { since, .. } = &self.state
            && since.elapsed() >= RETRY_EVERY
        {
            self.reopen();
        }
        match self.state {
            State::Open { .. } => {
                if let Err(reason) = self.hand_over(block) {
                    self.lose(reason);
                }
            }
            State::Down { .. } => self.pacer.wait(block.len() / 2),
        }
        Ok(())
    }

    fn is_heard(&self) -> bool {
        matches!(self.state, State::Open { .. })
    }

    fn describe(&self) -> String {
        match &self.state {
            State::Open { what, .. } => format!("device: {what}"),
            State::Down { reason, .. } => {
                format!("device: {} unavailable, retrying ({reason})", self.label())
            }
        }
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

fn open_state(name: Option<&str>, rate: u32, events: &DeviceEvents) -> Result<State, DeviceError> {
    let device = find_device(name)?;
    let failed = Arc::new(AtomicBool::new(false));
    let on_error = {
        let failed = failed.clone();
        let events = events.clone();
        move |e: rodio::CpalError| match e.kind() {
            // Glitches and reroutes: the stream plays on.
            CpalErrorKind::Xrun | CpalErrorKind::DeviceChanged | CpalErrorKind::RealtimeDenied => {
                tracing::debug!("sound device: {e}");
            }
            _ => {
                if !failed.swap(true, Ordering::AcqRel) {
                    events.send(DeviceEvent::Error {
                        message: format!("sound device error: {e}"),
                    });
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
    sink.mixer().add(BlockSource {
        blocks: blocks_rx,
        spare: spare_tx,
        current: Vec::new(),
        at: 0,
        rate: wanted_rate,
    });
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
        failed,
        what: format!(
            "{label} at {} Hz, {} channels{resampled}",
            config.sample_rate(),
            config.channel_count()
        ),
    })
}

/// The one source the device plays, for ever: ready samples, or silence when none are ready.
struct BlockSource {
    blocks: Receiver<Vec<f32>>,
    spare: SyncSender<Vec<f32>>,
    current: Vec<f32>,
    at: usize,
    rate: rodio::SampleRate,
}

impl Iterator for BlockSource {
    type Item = rodio::Sample;

    fn next(&mut self) -> Option<rodio::Sample> {
        if self.at >= self.current.len() {
            if self.current.capacity() > 0 {
                // Handing the block back keeps freeing memory off this thread.
                let _ = self.spare.try_send(std::mem::take(&mut self.current));
            }
            match self.blocks.try_recv() {
                Ok(block) => {
                    self.current = block;
                    self.at = 0;
                }
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => return Some(0.0),
            }
            if self.current.is_empty() {
                return Some(0.0);
            }
        }
        let sample = self.current[self.at];
        self.at += 1;
        Some(sample)
    }
}

impl Source for BlockSource {
    fn current_span_len(&self) -> Option<usize> {
        None
    }

    fn channels(&self) -> rodio::ChannelCount {
        NonZero::new(2).expect("two is not zero")
    }

    fn sample_rate(&self) -> rodio::SampleRate {
        self.rate
    }

    fn total_duration(&self) -> Option<Duration> {
        None
    }
}
