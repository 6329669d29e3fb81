//! Each family's state and availability messages, in every documented form, read back; and
//! malformed ones refused with an error that names the topic.

use super::fixtures::{light, topic};
use super::{DecodeError, DeviceState, Report, driver};
use crate::config::{Family, LightConfig};

fn decode(family: Family, at: &str, payload: &[u8]) -> Result<Option<Report>, DecodeError> {
    decode_for(&light(family, topic(family)), at, payload)
}

fn decode_for(light: &LightConfig, at: &str, payload: &[u8]) -> Result<Option<Report>, DecodeError> {
    driver(light.family).decode(light, at, payload)
}

fn state(on: Option<bool>, level: Option<f32>, kelvin: Option<u16>) -> Result<Option<Report>, DecodeError> {
    Ok(Some(Report::State(DeviceState { on, level, kelvin })))
}

fn available(yes: bool) -> Result<Option<Report>, DecodeError> {
    Ok(Some(Report::Availability(yes)))
}

/// The error for `payload` at `at`, which must name that topic.
fn refused(family: Family, at: &str, payload: &[u8]) -> String {
    match decode(family, at, payload) {
        Err(error) => {
            assert_eq!(error.topic, at);
            assert!(error.to_string().starts_with(at), "{error}");
            error.reason
        }
        other => panic!(
            "{family:?} {at} {:?}: expected an error, got {other:?}",
            String::from_utf8_lossy(payload)
        ),
    }
}

#[test]
fn zigbee2mqtt_state_messages() {
    let f = Family::Zigbee2Mqtt;
    assert_eq!(
        decode(
            f,
            "zigbee2mqtt/desk lamp",
            br#"{"state":"ON","brightness":102,"color_temp":370,"linkquality":87}"#
        ),
        state(Some(true), Some(102.0 / 254.0), Some(2703))
    );
    // Zigbee2MQTT writes null for what it does not know yet.
    assert_eq!(
        decode(
            f,
            "zigbee2mqtt/desk lamp",
            br#"{"state":"OFF","brightness":null}"#
        ),
        state(Some(false), None, None)
    );
    // A message with none of the light's fields (a bare linkquality update) says nothing.
    assert_eq!(
        decode(f, "zigbee2mqtt/desk lamp", br#"{"linkquality":40}"#),
        Ok(None)
    );
    // Out-of-range numbers are clamped, not passed on.
    assert_eq!(
        decode(f, "zigbee2mqtt/desk lamp", br#"{"brightness":9000}"#),
        state(None, Some(1.0), None)
    );
}

#[test]
fn zigbee2mqtt_availability_in_both_forms_for_device_and_bridge() {
    let f = Family::Zigbee2Mqtt;
    for at in ["zigbee2mqtt/desk lamp/availability", "zigbee2mqtt/bridge/state"] {
        assert_eq!(decode(f, at, b"online"), available(true), "{at}");
        assert_eq!(decode(f, at, b"offline"), available(false), "{at}");
        assert_eq!(decode(f, at, br#"{"state":"online"}"#), available(true), "{at}");
        assert_eq!(decode(f, at, br#"{"state":"offline"}"#), available(false), "{at}");
        assert!(refused(f, at, b"maybe").contains("online or offline"));
        assert!(refused(f, at, br#"{"state":1}"#).contains("state"));
        assert!(refused(f, at, br#"{"status":"online"}"#).contains("state"));
    }
}

#[test]
fn zigbee2mqtt_group_reads_its_state_and_the_bridge_only() {
    let mut group = light(Family::Zigbee2Mqtt, "living room");
    group.group = true;
    assert_eq!(
        decode_for(
            &group,
            "zigbee2mqtt/living room",
            br#"{"state":"ON","brightness":254}"#
        ),
        state(Some(true), Some(1.0), None)
    );
    assert_eq!(
        decode_for(&group, "zigbee2mqtt/living room/availability", b"offline"),
        Ok(None)
    );
    assert_eq!(
        decode_for(&group, "zigbee2mqtt/bridge/state", b"offline"),
        available(false)
    );
}

#[test]
fn messages_about_other_lights_are_ignored() {
    for family in Family::ALL {
        assert_eq!(decode(family, "somewhere/else", b"{}"), Ok(None), "{family:?}");
        assert_eq!(
            decode(family, "zigbee2mqtt/other lamp", b"not json"),
            Ok(None),
            "{family:?}"
        );
    }
}

#[test]
fn tasmota_result_state_and_lwt() {
    let f = Family::Tasmota;
    assert_eq!(
        decode(
            f,
            "stat/tasmota_desk/RESULT",
            br#"{"POWER":"ON","Dimmer":40,"CT":370}"#
        ),
        state(Some(true), Some(0.4), Some(2703))
    );
    assert_eq!(
        decode(
            f,
            "tele/tasmota_desk/STATE",
            br#"{"Time":"2026-01-01T00:00:00","Uptime":"0T01:00:00","POWER":"OFF","Dimmer":12,"Fade":"ON","Speed":40,"CT":153,"Wifi":{"RSSI":80}}"#
        ),
        state(Some(false), Some(0.12), Some(6536))
    );
    // RESULT also answers other commands, and firmware before 9.2 does not know SetOption117.
    for other in [
        br#"{"Fade":"ON"}"#.as_slice(),
        br#"{"SetOption117":"ON"}"#,
        br#"{"Command":"Unknown"}"#,
    ] {
        assert_eq!(decode(f, "stat/tasmota_desk/RESULT", other), Ok(None));
    }
    assert_eq!(decode(f, "tele/tasmota_desk/LWT", b"Online"), available(true));
    assert_eq!(decode(f, "tele/tasmota_desk/LWT", b"Offline"), available(false));
    assert!(refused(f, "tele/tasmota_desk/LWT", b"Gone").contains("Online or Offline"));
    assert!(refused(f, "stat/tasmota_desk/RESULT", br#"{"POWER":"HALF"}"#).contains("POWER"));
    assert!(refused(f, "stat/tasmota_desk/RESULT", br#"{"Dimmer":"40"}"#).contains("Dimmer"));
}

#[test]
fn shelly_gen1_status_channel_and_online() {
    let f = Family::ShellyGen1;
    assert_eq!(
        decode(
            f,
            "shellies/shellybulbduo-A1B2C3/light/0/status",
            br#"{"ison":true,"source":"mqtt","has_timer":false,"mode":"white","brightness":40,"temp":2700,"transition":0}"#
        ),
        state(Some(true), Some(0.4), Some(2700))
    );
    assert_eq!(
        decode(f, "shellies/shellybulbduo-A1B2C3/light/0", b"off"),
        state(Some(false), None, None)
    );
    assert_eq!(
        decode(f, "shellies/shellybulbduo-A1B2C3/online", b"true"),
        available(true)
    );
    assert_eq!(
        decode(f, "shellies/shellybulbduo-A1B2C3/online", b"false"),
        available(false)
    );
    assert!(
        refused(
            f,
            "shellies/shellybulbduo-A1B2C3/light/0/status",
            br#"{"ison":"yes"}"#
        )
        .contains("ison")
    );
    assert!(refused(f, "shellies/shellybulbduo-A1B2C3/light/0", b"dim").contains("on or off"));
    assert!(refused(f, "shellies/shellybulbduo-A1B2C3/online", b"1").contains("true or false"));
}

#[test]
fn shelly_gen2_light_and_cct_status_and_online() {
    let f = Family::ShellyGen2;
    assert_eq!(
        decode(
            f,
            "shellyplus-desk/status/cct:0",
            br#"{"id":0,"source":"init","output":true,"brightness":40,"ct":2700,"temperature":{"tC":40.1}}"#
        ),
        state(Some(true), Some(0.4), Some(2700))
    );
    assert_eq!(
        decode(
            f,
            "shellyplus-desk/status/light:0",
            br#"{"id":0,"output":false,"brightness":100}"#
        ),
        state(Some(false), Some(1.0), None)
    );
    assert_eq!(decode(f, "shellyplus-desk/online", b"false"), available(false));
    assert!(refused(f, "shellyplus-desk/status/cct:0", b"[1,2]").contains("JSON object"));
    assert!(refused(f, "shellyplus-desk/status/cct:0", br#"{"output":1}"#).contains("output"));
}

#[test]
fn wled_brightness_and_status() {
    let f = Family::Wled;
    assert_eq!(
        decode(f, "wled/desk-strip/g", b"102"),
        state(Some(true), Some(0.4), None)
    );
    assert_eq!(
        decode(f, "wled/desk-strip/g", b"0"),
        state(Some(false), None, None)
    );
    assert_eq!(
        decode(f, "wled/desk-strip/g", b"999"),
        state(Some(true), Some(1.0), None)
    );
    assert_eq!(decode(f, "wled/desk-strip/status", b"online"), available(true));
    assert_eq!(decode(f, "wled/desk-strip/status", b"offline"), available(false));
    assert!(refused(f, "wled/desk-strip/g", b"-1").contains("brightness"));
    assert!(refused(f, "wled/desk-strip/g", b"bright").contains("brightness"));
}

#[test]
fn home_assistant_and_esphome_state_and_status() {
    let f = Family::HomeAssistant;
    assert_eq!(
        decode(
            f,
            "esphome-desk/light/desk/state",
            br#"{"state":"ON","brightness":102,"color_mode":"color_temp","color_temp":370}"#
        ),
        state(Some(true), Some(0.4), Some(2703))
    );
    // A device set up with `color_temp_kelvin` writes Kelvin in the same field.
    assert_eq!(
        decode(
            f,
            "esphome-desk/light/desk/state",
            br#"{"state":"ON","color_temp":2700}"#
        ),
        state(Some(true), None, Some(2700))
    );
    assert_eq!(decode(f, "esphome-desk/status", b"online"), available(true));
    assert_eq!(decode(f, "esphome-desk/status", b"offline"), available(false));
    assert!(refused(f, "esphome-desk/light/desk/state", br#"{"state":true}"#).contains("state"));
}

#[test]
fn malformed_payloads_name_the_topic_and_the_reason() {
    let f = Family::Zigbee2Mqtt;
    let at = "zigbee2mqtt/desk lamp";
    assert!(refused(f, at, b"").contains("invalid JSON"));
    assert!(refused(f, at, br#"{"state":"ON","#).contains("invalid JSON"));
    assert!(refused(f, at, b"\xff\xfe").contains("invalid JSON"));
    assert!(refused(f, at, b"42").contains("a number"));
    assert!(refused(f, at, br#"{"brightness":"high"}"#).contains("brightness"));
    assert!(refused(f, at, br#"{"brightness":1e999}"#).contains("invalid JSON"));
    assert!(refused(f, "zigbee2mqtt/desk lamp/availability", b"\xff").contains("UTF-8"));
}
