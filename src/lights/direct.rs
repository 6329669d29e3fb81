//! A one-shot emergency publisher for when the daemon does not answer: the CLI connects to the
//! room's broker itself, sends every light of the target zones its emergency look at QoS 1 (and
//! the daemon a retained [`DirectNotice`]) and waits, briefly, for the broker to acknowledge
//! each message.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rumqttc::{TlsConfiguration, Transport, v5};

use crate::config::{BrokerConfig, LightConfig, MqttVersion};
use crate::config::{SecretError, read_secret};
use crate::lights::direct_notice::{self, DirectNotice};
use crate::lights::driver::{Publish, driver};
use crate::lights::level;
use crate::mqtt::{OptionsError, tls_config};
use crate::scene::Look;

/// How long the whole attempt may take, connection and acknowledgements: past this the
/// therapist is better served by the plain instruction to switch the lights on by hand.
pub const DEFAULT_DEADLINE: Duration = Duration::from_millis(1500);

#[derive(Debug, thiserror::Error)]
pub enum DirectError {
    #[error("cannot read the broker password")]
    Secret(#[source] SecretError),
    #[error("cannot set up TLS for the broker")]
    Tls(#[source] OptionsError),
    #[error("no light of {zones} is configured", zones = .0.join(", "))]
    NoLights(Vec<String>),
    #[error("cannot connect to the broker at {address}: {reason}")]
    Connect { address: String, reason: String },
}

/// What became of one light's messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LightOutcome {
    pub light: String,
    pub zone: String,
    /// Every message for the light was acknowledged by the broker.
    pub acknowledged: bool,
    /// Why not, when it was not.
    pub problem: Option<String>,
}

/// What was sent: per light, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectReport {
    pub address: String,
    pub lights: Vec<LightOutcome>,
    /// The broker took the retained notice that keeps a daemon starting later in emergency.
    pub notice_kept: bool,
}

impl DirectReport {
    pub fn acknowledged(&self) -> Vec<&str> {
        self.lights
            .iter()
            .filter(|l| l.acknowledged)
            .map(|l| l.light.as_str())
            .collect()
    }
}

/// The messages that take every light of `zones` to `look` at once: a stop first for a light
/// whose family has one (a running fade must not carry on over the emergency), then the look.
pub fn emergency_messages<'a>(
    lights: &'a [LightConfig],
    zones: &[String],
    look: Look,
) -> Vec<(&'a LightConfig, Vec<Publish>)> {
    lights
        .iter()
        .filter(|l| zones.contains(&l.zone))
        .map(|light| {
            let family = driver(light.family);
            let mut messages = family.stop(light);
            messages.extend(family.encode(light, &level::command(light, look, Duration::ZERO)));
            (light, messages)
        })
        .collect()
}

/// Connects to `broker`, publishes `notice.look` for every light of `notice.zones`, then
/// `notice` for `room`'s daemon (retained when `keep`: for a daemon that starts later), and
/// waits for the acknowledgements until `deadline` has passed since the call.
pub fn publish_emergency(
    broker: &BrokerConfig,
    room: &str,
    lights: &[LightConfig],
    notice: &DirectNotice,
    keep: bool,
    deadline: Duration,
) -> Result<DirectReport, DirectError> {
    let (zones, look) = (&notice.zones, notice.look);
    let started = Instant::now();
    let address = if broker.host.contains(':') {
        format!("[{}]:{}", broker.host, broker.port)
    } else {
        format!("{}:{}", broker.host, broker.port)
    };
    let messages = emergency_messages(lights, zones, look);
    if messages.is_empty() {
        return Err(DirectError::NoLights(zones.to_vec()));
    }
    let password = broker
        .password
        .as_ref()
        .map(read_secret)
        .transpose()
        .map_err(DirectError::Secret)?;
    let transport = match &broker.tls {
        Some(tls) => Some(Transport::Tls(TlsConfiguration::Rustls(Arc::new(
            tls_config(tls).map_err(DirectError::Tls)?,
        )))),
        None => None,
    };
    // Its own client id: taking the daemon's would throw a daemon that is only slow off the
    // broker; and one nobody can guess, so no other account can throw this one off mid-way.
    // No last will either: this client's going says nothing about the room.
    let client_id = crate::mqtt::unguessable(&format!("{}-emergency", broker.client_id));
    // Every message is queued before the connection is driven, so the queue must hold them
    // all: a full one would block the publish that waits for it.
    let capacity = messages.iter().map(|(_, m)| m.len()).sum::<usize>() + 9;
    let mut link = match broker.version {
        MqttVersion::V5 => {
            let mut options = v5::MqttOptions::new(client_id, &broker.host, broker.port);
            let network = crate::mqtt::without_nagle(options.network_options());
            options
                .set_network_options(network)
                .set_clean_start(true)
                .set_connection_timeout(1);
            if let Some(user) = &broker.username {
                options.set_credentials(user, password.clone().unwrap_or_default());
            }
            if let Some(transport) = transport {
                options.set_transport(transport);
            }
            Link::V5(Box::new(v5::Client::new(options, capacity)))
        }
        MqttVersion::V311 => {
            let mut options = rumqttc::MqttOptions::new(client_id, &broker.host, broker.port);
            options.set_clean_session(true);
            if let Some(user) = &broker.username {
                options.set_credentials(user, password.unwrap_or_default());
            }
            if let Some(transport) = transport {
                options.set_transport(transport);
            }
            Link::V311(Box::new(rumqttc::Client::new(options, capacity)))
        }
    };
    let end = started + deadline;
    link.connect(&address, end)?;
    let mut outcomes: Vec<LightOutcome> = Vec::new();
    // Publishes are acknowledged in the order they were sent (packet ids given in order).
    let mut order: Vec<usize> = Vec::new();
    // Taken before the first light's message: whatever the daemon sent a light before this
    // instant reached the broker before the direct path's look did.
    let lights_from = crate::lights::direct_notice::unix_now_ms();
    for (light, publishes) in &messages {
        let index = outcomes.len();
        outcomes.push(LightOutcome {
            light: light.name.clone(),
            zone: light.zone.clone(),
            acknowledged: false,
            problem: None,
        });
        for publish in publishes {
            if let Err(reason) = link.publish(publish) {
                outcomes[index].problem = Some(reason);
            } else {
                order.push(index);
            }
        }
    }
    // After the lights: what matters is that they are lit. The notice's own acknowledgement
    // comes last and says nothing about them.
    let notice = Publish {
        topic: direct_notice::topic(room),
        payload: DirectNotice {
            lights_from_unix_ms: Some(lights_from),
            ..notice.clone()
        }
        .to_json(),
    };
    let notice_queued = link.send(&notice, keep).is_ok();
    let mut pending: HashMap<usize, usize> = HashMap::new();
    for &index in &order {
        *pending.entry(index).or_default() += 1;
    }
    let mut acks = link.await_acks(order.len() + usize::from(notice_queued), end);
    for index in order {
        let Some(ack) = acks.next() else { break };
        match ack {
            Ok(()) => {
                let left = pending.entry(index).or_default();
                *left = left.saturating_sub(1);
            }
            Err(reason) => outcomes[index].problem = Some(reason),
        }
    }
    let notice_kept = keep && notice_queued && matches!(acks.next(), Some(Ok(())));
    for (index, outcome) in outcomes.iter_mut().enumerate() {
        if outcome.problem.is_none() {
            if pending.get(&index).copied().unwrap_or(0) == 0 {
                outcome.acknowledged = true;
            } else {
                outcome.problem = Some("the broker did not acknowledge it in time".into());
            }
        }
    }
    link.disconnect();
    Ok(DirectReport {
        address,
        lights: outcomes,
        notice_kept,
    })
}

enum Link {
    V5(Box<(v5::Client, v5::Connection)>),
    V311(Box<(rumqttc::Client, rumqttc::Connection)>),
}

/// One event from the connection, in the terms both protocol versions share.
enum Seen {
    ConnAck(Result<(), String>),
    PubAck(Result<(), String>),
    Other,
}

impl Link {
    fn next(&mut self, until: Instant) -> Option<Result<Seen, String>> {
        let left = until.checked_duration_since(Instant::now())?;
        match self {
            Link::V5(link) => {
                let connection = &mut link.1;
                use v5::mqttbytes::v5::{ConnectReturnCode, Packet, PubAckReason};
                let event = connection.recv_timeout(left).ok()?;
                Some(match event {
                    Ok(v5::Event::Incoming(Packet::ConnAck(ack))) => Ok(Seen::ConnAck(
                        (ack.code == ConnectReturnCode::Success)
                            .then_some(())
                            .ok_or_else(|| format!("the broker refused the connection ({:?})", ack.code)),
                    )),
                    Ok(v5::Event::Incoming(Packet::PubAck(ack))) => Ok(Seen::PubAck(
                        matches!(
                            ack.reason,
                            PubAckReason::Success | PubAckReason::NoMatchingSubscribers
                        )
                        .then_some(())
                        .ok_or_else(|| format!("the broker refused it ({:?})", ack.reason)),
                    )),
                    Ok(_) => Ok(Seen::Other),
                    Err(e) => Err(e.to_string()),
                })
            }
            Link::V311(link) => {
                let connection = &mut link.1;
                use rumqttc::{ConnectReturnCode, Event, Packet};
                let event = connection.recv_timeout(left).ok()?;
                Some(match event {
                    Ok(Event::Incoming(Packet::ConnAck(ack))) => Ok(Seen::ConnAck(
                        (ack.code == ConnectReturnCode::Success)
                            .then_some(())
                            .ok_or_else(|| format!("the broker refused the connection ({:?})", ack.code)),
                    )),
                    // MQTT 3.1.1 cannot say no to a publish: an acknowledgement is all there is.
                    Ok(Event::Incoming(Packet::PubAck(_))) => Ok(Seen::PubAck(Ok(()))),
                    Ok(_) => Ok(Seen::Other),
                    Err(e) => Err(e.to_string()),
                })
            }
        }
    }

    fn connect(&mut self, address: &str, until: Instant) -> Result<(), DirectError> {
        let failed = |reason: String| DirectError::Connect {
            address: address.to_string(),
            reason,
        };
        loop {
            match self.next(until) {
                None => return Err(failed("no answer in time".into())),
                Some(Err(reason)) => return Err(failed(reason)),
                Some(Ok(Seen::ConnAck(result))) => return result.map_err(failed),
                Some(Ok(_)) => {}
            }
        }
    }

    fn publish(&mut self, publish: &Publish) -> Result<(), String> {
        self.send(publish, false)
    }

    fn send(&mut self, publish: &Publish, retain: bool) -> Result<(), String> {
        let result = match self {
            Link::V5(link) => link
                .0
                .publish(
                    publish.topic.clone(),
                    v5::mqttbytes::QoS::AtLeastOnce,
                    retain,
                    publish.payload.clone(),
                )
                .map_err(|e| e.to_string()),
            Link::V311(link) => link
                .0
                .publish(
                    publish.topic.clone(),
                    rumqttc::QoS::AtLeastOnce,
                    retain,
                    publish.payload.clone(),
                )
                .map_err(|e| e.to_string()),
        };
        result.map_err(|e| format!("cannot queue it: {e}"))
    }

    /// Up to `count` acknowledgements, in order, as they come until `until`.
    fn await_acks(&mut self, count: usize, until: Instant) -> std::vec::IntoIter<Result<(), String>> {
        let mut acks = Vec::with_capacity(count);
        while acks.len() < count {
            match self.next(until) {
                None => break,
                Some(Err(reason)) => {
                    // The link is gone: nothing more will be acknowledged.
                    acks.resize(count, Err(format!("the connection failed: {reason}")));
                    break;
                }
                Some(Ok(Seen::PubAck(result))) => acks.push(result),
                Some(Ok(_)) => {}
            }
        }
        acks.into_iter()
    }

    fn disconnect(mut self) {
        let sent = match &self {
            Link::V5(link) => link.0.disconnect().is_ok(),
            Link::V311(link) => link.0.disconnect().is_ok(),
        };
        if sent {
            // Let the DISCONNECT go out so the broker closes the session cleanly; bounded.
            let until = Instant::now() + Duration::from_millis(200);
            while let Some(Ok(_)) = self.next(until) {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Curve, Family};

    fn light(name: &str, zone: &str, family: Family) -> LightConfig {
        LightConfig {
            name: name.into(),
            zone: zone.into(),
            family,
            topic: name.into(),
            group: false,
            kelvin: Some((2200, 4000)),
            max_transition: Duration::from_secs(60),
            min_level: 0.03,
            curve: Curve::Cie,
            network: "zigbee".into(),
            separate_kelvin: false,
        }
    }

    #[test]
    fn only_the_target_zones_lights_get_messages_and_each_ends_on_the_look() {
        let lights = [
            light("ceiling", "room", Family::Zigbee2Mqtt),
            light("lamp", "mat-1", Family::Tasmota),
            light("other", "mat-2", Family::Wled),
        ];
        let look = Look {
            brightness: 100.0,
            kelvin: 4000,
        };
        let zones = vec!["room".to_string(), "mat-1".to_string()];
        let messages = emergency_messages(&lights, &zones, look);
        let names: Vec<_> = messages.iter().map(|(l, _)| l.name.as_str()).collect();
        assert_eq!(names, ["ceiling", "lamp"]);
        for (light, publishes) in &messages {
            let family = driver(light.family);
            let last = publishes.last().expect("at least the look");
            let wanted = family.encode(light, &level::command(light, look, Duration::ZERO));
            assert_eq!(Some(last), wanted.last(), "{}", light.name);
            assert!(publishes.starts_with(&family.stop(light)), "{}", light.name);
        }
    }

    #[test]
    fn a_room_without_lights_in_the_zones_is_an_error_before_any_connection() {
        let broker = BrokerConfig {
            host: "192.0.2.1".into(),
            port: 1883,
            tls: None,
            username: None,
            password: None,
            client_id: "setting-x".into(),
            version: MqttVersion::V5,
        };
        let lights = [light("ceiling", "room", Family::Zigbee2Mqtt)];
        let look = Look {
            brightness: 100.0,
            kelvin: 4000,
        };
        let notice = DirectNotice {
            zones: vec!["mat-9".into()],
            look,
            id: None,
            sent_unix_ms: 0,
            whole_room: false,
            user: None,
            lights_from_unix_ms: None,
        };
        let error = publish_emergency(&broker, "room-1", &lights, &notice, true, DEFAULT_DEADLINE)
            .expect_err("no lights there");
        assert!(matches!(error, DirectError::NoLights(_)), "{error}");
    }
}
