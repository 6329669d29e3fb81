//! The rooms on a broker, from their retained state documents.

use std::time::{Duration, Instant};

use rumqttc::v5::mqttbytes::v5::Packet;

use super::session::Session;
use super::{BrokerAccess, RemoteError};
use crate::remote::state::RoomState;
use crate::remote::topics;

/// The broker sends the retained documents right after the SUBACK; once it has been quiet this
/// long, there are no more.
pub const QUIET: Duration = Duration::from_millis(500);

/// The rooms found, and the state topics whose document could not be read or names another
/// room.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RoomList {
    /// Sorted by room name.
    pub rooms: Vec<RoomState>,
    pub unreadable: Vec<String>,
}

/// Every room's retained state under `prefix`, collected until the broker has been quiet for
/// [`QUIET`] (or `wait` has passed) after the subscription; connecting has `wait` too.
pub fn list_rooms(access: &BrokerAccess, prefix: &str, wait: Duration) -> Result<RoomList, RemoteError> {
    let user = access.user_level()?.to_string();
    let mut session = Session::open(access, Instant::now() + wait)?;
    let outcome = collect(&mut session, &user, prefix, wait);
    session.close();
    outcome
}

fn collect(session: &mut Session, user: &str, prefix: &str, wait: Duration) -> Result<RoomList, RemoteError> {
    let filter = topics::all_states_filter(prefix);
    if let Err(reason) = session.subscribe(&filter, Instant::now() + wait)? {
        return Err(RemoteError::StatesNotAllowed {
            user: user.to_string(),
            filter: format!("{filter}: {reason}"),
        });
    }
    let end = Instant::now() + wait;
    let mut list = RoomList::default();
    loop {
        let quiet_until = (Instant::now() + QUIET).min(end);
        let Some(packet) = session.next(quiet_until)? else {
            break;
        };
        let Packet::Publish(publish) = packet else {
            continue;
        };
        let topic = String::from_utf8_lossy(&publish.topic).into_owned();
        let Some(room) = topics::room_of_state(prefix, &topic) else {
            continue;
        };
        // The topic says which room a document is about: one that names another room (a
        // copy, or a daemon named otherwise than its broker account) must not stand in for it.
        match serde_json::from_slice::<RoomState>(&publish.payload) {
            Ok(state) if state.room == room => {
                // A live update after the retained one replaces it.
                list.rooms.retain(|r| r.room != state.room);
                list.rooms.push(state);
            }
            _ if list.unreadable.contains(&topic) => {}
            _ => list.unreadable.push(topic),
        }
    }
    list.rooms.sort_by(|a, b| a.room.cmp(&b.room));
    Ok(list)
}
