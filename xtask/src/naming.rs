//! Rust names for AWS model names, following the rules smithy-rs uses for the SDK crates,
//! so that a generated field or type name is also the SDK's name for the same thing.

/// Words Rust reserves; a member whose snake-case name is one of them becomes a raw
/// identifier (`Type` → `r#type`), exactly as the SDK's fields and setters do.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers; the generator refuses them rather than guess
/// the SDK's workaround.
const UNRAWABLE: &[&str] = &["crate", "self", "Self", "super"];

/// `S3Targets` → `s3_targets`, `MongoDBTargets` → `mongo_db_targets`: split before an
/// upper-case letter that follows a lower-case letter or digit, and between an acronym
/// and the next word (the rule in `notes/SDK_SERDE.md`, checked against the SDK crates).
pub fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if i > 0 && c.is_ascii_uppercase() {
            let prev = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_is_lower)
            {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// The Rust field (and SDK setter) name of a structure member.
pub fn field(member: &str) -> Result<String, String> {
    let s = snake(member);
    if UNRAWABLE.contains(&s.as_str()) {
        return Err(format!(
            "member `{member}` maps to `{s}`, which cannot be a Rust field"
        ));
    }
    Ok(if KEYWORDS.contains(&s.as_str()) {
        format!("r#{s}")
    } else {
        s
    })
}

/// The Rust type name of a shape: upper camel case of its snake-case form, which is how
/// the SDK names types (`JDBCConnectorOptions` → `JdbcConnectorOptions`).
pub fn type_name(shape: &str) -> String {
    snake(shape)
        .split('_')
        .map(|word| {
            let mut cs = word.chars();
            cs.next()
                .map(|first| first.to_ascii_uppercase().to_string() + cs.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_follows_the_sdk() {
        assert_eq!(snake("S3Targets"), "s3_targets");
        assert_eq!(snake("MongoDBTargets"), "mongo_db_targets");
        assert_eq!(snake("DataSetId"), "data_set_id");
        assert_eq!(snake("SaaSTable"), "saa_s_table");
        assert_eq!(snake("tagListType"), "tag_list_type");
        assert_eq!(field("Type").as_deref(), Ok("r#type"));
    }

    #[test]
    fn type_names_follow_the_sdk() {
        assert_eq!(type_name("JDBCConnectorOptions"), "JdbcConnectorOptions");
        assert_eq!(
            type_name("DDBELTCatalogAdditionalOptions"),
            "DdbeltCatalogAdditionalOptions"
        );
        assert_eq!(type_name("SaaSTable"), "SaaSTable");
        assert_eq!(type_name("S3Target"), "S3Target");
    }
}
