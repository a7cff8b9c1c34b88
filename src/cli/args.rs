//! The command line, as clap definitions. Doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::addr::Address;

/// twh keeps an AWS analytics estate (Glue, Athena, QuickSight, IAM) equal to
/// the JSON files in `resources/`.
///
/// `twh diff` shows what differs from live AWS (exit 0: nothing, 2: changes,
/// 1: error); `twh sync` applies it; a second sync finds nothing to do.
#[derive(Debug, Parser)]
#[command(name = "twh", version, propagate_version = true, max_term_width = 100)]
#[command(
    after_help = "Examples:\n  twh validate\n  twh diff --env staging\n  twh sync --env production --auto-approve\n  twh diff --output json > plan.json\n\nDocs: README.md; resource format: `twh schema KIND`."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Environment: picks resources/environments/<ENV>.json and state/<ENV>.json.
    #[arg(
        long,
        short = 'e',
        global = true,
        env = "TWH_ENV",
        default_value = "dev"
    )]
    pub env: String,
    /// Repository directory holding `resources/` and `state/`.
    #[arg(long, global = true, default_value = ".")]
    pub dir: PathBuf,
    /// AWS region (overrides the environment file).
    #[arg(long, global = true, env = "AWS_REGION")]
    pub region: Option<String>,
    /// AWS profile from ~/.aws/config.
    #[arg(long, global = true, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// Output format of the command's result on stdout.
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// More detail on stderr (API call counts, timings); repeat for debug logs.
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(long, short = 'q', global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Never draw progress bars.
    #[arg(long, global = true)]
    pub no_progress: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check every resource file without calling AWS.
    ///
    /// Reports every problem at once, each with file:line:col: JSON syntax,
    /// unknown types and fields, missing or invalid values, undefined
    /// variables, bad references and cycles. Exit 1 if any.
    #[command(after_help = "Example:\n  twh validate --env staging")]
    Validate,
    /// Show how live AWS differs from the files (exit 0: none, 2: changes, 1: error).
    ///
    /// Drift (live changed outside twh) is labelled apart from pending
    /// changes (files changed since the last sync). With --out, also saves
    /// the plan for `twh sync PLAN`, which applies exactly it: the file holds
    /// the environment, account, state serial, a hash of every resource
    /// file and per planned resource its action, desired value and a
    /// fingerprint of the live value it was planned against. It holds no
    /// secret: `${env_var:...}` values are salted fingerprints.
    #[command(
        visible_alias = "plan",
        after_help = "Examples:\n  twh diff --env production\n  twh diff --output json | jq .summary\n  twh diff --output markdown > plan.md   # for a pull-request comment\n  twh diff --out plan.json                # then: twh sync plan.json"
    )]
    Diff(DiffArgs),
    /// Make live AWS equal to the files, or apply a saved plan exactly.
    ///
    /// Applies in dependency order, independent resources in parallel; state
    /// is written after every change. Asks for confirmation on a terminal;
    /// elsewhere needs --auto-approve.
    ///
    /// With PLAN (written by `twh diff --out PLAN`), applies that plan and
    /// nothing else, without asking (it was reviewed when it was made).
    /// Under the state lock and before any change it checks that the plan
    /// is still true: same environment, account, region and plan format;
    /// no resource file edited, added or removed; the state serial
    /// unchanged; each planned resource's live value (re-read, only those)
    /// and resolved desired value, secrets included, as planned. Otherwise
    /// it changes nothing, releases the lock, names what changed and exits
    /// 1: make a new plan.
    #[command(
        visible_alias = "apply",
        after_help = "Examples:\n  twh sync\n  twh sync --env production --auto-approve\n  twh sync --target glue_crawler.orders\n  twh diff --env production --out plan.json && twh sync --env production plan.json"
    )]
    Sync(SyncArgs),
    /// Keep changes made in AWS (console, CLI, SDK): write the live values into the resource files.
    ///
    /// For each named resource (or every drifted one with --all-drift),
    /// the fields `twh diff` shows as drifted are written into the file that
    /// declares the resource, in place: the rest of the file, its layout,
    /// indentation and key order stay as they are, and `${var...}`,
    /// `${ref:...}` and `${cfn:...}` placeholders stay wherever their values
    /// still match. State records the accepted values (as `terraform apply
    /// -refresh-only` would), so the next `twh diff` is clean; AWS is not
    /// changed. Review the result with `git diff` and commit it.
    ///
    /// Never written: secrets (`${env_var:...}` values and write-only
    /// fields such as a data source's Credentials: a changed one is named
    /// and stays drift), fields in `lifecycle.ignore_changes` and fields
    /// twh leaves to AWS (crawler statistics...), and what AWS fills or
    /// rewrites by itself (a server default, a reformatted SQL, a role read
    /// back with its path): the plan already expects those and they are
    /// not drift. A field the file does not declare is added when it
    /// drifted (someone set it), so the file alone describes the resource.
    ///
    /// Before writing anything, accept plans again with the new files and
    /// state and checks that the accepted resources come out clean; if not,
    /// nothing is written. A resource deleted outside twh cannot be
    /// accepted (remove it from the files and `twh state rm` it instead).
    /// Prints each field written as FILE:LINE. Exit 0: written (or nothing
    /// to accept); 1: an error, nothing written.
    #[command(
        after_help = "Examples:\n  twh diff                                  # exit 2: glue_crawler.orders drifted\n  twh accept glue_crawler.orders            # writes the live Schedule into its file\n  git diff && twh diff                      # review; exit 0\n  twh accept --all-drift --dry-run         # every drifted resource, as a diff, nothing written\n  twh accept --all-drift --env production"
    )]
    Accept(AcceptArgs),
    /// Bring live resources made by hand under twh: writes resource files and records them in state.
    ///
    /// Works for every kind twh manages (glue_database, glue_table,
    /// glue_crawler, glue_job, athena_workgroup, athena_view,
    /// quicksight_data_source, quicksight_data_set, iam_role). Each resource
    /// is written to resources/<type>/<name>.json with its live spec: account
    /// fields left out (twh fills them), values equal to an environment
    /// variable written as `${var.NAME}`, fields other actors own (crawler
    /// statistics, console-made dataset settings) left out. The files
    /// validate, and a `twh diff` right after is clean. Already managed or
    /// declared resources are skipped, as are CloudFormation-owned ones.
    ///
    /// An Athena view does not record the workgroup it was made in, and twh
    /// needs one to run its DDL: it gets `--workgroup`, else the one
    /// athena_workgroup the files declare (as `${ref:...}`), else `primary`.
    #[command(
        after_help = "Examples:\n  twh import quicksight_data_set sales-dashboard-data\n  twh import --all quicksight_data_set --env production\n  twh import glue_table ticket_warehouse_dev.orders\n  twh import --all athena_view --workgroup analysts"
    )]
    Import {
        /// The resource type, e.g. `glue_crawler`.
        kind: String,
        /// AWS identities to import (for tables and views `DATABASE.TABLE`).
        #[arg(required_unless_present = "all")]
        ids: Vec<String>,
        /// Import every live resource of the type not yet managed or declared.
        #[arg(long, conflicts_with = "ids")]
        all: bool,
        /// athena_view only: the workgroup twh runs the view's DDL in.
        #[arg(long, value_name = "NAME")]
        workgroup: Option<String>,
    },
    /// Start the estate's Glue crawlers; with --wait, wait and show what each did.
    ///
    /// Starts every declared `glue_crawler` of the environment, or the named
    /// ones. A crawler that is already running is waited for, not restarted.
    /// With --wait, prints per crawler its status, the tables it created,
    /// updated and deleted, and how long it took. Exit 0: started (or all
    /// succeeded with --wait); 1: a crawler failed (its error is shown), an
    /// unknown name, or any other error.
    #[command(
        after_help = "Examples:\n  twh crawl --wait\n  twh crawl orders events --env staging --wait\n  twh crawl glue_crawler.orders ticket_warehouse_events-dev\n  twh crawl --wait --output json | jq '.crawlers[].tables_created'"
    )]
    Crawl(CrawlArgs),
    /// Refresh the SPICE datasets (QuickSight ingestions); with --wait, wait for them.
    ///
    /// Starts a full-refresh ingestion of every declared SPICE
    /// `quicksight_data_set`, or the named ones; direct-query datasets are
    /// skipped with a note. With --wait, prints each ingestion's status and
    /// rows ingested. Exit 0: started (or all completed with --wait); 1: an
    /// ingestion failed or was cancelled, an unknown name, or any other error.
    #[command(
        after_help = "Examples:\n  twh refresh --wait\n  twh refresh ticket-warehouse-orders-dev --wait\n  twh refresh quicksight_data_set.orders"
    )]
    Refresh(RefreshArgs),
    /// Run the `data_check` queries through Athena and report violations.
    ///
    /// Each check's Query runs in its WorkGroup and Database; a check fails
    /// when it returns more rows than its MaxRows (default 0). Failing checks
    /// show their first rows. Exit 0: every check passed; 1: a check failed,
    /// a query failed, or any other error.
    #[command(
        after_help = "Examples:\n  twh check\n  twh check no_orphan_orders --rows 20\n  twh check --output json | jq '.checks[] | select(.status != \"passed\")'"
    )]
    Check(CheckArgs),
    /// Empty the lake (the crawlers' S3 prefixes under twh-extract's sink) and drop the tables the crawlers made.
    ///
    /// Only what twh-extract lands is purged, because only that can be
    /// landed again: the crawler targets under the environment file's
    /// `"extract": {"sink": "s3://..."}`. Every other target (the vault's
    /// exports, anything another system writes) is kept and listed; a
    /// crawler named on the command line whose target is outside the sink
    /// is refused, and so is every purge when no sink is declared, before
    /// anything is deleted. Lists what it will delete first: every object
    /// under those targets, and every table of a declared database whose
    /// location is under them, except tables and views declared in the
    /// files. Nothing else is touched (other prefixes, twh-extract's
    /// `<sink>/_state/`, other databases, declared tables, views). Asks on a
    /// terminal; elsewhere needs --auto-approve. Exit 0: purged (or nothing
    /// to purge); 1: cancelled, refused or an error.
    #[command(
        after_help = "Examples:\n  twh purge --env dev\n  twh purge --env dev --auto-approve\n  twh purge ticket_warehouse_orders-dev --auto-approve\n  twh purge --output json --auto-approve\n\nThe sink, in resources/environments/<env>.json:\n  \"extract\": {\"sink\": \"s3://${var.lake_bucket}/lake\"}"
    )]
    Purge(PurgeArgs),
    /// Wipe and rebuild the data: purge, extract, crawl --wait, refresh --wait, check.
    ///
    /// The purge is `twh purge`'s, over every crawler: only the targets under
    /// twh-extract's sink (`extract.sink` in the environment file) are
    /// emptied, since the extract step lands only those again. The extract
    /// step runs `twh-extract run` with the arguments after `--`, into the
    /// declared sink (`--sink` is added when neither the arguments nor
    /// TWH_EXTRACT_SINK name one; another sink is refused before anything is
    /// deleted); with no sink and no arguments it is skipped with a note.
    /// twh-extract resumes from its cursors under `<sink>/_state/`, which
    /// purge leaves alone. Stops at the first step that fails. Exit 0: every
    /// step succeeded; 1: refused or a step failed.
    #[command(
        after_help = "Examples:\n  twh reset --env dev --auto-approve\n  twh reset --env dev -- --source stripe --since 2024-01-01\n  twh reset --env dev --no-extract --auto-approve"
    )]
    Reset(ResetArgs),
    /// Inspect or edit state.
    #[command(
        subcommand,
        after_help = "Examples:\n  twh state list\n  twh state show glue_crawler.orders\n  twh state rm glue_crawler.orders\n  twh state mv glue_crawler.orders glue_crawler.ticket_orders\n  twh state pull > backup.json\n  twh state push backup.json"
    )]
    State(StateCommand),
    /// Remove a lock left by a run that died (see the lock ID in the error).
    ///
    /// Only the lock with that ID is removed. Make sure its holder is really
    /// gone: a run that loses its lock while it still writes is stopped by
    /// the state's serial (and, on S3, by conditional writes), but what it
    /// changed in AWS before stopping is then missing from state.
    #[command(
        after_help = "Examples:\n  twh force-unlock 5f0c5e0e-3b7e-4c1f-9d55-7e2f4c6a0a11\n  twh force-unlock --env production 5f0c5e0e-3b7e-4c1f-9d55-7e2f4c6a0a11"
    )]
    ForceUnlock {
        /// The lock ID printed by the failed run.
        id: String,
    },
    /// Print a JSON Schema: of a resource file, of one kind's `spec`, or of
    /// an environment file.
    ///
    /// The schemas are written from the same AWS model facts `twh validate`
    /// checks, so an editor flags what validate would refuse (unknown and
    /// misspelled fields, missing required ones, enum values, limits).
    /// Account fields may be omitted and any value may be a `${...}`
    /// placeholder, as in the files. Every `$ref` points inside the document.
    #[command(
        after_help = "Examples:\n  twh schema > .twh/resource.schema.json\n  twh schema --environment > .twh/environment.schema.json\n  twh schema glue_crawler\n\nIn VS Code, settings.json:\n  \"json.schemas\": [\n    {\"fileMatch\": [\"resources/**/*.json\", \"!resources/environments/*.json\"], \"url\": \"./.twh/resource.schema.json\"},\n    {\"fileMatch\": [\"resources/environments/*.json\"], \"url\": \"./.twh/environment.schema.json\"}\n  ]"
    )]
    Schema {
        /// A resource type such as `glue_crawler`: the schema of its `spec`.
        /// Without it, the schema of a whole resource file.
        #[arg(conflicts_with = "environment")]
        kind: Option<String>,
        /// The schema of an environment file
        /// (`resources/environments/<env>.json`).
        #[arg(long)]
        environment: bool,
    },
    /// Print shell completions.
    #[command(after_help = "Example:\n  twh completions bash > /etc/bash_completion.d/twh")]
    Completions { shell: clap_complete::Shell },
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Limit the plan to these resources and what they depend on.
    #[arg(long = "target", value_name = "ADDR")]
    pub targets: Vec<Address>,
    /// With --output markdown: cut the plan to at most N characters, between
    /// resource sections, with a note listing what was left out and where
    /// the whole plan is. The default is what a GitHub pull-request comment
    /// holds; 0 never cuts.
    #[arg(long, value_name = "N", default_value_t = crate::plan::render::COMMENT_LIMIT)]
    pub markdown_limit: usize,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Also save the plan to FILE (JSON, written atomically) for `twh sync FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// A plan saved by `twh diff --out`: apply exactly it, or refuse if anything it was made from changed.
    #[arg(value_name = "PLAN", conflicts_with = "targets")]
    pub plan_file: Option<PathBuf>,
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Apply without asking.
    #[arg(long, short = 'y')]
    pub auto_approve: bool,
    /// Allow replacements: a changed AWS identity (Name, DataSetId,
    /// RoleName...) of any kind, and any replace of a database, table or
    /// dataset (it breaks what is built on them).
    #[arg(long)]
    pub allow_replace: bool,
    /// How many resources to change at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,
    /// Wait this long for another run's lock before failing (e.g. `30s`).
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub lock_timeout: std::time::Duration,
}

#[derive(Debug, Args)]
pub struct AcceptArgs {
    /// Resources whose drift to keep (`glue_crawler.orders`).
    #[arg(
        value_name = "ADDR",
        required_unless_present = "all_drift",
        conflicts_with = "all_drift"
    )]
    pub addresses: Vec<Address>,
    /// Every declared resource that drifted.
    #[arg(long)]
    pub all_drift: bool,
    /// Print the changes to the files as a diff; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Wait this long for another run's lock before failing (e.g. `30s`).
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub lock_timeout: std::time::Duration,
}

/// How long the operator commands wait (`--timeout`).
const WAIT_HELP: &str =
    "Give up waiting after this long (e.g. 30m, 2h); what runs keeps running in AWS";

#[derive(Debug, Args)]
pub struct CrawlArgs {
    /// Crawlers to start: names in AWS, resource names or addresses (`glue_crawler.orders`); all when omitted.
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Wait for the crawlers to finish and print what they did.
    #[arg(long)]
    pub wait: bool,
    #[arg(long, default_value = "2h", value_parser = parse_duration, help = WAIT_HELP)]
    pub timeout: std::time::Duration,
}

#[derive(Debug, Args)]
pub struct RefreshArgs {
    /// Datasets to refresh: DataSetIds, resource names or addresses; all SPICE datasets when omitted.
    #[arg(value_name = "DATASET")]
    pub names: Vec<String>,
    /// Wait for the ingestions to finish and print their row counts.
    #[arg(long)]
    pub wait: bool,
    #[arg(long, default_value = "2h", value_parser = parse_duration, help = WAIT_HELP)]
    pub timeout: std::time::Duration,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Checks to run: names or addresses (`data_check.no_orphans`); all when omitted.
    #[arg(value_name = "CHECK")]
    pub names: Vec<String>,
    /// Violating rows shown per failing check.
    #[arg(long, default_value_t = 10)]
    pub rows: usize,
    /// Give up on a query after this long (it is stopped).
    #[arg(long, default_value = "30m", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
}

#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// Only these crawlers' targets (AWS name, name in the files or
    /// address); all when none is given. A named crawler whose target is
    /// outside twh-extract's sink is refused.
    #[arg(value_name = "CRAWLER")]
    pub names: Vec<String>,
    /// Delete without asking.
    #[arg(long, short = 'y')]
    pub auto_approve: bool,
}

#[derive(Debug, Args)]
pub struct ResetArgs {
    /// Run without asking before the purge.
    #[arg(long, short = 'y')]
    pub auto_approve: bool,
    /// Skip the extract step.
    #[arg(long, conflicts_with = "extract_args")]
    pub no_extract: bool,
    #[arg(long, default_value = "2h", value_parser = parse_duration, help = WAIT_HELP)]
    pub timeout: std::time::Duration,
    /// Arguments for `twh-extract run`, after `--`.
    #[arg(last = true, value_name = "EXTRACT_ARGS")]
    pub extract_args: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List managed resources.
    List,
    /// Show one resource's state.
    Show { address: Address },
    /// Stop managing a resource without deleting it from AWS.
    Rm { address: Address },
    /// Rename a resource's address in state (`twh state mv OLD NEW`), under the lock.
    ///
    /// Only the record moves, whole (what was applied and what AWS answered
    /// after, so the next plan stays three-way); nothing in AWS changes.
    /// Records that depend on OLD are pointed at NEW. Refused when OLD is not
    /// in state, when NEW already is, and when NEW has another type (a
    /// different type is a different AWS resource). Rename the resource in
    /// the files too (its `name`). In a repository, prefer
    /// `"moved_from": "OLD"` on the resource: every environment's state
    /// follows it at its next sync, and the rename is reviewed with the
    /// change. Renaming a resource in the files alone is also never a
    /// replacement: the plan finds its record by its AWS identity.
    #[command(
        after_help = "Examples:\n  twh state mv glue_crawler.orders glue_crawler.ticket_orders\n  twh state mv --env production iam_role.crawler iam_role.glue_crawler"
    )]
    Mv {
        /// The address state knows the resource under now.
        #[arg(value_name = "OLD")]
        from: Address,
        /// Its new address: same type, not yet in state.
        #[arg(value_name = "NEW")]
        to: Address,
        /// Wait this long for another run's lock before failing (e.g. `30s`).
        #[arg(long, default_value = "0s", value_parser = parse_duration)]
        lock_timeout: std::time::Duration,
    },
    /// Print the stored state (JSON) to stdout, from whichever backend.
    #[command(
        after_help = "Examples:\n  twh state pull > backup.json\n  twh state pull --env production | jq .serial"
    )]
    Pull,
    /// Replace the stored state with FILE (for recovery), under the lock.
    ///
    /// Refused unless FILE has the stored state's lineage (it comes from the
    /// same estate) and a higher serial (it is newer); `--force` skips both
    /// checks. Edit a pulled state's resources, raise its `serial`, push it.
    #[command(
        after_help = "Examples:\n  twh state pull > s.json   # edit, then raise \"serial\"\n  twh state push s.json\n  twh state push --force backup.json   # roll back to a backup\n  twh state push - < s.json"
    )]
    Push(PushArgs),
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// The state file to upload; `-` reads stdin.
    pub file: PathBuf,
    /// Push even if lineage differs or serial is not newer.
    #[arg(long)]
    pub force: bool,
    /// Wait this long for another run's lock before failing (e.g. `30s`).
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub lock_timeout: std::time::Duration,
}

/// `30s`, `2m`, `1h`, `500ms`, or plain seconds.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit())
        .map_or((s, "s"), |i| s.split_at(i));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration like 30s, 2m, 1h or 500ms"))?;
    match unit {
        "ms" => Ok(std::time::Duration::from_millis(n)),
        "s" => Ok(std::time::Duration::from_secs(n)),
        "m" => Ok(std::time::Duration::from_secs(n * 60)),
        "h" => Ok(std::time::Duration::from_secs(n * 3600)),
        _ => Err(format!("`{s}` is not a duration like 30s, 2m, 1h or 500ms")),
    }
}
