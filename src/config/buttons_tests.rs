//! The `[[button]]` tables: what a valid mapping gives, and the errors that name the field.

use super::tests::{ROOM, one, parse};
use super::*;

const MQTT: &str = "[mqtt]\nhost = \"broker.clinic\"\n";

fn with_buttons(buttons: &str) -> String {
    format!("{ROOM}{MQTT}{buttons}")
}

#[test]
fn each_kind_of_button_maps_its_presses_to_commands() {
    let c = parse(&with_buttons(
        "[[button]]\nname = \"by-the-mat\"\nkind = \"zigbee2mqtt\"\ntopic = \"zigbee2mqtt/demo-room/panic\"\n\
         press = { hold = \"emergency\", single = \"check\", double = \"resume\" }\n\
         [[button]]\nname = \"door\"\nkind = \"shelly-gen1\"\ntopic = \"shellies/shellybutton1-A4CF12F45301/input_event/0\"\n\
         zone = \"mat-1\"\npress = { L = \"emergency\", S = \"check\" }\n\
         [[button]]\nname = \"plus\"\nkind = \"shelly-gen2\"\ntopic = \"shellyplusi4-a8032ab1b2c3/events/rpc\"\ninput = 2\n\
         press = { long_push = \"emergency\" }\n\
         [[button]]\nname = \"wall\"\nkind = \"tasmota\"\ntopic = \"stat/wall-switch/RESULT\"\n\
         press = { HOLD = \"emergency\", DOUBLE = \"pause\" }\n",
    ))
    .unwrap();
    assert_eq!(c.buttons.len(), 4);
    let mat = &c.buttons[0];
    assert_eq!(mat.name, "by-the-mat");
    assert_eq!(mat.kind, ButtonKind::Zigbee2Mqtt);
    assert_eq!(mat.topic, "zigbee2mqtt/demo-room/panic");
    assert_eq!(mat.zone, None);
    assert_eq!(mat.presses["hold"], ButtonCommand::Emergency);
    assert_eq!(mat.presses["single"], ButtonCommand::Check);
    assert_eq!(mat.presses["double"], ButtonCommand::Resume);
    assert_eq!(c.buttons[1].zone.as_deref(), Some("mat-1"));
    assert_eq!(c.buttons[2].kind, ButtonKind::ShellyGen2 { input: 2 });
    // Tasmota counts its buttons from 1.
    assert_eq!(c.buttons[3].kind, ButtonKind::Tasmota { input: 1 });
    assert!(parse(ROOM).unwrap().buttons.is_empty());
}

#[test]
fn a_press_the_device_never_reports_is_refused_naming_it() {
    let e = one(&with_buttons(
        "[[button]]\nname = \"door\"\nkind = \"shelly-gen1\"\ntopic = \"shellies/b/input_event/0\"\n\
         press = { long = \"emergency\" }\n",
    ));
    assert!(e.starts_with("13:18:"), "{e}");
    assert!(
        e.contains(
            "`press.long`: a shelly-gen1 button never reports `long`; it reports S, SS, SSS, L, SL, LS"
        ),
        "{e}"
    );
}

#[test]
fn an_unknown_command_kind_or_zone_is_refused_naming_the_field() {
    let e = one(&with_buttons(
        "[[button]]\nname = \"b\"\nkind = \"zigbee2mqtt\"\ntopic = \"zigbee2mqtt/demo-room/b\"\n\
         press = { single = \"chek\" }\n",
    ));
    assert!(e.contains("`press.single`: `chek` is not a command a button can send; expected emergency, check, resume, pause"), "{e}");
    let e = one(&with_buttons(
        "[[button]]\nname = \"b\"\nkind = \"hue\"\ntopic = \"t\"\npress = { single = \"check\" }\n",
    ));
    assert!(e.contains("`kind` `hue` is not a kind of button"), "{e}");
    let e = one(&with_buttons(
        "[[button]]\nname = \"b\"\nkind = \"zigbee2mqtt\"\ntopic = \"t\"\nzone = \"mat-9\"\npress = { single = \"check\" }\n",
    ));
    assert!(
        e.contains("`zone`: the room has no zone `mat-9`; its zones are room, mat-1"),
        "{e}"
    );
}

#[test]
fn topics_inputs_names_and_the_broker_are_checked() {
    let e = one(&with_buttons(
        "[[button]]\nname = \"b\"\nkind = \"zigbee2mqtt\"\ntopic = \"zigbee2mqtt/#\"\npress = { single = \"check\" }\n",
    ));
    assert!(e.contains("`topic` must name one device's topic"), "{e}");
    let e = one(&with_buttons(
        "[[button]]\nname = \"b\"\nkind = \"zigbee2mqtt\"\ntopic = \"t\"\ninput = 1\npress = { single = \"check\" }\n",
    ));
    assert!(e.contains("`input` is for `shelly-gen2` and `tasmota`"), "{e}");
    let e = one(&with_buttons(
        "[[button]]\nname = \"b\"\nkind = \"tasmota\"\ntopic = \"t\"\ninput = 0\npress = { HOLD = \"emergency\" }\n",
    ));
    assert!(e.contains("`input` must be from 1 to 64, not 0"), "{e}");
    let e = one(&with_buttons(
        "[[button]]\nname = \"b\"\nkind = \"zigbee2mqtt\"\ntopic = \"t\"\npress = {}\n",
    ));
    assert!(e.contains("`press` maps nothing"), "{e}");
    let twice =
        "[[button]]\nname = \"b\"\nkind = \"zigbee2mqtt\"\ntopic = \"t\"\npress = { single = \"check\" }\n";
    let e = one(&with_buttons(&format!("{twice}{twice}")));
    assert!(e.contains("duplicate button `b`; first named on line 10"), "{e}");
    let e = one(&format!(
        "{ROOM}[[button]]\nname = \"b\"\nkind = \"zigbee2mqtt\"\ntopic = \"t\"\npress = {{ single = \"check\" }}\n"
    ));
    assert!(e.contains("`[[button]]` needs an `[mqtt]` broker"), "{e}");
    // An `[mqtt]` of the wrong type is its one problem, not a missing broker as well.
    let e = one(&format!(
        "mqtt = \"broker.clinic\"\n{ROOM}[[button]]\nname = \"b\"\nkind = \"zigbee2mqtt\"\ntopic = \"t\"\n\
         press = {{ single = \"check\" }}\n"
    ));
    assert!(
        e.contains("invalid type: string \"broker.clinic\", expected struct RawMqtt"),
        "{e}"
    );
    let e = one(&with_buttons(
        "[[button]]\nname = \"b\"\nkind = \"zigbee2mqtt\"\ntopic = \"t\"\npress = { single = \"check\" }\ncolour = 1\n",
    ));
    assert!(e.contains("colour"), "{e}");
}
