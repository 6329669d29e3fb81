//! One MQTT connection in either protocol version: rumqttc's v5 and v3.1.1 clients behind the
//! few operations and events the lights task needs, so the task is written once.

use std::sync::Arc;
use std::time::Duration;

use rumqttc::v5;
use rumqttc::v5::mqttbytes::QoS as V5QoS;
use rumqttc::{Outgoing, QoS};
use tokio::sync::Notify;

use super::options::ConnectOptions;

/// Requests waiting for the event loop. Small on purpose: anything that cannot go at once is
/// superseded by the planner's next command rather than queued.
const REQUEST_CAPACITY: usize = 256;

/// The sending half: queues requests without waiting.
#[derive(Clone)]
pub enum Link {
    V5(v5::AsyncClient),
    V311(rumqttc::AsyncClient),
}

/// The event loop, moved in and out of each poll so that a poll is never cancelled half way
/// (rumqttc's `poll` can lose a packet it has taken from the queue but not yet written).
pub enum Events {
    V5(Box<v5::EventLoop>),
    V311(Box<rumqttc::EventLoop>),
}

/// What the connection said, in either version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkEvent {
    /// The broker accepted the connection.
    Connected,
    Message {
        topic: String,
        payload: Vec<u8>,
    },
    /// A publish left with this packet id (in the order they were handed over).
    Sent {
        pkid: u16,
    },
    /// The broker acknowledged a publish; `refused` names the reason code when it was
    /// refused (v5 only: under 3.1.1 a denied publish is acknowledged like any other).
    Acked {
        pkid: u16,
        refused: Option<Refusal>,
    },
    /// The broker answered a SUBSCRIBE; `refused` are the positions of the filters it
    /// refused (an ACL that does not let the room read them).
    Subscribed {
        refused: Vec<usize>,
    },
    Other,
}

/// A reason code the broker gave for refusing something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: u8,
    pub name: String,
}

/// Why polling failed: the connection is gone (or never came).
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The broker answered the CONNECT with a refusal.
    #[error("the broker refused the connection: {reason}")]
    Refused { reason: String, bad_credentials: bool },
    #[error(transparent)]
    V5(v5::ConnectionError),
    #[error(transparent)]
    V311(rumqttc::ConnectionError),
}

#[derive(Debug, thiserror::Error)]
#[error("the MQTT request queue is full or closed: {0}")]
pub struct QueueError(String);

pub fn open(options: ConnectOptions) -> (Link, Events) {
    match options {
        ConnectOptions::V5(options) => {
            let (client, events) = v5::AsyncClient::new(*options, REQUEST_CAPACITY);
            (Link::V5(client), Events::V5(Box::new(events)))
        }
        ConnectOptions::V311(options) => {
            let (client, mut events) = rumqttc::AsyncClient::new(*options, REQUEST_CAPACITY);
            // 3.1.1 keeps the socket options on the event loop rather than in the options.
            events.network_options = crate::mqtt::without_nagle(events.network_options.clone());
            (Link::V311(client), Events::V311(Box::new(events)))
        }
    }
}

impl Events {
    /// Waits `wait` first (the backoff after a failure, cut short when `hurry` is notified),
    /// then the next event; on error the connection is down and the next call reconnects.
    pub async fn next(
        mut self,
        wait: Option<Duration>,
        hurry: Arc<Notify>,
    ) -> (Events, Result<LinkEvent, LinkError>) {
        if let Some(wait) = wait {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = hurry.notified() => {}
            }
        }
        let result = match &mut self {
            Events::V5(events) => events.poll().await.map(v5_event).map_err(v5_error),
            Events::V311(events) => events.poll().await.map(v311_event).map_err(v311_error),
        };
        (self, result)
    }
}

impl Link {
    /// Queues a publish at QoS 1 without waiting.
    pub fn publish(&self, topic: &str, payload: Vec<u8>, retain: bool) -> Result<(), QueueError> {
        match self {
            Link::V5(client) => client
                .try_publish(topic, V5QoS::AtLeastOnce, retain, payload)
                .map_err(queue_error),
            Link::V311(client) => client
                .try_publish(topic, QoS::AtLeastOnce, retain, payload)
                .map_err(queue_error),
        }
    }

    pub fn subscribe(&self, topics: &[String]) -> Result<(), QueueError> {
        if topics.is_empty() {
            return Ok(());
        }
        match self {
            Link::V5(client) => client
                .try_subscribe_many(
                    topics
                        .iter()
                        .map(|t| v5::mqttbytes::v5::Filter::new(t, V5QoS::AtLeastOnce)),
                )
                .map_err(queue_error),
            Link::V311(client) => client
                .try_subscribe_many(
                    topics
                        .iter()
                        .map(|t| rumqttc::SubscribeFilter::new(t.clone(), QoS::AtLeastOnce)),
                )
                .map_err(queue_error),
        }
    }

    /// Asks for a clean DISCONNECT (the broker then drops the last will).
    pub fn disconnect(&self) {
        let _ = match self {
            Link::V5(client) => client.try_disconnect().map_err(queue_error),
            Link::V311(client) => client.try_disconnect().map_err(queue_error),
        };
    }
}

fn queue_error(e: impl std::fmt::Display) -> QueueError {
    QueueError(e.to_string())
}

fn v5_event(event: v5::Event) -> LinkEvent {
    use v5::mqttbytes::v5::{Packet, PubAckReason};
    match event {
        v5::Event::Incoming(Packet::ConnAck(_)) => LinkEvent::Connected,
        v5::Event::Incoming(Packet::Publish(publish)) => LinkEvent::Message {
            topic: String::from_utf8_lossy(&publish.topic).into_owned(),
            payload: publish.payload.to_vec(),
        },
        v5::Event::Incoming(Packet::PubAck(ack)) => {
            let code = match ack.reason {
                PubAckReason::Success | PubAckReason::NoMatchingSubscribers => None,
                PubAckReason::UnspecifiedError => Some(128),
                PubAckReason::ImplementationSpecificError => Some(131),
                PubAckReason::NotAuthorized => Some(135),
                PubAckReason::TopicNameInvalid => Some(144),
                PubAckReason::PacketIdentifierInUse => Some(145),
                PubAckReason::QuotaExceeded => Some(151),
                PubAckReason::PayloadFormatInvalid => Some(153),
            };
            LinkEvent::Acked {
                pkid: ack.pkid,
                refused: code.map(|code| Refusal {
                    code,
                    name: format!("{:?}", ack.reason),
                }),
            }
        }
        v5::Event::Incoming(Packet::SubAck(ack)) => LinkEvent::Subscribed {
            refused: failed_positions(
                ack.return_codes
                    .iter()
                    .map(|code| matches!(code, v5::mqttbytes::v5::SubscribeReasonCode::Success(_))),
            ),
        },
        v5::Event::Outgoing(Outgoing::Publish(pkid)) => LinkEvent::Sent { pkid },
        _ => LinkEvent::Other,
    }
}

fn v311_event(event: rumqttc::Event) -> LinkEvent {
    use rumqttc::{Event, Packet};
    match event {
        Event::Incoming(Packet::ConnAck(_)) => LinkEvent::Connected,
        Event::Incoming(Packet::Publish(publish)) => LinkEvent::Message {
            topic: publish.topic,
            payload: publish.payload.to_vec(),
        },
        Event::Incoming(Packet::PubAck(ack)) => LinkEvent::Acked {
            pkid: ack.pkid,
            refused: None,
        },
        Event::Incoming(Packet::SubAck(ack)) => LinkEvent::Subscribed {
            refused: failed_positions(
                ack.return_codes
                    .iter()
                    .map(|code| matches!(code, rumqttc::SubscribeReasonCode::Success(_))),
            ),
        },
        Event::Outgoing(Outgoing::Publish(pkid)) => LinkEvent::Sent { pkid },
        _ => LinkEvent::Other,
    }
}

fn failed_positions(success: impl Iterator<Item = bool>) -> Vec<usize> {
    success
        .enumerate()
        .filter(|(_, ok)| !ok)
        .map(|(i, _)| i)
        .collect()
}

fn v5_error(error: v5::ConnectionError) -> LinkError {
    use v5::mqttbytes::v5::ConnectReturnCode as Code;
    match error {
        v5::ConnectionError::ConnectionRefused(code) => LinkError::Refused {
            reason: format!("{code:?}"),
            bad_credentials: matches!(code, Code::BadUserNamePassword | Code::NotAuthorized),
        },
        other => LinkError::V5(other),
    }
}

fn v311_error(error: rumqttc::ConnectionError) -> LinkError {
    use rumqttc::ConnectReturnCode as Code;
    match error {
        rumqttc::ConnectionError::ConnectionRefused(code) => LinkError::Refused {
            reason: format!("{code:?}"),
            bad_credentials: matches!(code, Code::BadUserNamePassword | Code::NotAuthorized),
        },
        other => LinkError::V311(other),
    }
}
