//! One short MQTT 5 connection for one call: connect and wait for the CONNACK, subscribe and
//! wait for the SUBACK, then hand over what arrives, each step bounded by the call's deadline.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{ConnectReturnCode, Packet, SubscribeReasonCode};
use rumqttc::v5::{self, ConnectionError, Event};
use rumqttc::{TlsConfiguration, Transport};

use super::{BrokerAccess, RemoteError};
use crate::config::TlsConfig;
use crate::mqtt::tls_config;

/// Few messages are in flight at once: a subscription, a request, a disconnect.
const QUEUE: usize = 16;
/// How long a clean goodbye may take before the connection is simply dropped.
const GOODBYE: Duration = Duration::from_millis(200);
/// The largest reply taken: a whole session's `report` or a long `sessions` list is far above
/// rumqttc's default of 10 KiB, which would read as a broken connection.
const MAX_REPLY: u32 = 16 * 1024 * 1024;

pub(super) struct Session {
    client: v5::Client,
    connection: v5::Connection,
    address: String,
    /// Packets that arrived while waiting for something else.
    early: VecDeque<Packet>,
}

impl Session {
    /// Connects, and waits until `deadline` for the broker's CONNACK.
    pub(super) fn open(access: &BrokerAccess, deadline: Instant) -> Result<Session, RemoteError> {
        let address = access.address();
        let mut options = v5::MqttOptions::new(&access.client_id, &access.host, access.port);
        let left = deadline.saturating_duration_since(Instant::now());
        let network = crate::mqtt::without_nagle(options.network_options());
        options
            .set_network_options(network)
            .set_clean_start(true)
            .set_max_packet_size(Some(MAX_REPLY))
            .set_keep_alive(Duration::from_secs(30))
            .set_connection_timeout(left.as_secs().max(1));
        if let Some(user) = &access.username {
            options.set_credentials(user, access.password.clone().unwrap_or_default());
        }
        if let Some(ca) = &access.ca {
            let tls = TlsConfig {
                ca: ca.clone(),
                client_cert: None,
            };
            let config = tls_config(&tls).map_err(RemoteError::Tls)?;
            options.set_transport(Transport::Tls(TlsConfiguration::Rustls(Arc::new(config))));
        }
        let (client, connection) = v5::Client::new(options, QUEUE);
        let mut session = Session {
            client,
            connection,
            address: address.clone(),
            early: VecDeque::new(),
        };
        loop {
            let event = session.connection.recv_timeout(left_until(deadline));
            match event {
                Err(_) => {
                    return Err(RemoteError::BrokerSilent {
                        address,
                        within: left,
                    });
                }
                Ok(Ok(Event::Incoming(Packet::ConnAck(_)))) => return Ok(session),
                Ok(Ok(_)) => {}
                Ok(Err(ConnectionError::ConnectionRefused(code))) => {
                    return Err(refusal(access, address, code));
                }
                Ok(Err(ConnectionError::MqttState(rumqttc::v5::StateError::ConnFail { reason }))) => {
                    return Err(refusal(access, address, reason));
                }
                Ok(Err(source)) => return Err(RemoteError::Connect { address, source }),
            }
        }
    }

    /// Subscribes to `filter` and waits for the SUBACK: `Ok(Err(reason))` when the broker
    /// refused the subscription.
    pub(super) fn subscribe(
        &mut self,
        filter: &str,
        deadline: Instant,
    ) -> Result<Result<(), String>, RemoteError> {
        self.client
            .subscribe(filter, QoS::AtLeastOnce)
            .map_err(|e| RemoteError::Queue(Box::new(e)))?;
        loop {
            match self.next_raw(deadline)? {
                None => {
                    return Err(RemoteError::SubscribeSilent {
                        address: self.address.clone(),
                        filter: filter.to_string(),
                    });
                }
                Some(Packet::SubAck(ack)) => {
                    return Ok(match ack.return_codes.first() {
                        Some(SubscribeReasonCode::Success(_)) => Ok(()),
                        Some(code) => Err(subscribe_reason(code)),
                        None => Err("the broker answered with no reason code".into()),
                    });
                }
                Some(other) => self.early.push_back(other),
            }
        }
    }

    pub(super) fn client(&self) -> &v5::Client {
        &self.client
    }

    /// The next packet from the broker; `None` once `deadline` has passed.
    pub(super) fn next(&mut self, deadline: Instant) -> Result<Option<Packet>, RemoteError> {
        match self.early.pop_front() {
            Some(packet) => Ok(Some(packet)),
            None => self.next_raw(deadline),
        }
    }

    fn next_raw(&mut self, deadline: Instant) -> Result<Option<Packet>, RemoteError> {
        loop {
            if Instant::now() >= deadline {
                return Ok(None);
            }
            match self.connection.recv_timeout(left_until(deadline)) {
                Err(_) => return Ok(None),
                Ok(Ok(Event::Incoming(packet))) => return Ok(Some(packet)),
                Ok(Ok(Event::Outgoing(_))) => {}
                Ok(Err(source)) => {
                    return Err(RemoteError::Lost {
                        address: self.address.clone(),
                        source,
                    });
                }
            }
        }
    }

    /// Says goodbye, so the broker drops the session at once; bounded, and errors ignored:
    /// the call's answer is already known.
    pub(super) fn close(mut self) {
        if self.client.disconnect().is_ok() {
            let until = Instant::now() + GOODBYE;
            while let Ok(Ok(_)) = self.connection.recv_timeout(left_until(until)) {
                if Instant::now() >= until {
                    break;
                }
            }
        }
    }
}

fn left_until(deadline: Instant) -> Duration {
    deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1))
}

fn refusal(access: &BrokerAccess, address: String, code: ConnectReturnCode) -> RemoteError {
    let user = access.username.clone();
    match code {
        ConnectReturnCode::BadUserNamePassword | ConnectReturnCode::NotAuthorized => {
            RemoteError::BadCredentials { address, user }
        }
        other => RemoteError::ConnectRefused {
            address,
            user,
            reason: format!("{other:?}"),
        },
    }
}

fn subscribe_reason(code: &SubscribeReasonCode) -> String {
    match code {
        SubscribeReasonCode::NotAuthorized => "subscription not authorised".into(),
        other => format!("subscription refused: {other:?}"),
    }
}
