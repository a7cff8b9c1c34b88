//! The operator commands on the command line: `crawl`, `refresh`, `check`,
//! `purge`, `reset`. Loads and resolves the environment's estate the way
//! `diff` does (interpolation, `${cfn:...}`), hands it to [`crate::ops`],
//! renders the outcomes (text or `--output json`) and picks the exit code.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::io::{IsTerminal as _, Write as _};

use serde_json::{Value, json};

use super::args::{CheckArgs, CrawlArgs, Global, Output, PurgeArgs, RefreshArgs, ResetArgs};
use super::{ERROR, OK, fail, load, report, reporters, setup};
use crate::addr::Address;
use crate::ops::check::{CheckOptions, CheckOutcome, CheckStatus};
use crate::ops::provider::OpsProvider;
use crate::ops::purge::PurgePlan;
use crate::ops::purgeable::{self, ExtractSink};
use crate::ops::{self, FORMAT_VERSION, OpsError, Waiting};
use crate::plan::resolve::{Desired, resolve};

/// The resolved estate and the calls to act on it.
struct Ops {
    env: String,
    aws: std::sync::Arc<dyn OpsProvider>,
    desired: BTreeMap<Address, Desired>,
    cfg: crate::config::Config,
    ctx: setup::Context,
}

/// Loads, validates and resolves the estate; `Err(exit code)` after
/// reporting why not.
async fn prepare(g: &Global) -> Result<Ops, u8> {
    let Some(cfg) = load(g, true) else {
        return Err(ERROR);
    };
    let ctx = setup::Context::new(g, &cfg)
        .await
        .map_err(|e| fail(e, None))?;
    let desired = resolve(&cfg, &ctx.providers).await.map_err(|d| {
        report(&d, &cfg.sources);
        ERROR
    })?;
    Ok(Ops {
        env: g.env.clone(),
        aws: ctx.ops.clone(),
        desired,
        cfg,
        ctx,
    })
}

/// twh-extract's sink as the environment file declares it (`extract.sink`),
/// resolved; only purge and reset read it, so a mistake in it stops nothing else.
async fn declared_sink(o: &Ops) -> Result<Option<ExtractSink>, u8> {
    let url = crate::plan::resolve::extract_sink(&o.cfg, &o.ctx.providers)
        .await
        .map_err(|d| {
            report(&d, &o.cfg.sources);
            ERROR
        })?;
    url.map(|u| ExtractSink::declared(&o.env, &u))
        .transpose()
        .map_err(|e| ops_error(&e))
}

/// With `-v`, how many AWS calls the command made (the same figure `diff` reports).
fn report_calls(g: &Global, o: &Ops) {
    if g.verbose > 0 {
        let c = o.ctx.providers.calls.counts();
        eprintln!(
            "API calls: {} ({} reads, {} mutating)",
            c.total, c.reads, c.mutations
        );
    }
}

/// Ends a command: its JSON document (with `--output json`), the call
/// count (with `-v`), its exit code.
fn finish(g: &Global, o: &Ops, (code, v): (u8, Value)) -> u8 {
    if g.output == Output::Json {
        print_json(&v);
    }
    report_calls(g, o);
    code
}

fn ops_error(e: &OpsError) -> u8 {
    fail(e.to_string(), e.hint())
}

/// The declared resources of `kind` named on the command line (all when
/// none is): the error is reported, and returned for the JSON document.
fn select<'a>(
    o: &'a Ops,
    kind: &'static str,
    names: &[String],
) -> Result<Vec<&'a Desired>, (u8, Value)> {
    ops::select(&o.desired, kind, names, &o.env)
        .map_err(|e| (ops_error(&e), json!({"error": e.to_string()})))
}

/// Left-aligned columns, two spaces apart.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths.get(i).copied().unwrap_or(0)))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = line(header.iter().map(|h| (*h).to_string()).collect());
    for r in rows {
        out.push('\n');
        out.push_str(&line(r.clone()));
    }
    out
}

fn or_dash<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".into(), |v| v.to_string())
}

fn print_json(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

// ---- crawl -----------------------------------------------------------------

pub async fn crawl(g: &Global, a: &CrawlArgs) -> u8 {
    let o = match prepare(g).await {
        Ok(o) => o,
        Err(code) => return code,
    };
    let result = crawl_step(g, &o, &a.names, a.wait.then(|| Waiting::new(a.timeout))).await;
    finish(g, &o, result)
}

async fn crawl_step(g: &Global, o: &Ops, names: &[String], wait: Option<Waiting>) -> (u8, Value) {
    let crawlers = match select(o, "glue_crawler", names) {
        Ok(c) => c,
        Err(failed) => return failed,
    };
    if crawlers.is_empty() {
        if !g.quiet {
            eprintln!(
                "Environment `{}` declares no glue_crawler; nothing to crawl.",
                o.env
            );
        }
        return (
            OK,
            json!({"format_version": FORMAT_VERSION, "env": o.env, "crawlers": []}),
        );
    }
    let progress = reporters::for_ops(g);
    let outcomes = match ops::crawl::crawl(o.aws.as_ref(), &crawlers, wait, progress.as_ref()).await
    {
        Ok(v) => v,
        Err(e) => return (ops_error(&e), json!({"error": e.to_string()})),
    };
    if g.output != Output::Json {
        let rows: Vec<Vec<String>> = outcomes
            .iter()
            .map(|c| {
                vec![
                    c.name.clone(),
                    c.status.clone(),
                    or_dash(c.tables_created),
                    or_dash(c.tables_updated),
                    or_dash(c.tables_deleted),
                    or_dash(c.seconds.map(|s| format!("{s:.1}s"))),
                ]
            })
            .collect();
        println!(
            "{}",
            table(
                &["CRAWLER", "STATUS", "CREATED", "UPDATED", "DELETED", "TIME"],
                &rows
            )
        );
    }
    let failed: Vec<_> = outcomes.iter().filter(|c| !c.ok()).collect();
    for c in &failed {
        eprintln!(
            "error: crawler `{}` ({}) {}: {}",
            c.name,
            c.address,
            c.status.to_lowercase(),
            c.error.as_deref().unwrap_or("no error message")
        );
    }
    if wait.is_none() && !g.quiet {
        let already = outcomes.iter().filter(|c| !c.started).count();
        eprintln!(
            "Started {} crawler(s){}; `twh crawl --wait` waits for them.",
            outcomes.len() - already,
            if already > 0 {
                format!(", {already} already running")
            } else {
                String::new()
            }
        );
    }
    let v = json!({"format_version": FORMAT_VERSION, "env": o.env, "crawlers": outcomes});
    (if failed.is_empty() { OK } else { ERROR }, v)
}

// ---- refresh ---------------------------------------------------------------

pub async fn refresh(g: &Global, a: &RefreshArgs) -> u8 {
    let o = match prepare(g).await {
        Ok(o) => o,
        Err(code) => return code,
    };
    let result = refresh_step(g, &o, &a.names, a.wait.then(|| Waiting::new(a.timeout))).await;
    finish(g, &o, result)
}

async fn refresh_step(g: &Global, o: &Ops, names: &[String], wait: Option<Waiting>) -> (u8, Value) {
    let sets = match select(o, "quicksight_data_set", names) {
        Ok(c) => c,
        Err(failed) => return failed,
    };
    let progress = reporters::for_ops(g);
    let outcomes = match ops::refresh::refresh(o.aws.as_ref(), &sets, wait, progress.as_ref()).await
    {
        Ok(v) => v,
        Err(e) => return (ops_error(&e), json!({"error": e.to_string()})),
    };
    if outcomes.is_empty() && !g.quiet {
        eprintln!(
            "Environment `{}` declares no quicksight_data_set; nothing to refresh.",
            o.env
        );
    }
    if g.output != Output::Json && !outcomes.is_empty() {
        let rows: Vec<Vec<String>> = outcomes
            .iter()
            .map(|r| {
                vec![
                    r.data_set_id.clone(),
                    r.status.clone(),
                    or_dash(r.rows_ingested),
                    or_dash(r.rows_dropped),
                    or_dash(r.seconds.map(|s| format!("{s}s"))),
                ]
            })
            .collect();
        println!(
            "{}",
            table(&["DATASET", "STATUS", "ROWS", "DROPPED", "TIME"], &rows)
        );
    }
    for r in &outcomes {
        if let Some(why) = &r.skipped
            && !g.quiet
        {
            eprintln!("note: skipped `{}`: {why}", r.data_set_id);
        }
    }
    let failed: Vec<_> = outcomes.iter().filter(|r| !r.ok()).collect();
    for r in &failed {
        eprintln!(
            "error: ingestion `{}` of dataset `{}` {}: {}",
            r.ingestion_id.as_deref().unwrap_or_default(),
            r.data_set_id,
            r.status.to_lowercase(),
            r.error.as_deref().unwrap_or("no error message")
        );
    }
    let v = json!({"format_version": FORMAT_VERSION, "env": o.env, "data_sets": outcomes});
    (if failed.is_empty() { OK } else { ERROR }, v)
}

// ---- check -----------------------------------------------------------------

pub async fn check(g: &Global, a: &CheckArgs) -> u8 {
    let o = match prepare(g).await {
        Ok(o) => o,
        Err(code) => return code,
    };
    let result = check_step(g, &o, &a.names, a.rows, a.timeout).await;
    finish(g, &o, result)
}

async fn check_step(
    g: &Global,
    o: &Ops,
    names: &[String],
    sample: usize,
    timeout: std::time::Duration,
) -> (u8, Value) {
    let checks = match select(o, "data_check", names) {
        Ok(c) => c,
        Err(failed) => return failed,
    };
    let progress = reporters::for_ops(g);
    let outcomes = ops::check::check(
        o.aws.as_ref(),
        &checks,
        CheckOptions { sample, timeout },
        progress.as_ref(),
    )
    .await;
    let count = |s: CheckStatus| outcomes.iter().filter(|c| c.status == s).count();
    let (passed, failed, errors) = (
        count(CheckStatus::Passed),
        count(CheckStatus::Failed),
        count(CheckStatus::Error),
    );
    if g.output != Output::Json {
        for c in &outcomes {
            println!("{}", render_check(c));
        }
        if !g.quiet {
            eprintln!(
                "Checks: {passed} passed, {failed} failed, {errors} error{}.",
                if errors == 1 { "" } else { "s" }
            );
        }
    }
    let v = json!({"format_version": FORMAT_VERSION, "env": o.env, "checks": outcomes,
                   "summary": {"passed": passed, "failed": failed, "errors": errors}});
    (if failed + errors == 0 { OK } else { ERROR }, v)
}

/// A check's result line, and for a failing one its description and first rows.
fn render_check(c: &CheckOutcome) -> String {
    let mark = if c.status == CheckStatus::Passed {
        "✓"
    } else {
        "✗"
    };
    let mut out = format!("{mark} {}", ops::check::summary(c));
    if c.status != CheckStatus::Failed {
        return out;
    }
    if let Some(d) = &c.description {
        out.push_str(&format!("\n    {d}"));
    }
    let rows: Vec<Vec<String>> = c
        .rows
        .sample
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| v.clone().unwrap_or_else(|| "NULL".into()))
                .collect()
        })
        .collect();
    let header: Vec<&str> = c.rows.columns.iter().map(String::as_str).collect();
    for line in table(&header, &rows).lines() {
        out.push_str(&format!("\n    {line}"));
    }
    let more = c.rows.count.saturating_sub(c.rows.sample.len() as u64);
    if more > 0 {
        out.push_str(&format!(
            "\n    ... and {more} more row{}",
            if more == 1 { "" } else { "s" }
        ));
    }
    out
}

// ---- purge -----------------------------------------------------------------

pub async fn purge(g: &Global, a: &PurgeArgs) -> u8 {
    let o = match prepare(g).await {
        Ok(o) => o,
        Err(code) => return code,
    };
    let plan = match declared_sink(&o).await {
        Ok(sink) => match purge_plan(&o, &a.names, sink.as_ref()).await {
            Ok(p) => p,
            Err(code) => return code,
        },
        Err(code) => return code,
    };
    if g.output != Output::Json {
        println!("{}", render_purge(&o.env, &plan));
    }
    if plan.is_empty() {
        let v = json!({"format_version": FORMAT_VERSION, "env": o.env, "plan": plan,
                       "result": ops::purge::PurgeResult::default()});
        return finish(g, &o, (OK, v));
    }
    if let Err(code) = confirm(
        a.auto_approve,
        &format!("Delete all of this from `{}`?", o.env),
    ) {
        return code;
    }
    let result = purge_step(g, &o, &plan).await;
    finish(g, &o, result)
}

/// What purging the targets of the crawlers `names` (all when empty) would
/// delete. Refused, with nothing read or deleted, when a target may not be
/// purged ([`purgeable::decide`]).
async fn purge_plan(
    o: &Ops,
    names: &[String],
    sink: Option<&ExtractSink>,
) -> Result<PurgePlan, u8> {
    let crawlers =
        ops::select(&o.desired, "glue_crawler", names, &o.env).map_err(|e| ops_error(&e))?;
    let purgeable = purgeable::crawler_targets(&crawlers)
        .and_then(|t| purgeable::decide(t, sink, !names.is_empty(), &o.env))
        .map_err(|e| ops_error(&e))?;
    ops::purge::plan(o.aws.as_ref(), &o.desired, &purgeable, sink)
        .await
        .map_err(|e| ops_error(&e))
}

async fn purge_step(g: &Global, o: &Ops, plan: &PurgePlan) -> (u8, Value) {
    let progress = reporters::for_ops(g);
    match ops::purge::execute(o.aws.as_ref(), plan, progress.as_ref()).await {
        Ok(r) => {
            if !g.quiet {
                eprintln!(
                    "Purged `{}`: {} table(s) dropped, {} object(s) deleted.",
                    o.env, r.tables_dropped, r.objects_deleted
                );
            }
            (
                OK,
                json!({"format_version": FORMAT_VERSION, "env": o.env, "plan": plan, "result": r}),
            )
        }
        Err(e) => (ops_error(&e), json!({"error": e.to_string()})),
    }
}

fn size(bytes: i64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let b = bytes as f64;
    match bytes {
        ..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} kB", b / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", b / 1e6),
        _ => format!("{:.1} GB", b / 1e9),
    }
}

fn render_purge(env: &str, plan: &PurgePlan) -> String {
    let mut out = render_kept_targets(plan);
    if plan.is_empty() {
        out.push_str(&format!(
            "Nothing to purge in `{env}`: the crawlers' prefixes under twh-extract's sink are empty and no crawled table is left."
        ));
        return out;
    }
    out.push_str(&format!("Purge of `{env}` will delete:"));
    for p in &plan.prefixes {
        out.push_str(&format!(
            "\n  - {} object(s), {}, under {} (crawled by {})",
            p.objects,
            size(p.bytes),
            p.url(),
            p.crawlers.join(", ")
        ));
    }
    for t in &plan.tables {
        out.push_str(&format!(
            "\n  - table {}.{} ({})",
            t.database, t.name, t.location
        ));
    }
    for t in &plan.kept {
        out.push_str(&format!(
            "\nKept: table {}.{} ({})",
            t.database,
            t.name,
            t.kept_because.as_deref().unwrap_or_default()
        ));
    }
    out
}

/// The crawler targets purge keeps because twh-extract does not land them,
/// first, so that what will be deleted is what the question follows.
fn render_kept_targets(plan: &PurgePlan) -> String {
    if plan.kept_targets.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "Kept: {} crawler target(s) outside twh-extract's sink {}, which twh-extract cannot land again:",
        plan.kept_targets.len(),
        plan.extract_sink.as_deref().unwrap_or_default()
    );
    for t in &plan.kept_targets {
        out.push_str(&format!("\n  - {} ({})", t.path, t.crawler));
    }
    out.push('\n');
    out
}

/// Asks on a terminal; elsewhere `--auto-approve` is required.
fn confirm(auto_approve: bool, question: &str) -> Result<(), u8> {
    if auto_approve {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(fail(
            "this deletes data and needs confirmation, and stdin is not a terminal",
            Some("review the list above, then rerun with --auto-approve".into()),
        ));
    }
    eprint!("{question} Only `yes` is accepted: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().read_line(&mut answer).is_err() || answer.trim() != "yes" {
        eprintln!("Cancelled; nothing was deleted.");
        return Err(ERROR);
    }
    Ok(())
}

// ---- reset -----------------------------------------------------------------

pub async fn reset(g: &Global, a: &ResetArgs) -> u8 {
    let o = match prepare(g).await {
        Ok(o) => o,
        Err(code) => return code,
    };
    let sink = match declared_sink(&o).await {
        Ok(s) => s,
        Err(code) => return code,
    };
    let plan = match purge_plan(&o, &[], sink.as_ref()).await {
        Ok(p) => p,
        Err(code) => return code,
    };
    let extract = match extract_command(a, sink.as_ref()) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if g.output != Output::Json {
        println!("{}", render_purge(&o.env, &plan));
    }
    if !g.quiet {
        match &extract {
            Some((bin, args)) => eprintln!(
                "Then: {} run {}, crawl --wait, refresh --wait, check.",
                bin.display(),
                args.join(" ")
            ),
            None => eprintln!(
                "Then: crawl --wait, refresh --wait, check (no extract: {}).",
                extract_skip_reason(a)
            ),
        }
    }
    if !plan.is_empty()
        && let Err(code) = confirm(a.auto_approve, &format!("Purge and rebuild `{}`?", o.env))
    {
        return code;
    }
    let wait = Some(Waiting::new(a.timeout));
    let mut steps: Vec<Value> = Vec::new();
    let mut code = OK;
    for step in ["purge", "extract", "crawl", "refresh", "check"] {
        if !g.quiet {
            eprintln!("==> {step}");
        }
        let (c, v) = match step {
            "purge" if plan.is_empty() => (OK, json!({"skipped": "nothing to purge"})),
            "purge" => purge_step(g, &o, &plan).await,
            "extract" => match &extract {
                Some((bin, args)) => {
                    if !g.quiet {
                        eprintln!(
                            "note: twh-extract resumes from its cursors under <sink>/_state/, which purge keeps; delete them first to extract all history again"
                        );
                    }
                    run_extract(bin, args).await
                }
                None => {
                    let why = extract_skip_reason(a);
                    if !g.quiet {
                        eprintln!("note: extract skipped: {why}");
                    }
                    (OK, json!({"skipped": why}))
                }
            },
            "crawl" => crawl_step(g, &o, &[], wait).await,
            "refresh" => refresh_step(g, &o, &[], wait).await,
            _ => check_step(g, &o, &[], 10, a.timeout).await,
        };
        steps.push(json!({"step": step, "ok": c == OK, "result": v}));
        if c != OK {
            eprintln!("error: reset stopped at `{step}`; the steps before it are done.");
            code = c;
            break;
        }
    }
    if code == OK && !g.quiet {
        eprintln!("Reset of `{}` complete.", o.env);
    }
    let v = json!({"format_version": FORMAT_VERSION, "env": o.env, "steps": steps});
    finish(g, &o, (code, v))
}

fn extract_skip_reason(a: &ResetArgs) -> String {
    if a.no_extract {
        "--no-extract".into()
    } else {
        format!(
            "no twh-extract arguments after `--`, {} is not set and the environment file declares no `extract.sink`; e.g. `twh reset -- --source all --sink s3://BUCKET/lake`",
            crate::env::EXTRACT_SINK
        )
    }
}

/// The value of `--sink` in twh-extract arguments.
fn sink_arg(args: &[String]) -> Option<&str> {
    args.iter()
        .enumerate()
        .find_map(|(i, a)| match a.strip_prefix("--sink") {
            Some("") => args.get(i + 1).map(String::as_str),
            Some(rest) => rest.strip_prefix('='),
            None => None,
        })
}

/// `twh-extract` and its arguments, when the extract step is configured.
/// Its sink is the declared one (passed as `--sink` when neither the
/// arguments nor TWH_EXTRACT_SINK name one); another sink is refused, since
/// the purge would empty data this extract does not land again.
fn extract_command(
    a: &ResetArgs,
    declared: Option<&ExtractSink>,
) -> Result<Option<(std::path::PathBuf, Vec<String>)>, u8> {
    if a.no_extract {
        return Ok(None);
    }
    let from_env = std::env::var(crate::env::EXTRACT_SINK).ok();
    let given = sink_arg(&a.extract_args)
        .map(|s| (s.to_string(), "`--sink` after `--`".to_string()))
        .or_else(|| from_env.map(|s| (s, crate::env::EXTRACT_SINK.to_string())));
    let mut args = a.extract_args.clone();
    match (given, declared) {
        (None, None) if args.is_empty() => return Ok(None),
        (None, Some(d)) => {
            args.push("--sink".into());
            args.push(d.path.url().trim_end_matches('/').to_string());
        }
        (Some((sink, from)), Some(d))
            if purgeable::S3Prefix::parse(&sink).as_ref() != Some(&d.path) =>
        {
            return Err(fail(
                format!(
                    "refused: reset would purge under twh-extract's sink {} (`extract.sink` in {}) but extract into `{sink}` ({from}), so the purged data would not be landed again; nothing was deleted",
                    d.path, d.declared_in
                ),
                Some(format!(
                    "extract where the environment declares (drop {from}), or correct `extract.sink` in {}",
                    d.declared_in
                )),
            ));
        }
        _ => {}
    }
    let bin = std::env::var_os(crate::env::EXTRACT_BIN)
        .map(std::path::PathBuf::from)
        .or_else(|| {
            let sibling = std::env::current_exe()
                .ok()?
                .with_file_name(format!("twh-extract{}", std::env::consts::EXE_SUFFIX));
            sibling.exists().then_some(sibling)
        })
        .unwrap_or_else(|| "twh-extract".into());
    Ok(Some((bin, args)))
}

/// Runs `twh-extract run ARGS`; its output goes to stderr so stdout stays
/// twh's own result.
async fn run_extract(bin: &std::path::Path, args: &[String]) -> (u8, Value) {
    let stdout = std::io::stderr().lock().as_fd_owned().map_or_else(
        |_| std::process::Stdio::inherit(),
        std::process::Stdio::from,
    );
    let status = tokio::process::Command::new(bin)
        .arg("run")
        .args(args)
        .stdout(stdout)
        .status()
        .await;
    match status {
        Ok(s) if s.success() => (OK, json!({"exit_code": 0})),
        Ok(s) => {
            eprintln!(
                "error: `{} run` exited with {}",
                bin.display(),
                s.code()
                    .map_or_else(|| "a signal".into(), |c| c.to_string())
            );
            (ERROR, json!({"exit_code": s.code()}))
        }
        Err(e) => (
            fail(
                format!("cannot run `{}`: {e}", bin.display()),
                Some(format!(
                    "install it (`cargo install --path .`) or point {} at it",
                    crate::env::EXTRACT_BIN
                )),
            ),
            json!({"error": e.to_string()}),
        ),
    }
}

/// A duplicate of a standard stream's descriptor, for a child process.
trait AsFdOwned {
    fn as_fd_owned(&self) -> std::io::Result<std::os::fd::OwnedFd>;
}

impl<T: std::os::fd::AsFd> AsFdOwned for T {
    fn as_fd_owned(&self) -> std::io::Result<std::os::fd::OwnedFd> {
        self.as_fd().try_clone_to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns() {
        let t = table(
            &["A", "LONGER"],
            &[
                vec!["xyz".into(), "1".into()],
                vec!["q".into(), "22".into()],
            ],
        );
        assert_eq!(t, "A    LONGER\nxyz  1\nq    22");
    }

    #[test]
    fn sizes_are_human() {
        assert_eq!(size(999), "999 B");
        assert_eq!(size(1_500), "1.5 kB");
        assert_eq!(size(2_500_000), "2.5 MB");
    }

    #[test]
    fn the_sink_is_read_from_either_spelling_of_the_flag() {
        let v = |a: &[&str]| a.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        assert_eq!(
            sink_arg(&v(&["--source", "all", "--sink", "s3://b/l"])),
            Some("s3://b/l")
        );
        assert_eq!(sink_arg(&v(&["--sink=./lake"])), Some("./lake"));
        assert_eq!(sink_arg(&v(&["--sinkhole", "x", "--source", "all"])), None);
    }

    #[test]
    fn nothing_to_purge_says_so() {
        assert!(render_purge("dev", &PurgePlan::default()).starts_with("Nothing to purge"));
    }
}
