//! Diagnostics as values: every problem found while loading and validating
//! resource files is collected (not just the first), carries where it was found,
//! and is rendered once, at the top, with a source snippet and a hint.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A position in a source file, 1-based.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem: a one-line summary, where it is, and what to do about it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            summary: summary.into(),
            location: None,
            detail: None,
            hint: None,
        }
    }

    pub fn warning(summary: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(summary)
        }
    }

    #[must_use]
    pub fn at(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }

    #[must_use]
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    #[must_use]
    pub fn hint_opt(mut self, hint: Option<String>) -> Self {
        if hint.is_some() {
            self.hint = hint;
        }
        self
    }
}

/// A list of diagnostics; callers append and check [`Diagnostics::has_errors`].
#[derive(Debug, Default, Clone, serde::Serialize)]
#[serde(transparent)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.severity == Severity::Error)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Sort by file, line and column so output is stable whatever order the
    /// files were read in.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            let key = |d: &Diagnostic| {
                d.location
                    .as_ref()
                    .map(|l| (l.file.clone(), l.line, l.column))
            };
            key(a).cmp(&key(b)).then_with(|| a.summary.cmp(&b.summary))
        });
    }
}

/// Renders diagnostics for a person: `error: summary`, the location, a snippet
/// of the source line with a caret, detail and `hint:` lines.
pub fn render(diags: &Diagnostics, sources: &dyn SourceLookup, color: bool) -> String {
    let mut out = String::new();
    for d in &diags.0 {
        let (label, paint): (&str, fn(&str, bool) -> String) = match d.severity {
            Severity::Error => ("error", red_bold),
            Severity::Warning => ("warning", yellow_bold),
        };
        let _ = writeln!(out, "{}: {}", paint(label, color), d.summary);
        if let Some(loc) = &d.location {
            let _ = writeln!(out, "  --> {loc}");
            if let Some(line) = sources.line(&loc.file, loc.line) {
                let gutter = loc.line.to_string();
                let pad = " ".repeat(gutter.len());
                let (line, caret_col) = snippet_window(&line.replace('\t', " "), loc.column);
                let _ = writeln!(out, "{pad} |");
                let _ = writeln!(out, "{gutter} | {line}");
                let _ = writeln!(out, "{pad} | {}^", " ".repeat(caret_col));
            }
        }
        if let Some(detail) = &d.detail {
            for l in detail.lines() {
                let _ = writeln!(out, "  {l}");
            }
        }
        if let Some(hint) = &d.hint {
            let _ = writeln!(out, "  {}: {hint}", cyan_bold("hint", color));
        }
        out.push('\n');
    }
    out
}

/// At most this many characters of a source line are shown.
const SNIPPET_WIDTH: usize = 100;

/// The part of `line` around 1-based `column` that fits [`SNIPPET_WIDTH`]
/// (a minified or generated file can have one line of megabytes), with `…`
/// where it was cut and control characters made visible, and the caret's
/// offset in what is shown.
fn snippet_window(line: &str, column: usize) -> (String, usize) {
    let chars: Vec<char> = line
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    let caret = column.saturating_sub(1).min(chars.len());
    if chars.len() <= SNIPPET_WIDTH {
        return (chars.into_iter().collect(), caret);
    }
    let start = caret.saturating_sub(SNIPPET_WIDTH / 2);
    let end = (start + SNIPPET_WIDTH).min(chars.len());
    let mut shown = String::new();
    if start > 0 {
        shown.push('…');
    }
    shown.extend(&chars[start..end]);
    if end < chars.len() {
        shown.push('…');
    }
    (shown, caret - start + usize::from(start > 0))
}

/// Where the renderer finds source lines for snippets.
pub trait SourceLookup {
    fn line(&self, file: &Path, line: usize) -> Option<String>;
}

/// No snippets (e.g. for diagnostics that carry no file).
pub struct NoSources;

impl SourceLookup for NoSources {
    fn line(&self, _file: &Path, _line: usize) -> Option<String> {
        None
    }
}

fn red_bold(s: &str, color: bool) -> String {
    if color {
        format!("\x1b[1;31m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn yellow_bold(s: &str, color: bool) -> String {
    if color {
        format!("\x1b[1;33m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn cyan_bold(s: &str, color: bool) -> String {
    if color {
        format!("\x1b[1;36m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

/// A value from a user's file made safe to show in a one-line message:
/// control characters escaped (a NUL or an escape sequence must not reach
/// the terminal) and anything past 60 characters cut with `…`.
pub fn printable(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == 60 {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The closest candidate to `name` by edit distance, if close enough to be a
/// likely typo (Terraform's `didyoumean`: distance below 3, or a case-only
/// difference).
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            let d = if c.to_ascii_lowercase() == lower {
                0
            } else {
                strsim::levenshtein(name, c)
            };
            (d, c)
        })
        .filter(|(d, c)| *d < 3 || (*d <= c.len() / 3 && *d < 5))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let c = ["Name", "Role", "DatabaseName", "Targets"];
        assert_eq!(did_you_mean("Nmae", c), Some("Name"));
        assert_eq!(did_you_mean("name", c), Some("Name"));
        assert_eq!(did_you_mean("DatabseName", c), Some("DatabaseName"));
        assert_eq!(did_you_mean("Completely", c), None);
    }

    #[test]
    fn printable_escapes_and_shortens() {
        assert_eq!(printable("a\u{0}b\u{1b}[2J"), "a\\u{0}b\\u{1b}[2J");
        assert_eq!(printable(&"x".repeat(100)), format!("{}…", "x".repeat(60)));
    }

    #[test]
    fn long_lines_are_cut_around_the_caret() {
        let line = format!("{}X{}", "a".repeat(500), "b".repeat(500));
        let (shown, caret) = snippet_window(&line, 501);
        assert_eq!(shown.chars().nth(caret), Some('X'));
        assert!(shown.starts_with('…') && shown.ends_with('…'));
        assert_eq!(shown.chars().count(), SNIPPET_WIDTH + 2);
        assert_eq!(
            snippet_window("ab\u{0}c", 4),
            ("ab\u{fffd}c".to_string(), 3)
        );
    }

    #[test]
    fn sorts_by_location() {
        let loc = |f: &str, l| {
            Some(Location {
                file: f.into(),
                line: l,
                column: 1,
            })
        };
        let mut d = Diagnostics::default();
        d.push(Diagnostic::error("b").at(loc("b.json", 1)));
        d.push(Diagnostic::error("a2").at(loc("a.json", 9)));
        d.push(Diagnostic::error("a1").at(loc("a.json", 2)));
        d.sort();
        let s: Vec<_> = d.0.iter().map(|d| d.summary.as_str()).collect();
        assert_eq!(s, ["a1", "a2", "b"]);
    }
}
