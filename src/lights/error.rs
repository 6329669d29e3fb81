//! Why a technician's request for one light or zone cannot be carried out.

#[derive(Debug, thiserror::Error)]
pub enum LightError {
    #[error("no light or zone named `{0}`")]
    Unknown(String),
    #[error("this lights output cannot address single lights ({0})")]
    Unsupported(String),
}
