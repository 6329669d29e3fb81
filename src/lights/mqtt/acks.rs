//! Which publish a PUBACK answers. rumqttc hands out packet ids only as publishes leave, in the
//! order they were queued, so the queue order names each packet id; a refusal (v5 reason code,
//! e.g. 135 NotAuthorized from an ACL) is then traced back to its light and topic.

use std::collections::{HashMap, VecDeque};

/// What was published, for the report of a refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The light's name, or `None` for the daemon's own status.
    pub light: Option<String>,
    pub topic: String,
}

#[derive(Debug, Default)]
pub struct Acks {
    queued: VecDeque<Sent>,
    in_flight: HashMap<u16, Sent>,
}

impl Acks {
    /// A publish was handed to the client.
    pub fn queued(&mut self, sent: Sent) {
        self.queued.push_back(sent);
    }

    /// The oldest queued publish left with `pkid`.
    pub fn left(&mut self, pkid: u16) {
        if let Some(sent) = self.queued.pop_front() {
            self.in_flight.insert(pkid, sent);
        }
    }

    /// The broker answered `pkid`: what it was.
    pub fn acked(&mut self, pkid: u16) -> Option<Sent> {
        self.in_flight.remove(&pkid)
    }

    /// The connection dropped: with a clean session nothing queued or in flight is resent.
    pub fn clear(&mut self) {
        self.queued.clear();
        self.in_flight.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(light: &str, topic: &str) -> Sent {
        Sent {
            light: Some(light.into()),
            topic: topic.into(),
        }
    }

    #[test]
    fn packet_ids_follow_the_queue_order() {
        let mut acks = Acks::default();
        acks.queued(sent("a", "x/a/set"));
        acks.queued(sent("b", "x/b/set"));
        acks.left(7);
        acks.left(8);
        assert_eq!(acks.acked(8), Some(sent("b", "x/b/set")));
        assert_eq!(acks.acked(7), Some(sent("a", "x/a/set")));
        assert_eq!(acks.acked(7), None);
    }

    #[test]
    fn a_dropped_connection_forgets_everything() {
        let mut acks = Acks::default();
        acks.queued(sent("a", "x/a/set"));
        acks.left(1);
        acks.queued(sent("b", "x/b/set"));
        acks.clear();
        acks.left(2);
        assert_eq!(acks.acked(1), None);
        assert_eq!(acks.acked(2), None);
    }
}
