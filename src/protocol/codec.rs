//! Framing: one JSON value per line, with a size limit. Pure functions over bytes, so tests
//! need no socket.

use serde::Serialize;

use super::request::{Envelope, Op};
use crate::strict_json::{self, StrictJsonError};

/// The longest request line accepted. Requests are tiny; anything longer is refused.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error("request is longer than {MAX_LINE_BYTES} bytes")]
    TooLong,
    #[error("request is not UTF-8")]
    NotUtf8,
    #[error("request is not JSON: {0} (at line 1, column {1})")]
    NotJson(String, usize),
    /// `{"op":"status","op":"emergency"}`: which was meant cannot be known, so neither is done.
    /// Holds the [`StrictJsonError::DuplicateKey`] that names the key and where it is.
    #[error("bad request: {0}; say each key once")]
    DuplicateKey(StrictJsonError),
    #[error("request must be a JSON object")]
    NotObject,
    #[error("field `id` must be a non-negative integer")]
    BadId,
    #[error("bad request: {0}")]
    Invalid(String),
}

/// Parses one request line (without its newline).
pub fn decode_request(line: &[u8]) -> Result<Envelope, ProtocolError> {
    if line.len() > MAX_LINE_BYTES {
        return Err(ProtocolError::TooLong);
    }
    let text = std::str::from_utf8(line).map_err(|_| ProtocolError::NotUtf8)?;
    let mut value: serde_json::Value = strict_json::from_str(text).map_err(|e| match e {
        StrictJsonError::Json(e) => ProtocolError::NotJson(e.to_string(), e.column()),
        duplicate => ProtocolError::DuplicateKey(duplicate),
    })?;
    let object = value.as_object_mut().ok_or(ProtocolError::NotObject)?;
    let id = match object.remove("id") {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => Some(v.as_u64().ok_or(ProtocolError::BadId)?),
    };
    let given: Vec<String> = object.keys().filter(|k| *k != "op").cloned().collect();
    let name = object
        .get("op")
        .and_then(|o| o.as_str())
        .unwrap_or_default()
        .to_string();
    let op: Op = serde_json::from_value(value).map_err(|e| ProtocolError::Invalid(e.to_string()))?;
    // serde lets a field through on an op that takes none (`{"op":"next","zone":"mat-2"}`):
    // refused, so that a zone cannot silently widen to the whole room.
    let takes_fields = serde_json::to_value(&op)
        .ok()
        .and_then(|v| v.as_object().map(|o| o.len() > 1))
        .unwrap_or(true);
    if !takes_fields && !given.is_empty() {
        return Err(ProtocolError::Invalid(format!(
            "`{name}` takes no fields; unknown field `{}`",
            given[0]
        )));
    }
    Ok(Envelope { id, op })
}

/// Serialises a message as one line, newline included.
pub fn encode_line<T: Serialize>(message: &T) -> Vec<u8> {
    // Serialising our own plain data types cannot fail.
    let mut line = serde_json::to_vec(message).expect("protocol types serialise");
    line.push(b'\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::Source;

    #[test]
    fn a_field_on_an_op_that_takes_none_is_refused() {
        for line in [
            br#"{"op":"next","zone":"mat-2"}"#.as_slice(),
            br#"{"op":"hold","for":"10m"}"#,
            br#"{"id":3,"op":"stop","zone":"mat-1"}"#,
        ] {
            let error = decode_request(line).unwrap_err().to_string();
            assert!(error.contains("takes no fields"), "{error}");
        }
        assert_eq!(decode_request(br#"{"id":3,"op":"next"}"#).unwrap().op, Op::Next);
        assert!(decode_request(br#"{"op":"check","zone":"mat-2"}"#).is_ok());
        assert!(decode_request(br#"{"op":"report"}"#).is_ok());
    }

    #[test]
    fn a_key_said_twice_is_refused_naming_it() {
        for (line, key, column) in [
            (br#"{"op":"status","op":"emergency"}"#.as_slice(), "op", 19),
            (br#"{"op":"check","zone":"mat-1","zone":"room"}"#, "zone", 35),
            (br#"{"id":1,"id":2,"op":"status"}"#, "id", 12),
        ] {
            let error = decode_request(line).unwrap_err();
            let ProtocolError::DuplicateKey(duplicate) = &error else {
                panic!("{error:?}")
            };
            assert_eq!(duplicate.duplicate_key(), Some(key));
            assert_eq!(
                error.to_string(),
                format!(
                    "bad request: the key `{key}` appears more than once (at line 1, column {column}); \
                     say each key once"
                )
            );
        }
    }

    #[test]
    fn decodes_a_request_with_and_without_id() {
        let e = decode_request(br#"{"id": 7, "op": "extend", "by": "10m"}"#).unwrap();
        assert_eq!(e.id, Some(7));
        assert_eq!(e.op, Op::Extend { by: "10m".into() });
        let e = decode_request(br#"{"op":"check","zone":"mat-2"}"#).unwrap();
        assert_eq!(e.id, None);
        assert_eq!(
            e.op,
            Op::Check {
                zone: Some("mat-2".into())
            }
        );
    }

    #[test]
    fn a_duration_out_of_form_is_refused_naming_its_field() {
        let extend = decode_request(br#"{"op": "extend", "by": "1.5h"}"#).unwrap();
        let error = extend.op.to_command(Source::timer()).unwrap_err();
        assert!(
            error.starts_with("field `by`: `1.5h` is not a duration"),
            "{error}"
        );
        let extend = decode_request(br#"{"op": "extend", "by": "1h30m"}"#).unwrap();
        assert!(extend.op.to_command(Source::timer()).is_ok());
    }

    #[test]
    fn refuses_malformed_requests() {
        assert!(matches!(
            decode_request(b"not json"),
            Err(ProtocolError::NotJson(..))
        ));
        assert!(matches!(decode_request(b"[1,2]"), Err(ProtocolError::NotObject)));
        assert!(matches!(
            decode_request(br#"{"id":-1,"op":"next"}"#),
            Err(ProtocolError::BadId)
        ));
        assert!(matches!(
            decode_request(br#"{"op":"fly"}"#),
            Err(ProtocolError::Invalid(_))
        ));
        assert!(matches!(
            decode_request(br#"{"op":"check","zonee":"mat-2"}"#),
            Err(ProtocolError::Invalid(_))
        ));
        assert!(matches!(decode_request(b"\xff\xfe"), Err(ProtocolError::NotUtf8)));
        let long = vec![b' '; MAX_LINE_BYTES + 1];
        assert!(matches!(decode_request(&long), Err(ProtocolError::TooLong)));
    }
}
