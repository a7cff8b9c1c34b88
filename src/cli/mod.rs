//! The `twh` command: parses arguments, runs one command, renders its result
//! and errors once, and picks the exit code (0 ok / no changes, 2 changes,
//! 1 error). The only module that prints.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod accept;
pub mod args;
mod import;
mod ops;
mod reporters;
mod setup;
mod sync;

use std::io::IsTerminal as _;
use std::process::ExitCode;

use clap::{CommandFactory as _, Parser as _};

use crate::addr::Address;
use crate::config::{self, LoadOptions};
use crate::diag::{self, Diagnostic, Diagnostics, NoSources, SourceLookup};
use crate::plan::{self, PlanOptions, render};
use crate::state::{self, LockInfo, StateError, StateFile};
use args::{Cli, Command, Global, Output, StateCommand};

/// Exit codes.
pub const OK: u8 = 0;
pub const ERROR: u8 = 1;
pub const CHANGES: u8 = 2;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli.global);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(ERROR);
        }
    };
    let code = runtime.block_on(run(cli));
    ExitCode::from(code)
}

fn init_tracing(g: &Global) {
    let default = match g.verbose {
        0 => "warn",
        1 => "twh=info",
        _ => "twh=debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env(crate::env::LOG)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .try_init();
}

/// Colour on stderr/stdout only on a terminal and without `NO_COLOR`.
fn color_for(stream_is_tty: bool) -> bool {
    stream_is_tty && std::env::var_os(crate::env::NO_COLOR).is_none_or(|v| v.is_empty())
}

/// Prints diagnostics to stderr, rendered once with snippets.
fn report(diags: &Diagnostics, sources: &dyn SourceLookup) {
    if diags.is_empty() {
        return;
    }
    let text = diag::render(diags, sources, color_for(std::io::stderr().is_terminal()));
    eprint!("{text}");
    let errors = diags.errors().count();
    if errors > 0 {
        eprintln!(
            "{} error{} found; nothing was changed.",
            errors,
            if errors == 1 { "" } else { "s" }
        );
    }
}

/// A typed error with its causes and its own hint ([`crate::report`]).
fn fail_error<E: std::error::Error + crate::report::Hint + 'static>(e: &E) -> u8 {
    eprintln!("{}", crate::report::render_with_hint(e));
    ERROR
}

fn fail(msg: impl Into<String>, hint: Option<String>) -> u8 {
    let mut d = Diagnostics::default();
    d.push(Diagnostic::error(msg).hint_opt(hint));
    report(&d, &NoSources);
    ERROR
}

async fn run(cli: Cli) -> u8 {
    let g = &cli.global;
    match &cli.command {
        Command::Validate => validate(g),
        Command::Diff(a) => diff(g, a).await,
        Command::Sync(a) => sync::sync(g, a).await,
        Command::Accept(a) => accept::accept(g, a).await,
        Command::State(c) => state_cmd(g, c).await,
        Command::Import {
            kind,
            ids,
            all,
            workgroup,
        } => import_cmd(g, kind, ids, *all, workgroup.as_deref()).await,
        Command::ForceUnlock { id } => force_unlock(g, id).await,
        Command::Schema { kind, environment } => schema(kind.as_deref(), *environment),
        Command::Crawl(a) => ops::crawl(g, a).await,
        Command::Refresh(a) => ops::refresh(g, a).await,
        Command::Check(a) => ops::check(g, a).await,
        Command::Purge(a) => ops::purge(g, a).await,
        Command::Reset(a) => ops::reset(g, a).await,
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "twh", &mut std::io::stdout());
            OK
        }
    }
}

/// Loads and validates; `None` after reporting errors.
fn load(g: &Global, require_secrets: bool) -> Option<config::Config> {
    let (cfg, diags) = config::load(&g.dir, &g.env, &LoadOptions { require_secrets });
    if !g.quiet || diags.has_errors() {
        report(&diags, &cfg.sources);
    }
    (!diags.has_errors()).then_some(cfg)
}

fn validate(g: &Global) -> u8 {
    let Some(cfg) = load(g, false) else {
        return ERROR;
    };
    let files: std::collections::BTreeSet<_> =
        cfg.resources.iter().map(|r| &r.origin.file).collect();
    match g.output {
        Output::Json => println!(
            "{}",
            serde_json::json!({"valid": true, "env": cfg.env_name, "resources": cfg.resources.len(), "files": files.len()})
        ),
        _ if !g.quiet => eprintln!(
            "Valid: {} resources in {} files for environment `{}`.",
            cfg.resources.len(),
            files.len(),
            cfg.env_name
        ),
        _ => {}
    }
    OK
}

async fn diff(g: &Global, a: &args::DiffArgs) -> u8 {
    let Some(cfg) = load(g, true) else {
        return ERROR;
    };
    let ctx = match setup::Context::new(g, &cfg).await {
        Ok(c) => c,
        Err(e) => return fail(e, None),
    };
    let stored = match ctx.backend.read().await {
        Ok(s) => s,
        Err(e) => return fail_error(&e),
    };
    let st = stored.clone().unwrap_or_else(|| StateFile::new(&g.env));
    let plan = match plan::plan(
        &cfg,
        &st,
        &ctx.providers,
        &PlanOptions {
            targets: a.plan.targets.clone(),
            only: None,
        },
    )
    .await
    {
        Ok(p) => p,
        Err(d) => {
            report(&d, &cfg.sources);
            return ERROR;
        }
    };
    print_plan(g, &plan, true, &a.plan, a.out.as_deref());
    if plan.errors.has_errors() {
        report(&plan.errors, &NoSources);
        if let Some(out) = &a.out {
            eprintln!("No plan was saved to `{}`.", out.display());
        }
        return ERROR;
    }
    if let Some(out) = &a.out {
        let saved = match plan::saved::SavedPlan::new(&plan, &cfg, stored.as_ref()) {
            Ok(s) => s,
            Err(e) => return fail(e, None),
        };
        if let Err(e) = saved.write(out) {
            return fail(
                format!("cannot write the plan to `{}`: {e}", out.display()),
                Some("check that its directory exists and that you may write there".into()),
            );
        }
        if !g.quiet {
            eprintln!(
                "Saved the plan ({} change{}) to `{}`; apply exactly it with `twh sync --env {} {}`.",
                saved.changes.len(),
                if saved.changes.len() == 1 { "" } else { "s" },
                out.display(),
                g.env,
                out.display()
            );
        }
    }
    if plan.has_changes() { CHANGES } else { OK }
}

/// Prints the plan; with `-v`, the calls it took (for `diff` the whole run;
/// `sync` prints its own count at the end, see `sync`).
/// Markdown is cut to `a.markdown_limit`, its note pointing at `saved` (the
/// `--out` file) when there is one.
fn print_plan(
    g: &Global,
    plan: &plan::Plan,
    show_calls: bool,
    a: &args::PlanArgs,
    saved: Option<&std::path::Path>,
) {
    let out = match g.output {
        Output::Json => render::json(plan),
        Output::Markdown => {
            let every_diff = format!(
                "`twh diff --env {}` prints every diff (`--output markdown --markdown-limit 0`: all of this Markdown).",
                g.env
            );
            let full = match saved {
                Some(p) => format!(
                    "The whole plan is saved in `{}` (`twh sync --env {} {}` applies exactly it); {every_diff}",
                    p.display(),
                    g.env,
                    p.display()
                ),
                None => every_diff,
            };
            render::markdown_within(plan, a.markdown_limit, &full)
        }
        Output::Text => render::human(
            plan,
            render::Style {
                color: color_for(std::io::stdout().is_terminal()),
            },
        ),
    };
    println!("{}", out.trim_end());
    if show_calls && g.verbose > 0 {
        let c = &plan.api_calls;
        eprintln!(
            "API calls: {} ({} reads, {} mutating)",
            c.total, c.reads, c.mutations
        );
    }
    if !plan.targets.is_empty() && !g.quiet {
        eprintln!(
            "warning: --target limits this plan to part of the estate; run without it to see everything"
        );
    }
}

pub(crate) fn lock_error(e: &StateError) -> u8 {
    match e {
        StateError::Locked { holder } if holder.holder_is_dead() => fail(
            format!(
                "the state is locked by {holder}; process {} no longer runs on {}: the lock is stale",
                holder.pid, holder.host
            ),
            Some(format!(
                "that run died without releasing its lock; remove it with `twh force-unlock {}`, then rerun",
                holder.id
            )),
        ),
        StateError::Locked { holder } => fail(
            format!("the state is locked by {holder}"),
            crate::report::Hint::hint(e),
        ),
        other => fail_error(other),
    }
}

/// The state backend of `g.env` for the commands that read no resource
/// file; a bad or missing environment file is reported as `twh validate`
/// reports it, once.
async fn env_backend(g: &Global) -> Result<std::sync::Arc<dyn state::Backend>, u8> {
    let (parsed, sources, diags) = config::load_environment(&g.dir, &g.env);
    let Some(env) = parsed else {
        report(&diags, &sources);
        return Err(ERROR);
    };
    setup::state_backend(g, &env)
        .await
        .map_err(|e| fail(e, None))
}

async fn state_cmd(g: &Global, c: &StateCommand) -> u8 {
    let backend = match env_backend(g).await {
        Ok(b) => b,
        Err(code) => return code,
    };
    if let StateCommand::Push(a) = c {
        return state_push(g, backend.as_ref(), a).await;
    }
    if let StateCommand::Mv {
        from,
        to,
        lock_timeout,
    } = c
    {
        let lock = LockInfo::new("state mv");
        if let Err(e) = state::lock_with_timeout(backend.as_ref(), &lock, *lock_timeout).await {
            return lock_error(&e);
        }
        let code = state_mv(backend.as_ref(), from, to).await;
        if let Err(e) = backend.unlock(&lock.id).await {
            return fail(
                format!("could not release the state lock: {e}"),
                Some(format!("remove it with `twh force-unlock {}`", lock.id)),
            );
        }
        return code;
    }
    let st = match backend.read().await {
        Ok(Some(s)) => s,
        Ok(None) => {
            if matches!(c, StateCommand::List) {
                return OK;
            }
            return fail(
                format!("no state yet at {}", backend.describe()),
                Some("run `twh sync` first".into()),
            );
        }
        Err(e) => return fail_error(&e),
    };
    match c {
        StateCommand::Pull => match state::render(&st) {
            Ok(text) => {
                print!("{text}");
                OK
            }
            Err(e) => fail_error(&e),
        },
        StateCommand::Push(_) | StateCommand::Mv { .. } => unreachable!("handled above"),
        StateCommand::List => {
            for (addr, r) in &st.resources {
                match g.output {
                    Output::Json => {
                        println!("{}", serde_json::json!({"address": addr, "id": r.id}))
                    }
                    _ => println!("{addr}\t{}", r.id),
                }
            }
            OK
        }
        StateCommand::Show { address } => match st.resources.get(address) {
            Some(r) => {
                let shown = serde_json::json!({"address": address, "id": r.id, "attributes": r.attributes, "status": r.status, "applied": crate::secret::for_display(&r.applied), "depends_on": r.depends_on, "updated_at": r.updated_at});
                println!(
                    "{}",
                    serde_json::to_string_pretty(&shown).unwrap_or_default()
                );
                OK
            }
            None => fail(
                format!("`{address}` is not in state"),
                Some("`twh state list` shows what is".into()),
            ),
        },
        StateCommand::Rm { address } => {
            let lock = LockInfo::new("state rm");
            if let Err(e) = backend.lock(&lock).await {
                return lock_error(&e);
            }
            let mut st = st;
            let code = if st.resources.remove(address).is_some() {
                st.serial += 1;
                match backend.write(&st).await {
                    Ok(()) => {
                        eprintln!(
                            "Removed `{address}` from state; it still exists in AWS and is no longer managed."
                        );
                        OK
                    }
                    Err(e) => fail_error(&e),
                }
            } else {
                fail(format!("`{address}` is not in state"), None)
            };
            let _ = backend.unlock(&lock.id).await;
            code
        }
    }
}

/// `twh state mv OLD NEW`, with the lock held: the state is read under it,
/// so no run can write between the checks and the write.
async fn state_mv(backend: &dyn state::Backend, from: &Address, to: &Address) -> u8 {
    let mut st = match backend.read().await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return fail(
                format!("no state yet at {}", backend.describe()),
                Some("there is nothing to move before the first `twh sync`".into()),
            );
        }
        Err(e) => return fail_error(&e),
    };
    if !st.resources.contains_key(from) {
        let known: Vec<String> = st.resources.keys().map(ToString::to_string).collect();
        return fail(
            format!("`{from}` is not in state"),
            Some(
                match diag::did_you_mean(&from.to_string(), known.iter().map(String::as_str)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "`twh state list` shows what is".into(),
                },
            ),
        );
    }
    if from.kind != to.kind {
        return fail(
            format!("cannot move `{from}` to `{to}`: a move keeps the resource's type"),
            Some(format!(
                "a {} and a {} are different AWS resources; name the new address `{}.{}`",
                from.kind, to.kind, from.kind, to.name
            )),
        );
    }
    if let Some(there) = st.resources.get(to) {
        return fail(
            format!(
                "`{to}` is already in state ({} `{}`); nothing was moved",
                there.kind, there.id
            ),
            Some(format!(
                "pick a free address, or `twh state rm {to}` first if that record is stale"
            )),
        );
    }
    let id = st.resources[from].id.clone();
    st.rename(from, to);
    st.serial += 1;
    match backend.write(&st).await {
        Ok(()) => {
            eprintln!(
                "Moved `{from}` to `{to}` in state ({} `{id}`); nothing in AWS changed. Rename it in the files too (`\"name\": \"{}\"`).",
                from.kind, to.name
            );
            OK
        }
        Err(e) => fail_error(&e),
    }
}

/// `twh state push`: replaces the stored state with a file, under the lock.
async fn state_push(g: &Global, backend: &dyn state::Backend, a: &args::PushArgs) -> u8 {
    let name = a.file.display().to_string();
    let text = if name == "-" {
        let mut t = String::new();
        match std::io::Read::read_to_string(&mut std::io::stdin(), &mut t) {
            Ok(_) => t,
            Err(e) => return fail(format!("cannot read stdin: {e}"), None),
        }
    } else {
        match fs_err::read_to_string(&a.file) {
            Ok(t) => t,
            Err(e) => return fail(e.to_string(), None),
        }
    };
    let pushed = match state::parse(&name, &text) {
        Ok(s) => s,
        Err(e) => {
            return fail(
                e.to_string(),
                Some("push a file written by `twh state pull`".into()),
            );
        }
    };
    if pushed.env != g.env && !a.force {
        return fail(
            format!(
                "`{name}` is the state of environment `{}`, not `{}`",
                pushed.env, g.env
            ),
            Some("pass the matching --env, or --force to push it anyway".into()),
        );
    }
    let lock = LockInfo::new("state push");
    if let Err(e) = state::lock_with_timeout(backend, &lock, a.lock_timeout).await {
        return lock_error(&e);
    }
    let overwrite = if a.force {
        state::Overwrite::Any
    } else {
        state::Overwrite::Successor
    };
    // Read first: the S3 backend writes conditionally on the version read.
    let result = match backend.read().await {
        Ok(_) => backend.store(&pushed, overwrite).await,
        Err(e) => Err(e),
    };
    let code = match result {
        Ok(()) => {
            if !g.quiet {
                eprintln!(
                    "Pushed `{name}` (serial {}, lineage {}) to {}.",
                    pushed.serial,
                    pushed.lineage,
                    backend.describe()
                );
            }
            OK
        }
        Err(e) => fail_error(&e),
    };
    if let Err(e) = backend.unlock(&lock.id).await {
        return fail(
            format!("could not release the state lock: {e}"),
            Some(format!("remove it with `twh force-unlock {}`", lock.id)),
        );
    }
    code
}

async fn import_cmd(
    g: &Global,
    kind: &str,
    ids: &[String],
    all: bool,
    workgroup: Option<&str>,
) -> u8 {
    let kind = match import::kind_arg(kind) {
        Ok(k) => k,
        Err(e) => return fail(e, None),
    };
    let Some(cfg) = load(g, false) else {
        return ERROR;
    };
    let ctx = match setup::Context::new(g, &cfg).await {
        Ok(c) => c,
        Err(e) => return fail(e, None),
    };
    if workgroup.is_some() && kind.name != "athena_view" {
        return fail(
            format!("--workgroup applies to athena_view only, not {}", kind.name),
            None,
        );
    }
    // Taken here, so that a held lock is reported as sync reports it.
    let lock = LockInfo::new("import");
    if let Err(e) = ctx.backend.lock(&lock).await {
        return lock_error(&e);
    }
    let result = import::import(g, &cfg, &ctx, kind, ids, all, workgroup).await;
    if let Err(e) = ctx.backend.unlock(&lock.id).await {
        return fail(
            format!("could not release the state lock: {e}"),
            Some(format!("remove it with `twh force-unlock {}`", lock.id)),
        );
    }
    match result {
        Ok(n) => {
            if !g.quiet {
                eprintln!(
                    "Imported {n} resource{}. Review the files, then `twh diff` should show no change.",
                    if n == 1 { "" } else { "s" }
                );
            }
            OK
        }
        Err(e) => fail(e, None),
    }
}

async fn force_unlock(g: &Global, id: &str) -> u8 {
    let backend = match env_backend(g).await {
        Ok(b) => b,
        Err(code) => return code,
    };
    match backend.unlock(id).await {
        Ok(()) => {
            eprintln!("Lock `{id}` removed.");
            OK
        }
        Err(e) => fail_error(&e),
    }
}

fn schema(kind: Option<&str>, environment: bool) -> u8 {
    let doc = if environment {
        Ok(crate::kinds::schema::environment_schema())
    } else {
        crate::kinds::schema::json_schema(kind)
    };
    match doc {
        Ok(v) => {
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            OK
        }
        Err(e) => fail(e, None),
    }
}

/// Used by tests: the clap definition is valid.
pub fn command() -> clap::Command {
    Cli::command()
}
