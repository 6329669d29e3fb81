//! The pull-based stereo mixer: a queue of prepared tracks joined gaplessly or by equal-power
//! crossfades, with gliding level, mute and pause, under a hard ceiling.
//!
//! It is pure: it never reads a clock or a file. Whoever pulls it (the device callback, or an
//! offline render) is its clock, so a render to WAV is exactly what the device would play.
//! Tracks arrive through bounded feeds that the loader fills; the mixer only copies frames that
//! are ready. A track found cut short crossfades into the next from where it stops, and one
//! whose feed is about to run dry (the loader fell behind) fades out over what it has.
//! Gain stages, in order: each voice's own fade-in and fade-out (equal power, placed by its
//! position in the track), its crossfade fade and its trim (loudness normalisation plus the
//! playlist's trim, in force from the track's first sample: a glide from the previous track's
//! trim at a gapless join would play a loud track's start at a quiet one's boost), then the
//! level (a dB ramp under the slew limit), mute and pause (equal-power fades to true silence),
//! and last the limiter that holds the ceiling. Only the level, mute and pause glide.
//!
//! A track that carries on the gapless run of the one before it (resampled on the same grid,
//! see [`resample`](super::resample)) starts under that one's tail, its lead-in over the tail,
//! each at its own trim: the sum is the run resampled as one stream, and the join has no
//! filter transient. Anywhere else a lead-in is passed over and a tail left unplayed.

use std::collections::VecDeque;
use std::time::Duration;

use super::gain::{Fade, GainRamp, db_to_amp, equal_power};
use super::limiter::Limiter;
use super::track::PreparedTrack;

pub const CHANNELS: usize = 2;

/// The crossfade from a track found cut short (a truncated or damaged file) into the next, over
/// the last of what it has; its fade-out when nothing follows.
pub const CUT_CROSSFADE: Duration = Duration::from_secs(3);

/// How far ahead of running dry a track starts to fade out when the loader has fallen behind:
/// long enough to be a fade rather than a click, short against the read-ahead it has run down.
pub const UNDERRUN_GUARD: Duration = Duration::from_millis(50);

/// Frames rendered one by one before the mixer asks again whether it is steady: short against
/// any fade, long enough that asking costs nothing.
const UNSTEADY_FRAMES: usize = 64;

#[derive(Debug, Clone)]
pub struct MixerConfig {
    pub rate: u32,
    /// The loudest true peak the room may ever get, in dBFS: a limit, never a gain.
    pub ceiling_db: f32,
    /// Level at start, in dB (0 or below): 0 plays the tracks as levelled.
    pub level_db: f32,
    /// No level change moves faster than this, whatever it asks for.
    pub max_slew_db_per_second: f32,
}

/// How a queued track joins the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    /// Its first sample follows the previous track's last sample.
    Gapless,
    /// It fades in while the previous one fades out over its last stretch of this length.
    Crossfade(Duration),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MixerEvent {
    Started {
        id: u64,
    },
    /// The track played to its last sample.
    Finished {
        id: u64,
    },
    /// The track was faded out before its end (skip, playlist switch, stop).
    Abandoned {
        id: u64,
        at_frame: usize,
    },
    /// The loader fell behind: the track was faded out over the last frames it had, and the
    /// next one faded in, rather than let it run dry mid-waveform.
    Underrun {
        id: u64,
        at_frame: usize,
    },
    /// Nothing is playing and nothing is queued.
    Idle,
}

struct Voice {
    track: PreparedTrack,
    position: usize,
    /// The track's trim as an amplitude, the same from its first sample to its last.
    trim: f32,
    fade: Fade,
    /// The track's own fade-in and fade-out, in frames.
    fade_in: usize,
    fade_out: usize,
    /// The fade-out a track found cut short gets when nothing crossfades over its end.
    cut_fade: usize,
    /// Frames the feed is known to hold beyond `position`: the loader's count is only read
    /// again once this runs down to the guard.
    known_available: usize,
    /// Within this many frames of running dry with no end in sight, the voice fades out.
    guard: usize,
    /// Met an underrun and is fading out over what the loader had made.
    starved: bool,
    /// The end and the cut as last read from the feed, once a frame, so that one frame's
    /// gains all come from the same reading.
    end: Option<usize>,
    cut: bool,
    /// Faded out before its end, so its end is not reported as finished.
    abandoned: bool,
    /// Frames of the feed before the track's first sample.
    lead_in: usize,
    /// Lead-in frames still to pass over unheard: it did not start under the tail of the track
    /// it was resampled after.
    lead_in_to_skip: usize,
    /// Plays its tail, under the lead-in of the next track of its run; else `end` leaves it out.
    spill: bool,
    /// Where the track's own frames end, tail left out, once known.
    body_end: Option<usize>,
}

impl Voice {
    /// `under_tail`: it starts under the tail of the track it follows in a gapless run, so its
    /// lead-in is heard.
    fn new(track: PreparedTrack, crossfade_in: u64, rate: u32, under_tail: bool) -> Self {
        let trim = db_to_amp(track.gain_db);
        let mut fade = Fade::at(if crossfade_in == 0 { 1.0 } else { 0.0 });
        fade.restart(1.0, crossfade_in);
        let frames = |d: Duration| (d.as_secs_f64() * f64::from(rate)).round() as usize;
        let lead_in = track.lead_in as usize;
        let mut voice = Voice {
            lead_in,
            lead_in_to_skip: if under_tail { 0 } else { lead_in },
            spill: false,
            body_end: None,
            fade_in: frames(track.fade_in),
            fade_out: frames(track.fade_out),
            cut_fade: frames(CUT_CROSSFADE),
            known_available: 0,
            guard: frames(UNDERRUN_GUARD),
            starved: false,
            end: None,
            cut: false,
            track,
            position: 0,
            trim,
            fade,
            abandoned: false,
        };
        voice.refresh();
        voice
    }

    /// Reads the end from the feed: the loader learns it from the header at once, or from the
    /// end of the file a read-ahead early; a cut brings an earlier end. A cut found too late for
    /// its whole fade-out fades over what is left, so the gain never steps.
    fn refresh(&mut self) {
        let cut = self.track.feed.is_cut();
        let end = self.track.feed.end().map(|end| end as usize);
        // After the end, so it is that end's tail.
        let tail = self.track.feed.tail() as usize;
        self.body_end = end.map(|end| end - tail.min(end));
        self.end = if self.spill { end } else { self.body_end };
        if cut && !self.cut {
            self.cut = true;
            let remaining = self.remaining().unwrap_or(0);
            self.cut_fade = self.cut_fade.min(remaining);
            self.fade_out = self.fade_out.min(remaining);
        }
    }

    fn is_cut(&self) -> bool {
        self.cut
    }

    /// The track's own fade at the current frame: the fade-in rises from 0 on its first frame,
    /// the fade-out reaches 0 on its last, both on the rising half of the equal-power curve. A
    /// track found cut short fades out over its last stretch too, unless a crossfade already
    /// takes it out. A lead-in and a tail take the gain of the sample they border.
    fn envelope(&self, end: usize) -> f32 {
        let mut amp = 1.0;
        let into = self.position.saturating_sub(self.lead_in);
        if into < self.fade_in {
            amp *= equal_power(into as f32 / self.fade_in as f32).1;
        }
        let fade_out = if self.cut && !self.is_fading_out() {
            self.fade_out.max(self.cut_fade)
        } else {
            self.fade_out
        };
        let after = end.saturating_sub(1).saturating_sub(self.position);
        if after < fade_out {
            amp *= equal_power(after as f32 / fade_out as f32).1;
        }
        amp
    }

    /// Frames left to play, once the end is known.
    fn remaining(&self) -> Option<usize> {
        self.end.map(|end| end.saturating_sub(self.position))
    }

    fn has_ended(&self) -> bool {
        self.remaining() == Some(0)
    }

    fn fade_out(&mut self, length: u64) {
        let length = self.remaining().map_or(length, |r| length.min(r as u64));
        self.fade.restart(0.0, length);
    }

    fn is_fading_out(&self) -> bool {
        self.fade.target() == 0.0
    }

    fn is_silent(&self) -> bool {
        self.fade.is_done() && self.fade.target() == 0.0
    }

    /// Adds the next frame to `frame`; true when it has just met an underrun.
    fn add_next_frame(&mut self, frame: &mut [f32; 2]) -> bool {
        self.refresh();
        let end = self.end;
        if end.is_some_and(|end| self.position >= end) {
            return false;
        }
        while self.lead_in_to_skip > 0 {
            // Primed well past its lead-in, so this waits only on a loader far behind.
            if self.track.feed.next_frame().is_none() {
                return false;
            }
            self.lead_in_to_skip -= 1;
            self.position += 1;
            self.known_available = self.known_available.saturating_sub(1);
        }
        let starved_now = self.watch_supply(end);
        let Some([left, right]) = self.track.feed.next_frame() else {
            // Dry: the guard's fade has already reached silence, so nothing is lost.
            return starved_now;
        };
        self.known_available = self.known_available.saturating_sub(1);
        let envelope = self.body_end.map_or(1.0, |end| self.envelope(end));
        let gain = self.fade.next_amp() * self.trim * envelope;
        frame[0] += left * gain;
        frame[1] += right * gain;
        self.position += 1;
        starved_now
    }

    /// Notices an underrun coming while there are still frames to fade out over: a voice that
    /// ran dry mid-waveform would click.
    fn watch_supply(&mut self, end: Option<usize>) -> bool {
        if self.known_available > self.guard || self.starved {
            return false;
        }
        self.known_available = self.track.feed.available() as usize;
        let all_there = end.is_some_and(|end| self.position + self.known_available >= end);
        if all_there || self.known_available > self.guard {
            return false;
        }
        self.starved = true;
        self.fade.restart(0.0, self.known_available as u64);
        true
    }
}

struct Queued {
    track: PreparedTrack,
    join: Join,
}

pub struct Mixer {
    rate: u32,
    ceiling_amp: f32,
    current: Option<Voice>,
    /// Voices on their way out of a crossfade, still audible.
    outgoing: Vec<Voice>,
    queue: VecDeque<Queued>,
    level: GainRamp,
    mute: Fade,
    pause: Fade,
    paused: bool,
    limiter: Limiter,
    events: Vec<MixerEvent>,
    idle_reported: bool,
    /// Whether the limiter's delay line has been filled ahead of the first frame rendered.
    primed: bool,
    /// Frames rendered since everything queued had played, which carry its last frames out of
    /// the limiter's delay line.
    flushed: usize,
}

impl Mixer {
    pub fn new(config: &MixerConfig) -> Self {
        let ceiling_amp = db_to_amp(config.ceiling_db.min(0.0));
        Mixer {
            rate: config.rate,
            ceiling_amp,
            current: None,
            outgoing: Vec::new(),
            queue: VecDeque::new(),
            level: GainRamp::new(
                config.level_db.min(0.0),
                config.max_slew_db_per_second,
                config.rate,
            ),
            mute: Fade::at(1.0),
            pause: Fade::at(1.0),
            paused: false,
            limiter: Limiter::new(ceiling_amp, config.rate),
            events: Vec::new(),
            idle_reported: true,
            primed: false,
            flushed: 0,
        }
    }

    pub fn rate(&self) -> u32 {
        self.rate
    }

    pub fn ceiling_amp(&self) -> f32 {
        self.ceiling_amp
    }

    fn frames(&self, duration: Duration) -> u64 {
        (duration.as_secs_f64() * f64::from(self.rate)).round() as u64
    }

    /// Adds a track to the end of the queue. A track queued while nothing plays starts at once,
    /// faded in when `join` is a crossfade.
    pub fn enqueue(&mut self, track: PreparedTrack, join: Join) {
        self.queue.push_back(Queued { track, join });
        self.idle_reported = false;
    }

    /// Crossfades from what plays now to the next queued track, or fades out if none is queued.
    /// During a crossfade the track fading in is the one skipped: it fades out from the level it
    /// had reached, from where it is (it is never restarted), and the tracks already fading out
    /// carry on their way.
    pub fn skip(&mut self, crossfade: Duration) {
        let length = self.frames(crossfade);
        if let Some(mut voice) = self.current.take() {
            self.events.push(MixerEvent::Abandoned {
                id: voice.track.id,
                at_frame: voice.position,
            });
            voice.abandoned = true;
            voice.fade_out(length);
            self.outgoing.push(voice);
        }
        if let Some(next) = self.queue.pop_front() {
            self.start(next.track, length);
        }
        if self.is_frozen() {
            self.let_go_of_outgoing();
        }
    }

    /// Crossfades from what plays now into `track`, played once, after which the queue goes on
    /// as it was (the grounding track of a skip).
    pub fn skip_to(&mut self, track: PreparedTrack, crossfade: Duration) {
        self.queue.push_front(Queued {
            track,
            join: Join::Gapless,
        });
        self.idle_reported = false;
        self.skip(crossfade);
    }

    /// Replaces the queue with another playlist and crossfades into its first track now.
    pub fn switch(&mut self, tracks: impl IntoIterator<Item = (PreparedTrack, Join)>, crossfade: Duration) {
        self.queue = tracks
            .into_iter()
            .map(|(track, join)| Queued { track, join })
            .collect();
        self.idle_reported = false;
        self.skip(crossfade);
    }

    /// Fades out what plays and forgets the queue.
    pub fn stop(&mut self, fade: Duration) {
        self.queue.clear();
        self.skip(fade);
    }

    /// Glides to `level_db` (clamped to 0) over `over`, or more slowly
    /// if the slew limit requires.
    pub fn set_level(&mut self, level_db: f32, over: Duration) {
        let frames = self.frames(over);
        self.level.set_target(level_db.min(0.0), frames);
    }

    /// Arrives at `level_db` at once, whatever the slew limit: only for when nothing is heard,
    /// where a glide would only be heard later, over whatever fades in then.
    pub fn set_level_now(&mut self, level_db: f32) {
        self.level.jump_to(level_db.min(0.0));
    }

    pub fn level_db(&self) -> f32 {
        self.level.target_db()
    }

    /// Mute keeps the music running underneath; unmuting brings it back where it has got to.
    pub fn set_muted(&mut self, muted: bool, fade: Duration) {
        let length = self.frames(fade);
        self.mute.restart(if muted { 0.0 } else { 1.0 }, length);
    }

    /// Pause fades out, then holds the track where it is (and lets go of any on their way out);
    /// resuming fades back in from there.
    pub fn set_paused(&mut self, paused: bool, fade: Duration) {
        let length = self.frames(fade);
        self.paused = paused;
        self.pause.restart(if paused { 0.0 } else { 1.0 }, length);
    }

    pub fn is_idle(&self) -> bool {
        self.current.is_none() && self.outgoing.is_empty() && self.queue.is_empty()
    }

    /// Whether anything can be heard now or soon: a track plays, fades out or waits in the queue,
    /// and neither mute nor pause holds everything at silence. The level is not asked: music
    /// turned all the way down still runs, and a jump in level would bring it back at once.
    pub fn is_heard(&self) -> bool {
        let held_silent = |fade: &Fade| fade.is_done() && fade.target() == 0.0;
        !self.is_idle() && !held_silent(&self.mute) && !held_silent(&self.pause)
    }

    /// Paused, and the pause's fade has reached silence: nothing moves.
    fn is_frozen(&self) -> bool {
        self.paused && self.pause.is_done()
    }

    /// A frozen voice on its way out would finish its fade only after the resume, bringing a
    /// track the room had left (stopped, skipped, switched from, crossfaded out of) back into
    /// whatever plays then. So a pause that has reached silence lets them go: only the track
    /// that plays comes back.
    fn let_go_of_outgoing(&mut self) {
        if self.outgoing.is_empty() {
            return;
        }
        let events = &mut self.events;
        for voice in self.outgoing.drain(..) {
            if !voice.abandoned {
                events.push(MixerEvent::Abandoned {
                    id: voice.track.id,
                    at_frame: voice.position,
                });
            }
        }
        if self.is_idle() && !self.idle_reported {
            self.idle_reported = true;
            self.events.push(MixerEvent::Idle);
        }
    }

    /// The id and frame position of the track that plays (or fades in) now.
    pub fn now_playing(&self) -> Option<(u64, usize)> {
        self.current.as_ref().map(|v| (v.track.id, v.position))
    }

    /// Whether every track the next `frames` may read has them ready (or ends sooner), beyond
    /// the underrun guard. For an unpaced render, which can afford to wait for the loader.
    pub fn is_supplied(&self, frames: usize) -> bool {
        let needed = (frames as u64) + self.frames(UNDERRUN_GUARD) + 1;
        let voices = self.current.iter().chain(&self.outgoing).filter(|v| !v.starved);
        let queued = self.queue.iter().take(2).map(|q| &q.track.feed);
        voices
            .map(|v| &v.track.feed)
            .chain(queued)
            .all(|feed| feed.can_supply(needed))
    }

    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    pub fn drain_events(&mut self) -> std::vec::Drain<'_, MixerEvent> {
        self.events.drain(..)
    }

    /// Starts a track, crossfading in over `fade_in` frames, at its own trim from its first
    /// sample, gapless or not.
    fn start(&mut self, track: PreparedTrack, fade_in: u64) {
        self.events.push(MixerEvent::Started { id: track.id });
        self.current = Some(Voice::new(track, fade_in, self.rate, false));
    }

    /// Starts a track under the tail of the one playing, whose gapless run it carries on: that
    /// one plays out its tail under this one's lead-in, and neither fades.
    fn start_under_tail(&mut self, track: PreparedTrack) {
        if let Some(mut voice) = self.current.take() {
            voice.spill = true;
            voice.refresh();
            self.outgoing.push(voice);
        }
        self.events.push(MixerEvent::Started { id: track.id });
        self.current = Some(Voice::new(track, 0, self.rate, true));
    }

    /// Whether everything queued has played to its last frame, so rendering on would only add
    /// silence. Unlike [`Mixer::is_idle`] it is true right after the last frame, not one later.
    pub fn is_done(&self) -> bool {
        self.has_played_all() && self.flushed >= self.limiter.latency()
    }

    /// Whether everything queued has gone into the limiter; its last frames are still on their
    /// way out for [`Limiter::latency`] frames.
    fn has_played_all(&self) -> bool {
        let ended = |v: &Voice| v.has_ended() || v.is_silent();
        self.queue.is_empty() && self.current.as_ref().is_none_or(ended) && self.outgoing.iter().all(ended)
    }

    /// Frames between the mixer taking a frame from its tracks and giving it out: the
    /// limiter's look-ahead. Commands act on what the tracks give next, so they are heard this
    /// much later; the very start of what was queued before the first render is not delayed.
    pub fn latency(&self) -> usize {
        self.limiter.latency()
    }

    /// Before the first frame: fills the limiter's delay line from what is queued, so that the
    /// first frame out is the first frame played. An offline render thus lines up with its
    /// tracks to the sample, and a device starts no later than it would have.
    fn prime(&mut self) {
        if self.primed {
            return;
        }
        self.primed = true;
        for _ in 0..self.limiter.latency() {
            self.next_frame();
        }
    }

    /// Like [`Mixer::render`], but stops once [`Mixer::is_done`]; returns the frames rendered.
    /// The rest of `out` is left as it was.
    pub fn render_until_done(&mut self, out: &mut [f32]) -> usize {
        self.prime();
        let mut rendered = 0;
        for frame in out.chunks_exact_mut(CHANNELS) {
            if self.is_done() {
                break;
            }
            let [left, right] = self.next_frame();
            frame[0] = left;
            frame[1] = right;
            rendered += 1;
        }
        rendered
    }

    /// Fills `out` (interleaved stereo) with the next frames. Silence when nothing plays.
    pub fn render(&mut self, out: &mut [f32]) {
        self.prime();
        let frames = out.len() / CHANNELS;
        let mut at = 0;
        while at < frames {
            let steady = self.steady_frames(frames - at);
            if steady > 0 {
                at += self.render_steady(&mut out[at * CHANNELS..(at + steady) * CHANNELS]);
                continue;
            }
            // Not steady (a fade, a join): frame by frame for a while before asking again.
            let end = frames.min(at + UNSTEADY_FRAMES);
            for frame in out[at * CHANNELS..end * CHANNELS].chunks_exact_mut(CHANNELS) {
                let [left, right] = self.next_frame();
                frame[0] = left;
                frame[1] = right;
            }
            at = end;
        }
        out[frames * CHANNELS..].fill(0.0);
    }

    fn next_frame(&mut self) -> [f32; 2] {
        // Frozen only once the fade has reached silence, so every faded frame still moves on.
        let frozen = self.is_frozen();
        // Taken before the frame: the frame that plays the last of the tracks carries nothing
        // out of the limiter yet.
        let after_the_end = self.has_played_all();
        let pause = self.pause.next_amp();
        let mut mix = [0.0f32; 2];
        if frozen {
            self.let_go_of_outgoing();
        } else {
            self.advance_queue();
            let starved = self
                .current
                .as_mut()
                .is_some_and(|voice| voice.add_next_frame(&mut mix));
            for voice in &mut self.outgoing {
                if voice.add_next_frame(&mut mix) {
                    self.events.push(MixerEvent::Underrun {
                        id: voice.track.id,
                        at_frame: voice.position,
                    });
                }
            }
            if starved {
                self.on_underrun();
            }
            self.retire_voices();
        }
        let gain = self.level.next_amp() * self.mute.next_amp() * pause;
        let (left, right) = self.limiter.process(mix[0] * gain, mix[1] * gain);
        self.flushed = if after_the_end {
            self.flushed.saturating_add(1)
        } else {
            0
        };
        [left, right]
    }

    /// The track playing met an underrun and fades out over what it has: it is let go as a
    /// failed track, and the next one crossfades in over the same stretch.
    fn on_underrun(&mut self) {
        let Some(mut voice) = self.current.take() else {
            return;
        };
        let length = voice.known_available as u64;
        self.events.push(MixerEvent::Underrun {
            id: voice.track.id,
            at_frame: voice.position,
        });
        self.events.push(MixerEvent::Abandoned {
            id: voice.track.id,
            at_frame: voice.position,
        });
        voice.abandoned = true;
        self.outgoing.push(voice);
        if let Some(next) = self.queue.pop_front() {
            self.start(next.track, length.max(1));
        }
    }

    /// Starts whatever must sound at this frame: the next track right after the last sample of
    /// the current one (gapless), or at the start of the current one's last stretch when the
    /// next asks for a crossfade.
    fn advance_queue(&mut self) {
        while let Some(next) = self.queue.front() {
            let join = next.join;
            let mut crossfade_frames = match join {
                Join::Gapless => 0,
                Join::Crossfade(length) => self.frames(length),
            };
            // A track found cut short never joins gaplessly: it ends where it breaks off.
            let cut = self.current.as_ref().is_some_and(Voice::is_cut);
            if cut {
                crossfade_frames = crossfade_frames.max(self.frames(CUT_CROSSFADE));
            }
            let carries_on = |voice: &Voice| {
                join == Join::Gapless
                    && !cut
                    && next.track.follows == Some(voice.track.id)
                    && voice.remaining().is_some_and(|r| r as u64 <= next.track.lead_in)
            };
            match &mut self.current {
                Some(voice) if carries_on(voice) => {
                    let next = self.queue.pop_front().expect("front exists");
                    self.start_under_tail(next.track);
                }
                None => {
                    let next = self.queue.pop_front().expect("front exists");
                    self.start(next.track, crossfade_frames);
                }
                Some(voice) if voice.has_ended() => {
                    self.events.push(MixerEvent::Finished { id: voice.track.id });
                    self.current = None;
                    continue;
                }
                Some(voice)
                    if crossfade_frames > 0
                        && !voice.is_fading_out()
                        && voice.remaining().is_some_and(|r| r as u64 <= crossfade_frames) =>
                {
                    // The outgoing fade ends on its last sample; the incoming one gets the same
                    // length so the two form one equal-power curve.
                    let length = voice.remaining().expect("guarded") as u64;
                    let mut voice = self.current.take().expect("matched Some");
                    voice.fade_out(length);
                    self.outgoing.push(voice);
                    let next = self.queue.pop_front().expect("front exists");
                    self.start(next.track, length);
                }
                _ => break,
            }
            // A track shorter than nothing (empty) must not stall the queue.
            if self.current.as_ref().is_some_and(|v| !v.has_ended()) {
                break;
            }
        }
        if let Some(voice) = &self.current
            && voice.has_ended()
            && self.queue.is_empty()
        {
            self.events.push(MixerEvent::Finished { id: voice.track.id });
            self.current = None;
        }
    }

    fn retire_voices(&mut self) {
        let events = &mut self.events;
        self.outgoing.retain(|voice| {
            let ended = voice.has_ended();
            if ended && !voice.abandoned {
                events.push(MixerEvent::Finished { id: voice.track.id });
            }
            !(ended || voice.is_silent())
        });
        if self.is_idle() && !self.idle_reported {
            self.idle_reported = true;
            self.events.push(MixerEvent::Idle);
        }
    }
}

#[path = "mixer_steady.rs"]
mod steady;

#[cfg(test)]
#[path = "mixer_tests.rs"]
mod tests;
