//! Which output the music goes to, as written in the config's `[audio] output` and on
//! `settingd --audio`: `default`, `null`, `wav:PATH` or `device:NAME`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputSpec {
    /// The system's default sound device; the null output when there is none.
    Default,
    /// A named device (as ALSA or the host lists it), retried until it appears.
    Device(String),
    /// Discards the samples, paced in real time, so the session runs the same with no sound.
    Null,
    /// Records exactly what would have played, paced in real time.
    Wav(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not an audio output; expected `default`, `null`, `wav:PATH` or `device:NAME`")]
pub struct OutputSpecError {
    pub text: String,
}

impl FromStr for OutputSpec {
    type Err = OutputSpecError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || OutputSpecError {
            text: text.to_string(),
        };
        match text.trim() {
            "default" => Ok(OutputSpec::Default),
            "null" => Ok(OutputSpec::Null),
            other => {
                let (kind, rest) = other.split_once(':').ok_or_else(bad)?;
                let rest = rest.trim();
                if rest.is_empty() {
                    return Err(bad());
                }
                match kind.trim() {
                    "wav" => Ok(OutputSpec::Wav(PathBuf::from(rest))),
                    "device" => Ok(OutputSpec::Device(rest.to_string())),
                    _ => Err(bad()),
                }
            }
        }
    }
}

impl fmt::Display for OutputSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputSpec::Default => f.write_str("default"),
            OutputSpec::Null => f.write_str("null"),
            OutputSpec::Wav(path) => write!(f, "wav:{}", path.display()),
            OutputSpec::Device(name) => write!(f, "device:{name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form_and_prints_it_back() {
        for text in ["default", "null", "wav:/tmp/out.wav", "device:hw:CARD=USB,DEV=0"] {
            let spec: OutputSpec = text.parse().unwrap();
            assert_eq!(spec.to_string(), text);
        }
        assert_eq!(
            "device:hw:1,0".parse::<OutputSpec>().unwrap(),
            OutputSpec::Device("hw:1,0".into())
        );
    }

    #[test]
    fn rejects_unknown_and_empty_forms() {
        for text in ["", "speakers", "wav:", "device: ", "file:/tmp/x"] {
            assert!(text.parse::<OutputSpec>().is_err(), "{text}");
        }
    }
}
