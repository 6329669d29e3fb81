//! The `[mqtt]` section, the `--mqtt` override and reading the password: defaults, refusals
//! with their positions, and secrets that never appear in an error.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

use super::secret::read_secret_with;
use super::tests::{ROOM, one, parse};
use super::*;
use super::{BrokerConfig, MqttVersion, SecretSource, TlsConfig};

/// The demo room with an `[mqtt]` section whose keys start on line 8.
fn mqtt(keys: &str) -> String {
    format!("{ROOM}[mqtt]\n{keys}")
}

fn broker(keys: &str) -> BrokerConfig {
    parse(&mqtt(keys)).unwrap().lights.broker.unwrap()
}

#[test]
fn a_plain_broker_takes_the_defaults() {
    assert_eq!(
        broker("host = \"broker.clinic.lan\"\n"),
        BrokerConfig {
            host: "broker.clinic.lan".into(),
            port: 1883,
            tls: None,
            username: None,
            password: None,
            client_id: "setting-demo-room".into(),
            version: MqttVersion::V5,
        }
    );
}

#[test]
fn tls_moves_the_default_port_and_paths_count_from_the_config_file() {
    let b = broker(
        "host = \"broker.clinic.lan\"\nusername = \"demo-room\"\npassword_file = \"mqtt-password\"\n\
         client_id = \"room-7\"\nversion = \"3.1.1\"\n[mqtt.tls]\nca = \"ca.pem\"\n\
         client_cert = \"/etc/ssl/room.pem\"\nclient_key = \"/etc/ssl/room.key\"\n",
    );
    assert_eq!(b.port, 8883);
    assert_eq!(
        b.tls,
        Some(TlsConfig {
            ca: PathBuf::from("/etc/setting/ca.pem"),
            client_cert: Some(("/etc/ssl/room.pem".into(), "/etc/ssl/room.key".into())),
        })
    );
    assert_eq!(b.username.as_deref(), Some("demo-room"));
    assert_eq!(
        b.password,
        Some(SecretSource::File("/etc/setting/mqtt-password".into()))
    );
    assert_eq!((b.client_id.as_str(), b.version), ("room-7", MqttVersion::V311));
    let env = broker("host = \"10.0.0.2\"\nport = 1884\nusername = \"u\"\npassword_env = \"MQTT_PW\"\n");
    assert_eq!(env.port, 1884);
    assert_eq!(env.password, Some(SecretSource::Env("MQTT_PW".into())));
}

#[test]
fn an_inline_password_is_refused_without_being_repeated() {
    let err = one(&mqtt(
        "host = \"b\"\nusername = \"u\"\npassword = \"hunter2-secret\"\n",
    ));
    assert_eq!(
        err,
        "10:12: the password may not be written in the config; put it in a file named by \
         `password_file` (readable only by the daemon) or in the variable named by `password_env`"
    );
    let odd = one(&mqtt("host = \"b\"\nusername = \"u\"\npassword = 31337\n"));
    assert!(!odd.contains("31337"), "{odd}");
}

#[test]
fn password_sources_are_one_of_two_and_need_a_user() {
    assert_eq!(
        one(&mqtt(
            "host = \"b\"\nusername = \"u\"\npassword_file = \"f\"\npassword_env = \"E\"\n"
        )),
        "11:16: give either password_file or password_env, not both"
    );
    assert_eq!(
        one(&mqtt("host = \"b\"\npassword_env = \"PW\"\n")),
        "9:16: a password needs a `username` to go with it"
    );
    // A username of the wrong type is its one problem, not a missing username as well.
    assert_eq!(
        one(&mqtt("host = \"b\"\nusername = 7\npassword_env = \"PW\"\n")),
        "9:12: invalid type: integer `7`, expected a string"
    );
    assert_eq!(
        one(&mqtt(
            "host = \"b\"\nusername = \"u\"\npassword_env = \"MQTT PW\"\n"
        )),
        "10:16: password_env `MQTT PW` is not a variable name; expected letters, digits and `_`, such \
         as SETTING_MQTT_PASSWORD"
    );
    assert_eq!(
        one(&mqtt("host = \"b\"\nusername = \"\"\n")),
        "9:12: username `` must not be empty or contain spaces"
    );
}

#[test]
fn tls_client_certificates_come_with_their_keys() {
    assert_eq!(
        one(&mqtt(
            "host = \"b\"\n[mqtt.tls]\nca = \"ca.pem\"\nclient_cert = \"c.pem\"\n"
        )),
        "11:15: client_cert needs its client_key; give both or neither"
    );
    assert_eq!(
        one(&mqtt(
            "host = \"b\"\n[mqtt.tls]\nca = \"ca.pem\"\nclient_key = \"c.key\"\n"
        )),
        "11:14: client_key needs its client_cert; give both or neither"
    );
    assert!(one(&mqtt("host = \"b\"\n[mqtt.tls]\nclient_key = \"c.key\"\n")).contains("missing field `ca`"));
}

#[test]
fn host_port_and_version_are_checked() {
    assert_eq!(
        one(&mqtt("host = \"b\"\nport = 0\n")),
        "9:8: mqtt port 0 is out of range; expected 1 to 65535"
    );
    assert_eq!(
        one(&mqtt("host = \"b\"\nport = 70000\n")),
        "9:8: mqtt port 70000 is out of range; expected 1 to 65535"
    );
    assert_eq!(
        one(&mqtt("host = \"mqtts://broker.lan\"\n")),
        "8:8: mqtt host `mqtts://broker.lan` is a URL; give the host alone: the port goes in `port` and \
         TLS in [mqtt.tls]"
    );
    assert_eq!(
        one(&mqtt("host = \"broker.lan:1883\"\n")),
        "8:8: mqtt host `broker.lan:1883` has a port in it; the port goes in `port`"
    );
    assert_eq!(broker("host = \"::1\"\n").host, "::1");
    assert_eq!(
        one(&mqtt("host = \"b\"\nversion = \"4\"\n")),
        "9:11: unknown mqtt version `4`; expected one of 5, 3.1.1"
    );
    assert!(one(&format!("{ROOM}[mqtt]\nport = 1883\n")).contains("missing field `host`"));
}

#[test]
fn the_mqtt_flag_takes_host_and_port() {
    assert_eq!(broker_override("127.0.0.1:1883"), Ok(("127.0.0.1".into(), 1883)));
    assert_eq!(
        broker_override("broker.lan:8883"),
        Ok(("broker.lan".into(), 8883))
    );
    assert_eq!(broker_override("[::1]:1884"), Ok(("::1".into(), 1884)));
    for malformed in ["broker.lan", "::1:1883", "[::1:1883"] {
        assert_eq!(
            broker_override(malformed),
            Err(BrokerOverrideError::Malformed(malformed.into())),
            "{malformed}"
        );
    }
    for bad_port in ["b:0", "b:65536", "b:", "b:x"] {
        assert_eq!(
            broker_override(bad_port),
            Err(BrokerOverrideError::Port(bad_port.into())),
            "{bad_port}"
        );
    }
    let err = broker_override(":1883").unwrap_err();
    assert_eq!(err.to_string(), "`:1883`: the host is empty");
}

#[test]
fn the_override_keeps_credentials_or_makes_a_plain_broker() {
    let mut demo = parse(ROOM).unwrap();
    demo.override_broker("127.0.0.1".into(), 41883);
    assert_eq!(
        demo.lights.broker,
        Some(BrokerConfig {
            host: "127.0.0.1".into(),
            port: 41883,
            tls: None,
            username: None,
            password: None,
            client_id: "setting-demo-room".into(),
            version: MqttVersion::V5,
        })
    );
    let mut clinic = parse(&mqtt(
        "host = \"broker.clinic.lan\"\nusername = \"u\"\npassword_env = \"PW\"\n[mqtt.tls]\nca = \"ca.pem\"\n",
    ))
    .unwrap();
    let before = clinic.lights.broker.clone().unwrap();
    clinic.override_broker("10.1.1.1".into(), 18883);
    let after = clinic.lights.broker.unwrap();
    assert_eq!((after.host.as_str(), after.port), ("10.1.1.1", 18883));
    assert_eq!(
        BrokerConfig {
            host: before.host.clone(),
            port: before.port,
            ..after
        },
        before,
        "everything but the address stays"
    );
}

#[test]
fn secrets_are_read_from_a_file_without_the_line_break() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mqtt-password");
    std::fs::write(&path, "s3cret-Value\n").unwrap();
    assert_eq!(
        read_secret(&SecretSource::File(path.clone())).unwrap(),
        "s3cret-Value"
    );
    std::fs::write(&path, "with space \r\n").unwrap();
    assert_eq!(
        read_secret(&SecretSource::File(path.clone())).unwrap(),
        "with space "
    );
    std::fs::write(&path, "\n").unwrap();
    let empty = read_secret(&SecretSource::File(path.clone())).unwrap_err();
    assert_eq!(
        empty.to_string(),
        format!("the password file {} is empty", path.display())
    );
    let missing = dir.path().join("absent");
    let err = read_secret(&SecretSource::File(missing.clone())).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("cannot read the password file {}", missing.display())
    );
    assert!(std::error::Error::source(&err).is_some(), "the cause is kept");
}

#[test]
fn secrets_are_read_from_the_environment() {
    // PATH is set in any test run; reading it changes nothing for the tests running beside us.
    let path = std::env::var("PATH").unwrap();
    assert_eq!(read_secret(&SecretSource::Env("PATH".into())).unwrap(), path);
    let unset = "SETTING_TEST_SURELY_UNSET_PASSWORD";
    let err = read_secret(&SecretSource::Env(unset.into())).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("the password variable {unset} is not set")
    );
    let empty = read_secret_with(&SecretSource::Env("PW".into()), |_| Some(OsString::new()));
    assert_eq!(
        empty.unwrap_err().to_string(),
        "the password variable PW is empty"
    );
}

#[test]
fn a_secret_never_appears_in_its_error() {
    let secret = b"top\xffsecret-bytes".to_vec();
    let err = read_secret_with(&SecretSource::Env("PW".into()), |_| {
        Some(OsString::from_vec(secret.clone()))
    })
    .unwrap_err();
    let mut chain = err.to_string();
    let mut cause = std::error::Error::source(&err);
    while let Some(c) = cause {
        chain.push_str(&c.to_string());
        cause = c.source();
    }
    assert_eq!(chain, "the password variable PW is not valid UTF-8");
    assert!(!format!("{err:?}").contains("secret-bytes"), "{err:?}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pw");
    std::fs::write(&path, b"top\xffsecret-bytes\n").unwrap();
    let err = read_secret(&SecretSource::File(path)).unwrap_err();
    assert!(!format!("{err} {err:?}").contains("secret-bytes"), "{err:?}");
}
