//! Turning one input file's bytes into JSON, or into diagnostics that say
//! what is wrong with them: a size limit, the text encoding (UTF-16/32 and
//! Latin-1 files are named as such instead of "invalid byte"), strict JSON
//! with a hint per kind of syntax error, and duplicate keys, which
//! serde_json would otherwise collapse silently to the last one.

use std::path::Path;

use serde_json::Value;

use super::locate::Positions;
use crate::diag::{Diagnostic, Location};

/// A resource or environment file larger than this is refused before it is
/// parsed. The largest real spec (a QuickSight data set with its SQL) is a
/// few hundred KiB; a file this big is a mistake (a data file saved under
/// `resources/`) and would only cost memory and time.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

/// The nesting depth serde_json accepts (its recursion limit); deeper input
/// is a syntax error, never a stack overflow.
pub const MAX_DEPTH: usize = 128;

/// A parsed file: its text (for snippets) and value positions.
pub struct Parsed {
    pub text: String,
    pub value: Value,
    pub positions: Positions,
}

/// What went wrong; `text` is kept when the file was text, for snippets.
pub struct Failed {
    pub text: Option<String>,
    pub diags: Vec<Diagnostic>,
}

/// Checks size and encoding, parses, and rejects duplicate keys.
pub fn parse_file(rel: &Path, bytes: Vec<u8>) -> Result<Parsed, Failed> {
    let fail = |text: Option<String>, d: Diagnostic| Failed {
        text,
        diags: vec![d],
    };
    if bytes.len() > MAX_FILE_BYTES {
        return Err(fail(None, too_big(rel, bytes.len() as u64)));
    }
    let text = decode(rel, bytes).map_err(|d| fail(None, d))?;
    let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let value = match serde_json::from_str::<Value>(body) {
        Ok(v) => v,
        Err(e) => {
            let d = syntax_error(rel, body, body.len() != text.len(), &e);
            return Err(fail(Some(text), d));
        }
    };
    let positions = Positions::scan(&text);
    let dups: Vec<Diagnostic> = positions
        .duplicates()
        .iter()
        .map(|(pointer, (line, column))| {
            let key = pointer.rsplit('/').next().unwrap_or_default();
            let key = key.replace("~1", "/").replace("~0", "~");
            Diagnostic::error(format!(
                "duplicate key `{}` in `{}`",
                crate::diag::printable(&key),
                rel.display()
            ))
            .at(Some(at(rel, *line, *column)))
            .hint("JSON keeps only the last of repeated keys, so the first would be ignored silently; remove one of them")
        })
        .collect();
    if !dups.is_empty() {
        return Err(Failed {
            text: Some(text),
            diags: dups,
        });
    }
    Ok(Parsed {
        text,
        value,
        positions,
    })
}

/// The diagnostic for a file over [`MAX_FILE_BYTES`].
pub fn too_big(rel: &Path, len: u64) -> Diagnostic {
    Diagnostic::error(format!(
        "`{}` is {len} bytes; resource and environment files are limited to {} MiB ({MAX_FILE_BYTES} bytes)",
        rel.display(),
        MAX_FILE_BYTES / (1024 * 1024)
    ))
    .hint("keep only resource definitions under `resources/` (data files belong in S3); split a large estate into one file per resource")
}

fn at(rel: &Path, line: usize, column: usize) -> Location {
    Location {
        file: rel.to_path_buf(),
        line,
        column,
    }
}

/// UTF-8 (with or without a byte order mark) or a diagnostic naming the
/// encoding the file seems to be in.
fn decode(rel: &Path, bytes: Vec<u8>) -> Result<String, Diagnostic> {
    let other = |name: &str| {
        Diagnostic::error(format!(
            "`{}` is {name} text; twh reads UTF-8",
            rel.display()
        ))
        .at(Some(at(rel, 1, 1)))
        .hint(format!(
            "convert it, e.g. `iconv -f {} -t UTF-8 {f} > {f}.new && mv {f}.new {f}`, or save it as UTF-8 in the editor",
            if name.starts_with("UTF-32") { "UTF-32" } else { "UTF-16" },
            f = rel.display()
        ))
    };
    match bytes.as_slice() {
        [0xFF, 0xFE, 0, 0, ..] => return Err(other("UTF-32 (little-endian)")),
        [0, 0, 0xFE, 0xFF, ..] => return Err(other("UTF-32 (big-endian)")),
        [0xFF, 0xFE, ..] => return Err(other("UTF-16 (little-endian)")),
        [0xFE, 0xFF, ..] => return Err(other("UTF-16 (big-endian)")),
        // `{` or `[` or whitespace as UTF-16 without a byte order mark.
        [a, 0, ..] | [0, a, ..] if a.is_ascii() && *a != 0 => {
            return Err(other("UTF-16 (no byte order mark)"));
        }
        _ => {}
    }
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let valid_up_to = e.utf8_error().valid_up_to();
        // The prefix is valid UTF-8 by definition.
        let prefix = String::from_utf8_lossy(&bytes[..valid_up_to]);
        let line = prefix.matches('\n').count() + 1;
        let column = prefix.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        let bad = bytes[valid_up_to];
        let latin1 = (0xA0..0xFF).contains(&bad) && e.utf8_error().error_len() == Some(1);
        let (what, hint) = if latin1 {
            (
                format!(
                    "byte 0x{bad:02X} (`{}` in Latin-1) is not UTF-8",
                    char::from(bad)
                ),
                format!(
                    "the file looks like Latin-1/Windows-1252: convert it with `iconv -f WINDOWS-1252 -t UTF-8 {f} > {f}.new && mv {f}.new {f}`",
                    f = rel.display()
                ),
            )
        } else {
            (
                format!("byte 0x{bad:02X} is not UTF-8"),
                "save the file as UTF-8; if it is not a text file, move it out of `resources/`"
                    .to_string(),
            )
        };
        Diagnostic::error(format!("`{}` is not UTF-8 text: {what}", rel.display()))
            .at(Some(at(rel, line, column)))
            .hint(hint)
    })
}

/// A JSON syntax error at its position, with what to do about it.
fn syntax_error(rel: &Path, body: &str, bom: bool, e: &serde_json::Error) -> Diagnostic {
    let msg = e.to_string();
    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
    let (line, column) = (e.line().max(1), e.column().max(1));
    let near = body
        .lines()
        .nth(line - 1)
        .and_then(|l| l.chars().nth(column.saturating_sub(1)));
    let hint = syntax_hint(&msg, body, near, rel.starts_with("resources/environments"));
    // The byte order mark was stripped before parsing, but it is a character
    // of the first line as shown.
    let column = column + usize::from(line == 1 && bom);
    let summary = if body.trim().is_empty() {
        format!("`{}` is empty", rel.display())
    } else {
        format!("invalid JSON in `{}`: {msg}", rel.display())
    };
    Diagnostic::error(summary)
        .at(Some(at(rel, line, column)))
        .hint_opt(hint)
}

fn syntax_hint(msg: &str, body: &str, near: Option<char>, environment: bool) -> Option<String> {
    let h = |s: &str| Some(s.to_string());
    if body.trim().is_empty() {
        return if environment {
            h(
                r#"write the environment, e.g. {"region": "us-east-1", "variables": {}, "state": {"backend": "local"}}"#,
            )
        } else {
            h(r#"write a resource ({"type": ..., "name": ..., "spec": {...}}) or delete the file"#)
        };
    }
    if msg.starts_with("EOF while parsing") {
        let what = msg.trim_start_matches("EOF while parsing ");
        return Some(format!(
            "the file ends inside {what}: close every `{{`, `[` and `\"` that is opened"
        ));
    }
    match msg {
        "trailing comma" => {
            h("remove the comma before the closing bracket; JSON allows no trailing commas")
        }
        "key must be a string" => match near {
            Some('/' | '#') => {
                h("JSON has no comments; put a note in the resource's `description` instead")
            }
            Some('\'') => h("keys and strings take double quotes (`\"name\"`), not single quotes"),
            Some('}') | Some(']') => h("remove the trailing comma before the closing bracket"),
            _ => h("object keys must be double-quoted strings (`\"name\": ...`)"),
        },
        "expected value" => match near {
            Some('/') | Some('#') => {
                h("JSON has no comments; put a note in the resource's `description` instead")
            }
            Some('\'') => h("strings take double quotes (`\"text\"`), not single quotes"),
            Some(',') | Some('}') | Some(']') => {
                h("a value is missing before this point (or a comma is doubled)")
            }
            Some('T' | 'F' | 'N') => h("JSON's literals are lowercase: `true`, `false`, `null`"),
            _ => h(
                "expected a string, number, object, array, true, false or null here; quote text as `\"text\"`",
            ),
        },
        "expected ident" => {
            h("misspelt literal: JSON's are `true`, `false` and `null` (lowercase)")
        }
        "expected `,` or `}`" => {
            h("a comma is missing between two members of this object, or a `}` is misplaced")
        }
        "expected `,` or `]`" => {
            h("a comma is missing between two items of this array, or a `]` is misplaced")
        }
        "expected `:`" => h("put `:` between a key and its value"),
        "trailing characters" => h(
            r#"the file holds more than one JSON value; put several resources in {"resources": [...]}"#,
        ),
        "recursion limit exceeded" => Some(format!(
            "the document is nested more than {MAX_DEPTH} levels deep; no AWS input is, so this is a broken or generated file"
        )),
        "number out of range" => h(
            "the number does not fit a 64-bit float; if it is an identifier, write it as a string",
        ),
        "invalid number" => {
            h("numbers are written like `12`, `-3.5` or `1e6`; quote anything else as a string")
        }
        "invalid escape" => {
            h("a backslash starts an escape in JSON strings: write `\\\\` for a literal backslash")
        }
        "control character (\\u0000-\\u001F) found while parsing a string" => {
            h("write a line break inside a string as `\\n` and a tab as `\\t`")
        }
        "lone leading surrogate in hex escape"
        | "unexpected end of hex escape"
        | "invalid unicode code point"
        | "invalid escape sequence" => h(
            "a `\\uXXXX` escape is not a valid character: UTF-16 surrogates (`\\uD800`-`\\uDFFF`) must come in pairs; better, write the character itself",
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(bytes: &[u8]) -> String {
        match parse_file(Path::new("a.json"), bytes.to_vec()) {
            Ok(_) => "ok".into(),
            Err(f) => {
                let d = &f.diags[0];
                format!(
                    "{} @{} [{}]",
                    d.summary,
                    d.location
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    d.hint.clone().unwrap_or_default()
                )
            }
        }
    }

    #[test]
    fn names_encodings() {
        assert!(error(b"\xff\xfe{\0}\0").starts_with("`a.json` is UTF-16 (little-endian) text"));
        assert!(error(b"{\0}\0").starts_with("`a.json` is UTF-16 (no byte order mark)"));
        assert!(error(b"{\"a\":\n \"caf\xe9\"}").starts_with(
            "`a.json` is not UTF-8 text: byte 0xE9 (`\u{e9}` in Latin-1) is not UTF-8 @a.json:2:6"
        ));
        assert_eq!(error(b"\xef\xbb\xbf{}"), "ok");
    }

    #[test]
    fn duplicate_keys_are_errors() {
        assert!(
            error(b"{\"a\": 1,\n \"a\": 2}")
                .starts_with("duplicate key `a` in `a.json` @a.json:2:2")
        );
    }

    #[test]
    fn deep_nesting_is_a_syntax_error() {
        let deep = "[".repeat(100_000);
        assert!(error(deep.as_bytes()).contains("recursion limit exceeded"));
    }
}
