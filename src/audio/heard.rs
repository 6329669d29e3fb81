//! What the room really hears of the music, as the player knows it, for `status`: the track
//! sounding now, or why nothing sounds while music is asked for, and the last track that failed.
//! The session's music target says what was asked for; this says what came of it.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heard {
    /// The track sounding now (the one coming in, during a crossfade).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track: Option<HeardTrack>,
    /// Music is asked for and nothing sounds: why, and what comes next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silent: Option<String>,
    /// The last track skipped or cut short in the last few minutes, why, and how long ago.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeardTrack {
    pub playlist: String,
    /// Under the media root.
    pub path: String,
}
