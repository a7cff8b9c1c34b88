//! Rewriting a JSON file in place, the way a person would edit it.
//!
//! `twh accept` writes values AWS holds back into resource files that people
//! wrote and review. Serializing the whole document again would reorder
//! nothing (keys keep their order) but would still rewrite every line whose
//! layout differs from serde's: one-line objects, aligned columns, the
//! indentation a team chose. The diff to review would be the whole file.
//!
//! [`rewrite`] instead takes the file's text and the whole new document, and
//! changes only the text of what differs: a value that is equal keeps its
//! text byte for byte (placeholders, spacing, escapes, unicode); an object
//! keeps its members in their order and appends new ones after them; an
//! array keeps the elements that are still there (matched by value, so a
//! column added in the middle is one new line); whitespace between members is
//! reused. What is new is written in the style around it: on its own line
//! with the siblings' indentation where they are on their own lines, inline
//! where they are inline.

use serde_json::Value;

/// Why a text could not be rewritten (it is not one JSON document).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditError(pub String);

impl std::fmt::Display for EditError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EditError {}

/// The text of `text` changed to hold `new`, touching only what differs.
pub fn rewrite(text: &str, new: &Value) -> Result<String, EditError> {
    let body_start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let old: Value = serde_json::from_str(&text[body_start..])
        .map_err(|e| EditError(format!("not valid JSON: {e}")))?;
    let mut p = Parser {
        b: text.as_bytes(),
        i: body_start,
        depth: 0,
    };
    p.ws();
    let root = p.value()?;
    let style = Style {
        unit: indent_unit(text),
    };
    let mut out = String::with_capacity(text.len() + 64);
    out.push_str(&text[..root.start]);
    render(text, &root, &old, new, &style, &mut out);
    out.push_str(&text[root.end..]);
    Ok(out)
}

/// One value of the text: its byte span and, for containers, its children.
#[derive(Debug)]
struct Node {
    start: usize,
    end: usize,
    body: Body,
}

#[derive(Debug)]
enum Body {
    Scalar,
    /// Members: key, byte offset where the key's quote starts, value.
    Object(Vec<(String, usize, Node)>),
    Array(Vec<Node>),
}

/// Nesting the parser follows; serde_json refuses deeper input first
/// (its recursion limit is 128), so this is only a bound.
const MAX_DEPTH: usize = 256;

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while matches!(self.b.get(self.i), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.i += 1;
        }
    }

    fn err(&self, what: &str) -> EditError {
        EditError(format!("{what} at byte {}", self.i))
    }

    fn value(&mut self) -> Result<Node, EditError> {
        let start = self.i;
        match self.b.get(self.i) {
            Some(b'{') | Some(b'[') if self.depth >= MAX_DEPTH => Err(self.err("nested too deep")),
            Some(b'{') => {
                self.depth += 1;
                self.i += 1;
                let mut members = Vec::new();
                loop {
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b'}') => {
                            self.i += 1;
                            break;
                        }
                        Some(b',') => {
                            self.i += 1;
                        }
                        Some(b'"') => {
                            let key_start = self.i;
                            self.string()?;
                            let raw = std::str::from_utf8(&self.b[key_start..self.i])
                                .map_err(|_| self.err("invalid UTF-8"))?;
                            let key: String =
                                serde_json::from_str(raw).map_err(|_| self.err("invalid key"))?;
                            self.ws();
                            if self.b.get(self.i) != Some(&b':') {
                                return Err(self.err("expected `:`"));
                            }
                            self.i += 1;
                            self.ws();
                            let v = self.value()?;
                            members.push((key, key_start, v));
                        }
                        _ => return Err(self.err("expected a key or `}`")),
                    }
                }
                self.depth -= 1;
                Ok(Node {
                    start,
                    end: self.i,
                    body: Body::Object(members),
                })
            }
            Some(b'[') => {
                self.depth += 1;
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b']') => {
                            self.i += 1;
                            break;
                        }
                        Some(b',') => {
                            self.i += 1;
                        }
                        Some(_) => items.push(self.value()?),
                        None => return Err(self.err("unterminated array")),
                    }
                }
                self.depth -= 1;
                Ok(Node {
                    start,
                    end: self.i,
                    body: Body::Array(items),
                })
            }
            Some(b'"') => {
                self.string()?;
                Ok(Node {
                    start,
                    end: self.i,
                    body: Body::Scalar,
                })
            }
            Some(_) => {
                while let Some(c) = self.b.get(self.i) {
                    if matches!(c, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t') {
                        break;
                    }
                    self.i += 1;
                }
                if self.i == start {
                    return Err(self.err("expected a value"));
                }
                Ok(Node {
                    start,
                    end: self.i,
                    body: Body::Scalar,
                })
            }
            None => Err(self.err("expected a value")),
        }
    }

    fn string(&mut self) -> Result<(), EditError> {
        self.i += 1;
        while let Some(c) = self.b.get(self.i) {
            self.i += 1;
            match c {
                b'\\' => self.i += 1,
                b'"' => return Ok(()),
                _ => {}
            }
        }
        Err(self.err("unterminated string"))
    }
}

struct Style {
    /// One level of indentation as the file writes it.
    unit: String,
}

/// The file's indentation step: tabs if a line starts with one, else the
/// smallest indentation any line has (2 when no line is indented).
fn indent_unit(text: &str) -> String {
    let mut smallest = usize::MAX;
    for line in text.lines() {
        if line.starts_with('\t') {
            return "\t".into();
        }
        let n = line.len() - line.trim_start_matches(' ').len();
        if n > 0 && n < line.len() {
            smallest = smallest.min(n);
        }
    }
    if smallest == usize::MAX {
        "  ".into()
    } else {
        " ".repeat(smallest)
    }
}

/// The indentation of the line `pos` is on.
fn line_indent(text: &str, pos: usize) -> &str {
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

fn render(text: &str, node: &Node, old: &Value, new: &Value, style: &Style, out: &mut String) {
    if old == new {
        out.push_str(&text[node.start..node.end]);
        return;
    }
    match (&node.body, old, new) {
        (Body::Object(members), Value::Object(_), Value::Object(nm)) if !members.is_empty() => {
            let mut items: Vec<Item> = Vec::new();
            for (i, (key, _, _)) in members.iter().enumerate() {
                if let Some(v) = nm.get(key) {
                    items.push(Item::Orig(i, v));
                }
            }
            for (k, v) in nm {
                if !members.iter().any(|(key, _, _)| key == k) {
                    items.push(Item::New(Some(k), v));
                }
            }
            let spans: Vec<(usize, usize)> =
                members.iter().map(|(_, ks, v)| (*ks, v.end)).collect();
            let containers: Vec<&str> = members
                .iter()
                .filter(|(_, _, v)| !matches!(v.body, Body::Scalar))
                .map(|(_, _, v)| &text[v.start..v.end])
                .collect();
            container(
                text,
                node,
                &spans,
                &containers,
                &items,
                style,
                out,
                |i, v, out| {
                    let (_, ks, child) = &members[i];
                    out.push_str(&text[*ks..child.start]);
                    let old_child = old.get(&members[i].0).unwrap_or(&Value::Null);
                    render(text, child, old_child, v, style, out);
                },
            );
        }
        (Body::Array(elems), Value::Array(oa), Value::Array(na)) if !elems.is_empty() => {
            let items: Vec<Item> = if oa.len() == na.len() {
                na.iter()
                    .enumerate()
                    .map(|(i, v)| Item::Orig(i, v))
                    .collect()
            } else {
                align(oa, na)
            };
            let spans: Vec<(usize, usize)> = elems.iter().map(|e| (e.start, e.end)).collect();
            let containers: Vec<&str> = elems
                .iter()
                .filter(|e| !matches!(e.body, Body::Scalar))
                .map(|e| &text[e.start..e.end])
                .collect();
            container(
                text,
                node,
                &spans,
                &containers,
                &items,
                style,
                out,
                |i, v, out| {
                    render(text, &elems[i], &oa[i], v, style, out);
                },
            );
        }
        _ => {
            let multiline = text[node.start..node.end].contains('\n');
            fresh(new, multiline, line_indent(text, node.start), style, out);
        }
    }
}

/// A member or element of the rewritten container: one of the text's (by
/// index, with its new value) or a new one (with its key, in an object).
enum Item<'a> {
    Orig(usize, &'a Value),
    New(Option<&'a String>, &'a Value),
}

/// Elements of `new` matched to elements of `old` by value, in order (a
/// longest common subsequence): a matched element keeps its text, the others
/// are new, and the old elements matched by none are dropped.
fn align<'a>(old: &[Value], new: &'a [Value]) -> Vec<Item<'a>> {
    let (n, m) = (old.len(), new.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if old[i] == new[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while j < m {
        if i < n && old[i] == new[j] {
            out.push(Item::Orig(i, &new[j]));
            i += 1;
            j += 1;
        } else if i < n && lcs[i + 1][j] >= lcs[i][j + 1] {
            i += 1;
        } else {
            out.push(Item::New(None, &new[j]));
            j += 1;
        }
    }
    out
}

/// Writes a non-empty container of the text with `items` in place of its
/// members: the opening bracket and the whitespace after it, each kept
/// item's text (through `orig`) with the separator that preceded it, new
/// items with the separator between the last two members, the whitespace
/// before the closing bracket. `spans` are the original members' (start,
/// end) bytes; `containers` the text of those that are objects or arrays.
#[allow(clippy::too_many_arguments)]
fn container<'v>(
    text: &str,
    node: &Node,
    spans: &[(usize, usize)],
    containers: &[&str],
    items: &[Item<'v>],
    style: &Style,
    out: &mut String,
    mut orig: impl FnMut(usize, &'v Value, &mut String),
) {
    let (open, close) = (
        &text[node.start..=node.start],
        &text[node.end - 1..node.end],
    );
    if items.is_empty() {
        out.push_str(open);
        out.push_str(close);
        return;
    }
    let lead = &text[node.start + 1..spans[0].0];
    let trail = &text[spans[spans.len() - 1].1..node.end - 1];
    let gaps: Vec<&str> = spans.windows(2).map(|w| &text[w[0].1..w[1].0]).collect();
    let on_lines = lead.contains('\n');
    let default_gap = match gaps.last() {
        Some(g) => (*g).to_string(),
        None if on_lines => format!(",{lead}"),
        None => ", ".into(),
    };
    let indent = match lead.rfind('\n') {
        Some(i) => lead[i + 1..].to_string(),
        None => line_indent(text, node.start).to_string(),
    };
    // New objects and arrays follow the siblings that are containers, or,
    // with none, whether the members are on lines of their own.
    let multiline = if containers.is_empty() {
        on_lines
    } else {
        containers.iter().any(|c| c.contains('\n'))
    };
    out.push_str(open);
    out.push_str(lead);
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            match item {
                Item::Orig(i, _) if *i > 0 => out.push_str(gaps[*i - 1]),
                _ => out.push_str(&default_gap),
            }
        }
        match item {
            Item::Orig(i, v) => orig(*i, v, out),
            Item::New(key, v) => {
                if let Some(k) = key {
                    out.push_str(&serde_json::to_string(k).unwrap_or_default());
                    out.push_str(": ");
                }
                fresh(v, multiline, &indent, style, out);
            }
        }
    }
    out.push_str(trail);
    out.push_str(close);
}

/// Writes a value that has no text yet: inline (`{"a": 1, "b": [2]}`) or
/// one member per line, nested lines indented one `style.unit` deeper than
/// `indent`.
fn fresh(v: &Value, multiline: bool, indent: &str, style: &Style, out: &mut String) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            let inner = format!("{indent}{}", style.unit);
            out.push('{');
            for (n, (k, x)) in m.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                    if !multiline {
                        out.push(' ');
                    }
                }
                if multiline {
                    out.push('\n');
                    out.push_str(&inner);
                }
                out.push_str(&serde_json::to_string(k).unwrap_or_default());
                out.push_str(": ");
                fresh(x, multiline, &inner, style, out);
            }
            if multiline {
                out.push('\n');
                out.push_str(indent);
            }
            out.push('}');
        }
        Value::Array(a) if !a.is_empty() => {
            let inner = format!("{indent}{}", style.unit);
            out.push('[');
            for (n, x) in a.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                    if !multiline {
                        out.push(' ');
                    }
                }
                if multiline {
                    out.push('\n');
                    out.push_str(&inner);
                }
                fresh(x, multiline, &inner, style, out);
            }
            if multiline {
                out.push('\n');
                out.push_str(indent);
            }
            out.push(']');
        }
        other => out.push_str(&serde_json::to_string(other).unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn edit(text: &str, f: impl FnOnce(&mut Value)) -> String {
        let mut v: Value = serde_json::from_str(text).expect("json");
        f(&mut v);
        let out = rewrite(text, &v).expect("rewrite");
        let back: Value = serde_json::from_str(&out).expect("output is JSON");
        assert_eq!(back, v, "the rewritten text holds the new document");
        out
    }

    #[test]
    fn an_unchanged_document_is_byte_for_byte_the_same() {
        let text = "\u{feff}{ \"b\" :1,\"a\":[ 1,2 ],\n\n  \"c\": \"\\u00e9${var.x}\" }\n";
        assert_eq!(
            rewrite(text, &serde_json::from_str(&text[3..]).expect("test value"))
                .expect("test value"),
            text
        );
    }

    #[test]
    fn a_changed_scalar_changes_only_its_text_and_key_order_stays() {
        let text = "{\n    \"type\": \"glue_crawler\",\n    \"spec\": {\n        \"Schedule\": \"cron(0 1 * * ? *)\",\n        \"Name\":   \"orders-${env}\",\n        \"A\": 1\n    }\n}\n";
        let out = edit(text, |v| v["spec"]["Schedule"] = json!("cron(0 5 * * ? *)"));
        assert_eq!(out, text.replace("cron(0 1", "cron(0 5"));
    }

    #[test]
    fn new_members_follow_the_siblings_layout_and_indentation() {
        let text = "{\n\t\"spec\": {\n\t\t\"Name\": \"x\",\n\t\t\"Tags\": {\"a\": \"b\"}\n\t}\n}";
        let out = edit(text, |v| {
            v["spec"]["Description"] = json!("näive ✓");
            v["spec"]["Columns"] = json!([{"Name": "id"}]);
        });
        assert_eq!(
            out,
            "{\n\t\"spec\": {\n\t\t\"Name\": \"x\",\n\t\t\"Tags\": {\"a\": \"b\"},\n\t\t\"Description\": \"näive ✓\",\n\t\t\"Columns\": [{\"Name\": \"id\"}]\n\t}\n}"
        );
        // Siblings written over several lines: so is the new member.
        let text = "{\n  \"a\": {\n    \"x\": 1\n  }\n}\n";
        let out = edit(text, |v| v["b"] = json!({"y": [1, 2]}));
        assert_eq!(
            out,
            "{\n  \"a\": {\n    \"x\": 1\n  },\n  \"b\": {\n    \"y\": [\n      1,\n      2\n    ]\n  }\n}\n"
        );
    }

    #[test]
    fn removed_members_take_their_separator_with_them() {
        let text = "{\n  \"a\": 1,\n  \"b\": 2,\n  \"c\": 3\n}";
        assert_eq!(
            edit(text, |v| {
                v.as_object_mut().expect("test value").shift_remove("c");
            }),
            "{\n  \"a\": 1,\n  \"b\": 2\n}"
        );
        assert_eq!(
            edit(text, |v| {
                v.as_object_mut().expect("test value").shift_remove("a");
            }),
            "{\n  \"b\": 2,\n  \"c\": 3\n}"
        );
        assert_eq!(
            edit(text, |v| {
                let m = v.as_object_mut().expect("test value");
                m.shift_remove("b");
                m.shift_remove("c");
            }),
            "{\n  \"a\": 1\n}"
        );
        assert_eq!(
            edit("{\"a\": {\"x\": 1}}", |v| v["a"] = json!({})),
            "{\"a\": {}}"
        );
    }

    #[test]
    fn an_element_added_to_an_array_is_one_new_line_and_the_others_keep_their_text() {
        let text = r#"{"resources": [
  {"type": "glue_table", "name": "t", "spec": {
    "Columns": [
      {"Name": "id",    "Type": "string"},
      {"Name": "total", "Type": "double"}
    ]}}
]}
"#;
        let out = edit(text, |v| {
            let cols = v["resources"][0]["spec"]["Columns"]
                .as_array_mut()
                .expect("test value");
            cols.insert(1, json!({"Name": "currency", "Type": "string"}));
            cols.push(json!({"Name": "paid_at", "Type": "timestamp"}));
        });
        assert_eq!(
            out,
            r#"{"resources": [
  {"type": "glue_table", "name": "t", "spec": {
    "Columns": [
      {"Name": "id",    "Type": "string"},
      {"Name": "currency", "Type": "string"},
      {"Name": "total", "Type": "double"},
      {"Name": "paid_at", "Type": "timestamp"}
    ]}}
]}
"#
        );
        // Removing one keeps the rest as written.
        let out = edit(text, |v| {
            v["resources"][0]["spec"]["Columns"]
                .as_array_mut()
                .expect("test value")
                .remove(0);
        });
        assert!(
            out.contains("[\n      {\"Name\": \"total\", \"Type\": \"double\"}\n    ]"),
            "{out}"
        );
    }

    #[test]
    fn nested_changes_in_equal_length_arrays_stay_inside_their_element() {
        let text = "[[1, [2, {\"k\": \"v\"}]],\n [3]]";
        let out = edit(text, |v| v[0][1][1]["k"] = json!("w"));
        assert_eq!(out, "[[1, [2, {\"k\": \"w\"}]],\n [3]]");
    }

    #[test]
    fn one_resource_files_and_resource_lists_are_both_edited_in_place() {
        let single = "{\n  \"type\": \"athena_workgroup\",\n  \"name\": \"wg\",\n  \"spec\": {\"Name\": \"wg-${env}\", \"Description\": \"old\"}\n}\n";
        assert_eq!(
            edit(single, |v| v["spec"]["Description"] = json!("new")),
            single.replace("\"old\"", "\"new\"")
        );
        let list = "{\n  \"resources\": [\n    {\"type\": \"a\", \"spec\": {\"X\": 1}},\n    {\"type\": \"b\", \"spec\": {\"X\": 1}}\n  ],\n  \"moved\": [{\"from\": \"a.x\", \"to\": \"a.y\"}]\n}\n";
        assert_eq!(
            edit(list, |v| v["resources"][1]["spec"]["X"] = json!(2)),
            list.replacen("{\"X\": 1}}\n", "{\"X\": 2}}\n", 1)
        );
    }

    #[test]
    fn a_value_that_changes_type_is_written_in_the_style_it_had() {
        let text = "{\n  \"a\": \"${var.cols}\"\n}";
        assert_eq!(
            edit(text, |v| v["a"] = json!([1, 2])),
            "{\n  \"a\": [1, 2]\n}"
        );
        let text = "{\n  \"a\": [\n    1\n  ]\n}";
        assert_eq!(
            edit(text, |v| v["a"] = json!({"b": 1})),
            "{\n  \"a\": {\n    \"b\": 1\n  }\n}"
        );
    }

    #[test]
    fn text_that_is_not_json_is_an_error() {
        assert!(rewrite("{\"a\": ", &json!({})).is_err());
    }
}
