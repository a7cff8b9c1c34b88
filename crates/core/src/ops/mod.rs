//! The operator commands — `twh crawl`, `refresh`, `check`, `purge` — that
//! run the estate rather than reconcile it: start Glue crawlers and
//! QuickSight ingestions and wait for them, run `data_check` queries, empty
//! the lake. They act only on what the selected environment declares (its
//! resolved resources), call AWS only through [`provider::OpsProvider`]
//! (implemented by `twh-aws` and by the in-memory provider), and return
//! values the CLI renders; nothing here prints.

pub mod check;
pub mod conformance;
pub mod crawl;
pub mod provider;
pub mod purge;
pub mod purgeable;
pub mod refresh;

use std::collections::BTreeMap;
use std::time::Duration;

use crate::addr::Address;
use crate::diag::did_you_mean;
use crate::plan::resolve::Desired;
use crate::provider::ProviderError;

/// Version of the `--output json` documents of the operator commands.
pub const FORMAT_VERSION: u32 = 1;

/// What went wrong in an operator command (as opposed to a crawler, an
/// ingestion or a check that ran and failed, which are outcomes).
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("environment `{env}` declares no {kind} `{name}`")]
    Unknown {
        kind: &'static str,
        name: String,
        env: String,
        /// The closest declared name, if any is close.
        suggestion: Option<String>,
        /// Every declared name, for the hint when none is close.
        known: Vec<String>,
    },
    #[error("{what} {names} not exist in AWS")]
    Missing { what: String, names: String },
    #[error("{what} still running after {secs}s: {names}")]
    TimedOut {
        what: &'static str,
        secs: u64,
        names: String,
    },
    /// A request that would destroy what it must not, refused before
    /// anything changed.
    #[error("{message}")]
    Refused { message: String, hint: String },
    #[error("{what} `{name}` was deleted while twh waited for it")]
    Vanished { what: &'static str, name: String },
    #[error("Glue did not drop {count} table(s): {details}")]
    NotDropped { count: usize, details: String },
    #[error("S3 did not delete {count} object(s) under {url}, e.g. `{key}`: {message}")]
    NotDeleted {
        count: usize,
        url: String,
        key: String,
        message: String,
    },
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error("{0}")]
    Other(String),
}

impl OpsError {
    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            OpsError::Unknown {
                suggestion: Some(s),
                ..
            } => Some(format!("did you mean `{s}`?")),
            OpsError::Unknown { known, kind, .. } if known.is_empty() => Some(format!(
                "this environment declares no {kind}; see resources/"
            )),
            OpsError::Unknown { known, .. } => Some(format!("declared: {}", known.join(", "))),
            OpsError::Missing { .. } => Some("run `twh sync` to create them first".into()),
            OpsError::Refused { hint, .. } => Some(hint.clone()),
            OpsError::TimedOut { .. } => Some(
                "they keep running in AWS; raise --timeout or look again later with the AWS console"
                    .into(),
            ),
            _ => None,
        }
    }
}

/// The declared resources of `kind`, all of them when `names` is empty, else
/// the named ones in the order given. A name may be the resource's address
/// (`glue_crawler.orders`), its name in the files (`orders`) or its AWS
/// identity (`ticket_warehouse_orders-dev`).
pub fn select<'a>(
    desired: &'a BTreeMap<Address, Desired>,
    kind: &'static str,
    names: &[String],
    env: &str,
) -> Result<Vec<&'a Desired>, OpsError> {
    let of_kind: Vec<&Desired> = desired.values().filter(|d| d.kind.name == kind).collect();
    if names.is_empty() {
        return Ok(of_kind);
    }
    let mut out: Vec<&Desired> = Vec::new();
    for name in names {
        let found = of_kind.iter().find(|d| {
            d.addr.to_string() == *name || d.addr.name == *name || d.attributes.id == *name
        });
        match found {
            Some(d) => {
                if !out.iter().any(|o| o.addr == d.addr) {
                    out.push(d);
                }
            }
            None => {
                let short = name.strip_prefix(&format!("{kind}.")).unwrap_or(name);
                let candidates = of_kind
                    .iter()
                    .flat_map(|d| [d.addr.name.as_str(), d.attributes.id.as_str()]);
                let suggestion = did_you_mean(short, candidates).map(str::to_string);
                return Err(OpsError::Unknown {
                    kind,
                    name: name.clone(),
                    env: env.to_string(),
                    suggestion,
                    known: of_kind.iter().map(|d| d.attributes.id.clone()).collect(),
                });
            }
        }
    }
    Ok(out)
}

/// Progress of a long wait, rendered by the CLI (a bar on a terminal, plain
/// lines otherwise). `status` is called only when something's status changes.
pub trait Progress: Send + Sync {
    /// `total` things are being worked on; `title` says what ("Waiting for 2 crawlers").
    fn begin(&self, title: &str, total: usize);
    fn status(&self, id: &str, status: &str);
    /// One is done; `line` says how it ended (empty: nothing to add).
    fn finished(&self, id: &str, ok: bool, line: &str);
    fn end(&self);
}

/// No progress output (`-q`, JSON).
pub struct Silent;

impl Progress for Silent {
    fn begin(&self, _: &str, _: usize) {}
    fn status(&self, _: &str, _: &str) {}
    fn finished(&self, _: &str, _: bool, _: &str) {}
    fn end(&self) {}
}

/// How often to look again at something that runs for seconds to hours: a
/// quick first look (emulators and small crawls finish fast), then less
/// often, up to `max`, until `timeout`.
#[derive(Debug, Clone, Copy)]
pub struct Waiting {
    pub first: Duration,
    pub max: Duration,
    pub timeout: Duration,
}

impl Waiting {
    pub fn new(timeout: Duration) -> Self {
        Self {
            first: Duration::from_millis(250),
            max: Duration::from_secs(10),
            timeout,
        }
    }

    /// A poller that starts now.
    pub fn start(&self) -> Poller {
        Poller {
            next: self.first,
            max: self.max,
            deadline: tokio::time::Instant::now() + self.timeout,
        }
    }
}

pub struct Poller {
    next: Duration,
    max: Duration,
    deadline: tokio::time::Instant,
}

impl Poller {
    /// Sleeps until the next look; `false` once the timeout has passed.
    pub async fn tick(&mut self) -> bool {
        let now = tokio::time::Instant::now();
        if now >= self.deadline {
            return false;
        }
        tokio::time::sleep(self.next.min(self.deadline - now)).await;
        self.next = (self.next * 2).min(self.max);
        true
    }
}

/// `Waiting for 1 crawler`, `Waiting for 2 crawlers`.
pub fn counted(verb: &str, n: usize, noun: &str) -> String {
    format!("{verb} {n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// A string member of a resolved spec.
pub fn spec_str<'a>(d: &'a Desired, pointer: &str) -> Option<&'a str> {
    d.spec.pointer(pointer).and_then(serde_json::Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::kind;
    use serde_json::json;

    fn estate() -> BTreeMap<Address, Desired> {
        let k = kind("glue_crawler").expect("kind");
        ["orders", "events"]
            .into_iter()
            .map(|n| {
                let spec = json!({"Name": format!("tw_{n}-dev")});
                let addr = Address::new("glue_crawler", n);
                let d = Desired {
                    addr: addr.clone(),
                    kind: k,
                    attributes: k.attributes(&spec, "r", "1").expect("attrs"),
                    spec,
                    sensitive: vec![],
                    lifecycle: Default::default(),
                    depends_on: vec![],
                };
                (addr, d)
            })
            .collect()
    }

    #[test]
    fn names_match_addresses_resource_names_and_aws_names() {
        let e = estate();
        let names = |v: &[&str]| {
            select(
                &e,
                "glue_crawler",
                &v.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                "dev",
            )
            .expect("selects")
            .iter()
            .map(|d| d.addr.name.clone())
            .collect::<Vec<_>>()
        };
        assert_eq!(names(&[]), ["events", "orders"]);
        assert_eq!(
            names(&["tw_orders-dev", "glue_crawler.events", "orders"]),
            ["orders", "events"]
        );
    }

    #[test]
    fn unknown_names_suggest_the_closest() {
        let e = estate();
        let err =
            select(&e, "glue_crawler", &["tw_ordres-dev".into()], "dev").expect_err("unknown");
        assert_eq!(
            err.to_string(),
            "environment `dev` declares no glue_crawler `tw_ordres-dev`"
        );
        assert_eq!(err.hint().as_deref(), Some("did you mean `tw_orders-dev`?"));
        let err = select(&e, "glue_crawler", &["zzz".into()], "dev").expect_err("unknown");
        assert_eq!(
            err.hint().as_deref(),
            Some("declared: tw_events-dev, tw_orders-dev")
        );
    }

    #[tokio::test]
    async fn polling_backs_off_and_stops_at_the_timeout() {
        let w = Waiting {
            first: Duration::from_millis(10),
            max: Duration::from_millis(40),
            timeout: Duration::from_millis(150),
        };
        let mut p = w.start();
        let t0 = std::time::Instant::now();
        let mut ticks = 0;
        while p.tick().await {
            ticks += 1;
        }
        // 10 + 20 + 40 + 40 + 40 = 150: the last sleep is cut at the deadline.
        assert_eq!(ticks, 5);
        assert!(t0.elapsed() >= Duration::from_millis(150));
    }
}
