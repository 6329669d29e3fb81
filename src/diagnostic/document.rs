//! A TOML file read in parts: each phase, cue or track is deserialised on its own so that one
//! malformed part does not hide the problems in the others, and every problem is collected.

use std::ops::Range;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde_spanned::Spanned;
use toml::de::{DeArray, DeTable, DeValue, ValueDeserializer};

use super::recover::{self, key_count, unknown_key};
use super::{Diagnostic, Diagnostics};

pub struct Document<'a> {
    path: &'a Path,
    text: &'a str,
    problems: Vec<Diagnostic>,
}

impl<'a> Document<'a> {
    pub fn new(path: &'a Path, text: &'a str) -> Document<'a> {
        Document {
            path,
            text,
            problems: Vec::new(),
        }
    }

    pub fn path(&self) -> &'a Path {
        self.path
    }

    /// Parses the TOML syntax. Only the first syntax error is reported: past it the parser's
    /// recovery guesses, and its guesses produce a cascade of misleading follow-on errors.
    pub fn parse(&mut self) -> Option<Spanned<DeTable<'a>>> {
        match DeTable::parse(self.text) {
            Ok(table) => Some(table),
            Err(e) => {
                self.toml_error(&e);
                None
            }
        }
    }

    /// Deserialises one part of the document (the root, a phase, a track). Spans inside it
    /// stay offsets into the whole file, so errors still point at the right line.
    ///
    /// An unknown key is recorded and the part read again without it (or, when it is a near
    /// miss of an expected key that is absent, as that key), so that one typo neither hides
    /// the next nor keeps the part from the checks that follow.
    pub fn read<T: DeserializeOwned>(&mut self, part: Spanned<DeValue<'a>>) -> Option<T> {
        let mut part = part;
        // The key last read as its near miss: where it is written, and as what.
        let mut guessed: Option<(usize, String)> = None;
        // Each pass takes one key out, so a part cannot need more passes than it has keys.
        for _ in 0..=key_count(part.get_ref()) {
            let e = match T::deserialize(ValueDeserializer::from(part.clone())) {
                Ok(value) => return Some(value),
                Err(e) => e,
            };
            // A guess whose value does not fit was a wrong guess, not a second mistake: the
            // key is left out instead, and its error stays the one already given.
            if let Some((at, key)) = guessed.take()
                && e.span().is_some_and(|span| span.start >= at)
                && recover::value_end(part.get_ref(), at, &key)
                    .is_some_and(|end| e.span().is_some_and(|s| s.start < end))
            {
                recover::repair(part.get_mut(), at, &key, &[]);
                continue;
            }
            let repaired = unknown_key(&e).and_then(|(found, expected)| {
                let at = e.span()?.start;
                let instead = recover::repair(part.get_mut(), at, &found, &expected)?;
                guessed = instead.clone().map(|key| (at, key));
                Some(instead)
            });
            match repaired {
                Some(instead) => self.unknown_key_error(&e, instead),
                None => {
                    self.toml_error(&e);
                    return None;
                }
            }
        }
        None
    }

    fn unknown_key_error(&mut self, e: &toml::de::Error, instead: Option<String>) {
        let mut message = e.message().trim_end().to_string();
        if let Some(key) = instead.filter(|key| !message.ends_with(&format!("expected `{key}`"))) {
            message.push_str(&format!("; did you mean `{key}`?"));
        }
        match e.span() {
            Some(span) => self.error(span, message),
            None => self.error_whole(message),
        }
    }

    pub fn read_table<T: DeserializeOwned>(&mut self, table: Spanned<DeTable<'a>>) -> Option<T> {
        let span = table.span();
        self.read(Spanned::new(span, DeValue::Table(table.into_inner())))
    }

    /// Takes the array of tables under `key` (`[[phase]]`) out of `table` so that each can be
    /// read on its own. An empty array is left in its place, so that the parent's raw struct
    /// still sees the key (and lists it among the expected ones in an unknown-key error).
    pub fn take_tables(&mut self, table: &mut DeTable<'a>, key: &str) -> Vec<Spanned<DeValue<'a>>> {
        let Some(value) = table.get_mut(key) else {
            return Vec::new();
        };
        let span = value.span();
        match std::mem::replace(value.get_mut(), DeValue::Array(DeArray::new())) {
            DeValue::Array(items) => items
                .into_iter()
                .filter(|item| {
                    let is_table = item.get_ref().is_table();
                    if !is_table {
                        self.error(item.span(), format!("expected a table in `{key}`"));
                    }
                    is_table
                })
                .collect(),
            DeValue::Table(_) => {
                self.error(
                    span,
                    format!("`{key}` must be an array of tables: write [[{key}]], not [{key}]"),
                );
                Vec::new()
            }
            other => {
                let found = other.type_str();
                self.error(
                    span,
                    format!("`{key}` must be an array of tables ([[{key}]]), found {found}"),
                );
                Vec::new()
            }
        }
    }

    /// Records a problem at a span of the file.
    pub fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        let d = Diagnostic::at_offset(self.path, self.text, span.start, message);
        self.problems.push(d);
    }

    /// Records a problem at the position of a spanned value.
    pub fn error_at<T>(&mut self, value: &Spanned<T>, message: impl Into<String>) {
        self.error(value.span(), message);
    }

    /// Records a problem with the file as a whole.
    pub fn error_whole(&mut self, message: impl Into<String>) {
        self.problems.push(Diagnostic::new(self.path, message));
    }

    pub fn toml_error(&mut self, e: &toml::de::Error) {
        let message = e.message().trim_end().to_string();
        match e.span() {
            Some(span) => self.error(span, message),
            None => self.error_whole(message),
        }
    }

    /// The line of a span, for messages that point back at an earlier definition.
    pub fn line_of(&self, span: Range<usize>) -> usize {
        super::line_col(self.text, span.start).0
    }

    /// How many problems are recorded so far, to tell whether a step added one.
    pub fn problem_count(&self) -> usize {
        self.problems.len()
    }

    pub fn has_problems(&self) -> bool {
        !self.problems.is_empty()
    }

    /// The validated value if nothing was wrong, else every problem in file order.
    pub fn finish<T>(mut self, value: Option<T>) -> Result<T, Diagnostics> {
        match value {
            Some(value) if self.problems.is_empty() => Ok(value),
            _ => {
                if self.problems.is_empty() {
                    self.error_whole("could not be read");
                }
                self.problems.sort_by_key(|d| (d.line, d.column));
                Err(Diagnostics(self.problems))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Root {
        name: String,
        #[allow(dead_code)]
        #[serde(default)]
        item: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Item {
        size: u32,
    }

    fn read(text: &str) -> Result<usize, Diagnostics> {
        let mut doc = Document::new(Path::new("f.toml"), text);
        let Some(mut root) = doc.parse() else {
            return doc.finish(None);
        };
        let parts = doc.take_tables(root.get_mut(), "item");
        let head: Option<Root> = doc.read_table(root);
        let items: Vec<Item> = parts.into_iter().filter_map(|p| doc.read(p)).collect();
        doc.finish(head.map(|_| items.len()))
    }

    #[test]
    fn reports_a_problem_in_every_part() {
        let text = "name = \"x\"\n[[item]]\nsize = \"big\"\n[[item]]\nsize = 3\n[[item]]\nsise = 3\n";
        let err = read(text).unwrap_err().to_string();
        assert_eq!(
            err,
            "f.toml:3:8: invalid type: string \"big\", expected u32\n\
             f.toml:7:1: unknown field `sise`, expected `size`"
        );
        assert_eq!(read("name = \"x\"\n[[item]]\nsize = 1\n"), Ok(1));
    }

    #[test]
    fn the_taken_key_stays_known_to_the_parent() {
        let err = read("nme = \"x\"\n").unwrap_err().to_string();
        assert_eq!(
            err,
            "f.toml:1:1: unknown field `nme`, expected `name` or `item`; did you mean `name`?"
        );
    }

    #[test]
    fn reads_on_past_every_unknown_key() {
        // The near miss is read as the key it misses, so the part still counts; a key near
        // nothing, or whose near miss is already there, is only left out.
        let text = "nme = \"x\"\ncolour = 1\n[[item]]\nsise = 3\n[[item]]\nsize = 1\nsise = 2\n";
        let mut doc = Document::new(Path::new("f.toml"), text);
        let mut root = doc.parse().unwrap();
        let parts = doc.take_tables(root.get_mut(), "item");
        let head: Option<Root> = doc.read_table(root);
        let items: Vec<Item> = parts.into_iter().filter_map(|p| doc.read(p)).collect();
        assert_eq!(head.map(|r| r.name), Some("x".to_string()));
        assert_eq!(items.iter().map(|i| i.size).collect::<Vec<_>>(), [3, 1]);
        let err = doc.finish(Some(())).unwrap_err().to_string();
        assert_eq!(
            err,
            "f.toml:1:1: unknown field `nme`, expected `name` or `item`; did you mean `name`?\n\
             f.toml:2:1: unknown field `colour`, expected `name` or `item`\n\
             f.toml:4:1: unknown field `sise`, expected `size`\n\
             f.toml:7:1: unknown field `sise`, expected `size`"
        );
    }

    #[test]
    fn refuses_a_single_table_where_an_array_belongs() {
        let err = read("name = \"x\"\n[item]\nsize = 1\n").unwrap_err().to_string();
        assert_eq!(
            err,
            "f.toml:2:1: `item` must be an array of tables: write [[item]], not [item]"
        );
    }

    #[test]
    fn reports_the_first_syntax_error() {
        let err = read("name = \n").unwrap_err();
        assert_eq!(err.len(), 1);
        assert!(err.to_string().starts_with("f.toml:1:"), "{err}");
    }
}
