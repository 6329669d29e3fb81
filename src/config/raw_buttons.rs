//! The `[[button]]` tables as written: physical buttons that speak MQTT, mapped to commands.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_spanned::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawButton {
    pub name: Spanned<String>,
    pub kind: Spanned<String>,
    pub topic: Spanned<String>,
    /// The input (Shelly Gen2, from 0) or button (Tasmota, from 1) on a device with several.
    pub input: Option<Spanned<i64>>,
    /// The zone the button's checks, emergencies and resumes cover; the whole room if unset.
    pub zone: Option<Spanned<String>>,
    /// What the device reports for a press, mapped to the command it sends.
    pub press: Spanned<BTreeMap<String, Spanned<String>>>,
}
