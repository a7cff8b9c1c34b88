//! Resource addresses: `TYPE.NAME`, the one canonical way a resource is named
//! in files, plans, state and on the command line.

use std::fmt;

#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Address {
    pub kind: String,
    pub name: String,
}

impl Address {
    pub fn new(kind: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.kind, self.name)
    }
}

impl std::str::FromStr for Address {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('.') {
            Some((k, n)) if !k.is_empty() && !n.is_empty() && valid_name(n) => Ok(Self::new(k, n)),
            _ => Err(format!(
                "`{s}` is not a resource address; expected TYPE.NAME, e.g. `glue_crawler.orders`"
            )),
        }
    }
}

impl TryFrom<String> for Address {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Address> for String {
    fn from(a: Address) -> String {
        a.to_string()
    }
}

/// Resource names in files: letters, digits, `_` and `-`, starting with a
/// letter or `_`, so `${ref:TYPE.NAME.ATTR}` stays unambiguous.
pub fn valid_name(name: &str) -> bool {
    // Keep in step with NAME_PATTERN (tested below).
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// [`valid_name`] as a regular expression, for the JSON Schema.
pub const NAME_PATTERN: &str = "^[A-Za-z_][A-Za-z0-9_-]*$";
/// A resource address, `TYPE.NAME`, as [`Address`]'s parser accepts it.
pub const ADDRESS_PATTERN: &str = "^[^.]+\\.[A-Za-z_][A-Za-z0-9_-]*$";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_patterns_accept_what_the_parser_accepts() {
        let name = regex::Regex::new(NAME_PATTERN).expect("a valid pattern");
        let addr = regex::Regex::new(ADDRESS_PATTERN).expect("a valid pattern");
        for s in [
            "a",
            "_x",
            "orders-v2",
            "A9_-",
            "",
            "9a",
            "-a",
            "a.b",
            "a b",
            "é",
            "a\n",
        ] {
            assert_eq!(name.is_match(s), valid_name(s), "name {s:?}");
            let a = format!("glue_crawler.{s}");
            assert_eq!(
                addr.is_match(&a),
                a.parse::<Address>().is_ok(),
                "address {a:?}"
            );
        }
        assert!(!addr.is_match(".x") && ".x".parse::<Address>().is_err());
    }

    #[test]
    fn parses_and_prints() {
        let a: Address = "glue_crawler.orders".parse().expect("valid");
        assert_eq!(a, Address::new("glue_crawler", "orders"));
        assert_eq!(a.to_string(), "glue_crawler.orders");
        assert!("glue_crawler".parse::<Address>().is_err());
        assert!("glue_crawler.1x".parse::<Address>().is_err());
        assert!("glue_crawler.a.b".parse::<Address>().is_err());
    }
}
