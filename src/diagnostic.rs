//! Problems found in the files people write (config, scenes, playlists), each naming the file,
//! line and column to fix, so that every tool reports them the same way.

mod checks;
mod document;
mod recover;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use checks::is_plain_name;
pub use document::Document;

/// One problem in one file. Line and column are 1-based; the column counts characters, not
/// bytes, because that is what editors show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl Diagnostic {
    /// A problem with the file as a whole (it cannot be read, it has no phases).
    pub fn new(path: impl Into<PathBuf>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            path: path.into(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// A problem at a byte offset of `text`, the file's contents.
    pub fn at_offset(path: &Path, text: &str, offset: usize, message: impl Into<String>) -> Diagnostic {
        let (line, column) = line_col(text, offset);
        Diagnostic {
            path: path.to_path_buf(),
            line: Some(line),
            column: Some(column),
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, "{path}:{line}:{column}: {}", self.message),
            (Some(line), None) => write!(f, "{path}:{line}: {}", self.message),
            _ => write!(f, "{path}: {}", self.message),
        }
    }
}

/// The 1-based line and character column of a byte offset. An offset past the end, or inside
/// a multi-byte character, is taken back to the nearest position that exists, so that a
/// slightly wrong span still points somewhere useful rather than panicking.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// A file's bytes as text, or where the first byte that is not UTF-8 sits: an editor saving
/// in Latin-1 leaves one such byte, and the line and column find it.
pub fn utf8_text(path: &Path, bytes: Vec<u8>) -> Result<String, Diagnostic> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let valid = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
        let message = format!(
            "byte 0x{:02X} is not UTF-8 text; save the file as UTF-8",
            bytes[at]
        );
        Diagnostic::at_offset(path, valid, at, message)
    })
}

/// A file's text for the checks: a file that cannot be read, or is not UTF-8, is one problem.
pub fn read_text(path: &Path) -> Result<String, Diagnostic> {
    let bytes = std::fs::read(path).map_err(|e| Diagnostic::new(path, format!("cannot read: {e}")))?;
    utf8_text(path, bytes)
}

/// Every problem found in one go, so that a file can be fixed in one pass rather than one
/// error per run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Diagnostics {
        Diagnostics(vec![d])
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_character_columns() {
        let text = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 4), (1, 5));
        assert_eq!(line_col(text, 6), (2, 1));
        // `é` is two bytes but one column.
        assert_eq!(line_col(text, 10), (2, 4));
        assert_eq!(line_col(text, 8), (2, 2), "inside a character: back to its start");
        assert_eq!(line_col(text, 1000), (3, 1), "past the end: the end");
    }

    #[test]
    fn text_that_is_not_utf8_names_its_place() {
        let d = utf8_text(Path::new("c.toml"), b"a = 1\n# caf\xe9\n".to_vec()).unwrap_err();
        assert_eq!(
            d.to_string(),
            "c.toml:2:6: byte 0xE9 is not UTF-8 text; save the file as UTF-8"
        );
        assert_eq!(
            utf8_text(Path::new("c.toml"), b"b = \"\xc3\xa9\"".to_vec()),
            Ok("b = \"é\"".into())
        );
    }

    #[test]
    fn displays_with_or_without_a_position() {
        let d = Diagnostic::at_offset(Path::new("scenes/a.toml"), "x\nyz", 3, "bad");
        assert_eq!(d.to_string(), "scenes/a.toml:2:2: bad");
        assert_eq!(Diagnostic::new("a.toml", "empty").to_string(), "a.toml: empty");
        let many = Diagnostics(vec![Diagnostic::new("a", "one"), Diagnostic::new("b", "two")]);
        assert_eq!(many.to_string(), "a: one\nb: two");
    }
}
