//! Reading on past a mistake in one key: which key serde refused, and the document with that
//! key taken out or, when it is a near miss of an expected key, read as that key; a value of the
//! wrong type taken out likewise, as though it had not been written.

use std::borrow::Cow;
use std::ops::Range;

use serde_spanned::Spanned;
use toml::de::DeValue;

/// The largest edit (a letter added, dropped, changed or two swapped, counted by
/// Damerau-Levenshtein) for which a key is read as the expected one it is nearest.
const NEAR_MISS: usize = 2;

/// The unknown key and the keys serde expected, from its "unknown field" message.
pub fn unknown_key(e: &toml::de::Error) -> Option<(String, Vec<String>)> {
    let message = e.message();
    if !message.starts_with("unknown field `") {
        return None;
    }
    let mut quoted = message.split('`').skip(1).step_by(2).map(str::to_string);
    let found = quoted.next()?;
    Some((found, quoted.collect()))
}

/// Whether serde refused a value for its type or content (`invalid type: integer `10`,
/// expected a string`), rather than a key.
pub fn wrong_value(e: &toml::de::Error) -> bool {
    let message = e.message();
    [
        "invalid type: ",
        "invalid value: ",
        "invalid length ",
        "unknown variant `",
    ]
    .iter()
    .any(|start| message.starts_with(start))
}

/// The required key serde found missing, from its "missing field" message.
pub fn missing_key(e: &toml::de::Error) -> Option<&str> {
    e.message().strip_prefix("missing field `")?.split('`').next()
}

/// How many keys and array items the value holds, nested ones included.
pub fn key_count(value: &DeValue<'_>) -> usize {
    match value {
        DeValue::Table(table) => table.len() + table.values().map(|v| key_count(v.get_ref())).sum::<usize>(),
        DeValue::Array(items) => items.len() + items.iter().map(|v| key_count(v.get_ref())).sum::<usize>(),
        _ => 0,
    }
}

/// A value taken out of a document: the key it was written under (none for an array's item)
/// and where the table or array that held it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taken {
    pub key: Option<String>,
    pub parent: Range<usize>,
}

/// Takes the value written at `span` out of `value`, wherever it is nested: a table's key
/// with its value, or an array's item. `None` when no value inside is written there (the
/// whole of `value` is not inside itself).
pub fn take_value(value: &mut Spanned<DeValue<'_>>, span: &Range<usize>) -> Option<Taken> {
    let parent = value.span();
    match value.get_mut() {
        DeValue::Table(table) => {
            let key = table
                .iter()
                .find(|(_, v)| v.span() == *span)
                .map(|(k, _)| k.get_ref().to_string());
            if let Some(key) = key {
                table.remove(key.as_str());
                return Some(Taken {
                    key: Some(key),
                    parent,
                });
            }
            table.iter_mut().find_map(|(_, v)| take_value(v, span))
        }
        DeValue::Array(items) => {
            if let Some(at) = items.iter().position(|v| v.span() == *span) {
                let old = std::mem::replace(items, toml::de::DeArray::new());
                for (i, item) in old.into_iter().enumerate() {
                    if i != at {
                        items.push(item);
                    }
                }
                return Some(Taken { key: None, parent });
            }
            items.iter_mut().find_map(|v| take_value(v, span))
        }
        _ => None,
    }
}

/// The expected key `found` is a near miss of, if exactly one is nearest.
pub fn near_miss<'e>(found: &str, expected: &'e [String]) -> Option<&'e str> {
    let distance = |key: &str| strsim::damerau_levenshtein(found, key);
    let best = expected.iter().map(|k| distance(k)).min()?;
    let mut nearest = expected.iter().filter(|k| distance(k) == best);
    let key = nearest.next()?;
    // A short key is a near miss of too many others to be guessed at.
    let plausible = best <= NEAR_MISS && best * 2 < key.chars().count();
    (plausible && nearest.next().is_none()).then_some(key.as_str())
}

/// Takes the key `found` written at byte `at` out of `value`, putting its value under the
/// near-miss expected key when the table lacks that one. `None` when the key is not there;
/// else the key it now stands as, if any.
pub fn repair(
    value: &mut DeValue<'_>,
    at: usize,
    found: &str,
    expected: &[String],
) -> Option<Option<String>> {
    match value {
        DeValue::Table(table) => {
            let here = table
                .get_key_value(found)
                .is_some_and(|(key, _)| key.span().start == at);
            if here {
                let (key, v) = table.remove_entry(found)?;
                let instead = near_miss(found, expected).filter(|k| !table.contains_key(*k));
                if let Some(instead) = instead {
                    table.insert(Spanned::new(key.span(), Cow::Owned(instead.to_string())), v);
                }
                return Some(instead.map(str::to_string));
            }
            table
                .iter_mut()
                .find_map(|(_, v)| repair(v.get_mut(), at, found, expected))
        }
        DeValue::Array(items) => items
            .iter_mut()
            .find_map(|v| repair(v.get_mut(), at, found, expected)),
        _ => None,
    }
}

/// The end of the value of the key `key` written at byte `at`, wherever it is in `value`.
pub fn value_end(value: &DeValue<'_>, at: usize, key: &str) -> Option<usize> {
    match value {
        DeValue::Table(table) => match table.get_key_value(key) {
            Some((k, v)) if k.span().start == at => Some(v.span().end),
            _ => table.iter().find_map(|(_, v)| value_end(v.get_ref(), at, key)),
        },
        DeValue::Array(items) => items.iter().find_map(|v| value_end(v.get_ref(), at, key)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(list: &[&str]) -> Vec<String> {
        list.iter().map(|k| k.to_string()).collect()
    }

    #[test]
    fn a_near_miss_is_one_clear_nearest_key() {
        let phase = keys(&["id", "title", "planned", "min", "max", "ends"]);
        assert_eq!(near_miss("planed", &phase), Some("planned"));
        assert_eq!(near_miss("endz", &phase), Some("ends"));
        assert_eq!(near_miss("tilte", &phase), Some("title"), "a swap counts once");
        assert_eq!(near_miss("mix", &phase), None, "as near to min as to max");
        assert_eq!(near_miss("x", &phase), None, "too short to guess");
        assert_eq!(near_miss("colour", &phase), None, "nothing near");
    }

    #[test]
    fn finds_the_key_in_nested_tables_by_its_place() {
        let text = "a = 1\n[t]\nsise = 2\n";
        let mut root = toml::de::DeTable::parse(text).unwrap().into_inner();
        let at = text.find("sise").unwrap();
        let mut value = DeValue::Table(std::mem::take(&mut root));
        assert_eq!(
            repair(&mut value, at + 1, "sise", &keys(&["size"])),
            None,
            "wrong place"
        );
        assert_eq!(
            repair(&mut value, at, "sise", &keys(&["size"])),
            Some(Some("size".into()))
        );
        let DeValue::Table(root) = value else {
            unreachable!()
        };
        let DeValue::Table(t) = root.get("t").unwrap().get_ref() else {
            unreachable!()
        };
        assert!(t.contains_key("size") && !t.contains_key("sise"));
    }
}
