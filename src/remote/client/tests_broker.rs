//! The client against a real Mosquitto (the private one: anonymous, loopback), with a thread
//! that plays a room's daemon: it answers each request on the response topic it names, with
//! its correlation data.

use std::thread::{self, JoinHandle};
use std::time::Duration;

use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Packet, PublishProperties};
use rumqttc::v5::{self, Event};

use super::*;
use crate::mqtt::PrivateBroker;
use crate::protocol::{Op, Reply};
use crate::remote::state::RoomState;

fn access(broker: &PrivateBroker) -> BrokerAccess {
    BrokerAccess {
        host: broker.host().into(),
        port: broker.port(),
        username: None,
        password: None,
        ca: None,
        client_id: fresh_client_id("setting-test"),
    }
}

fn connect(broker: &PrivateBroker, id: &str) -> (v5::Client, v5::Connection) {
    let options = v5::MqttOptions::new(fresh_client_id(id), broker.host(), broker.port());
    v5::Client::new(options, 16)
}

/// Answers every request to `room` with `ok` and the request's own JSON as the result, after
/// a first answer to the wrong correlation data that the client must ignore.
fn fake_room(broker: &PrivateBroker, room: &str) -> (v5::Client, JoinHandle<()>) {
    let (client, mut connection) = connect(broker, "fake-room");
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let answer = client.clone();
    let thread = thread::spawn(move || {
        for event in connection.iter() {
            match event {
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    let _ = ready_tx.send(());
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let request: serde_json::Value = serde_json::from_slice(&p.payload).unwrap();
                    let props = p.properties.unwrap_or_default();
                    let Some(topic) = props.response_topic else {
                        continue;
                    };
                    let reply = Reply {
                        id: request["id"].as_u64(),
                        ok: true,
                        result: Some(request),
                        error: None,
                    };
                    let body = serde_json::to_vec(&reply).unwrap();
                    let wrong = PublishProperties {
                        correlation_data: Some(b"someone else's".to_vec().into()),
                        ..Default::default()
                    };
                    let _ = answer.publish_with_properties(
                        &topic,
                        QoS::AtLeastOnce,
                        false,
                        b"{}".to_vec(),
                        wrong,
                    );
                    let right = PublishProperties {
                        correlation_data: props.correlation_data,
                        ..Default::default()
                    };
                    let _ = answer.publish_with_properties(&topic, QoS::AtLeastOnce, false, body, right);
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    client
        .subscribe(format!("setting/{room}/request/+"), QoS::AtLeastOnce)
        .unwrap();
    ready_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the fake room's subscription");
    (client, thread)
}

#[test]
fn a_request_gets_the_reply_with_its_own_correlation_data() {
    let dir = tempfile::tempdir().unwrap();
    let broker = PrivateBroker::start(dir.path()).unwrap();
    let (room, thread) = fake_room(&broker, "room-t");
    let op = Op::Start {
        scene: "sublingual".into(),
    };
    let reply = request(
        &access(&broker),
        "setting",
        "room-t",
        &op,
        7,
        Duration::from_secs(10),
    )
    .unwrap();
    assert!(reply.ok);
    assert_eq!(reply.id, Some(7));
    // The test's room echoes the request back as its result.
    let sent: serde_json::Value = reply.result_as().unwrap().unwrap();
    assert_eq!(sent["op"], "start");
    assert_eq!(sent["scene"], "sublingual");
    room.disconnect().unwrap();
    thread.join().unwrap();
}

#[test]
fn a_room_nobody_listens_for_is_said_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let broker = PrivateBroker::start(dir.path()).unwrap();
    let error = request(
        &access(&broker),
        "setting",
        "room-x",
        &Op::Status,
        1,
        Duration::from_secs(10),
    )
    .unwrap_err();
    // Mosquitto acknowledges a publish nobody subscribed to with "no matching subscribers".
    assert!(matches!(error, RemoteError::NotListening { .. }), "{error}");
    assert!(error.to_string().contains("`setting rooms`"), "{error}");
}

#[test]
fn a_broker_that_is_not_there_is_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    let broker = PrivateBroker::start(dir.path()).unwrap();
    let gone = access(&broker);
    drop(broker);
    let error = request(&gone, "setting", "room-a", &Op::Status, 1, Duration::from_secs(5)).unwrap_err();
    assert_eq!(error.class(), RemoteErrorClass::Unreachable, "{error}");
}

#[test]
fn the_rooms_come_from_their_retained_state_sorted() {
    let dir = tempfile::tempdir().unwrap();
    let broker = PrivateBroker::start(dir.path()).unwrap();
    let (publisher, mut connection) = connect(&broker, "rooms");
    let mut online = RoomState::offline("room-b");
    online.online = true;
    for (topic, payload) in [
        ("setting/room-b/state", online.to_json()),
        ("setting/room-a/state", RoomState::offline("room-a").to_json()),
        ("setting/room-c/state", b"not json".to_vec()),
        ("other/room-d/state", RoomState::offline("room-d").to_json()),
        // On room-e's topic, a document about room-b: it must not stand in for room-b.
        ("setting/room-e/state", RoomState::offline("room-b").to_json()),
    ] {
        publisher.publish(topic, QoS::AtLeastOnce, true, payload).unwrap();
    }
    let mut acks = 0;
    for event in connection.iter() {
        if let Ok(Event::Incoming(Packet::PubAck(_))) = event {
            acks += 1;
            if acks == 5 {
                break;
            }
        }
    }
    let list = list_rooms(&access(&broker), "setting", Duration::from_secs(10)).unwrap();
    let rooms: Vec<(&str, bool)> = list.rooms.iter().map(|r| (r.room.as_str(), r.online)).collect();
    assert_eq!(rooms, [("room-a", false), ("room-b", true)]);
    let mut unreadable = list.unreadable.clone();
    unreadable.sort();
    assert_eq!(unreadable, ["setting/room-c/state", "setting/room-e/state"]);
}

/// A broker that lets the client in and then never answers: it accepts one connection, sends
/// an MQTT 5 CONNACK, and reads whatever comes until the client goes (or a minute passes).
fn broker_that_never_acks_a_subscription() -> (u16, JoinHandle<()>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let thread = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut buf = [0u8; 1024];
        // The CONNECT; the CONNACK: session not present, success, no properties.
        let _ = stream.read(&mut buf);
        stream.write_all(&[0x20, 0x03, 0x00, 0x00, 0x00]).unwrap();
        while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
    });
    (port, thread)
}

#[test]
fn a_subscription_the_broker_never_confirms_is_named_as_such() {
    let (port, thread) = broker_that_never_acks_a_subscription();
    let silent = BrokerAccess {
        host: "127.0.0.1".into(),
        port,
        username: None,
        password: None,
        ca: None,
        client_id: fresh_client_id("setting-test"),
    };
    let error = list_rooms(&silent, "setting", Duration::from_secs(2)).unwrap_err();
    assert!(
        matches!(&error, RemoteError::SubscribeSilent { filter, .. } if filter == "setting/+/state"),
        "{error}"
    );
    assert_eq!(error.class(), RemoteErrorClass::Unreachable);
    assert!(error.to_string().contains("setting/+/state"), "{error}");
    thread.join().unwrap();
}
