//! The lights' part of the config as written: `[mqtt]`, `[[lights.network]]` and each zone's
//! `[[room.zone.light]]`, rejecting unknown keys like the rest of the file.

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_spanned::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMqtt {
    pub host: Spanned<String>,
    pub port: Option<Spanned<i64>>,
    pub client_id: Option<Spanned<String>>,
    pub username: Option<Spanned<String>>,
    /// Accepted only to be refused with a message that says where the password goes instead;
    /// read as nothing so that no error ever echoes it.
    pub password: Option<Spanned<IgnoredAny>>,
    pub password_file: Option<Spanned<String>>,
    pub password_env: Option<Spanned<String>>,
    pub version: Option<Spanned<String>>,
    pub tls: Option<Spanned<RawTls>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTls {
    pub ca: Spanned<String>,
    pub client_cert: Option<Spanned<String>>,
    pub client_key: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLights {
    #[serde(default)]
    pub network: Vec<Spanned<RawNetwork>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNetwork {
    pub name: Spanned<String>,
    pub per_second: Spanned<f64>,
    pub burst: Spanned<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLight {
    pub name: Spanned<String>,
    pub family: Spanned<String>,
    pub topic: Option<Spanned<String>>,
    pub group: Option<Spanned<bool>>,
    pub kelvin: Option<Spanned<Vec<Spanned<i64>>>>,
    pub max_transition: Option<Spanned<String>>,
    pub min_level: Option<Spanned<f64>>,
    pub curve: Option<Spanned<String>>,
    pub network: Option<Spanned<String>>,
    pub separate_kelvin: Option<Spanned<bool>>,
}
