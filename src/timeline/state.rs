//! The session's mutable state, serialisable as it stands for the state file.

use serde::{Deserialize, Serialize};

use crate::time::Millis;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub session: String,
    /// Session time of the last input.
    pub now: Millis,
    pub finished: bool,
}
