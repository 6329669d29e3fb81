//! The task that owns the remote connection's event loop: it polls without ever cancelling a
//! poll half way, waits out a backoff after each failure, subscribes again after every ConnAck
//! (a clean start keeps nothing), hands requests on, and on shutdown marks the room offline
//! before its clean DISCONNECT (which discards the last will).

use std::time::Duration;

use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Filter, Packet, PubAckReason, Publish};
use rumqttc::v5::{AsyncClient, ConnectionError, Event, EventLoop};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::remote::state::RoomState;
use crate::remote::topics::RoomTopics;

use super::requests::Requests;
use super::state_publisher::Nudge;
use crate::mqtt::{Backoff, Polling, poll, refused_subscriptions};

pub struct Task {
    pub client: AsyncClient,
    pub requests: Requests,
    /// Home Assistant's status topic, when discovery is on.
    pub ha_status: Option<String>,
    pub topics: RoomTopics,
    /// `host:port`, for messages.
    pub broker: String,
    pub connected: watch::Sender<bool>,
    pub nudges: mpsc::UnboundedSender<Nudge>,
    pub publisher: JoinHandle<()>,
    pub backoff: Backoff,
    /// The last failure said, so a broker that stays down is not reported at every retry.
    pub last_failure: Option<String>,
}

impl Task {
    pub async fn run(mut self, events: EventLoop, mut stop: oneshot::Receiver<()>, goodbye: Duration) {
        let mut polling = poll(Box::new(events), None);
        loop {
            tokio::select! {
                // A stop, or the link dropped.
                _ = &mut stop => break,
                (events, result) = &mut polling => {
                    let wait = self.on_event(result);
                    polling = poll(events, wait);
                }
            }
        }
        self.goodbye(polling, goodbye).await;
    }

    /// Handles what the connection said; returns how long to wait before polling again.
    fn on_event(&mut self, result: Result<Event, ConnectionError>) -> Option<Duration> {
        match result {
            Ok(Event::Incoming(Packet::ConnAck(_))) => self.on_connected(),
            Ok(Event::Incoming(Packet::Publish(publish))) => self.on_publish(&publish),
            Ok(Event::Incoming(Packet::SubAck(ack))) => {
                let refused = refused_subscriptions(&ack);
                if refused > 0 {
                    tracing::warn!(
                        "remote: the broker refused {refused} of the room's subscriptions (requests `{}`); \
                         check its ACL",
                        self.topics.request_filter()
                    );
                }
            }
            Ok(Event::Incoming(Packet::PubAck(ack)))
                if !matches!(
                    ack.reason,
                    PubAckReason::Success | PubAckReason::NoMatchingSubscribers
                ) =>
            {
                // Without this, an ACL that denies the state or discovery topics fails silently.
                tracing::warn!(
                    reason = ?ack.reason,
                    "remote: the broker refused a publish of the room's state, discovery or a reply; \
                     check its ACL (docs/remote.md)"
                );
            }
            Ok(_) => {}
            Err(error) => return Some(self.on_error(error)),
        }
        None
    }

    fn on_connected(&mut self) {
        self.backoff.reset();
        self.last_failure = None;
        self.connected.send_replace(true);
        tracing::info!(broker = %self.broker, room = self.topics.room(), "remote: connected to the broker");
        // Retain as published: without it the broker clears the retain flag of a request
        // sent while the room is connected, and a retained request would be carried out then
        // (and ignored only at the next connection).
        let requests = Filter {
            preserve_retain: true,
            ..Filter::new(self.topics.request_filter(), QoS::AtLeastOnce)
        };
        let mut filters = vec![requests];
        if let Some(status) = &self.ha_status {
            filters.push(Filter::new(status.clone(), QoS::AtLeastOnce));
        }
        if self.client.try_subscribe_many(filters.clone()).is_err() {
            // The client's queue is full (replies and states queued while the link was down):
            // the subscription waits for room rather than leaving the room deaf until the
            // next reconnect.
            let client = self.client.clone();
            tokio::spawn(async move {
                if let Err(e) = client.subscribe_many(filters).await {
                    tracing::warn!("remote: cannot subscribe to the room's requests: {e}");
                }
            });
        }
        let _ = self.nudges.send(Nudge::Connected);
    }

    fn on_publish(&mut self, publish: &Publish) {
        let topic = String::from_utf8_lossy(&publish.topic);
        if self.ha_status.as_deref() == Some(topic.as_ref()) {
            if publish.payload.as_ref() == b"online" {
                tracing::debug!("remote: Home Assistant says it is online");
                let _ = self.nudges.send(Nudge::HomeAssistantOnline);
            }
        } else if self.requests.is_request_topic(&topic) {
            self.requests.on_publish(publish);
        } else {
            tracing::debug!(%topic, "remote: a message on no topic of ours");
        }
    }

    fn on_error(&mut self, error: ConnectionError) -> Duration {
        let wait = self.backoff.next_wait();
        let was_connected = self.connected.send_replace(false);
        let message = if was_connected {
            format!(
                "remote: lost the connection to the broker {}: {error}; retrying",
                self.broker
            )
        } else {
            format!(
                "remote: cannot reach the broker {}: {error}; retrying",
                self.broker
            )
        };
        if self.last_failure.as_deref() == Some(message.as_str()) {
            tracing::debug!(retry_in = ?wait, "{message}");
        } else {
            tracing::warn!(retry_in = ?wait, "{message}");
            self.last_failure = Some(message);
        }
        wait
    }

    /// The daemon is stopping: the room's state says offline (a clean DISCONNECT makes the
    /// broker drop the last will that would have said it), then the connection closes,
    /// waiting only briefly for both to leave.
    async fn goodbye(self, mut polling: Polling, within: Duration) {
        self.publisher.abort();
        if !*self.connected.borrow() {
            return;
        }
        let offline = RoomState::offline(self.topics.room()).to_json();
        if let Err(e) = self
            .client
            .try_publish(self.topics.state(), QoS::AtLeastOnce, true, offline)
        {
            tracing::warn!("remote: cannot mark the room offline: {e}");
        }
        let _ = self.client.try_disconnect();
        let _ = tokio::time::timeout(within, async {
            loop {
                let (events, result) = (&mut polling).await;
                if result.is_err() {
                    break;
                }
                polling = poll(events, None);
            }
        })
        .await;
        tracing::info!(room = self.topics.room(), "remote: disconnected from the broker");
    }
}
