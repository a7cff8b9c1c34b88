//! `twh sync`: plan (or check a saved plan), confirm, apply under the state
//! lock, and report.
//!
//! What a sync reports is the whole run, never the plan alone: `-v` counts
//! every call (plan reads, apply calls, and the reads after writes that
//! record what AWS stored), and `--output json` prints exactly one
//! document, with the plan, the result and those counts, whatever the exit.

use std::io::{IsTerminal as _, Write as _};
use std::path::Path;

use serde_json::{Value, json};

use super::args::{self, Global, Output};
use super::{ERROR, OK, fail, fail_error, load, lock_error, print_plan, report, setup};
use crate::apply::{self, ApplyOptions, ApplyReport, StoredByAws};
use crate::config;
use crate::diag::NoSources;
use crate::plan::saved::{Refused, Rejection, SavedPlan, Stale};
use crate::plan::{self, PlanOptions};
use crate::provider::CallCounts;
use crate::state::{self, LockInfo, StateError, StateFile};

/// Version of the `sync --output json` document. 2.0: one document holding
/// the plan, the result (with `stored_by_aws`) and the run's calls; 1.x
/// printed the plan and the result as two documents. 2.1 adds `plan_file`
/// (the saved plan applied, or null) and `refused` (why a saved plan was
/// not applied, or null).
pub const FORMAT_VERSION: &str = "2.1";

/// What the run produced, printed once at its end.
#[derive(Default)]
struct Outcome {
    plan: Option<Value>,
    plan_calls: CallCounts,
    result: Option<ApplyReport>,
    plan_file: Option<String>,
    refused: Option<Value>,
}

pub(super) async fn sync(g: &Global, a: &args::SyncArgs) -> u8 {
    let mut outcome = Outcome {
        plan_file: a.plan_file.as_ref().map(|p| p.display().to_string()),
        ..Outcome::default()
    };
    // A saved plan for another environment or format is refused before
    // the files are read or AWS is called.
    let saved = match &a.plan_file {
        Some(path) => match read_saved(path, &g.env) {
            Ok(s) => Some(s),
            Err(r) => {
                let code = rejected(&r, &mut outcome);
                print_outcome(g, &outcome, CallCounts::default());
                return code;
            }
        },
        None => None,
    };
    let Some(cfg) = load(g, true) else {
        print_outcome(g, &outcome, CallCounts::default());
        return ERROR;
    };
    let ctx = match setup::Context::new(g, &cfg).await {
        Ok(c) => c,
        Err(e) => {
            print_outcome(g, &outcome, CallCounts::default());
            return fail(e, None);
        }
    };
    let lock = LockInfo::new("sync");
    if let Err(e) = state::lock_with_timeout(ctx.backend.as_ref(), &lock, a.lock_timeout).await {
        print_outcome(g, &outcome, ctx.providers.calls.counts());
        return lock_error(&e);
    }
    let mut code = sync_locked(g, a, saved.as_ref(), &cfg, &ctx, &mut outcome).await;
    if let Err(e) = ctx.backend.unlock(&lock.id).await {
        code = fail(
            format!("could not release the state lock: {e}"),
            Some(format!("remove it with `twh force-unlock {}`", lock.id)),
        );
    }
    print_outcome(g, &outcome, ctx.providers.calls.counts());
    code
}

/// Reads a saved plan and refuses one of another format or environment.
fn read_saved(path: &Path, env: &str) -> Result<SavedPlan, Rejection> {
    let name = path.display().to_string();
    let text = fs_err::read_to_string(path).map_err(|e| Rejection::Malformed {
        path: name.clone(),
        message: format!("cannot read it: {}", e.kind()),
    })?;
    let saved = SavedPlan::parse(&name, &text)?;
    saved.check_env(env)?;
    Ok(saved)
}

fn rejected(r: &Rejection, outcome: &mut Outcome) -> u8 {
    outcome.refused = Some(json!({"reason": "rejected", "message": r.to_string()}));
    eprintln!(
        "{}\nNothing was changed.",
        crate::report::render_with_hint(r)
    );
    ERROR
}

/// The saved plan is out of date: nothing was changed; say what moved.
fn stale(g: &Global, file: &str, list: &[Stale], outcome: &mut Outcome) -> u8 {
    outcome.refused = Some(json!({
        "reason": "stale",
        "message": format!("the saved plan `{file}` is out of date"),
        "changed": list.iter().map(|s| {
            let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                m.insert("message".into(), Value::String(s.to_string()));
            }
            v
        }).collect::<Vec<_>>(),
    }));
    let lines: Vec<String> = list.iter().map(ToString::to_string).collect();
    fail(
        format!(
            "the saved plan `{file}` is out of date, so it was not applied; since it was made:\n  - {}",
            lines.join("\n  - ")
        ),
        Some(format!(
            "make a new plan with `twh diff --env {} --out {file}`, review it, and apply that one",
            g.env
        )),
    )
}

/// The run's calls, and in JSON its one document.
fn print_outcome(g: &Global, o: &Outcome, total: CallCounts) {
    let apply = CallCounts {
        total: total.total.saturating_sub(o.plan_calls.total),
        reads: total.reads.saturating_sub(o.plan_calls.reads),
        mutations: total.mutations.saturating_sub(o.plan_calls.mutations),
    };
    if g.output == Output::Json {
        let doc = json!({
            "format_version": FORMAT_VERSION,
            "plan_file": o.plan_file,
            "plan": o.plan,
            "result": o.result,
            "refused": o.refused,
            "api_calls": {"plan": o.plan_calls, "apply": apply, "total": total},
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    }
    if g.verbose > 0 {
        eprintln!(
            "API calls: {} ({} reads, {} mutating): {} to plan, {} to apply and read back",
            total.total, total.reads, total.mutations, o.plan_calls.total, apply.total
        );
    }
}

async fn sync_locked(
    g: &Global,
    a: &args::SyncArgs,
    saved: Option<&SavedPlan>,
    cfg: &config::Config,
    ctx: &setup::Context,
    outcome: &mut Outcome,
) -> u8 {
    let stored = match ctx.backend.read().await {
        Ok(s) => s,
        Err(e) => return fail_error(&e),
    };
    let planned = match saved {
        // Every check under the lock, before any mutating call.
        Some(saved) => match plan::saved::prepare(saved, cfg, stored, &ctx.providers).await {
            Ok(p) => Ok(p),
            Err(Refused::Rejected(r)) => return rejected(&r, outcome),
            Err(Refused::Stale(list)) => {
                let file = outcome.plan_file.clone().unwrap_or_default();
                return stale(g, &file, &list, outcome);
            }
            Err(Refused::Failed(d)) => Err(d),
        },
        None => {
            let st = stored.unwrap_or_else(|| StateFile::new(&g.env));
            plan::plan(
                cfg,
                &st,
                &ctx.providers,
                &PlanOptions {
                    targets: a.plan.targets.clone(),
                    only: None,
                },
            )
            .await
            .map(|p| (p, st))
        }
    };
    let (plan, st) = match planned {
        Ok(p) => p,
        Err(d) => {
            report(&d, &cfg.sources);
            return ERROR;
        }
    };
    outcome.plan_calls = plan.api_calls;
    if g.output == Output::Json {
        outcome.plan = serde_json::to_value(&plan).ok();
    } else {
        print_plan(g, &plan, false, &a.plan, None);
    }
    if plan.errors.has_errors() {
        report(&plan.errors, &NoSources);
        return ERROR;
    }
    let opts = ApplyOptions {
        parallelism: usize::from(a.parallelism),
        allow_replace: a.allow_replace,
        ..ApplyOptions::default()
    };
    let refused = apply::refused(&plan, &opts);
    if !refused.is_empty() {
        return fail(
            format!("refusing to replace without --allow-replace:\n  {}", refused.join("\n  ")),
            Some("a replace deletes the AWS resource and creates a new one: what is built on it (listed above) loses it, and a dataset's or table's analyses and partitions are gone. To rename only its address in the files, keep the AWS name (the field named) and change its `name`; rerun with --allow-replace if the replace is intended".into()),
        );
    }
    if plan.summary.changes() == 0 {
        return OK;
    }
    // A saved plan was reviewed when it was made (Terraform applies a
    // saved plan without asking, too).
    if !a.auto_approve && saved.is_none() {
        if !std::io::stdin().is_terminal() {
            return fail(
                "sync needs confirmation, and stdin is not a terminal",
                Some("review the plan above, then rerun with --auto-approve".into()),
            );
        }
        eprint!(
            "Apply these changes to `{}`? Only `yes` is accepted: ",
            g.env
        );
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        if std::io::stdin().read_line(&mut answer).is_err() || answer.trim() != "yes" {
            eprintln!("Cancelled; nothing was changed.");
            return ERROR;
        }
    }
    let reporter = super::reporters::for_apply(g, plan.summary.changes());
    let started = std::time::Instant::now();
    let (report_, _state) = apply::apply(
        &plan,
        st,
        ctx.backend.clone(),
        &ctx.providers,
        &opts,
        reporter,
    )
    .await;
    let secs = started.elapsed().as_secs_f64();
    for (addr, e) in &report_.failed {
        eprintln!("error: {addr}: {e}");
    }
    for addr in &report_.skipped {
        eprintln!("skipped: {addr} (something it depends on failed)");
    }
    if !g.quiet && g.output != Output::Json {
        for s in &report_.stored_by_aws {
            eprint!("{}", stored_note(s));
        }
    }
    let code = if report_.ok() {
        if !g.quiet {
            eprintln!(
                "Sync complete: {} changed in {secs:.1}s.",
                report_.applied.len()
            );
        }
        OK
    } else if report_.failed.iter().any(|(_, e)| *e == lost_state(ctx)) {
        eprintln!(
            "Sync stopped: {} changed, {} failed, {} skipped. Another writer replaced the state during this run (was its lock force-unlocked?), so what this run changed after that is not recorded. `twh state pull` shows the stored state; `twh diff` shows what is left to do.",
            report_.applied.len(),
            report_.failed.len(),
            report_.skipped.len()
        );
        ERROR
    } else {
        eprintln!(
            "Sync incomplete: {} changed, {} failed, {} skipped. State records what was done; rerun `twh sync` after fixing the error.",
            report_.applied.len(),
            report_.failed.len(),
            report_.skipped.len()
        );
        ERROR
    };
    outcome.result = Some(report_);
    code
}

/// `note: glue_crawler.x: Role stored by AWS as "service-role/x" (sent "x")`,
/// once per rewritten member: said once, here, and never a change later.
fn stored_note(s: &StoredByAws) -> String {
    let show = |v: &Option<Value>| match v {
        None => "nothing".to_string(),
        Some(v) => {
            let text = crate::secret::for_display(v).to_string();
            match text.char_indices().nth(80) {
                Some((i, _)) => format!("{}…", &text[..i]),
                None => text,
            }
        }
    };
    s.rewrites
        .iter()
        .map(|r| {
            format!(
                "note: {}: {} stored by AWS as {} (sent {})\n",
                s.address,
                r.path,
                show(&r.stored),
                show(&r.sent)
            )
        })
        .collect()
}

/// The error apply reports when the backend found another writer's state.
fn lost_state(ctx: &setup::Context) -> String {
    StateError::Conflict {
        path: ctx.backend.describe(),
    }
    .to_string()
}
