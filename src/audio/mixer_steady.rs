//! The mixer's steady stretch: one track playing at settled gains, nothing due for a while. It
//! is nearly all of a session, so there the mixer copies frames through one gain and the
//! limiter instead of asking every fade, ramp and queue rule about every frame. Each rule is
//! asked once how long it will stay quiet, and the stretch ends before the first is due; the
//! samples are the very ones the frame-by-frame path gives, in the same arithmetic order.

use super::{CHANNELS, Join, Mixer, Voice};

impl Mixer {
    /// How many of the next `max` frames are steady; 0 when the frame-by-frame path is needed.
    pub(super) fn steady_frames(&mut self, max: usize) -> usize {
        let master_settled =
            !self.paused && self.pause.is_constant() && self.mute.is_constant() && self.level.is_settled();
        if !master_settled || !self.outgoing.is_empty() {
            return 0;
        }
        // A next track waits: the stretch must end before its crossfade (or a cut's) begins.
        // One that carries on the gapless run starts its lead-in before the end.
        let current = self.current.as_ref().map(|voice| voice.track.id);
        let next_crossfade = self.queue.front().map(|next| match next.join {
            Join::Gapless if next.track.follows.is_some() && next.track.follows == current => {
                next.track.lead_in
            }
            Join::Gapless => 0,
            Join::Crossfade(length) => self.frames(length),
        });
        let cut_crossfade = self.frames(super::CUT_CROSSFADE);
        let Some(voice) = &mut self.current else {
            return 0;
        };
        voice.refresh();
        let next_crossfade = next_crossfade.map(|frames| {
            if voice.is_cut() {
                frames.max(cut_crossfade)
            } else {
                frames
            }
        });
        voice.steady_frames(max, next_crossfade)
    }

    /// Renders `out` (interleaved stereo), which [`Mixer::steady_frames`] has just said is
    /// steady; returns the frames rendered, short only if the feed unexpectedly ran out.
    pub(super) fn render_steady(&mut self, out: &mut [f32]) -> usize {
        let Some(voice) = &mut self.current else {
            return 0;
        };
        // Settled, so these are the same every frame; the fades' positions move on below.
        let pause = self.pause.value();
        let master = self.level.next_amp() * self.mute.value() * pause;
        let gain = voice.fade.value() * voice.trim;
        let rendered = voice.track.feed.read_into(out);
        let out = &mut out[..rendered * CHANNELS];
        for sample in out.iter_mut() {
            // `0.0 +` as the frame-by-frame path's mix starts from silence: the same bits.
            *sample = (0.0 + *sample * gain) * master;
        }
        self.limiter.process_block(out);
        // A steady stretch has a track playing, so nothing is being carried out of the limiter.
        self.flushed = 0;
        voice.position += rendered;
        voice.known_available -= rendered;
        voice.fade.advance(rendered as u64);
        // Both stepped every frame on the frame-by-frame path, played or not.
        self.pause.advance(rendered as u64);
        self.mute.advance(rendered as u64);
        rendered
    }
}

impl Voice {
    /// How many of the next `max` frames need none of this voice's rules: its fades settled, outside its fade-in and fade-out, clear of the underrun guard and of the point
    /// where the next track (`next_crossfade` frames before the end, when one is queued) joins.
    fn steady_frames(&self, max: usize, next_crossfade: Option<u64>) -> usize {
        if self.starved
            || !self.fade.is_constant()
            || self.lead_in_to_skip > 0
            || self.position < self.lead_in + self.fade_in
        {
            return 0;
        }
        // The guard is checked before each frame is read, against what is known to be left.
        let mut frames = max.min(self.known_available.saturating_sub(self.guard));
        if let Some(end) = self.end {
            let fade_out = if self.cut && !self.is_fading_out() {
                self.fade_out.max(self.cut_fade)
            } else {
                self.fade_out
            };
            let joins = next_crossfade.map_or(0, |frames| usize::try_from(frames).unwrap_or(usize::MAX));
            let quiet_until = end.saturating_sub(fade_out.max(joins));
            frames = frames.min(quiet_until.saturating_sub(self.position));
        }
        frames
    }
}
