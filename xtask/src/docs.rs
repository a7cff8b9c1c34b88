//! AWS model documentation (HTML) → short rustdoc text.
//!
//! The docs become `///` comments, which rustdoc reads as Markdown and schemars copies
//! into the JSON Schema's `description`. So: keep the first paragraph only (the rest is
//! on the AWS docs page), cap it near 400 characters at a sentence or word end, keep
//! `<code>` as code spans, and escape what Markdown would otherwise interpret (brackets
//! as links, `<x>` as HTML, `*` as emphasis, a line-leading `-` or `#` as a list or heading).

/// Roughly how much of a paragraph to keep.
const LIMIT: usize = 400;
/// Width of the text on one `///` line.
const WIDTH: usize = 88;

#[derive(Debug, PartialEq)]
enum Piece {
    Text(String),
    Code(String),
}

/// The first paragraph of `html` as doc-comment lines (without `///`); empty if none.
pub fn doc_lines(html: &str) -> Vec<String> {
    // Spaces inside code spans become NUL while wrapping, so a span never breaks a line.
    let markdown: String = truncate(first_paragraph(html))
        .iter()
        .map(|piece| match piece {
            Piece::Text(text) => escape(text),
            Piece::Code(code) => format!("`{}`", code.trim().replace(' ', "\0")),
        })
        .collect();
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in markdown.split(' ').filter(|w| !w.is_empty()) {
        if !line.is_empty() && line.len() + 1 + word.len() > WIDTH {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
        .iter()
        .map(|l| escape_line_start(&l.replace('\0', " ")))
        .collect()
}

/// Text and code pieces of the first block of `html` that has any text, whitespace
/// collapsed to single spaces.
fn first_paragraph(html: &str) -> Vec<Piece> {
    const BLOCKS: &[&str] = &[
        "p",
        "ul",
        "ol",
        "li",
        "br",
        "note",
        "important",
        "div",
        "dl",
        "dt",
        "dd",
        "h1",
        "h2",
        "h3",
        "h4",
        "table",
        "tr",
    ];
    let mut pieces: Vec<Piece> = Vec::new();
    let mut code_depth = 0usize;
    let mut rest = html;
    while !rest.is_empty() {
        let (text, tag) = match rest.find('<') {
            Some(start) => match rest[start..].find('>') {
                Some(len) => (&rest[..start], Some(&rest[start + 1..start + len])),
                None => (rest, None),
            },
            None => (rest, None),
        };
        push_text(&mut pieces, &decode_entities(text), code_depth > 0);
        let Some(tag) = tag else { break };
        rest = &rest[text.len() + tag.len() + 2..];
        let closing = tag.starts_with('/');
        let tag_name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        if BLOCKS.contains(&tag_name.as_str()) {
            if has_text(&pieces) {
                break;
            }
            continue;
        }
        if tag_name == "code" {
            if closing {
                code_depth = code_depth.saturating_sub(1);
            } else {
                code_depth += 1;
            }
        }
        // Inline tags (`a`, `i`, `b`, `code`…) separate nothing.
    }
    // Trim the paragraph's ends.
    if let Some(Piece::Text(t)) = pieces.first_mut() {
        *t = t.trim_start().to_owned();
    }
    if let Some(Piece::Text(t)) = pieces.last_mut() {
        *t = t.trim_end().to_owned();
    }
    pieces.retain(|p| !matches!(p, Piece::Text(t) | Piece::Code(t) if t.trim().is_empty()));
    pieces
}

fn has_text(pieces: &[Piece]) -> bool {
    pieces
        .iter()
        .any(|p| matches!(p, Piece::Text(t) | Piece::Code(t) if !t.trim().is_empty()))
}

fn push_text(pieces: &mut Vec<Piece>, text: &str, code: bool) {
    let collapsed = collapse(text);
    if collapsed.is_empty() {
        return;
    }
    match pieces.last_mut() {
        Some(Piece::Text(t)) if !code => t.push_str(&collapsed),
        Some(Piece::Code(t)) if code => t.push_str(&collapsed),
        _ if code => pieces.push(Piece::Code(collapsed.replace('`', "'"))),
        _ => pieces.push(Piece::Text(collapsed)),
    }
}

/// Whitespace runs → one space (ends kept, so inline tags do not glue words together).
fn collapse(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            space = true;
        } else {
            if space {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    if space {
        out.push(' ');
    }
    out
}

fn decode_entities(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

/// Keeps about `LIMIT` characters: up to the last sentence end inside the limit if there is
/// one late enough, otherwise the last whole word followed by `...`.
fn truncate(pieces: Vec<Piece>) -> Vec<Piece> {
    let total: usize = pieces
        .iter()
        .map(|p| match p {
            Piece::Text(t) | Piece::Code(t) => t.chars().count(),
        })
        .sum();
    if total <= LIMIT {
        return pieces;
    }
    let mut out = Vec::new();
    let mut used = 0;
    for piece in pieces {
        let len = match &piece {
            Piece::Text(t) | Piece::Code(t) => t.chars().count(),
        };
        if used + len <= LIMIT {
            used += len;
            out.push(piece);
            continue;
        }
        if let Piece::Text(t) = piece {
            let room: String = t.chars().take(LIMIT - used).collect();
            if let Some(end) = room.rfind(". ").filter(|e| used + e > LIMIT / 2) {
                out.push(Piece::Text(room[..=end].to_owned()));
                return out;
            }
            let cut = room.rfind(' ').map_or("", |end| &room[..end]);
            out.push(Piece::Text(format!("{cut}...")));
            return out;
        }
        out.push(Piece::Text(" ...".to_owned()));
        return out;
    }
    out
}

/// Escapes the characters Markdown would read as markup inside running text.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '`' | '[' | ']' | '<' | '>' | '*' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A line starting with `-`, `+`, `#`, `=`, `>` or `1.` would become a list, heading or
/// quote: escape its first character.
fn escape_line_start(line: &str) -> String {
    let starts_list = line
        .split_once(|c: char| !c.is_ascii_digit())
        .is_some_and(|(digits, _)| {
            !digits.is_empty()
                && (line[digits.len()..].starts_with(". ")
                    || line[digits.len()..].starts_with(") "))
        });
    if starts_list {
        let digits = line.chars().take_while(char::is_ascii_digit).count();
        return format!("{}\\{}", &line[..digits], &line[digits..]);
    }
    match line.chars().next() {
        Some('-' | '+' | '#' | '=' | '>' | '~' | '_') => format!("\\{line}"),
        _ => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_paragraph_with_code_and_escapes() {
        let html = "<p>Specifies a <code>Crawler</code> [for S3] &lt;now&gt;.</p> <p>Second.</p>";
        assert_eq!(
            doc_lines(html),
            vec!["Specifies a `Crawler` \\[for S3\\] \\<now\\>."]
        );
    }

    #[test]
    fn inline_tags_keep_spacing() {
        let html = "<p>See <a href=\"https://x\">the guide</a>, or <i>this</i>.</p>";
        assert_eq!(doc_lines(html), vec!["See the guide, or this."]);
    }

    #[test]
    fn long_text_is_cut_at_a_sentence() {
        let html = format!("<p>{} End. {}</p>", "word ".repeat(60), "more ".repeat(60));
        let lines = doc_lines(&html);
        assert!(
            lines.last().is_some_and(|l| l.ends_with("End.")),
            "{lines:?}"
        );
    }

    #[test]
    fn line_starts_are_escaped() {
        assert_eq!(escape_line_start("- x"), "\\- x");
        assert_eq!(escape_line_start("12. x"), "12\\. x");
        assert_eq!(escape_line_start("12 x"), "12 x");
    }
}
