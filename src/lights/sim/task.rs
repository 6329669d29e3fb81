//! The simulation's two tasks: one owns rumqttc's event loop and does nothing but poll it;
//! the other applies commands and reports each light's state on its schedule.

use std::time::Duration;

use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Filter, Packet};
use rumqttc::v5::{AsyncClient, ConnectionError, Event, EventLoop};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, sleep, sleep_until};

use super::{Lights, OFFLINE, ONLINE, Simulated, lock, retained};
use crate::lights::driver::Publish;
use crate::lights::driver::zigbee2mqtt::{
    availability_topic, bridge_state_topic, get_topic, set_topic, state_topic,
};

const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// Failed attempts before [`super::SimulatedLights::start`] reports the broker unreachable.
const FIRST_CONNECT_TRIES: u32 = 4;

pub(super) enum Incoming {
    Connected,
    /// A SubAck or PubAck: the broker has handled one of our requests.
    Acknowledged,
    Message {
        topic: String,
        payload: Vec<u8>,
    },
    Failed(ConnectionError),
}

/// Polls the event loop for ever, passing on what the simulation needs. A broker that is down
/// makes `poll` fail at once, again and again: back off between attempts.
pub(super) async fn poll(mut eventloop: EventLoop, events: mpsc::UnboundedSender<Incoming>) {
    let mut backoff = MIN_BACKOFF;
    loop {
        let incoming = match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                backoff = MIN_BACKOFF;
                Incoming::Connected
            }
            Ok(Event::Incoming(Packet::SubAck(_) | Packet::PubAck(_))) => Incoming::Acknowledged,
            Ok(Event::Incoming(Packet::Publish(publish))) => Incoming::Message {
                topic: String::from_utf8_lossy(&publish.topic).into_owned(),
                payload: publish.payload.to_vec(),
            },
            Ok(_) => continue,
            Err(error) => {
                if events.send(Incoming::Failed(error)).is_err() {
                    return;
                }
                sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        if events.send(incoming).is_err() {
            return;
        }
    }
}

/// Applies commands as they come and reports state when a light's schedule says so; the
/// first connection's outcome goes to `ready`.
pub(super) async fn simulate(
    client: AsyncClient,
    lights: Lights,
    mut received: mpsc::UnboundedReceiver<Incoming>,
    ready: oneshot::Sender<Result<(), ConnectionError>>,
) {
    let mut ready = Some(ready);
    let mut failures = 0;
    // Acknowledgements still to come before the first announcement is complete.
    let mut awaiting = 0;
    loop {
        let next = lock(&lights)
            .iter()
            .filter_map(|light| light.device.next_report())
            .min();
        let event = match next {
            Some(at) => tokio::select! {
                event = received.recv() => event,
                () = sleep_until(at) => {
                    report_due(&client, &lights);
                    continue;
                }
            },
            None => received.recv().await,
        };
        let Some(event) = event else { return };
        match event {
            Incoming::Connected => {
                failures = 0;
                // Every connection, the first and after a broker restart: the broker may have
                // lost the retained announcements and, with a clean session, the subscriptions.
                awaiting = announce(&client, &lights);
                if awaiting == 0
                    && let Some(ready) = ready.take()
                {
                    let _ = ready.send(Ok(()));
                }
            }
            Incoming::Acknowledged => {
                awaiting = awaiting.saturating_sub(1);
                if awaiting == 0
                    && let Some(ready) = ready.take()
                {
                    let _ = ready.send(Ok(()));
                }
            }
            Incoming::Failed(error) => {
                failures += 1;
                // A broker started a moment ago may not listen yet: give up on the first
                // connection only after a few tries (the poll task backs off in between).
                if failures >= FIRST_CONNECT_TRIES
                    && let Some(ready) = ready.take()
                {
                    let _ = ready.send(Err(error));
                } else {
                    tracing::debug!(%error, "simulated lights cannot reach the broker; retrying");
                }
            }
            Incoming::Message { topic, payload } => handle(&client, &lights, &topic, &payload),
        }
    }
}

/// Subscribes to every light's commands, then publishes the bridge and every available device
/// online (retained) and each light's state. Subscribing first means that whoever sees the
/// announcement can send commands. Returns how many acknowledgements the broker owes for it.
fn announce(client: &AsyncClient, lights: &Lights) -> usize {
    let now = Instant::now();
    let mut sends = vec![retained(bridge_state_topic(), ONLINE)];
    let mut filters = Vec::new();
    for light in lock(lights).iter_mut() {
        if !light.group {
            let payload: &[u8] = if light.available { ONLINE } else { OFFLINE };
            sends.push(retained(availability_topic(&light.topic), payload));
        }
        sends.push(state(light, now));
        filters.push(Filter::new(set_topic(&light.topic), QoS::AtLeastOnce));
        filters.push(Filter::new(get_topic(&light.topic), QoS::AtLeastOnce));
    }
    let mut owed = 0;
    if !filters.is_empty() {
        match client.try_subscribe_many(filters) {
            Ok(()) => owed += 1,
            Err(error) => tracing::warn!(%error, "simulated lights could not subscribe"),
        }
    }
    for publish in sends {
        if send(client, publish) {
            owed += 1;
        }
    }
    owed
}

fn state(light: &mut Simulated, now: Instant) -> (Publish, bool) {
    let publish = Publish {
        topic: state_topic(&light.topic),
        payload: light.device.report(now),
    };
    (publish, false)
}

fn handle(client: &AsyncClient, lights: &Lights, topic: &str, payload: &[u8]) {
    let now = Instant::now();
    let reply = {
        let mut lights = lock(lights);
        let command = topic.strip_prefix("zigbee2mqtt/").and_then(|rest| {
            rest.strip_suffix("/set")
                .map(|name| (name, true))
                .or_else(|| rest.strip_suffix("/get").map(|name| (name, false)))
        });
        let Some((name, set)) = command else { return };
        let Some(light) = lights.iter_mut().find(|light| light.topic == name) else {
            return;
        };
        if !light.available {
            tracing::debug!(light = name, "simulated light is unavailable; command ignored");
            return;
        }
        if set {
            match light.device.apply(now, payload) {
                Ok(true) => Some(state(light, now)),
                Ok(false) => None,
                Err(reason) => {
                    tracing::warn!(light = name, %reason, "simulated light refused a command");
                    None
                }
            }
        } else {
            Some(state(light, now))
        }
    };
    if let Some(reply) = reply {
        send(client, reply);
    }
}

fn report_due(client: &AsyncClient, lights: &Lights) {
    let now = Instant::now();
    let due: Vec<_> = lock(lights)
        .iter_mut()
        .filter(|light| light.device.next_report().is_some_and(|at| at <= now))
        .map(|light| state(light, now))
        .collect();
    for publish in due {
        send(client, publish);
    }
}

/// Publishes without waiting: a full request channel drops the message (the next report
/// carries the state again) rather than stall the simulation. Returns whether it went.
pub(super) fn send(client: &AsyncClient, (publish, retain): (Publish, bool)) -> bool {
    match client.try_publish(publish.topic, QoS::AtLeastOnce, retain, publish.payload) {
        Ok(()) => true,
        Err(error) => {
            tracing::warn!(%error, "simulated lights could not publish");
            false
        }
    }
}
