//! Scene scripts (`scenes/*.toml`): the raw file format, its validation, and the validated
//! model the timeline runs.

mod cue_time;
mod error;
mod load;
mod model;
mod raw;
mod validate;

pub use cue_time::{CueTimeError, parse_cue_time};
pub use error::SceneError;
pub use load::{SceneContext, load_scene, parse_scene};
pub use model::{
    Anchor, Asks, Cue, CueTime, LightCue, LightSpec, Look, Mark, MusicCue, MusicSpec, Phase, PhaseEnd, Ramp,
    Repeat, Scene, SceneKind,
};
