//! A whole session played offline: the scene's [`Plan`] drives a mixer through its music
//! actions at their session times, faster than real time, into a WAV file, and its light
//! actions go to a CSV timeline beside it, for review and tests.
//!
//! The mixer is rendered up to each action's time, the action applied, and so on to the end.
//! Targets reach the mixer through the same code as the live player's ([`glide_to`],
//! [`join_after`], [`Cursor`]); tracks open inline, just ahead of the mixer (measured first if
//! they have not been, as the live loader measures them before their turn), and stream through
//! the player's bounded read-ahead, moved on between blocks, so a three-hour session never needs
//! more memory than a few read-aheads. A grounding skip plays its track once, as live, and a
//! gapless run is resampled as one piece, as live.
//!
//! Every read is watched, as live: each track is measured, opened and read on a thread of its
//! own, and one whose read has not come back after the read timeout (a stalled share) is passed
//! over, or cut where its data stopped, as live, and reported with the rest of the tracks that
//! could not play.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::feed::FeedCutter;
use super::levelled::{Levelling, LoadError, Opening, RunSoFar, open_levelled_watched};
use super::mixer::{CHANNELS, Join, Mixer};
use super::player::{Cursor, MIN_FADE, Upcoming, glide_to, join_after, mixer_config};
use super::stream::{Step, TrackStream};
use super::track::{LevelTarget, PreparedTrack};
use crate::audio::loudness_cache::{LoudnessCache, is_measured};
use crate::audio::loudness_store::LoudnessStore;
use crate::audio::measure::measure_into_watched;
use crate::error_text::error_chain;
use crate::media_io::read_worker::ReadWorker;
use crate::playlist::{self, Playlist};
use crate::time::Millis;
use crate::timeline::plan::Plan;
use crate::timeline::{Action, MusicTarget};

pub const DEFAULT_RATE: u32 = 22_050;

const BLOCK_FRAMES: usize = 4096;
/// Tracks queued ahead of the one playing, as the live player keeps them.
const LOOKAHEAD: usize = 2;

/// What a dry run plays from and where it writes.
pub struct DryRunSetup<'a> {
    pub playlists: &'a BTreeMap<String, Playlist>,
    pub media_root: &'a Path,
    pub rate: u32,
    pub ceiling_db: f32,
    /// The loudness analysed tracks are levelled to, in LUFS, as the player levels them.
    pub target_lufs: f64,
    /// The largest lift levelling gives, as the player gives it.
    pub max_boost_db: f64,
    pub wav: &'a Path,
    pub lights: &'a Path,
    /// Where measurements are kept when the media directory cannot be written (the daemon's
    /// state directory, whose measurements are read too).
    pub fallback_dir: Option<&'a Path>,
    /// How long one read may hang before its track is given up, as the config's
    /// `read_timeout`.
    pub read_timeout: Duration,
    /// Called with the frames written so far after each block, so a command line can show
    /// how far it is.
    pub progress: Option<&'a dyn Fn(u64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DryRunSummary {
    pub rate: u32,
    pub frames: u64,
    /// Tracks started, in order, as `playlist/path`.
    pub tracks: Vec<String>,
    pub light_commands: usize,
    /// Tracks that could not be played and were passed over, as the live player would.
    pub failed: Vec<String>,
    /// Each of those, with where it is and why, in the same order.
    pub problems: Vec<TrackProblem>,
    /// Files measured for this run, not measured before.
    pub measured: usize,
    /// Where those measurements were kept, or why they could not be.
    pub kept: Result<Option<PathBuf>, String>,
    /// Loudness caches that hung as they were read or written (a stalled share), and what came
    /// of it.
    pub cache_hangs: Vec<String>,
}

/// A track that could not be played (or was cut short), and why.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackProblem {
    /// The playlist it was played from, and its place there from 0; `None` for a scene's
    /// grounding track.
    pub playlist: Option<(String, usize)>,
    /// Its file, under the media root.
    pub path: String,
    pub why: String,
}

impl DryRunSummary {
    pub fn seconds(&self) -> f64 {
        self.frames as f64 / f64::from(self.rate)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DryRunError {
    #[error("{}: cannot write WAV", path.display())]
    Wav {
        path: PathBuf,
        #[source]
        source: hound::Error,
    },
    #[error("{}: cannot write the light timeline", path.display())]
    Lights {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A track's stream, kept and read on a thread of its own.
type Reader = ReadWorker<Option<TrackStream>>;

/// A track on its way into the mixer.
struct Streaming {
    /// As in [`DryRunSummary::failed`].
    name: String,
    origin: Option<(String, usize)>,
    path: String,
    reader: Reader,
    /// Ends the track where its data stopped, should a read hang.
    cutter: FeedCutter,
}

/// A track opened: the mixer's end, its thread, and the gapless run as far as it goes.
struct Opened {
    track: PreparedTrack,
    reader: Reader,
    cutter: FeedCutter,
    run: Option<RunSoFar>,
}

struct Driver<'a> {
    setup: &'a DryRunSetup<'a>,
    store: Arc<LoudnessStore>,
    cache: Arc<LoudnessCache>,
    mixer: Mixer,
    cursor: Option<Cursor>,
    applied: Option<MusicTarget>,
    /// The crossfade into a newly chosen playlist, for its first track.
    pending_switch: Option<Duration>,
    last_crossfade: Option<Millis>,
    after_failure: bool,
    failures_in_a_row: usize,
    next_id: u64,
    /// The gapless run as far as the last track opened from the playlist takes it.
    run: Option<RunSoFar>,
    /// The tracks on their way into the mixer, moved on before every block.
    streams: Vec<Streaming>,
    summary: DryRunSummary,
}

/// Plays `plan` into `setup.wav` (16-bit stereo at `setup.rate`, exactly `plan.total` long) and
/// writes its light actions to `setup.lights` as CSV.
pub fn dry_run(plan: &Plan, setup: &DryRunSetup<'_>) -> Result<DryRunSummary, DryRunError> {
    let wav_error = |source| DryRunError::Wav {
        path: setup.wav.to_owned(),
        source,
    };
    let lights_error = |source| DryRunError::Lights {
        path: setup.lights.to_owned(),
        source,
    };
    let mut lights = BufWriter::new(File::create(setup.lights).map_err(lights_error)?);
    writeln!(lights, "time_s,zone,brightness,kelvin,fade_s").map_err(lights_error)?;
    let spec = hound::WavSpec {
        channels: CHANNELS as u16,
        sample_rate: setup.rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(setup.wav, spec).map_err(wav_error)?;
    let store = Arc::new(LoudnessStore::new(
        setup.media_root,
        setup.fallback_dir,
        setup.read_timeout,
    ));
    let mut driver = Driver {
        setup,
        cache: Arc::new(store.load()),
        store,
        mixer: Mixer::new(&mixer_config(setup.rate, setup.ceiling_db)),
        cursor: None,
        applied: None,
        pending_switch: None,
        run: None,
        last_crossfade: None,
        after_failure: false,
        failures_in_a_row: 0,
        next_id: 0,
        streams: Vec::new(),
        summary: DryRunSummary {
            rate: setup.rate,
            frames: 0,
            tracks: Vec::new(),
            light_commands: 0,
            failed: Vec::new(),
            problems: Vec::new(),
            measured: 0,
            kept: Ok(None),
            cache_hangs: Vec::new(),
        },
    };
    let mut block = vec![0.0f32; BLOCK_FRAMES * CHANNELS];
    for planned in &plan.actions {
        driver.render_to(driver.frame_at(planned.at), &mut block, &mut writer)?;
        match &planned.action {
            Action::Music(target) => driver.apply(target),
            Action::Skip { crossfade, to } => {
                driver.skip(crossfade.to_duration().max(MIN_FADE), to.as_deref())
            }
            Action::Light { zone, look, fade, .. } => {
                writeln!(
                    lights,
                    "{:.3},{zone},{},{},{:.3}",
                    planned.at.as_secs_f64(),
                    look.brightness,
                    look.kelvin,
                    fade.as_secs_f64()
                )
                .map_err(lights_error)?;
                driver.summary.light_commands += 1;
            }
            _ => {}
        }
    }
    driver.render_to(driver.frame_at(plan.total), &mut block, &mut writer)?;
    writer.finalize().map_err(wav_error)?;
    lights.flush().map_err(lights_error)?;
    driver.summary.kept = driver
        .store
        .save()
        .map(|kept| kept.map(|k| k.path().to_owned()))
        .map_err(|e| error_chain(&e));
    driver.summary.cache_hangs = driver.store.hangs();
    Ok(driver.summary)
}

impl Driver<'_> {
    fn frame_at(&self, at: Millis) -> u64 {
        (at.as_secs_f64() * f64::from(self.setup.rate)).round() as u64
    }

    fn render_to(
        &mut self,
        end: u64,
        block: &mut [f32],
        writer: &mut hound::WavWriter<BufWriter<File>>,
    ) -> Result<(), DryRunError> {
        while self.summary.frames < end {
            self.fill();
            self.pump();
            let frames = (end - self.summary.frames).min(BLOCK_FRAMES as u64) as usize;
            let block = &mut block[..frames * CHANNELS];
            self.mixer.render(block);
            self.mixer.drain_events().for_each(drop);
            for &sample in block.iter() {
                let int = (sample.clamp(-1.0, 1.0) * f32::from(i16::MAX)).round() as i16;
                writer.write_sample(int).map_err(|source| DryRunError::Wav {
                    path: self.setup.wav.to_owned(),
                    source,
                })?;
            }
            self.summary.frames += frames as u64;
            if let Some(progress) = self.setup.progress {
                progress(self.summary.frames);
            }
        }
        Ok(())
    }

    /// As the live worker's `apply`, with the playlist's first track loaded at once.
    fn apply(&mut self, target: &MusicTarget) {
        let fade = target.fade.to_duration();
        let previous = self.applied.take();
        if previous.as_ref().is_none_or(|p| p.playlist != target.playlist) {
            self.start_playlist(target.playlist.as_deref(), fade);
        }
        glide_to(&mut self.mixer, previous.as_ref(), target, fade);
        self.applied = Some(target.clone());
    }

    fn start_playlist(&mut self, name: Option<&str>, fade: Duration) {
        let fade = fade.max(MIN_FADE);
        self.cursor = None;
        self.pending_switch = None;
        self.run = None;
        self.failures_in_a_row = 0;
        self.after_failure = false;
        match name {
            Some(name) if self.setup.playlists.contains_key(name) => {
                self.cursor = Some(Cursor::new(name));
                self.pending_switch = Some(fade);
                self.fill();
            }
            _ => self.mixer.stop(fade),
        }
    }

    /// Fills every read-ahead, as the live loader keeps them full; a file found cut short is
    /// reported failed, as live, and plays up to where it stops. One whose read hangs is cut
    /// where its data stopped, as live, and reported.
    fn pump(&mut self) {
        let rate = self.setup.rate;
        let mut problems = Vec::new();
        self.streams.retain_mut(|streaming| {
            let filled = streaming.reader.run(|stream, _| {
                stream
                    .as_mut()
                    .expect("a track's stream is kept from its opening")
                    .fill()
            });
            let (error, keep) = match filled {
                Ok(Ok(step)) => return step != Step::Done,
                Ok(Err(e)) => (LoadError::from(e), true),
                Err(source) => {
                    let frames = streaming.cutter.cut_here();
                    let at = Duration::from_secs_f64(frames as f64 / f64::from(rate.max(1)));
                    let path = streaming.path.clone();
                    (LoadError::HungMidTrack { path, at, source }, false)
                }
            };
            problems.push((
                streaming.name.clone(),
                streaming.origin.clone(),
                streaming.path.clone(),
                error,
            ));
            keep
        });
        for (name, origin, path, error) in problems {
            self.note_problem(name, origin, &path, &error);
        }
    }

    fn note_problem(
        &mut self,
        name: String,
        playlist: Option<(String, usize)>,
        path: &str,
        error: &LoadError,
    ) {
        self.summary.failed.push(name);
        self.summary.problems.push(TrackProblem {
            playlist,
            path: path.to_string(),
            why: error_chain(error),
        });
    }

    /// Opens one track on a thread of its own, levelled as every track is (measured first if it
    /// has not been; one that cannot be measured does not open either, and is passed over as it
    /// fails to; one whose read hangs while it is measured is passed over at once, as live),
    /// carrying on the gapless run `after`.
    fn open(&mut self, track: &playlist::Track, after: Option<RunSoFar>) -> Result<Opened, LoadError> {
        self.next_id += 1;
        let hung = |source| LoadError::Hung {
            path: track.path.clone(),
            source,
        };
        let mut reader = Reader::start(self.setup.read_timeout).map_err(|e| {
            LoadError::Decode(crate::audio::decode::DecodeError::Unreadable {
                path: track.file(self.setup.media_root),
                source: e,
            })
        })?;
        let root = self.setup.media_root;
        // Looking at the file is a read too: on a stalled share it hangs as one.
        let (theirs, cache) = ((root.to_owned(), track.path.clone()), self.cache.clone());
        let missing = reader
            .run(move |_, watch| {
                let (root, rel) = theirs;
                watch.reading(|| root.join(&rel).is_file() && !is_measured(&root, &rel, &cache))
            })
            .map_err(hung)?;
        if missing {
            let (store, rel) = (self.store.clone(), track.path.clone());
            let measured = reader
                .run(move |_, watch| measure_into_watched(&store, &rel, watch).is_ok())
                .map_err(hung)?;
            if measured {
                self.summary.measured += 1;
            }
            self.cache = Arc::new(self.store.load());
        }
        let level = LevelTarget {
            target_lufs: self.setup.target_lufs,
            max_boost_db: self.setup.max_boost_db,
            ceiling_db: f64::from(self.setup.ceiling_db),
        };
        let (theirs, root, cache) = (track.clone(), root.to_owned(), self.cache.clone());
        let (id, rate) = (self.next_id, self.setup.rate);
        let opened = reader
            .run(move |stream, watch| {
                let levelling = Levelling {
                    media_root: &root,
                    cache: &cache,
                    level,
                };
                let opening = Opening {
                    after,
                    ..Opening::default()
                };
                let levelled = open_levelled_watched(&theirs, (id, rate), &levelling, opening, watch)?;
                let cutter = levelled.stream.cutter();
                *stream = Some(levelled.stream);
                Ok::<_, LoadError>((levelled.track, cutter, levelled.run))
            })
            .map_err(hung)??;
        let (track, cutter, run) = opened;
        Ok(Opened {
            track,
            reader,
            cutter,
            run,
        })
    }

    /// A skip, or a grounding skip: `to` once, then the playlist goes on. A grounding track that
    /// cannot play makes it a plain skip.
    fn skip(&mut self, crossfade: Duration, to: Option<&str>) {
        // As live, where the loader opens it between two tracks of the playlist.
        self.run = None;
        let grounding = to.map(|path| (path, self.open(&playlist::Track::plain(path), None)));
        match grounding {
            Some((path, Ok(opened))) => {
                let name = format!("grounding/{path}");
                self.streams.push(Streaming {
                    name: name.clone(),
                    origin: None,
                    path: path.to_string(),
                    reader: opened.reader,
                    cutter: opened.cutter,
                });
                self.summary.tracks.push(name);
                self.mixer.skip_to(opened.track, crossfade);
            }
            Some((path, Err(error))) => {
                self.note_problem(format!("grounding/{path}"), None, path, &error);
                self.mixer.skip(crossfade);
            }
            None => self.mixer.skip(crossfade),
        }
    }

    /// Loads tracks until the mixer has enough queued, as the live loader would have them.
    fn fill(&mut self) {
        loop {
            let queued = if self.pending_switch.is_some() {
                0
            } else {
                self.mixer.queued()
            };
            if queued >= LOOKAHEAD {
                return;
            }
            let Some(cursor) = &mut self.cursor else { return };
            let Some(Upcoming {
                playlist,
                index,
                track,
            }) = cursor.next(self.setup.playlists)
            else {
                self.cursor = None;
                return;
            };
            let name = format!("{playlist}/{}", track.path);
            let gapless =
                self.pending_switch.is_none() && !self.after_failure && self.last_crossfade.is_none();
            let after = self.run.take().filter(|_| gapless);
            match self.open(&track, after) {
                Ok(opened) => {
                    self.run = opened.run;
                    self.failures_in_a_row = 0;
                    self.streams.push(Streaming {
                        name: name.clone(),
                        origin: Some((playlist.clone(), index)),
                        path: track.path.clone(),
                        reader: opened.reader,
                        cutter: opened.cutter,
                    });
                    if let Some(fade) = self.pending_switch.take() {
                        self.mixer.switch([(opened.track, Join::Gapless)], fade);
                    } else {
                        let join = join_after(self.last_crossfade, self.after_failure);
                        self.mixer.enqueue(opened.track, join);
                    }
                    self.last_crossfade = track.crossfade;
                    self.after_failure = false;
                    self.summary.tracks.push(name);
                }
                Err(error) => {
                    self.failures_in_a_row += 1;
                    self.after_failure = true;
                    self.note_problem(name, Some((playlist.clone(), index)), &track.path, &error);
                    let tracks = self.setup.playlists.get(&playlist).map_or(1, |p| p.tracks.len());
                    if self.failures_in_a_row >= tracks {
                        // Every track fails: the music fades out, as live.
                        self.cursor = None;
                        if let Some(fade) = self.pending_switch.take() {
                            self.mixer.stop(fade);
                        }
                        return;
                    }
                }
            }
        }
    }
}
