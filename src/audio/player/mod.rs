//! [`Player`]: the real music adapter. A handle that sends commands to a player thread, which
//! owns the mixer and an output; a loader thread decodes tracks ahead of it, and a measurer
//! thread measures the media's loudness in the background. Nothing here blocks the engine, and
//! nothing on the audio path touches a file.

mod cursor;
mod loader;
mod measurer;
mod worker;

#[cfg(test)]
mod glide_tests;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::AudioOutput;
use super::gain::SILENCE_DB;
use super::heard::Heard;
use super::loudness_store::LoudnessStore;
use super::mixer::{Join, Mixer, MixerConfig};
use super::output::{DeviceEvents, Output, Pace};
use super::track::LevelTarget;
use crate::catalog::Catalog;
use crate::error_text::error_chain;
use crate::playlist::Playlist;
use crate::time::Millis;
use crate::timeline::MusicTarget;

pub use cursor::{Cursor, Upcoming};
pub use loader::{LoadError, MEASURE_BUDGET};
use measurer::Measurer;
pub use measurer::POLL as MEASURE_POLL;
pub use worker::MIN_FADE;
use worker::{Command, PlayState, Worker};

/// No level change moves faster than this: a typo such as `volume +30` takes seconds to be
/// heard in full, and can be taken back before it is.
pub const MAX_SLEW_DB_PER_SECOND: f32 = 12.0;

/// What the player plays from, and how loud it may ever get.
#[derive(Debug, Clone)]
pub struct PlayerSetup {
    pub playlists: BTreeMap<String, Playlist>,
    pub media_root: PathBuf,
    /// The output's rate: every track is resampled to it as it streams in.
    pub rate: u32,
    /// The hard ceiling in dBFS (0 or below).
    pub ceiling_db: f32,
    /// The loudness every track is levelled to, in LUFS.
    pub target_lufs: f64,
    /// The largest lift levelling gives a quiet track, in dB.
    pub max_boost_db: f64,
    /// The output's pace. Unpaced (tests), the mixer waits for the loader instead of racing it.
    pub pace: Pace,
    /// How long one read of a track may hang before the track is skipped, or cut part-way.
    pub read_timeout: Duration,
    pub measuring: Measuring,
}

/// How the player keeps its tracks measured. Whatever this says, the loader measures a track
/// that has no measurement before it plays it.
#[derive(Debug, Clone, Default)]
pub struct Measuring {
    /// Where measurements are kept when the media directory cannot be written (the daemon's
    /// state directory).
    pub fallback_dir: Option<PathBuf>,
    /// How often the media is looked over for files to measure in the background; `None`
    /// measures nothing in the background.
    pub poll: Option<Duration>,
}

impl PlayerSetup {
    /// How the loader levels each track.
    fn level(&self) -> LevelTarget {
        LevelTarget {
            target_lufs: self.target_lufs,
            max_boost_db: self.max_boost_db,
            ceiling_db: f64::from(self.ceiling_db),
        }
    }

    pub fn from_catalog(catalog: &Catalog) -> Self {
        let config = catalog.config();
        PlayerSetup {
            playlists: catalog.playlists().clone(),
            media_root: config.paths.media.clone(),
            rate: config.audio.rate,
            ceiling_db: config.audio.ceiling_db,
            target_lufs: config.audio.target_lufs,
            max_boost_db: config.audio.max_boost_db,
            pace: Pace::RealTime,
            read_timeout: config.audio.read_timeout,
            measuring: Measuring {
                fallback_dir: None,
                poll: Some(MEASURE_POLL),
            },
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PlayerError {
    #[error("cannot start the {what} thread")]
    Thread {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
}

pub struct Player {
    commands: Sender<Command>,
    status: Arc<Mutex<String>>,
    heard: Arc<Mutex<Heard>>,
    thread: Option<JoinHandle<()>>,
    store: Arc<LoudnessStore>,
    measurer: Option<Measurer>,
}

impl Player {
    /// Starts the player and loader threads. `output` must play at `setup.rate`.
    pub fn start(
        setup: PlayerSetup,
        output: Box<dyn Output>,
        events: DeviceEvents,
    ) -> Result<Player, PlayerError> {
        let idle = match setup.pace {
            Pace::RealTime => loader::IDLE_POLL,
            Pace::Unpaced => loader::UNPACED_IDLE_POLL,
        };
        let store = Arc::new(LoudnessStore::new(
            &setup.media_root,
            setup.measuring.fallback_dir.as_deref(),
            setup.read_timeout,
        ));
        let measurer = match setup.measuring.poll {
            Some(poll) => Some(
                Measurer::spawn(
                    store.clone(),
                    files_of(&setup.playlists),
                    poll,
                    setup.read_timeout,
                )
                .map_err(|source| PlayerError::Thread {
                    what: "loudness measurer",
                    source,
                })?,
            ),
            None => None,
        };
        let reading = loader::Reading {
            rate: setup.rate,
            level: setup.level(),
            read_timeout: setup.read_timeout,
            idle,
        };
        let loader = loader::Loader::spawn(store.clone(), reading).map_err(|source| PlayerError::Thread {
            what: "audio loader",
            source,
        })?;
        let mixer = Mixer::new(&mixer_config(setup.rate, setup.ceiling_db));
        let status = Arc::new(Mutex::new(output.describe()));
        let heard = Arc::new(Mutex::new(Heard::default()));
        let worker = Worker {
            heard: heard.clone(),
            mixer,
            output,
            playlists: setup.playlists,
            events,
            status: status.clone(),
            loader,
            state: PlayState::default(),
            wait_for_loader: setup.pace == Pace::Unpaced,
            read_timeout: setup.read_timeout,
        };
        let (commands, inbox) = channel();
        let thread = std::thread::Builder::new()
            .name("audio-player".into())
            .spawn(move || worker.run(inbox))
            .map_err(|source| PlayerError::Thread {
                what: "audio player",
                source,
            })?;
        Ok(Player {
            commands,
            status,
            heard,
            thread: Some(thread),
            store,
            measurer,
        })
    }

    fn send(&self, command: Command) {
        if self.commands.send(command).is_err() {
            tracing::error!("the audio player thread has stopped; the music cannot be steered");
        }
    }
}

impl AudioOutput for Player {
    fn apply(&mut self, target: &MusicTarget) {
        self.send(Command::Apply(target.clone()));
    }

    fn set_playlists(&mut self, playlists: BTreeMap<String, Playlist>) {
        if let Some(measurer) = &self.measurer {
            measurer.prefer(files_of(&playlists));
        }
        self.send(Command::Playlists(playlists));
    }

    fn skip(&mut self, crossfade: Millis, to: Option<&str>) {
        self.send(Command::Skip(crossfade, to.map(str::to_string)));
    }

    fn describe(&self) -> String {
        match self.status.lock() {
            Ok(status) => status.clone(),
            Err(_) => "audio player stopped".into(),
        }
    }

    fn heard(&self) -> Option<Heard> {
        self.heard.lock().ok().map(|heard| heard.clone())
    }
}

impl Drop for Player {
    /// Lets the last fade (the daemon's stop fade) play out before the output closes.
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Shutdown);
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the audio player thread panicked");
        }
        // What the measurer found since it last wrote is not measured again next time.
        if let Err(e) = self.store.save() {
            tracing::warn!("{}", error_chain(&e));
        }
    }
}

/// Every file the playlists name, in their order: measured before the rest of the media.
fn files_of(playlists: &BTreeMap<String, Playlist>) -> Vec<String> {
    playlists
        .values()
        .flat_map(|p| p.tracks.iter().map(|t| t.path.clone()))
        .collect()
}

/// Moves the mixer's level, mute and pause to `target`'s, touching only what changed since
/// `previous`. The playlist is the caller's: the live worker loads on a thread, a dry run inline.
///
/// While nothing is heard (the first target, a mixer with nothing to play, or music that mute or
/// pause holds at silence), changes take effect at once: a glide or a fade there would only be
/// heard later, over the fade-in of what comes next, as music that should be silent or a level
/// sliding down from above the one asked for. Unmuting and unpausing are at once only when there
/// is nothing to bring back (the next track fades itself in). A target with no playlist leaves
/// the level alone: music on its way out fades at the level it had.
pub fn glide_to(mixer: &mut Mixer, previous: Option<&MusicTarget>, target: &MusicTarget, fade: Duration) {
    let first = previous.is_none();
    let unheard = first || !mixer.is_heard();
    let empty = first || mixer.is_idle();
    let level_db = target.level_db.clamp(SILENCE_DB, 0.0);
    if target.playlist.is_some() && mixer.level_db() != level_db {
        if unheard {
            mixer.set_level_now(level_db);
        } else {
            mixer.set_level(level_db, fade);
        }
    }
    // Going silent needs no fade where nothing is heard; coming back, none where nothing plays.
    let over = |silent: bool| {
        let at_once = if silent { unheard } else { empty };
        if at_once { Duration::ZERO } else { fade }
    };
    if previous.is_none_or(|p| p.muted != target.muted) {
        mixer.set_muted(target.muted, over(target.muted));
    }
    if previous.is_none_or(|p| p.paused != target.paused) {
        mixer.set_paused(target.paused, over(target.paused));
    }
}

/// The player's mixer. It starts at 0 dB, but nothing is heard until the first target, whose
/// level it takes at once.
pub fn mixer_config(rate: u32, ceiling_db: f32) -> MixerConfig {
    MixerConfig {
        rate,
        ceiling_db: ceiling_db.min(0.0),
        level_db: 0.0,
        max_slew_db_per_second: MAX_SLEW_DB_PER_SECOND,
    }
}

/// How a track joins the one queued before it: that track's crossfade setting, else a short
/// crossfade over the gap a failed track left, else gaplessly.
pub fn join_after(last_crossfade: Option<Millis>, after_failure: bool) -> Join {
    match (last_crossfade, after_failure) {
        (Some(c), _) => Join::Crossfade(c.to_duration()),
        (None, true) => Join::Crossfade(worker::FAILURE_CROSSFADE),
        (None, false) => Join::Gapless,
    }
}
