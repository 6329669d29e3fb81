//! A direct emergency handed over to the daemon: `setting emergency` lit the room through the
//! broker while the daemon did not answer, and the daemon that comes back (or runs on after
//! being stuck) takes it over instead of dimming the room back to the scene. What that means
//! for the room is decided here; reading the marker file is the shell's.

use crate::timeline::{Action, Command, Policy, Request, Source, Target, Via};

/// A direct emergency as the daemon takes it over.
#[derive(Clone, Debug, PartialEq)]
pub struct Handover {
    pub targets: Vec<Target>,
    /// Who sent it, audited as `cli-direct`.
    pub source: Source,
    /// How the daemon's log and the audit name it.
    pub said: String,
}

impl Handover {
    /// An emergency for the whole room or for `zones`, sent by `who`.
    pub fn new(whole_room: bool, zones: &[String], who: Option<String>, said: String) -> Handover {
        let targets = if whole_room {
            vec![Target::Room]
        } else {
            zones.iter().cloned().map(Target::Zone).collect()
        };
        Handover {
            targets,
            source: Source {
                via: Via::CliDirect,
                who,
            },
            said,
        }
    }

    /// A marker that cannot be read is still a marker: dimming a room someone lit in an
    /// emergency is the worse mistake, so it is the whole room's.
    pub fn unreadable(reason: &str) -> Handover {
        Handover::new(
            true,
            &[],
            None,
            format!("marker unreadable ({reason}); the whole room"),
        )
    }

    pub fn covers(&self, zone: &str) -> bool {
        self.targets.iter().any(|t| t.covers(zone))
    }

    /// The session's own decisions with the looks for the zones it covers left out: they
    /// would dim the room for a moment before the emergency lit it again.
    pub fn over(&self, actions: Vec<Action>) -> Vec<Action> {
        actions
            .into_iter()
            .filter(|a| !matches!(a, Action::Light { zone, .. } if self.covers(zone)))
            .collect()
    }

    /// The emergencies the session takes, one per target.
    pub fn requests(&self) -> Vec<Request> {
        self.targets
            .iter()
            .map(|target| Request {
                command: Command::Emergency,
                target: target.clone(),
                source: self.source.clone(),
            })
            .collect()
    }

    /// With no session running: the room's zones it lights.
    pub fn idle_zones(&self, policy: &Policy) -> Vec<String> {
        policy.zones.iter().filter(|z| self.covers(z)).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::Look;
    use crate::time::Millis;

    fn light(zone: &str) -> Action {
        Action::Light {
            zone: zone.into(),
            look: Look {
                brightness: 10.0,
                kelvin: 2200,
            },
            fade: Millis(1000),
            urgent: false,
        }
    }

    #[test]
    fn a_zones_emergency_leaves_out_only_that_zones_looks() {
        let handover = Handover::new(false, &["mat-1".into()], Some("ana".into()), "by ana".into());
        let kept = handover.over(vec![light("mat-1"), light("mat-2")]);
        assert_eq!(kept, [light("mat-2")]);
        let requests = handover.requests();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].target, Target::Zone("mat-1".into()));
        assert_eq!(requests[0].source.via, Via::CliDirect);
        let policy = Policy {
            zones: vec!["mat-1".into(), "mat-2".into()],
            ..Policy::default()
        };
        assert_eq!(handover.idle_zones(&policy), ["mat-1"]);
    }

    #[test]
    fn an_unreadable_marker_is_the_whole_rooms_emergency() {
        let handover = Handover::unreadable("half a file");
        assert!(handover.over(vec![light("mat-1"), light("room")]).is_empty());
        assert_eq!(handover.requests()[0].target, Target::Room);
        assert!(handover.said.contains("half a file"));
    }
}
