//! One request to a room and its reply: listen on a fresh reply topic first, then send the
//! request with that topic and fresh correlation data, and take the reply that carries them.
//!
//! [`request`] sends nothing it could not hear the answer to. [`deliver`], for emergencies,
//! sends even then, and tells a request the broker handed on but nobody answered from one
//! that never left.

use std::time::{Duration, Instant};

use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Packet, PubAckReason, PublishProperties};

use super::session::Session;
use super::{BrokerAccess, RemoteError, token};
use crate::protocol::{Op, ReplyLine};
use crate::remote::topics::RoomTopics;

/// When the broker was too slow confirming the reply subscription, how long an emergency
/// still waits for the broker to take the request itself.
const SILENT_GRACE: Duration = Duration::from_millis(500);

/// How long a room has to answer an ordinary command, connection included.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// What became of a request [`deliver`] sent.
#[derive(Debug)]
pub enum Delivery {
    /// The room's reply, whatever it says.
    Answered(ReplyLine),
    /// The broker took the request and has a listener for the room's requests, but the
    /// account may not hear replies (the reason): nobody can say whether the room acted.
    Unheard { reason: String },
    /// The broker took the request and has a listener for the room's requests, but no reply
    /// came in time: the room may or may not have acted.
    Unanswered { within: Duration },
}

/// Sends `op` (with `id`) to `room` under `prefix` and returns the room's reply, whatever it
/// says: a refusal by the room's daemon is a [`ReplyLine`] like any other. Everything, from the
/// connection to the reply, happens within `timeout`. Nothing is sent when the account may not
/// hear the reply.
pub fn request(
    access: &BrokerAccess,
    prefix: &str,
    room: &str,
    op: &Op,
    id: u64,
    timeout: Duration,
) -> Result<ReplyLine, RemoteError> {
    match send(access, prefix, room, op, id, timeout, Unheard::Refuse)? {
        Delivery::Answered(reply) => Ok(reply),
        Delivery::Unanswered { within } => Err(RemoteError::Unconfirmed {
            room: room.to_string(),
            within,
        }),
        Delivery::Unheard { reason } => Err(RemoteError::CannotHearReplies {
            user: access.user_level()?.to_string(),
            room: room.to_string(),
            reason,
        }),
    }
}

/// As [`request`], but the request is sent even when the account may not hear the reply,
/// and a request the broker took that got no answer is a [`Delivery`], not an error: for an
/// emergency, reaching the room unconfirmed beats not trying.
pub fn deliver(
    access: &BrokerAccess,
    prefix: &str,
    room: &str,
    op: &Op,
    id: u64,
    timeout: Duration,
) -> Result<Delivery, RemoteError> {
    send(access, prefix, room, op, id, timeout, Unheard::Send)
}

/// Whether a request goes out when its reply cannot be heard.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unheard {
    Refuse,
    Send,
}

fn send(
    access: &BrokerAccess,
    prefix: &str,
    room: &str,
    op: &Op,
    id: u64,
    timeout: Duration,
    unheard: Unheard,
) -> Result<Delivery, RemoteError> {
    let deadline = Instant::now() + timeout;
    let user = access.user_level()?.to_string();
    // A room name with `/`, `+` or `#` would send the request, and listen for the reply,
    // somewhere else than the room's own topics.
    if let Some(problem) = crate::config::user_level_problem(room) {
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
    let exchange = Exchange {
        topics: &topics,
        user: &user,
        id,
        deadline,
        timeout,
        unheard,
    };
    let outcome = exchange.run(&mut session, payload);
    session.close();
    outcome
}

/// One request on an open session.
struct Exchange<'a> {
    topics: &'a RoomTopics,
    user: &'a str,
    id: u64,
    deadline: Instant,
    timeout: Duration,
    unheard: Unheard,
}

impl Exchange<'_> {
    fn run(&self, session: &mut Session, payload: Vec<u8>) -> Result<Delivery, RemoteError> {
        let (topics, user, id, mut deadline) = (self.topics, self.user, self.id, self.deadline);
        let room = topics.room().to_string();
        let not_allowed = |detail: String| RemoteError::NotAllowed {
            user: user.to_string(),
            room: room.clone(),
            detail,
        };
        // Listening first: a reply sent before the subscription took hold would be lost.
        let reply_topic = format!("{}/{}", topics.reply_branch(user), token());
        let refused = match session.subscribe(&reply_topic, deadline) {
            Ok(Ok(())) => None,
            Ok(Err(reason)) => Some(format!("cannot hear replies on {reply_topic}: {reason}")),
            // An emergency does not wait on its own reply: a broker slow to confirm the
            // subscription still gets the request in the time that is left.
            Err(RemoteError::SubscribeSilent { .. }) if self.unheard == Unheard::Send => {
                deadline = deadline.max(Instant::now() + SILENT_GRACE);
                Some(format!(
                    "the broker did not confirm the subscription to {reply_topic} in time"
                ))
            }
            Err(e) => return Err(e),
        };
        let deafness = match refused {
            Some(reason) if self.unheard == Unheard::Refuse => return Ok(Delivery::Unheard { reason }),
            other => other,
        };
        let correlation = token().into_bytes();
        // Without a response topic the room carries the request out and answers nobody.
        let properties = match deafness {
            Some(_) => PublishProperties::default(),
            None => PublishProperties {
                response_topic: Some(reply_topic.clone()),
                correlation_data: Some(correlation.clone().into()),
                ..PublishProperties::default()
            },
        };
        session
            .client()
            .publish_with_properties(topics.request(user), QoS::AtLeastOnce, false, payload, properties)
            .map_err(|e| RemoteError::Queue(Box::new(e)))?;
        let mut handed_on = false;
        while let Some(packet) = session.next(deadline)? {
            match packet {
                Packet::PubAck(ack) => match ack.reason {
                    PubAckReason::Success => {
                        handed_on = true;
                        if let Some(reason) = deafness.clone() {
                            return Ok(Delivery::Unheard { reason });
                        }
                    }
                    PubAckReason::NoMatchingSubscribers => {
                        return Err(RemoteError::NotListening { room });
                    }
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
                    let reply: ReplyLine =
                        serde_json::from_slice(&publish.payload).map_err(|source| RemoteError::BadReply {
                            room: room.clone(),
                            source,
                        })?;
                    return match reply.id {
                        Some(got) if got != id => Err(RemoteError::WrongReply { room, got, asked: id }),
                        _ => Ok(Delivery::Answered(reply)),
                    };
                }
                _ => {}
            }
        }
        if handed_on {
            return Ok(Delivery::Unanswered { within: self.timeout });
        }
        Err(RemoteError::NoAnswer {
            room,
            within: self.timeout,
        })
    }
}
