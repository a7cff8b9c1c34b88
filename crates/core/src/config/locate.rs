//! Where each value of a JSON document sits in its file.
//!
//! serde_json gives line and column only for syntax errors; validation finds
//! problems by JSON path after parsing. This scanner walks the (already
//! syntax-checked) text once and records the position of every value and
//! object key by JSON pointer, so a problem found at `/spec/Targets/0/Path`
//! is reported at its line and column (Terraform's "detect by path, place by
//! the caller that knows the file").

use std::collections::HashMap;

/// Line and column (1-based, in characters) of every value and key.
#[derive(Debug, Default, Clone)]
pub struct Positions {
    values: HashMap<String, (usize, usize)>,
    keys: HashMap<String, (usize, usize)>,
    /// Keys repeated within one object: pointer and position of the repeat.
    duplicates: Vec<(String, (usize, usize))>,
}

/// Values nested deeper than this are skipped without recursing (their
/// positions are not recorded): parsed JSON is at most 128 deep, and the
/// scanner must not overflow the stack on any input.
const MAX_DEPTH: usize = 256;

impl Positions {
    /// Scan `text`; a document that does not parse yields what was scanned so far.
    pub fn scan(text: &str) -> Self {
        let mut s = Scanner {
            chars: text.chars().collect(),
            i: 0,
            line: 1,
            col: 1,
            depth: 0,
            out: Positions::default(),
        };
        s.skip_ws();
        s.value(String::new());
        s.out
    }

    /// Position of the value at `pointer`, or of its nearest ancestor.
    pub fn value(&self, pointer: &str) -> Option<(usize, usize)> {
        let mut p = pointer.to_string();
        loop {
            if let Some(pos) = self.values.get(&p) {
                return Some(*pos);
            }
            match p.rfind('/') {
                Some(i) => p.truncate(i),
                None => return None,
            }
        }
    }

    /// Keys that appear twice in one object, in document order.
    pub fn duplicates(&self) -> &[(String, (usize, usize))] {
        &self.duplicates
    }

    /// Position of the key naming the member at `pointer` (for unknown fields),
    /// else of the value.
    pub fn key(&self, pointer: &str) -> Option<(usize, usize)> {
        self.keys
            .get(pointer)
            .copied()
            .or_else(|| self.value(pointer))
    }
}

/// Escape one JSON pointer segment (RFC 6901).
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

struct Scanner {
    chars: Vec<char>,
    i: usize,
    line: usize,
    col: usize,
    depth: usize,
    out: Positions,
}

impl Scanner {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\n' | '\r' | '\t' | '\u{feff}')) {
            self.bump();
        }
    }

    fn value(&mut self, pointer: String) {
        if self.depth >= MAX_DEPTH {
            self.skip_nested();
            return;
        }
        self.out
            .values
            .insert(pointer.clone(), (self.line, self.col));
        match self.peek() {
            Some('{') => {
                self.depth += 1;
                self.object(&pointer);
                self.depth -= 1;
            }
            Some('[') => {
                self.depth += 1;
                self.array(&pointer);
                self.depth -= 1;
            }
            Some('"') => {
                self.string();
            }
            Some(_) => self.scalar(),
            None => {}
        }
    }

    fn object(&mut self, pointer: &str) {
        self.bump();
        loop {
            self.skip_ws();
            match self.peek() {
                Some('}') => {
                    self.bump();
                    return;
                }
                Some('"') => {
                    let at = (self.line, self.col);
                    let key = self.string();
                    let child = format!("{pointer}/{}", escape(&key));
                    if self.out.keys.insert(child.clone(), at).is_some() {
                        self.out.duplicates.push((child.clone(), at));
                    }
                    self.skip_ws();
                    if self.peek() == Some(':') {
                        self.bump();
                    }
                    self.skip_ws();
                    self.value(child);
                    self.skip_ws();
                    if self.peek() == Some(',') {
                        self.bump();
                    }
                }
                _ => return,
            }
        }
    }

    fn array(&mut self, pointer: &str) {
        self.bump();
        let mut index = 0usize;
        loop {
            self.skip_ws();
            match self.peek() {
                Some(']') => {
                    self.bump();
                    return;
                }
                None => return,
                Some(_) => {
                    let before = self.i;
                    self.value(format!("{pointer}/{index}"));
                    index += 1;
                    self.skip_ws();
                    if self.peek() == Some(',') {
                        self.bump();
                    } else if self.i == before {
                        return;
                    }
                }
            }
        }
    }

    /// Skips one value of any depth with a loop, not recursion: brackets
    /// are counted, strings stepped over.
    fn skip_nested(&mut self) {
        match self.peek() {
            Some('{' | '[') => {}
            Some('"') => {
                self.string();
                return;
            }
            _ => return self.scalar(),
        }
        let mut open = 0usize;
        while let Some(c) = self.peek() {
            match c {
                '"' => {
                    self.string();
                }
                '{' | '[' => {
                    open += 1;
                    self.bump();
                }
                '}' | ']' => {
                    self.bump();
                    open -= 1;
                    if open == 0 {
                        return;
                    }
                }
                _ => {
                    self.bump();
                }
            }
        }
    }

    /// A number, `true`, `false` or `null`.
    fn scalar(&mut self) {
        while let Some(c) = self.peek() {
            if matches!(c, ',' | '}' | ']' | ' ' | '\n' | '\r' | '\t') {
                break;
            }
            self.bump();
        }
    }

    /// Reads a string literal and returns its decoded text.
    fn string(&mut self) -> String {
        self.bump();
        let mut raw = String::from("\"");
        while let Some(c) = self.bump() {
            raw.push(c);
            match c {
                '\\' => {
                    if let Some(e) = self.bump() {
                        raw.push(e);
                    }
                }
                '"' => break,
                _ => {}
            }
        }
        serde_json::from_str(&raw).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_values_and_keys() {
        let text = "{\n  \"type\": \"glue_crawler\",\n  \"spec\": {\n    \"Targets\": {\"S3Targets\": [{\"Path\": \"s3://x\"}, {\"Path\": 1}]},\n    \"a/b\": true\n  }\n}";
        let p = Positions::scan(text);
        assert_eq!(p.value("/type"), Some((2, 11)));
        assert_eq!(p.key("/type"), Some((2, 3)));
        assert_eq!(p.value("/spec/Targets/S3Targets/1/Path"), Some((4, 60)));
        assert_eq!(p.key("/spec/a~1b"), Some((5, 5)));
        // A missing member is placed at its parent.
        assert_eq!(p.value("/spec/Targets/Nope"), Some((4, 16)));
    }

    #[test]
    fn records_duplicate_keys() {
        let p = Positions::scan("{\"a\": {\"b\": 1,\n \"b\": 2}, \"c\": 3}");
        assert_eq!(p.duplicates(), [("/a/b".to_string(), (2, 2))]);
    }

    #[test]
    fn deep_nesting_does_not_recurse_without_bound() {
        let text = format!(
            "{{\"a\": {}{}, \"b\": 1}}",
            "[".repeat(200_000),
            "]".repeat(200_000)
        );
        let p = Positions::scan(&text);
        assert!(p.value("/b").is_some());
    }

    #[test]
    fn multibyte_text_counts_characters() {
        let text = "{\"ä\": \"ö\", \"b\": 2}";
        let p = Positions::scan(text);
        assert_eq!(p.value("/b"), Some((1, 17)));
    }
}
