//! Driving an MQTT 5 event loop from a task that also waits on other things: a poll that is
//! never cancelled half way, and what a SUBACK refused.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use rumqttc::v5::mqttbytes::v5::{SubAck, SubscribeReasonCode};
use rumqttc::v5::{ConnectionError, Event, EventLoop};

/// The event loop's next poll, owning the loop until it completes: rumqttc's `poll` can lose
/// a packet it has taken from its queue if it is dropped before writing it.
pub(crate) type Polling =
    Pin<Box<dyn Future<Output = (Box<EventLoop>, Result<Event, ConnectionError>)> + Send>>;

/// The next poll of `events`, after waiting `wait` (a backoff) first.
pub(crate) fn poll(mut events: Box<EventLoop>, wait: Option<Duration>) -> Polling {
    Box::pin(async move {
        if let Some(wait) = wait {
            tokio::time::sleep(wait).await;
        }
        let result = events.poll().await;
        (events, result)
    })
}

/// How many of a SUBACK's subscriptions the broker refused (an ACL that denies them).
pub(crate) fn refused_subscriptions(ack: &SubAck) -> usize {
    ack.return_codes
        .iter()
        .filter(|code| !matches!(code, SubscribeReasonCode::Success(_)))
        .count()
}
