//! Why the core refused a command. A refused command changes nothing.

use crate::scene::Mark;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CommandError {
    #[error("the session has ended")]
    Finished,
    #[error("`{phase}` is the last phase; `setting stop` ends the session")]
    LastPhase { phase: String },
    #[error("already in the closing phase `{phase}`; `setting stop` ends the session")]
    AlreadyClosing { phase: String },
    #[error("{mark} was already marked at {at}; use `mark booster` for a further dose")]
    AlreadyMarked { mark: &'static str, at: String },
    #[error("no dose or infusion has been marked yet, so there is nothing to boost")]
    BoosterBeforeDose,
    #[error("the phase is already held; `setting release` lets it move on")]
    AlreadyHeld,
    #[error("the phase is not held")]
    NotHeld,
    #[error("nothing to resume: no emergency, check or pause is active{0}")]
    NothingToResume(String),
    #[error("{0} is already active")]
    AlreadyActive(&'static str),
    #[error("the music is already muted")]
    AlreadyMuted,
    #[error("the music is not muted")]
    NotMuted,
    #[error("there is no music playing to skip")]
    NothingToSkip,
    #[error("this scene names no grounding track (`grounding_track` in the scene file)")]
    NoGroundingTrack,
    #[error(
        "a volume step of {requested:+} dB is more than the {limit} dB allowed at once; nudge in smaller steps"
    )]
    VolumeStepTooLarge { requested: f32, limit: f32 },
    #[error(
        "a light nudge of {brightness:+} % and {kelvin:+} K is more than the {brightness_limit} % and \
         {kelvin_limit} K allowed at once; nudge in smaller steps"
    )]
    LightStepTooLarge {
        brightness: f32,
        kelvin: i32,
        brightness_limit: f32,
        kelvin_limit: i32,
    },
    #[error("an extension must be longer than zero")]
    ZeroExtension,
    #[error("unknown zone `{zone}`; this room has: {known}")]
    UnknownZone { zone: String, known: String },
    #[error("`{command}` acts on the whole room and cannot target a zone")]
    RoomOnly { command: &'static str },
    #[error("no prompt is waiting to be acknowledged")]
    NoPromptWaiting,
    #[error("prompt #{number} was already acknowledged; waiting: {waiting}")]
    PromptAcknowledged { number: u32, waiting: String },
    #[error("there is no prompt #{number}; waiting: {waiting}")]
    NoSuchPrompt { number: u32, waiting: String },
    #[error("the scene has no phase that sets {0}, and it is not a mark that can be set by hand here")]
    MarkNotInScene(Mark),
}
