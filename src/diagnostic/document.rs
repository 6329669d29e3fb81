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
    /// Keys taken out for a value of the wrong type, with where their table is written.
    refused: Vec<(Range<usize>, String)>,
}

impl<'a> Document<'a> {
    pub fn new(path: &'a Path, text: &'a str) -> Document<'a> {
        Document {
            path,
            text,
            problems: Vec::new(),
            refused: Vec::new(),
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
    ///
    /// A value of the wrong type (`planned = 10`) is recorded and the part read again as if
    /// it had not been written. Where that leaves a table without a key it needs, the table
    /// is left out too, quietly: its one mistake is already reported. Checks that need the
    /// key ask [`Document::was_refused`] before calling it missing.
    pub fn read<T: DeserializeOwned>(&mut self, part: Spanned<DeValue<'a>>) -> Option<T> {
        let mut part = part;
        // The key last read as its near miss: where it is written, and as what.
        let mut guessed: Option<(usize, String)> = None;
        // Each pass takes one key or item out, so a part cannot need more passes than it has.
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
            if let Some(span) = e.span().filter(|_| recover::wrong_value(&e))
                && let Some(taken) = recover::take_value(&mut part, &span)
            {
                self.toml_error(&e);
                self.note_refused(taken);
                continue;
            }
            if let Some(key) = recover::missing_key(&e)
                && let Some(span) = e.span()
                && self.was_refused(&span, key)
            {
                if span == part.span() {
                    return None;
                }
                match recover::take_value(&mut part, &span) {
                    Some(taken) => {
                        self.note_refused(taken);
                        continue;
                    }
                    None => return None,
                }
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

    fn note_refused(&mut self, taken: recover::Taken) {
        if let Some(key) = taken.key {
            self.refused.push((taken.parent, key));
        }
    }

    /// Whether the key `key` of the table written at `table` was taken out for a value of the
    /// wrong type, its error already given: a check that needs the key then stays quiet
    /// rather than report it missing as a second mistake.
    pub fn was_refused(&self, table: &Range<usize>, key: &str) -> bool {
        self.refused.iter().any(|(at, k)| at == table && k == key)
    }

    /// [`Document::was_refused`] for a key whose name is written in one table only (the
    /// config's `mqtt`), where the checks that need it do not hold that table's place.
    pub fn was_refused_anywhere(&self, key: &str) -> bool {
        self.refused.iter().any(|(_, k)| k == key)
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

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Part {
        name: String,
        size: Option<u32>,
        look: Option<Look>,
        #[serde(default)]
        tags: Vec<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Look {
        level: u32,
    }

    fn read_part(text: &str) -> (Option<Part>, Vec<String>, Vec<(&'static str, &'static str)>) {
        let mut doc = Document::new(Path::new("f.toml"), text);
        let root = doc.parse().unwrap();
        let place = root.span();
        let look = root.get_ref().get("look").map(|v| v.span());
        let part: Option<Part> = doc.read_table(root);
        let mut refused = Vec::new();
        for (table, key) in [
            ("part", "size"),
            ("part", "name"),
            ("part", "look"),
            ("look", "level"),
        ] {
            let at = if table == "part" {
                Some(place.clone())
            } else {
                look.clone()
            };
            if at.is_some_and(|at| doc.was_refused(&at, key)) {
                refused.push((table, key));
            }
        }
        let problems = doc
            .finish(Some(()))
            .err()
            .map(|e| e.iter().map(|d| d.to_string()).collect());
        (part, problems.unwrap_or_default(), refused)
    }

    #[test]
    fn a_value_of_the_wrong_type_is_read_as_not_written() {
        let (part, problems, refused) = read_part("name = \"x\"\nsize = \"big\"\ntags = [\"a\", 5, \"b\"]\n");
        let part = part.expect("read without the wrong values");
        assert_eq!(
            (part.name.as_str(), part.size, part.tags),
            ("x", None, vec!["a".into(), "b".into()])
        );
        assert_eq!(
            problems,
            [
                "f.toml:2:8: invalid type: string \"big\", expected u32",
                "f.toml:3:14: invalid type: integer `5`, expected a string"
            ]
        );
        assert_eq!(refused, [("part", "size")]);
    }

    #[test]
    fn a_table_left_without_a_key_it_needs_goes_quietly() {
        let (part, problems, _) = read_part("name = \"x\"\nlook = { level = 3 }\n");
        assert_eq!(
            part.and_then(|p| p.look).map(|l| l.level),
            Some(3),
            "{problems:?}"
        );
        // The look's only key is of the wrong type: the look is left out with no second error.
        let (part, problems, refused) = read_part("name = \"x\"\nlook = { level = \"high\" }\n");
        assert!(part.expect("read without the look").look.is_none());
        assert_eq!(
            problems,
            ["f.toml:2:18: invalid type: string \"high\", expected u32"]
        );
        assert_eq!(refused, [("part", "look"), ("look", "level")]);
        // A key the part itself needs: the part is not read, and the one error is the type's.
        let (part, problems, refused) = read_part("name = 5\nsize = 1\n");
        assert!(part.is_none());
        assert_eq!(
            problems,
            ["f.toml:1:8: invalid type: integer `5`, expected a string"]
        );
        assert_eq!(refused, [("part", "name")]);
        // A key missing without a wrong value is still reported as missing.
        let (part, problems, _) = read_part("size = 1\n");
        assert!(part.is_none());
        assert_eq!(problems, ["f.toml:1:1: missing field `name`"]);
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
