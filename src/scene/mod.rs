//! Scene scripts (`scenes/*.toml`): the raw file format, its validation, and the validated
//! model the timeline runs.

mod model;

pub use model::{
    Anchor, Cue, CueTime, LightCue, LightSpec, Look, Mark, MusicCue, MusicSpec, Phase, PhaseEnd, Ramp, Repeat, Scene,
    SceneKind,
};
