//! Checks on single values that scenes, playlists and config share (durations, ranges,
//! choices, names, media paths), each recording what it expected when the value is wrong.

use std::ops::RangeInclusive;
use std::path::{Component, Path};

use serde_spanned::Spanned;

use super::Document;
use crate::time::{Millis, parse_duration};

impl Document<'_> {
    pub fn duration(&mut self, value: &Spanned<String>) -> Option<Millis> {
        match parse_duration(value.get_ref()) {
            Ok(d) => Some(d),
            Err(e) => {
                self.error_at(value, e.to_string());
                None
            }
        }
    }

    /// An optional duration: `default` when absent, `None` only when present and wrong.
    pub fn duration_or(&mut self, value: Option<&Spanned<String>>, default: Millis) -> Option<Millis> {
        match value {
            Some(v) => self.duration(v),
            None => Some(default),
        }
    }

    /// A duration that must not exceed `limit`, for fades that have to stay quick to be safe.
    pub fn duration_at_most(&mut self, value: &Spanned<String>, what: &str, limit: Millis) -> Option<Millis> {
        let d = self.duration(value)?;
        if d > limit {
            let limit = crate::time::format_duration(limit);
            self.error_at(
                value,
                format!(
                    "{what} of {} is too long; expected at most {limit}",
                    value.get_ref()
                ),
            );
            return None;
        }
        Some(d)
    }

    /// The value, if it lies in `range`; otherwise an error at it saying what was expected.
    pub fn in_range<T>(
        &mut self,
        value: &Spanned<T>,
        what: &str,
        range: RangeInclusive<T>,
        unit: &str,
    ) -> Option<T>
    where
        T: PartialOrd + Copy + std::fmt::Display,
    {
        let v = *value.get_ref();
        if !range.contains(&v) {
            let (lo, hi) = (range.start(), range.end());
            self.error_at(
                value,
                format!("{what} {v} is out of range; expected {lo} to {hi}{unit}"),
            );
            return None;
        }
        Some(v)
    }

    /// One of a fixed set of words (`kind`, `ends`, `when_done`).
    pub fn one_of<T: Copy>(
        &mut self,
        value: &Spanned<String>,
        what: &str,
        choices: &[(&str, T)],
    ) -> Option<T> {
        let found = choices.iter().find(|(name, _)| *name == value.get_ref().as_str());
        if found.is_none() {
            let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
            let expected = names.join(", ");
            self.error_at(
                value,
                format!("unknown {what} `{}`; expected one of {expected}", value.get_ref()),
            );
        }
        found.map(|(_, v)| *v)
    }

    /// A name people type on the command line and that ends up in topics and file names.
    pub fn plain_name(&mut self, value: &Spanned<String>, what: &str) -> Option<String> {
        if !is_plain_name(value.get_ref()) {
            let msg = format!(
                "{what} `{}` is not a plain name; expected lowercase letters, digits and `-`, such as `mat-1`",
                value.get_ref()
            );
            self.error_at(value, msg);
            return None;
        }
        Some(value.get_ref().clone())
    }

    /// A file under the media root. Refused when absolute or climbing out with `..`, because
    /// the media root is the one place curators vouch for.
    pub fn media_path(&mut self, value: &Spanned<String>) -> Option<String> {
        let text = value.get_ref();
        let path = Path::new(text);
        let escapes = path.components().any(|c| {
            matches!(
                c,
                Component::RootDir | Component::Prefix(_) | Component::ParentDir
            )
        });
        let names_a_file = path.components().any(|c| matches!(c, Component::Normal(_)));
        if escapes || !names_a_file || text.contains('\\') {
            let msg = format!(
                "`{text}` is not a path under the media root; expected a relative path without `..`, such as `peak/01-slow-rise.flac`"
            );
            self.error_at(value, msg);
            return None;
        }
        Some(text.clone())
    }
}

/// Lowercase ASCII letters, digits and `-`, not starting with `-`.
pub fn is_plain_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spanned(s: &str) -> Spanned<String> {
        Spanned::new(4..4 + s.len(), s.to_string())
    }

    #[test]
    fn plain_names() {
        for good in ["room", "mat-1", "2nd"] {
            assert!(is_plain_name(good), "{good}");
        }
        for bad in ["", "Room", "mat_1", "-x", "a b", "é"] {
            assert!(!is_plain_name(bad), "{bad}");
        }
    }

    #[test]
    fn media_paths_stay_under_the_root() {
        let text = "x = \"                                  \"";
        let mut doc = Document::new(Path::new("p.toml"), text);
        assert_eq!(
            doc.media_path(&spanned("peak/01.flac")),
            Some("peak/01.flac".into())
        );
        assert_eq!(doc.media_path(&spanned("./a.flac")), Some("./a.flac".into()));
        for bad in [
            "/etc/passwd",
            "../a.flac",
            "peak/../../a.flac",
            "",
            ".",
            "a\\b.flac",
        ] {
            assert_eq!(doc.media_path(&spanned(bad)), None, "{bad}");
        }
        let err = doc.finish(Some(())).unwrap_err();
        assert_eq!(err.len(), 6);
        assert!(
            err.0[0]
                .to_string()
                .starts_with("p.toml:1:5: `/etc/passwd` is not a path under the media root")
        );
    }
}
