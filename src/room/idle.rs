//! The room with no session running: an emergency must never do nothing, so it lights the
//! zones and mutes the music straight from the policy, and holds the room until a `resume`
//! that means it (or a session's start) lets go. Who may set the lights follows from it.

use std::collections::BTreeSet;

use crate::timeline::{MusicTarget, OverrideKind, OverrideLook, Policy};

/// An emergency with no session, as held: its zones.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdleEmergency {
    zones: BTreeSet<String>,
}

/// What an emergency with no session asks of the room.
#[derive(Clone, Debug, PartialEq)]
pub struct IdleOrders {
    /// The zones lit, each to `look`.
    pub zones: Vec<String>,
    pub look: OverrideLook,
    pub music: MusicTarget,
}

/// Who may set the lights now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LightsOwner {
    /// Nothing running: the technicians' commands and tests go through.
    Technician,
    /// A session's scene owns them; the therapist nudges through the session.
    Session,
    /// An emergency with no session holds them until `resume`.
    Emergency,
}

/// Who owns the lights, from what is running.
pub fn lights_owner(session_running: bool, idle: Option<&IdleEmergency>) -> LightsOwner {
    match (session_running, idle) {
        (true, _) => LightsOwner::Session,
        (false, Some(_)) => LightsOwner::Emergency,
        (false, None) => LightsOwner::Technician,
    }
}

impl IdleEmergency {
    pub fn zones(&self) -> Vec<String> {
        self.zones.iter().cloned().collect()
    }

    /// An emergency for `zone` (or the room) with no session: the orders, and the held
    /// emergency it leaves (joined with one already held). An unknown zone is refused with
    /// the zones the room has.
    pub fn begin(
        held: Option<&IdleEmergency>,
        policy: &Policy,
        zone: Option<&str>,
    ) -> Result<(IdleOrders, IdleEmergency), String> {
        let zones: Vec<String> = match zone {
            None => policy.zones.clone(),
            Some(zone) if policy.zones.iter().any(|z| z == zone) => vec![zone.to_string()],
            Some(zone) => {
                return Err(format!(
                    "unknown zone `{zone}`; this room has: {}",
                    policy.zones.join(", ")
                ));
            }
        };
        Ok(IdleEmergency::begin_zones(held, policy, zones))
    }

    /// [`IdleEmergency::begin`] for zones already known to be the room's (a direct
    /// emergency's, as its marker names them).
    pub fn begin_zones(
        held: Option<&IdleEmergency>,
        policy: &Policy,
        zones: Vec<String>,
    ) -> (IdleOrders, IdleEmergency) {
        let mut music = MusicTarget::silence();
        music.muted = true;
        music.fade = policy.emergency_music_fade;
        let mut now_held = held.cloned().unwrap_or_default();
        now_held.zones.extend(zones.iter().cloned());
        let orders = IdleOrders {
            zones,
            look: policy.emergency,
            music,
        };
        (orders, now_held)
    }

    /// Whether a `resume` of `kind` for `zone` means this emergency. A pause switch's
    /// `kind: pause`, or another zone's resume, must never end it.
    pub fn ended_by(&self, kind: Option<OverrideKind>, zone: Option<&str>) -> bool {
        matches!(kind, None | Some(OverrideKind::Emergency)) && zone.is_none_or(|z| self.zones.contains(z))
    }

    /// What is still held after a resume for `zone` (or the room): `None` when nothing is.
    pub fn end(mut self, zone: Option<&str>) -> Option<IdleEmergency> {
        match zone {
            Some(zone) if self.zones.len() > 1 => {
                self.zones.remove(zone);
                Some(self)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Millis;

    fn policy() -> Policy {
        Policy {
            zones: vec!["mat-1".into(), "mat-2".into()],
            emergency_music_fade: Millis(500),
            ..Policy::default()
        }
    }

    #[test]
    fn an_emergency_with_no_session_lights_the_zones_and_mutes() {
        let (orders, held) = IdleEmergency::begin(None, &policy(), None).unwrap();
        assert_eq!(orders.zones, ["mat-1", "mat-2"]);
        assert!(orders.music.muted);
        assert_eq!(orders.music.fade, Millis(500));
        assert_eq!(held.zones(), ["mat-1", "mat-2"]);
        assert_eq!(lights_owner(false, Some(&held)), LightsOwner::Emergency);
        assert_eq!(lights_owner(true, Some(&held)), LightsOwner::Session);
        assert_eq!(lights_owner(false, None), LightsOwner::Technician);
    }

    #[test]
    fn zones_join_and_end_one_by_one() {
        let (_, held) = IdleEmergency::begin(None, &policy(), Some("mat-1")).unwrap();
        let (_, held) = IdleEmergency::begin(Some(&held), &policy(), Some("mat-2")).unwrap();
        assert!(!held.ended_by(Some(OverrideKind::Pause), None));
        assert!(held.ended_by(None, Some("mat-2")));
        let held = held.end(Some("mat-2")).expect("mat-1 still held");
        assert_eq!(held.zones(), ["mat-1"]);
        assert!(!held.ended_by(None, Some("mat-2")));
        assert_eq!(held.end(Some("mat-1")), None);
    }

    #[test]
    fn an_unknown_zone_is_refused_with_the_rooms_zones() {
        let refused = IdleEmergency::begin(None, &policy(), Some("mat-9")).unwrap_err();
        assert!(refused.contains("mat-1, mat-2"), "{refused}");
    }
}
