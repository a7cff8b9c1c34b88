//! Which S3 prefixes `twh purge` (and `twh reset`) may empty: a pure
//! decision, no AWS call.
//!
//! Purge exists so that reset can rebuild the lake from nothing, and reset
//! rebuilds only what twh-extract lands. So a crawler's S3 target may be
//! emptied only when it lies under twh-extract's sink, which the environment
//! file declares once (`"extract": {"sink": "s3://..."}`). The boundary is
//! that prefix rather than a flag on each crawler so that the default is safe:
//! a crawler added later under the sink is covered without anyone
//! remembering a flag, and one added anywhere else (another vault export) is
//! kept without anyone remembering to leave a flag off.
//!
//! A run over every crawler keeps the targets outside the sink and lists
//! them; a crawler named on the command line whose target is outside is
//! refused, as is any target that reaches twh-extract's cursors. Refusals
//! happen here, before anything is listed or deleted.

use crate::addr::Address;
use crate::plan::resolve::Desired;

use super::OpsError;

/// Folder of twh-extract's cursors inside its sink (`twh_extract::sink::STATE_ROOT`).
pub const EXTRACT_STATE: &str = "_state/";

/// `s3://bucket/prefix/`, on folder boundaries: the prefix is empty (the
/// whole bucket) or ends with `/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct S3Prefix {
    pub bucket: String,
    pub prefix: String,
}

impl S3Prefix {
    /// `s3://bucket/a/b` → `bucket`, `a/b/`; `None` for anything else.
    pub fn parse(url: &str) -> Option<Self> {
        let rest = url.strip_prefix("s3://")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return None;
        }
        let mut prefix = prefix.to_string();
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        Some(Self {
            bucket: bucket.to_string(),
            prefix,
        })
    }

    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }

    /// Whether `other` is this prefix or inside it.
    pub fn contains(&self, other: &S3Prefix) -> bool {
        self.bucket == other.bucket && other.prefix.starts_with(&self.prefix)
    }

    /// Whether a table's `location` is in this prefix (a location is a
    /// folder, with or without its trailing `/`).
    pub fn holds(&self, location: &str) -> bool {
        S3Prefix::parse(location).is_some_and(|l| self.contains(&l))
    }
}

impl std::fmt::Display for S3Prefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url())
    }
}

/// One S3 target of one declared crawler.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Target {
    pub crawler: Address,
    pub path: S3Prefix,
}

impl Target {
    /// `glue_crawler.orders (s3://lake/raw/orders/)`, as messages name it.
    fn named(&self) -> String {
        format!("{} ({})", self.crawler, self.path)
    }
}

/// Where twh-extract lands this environment's data, as its environment file
/// declares it (resolved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractSink {
    pub path: S3Prefix,
    /// `resources/environments/<env>.json`, for messages.
    pub declared_in: String,
}

impl ExtractSink {
    /// The sink `url` declared by environment `env`'s file.
    pub fn declared(env: &str, url: &str) -> Result<Self, OpsError> {
        let declared_in = env_file(env);
        let path = S3Prefix::parse(url).ok_or_else(|| OpsError::Refused {
            message: format!(
                "`extract.sink` in {declared_in} is `{url}`, which is not an s3://bucket/prefix URL"
            ),
            hint: "write the `--sink` twh-extract writes to, e.g. \"s3://${var.lake_bucket}/lake\""
                .into(),
        })?;
        Ok(Self { path, declared_in })
    }

    /// twh-extract's cursors.
    pub fn state(&self) -> S3Prefix {
        S3Prefix {
            bucket: self.path.bucket.clone(),
            prefix: format!("{}{EXTRACT_STATE}", self.path.prefix),
        }
    }

    /// `s3://lake/lake/ (`extract.sink` in resources/environments/dev.json)`.
    fn named(&self) -> String {
        format!("{} (`extract.sink` in {})", self.path, self.declared_in)
    }
}

fn env_file(env: &str) -> String {
    format!("resources/environments/{env}.json")
}

/// Every S3 target of `crawlers`. A target that is not an S3 URL, or that
/// is a whole bucket, is refused: emptying a bucket is not something a purge
/// should do by accident.
pub fn crawler_targets(crawlers: &[&Desired]) -> Result<Vec<Target>, OpsError> {
    let mut out = Vec::new();
    for d in crawlers {
        let targets = d
            .spec
            .pointer("/Targets/S3Targets")
            .and_then(serde_json::Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for t in targets {
            let Some(url) = t.get("Path").and_then(serde_json::Value::as_str) else {
                continue;
            };
            let Some(path) = S3Prefix::parse(url) else {
                return Err(OpsError::Other(format!(
                    "`{}` has S3 target `{url}`, which is not an s3://bucket/prefix URL",
                    d.addr
                )));
            };
            if path.prefix.is_empty() {
                return Err(OpsError::Other(format!(
                    "`{}` crawls the whole bucket `{path}`; twh purge empties crawler prefixes and will not empty a bucket",
                    d.addr
                )));
            }
            out.push(Target {
                crawler: d.addr.clone(),
                path,
            });
        }
    }
    Ok(out)
}

/// A prefix purge empties and the crawlers whose targets it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub path: S3Prefix,
    pub crawlers: Vec<Address>,
}

/// What purge may empty, and what it keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Purgeable {
    /// Sorted; a target nested in another is folded into the outer one.
    pub prefixes: Vec<Group>,
    /// Targets outside twh-extract's sink: never emptied.
    pub kept: Vec<Target>,
}

impl Purgeable {
    /// Whether a table's `location` is in a prefix purge empties.
    pub fn holds(&self, location: &str) -> bool {
        self.prefixes.iter().any(|g| g.path.holds(location))
    }
}

/// Splits `targets` into what purge may empty and what it keeps.
/// `named`: the crawlers were named on the command line, so a target
/// outside the sink is refused rather than kept. `env` names the
/// environment file in messages.
pub fn decide(
    targets: Vec<Target>,
    sink: Option<&ExtractSink>,
    named: bool,
    env: &str,
) -> Result<Purgeable, OpsError> {
    let Some(sink) = sink else {
        return if targets.is_empty() {
            Ok(Purgeable::default())
        } else {
            Err(no_sink(&targets, env))
        };
    };
    let (inside, kept): (Vec<Target>, Vec<Target>) = targets
        .into_iter()
        .partition(|t| sink.path.contains(&t.path));
    if named && !kept.is_empty() {
        return Err(outside(&kept, sink));
    }
    let state = sink.state();
    if let Some(t) = inside
        .iter()
        .find(|t| t.path.contains(&state) || state.contains(&t.path))
    {
        return Err(OpsError::Refused {
            message: format!(
                "refused to purge {}: it reaches twh-extract's cursors under {state}, which purge keeps; nothing was deleted",
                t.named()
            ),
            hint: format!(
                "point the crawler at its tables' folders (such as {}<source>/<table>/), not at the sink or its {EXTRACT_STATE}",
                sink.path
            ),
        });
    }
    Ok(Purgeable {
        prefixes: fold(inside),
        kept,
    })
}

/// Prefixes sorted, each nested one folded into the outer one.
fn fold(mut targets: Vec<Target>) -> Vec<Group> {
    // Sorted, so an outer prefix comes before the prefixes nested in it.
    targets.sort_by(|a, b| (&a.path, &a.crawler).cmp(&(&b.path, &b.crawler)));
    let mut out: Vec<Group> = Vec::new();
    for t in targets {
        match out.iter_mut().find(|g| g.path.contains(&t.path)) {
            Some(outer) => {
                if !outer.crawlers.contains(&t.crawler) {
                    outer.crawlers.push(t.crawler);
                }
            }
            None => out.push(Group {
                path: t.path,
                crawlers: vec![t.crawler],
            }),
        }
    }
    out
}

/// Up to five targets by name, then how many more.
fn list(targets: &[Target]) -> String {
    const SHOWN: usize = 5;
    let mut s = targets
        .iter()
        .take(SHOWN)
        .map(Target::named)
        .collect::<Vec<_>>()
        .join(", ");
    if targets.len() > SHOWN {
        s.push_str(&format!(" and {} more", targets.len() - SHOWN));
    }
    s
}

fn no_sink(targets: &[Target], env: &str) -> OpsError {
    let file = env_file(env);
    OpsError::Refused {
        message: format!(
            "refused: {file} declares no twh-extract sink, so twh purge may empty none of its {} crawler target(s): {}; nothing was deleted",
            targets.len(),
            list(targets)
        ),
        hint: format!(
            "purge empties only what twh-extract lands, because only that can be landed again. Declare where it lands in {file}: \"extract\": {{\"sink\": \"s3://BUCKET/PREFIX\"}} (the `--sink` twh-extract writes to); the crawler targets under it are then purged and every other target is kept"
        ),
    }
}

fn outside(kept: &[Target], sink: &ExtractSink) -> OpsError {
    OpsError::Refused {
        message: format!(
            "refused to purge {}: not under twh-extract's sink {}, so twh-extract cannot land it again; nothing was deleted",
            list(kept),
            sink.named()
        ),
        hint: format!(
            "purge empties only what twh-extract lands. If twh-extract does write there, make `extract.sink` in {} the prefix it writes to (its `--sink`); otherwise leave that crawler off the command line",
            sink.declared_in
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::kind;
    use serde_json::json;

    fn crawler(name: &str, paths: &[&str]) -> Desired {
        let k = kind("glue_crawler").expect("kind");
        let targets: Vec<_> = paths.iter().map(|p| json!({"Path": p})).collect();
        let spec = json!({"Name": name, "Targets": {"S3Targets": targets}});
        Desired {
            addr: Address::new("glue_crawler", name),
            kind: k,
            attributes: k.attributes(&spec, "r", "1").expect("attrs"),
            spec,
            sensitive: vec![],
            lifecycle: Default::default(),
            depends_on: vec![],
        }
    }

    fn targets(crawlers: &[Desired]) -> Vec<Target> {
        crawler_targets(&crawlers.iter().collect::<Vec<_>>()).expect("targets")
    }

    fn sink(url: &str) -> ExtractSink {
        ExtractSink::declared("dev", url).expect("sink")
    }

    fn urls(p: &Purgeable) -> Vec<String> {
        p.prefixes.iter().map(|g| g.path.url()).collect()
    }

    /// The Ticket Warehouse's shape: lake crawlers under the sink, vault
    /// crawlers on another bucket.
    fn estate() -> Vec<Desired> {
        vec![
            crawler("orders", &["s3://lake/lake/ticketsauce/orders/"]),
            crawler("charges", &["s3://lake/lake/stripe/charges"]),
            crawler("vault_contacts", &["s3://vault/hotspot_contacts/"]),
            crawler("vault_info", &["s3://vault/util_schema_info/"]),
        ]
    }

    #[test]
    fn only_targets_under_the_sink_are_purged_and_the_others_kept() {
        let p = decide(
            targets(&estate()),
            Some(&sink("s3://lake/lake")),
            false,
            "dev",
        )
        .expect("decided");
        assert_eq!(
            urls(&p),
            [
                "s3://lake/lake/stripe/charges/",
                "s3://lake/lake/ticketsauce/orders/"
            ]
        );
        let kept: Vec<_> = p.kept.iter().map(Target::named).collect();
        assert_eq!(
            kept,
            [
                "glue_crawler.vault_contacts (s3://vault/hotspot_contacts/)",
                "glue_crawler.vault_info (s3://vault/util_schema_info/)"
            ]
        );
        assert!(p.holds("s3://lake/lake/stripe/charges/dt=1/"));
        assert!(!p.holds("s3://vault/hotspot_contacts/"));
    }

    #[test]
    fn the_sink_matches_on_folder_boundaries_and_buckets() {
        let cs = [
            crawler("a", &["s3://lake/lake_archive/orders/"]),
            crawler("b", &["s3://other/lake/orders/"]),
            crawler("c", &["s3://lake/lake/orders/"]),
        ];
        let p = decide(targets(&cs), Some(&sink("s3://lake/lake/")), false, "dev").expect("ok");
        assert_eq!(urls(&p), ["s3://lake/lake/orders/"]);
        assert_eq!(p.kept.len(), 2);
    }

    #[test]
    fn a_sink_at_the_bucket_root_covers_the_bucket() {
        let p = decide(targets(&estate()), Some(&sink("s3://vault")), false, "dev").expect("ok");
        assert_eq!(
            urls(&p),
            [
                "s3://vault/hotspot_contacts/",
                "s3://vault/util_schema_info/"
            ]
        );
    }

    #[test]
    fn a_named_crawler_outside_the_sink_is_refused_naming_it_and_how_to_allow_it() {
        let err = decide(
            targets(&estate()[1..3]),
            Some(&sink("s3://lake/lake")),
            true,
            "dev",
        )
        .expect_err("refused");
        let msg = err.to_string();
        assert!(
            msg.contains(
                "refused to purge glue_crawler.vault_contacts (s3://vault/hotspot_contacts/)"
            ),
            "{msg}"
        );
        assert!(
            msg.contains("s3://lake/lake/ (`extract.sink` in resources/environments/dev.json)"),
            "{msg}"
        );
        assert!(!msg.contains("charges"), "only the refused one: {msg}");
        let hint = err.hint().expect("hint");
        assert!(
            hint.contains("make `extract.sink` in resources/environments/dev.json"),
            "{hint}"
        );
    }

    #[test]
    fn named_crawlers_under_the_sink_are_purged() {
        let p = decide(
            targets(&estate()[..1]),
            Some(&sink("s3://lake/lake")),
            true,
            "dev",
        )
        .expect("ok");
        assert_eq!(urls(&p), ["s3://lake/lake/ticketsauce/orders/"]);
    }

    #[test]
    fn without_a_sink_nothing_may_be_purged() {
        let err = decide(targets(&estate()), None, false, "staging").expect_err("refused");
        let msg = err.to_string();
        assert!(
            msg.contains("resources/environments/staging.json declares no twh-extract sink"),
            "{msg}"
        );
        assert!(
            msg.contains("glue_crawler.orders (s3://lake/lake/ticketsauce/orders/)"),
            "{msg}"
        );
        assert!(
            err.hint()
                .expect("hint")
                .contains(r#""extract": {"sink": "s3://BUCKET/PREFIX"}"#),
            "{err:?}"
        );
        // No crawler, nothing to refuse.
        assert_eq!(
            decide(vec![], None, false, "dev").expect("ok"),
            Purgeable::default()
        );
    }

    #[test]
    fn long_lists_are_cut() {
        let cs: Vec<Desired> = (0..8)
            .map(|i| crawler(&format!("c{i}"), &[&format!("s3://vault/t{i}/")]))
            .collect();
        let err = decide(targets(&cs), None, false, "dev").expect_err("refused");
        assert!(
            err.to_string().contains("(s3://vault/t4/) and 3 more;"),
            "{err}"
        );
    }

    #[test]
    fn a_target_reaching_the_extract_cursors_is_refused() {
        for path in [
            "s3://lake/lake/",
            "s3://lake/lake/_state/",
            "s3://lake/lake/_state/x/",
        ] {
            let cs = [crawler("whole", &[path])];
            let err =
                decide(targets(&cs), Some(&sink("s3://lake/lake")), false, "dev").expect_err(path);
            assert!(
                err.to_string()
                    .contains("twh-extract's cursors under s3://lake/lake/_state/"),
                "{err}"
            );
        }
        // A sibling whose name starts the same is not the cursors.
        let cs = [crawler("s", &["s3://lake/lake/_state_of_things/"])];
        assert!(decide(targets(&cs), Some(&sink("s3://lake/lake")), false, "dev").is_ok());
    }

    #[test]
    fn prefixes_are_normalized_and_nested_ones_folded() {
        let cs = [
            crawler("a", &["s3://lake/raw/orders", "s3://lake/raw/orders/2024/"]),
            crawler("b", &["s3://lake/raw/events/"]),
            crawler("c", &["s3://lake/raw/orders/2023/"]),
        ];
        let p = decide(targets(&cs), Some(&sink("s3://lake/raw")), false, "dev").expect("ok");
        assert_eq!(urls(&p), ["s3://lake/raw/events/", "s3://lake/raw/orders/"]);
        let orders: Vec<String> = p.prefixes[1]
            .crawlers
            .iter()
            .map(Address::to_string)
            .collect();
        assert_eq!(orders, ["glue_crawler.a", "glue_crawler.c"]);
    }

    #[test]
    fn a_whole_bucket_target_or_a_bad_url_is_refused() {
        let err = crawler_targets(&[&crawler("a", &["s3://lake"])]).expect_err("refused");
        assert!(err.to_string().contains("whole bucket"), "{err}");
        let err = crawler_targets(&[&crawler("a", &["https://lake/x"])]).expect_err("refused");
        assert!(
            err.to_string().contains("not an s3://bucket/prefix URL"),
            "{err}"
        );
        let err = ExtractSink::declared("dev", "./lake").expect_err("refused");
        assert!(
            err.to_string()
                .contains("`extract.sink` in resources/environments/dev.json"),
            "{err}"
        );
    }

    #[test]
    fn locations_match_on_folder_boundaries_only() {
        let p = S3Prefix::parse("s3://lake/raw/orders/").expect("url");
        assert!(p.holds("s3://lake/raw/orders/"));
        assert!(p.holds("s3://lake/raw/orders"));
        assert!(p.holds("s3://lake/raw/orders/dt=1/"));
        assert!(!p.holds("s3://lake/raw/orders_archive/"));
        assert!(!p.holds("s3://other/raw/orders/"));
        assert!(!p.holds(""));
    }
}
