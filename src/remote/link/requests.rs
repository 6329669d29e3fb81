//! Requests that arrive over the broker: what to do with one ([`judge`], pure: who sent it,
//! where the reply may go, whether it decodes), and carrying it out through the engine apart
//! from the connection's task, so a slow request never holds up the connection.

use std::sync::Arc;

use rumqttc::v5::AsyncClient;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Publish, PublishProperties};
use tokio::sync::{Semaphore, mpsc};

use super::state_publisher::Nudge;
use crate::control::EngineHandle;
use crate::protocol::{ErrorKind, Op, Reply, decode_request};
use crate::remote::topics::RoomTopics;
use crate::timeline::Source;

/// Requests waiting for the engine; more are refused with a reply until some are done, so a
/// runaway script cannot pile them up. Emergencies never wait here.
const QUEUE: usize = 32;
/// Emergencies on their way to the engine at once. One is enough to put the room in
/// emergency; the bound keeps a flood from piling up tasks and filling the engine's urgent
/// lane, which the room's own socket shares.
const EMERGENCIES: usize = 4;

/// Where a reply goes: the request's response topic, with its correlation data echoed.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplyTo {
    pub topic: String,
    pub correlation: Option<Vec<u8>>,
}

/// What to do with one message on a request topic.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// Not a request of this room's (another topic), or one nobody waits for: nothing done.
    Ignore { why: String },
    /// A request refused before it reaches the engine; answered when a reply can be sent.
    Refuse {
        user: String,
        reply_to: Option<ReplyTo>,
        reply: Reply,
    },
    /// A request to carry out.
    Carry {
        user: String,
        reply_to: Option<ReplyTo>,
        id: Option<u64>,
        op: Op,
    },
}

/// Decides what to do with a message that arrived on `topic`.
pub fn judge(
    topics: &RoomTopics,
    topic: &str,
    retain: bool,
    properties: Option<&PublishProperties>,
    payload: &[u8],
) -> Verdict {
    let Some(user) = topics.sender_of(topic) else {
        return Verdict::Ignore {
            why: format!("`{topic}` is not one of the room's request topics"),
        };
    };
    let user = user.to_string();
    // A retained request would be carried out again at every reconnect: nobody is waiting
    // for it, and a command replayed out of its moment is worse than one lost.
    if retain {
        return Verdict::Ignore {
            why: format!("a retained request from `{user}` (requests must not be retained)"),
        };
    }
    let reply_to = match properties.and_then(|p| p.response_topic.clone()) {
        None => None,
        Some(topic) if topics.reply_allowed(&user, &topic) => Some(ReplyTo {
            topic,
            correlation: properties.and_then(|p| p.correlation_data.as_ref().map(|c| c.to_vec())),
        }),
        Some(topic) => {
            return Verdict::Ignore {
                why: format!(
                    "a request from `{user}` asks for its reply on `{topic}`, outside `{}/`; refused, \
                     not carried out",
                    topics.reply_branch(&user)
                ),
            };
        }
    };
    match decode_request(payload) {
        Err(e) => Verdict::Refuse {
            reply: Reply::error(salvage_id(payload), ErrorKind::BadRequest, e.to_string()),
            user,
            reply_to,
        },
        Ok(envelope) if envelope.op == Op::Watch => Verdict::Refuse {
            reply: Reply::error(
                envelope.id,
                ErrorKind::BadRequest,
                format!(
                    "`watch` is not available over MQTT: follow the room's retained state on `{}`, or run \
                     `setting watch` on the room's machine",
                    topics.state()
                ),
            ),
            user,
            reply_to,
        },
        Ok(envelope) => Verdict::Carry {
            user,
            reply_to,
            id: envelope.id,
            op: envelope.op,
        },
    }
}

/// The `id` of a request that failed to decode, when it can be read, so the client can tell
/// which request was refused.
fn salvage_id(payload: &[u8]) -> Option<u64> {
    serde_json::from_slice::<serde_json::Value>(payload)
        .ok()?
        .get("id")?
        .as_u64()
}

/// The op's name as the protocol spells it (`next`, `volume_to`), for the log.
pub fn op_name(op: &Op) -> String {
    serde_json::to_value(op)
        .ok()
        .and_then(|v| v.get("op").and_then(|n| n.as_str()).map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// One request on its way to the engine.
struct Job {
    id: Option<u64>,
    op: Op,
    source: Source,
    reply_to: Option<ReplyTo>,
}

/// Carries out requests for the connection's task: in the order they came (a `hold` then a
/// `release` must not swap), one at a time, by a worker of their own; emergencies at once.
pub struct Requests {
    client: AsyncClient,
    topics: RoomTopics,
    handle: EngineHandle,
    queue: mpsc::Sender<Job>,
    emergencies: Arc<Semaphore>,
    /// Tells the state publisher that a request was carried out: the room's state may have
    /// changed without an entry in a session's log (an emergency with no session).
    nudges: mpsc::UnboundedSender<Nudge>,
}

impl Requests {
    pub fn new(
        client: AsyncClient,
        topics: RoomTopics,
        handle: EngineHandle,
        nudges: mpsc::UnboundedSender<Nudge>,
    ) -> Requests {
        let (queue, jobs) = mpsc::channel(QUEUE);
        tokio::spawn(carry_out(jobs, handle.clone(), client.clone(), nudges.clone()));
        Requests {
            client,
            topics,
            handle,
            queue,
            emergencies: Arc::new(Semaphore::new(EMERGENCIES)),
            nudges,
        }
    }

    /// Whether `topic` is one of the room's request topics (the subscription's filter).
    pub fn is_request_topic(&self, topic: &str) -> bool {
        topic
            .strip_prefix(self.topics.request_filter().trim_end_matches('+'))
            .is_some_and(|rest| !rest.contains('/'))
    }

    /// Handles one request; returns at once, the engine's answer is published when it comes.
    pub fn on_publish(&self, publish: &Publish) {
        let topic = String::from_utf8_lossy(&publish.topic);
        let room = self.topics.room();
        match judge(
            &self.topics,
            &topic,
            publish.retain,
            publish.properties.as_ref(),
            &publish.payload,
        ) {
            Verdict::Ignore { why } => tracing::warn!(room, "remote: ignored {why}"),
            Verdict::Refuse {
                user,
                reply_to,
                reply,
            } => {
                let message = reply
                    .error
                    .as_ref()
                    .map(|e| e.message.as_str())
                    .unwrap_or_default();
                tracing::warn!(room, user, "remote: refused a request: {message}");
                if let Some(reply_to) = reply_to {
                    self.answer(reply_to, reply);
                }
            }
            Verdict::Carry {
                user,
                reply_to,
                id,
                op,
            } => {
                let name = op_name(&op);
                tracing::info!(room, user, op = %name, "remote: request");
                let job = Job {
                    id,
                    op,
                    source: Source {
                        via: crate::timeline::Via::Mqtt,
                        who: Some(user),
                    },
                    reply_to,
                };
                // The emergency waits behind nothing: it takes the engine's urgent lane now.
                if matches!(job.op, Op::Emergency { .. }) {
                    match Arc::clone(&self.emergencies).try_acquire_owned() {
                        Ok(permit) => {
                            let (handle, client) = (self.handle.clone(), self.client.clone());
                            let nudges = self.nudges.clone();
                            tokio::spawn(async move {
                                run(handle, client, job, &nudges).await;
                                drop(permit);
                            });
                        }
                        Err(_) => {
                            tracing::warn!(
                                room,
                                "remote: too many emergencies waiting for the engine; refused"
                            );
                            if let Some(reply_to) = job.reply_to {
                                self.answer(reply_to, emergencies_waiting(id));
                            }
                        }
                    }
                    return;
                }
                match self.queue.try_send(job) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(job)) => {
                        tracing::warn!(room, op = %name, "remote: too many requests waiting; refused");
                        if let Some(reply_to) = job.reply_to {
                            let message = format!("more than {QUEUE} requests are waiting; try again");
                            self.answer(reply_to, Reply::error(id, ErrorKind::Refused, message));
                        }
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => {
                        tracing::debug!(room, op = %name, "remote: stopping; request dropped");
                    }
                }
            }
        }
    }

    /// Answers at once, from the connection's task: a reply that the client's queue cannot
    /// take is dropped with a warning rather than kept in a task of its own, so a flood of
    /// bad requests cannot pile up tasks.
    fn answer(&self, reply_to: ReplyTo, reply: Reply) {
        let (topic, payload, properties) = reply_message(reply_to, &reply);
        if let Err(e) =
            self.client
                .try_publish_with_properties(&topic, QoS::AtLeastOnce, false, payload, properties)
        {
            tracing::warn!(%topic, "remote: cannot send a reply: {e}");
        }
    }
}

/// The refusal of an emergency past [`EMERGENCIES`] in flight (waiting for the engine, or for
/// their replies to leave). `internal`: the room is not keeping up, so the CLI tells whoever is
/// in the room to act by hand rather than report an ordinary refusal.
fn emergencies_waiting(id: Option<u64>) -> Reply {
    Reply::error(
        id,
        ErrorKind::Internal,
        format!(
            "{EMERGENCIES} emergencies sent over the broker are still being carried out; this one was not taken"
        ),
    )
}

/// The worker: one request at a time, in order, until the link stops.
async fn carry_out(
    mut jobs: mpsc::Receiver<Job>,
    handle: EngineHandle,
    client: AsyncClient,
    nudges: mpsc::UnboundedSender<Nudge>,
) {
    while let Some(job) = jobs.recv().await {
        run(handle.clone(), client.clone(), job, &nudges).await;
    }
}

async fn run(handle: EngineHandle, client: AsyncClient, job: Job, nudges: &mpsc::UnboundedSender<Nudge>) {
    let reply = handle.request(job.id, job.op, job.source).await;
    if let Some(reply_to) = job.reply_to {
        publish_reply(&client, reply_to, &reply).await;
    }
    let _ = nudges.send(Nudge::Changed);
}

async fn publish_reply(client: &AsyncClient, reply_to: ReplyTo, reply: &Reply) {
    let (topic, payload, properties) = reply_message(reply_to, reply);
    if let Err(e) = client
        .publish_with_properties(&topic, QoS::AtLeastOnce, false, payload, properties)
        .await
    {
        tracing::warn!(%topic, "remote: cannot send a reply: {e}");
    }
}

/// A reply's topic, payload and properties: the correlation data echoed.
fn reply_message(reply_to: ReplyTo, reply: &Reply) -> (String, Vec<u8>, PublishProperties) {
    let properties = PublishProperties {
        correlation_data: reply_to.correlation.map(Into::into),
        content_type: Some("application/json".into()),
        ..PublishProperties::default()
    };
    let payload = serde_json::to_vec(reply).expect("protocol types serialise");
    (reply_to.topic, payload, properties)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics() -> RoomTopics {
        RoomTopics::new("setting", "room-a")
    }

    fn asking(response_topic: &str, correlation: &[u8]) -> PublishProperties {
        PublishProperties {
            response_topic: Some(response_topic.into()),
            correlation_data: Some(correlation.to_vec().into()),
            ..PublishProperties::default()
        }
    }

    #[test]
    fn a_request_is_carried_out_for_the_sender_its_topic_names() {
        let props = asking("setting/room-a/reply/ana/laptop", b"c-1");
        let verdict = judge(
            &topics(),
            "setting/room-a/request/ana",
            false,
            Some(&props),
            br#"{"id":7,"op":"next"}"#,
        );
        assert_eq!(
            verdict,
            Verdict::Carry {
                user: "ana".into(),
                reply_to: Some(ReplyTo {
                    topic: "setting/room-a/reply/ana/laptop".into(),
                    correlation: Some(b"c-1".to_vec()),
                }),
                id: Some(7),
                op: Op::Next,
            }
        );
    }

    #[test]
    fn a_request_without_a_response_topic_is_carried_out_unanswered() {
        let verdict = judge(
            &topics(),
            "setting/room-a/request/homeassistant",
            false,
            None,
            br#"{"op":"volume_to","db":-3}"#,
        );
        assert!(
            matches!(&verdict, Verdict::Carry { user, reply_to: None, op: Op::VolumeTo { .. }, .. } if user == "homeassistant"),
            "{verdict:?}"
        );
    }

    #[test]
    fn a_reply_outside_the_senders_branch_refuses_the_whole_request() {
        for elsewhere in [
            "setting/room-a/reply/bob/x",
            "zigbee2mqtt/ceiling/set",
            "setting/room-a/reply/ana/#",
            "setting/room-a/state",
        ] {
            let props = asking(elsewhere, b"c");
            let verdict = judge(
                &topics(),
                "setting/room-a/request/ana",
                false,
                Some(&props),
                br#"{"op":"emergency"}"#,
            );
            assert!(
                matches!(verdict, Verdict::Ignore { .. }),
                "{elsewhere}: {verdict:?}"
            );
        }
    }

    #[test]
    fn bad_input_is_answered_naming_the_problem() {
        let props = asking("setting/room-a/reply/ana/1", b"c");
        let long = vec![b' '; crate::protocol::MAX_LINE_BYTES + 1];
        for (payload, expect) in [
            (&br#"{"id":3,"op":"warp"}"#[..], "unknown variant"),
            (&b"not json"[..], "JSON"),
            (&[0xff, 0xfe][..], "UTF-8"),
            (&long[..], "longer than"),
        ] {
            let verdict = judge(
                &topics(),
                "setting/room-a/request/ana",
                false,
                Some(&props),
                payload,
            );
            let Verdict::Refuse { reply, reply_to, .. } = verdict else {
                panic!("{payload:?} was not refused: {verdict:?}");
            };
            assert!(reply_to.is_some());
            let message = reply.error.expect("an error").message;
            assert!(message.contains(expect), "{message}");
        }
        let verdict = judge(
            &topics(),
            "setting/room-a/request/ana",
            false,
            Some(&props),
            br#"{"id":3,"op":"warp"}"#,
        );
        assert!(matches!(verdict, Verdict::Refuse { reply, .. } if reply.id == Some(3)));
    }

    #[test]
    fn watch_is_refused_with_the_state_topic_to_follow() {
        let props = asking("setting/room-a/reply/ana/1", b"c");
        let verdict = judge(
            &topics(),
            "setting/room-a/request/ana",
            false,
            Some(&props),
            br#"{"op":"watch"}"#,
        );
        let Verdict::Refuse { reply, .. } = verdict else {
            panic!("{verdict:?}");
        };
        let error = reply.error.expect("an error");
        assert_eq!(error.kind, ErrorKind::BadRequest);
        assert!(
            error.message.contains("setting/room-a/state"),
            "{}",
            error.message
        );
    }

    #[test]
    fn retained_requests_and_other_topics_are_ignored() {
        for (topic, retain) in [
            ("setting/room-a/request/ana", true),
            ("setting/room-b/request/ana", false),
            ("setting/room-a/state", false),
        ] {
            let verdict = judge(&topics(), topic, retain, None, br#"{"op":"next"}"#);
            assert!(matches!(verdict, Verdict::Ignore { .. }), "{topic}: {verdict:?}");
        }
    }

    #[test]
    fn names_ops_as_the_protocol_does() {
        assert_eq!(op_name(&Op::Next), "next");
        assert_eq!(op_name(&Op::VolumeTo { db: 1.0 }), "volume_to");
        assert_eq!(op_name(&Op::Emergency { zone: None }), "emergency");
    }
}
