//! Which live resources CloudFormation stacks own, learned from
//! CloudFormation itself (ListStackResources) rather than from a tag.
//!
//! CloudFormation tags only what has tags to put on: `AWS::Glue::Database`
//! has no `Tags` property at all, and neither do Glue tables, so the
//! `aws:cloudformation:stack-name` tag cannot tell that a CDK stack made a
//! database. The stacks themselves can. twh reads the stacks the files name
//! in `${cfn:STACK.OUTPUT}`, those the environment file lists under
//! `cloudformation.stacks`, the nested stacks of both, and with
//! `cloudformation.all_stacks` every stack of the account (ListStacks). The
//! calls are counted and bounded (`cloudformation.max_calls`): a plan that
//! would need more stops, since a stack left unread could own what twh is
//! about to change.
//!
//! A stack's resources are matched to twh identities by type and physical
//! id. For the types below the physical id is what `Ref` returns (the
//! CloudFormation resource reference, "Return values" of each type): the
//! name, for `AWS::Glue::Database`, `AWS::Glue::Table` ("Ref returns the
//! table name"), `AWS::Glue::Crawler`, `AWS::Glue::Job`,
//! `AWS::Athena::WorkGroup` and `AWS::IAM::Role`. QuickSight's types
//! document no `Ref`; their physical id is the resource's primary
//! identifier, and a compound one (`AwsAccountId`, `DataSourceId`) is
//! written joined by `|` (Cloud Control API user guide, "Identifying
//! resources"), so the id is taken after the last `|` (or `/`, for an ARN).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::config::Config;
use crate::config::interpolate::{Placeholder, placeholders};
use crate::diag::{Diagnostic, Diagnostics};
use crate::kinds::KindDef;
use crate::provider::retry::RetryPolicy;
use crate::provider::{ProviderError, Providers, StackResource};

/// Calls allowed when the environment file does not say.
pub const DEFAULT_MAX_CALLS: usize = 100;

/// What the stacks own, and what it cost to learn.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Ownership {
    /// The stacks read, by name, sorted.
    pub stacks: Vec<String>,
    /// CloudFormation calls made to learn it (ListStacks and
    /// ListStackResources pages).
    pub calls: usize,
    pub max_calls: usize,
    pub all_stacks: bool,
    /// (kind, id) → owning stack.
    #[serde(skip)]
    owned: BTreeMap<(&'static str, String), String>,
    /// `AWS::Glue::Table`s: (table name, owning stack). Their physical id
    /// is the table name alone, without the database.
    #[serde(skip)]
    tables: Vec<(String, String)>,
}

impl Ownership {
    /// The stack that owns the resource of `kind` with twh identity `id`.
    ///
    /// A table (or view: Athena keeps views as Glue tables) is known by its
    /// name only, so it is matched by name; where its stack also owns Glue
    /// databases, only in those databases.
    pub fn owner(&self, kind: &KindDef, id: &str) -> Option<&str> {
        if let Some(stack) = self.owned.get(&(kind.name, id.to_string())) {
            return Some(stack);
        }
        if !matches!(kind.name, "glue_table" | "athena_view") {
            return None;
        }
        let (db, name) = id.rsplit_once('.')?;
        let (db, name) = (db.to_lowercase(), name.to_lowercase());
        self.tables
            .iter()
            .find(|(t, stack)| {
                *t == name && {
                    let dbs: Vec<&String> = self
                        .owned
                        .iter()
                        .filter(|((k, _), s)| *k == "glue_database" && *s == stack)
                        .map(|((_, d), _)| d)
                        .collect();
                    dbs.is_empty() || dbs.contains(&&db)
                }
            })
            .map(|(_, stack)| stack.as_str())
    }

    /// Records one resource of `stack`.
    fn record(&mut self, stack: &str, r: &StackResource) {
        let id = r.physical_id.as_str();
        let last = |s: &str| s.rsplit(['|', '/']).next().unwrap_or(s).to_string();
        let (kind, id) = match r.resource_type.as_str() {
            // Glue folds database and table names to lowercase when it
            // stores them; twh's identities are folded the same way.
            "AWS::Glue::Database" => ("glue_database", id.to_lowercase()),
            "AWS::Glue::Table" => {
                self.tables.push((id.to_lowercase(), stack.to_string()));
                return;
            }
            "AWS::Glue::Crawler" => ("glue_crawler", id.to_string()),
            "AWS::Glue::Job" => ("glue_job", id.to_string()),
            "AWS::Athena::WorkGroup" => ("athena_workgroup", id.to_string()),
            "AWS::IAM::Role" => ("iam_role", id.to_string()),
            "AWS::QuickSight::DataSource" => ("quicksight_data_source", last(id)),
            "AWS::QuickSight::DataSet" => ("quicksight_data_set", last(id)),
            _ => return,
        };
        self.owned.insert((kind, id), stack.to_string());
    }
}

/// The stacks the files and the environment name, in a stable order.
fn named_stacks(cfg: &Config) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let env = cfg.env.as_ref();
    let sink = env
        .and_then(|e| e.extract.as_ref())
        .map(|x| serde_json::Value::String(x.sink.clone()));
    for v in cfg.resources.iter().map(|r| &r.spec).chain(sink.as_ref()) {
        let mut found = Vec::new();
        placeholders(v, "", &mut found);
        for (_, p) in found {
            if let Placeholder::Cfn { stack, .. } = p {
                out.insert(stack);
            }
        }
    }
    if let Some(c) = env.and_then(|e| e.cloudformation.as_ref()) {
        out.extend(c.stacks.iter().map(|s| s.trim().to_string()));
    }
    out
}

/// A stack's name from its name or its id
/// (`arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/UUID`).
fn stack_name(s: &str) -> &str {
    match s.split_once(":stack/") {
        Some((_, rest)) => rest.split('/').next().unwrap_or(rest),
        None => s,
    }
}

fn one(d: Diagnostic) -> Diagnostics {
    let mut ds = Diagnostics::default();
    ds.push(d);
    ds
}

/// Reads the stacks and what they own. No call at all when the files name
/// no stack and the environment asks for none.
pub async fn learn(cfg: &Config, providers: &Providers) -> Result<Ownership, Diagnostics> {
    let setting = cfg.env.as_ref().and_then(|e| e.cloudformation.clone());
    let setting = setting.unwrap_or_default();
    let env_file = format!("resources/environments/{}.json", cfg.env_name);
    let mut o = Ownership {
        max_calls: setting.max_calls.unwrap_or(DEFAULT_MAX_CALLS),
        all_stacks: setting.all_stacks,
        ..Ownership::default()
    };
    let listed_in_env: BTreeSet<&str> = setting.stacks.iter().map(|s| s.trim()).collect();
    let mut queue: VecDeque<String> = named_stacks(cfg).into_iter().collect();
    let over_budget = |max: usize, read: usize, left: usize| {
        one(
            Diagnostic::error(format!(
                "learning which resources CloudFormation stacks own needs more than {max} calls ({read} stacks read, {left} or more left); nothing was changed"
            ))
            .hint(format!(
                "raise `cloudformation.max_calls` in `{env_file}`, or list the stacks that matter in `cloudformation.stacks` instead of `all_stacks`"
            )),
        )
    };
    let policy = RetryPolicy::default();
    let failed = |what: String, e: ProviderError| {
        one(
            Diagnostic::error(format!("{what}: {e}; nothing was changed"))
                .hint("twh reads stacks to refuse what CloudFormation owns; the caller needs `cloudformation:ListStacks` and `cloudformation:ListStackResources`"),
        )
    };
    if setting.all_stacks {
        let mut token = None;
        loop {
            if o.calls >= o.max_calls {
                return Err(over_budget(o.max_calls, 0, queue.len().max(1)));
            }
            o.calls += 1;
            let page = policy
                .run(|| providers.outputs.list_stacks(token.clone()))
                .await
                .map_err(|e| failed("listing CloudFormation stacks".into(), e))?;
            queue.extend(page.items);
            token = page.next;
            if token.is_none() {
                break;
            }
        }
    }
    let mut seen = BTreeSet::new();
    while let Some(stack) = queue.pop_front() {
        let name = stack_name(&stack).to_string();
        if !seen.insert(name.clone()) {
            continue;
        }
        let mut token = None;
        loop {
            if o.calls >= o.max_calls {
                return Err(over_budget(o.max_calls, seen.len() - 1, queue.len() + 1));
            }
            o.calls += 1;
            let page = match policy
                .run(|| providers.outputs.stack_resources(&stack, token.clone()))
                .await
            {
                Ok(p) => p,
                Err(ProviderError::NotFound { .. }) => {
                    let named_by = if listed_in_env.contains(stack.as_str()) {
                        format!("`cloudformation.stacks` of `{env_file}`")
                    } else {
                        "the files".to_string()
                    };
                    return Err(one(
                        Diagnostic::error(format!(
                            "CloudFormation stack `{stack}` (named in {named_by}) does not exist; nothing was changed"
                        ))
                        .hint("check the name with `aws cloudformation list-stacks`, and the region and account twh runs in"),
                    ));
                }
                Err(e) => {
                    return Err(failed(format!("reading CloudFormation stack `{stack}`"), e));
                }
            };
            for r in &page.items {
                if r.resource_type == "AWS::CloudFormation::Stack" {
                    // A nested stack (CDK's NestedStack): what it owns is
                    // the parent's too.
                    queue.push_back(r.physical_id.clone());
                } else {
                    o.record(&name, r);
                }
            }
            token = page.next;
            if token.is_none() {
                break;
            }
        }
    }
    o.stacks = seen.into_iter().collect();
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds;

    fn res(t: &str, id: &str) -> StackResource {
        StackResource {
            resource_type: t.into(),
            physical_id: id.into(),
        }
    }

    fn kind(name: &str) -> &'static KindDef {
        kinds::kind(name).expect("kind")
    }

    #[test]
    fn physical_ids_map_to_twh_identities() {
        let mut o = Ownership::default();
        o.record("s", &res("AWS::Glue::Database", "Analytics"));
        o.record("s", &res("AWS::Glue::Crawler", "dbCrawler"));
        o.record("s", &res("AWS::IAM::Role", "crawler-role"));
        o.record("s", &res("AWS::QuickSight::DataSet", "123456789012|orders"));
        o.record("s", &res("AWS::S3::Bucket", "lake"));
        assert_eq!(o.owner(kind("glue_database"), "analytics"), Some("s"));
        assert_eq!(o.owner(kind("glue_crawler"), "dbCrawler"), Some("s"));
        assert_eq!(o.owner(kind("iam_role"), "crawler-role"), Some("s"));
        assert_eq!(o.owner(kind("quicksight_data_set"), "orders"), Some("s"));
        assert_eq!(o.owner(kind("glue_job"), "dbCrawler"), None);
    }

    #[test]
    fn a_table_is_matched_by_name_within_its_stacks_databases() {
        let mut o = Ownership::default();
        o.record("a", &res("AWS::Glue::Database", "lake"));
        o.record("a", &res("AWS::Glue::Table", "orders"));
        o.record("b", &res("AWS::Glue::Table", "events"));
        assert_eq!(o.owner(kind("glue_table"), "lake.orders"), Some("a"));
        assert_eq!(o.owner(kind("glue_table"), "other.orders"), None);
        // Stack `b` owns no database: its table is matched by name alone.
        assert_eq!(o.owner(kind("athena_view"), "any.events"), Some("b"));
    }

    #[test]
    fn stack_ids_name_their_stack() {
        assert_eq!(
            stack_name("arn:aws:cloudformation:us-east-1:123456789012:stack/child/0a1b"),
            "child"
        );
        assert_eq!(stack_name("platform"), "platform");
    }
}
