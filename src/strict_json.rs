//! JSON that says each key once. serde_json keeps the last of two equal keys without a word,
//! so `{"op":"status","op":"emergency"}` would run an emergency and
//! `{"op":"check","zone":"mat-1","zone":"room"}` check the whole room; a state file or log line
//! with a key twice could likewise be read as other than what was meant. Everything the daemon
//! reads (requests, the state file, the event log, the emergency marker) goes through here.
//!
//! The document is walked once for repeated keys, at any depth, then read into its type by
//! serde_json as usual, so type errors keep their line and column.
//!
//! ```
//! use setting::strict_json;
//! let error = strict_json::from_slice::<serde_json::Value>(br#"{"op":"a","op":"b"}"#).unwrap_err();
//! assert_eq!(error.duplicate_key(), Some("op"));
//! ```

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

#[derive(Debug, thiserror::Error)]
pub enum StrictJsonError {
    #[error("the key `{key}` appears more than once{} (at line {line}, column {column})", within(.object))]
    DuplicateKey {
        key: String,
        /// Where the object is: `` for the document itself, `snapshot.policy`, `zones[2]`.
        object: String,
        line: usize,
        column: usize,
    },
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

impl StrictJsonError {
    /// The key said twice, if that is what was wrong.
    pub fn duplicate_key(&self) -> Option<&str> {
        match self {
            StrictJsonError::DuplicateKey { key, .. } => Some(key),
            StrictJsonError::Json(_) => None,
        }
    }

    pub fn line(&self) -> usize {
        match self {
            StrictJsonError::DuplicateKey { line, .. } => *line,
            StrictJsonError::Json(e) => e.line(),
        }
    }

    pub fn column(&self) -> usize {
        match self {
            StrictJsonError::DuplicateKey { column, .. } => *column,
            StrictJsonError::Json(e) => e.column(),
        }
    }
}

fn within(object: &str) -> String {
    if object.is_empty() {
        String::new()
    } else {
        format!(" in `{object}`")
    }
}

/// Reads `bytes` as a `T`, refusing a key repeated in any object.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StrictJsonError> {
    check_unique_keys(bytes)?;
    Ok(serde_json::from_slice(bytes)?)
}

/// [`from_slice`] for text.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, StrictJsonError> {
    from_slice(text.as_bytes())
}

/// Checks that `bytes` is one JSON document with no key repeated in any object.
pub fn check_unique_keys(bytes: &[u8]) -> Result<(), StrictJsonError> {
    let found = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let walked = Walk {
        at: None,
        found: Some(&found),
    }
    .deserialize(&mut deserializer)
    .and_then(|_| deserializer.end());
    match (walked, found.into_inner()) {
        (Ok(()), _) => Ok(()),
        (Err(e), Some(Duplicate { key, object })) => Err(StrictJsonError::DuplicateKey {
            key,
            object,
            line: e.line(),
            column: e.column(),
        }),
        (Err(e), None) => Err(StrictJsonError::Json(e)),
    }
}

/// A JSON value read with no key repeated in any object, for a hand-written `Deserialize`
/// that reads part of its input as loose JSON (the event log's entries): the error names the
/// key, and the deserializer adds where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct UniqueValue(pub Value);

impl<'de> Deserialize<'de> for UniqueValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<UniqueValue, D::Error> {
        Walk {
            at: None,
            found: None,
        }
        .build(deserializer)
        .map(UniqueValue)
    }
}

/// The key found twice, kept aside so that the error can be typed rather than read back out
/// of serde's message.
struct Duplicate {
    key: String,
    object: String,
}

/// Where the walk is: a linked list up to the document, written out only for an error.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

struct At<'a> {
    parent: Option<&'a At<'a>>,
    step: Step<'a>,
}

fn path_of(at: Option<&At<'_>>) -> String {
    let mut steps = Vec::new();
    let mut here = at;
    while let Some(node) = here {
        steps.push(&node.step);
        here = node.parent;
    }
    let mut path = String::new();
    for step in steps.into_iter().rev() {
        match step {
            Step::Key(key) if path.is_empty() => path.push_str(key),
            Step::Key(key) => {
                path.push('.');
                path.push_str(key);
            }
            Step::Index(i) => path.push_str(&format!("[{i}]")),
        }
    }
    path
}

/// One pass over a value, refusing repeated keys; with `build`, the value is kept too.
#[derive(Clone, Copy)]
struct Walk<'a> {
    at: Option<&'a At<'a>>,
    found: Option<&'a RefCell<Option<Duplicate>>>,
}

impl<'a> Walk<'a> {
    fn build<'de, D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(WalkVisitor {
            walk: self,
            build: true,
        })
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer
            .deserialize_any(WalkVisitor {
                walk: self,
                build: false,
            })
            .map(drop)
    }
}

/// A child value under `at`: built or only walked, as its parent is.
struct Child<'a> {
    walk: Walk<'a>,
    build: bool,
}

impl<'de> DeserializeSeed<'de> for Child<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(WalkVisitor {
            walk: self.walk,
            build: self.build,
        })
    }
}

struct WalkVisitor<'a> {
    walk: Walk<'a>,
    build: bool,
}

impl<'de> Visitor<'de> for WalkVisitor<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(if self.build { Value::from(v) } else { Value::Null })
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        let mut index = 0;
        loop {
            let at = At {
                parent: self.walk.at,
                step: Step::Index(index),
            };
            let child = Child {
                walk: Walk {
                    at: Some(&at),
                    found: self.walk.found,
                },
                build: self.build,
            };
            match seq.next_element_seed(child)? {
                Some(item) if self.build => items.push(item),
                Some(_) => {}
                None => break,
            }
            index += 1;
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut seen = HashSet::new();
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if seen.contains(&key) {
                let object = path_of(self.walk.at);
                let message = format!("the key `{key}` appears more than once{}", within(&object));
                if let Some(found) = self.walk.found {
                    *found.borrow_mut() = Some(Duplicate { key, object });
                }
                return Err(de::Error::custom(message));
            }
            let at = At {
                parent: self.walk.at,
                step: Step::Key(&key),
            };
            let child = Child {
                walk: Walk {
                    at: Some(&at),
                    found: self.walk.found,
                },
                build: self.build,
            };
            let value = map.next_value_seed(child)?;
            if self.build {
                object.insert(key.clone(), value);
            }
            seen.insert(key);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_with_each_key_once_reads_as_usual() {
        let value: Value = from_str(r#"{"a":1,"b":{"a":2,"c":[{"a":3},{"a":4}]}}"#).unwrap();
        assert_eq!(value["b"]["c"][1]["a"], 4);
        assert_eq!(from_str::<Vec<u8>>("[1,2,3]").unwrap(), [1, 2, 3]);
        assert_eq!(from_str::<String>(r#""a\"b""#).unwrap(), "a\"b");
    }

    #[test]
    fn a_repeated_key_is_refused_at_any_depth_with_where_it_is() {
        let error = from_str::<Value>(r#"{"op":"status","op":"emergency"}"#).unwrap_err();
        assert_eq!(error.duplicate_key(), Some("op"));
        assert_eq!(
            error.to_string(),
            "the key `op` appears more than once (at line 1, column 19)"
        );
        let error =
            from_str::<Value>("{\"snapshot\": {\"policy\": {\"zones\": [],\n \"zones\": []}}}").unwrap_err();
        assert_eq!(error.duplicate_key(), Some("zones"));
        assert_eq!(error.line(), 2);
        assert!(error.to_string().contains("in `snapshot.policy`"), "{error}");
        let error = from_str::<Value>(r#"[{"a":1},{"b":[{"c":1,"c":1}]}]"#).unwrap_err();
        assert!(error.to_string().contains("`c`"), "{error}");
        assert!(error.to_string().contains("in `[1].b[0]`"), "{error}");
    }

    #[test]
    fn a_key_spelt_with_an_escape_is_the_same_key() {
        let error = from_str::<Value>(r#"{"op":"status","\u006fp":"emergency"}"#).unwrap_err();
        assert_eq!(error.duplicate_key(), Some("op"));
    }

    #[test]
    fn equal_keys_in_different_objects_are_fine() {
        assert!(check_unique_keys(br#"{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":2}]}"#).is_ok());
    }

    #[test]
    fn other_errors_stay_serde_json_errors() {
        for bad in ["{", "{\"a\":1} trailing", "nope", ""] {
            let error = from_str::<Value>(bad).unwrap_err();
            assert!(matches!(error, StrictJsonError::Json(_)), "{bad}: {error:?}");
            assert_eq!(error.duplicate_key(), None);
        }
        let typed = from_str::<Vec<u8>>("[1,\n300]").unwrap_err();
        assert_eq!((typed.line(), typed.column()), (2, 3), "{typed}");
    }

    #[test]
    fn a_unique_value_is_built_whole_and_refuses_a_repeated_key() {
        let text = r#"{"a":[1,-2,2.5,"s",null,true,{"b":{}}],"c":"\u00e9"}"#;
        let UniqueValue(built) = serde_json::from_str(text).unwrap();
        assert_eq!(built, serde_json::from_str::<Value>(text).unwrap());
        let error = serde_json::from_str::<UniqueValue>(r#"{"a":{"b":1,"b":2}}"#).unwrap_err();
        assert!(
            error.to_string().contains("the key `b` appears more than once"),
            "{error}"
        );
    }
}
