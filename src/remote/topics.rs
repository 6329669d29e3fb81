//! The topic tree of one room on a shared broker, under the configured prefix (`setting`):
//!
//! - `setting/ROOM/state`: the room's retained state; the daemon's last will marks it offline.
//! - `setting/ROOM/request/USER`: requests, one protocol request per message. The broker's ACL
//!   lets each account write only under its own name, so the last level says who sent it.
//! - `setting/ROOM/reply/USER/...`: replies, to the MQTT 5 response topic the request named,
//!   which must lie under the sender's own branch: nobody can make the daemon publish
//!   anywhere else, or read another sender's replies.

use crate::config::user_level_problem;

/// The name a client without a broker account sends under. Only a broker that lets anyone
/// in accepts it, and then the name proves nothing.
pub const ANONYMOUS: &str = "anonymous";

/// One room's topics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomTopics {
    prefix: String,
    room: String,
}

impl RoomTopics {
    pub fn new(prefix: &str, room: &str) -> RoomTopics {
        RoomTopics {
            prefix: prefix.to_string(),
            room: room.to_string(),
        }
    }

    pub fn room(&self) -> &str {
        &self.room
    }

    /// The retained state document, and the last will's topic.
    pub fn state(&self) -> String {
        format!("{}/{}/state", self.prefix, self.room)
    }

    /// What the daemon subscribes to for requests.
    pub fn request_filter(&self) -> String {
        format!("{}/{}/request/+", self.prefix, self.room)
    }

    /// Where `user` sends requests.
    pub fn request(&self, user: &str) -> String {
        format!("{}/{}/request/{user}", self.prefix, self.room)
    }

    /// The sender of a request that arrived on `topic`, if it is one of this room's request
    /// topics.
    pub fn sender_of<'t>(&self, topic: &'t str) -> Option<&'t str> {
        let rest = topic
            .strip_prefix(self.prefix.as_str())?
            .strip_prefix('/')?
            .strip_prefix(self.room.as_str())?
            .strip_prefix("/request/")?;
        (user_level_problem(rest).is_none()).then_some(rest)
    }

    /// The branch `user`'s replies go under; a client adds its own last level.
    pub fn reply_branch(&self, user: &str) -> String {
        format!("{}/{}/reply/{user}", self.prefix, self.room)
    }

    /// Whether the daemon may answer `user` on `response_topic`: only below the user's own
    /// reply branch, and only on a plain topic (no wildcards).
    pub fn reply_allowed(&self, user: &str, response_topic: &str) -> bool {
        let branch = self.reply_branch(user);
        response_topic
            .strip_prefix(branch.as_str())
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|rest| {
                !rest.is_empty() && !rest.contains(['+', '#']) && !rest.split('/').any(str::is_empty)
            })
    }
}

/// Every room's state under `prefix`, for `setting rooms`.
pub fn all_states_filter(prefix: &str) -> String {
    format!("{prefix}/+/state")
}

/// The room a state topic belongs to.
pub fn room_of_state<'t>(prefix: &str, topic: &'t str) -> Option<&'t str> {
    let room = topic
        .strip_prefix(prefix)?
        .strip_prefix('/')?
        .strip_suffix("/state")?;
    (!room.is_empty() && !room.contains('/')).then_some(room)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_a_rooms_topics() {
        let t = RoomTopics::new("setting", "room-a");
        assert_eq!(t.state(), "setting/room-a/state");
        assert_eq!(t.request_filter(), "setting/room-a/request/+");
        assert_eq!(t.request("ana"), "setting/room-a/request/ana");
        assert_eq!(t.reply_branch("ana"), "setting/room-a/reply/ana");
    }

    #[test]
    fn the_sender_is_the_last_level_of_this_rooms_request_topic() {
        let t = RoomTopics::new("setting", "room-a");
        assert_eq!(t.sender_of("setting/room-a/request/ana"), Some("ana"));
        assert_eq!(t.sender_of("setting/room-b/request/ana"), None);
        assert_eq!(t.sender_of("setting/room-a/request/"), None);
        assert_eq!(t.sender_of("setting/room-a/request/ana/x"), None);
        assert_eq!(t.sender_of("setting/room-ab/request/ana"), None);
        assert_eq!(t.sender_of("other/room-a/request/ana"), None);
    }

    #[test]
    fn replies_go_only_below_the_senders_own_branch() {
        let t = RoomTopics::new("setting", "room-a");
        assert!(t.reply_allowed("ana", "setting/room-a/reply/ana/7f3a"));
        assert!(t.reply_allowed("ana", "setting/room-a/reply/ana/laptop/1"));
        assert!(!t.reply_allowed("ana", "setting/room-a/reply/ana"));
        assert!(!t.reply_allowed("ana", "setting/room-a/reply/ana/"));
        assert!(!t.reply_allowed("ana", "setting/room-a/reply/bob/7f3a"));
        assert!(!t.reply_allowed("ana", "setting/room-a/reply/anabel/7f3a"));
        assert!(!t.reply_allowed("ana", "setting/room-a/reply/ana/#"));
        assert!(!t.reply_allowed("ana", "setting/room-a/reply/ana//x"));
        assert!(!t.reply_allowed("ana", "zigbee2mqtt/ceiling/set"));
    }

    #[test]
    fn reads_the_room_from_a_state_topic() {
        assert_eq!(room_of_state("setting", "setting/room-a/state"), Some("room-a"));
        assert_eq!(room_of_state("setting", "setting/room-a/status"), None);
        assert_eq!(room_of_state("setting", "setting/a/b/state"), None);
        assert_eq!(all_states_filter("setting"), "setting/+/state");
    }
}
