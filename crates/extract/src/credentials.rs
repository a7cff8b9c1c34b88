//! API credentials: from the environment, else from a `KEY=VALUE` file or
//! an AWS Secrets Manager secret (`secretsmanager://ARN-or-name`, whose
//! value is a JSON object or `KEY=VALUE` lines with the same names).
//! Values live in [`Secret`], whose `Debug` and `Display` print a
//! placeholder, so no log line, error or summary can carry one by accident.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use super::Error;
use super::env;

/// A credential. Shown as `****`; [`Secret::expose`] is the only way in.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The value, for an HTTP header or a token request body.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

/// Ticketsauce OAuth client credentials.
#[derive(Clone, Debug)]
pub struct TicketsauceCredentials {
    pub client_id: Secret,
    pub client_secret: Secret,
}

/// What was found; each source checks for its own when it starts.
#[derive(Clone, Debug, Default)]
pub struct Credentials {
    values: BTreeMap<&'static str, Secret>,
}

const NAMES: [&str; 3] = [
    env::TICKETSAUCE_CLIENT_ID,
    env::TICKETSAUCE_CLIENT_SECRET,
    env::STRIPE_API_KEY,
];

impl Credentials {
    /// Reads the environment, then fills what is missing from `file`.
    pub fn load(file: Option<&Path>) -> Result<Self, Error> {
        let mut values = BTreeMap::new();
        for name in NAMES {
            if let Ok(v) = std::env::var(name)
                && !v.trim().is_empty()
            {
                values.insert(name, Secret::new(v.trim()));
            }
        }
        if let Some(path) = file {
            let text = fs_err::read_to_string(path).map_err(|source| Error::CredentialsFile {
                path: path.to_path_buf(),
                source,
            })?;
            let mut creds = Credentials { values };
            creds.fill(parse_file(&text));
            return Ok(creds);
        }
        Ok(Credentials { values })
    }

    /// Reads the environment, then fills what is missing from `spec`: a
    /// file path, or `secretsmanager://` and a secret's ARN or name.
    pub async fn resolve(spec: Option<&str>) -> Result<Self, Error> {
        let Some(id) = spec.and_then(|s| s.strip_prefix(SECRETS_MANAGER)) else {
            return Self::load(spec.map(Path::new));
        };
        if id.is_empty() {
            return Err(Error::Settings(format!(
                "`{SECRETS_MANAGER}` needs a secret's ARN or name after it"
            )));
        }
        let mut creds = Self::load(None)?;
        let text = secrets_manager_value(id).await?;
        creds.fill(parse_secret(&text));
        Ok(creds)
    }

    fn fill(&mut self, pairs: Vec<(String, Secret)>) {
        for (k, v) in pairs {
            if let Some(name) = NAMES.iter().find(|n| **n == k) {
                self.values.entry(*name).or_insert(v);
            }
        }
    }

    /// Credentials given directly (tests, the benchmark).
    pub fn from_pairs(pairs: &[(&'static str, &str)]) -> Self {
        Credentials {
            values: pairs.iter().map(|(k, v)| (*k, Secret::new(*v))).collect(),
        }
    }

    fn get(&self, name: &'static str) -> Result<Secret, Error> {
        self.values
            .get(name)
            .cloned()
            .ok_or(Error::MissingCredential { name })
    }

    pub fn ticketsauce(&self) -> Result<TicketsauceCredentials, Error> {
        Ok(TicketsauceCredentials {
            client_id: self.get(env::TICKETSAUCE_CLIENT_ID)?,
            client_secret: self.get(env::TICKETSAUCE_CLIENT_SECRET)?,
        })
    }

    pub fn stripe(&self) -> Result<Secret, Error> {
        self.get(env::STRIPE_API_KEY)
    }
}

/// The scheme of a `--credentials` that names a Secrets Manager secret.
pub const SECRETS_MANAGER: &str = "secretsmanager://";

/// The secret's `SecretString` (GetSecretValue, AWSCURRENT), through the
/// SDK's standard configuration, as the S3 sink is. On Lambda that is the
/// function's role.
async fn secrets_manager_value(id: &str) -> Result<String, Error> {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let client = aws_sdk_secretsmanager::Client::new(&config);
    let secret_err = |source: Box<dyn std::error::Error + Send + Sync>| Error::Secret {
        id: id.to_owned(),
        source,
    };
    let out = client
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .map_err(|e| secret_err(Box::new(e.into_service_error())))?;
    out.secret_string
        .ok_or_else(|| secret_err("the secret has no SecretString (a binary secret?)".into()))
}

/// A secret's value: a JSON object of names to strings (what the Secrets
/// Manager console writes for key/value pairs), else `KEY=VALUE` lines.
fn parse_secret(text: &str) -> Vec<(String, Secret)> {
    match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text) {
        Ok(map) => map
            .into_iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k, Secret::new(v.trim()))))
            .collect(),
        Err(_) => parse_file(text),
    }
}

/// `KEY=VALUE` lines; `#` comments, blank lines, `export ` prefixes and
/// surrounding quotes are allowed, as in a `.env` file.
fn parse_file(text: &str) -> Vec<(String, Secret)> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                return None;
            }
            let line = line.strip_prefix("export ").unwrap_or(line);
            let (k, v) = line.split_once('=')?;
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
                .unwrap_or(v);
            Some((k.trim().to_owned(), Secret::new(v)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints_its_value() {
        let s = Secret::new("sk_live_abc");
        assert_eq!(format!("{s}"), "****");
        assert_eq!(format!("{s:?}"), "Secret(****)");
        assert_eq!(s.expose(), "sk_live_abc");
    }

    #[test]
    fn a_secret_is_a_json_object_or_dotenv_lines() {
        let json: BTreeMap<_, _> = parse_secret(r#"{"STRIPE_API_KEY": "sk_1", "n": 3}"#)
            .into_iter()
            .collect();
        assert_eq!(json["STRIPE_API_KEY"].expose(), "sk_1");
        assert_eq!(json.len(), 1, "non-string values are not credentials");
        let lines: BTreeMap<_, _> = parse_secret("STRIPE_API_KEY=sk_2\n").into_iter().collect();
        assert_eq!(lines["STRIPE_API_KEY"].expose(), "sk_2");
    }

    #[test]
    fn file_lines_are_parsed_like_dotenv() {
        let parsed = parse_file("# c\nexport STRIPE_API_KEY=\"sk_test_1\"\n\nX = 'y'\nnoeq\n");
        let m: BTreeMap<_, _> = parsed.into_iter().collect();
        assert_eq!(m["STRIPE_API_KEY"].expose(), "sk_test_1");
        assert_eq!(m["X"].expose(), "y");
        assert_eq!(m.len(), 2);
    }
}
