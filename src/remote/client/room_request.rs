//! One request to a room and its reply: listen on a fresh reply topic first, then send the
//! request with that topic and fresh correlation data, and take the reply that carries them.

use std::time::{Duration, Instant};

use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Packet, PubAckReason, PublishProperties};

use super::session::Session;
use super::{BrokerAccess, RemoteError, token};
use crate::protocol::{Op, Reply};
use crate::remote::topics::RoomTopics;

/// How long a room has to answer an ordinary command, connection included.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// Sends `op` (with `id`) to `room` under `prefix` and returns the room's reply, whatever it
/// says: a refusal by the room's daemon is a [`Reply`] like any other. Everything, from the
/// connection to the reply, happens within `timeout`.
pub fn request(
    access: &BrokerAccess,
    prefix: &str,
    room: &str,
    op: &Op,
    id: u64,
    timeout: Duration,
) -> Result<Reply, RemoteError> {
    let deadline = Instant::now() + timeout;
    let user = access.user_level()?.to_string();
    // A room name with `/`, `+` or `#` would send the request, and listen for the reply,
    // somewhere else than the room's own topics.
    if let Some(problem) = crate::remote::topics::user_level_problem(room) {
        return Err(RemoteError::BadRoom {
            room: room.to_string(),
            problem,
        });
    }
    let topics = RoomTopics::new(prefix, room);
    let mut request = serde_json::to_value(op).expect("an op is always JSON");
    request["id"] = id.into();
    let payload = serde_json::to_vec(&request).expect("a request is always JSON");

    let mut session = Session::open(access, deadline)?;
    let outcome = exchange(&mut session, &topics, &user, payload, id, deadline, timeout);
    session.close();
    outcome
}

fn exchange(
    session: &mut Session,
    topics: &RoomTopics,
    user: &str,
    payload: Vec<u8>,
    id: u64,
    deadline: Instant,
    timeout: Duration,
) -> Result<Reply, RemoteError> {
    let room = topics.room().to_string();
    let not_allowed = |detail: String| RemoteError::NotAllowed {
        user: user.to_string(),
        room: room.clone(),
        detail,
    };
    // Listening first: a reply sent before the subscription took hold would be lost.
    let reply_topic = format!("{}/{}", topics.reply_branch(user), token());
    if let Err(reason) = session.subscribe(&reply_topic, deadline)? {
        return Err(not_allowed(format!(
            "cannot hear replies on {reply_topic}: {reason}"
        )));
    }
    let correlation = token().into_bytes();
    let properties = PublishProperties {
        response_topic: Some(reply_topic.clone()),
        correlation_data: Some(correlation.clone().into()),
        ..PublishProperties::default()
    };
    session
        .client()
        .publish_with_properties(topics.request(user), QoS::AtLeastOnce, false, payload, properties)
        .map_err(|e| RemoteError::Queue(Box::new(e)))?;
    while let Some(packet) = session.next(deadline)? {
        match packet {
            Packet::PubAck(ack) => match ack.reason {
                PubAckReason::Success => {}
                PubAckReason::NoMatchingSubscribers => return Err(RemoteError::NotListening { room }),
                PubAckReason::NotAuthorized => {
                    return Err(not_allowed(format!(
                        "cannot send requests on {}",
                        topics.request(user)
                    )));
                }
                other => {
                    return Err(RemoteError::PublishRefused {
                        room,
                        reason: format!("{other:?}"),
                    });
                }
            },
            Packet::Publish(publish) => {
                let ours = publish.topic == reply_topic.as_bytes()
                    && publish
                        .properties
                        .as_ref()
                        .and_then(|p| p.correlation_data.as_deref())
                        == Some(&correlation[..]);
                if !ours {
                    continue;
                }
                let reply: Reply =
                    serde_json::from_slice(&publish.payload).map_err(|source| RemoteError::BadReply {
                        room: room.clone(),
                        source,
                    })?;
                return match reply.id {
                    Some(got) if got != id => Err(RemoteError::WrongReply { room, got, asked: id }),
                    _ => Ok(reply),
                };
            }
            _ => {}
        }
    }
    Err(RemoteError::NoAnswer {
        room,
        within: timeout,
    })
}
