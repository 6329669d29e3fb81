//! The layers: the scene's own looks and music, under the overrides and the therapist's
//! nudges. Works out what each zone and the music should be, and sends only what changed.

use crate::scene::Look;
use crate::time::Millis;

use super::action::{Action, MusicTarget, TrackPosition};
use super::command::Target;
use super::core::Timeline;
use super::event::{EventKind, OverrideKind};
use super::policy::OverrideLook;
use super::state::{Nudge, Override, mix};

/// Fastest a scene-level change may be: the brief forbids abrupt changes.
const MIN_SCENE_FADE: Millis = Millis(1000);
/// The volume floor of the nudges, in dB: below this the therapist should mute instead.
pub const MIN_VOLUME_OFFSET_DB: f32 = -40.0;

impl Timeline {
    /// Every zone of the room plus any the scene names.
    pub(super) fn all_zones(&self) -> Vec<String> {
        let mut zones = self.policy.zones.clone();
        zones.extend(self.scene.zones());
        zones.sort();
        zones.dedup();
        zones
    }

    /// The most urgent override that sets this zone's light, with the look it imposes.
    pub(super) fn override_look(&self, zone: &str) -> Option<(&Override, OverrideLook)> {
        let look_of = |o: &Override| match o.kind {
            OverrideKind::Emergency => Some(self.policy.emergency),
            OverrideKind::Check => Some(self.policy.check),
            OverrideKind::Pause if o.walk_light => Some(self.policy.walk),
            OverrideKind::Pause => None,
        };
        self.state
            .overrides
            .iter()
            .filter(|o| o.target.covers(zone))
            .filter_map(|o| Some((o, look_of(o)?)))
            .min_by_key(|(o, _)| o.kind)
    }

    /// Where the scene wants this zone to end up now, and how long is left of a running ramp.
    fn scene_target(&self, zone: &str, tl: Millis) -> Option<(Look, Option<Millis>)> {
        let zs = self.state.scene_lights.get(zone)?;
        let nudge = self.state.light_nudges.get(zone).copied().unwrap_or_default();
        let (look, remaining) = match &zs.ramp {
            Some(r) if tl >= r.start && tl < r.end => (r.to, Some(r.end - tl)),
            Some(r) if tl >= r.end => (r.to, None),
            _ => (zs.look, None),
        };
        Some((nudged(look, nudge), remaining))
    }

    /// What the zone is meant to show at this moment (a ramp part-way along), for status.
    pub(super) fn current_look(&self, zone: &str, tl: Millis) -> Option<Look> {
        if let Some((_, o)) = self.override_look(zone) {
            return Some(o.look);
        }
        let zs = self.state.scene_lights.get(zone)?;
        let nudge = self.state.light_nudges.get(zone).copied().unwrap_or_default();
        let look = match &zs.ramp {
            Some(r) if tl >= r.start => {
                let span = (r.end - r.start).0.max(1) as f64;
                mix(zs.look, r.to, (tl - r.start).0 as f64 / span)
            }
            _ => zs.look,
        };
        Some(nudged(look, nudge))
    }

    /// Sends the zone's look if it changed (or always, when `force`). A scene-level change
    /// uses `scene_fade`, stretched to the end of a running ramp so the ramp carries on.
    pub(super) fn refresh_zone(
        &mut self,
        zone: &str,
        scene_fade: Millis,
        force: bool,
        out: &mut Vec<Action>,
    ) {
        let tl = self.state.timeline;
        let (look, fade, urgent) = if let Some((o, look)) = self.override_look(zone) {
            // A check is the therapist looking at the client: like the emergency, it never
            // waits behind the scene's traffic for the network's budget.
            let urgent = matches!(o.kind, OverrideKind::Emergency | OverrideKind::Check);
            (look.look, look.fade, urgent)
        } else if let Some((look, remaining)) = self.scene_target(zone, tl) {
            let fade = scene_fade.max(MIN_SCENE_FADE);
            (look, remaining.map_or(fade, |r| r.max(fade)), false)
        } else if let Some(lit) = self.state.emitted_lights.get(zone) {
            // The scene does not light this zone, but an override did (a check or an emergency
            // on the whole room lights the mats' lamps too): when it ends, the zone goes back
            // to dark, slowly and in the same colour, rather than staying lit for the rest of
            // the session.
            let dark = Look {
                brightness: 0.0,
                kelvin: lit.kelvin,
            };
            (dark, scene_fade.max(MIN_SCENE_FADE), false)
        } else {
            return;
        };
        if !force && self.state.emitted_lights.get(zone) == Some(&look) {
            return;
        }
        self.state.emitted_lights.insert(zone.to_string(), look);
        out.push(Action::Light {
            zone: zone.to_string(),
            look,
            fade,
            urgent,
        });
        self.log(
            out,
            EventKind::LookSet {
                zone: zone.to_string(),
                brightness: look.brightness,
                kelvin: look.kelvin,
                fade,
            },
        );
    }

    pub(super) fn refresh_zones(
        &mut self,
        target: &Target,
        fade: Millis,
        force: bool,
        out: &mut Vec<Action>,
    ) {
        for zone in self.all_zones() {
            if target.covers(&zone) {
                self.refresh_zone(&zone, fade, force, out);
            }
        }
    }

    /// The music as the layers want it now.
    pub(super) fn music_target(&self, fade: Millis) -> MusicTarget {
        let room = |kind: OverrideKind| {
            self.state
                .overrides
                .iter()
                .any(|o| o.kind == kind && o.target == Target::Room)
        };
        let scene = &self.state.scene_music;
        let mut level = (scene.level_db + self.state.volume_offset_db).min(0.0);
        if room(OverrideKind::Check) {
            level -= self.policy.check_duck_db;
        }
        MusicTarget {
            playlist: scene.playlist.clone(),
            level_db: level,
            muted: self.state.muted || room(OverrideKind::Emergency),
            paused: room(OverrideKind::Pause),
            fade,
            resume_from: None,
        }
    }

    /// Sends the music target if it changed (or always, when `force`).
    pub(super) fn sync_music(&mut self, fade: Millis, force: bool, out: &mut Vec<Action>) {
        let target = self.music_target(fade);
        if !force
            && self
                .state
                .emitted_music
                .as_ref()
                .is_some_and(|m| m.same_state(&target))
        {
            return;
        }
        self.log_music(&target, out);
        self.state.emitted_music = Some(target.clone());
        out.push(Action::Music(target));
    }

    fn log_music(&self, target: &MusicTarget, out: &mut Vec<Action>) {
        self.log(
            out,
            EventKind::MusicSet {
                playlist: target.playlist.clone(),
                level_db: target.level_db,
                muted: target.muted,
                paused: target.paused,
                fade: target.fade,
            },
        );
    }

    /// After a restart: always sends the music target, telling the player where in the
    /// playlist the music had got to, since it starts from nothing.
    pub(super) fn resume_music(&mut self, fade: Millis, out: &mut Vec<Action>) {
        let mut target = self.music_target(fade);
        target.resume_from = self.resume_position(target.playlist.as_deref());
        if target.resume_from.is_some()
            && let Some(track) = &mut self.state.current_track
        {
            track.resuming = true;
        }
        self.log_music(&target, out);
        self.state.emitted_music = Some(target.clone());
        out.push(Action::Music(target));
    }

    /// Where the current track has got to, if it belongs to `playlist` and its start is known.
    /// Counted on the music clock, which ran on through the downtime as the session did (or,
    /// for a track noted by an older version, in timeline time).
    fn resume_position(&self, playlist: Option<&str>) -> Option<TrackPosition> {
        let track = self.state.current_track.as_ref()?;
        if playlist != Some(track.playlist.as_str()) {
            return None;
        }
        let offset = match track.started_music {
            Some(start) => self.state.music_clock - start,
            None => self.state.timeline - track.started_at?,
        };
        Some(TrackPosition {
            path: track.path.clone(),
            offset,
        })
    }

    /// Clamps a nudge of the volume offset to the room's limits.
    pub(super) fn clamp_volume_offset(&self, offset: f32) -> f32 {
        offset.clamp(MIN_VOLUME_OFFSET_DB, self.policy.max_volume_boost_db)
    }
}

fn nudged(look: Look, nudge: Nudge) -> Look {
    Look {
        brightness: (look.brightness + nudge.brightness).clamp(0.0, 100.0),
        kelvin: (look.kelvin as i32 + nudge.kelvin).clamp(1000, 10000) as u16,
    }
}
