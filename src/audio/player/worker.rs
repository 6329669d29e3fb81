//! The player thread: owns the mixer, turns targets and skips into mixer moves, keeps the
//! loader a track or two ahead, reports what starts and what fails, and feeds the output.
//! Tracks stream in from the loader through bounded read-aheads; an unpaced output (tests)
//! has no real time to keep, so there the worker waits for the loader instead of racing it.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::cursor::{Cursor, Upcoming};
use super::loader::{LoadError, LoadRequest, Loaded, Loader};
use crate::audio::heard::Heard;
use crate::audio::mixer::{Join, Mixer, MixerEvent};
use crate::audio::output::{DeviceEvents, NullOutput, Output, Pace};
use crate::audio::track::PreparedTrack;
use crate::playlist::{self, Playlist};
use crate::time::Millis;
use crate::timeline::{DeviceEvent, MusicTarget, TrackPosition};

/// About 21 ms at 48 kHz: how often commands are looked at, and the unit the output takes,
/// unless the output asks for larger blocks (one nobody hears).
pub const BLOCK_FRAMES: usize = 1024;
/// Tracks opened (their read-ahead filled) and waiting, beyond the one that plays.
const LOOKAHEAD: usize = 2;
/// A cut of a sounding track clicks; even a "0 s" change gets this much of a fade.
pub const MIN_FADE: Duration = Duration::from_millis(100);
/// Crossfade into the track after one that failed, when the playlist gives none.
pub(super) const FAILURE_CROSSFADE: Duration = Duration::from_secs(3);
/// On shutdown, after the last fade asked for: fades out whatever still sounds.
const SHUTDOWN_FADE: Duration = Duration::from_millis(500);
/// On shutdown, at most this long is played out waiting for a fade to end: the longest
/// `stop_fade` the config allows.
const SHUTDOWN_LIMIT: Duration = Duration::from_secs(60);
/// Unpaced, the longest the worker waits for the loader before letting the mixer meet the
/// underrun: only a loader that has hung takes this long.
const UNPACED_WAIT_LIMIT: Duration = Duration::from_secs(30);

pub enum Command {
    Apply(MusicTarget),
    /// A cross-fade length, and the media path to play first (the grounding track).
    Skip(Millis, Option<String>),
    Playlists(BTreeMap<String, Playlist>),
    Shutdown,
}

/// Where a loaded or loading track came from.
struct Slot {
    playlist: String,
    path: String,
    crossfade_after: Option<Millis>,
    /// When the loader was asked for it, and whether it has come back ready.
    asked_at: Instant,
    loaded: bool,
    /// Its failure is already in the log: an underrun after its cut is no news.
    reported: bool,
}

impl Slot {
    fn new(playlist: String, path: String, crossfade_after: Option<Millis>) -> Slot {
        Slot {
            playlist,
            path,
            crossfade_after,
            asked_at: Instant::now(),
            loaded: false,
            reported: false,
        }
    }
}

pub struct Worker {
    pub mixer: Mixer,
    pub output: Box<dyn Output>,
    pub playlists: BTreeMap<String, Playlist>,
    pub events: DeviceEvents,
    pub status: Arc<Mutex<String>>,
    /// What the room hears, for `status`.
    pub heard: Arc<Mutex<Heard>>,
    pub loader: Loader,
    pub state: PlayState,
    /// The output is unpaced: the mixer waits for the loader rather than outrun it.
    pub wait_for_loader: bool,
    /// How long a read may hang before the loader gives its track up, for `status`.
    pub read_timeout: Duration,
}

/// What the worker tracks between blocks.
#[derive(Default)]
pub struct PlayState {
    generation: u64,
    cursor: Option<Cursor>,
    /// The crossfade into a newly chosen playlist, waiting for its first track to load.
    pending_switch: Option<Duration>,
    /// After a restart: how far into that first track to start, to carry on where it was.
    resume_at: Option<Duration>,
    in_flight: usize,
    slots: HashMap<u64, Slot>,
    next_id: u64,
    /// The crossfade setting of the last track queued: how the next one joins it.
    last_crossfade: Option<Millis>,
    after_failure: bool,
    failures_in_a_row: usize,
    applied: Option<MusicTarget>,
    rendered: u64,
    /// The frame by which the fade last asked for (the daemon's stop fade, on shutdown) ends.
    last_fade_ends_at: u64,
    /// The grounding track being loaded, and the crossfade to play it in with.
    grounding: Option<(u64, Duration)>,
    /// Why the last track failed, if none has started since: why the music may be silent.
    silence_cause: Option<String>,
    /// The last track that failed or was cut short, and when.
    last_failure: Option<(String, Instant)>,
    /// When [`Worker::heard`] was last brought up to date.
    heard_at: Option<Instant>,
    /// When the loader last answered for a track it was asked to load: it has been on the next
    /// one since.
    loader_answered_at: Option<Instant>,
    /// The last track asked for from the playlist, if the next joins it with no crossfade.
    gapless_after: Option<u64>,
}

impl Worker {
    pub fn run(mut self, commands: Receiver<Command>) {
        let mut block = Vec::new();
        let mut shutdown_at: Option<u64> = None;
        loop {
            // Asked each time round: a failed card is replaced by the null output.
            block.resize(self.output.block_frames(BLOCK_FRAMES) * 2, 0.0);
            loop {
                match commands.try_recv() {
                    Ok(Command::Apply(target)) => self.apply(&target),
                    Ok(Command::Skip(crossfade, to)) => self.skip(crossfade, to),
                    Ok(Command::Playlists(playlists)) => self.take_playlists(playlists),
                    Ok(Command::Shutdown) | Err(TryRecvError::Disconnected) => {
                        if shutdown_at.is_none() {
                            let limit = self.state.rendered + self.frames(SHUTDOWN_LIMIT);
                            shutdown_at = Some(self.state.last_fade_ends_at.min(limit));
                        }
                        break;
                    }
                    Err(TryRecvError::Empty) => break,
                }
            }
            while let Ok(loaded) = self.loader.results.try_recv() {
                self.on_loaded(loaded);
            }
            self.fill();
            if self.wait_for_loader {
                self.wait_for_next_track();
            }
            if let Some(at) = shutdown_at
                && (self.state.rendered >= at || !self.output.is_heard())
            {
                break;
            }
            self.render(&mut block);
        }
        if self.output.is_heard() {
            self.play_out(&mut block);
        }
        if let Err(e) = self.output.finish() {
            tracing::warn!("{e}");
        }
    }

    /// Fades out what still sounds and plays the fade to the end.
    fn play_out(&mut self, block: &mut [f32]) {
        self.mixer.stop(SHUTDOWN_FADE);
        let end = self.state.rendered + self.frames(SHUTDOWN_FADE + MIN_FADE);
        while self.state.rendered < end {
            self.render(block);
        }
    }

    fn render(&mut self, block: &mut [f32]) {
        if self.wait_for_loader {
            self.wait_for_feeds(block.len() / 2);
        }
        self.mixer.render(block);
        self.state.rendered += (block.len() / 2) as u64;
        let events: Vec<MixerEvent> = self.mixer.drain_events().collect();
        for event in events {
            self.on_mixer_event(event);
        }
        if let Err(e) = self.output.write(block) {
            let reason = super::error_chain(&e);
            self.events.send(DeviceEvent::Error {
                message: format!("audio output failed, the music goes on to nowhere: {reason}"),
            });
            let rate = self.mixer.rate();
            self.output = Box::new(NullOutput::new(rate, Pace::RealTime, Some(reason)));
        }
        self.update_heard();
        let description = self.output.describe();
        if let Ok(mut status) = self.status.lock()
            && *status != description
        {
            *status = description;
        }
    }

    /// Unpaced only: waits until every track the next block reads has its frames ready.
    fn wait_for_feeds(&self, frames: usize) {
        let started = Instant::now();
        while !self.mixer.is_supplied(frames) && started.elapsed() < UNPACED_WAIT_LIMIT {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Unpaced only: while nothing is queued behind what plays and tracks are on their way,
    /// waits for the loader's answers. Otherwise the mixer, outrunning real time, could reach
    /// the end of the playing track before a loader slowed by a busy machine had even read the
    /// next one, and play a silence no listener would ever meet.
    fn wait_for_next_track(&mut self) {
        let started = Instant::now();
        loop {
            if self.state.in_flight == 0 || self.queued_ahead() > 0 || started.elapsed() >= UNPACED_WAIT_LIMIT
            {
                return;
            }
            match self.loader.results.recv_timeout(Duration::from_millis(10)) {
                Ok(loaded) => {
                    self.on_loaded(loaded);
                    self.fill();
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn frames(&self, duration: Duration) -> u64 {
        (duration.as_secs_f64() * f64::from(self.mixer.rate())).round() as u64
    }

    fn note_fade(&mut self, fade: Duration) {
        self.state.last_fade_ends_at = self.state.rendered + self.frames(fade);
    }

    fn apply(&mut self, target: &MusicTarget) {
        let fade = Duration::from_millis(target.fade.0);
        let previous = self.state.applied.take();
        if previous.as_ref().is_none_or(|p| p.playlist != target.playlist) {
            self.start_playlist(target.playlist.as_deref(), target.resume_from.as_ref(), fade);
        }
        super::glide_to(&mut self.mixer, previous.as_ref(), target, fade);
        self.note_fade(fade);
        self.state.applied = Some(target.clone());
    }

    /// A plain skip crossfades into the next track at once. A grounding skip first loads its
    /// track (a moment's decoding, while the music goes on), then crossfades into it; the
    /// playlist goes on after it. One that cannot load becomes a plain skip.
    fn skip(&mut self, crossfade: Millis, to: Option<String>) {
        let crossfade = Duration::from_millis(crossfade.0).max(MIN_FADE);
        let Some(path) = to else {
            self.mixer.skip(crossfade);
            self.note_fade(crossfade);
            return;
        };
        let state = &mut self.state;
        state.next_id += 1;
        let id = state.next_id;
        let request = LoadRequest {
            id,
            generation: state.generation,
            track: playlist::Track::plain(path.as_str()),
            start_at: Duration::ZERO,
            follows: None,
        };
        let playlist = state
            .applied
            .as_ref()
            .and_then(|t| t.playlist.clone())
            .unwrap_or_default();
        state.slots.insert(id, Slot::new(playlist, path, None));
        if self.loader.requests.send(request).is_err() {
            self.mixer.skip(crossfade);
            self.note_fade(crossfade);
            return;
        }
        self.state.grounding = Some((id, crossfade));
    }

    /// Starts `name` from its first track, or from `resume` (a restart's) if it has that track.
    fn start_playlist(&mut self, name: Option<&str>, resume: Option<&TrackPosition>, fade: Duration) {
        let fade = fade.max(MIN_FADE);
        let state = &mut self.state;
        state.generation += 1;
        self.loader.generation.store(state.generation, Ordering::Release);
        state.in_flight = 0;
        state.failures_in_a_row = 0;
        state.after_failure = false;
        state.pending_switch = None;
        state.resume_at = None;
        state.cursor = None;
        state.gapless_after = None;
        match name {
            Some(name) if self.playlists.contains_key(name) => {
                let resumed = resume.and_then(|r| {
                    let cursor = Cursor::at_track(name, &r.path, &self.playlists);
                    if cursor.is_none() {
                        // The catalog changed under the session: start the playlist afresh.
                        tracing::info!(path = r.path, "track to resume is not in `{name}` any more");
                    }
                    Some((cursor?, r.offset.to_duration()))
                });
                let (cursor, resume_at) = resumed.unzip();
                state.cursor = Some(cursor.unwrap_or_else(|| Cursor::new(name)));
                state.resume_at = resume_at;
                state.pending_switch = Some(fade);
            }
            Some(name) => {
                self.events.send(DeviceEvent::Error {
                    message: format!("no playlist `{name}` to play; the music fades out"),
                });
                self.mixer.stop(fade);
            }
            None => self.mixer.stop(fade),
        }
        self.note_fade(fade);
    }

    /// The curators' playlists as they are now. The tracks already on their way (the one
    /// playing and the read-ahead) play as they were; the cursor carries on after the last of
    /// them in the new order.
    fn take_playlists(&mut self, playlists: BTreeMap<String, Playlist>) {
        tracing::info!(
            count = playlists.len(),
            "music: playlists taken on from the next track"
        );
        let old = std::mem::replace(&mut self.playlists, playlists);
        if let Some(cursor) = &mut self.state.cursor
            && !cursor.reposition(&old, &self.playlists)
        {
            tracing::warn!(
                playlist = cursor.playlist(),
                "music: the playlist playing is gone; the music ends after the tracks on their way"
            );
            self.state.cursor = None;
        }
    }

    /// Tracks queued in the mixer to play after the one playing, for the playlist chosen last.
    fn queued_ahead(&self) -> usize {
        // Until the switch, what the mixer holds belongs to the playlist being left.
        if self.state.pending_switch.is_some() {
            0
        } else {
            self.mixer.queued()
        }
    }

    /// Asks the loader for tracks until enough are decoded or on their way.
    fn fill(&mut self) {
        loop {
            let queued = self.queued_ahead();
            let state = &mut self.state;
            if state.in_flight + queued >= LOOKAHEAD {
                return;
            }
            let Some(cursor) = &mut state.cursor else {
                return;
            };
            let Some(Upcoming { playlist, track, .. }) = cursor.next(&self.playlists) else {
                state.cursor = None;
                return;
            };
            state.next_id += 1;
            let id = state.next_id;
            let request = LoadRequest {
                id,
                generation: state.generation,
                track: track.clone(),
                start_at: state.resume_at.take().unwrap_or_default(),
                follows: state.gapless_after.take(),
            };
            state.gapless_after = track.crossfade.is_none().then_some(id);
            state
                .slots
                .insert(id, Slot::new(playlist, track.path.clone(), track.crossfade));
            if self.loader.requests.send(request).is_err() {
                self.events.send(DeviceEvent::Error {
                    message: "the audio loader stopped; no further tracks can load".into(),
                });
                state.cursor = None;
                return;
            }
            state.in_flight += 1;
        }
    }

    fn on_loaded(&mut self, loaded: Loaded) {
        let state = &mut self.state;
        if !matches!(loaded, Loaded::Cut { .. }) {
            state.loader_answered_at = Some(Instant::now());
        }
        let grounding = state.grounding.map(|(id, _)| id);
        match loaded {
            Loaded::Ready { generation, track }
                if generation == state.generation && grounding == Some(track.id) =>
            {
                let (_, crossfade) = state.grounding.take().expect("matched");
                if let Some(slot) = state.slots.get_mut(&track.id) {
                    slot.loaded = true;
                }
                self.mixer.skip_to(track, crossfade);
                self.note_fade(crossfade);
            }
            Loaded::Failed {
                generation,
                id,
                error,
            } if generation == state.generation && grounding == Some(id) => {
                let (_, crossfade) = state.grounding.take().expect("matched");
                self.report_failed(id, &error);
                self.mixer.skip(crossfade);
                self.note_fade(crossfade);
            }
            Loaded::Ready { generation, track } if generation == state.generation => {
                state.in_flight -= 1;
                state.failures_in_a_row = 0;
                if let Some(slot) = state.slots.get_mut(&track.id) {
                    slot.loaded = true;
                }
                self.queue_loaded(track);
            }
            Loaded::Passed { generation, id } if generation == state.generation => {
                state.in_flight -= 1;
                state.failures_in_a_row = 0;
                state.slots.remove(&id);
            }
            Loaded::Cut { id, error } => {
                // Already queued or playing: the mixer crossfades away from where it stops. One
                // no longer in a slot has already been let go, and is no news.
                let Some(slot) = state.slots.get_mut(&id) else {
                    return;
                };
                slot.reported = true;
                let path = slot.path.clone();
                let error = super::error_chain(&error);
                tracing::warn!(path, "track stops early, crossfading to the next: {error}");
                self.note_failure(&error);
                self.events.send(DeviceEvent::TrackFailed { path, error });
            }
            Loaded::Failed {
                generation,
                id,
                error,
            } if generation == state.generation => {
                state.in_flight -= 1;
                state.failures_in_a_row += 1;
                state.after_failure = true;
                let playlist = self.report_failed(id, &error);
                self.give_up_if_all_fail(playlist);
            }
            // From a playlist since left.
            Loaded::Ready { track, .. } => {
                state.slots.remove(&track.id);
            }
            Loaded::Failed { id, .. } | Loaded::Passed { id, .. } => {
                state.slots.remove(&id);
            }
        }
    }

    /// Logs and reports a track that cannot play; returns the playlist it was part of.
    fn report_failed(&mut self, id: u64, error: &LoadError) -> Option<String> {
        let slot = self.state.slots.remove(&id);
        let path = slot.as_ref().map(|s| s.path.clone()).unwrap_or_default();
        let error = super::error_chain(error);
        tracing::warn!(path, "track skipped: {error}");
        self.note_failure(&format!("{error}; skipped"));
        self.events.send(DeviceEvent::TrackFailed { path, error });
        slot.map(|s| s.playlist)
    }

    /// Starts a loaded track (the first of a newly chosen playlist) or queues it behind the
    /// last, joined as the playlist says.
    fn queue_loaded(&mut self, track: PreparedTrack) {
        let state = &mut self.state;
        let crossfade_after = state.slots.get(&track.id).and_then(|s| s.crossfade_after);
        if let Some(fade) = state.pending_switch.take() {
            self.mixer.switch([(track, Join::Gapless)], fade);
        } else {
            let join = super::join_after(state.last_crossfade, state.after_failure);
            self.mixer.enqueue(track, join);
        }
        state.last_crossfade = crossfade_after;
        state.after_failure = false;
    }

    /// A playlist whose every file fails would otherwise be retried for ever.
    fn give_up_if_all_fail(&mut self, playlist: Option<String>) {
        let tracks = playlist
            .as_ref()
            .and_then(|p| self.playlists.get(p))
            .map_or(1, |p| p.tracks.len());
        if self.state.failures_in_a_row < tracks {
            return;
        }
        self.events.send(DeviceEvent::Error {
            message: format!(
                "no track of playlist `{}` could be played; the music fades out",
                playlist.unwrap_or_default()
            ),
        });
        self.state.cursor = None;
        if let Some(fade) = self.state.pending_switch.take() {
            self.mixer.stop(fade);
        }
    }

    fn on_mixer_event(&mut self, event: MixerEvent) {
        match event {
            MixerEvent::Started { id } => {
                self.state.silence_cause = None;
                if let Some(slot) = self.state.slots.get(&id) {
                    tracing::info!(playlist = slot.playlist, path = slot.path, "track started");
                    self.events.send(DeviceEvent::TrackStarted {
                        playlist: slot.playlist.clone(),
                        path: slot.path.clone(),
                    });
                }
            }
            MixerEvent::Finished { id } | MixerEvent::Abandoned { id, .. } => {
                self.state.slots.remove(&id);
            }
            MixerEvent::Underrun { id, at_frame } => {
                // The loader fell behind (a stalled disk): the track was faded out, not cut.
                tracing::warn!(id, at_frame, "audio underrun: track faded out, the next faded in");
                let seconds = at_frame as f64 / f64::from(self.mixer.rate());
                let Some(slot) = self.state.slots.get_mut(&id).filter(|s| !s.reported) else {
                    return;
                };
                slot.reported = true;
                let path = slot.path.clone();
                let error = format!(
                    "{path}: its data stopped coming {seconds:.1} s in (the read-ahead ran dry); faded into the next"
                );
                self.note_failure(&error);
                self.events.send(DeviceEvent::TrackFailed { path, error });
            }
            MixerEvent::Idle => {}
        }
    }
}

#[path = "hearing.rs"]
mod hearing;
