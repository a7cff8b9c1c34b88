//! `twh accept`: plans, works out the edits (`crate::accept`), plans again
//! with the edited files and state to check that the next diff is clean,
//! then writes the files and the state, or with `--dry-run` prints the
//! files' diff. Under the state lock, so no sync runs in between.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeSet;
use std::path::Path;

use super::args::{AcceptArgs, Global, Output};
use super::{ERROR, OK, fail, fail_error, load, lock_error, report, setup};
use crate::accept::{self, Proposal, Selection};
use crate::addr::Address;
use crate::config::{self, LoadOptions};
use crate::diag::{self, Diagnostic, Diagnostics, NoSources};
use crate::plan::{self, PlanOptions};
use crate::state::{self, LockInfo, StateFile};

pub async fn accept(g: &Global, a: &AcceptArgs) -> u8 {
    let Some(cfg) = load(g, true) else {
        return ERROR;
    };
    let mut unknown = Diagnostics::default();
    for addr in &a.addresses {
        if cfg.resource(addr).is_none() {
            let known: Vec<String> = cfg.resources.iter().map(|r| r.addr.to_string()).collect();
            unknown.push(
                Diagnostic::error(format!("`{addr}` is not declared in the files")).hint_opt(
                    diag::did_you_mean(&addr.to_string(), known.iter().map(String::as_str))
                        .map(|s| format!("did you mean `{s}`?")),
                ),
            );
        }
    }
    if unknown.has_errors() {
        report(&unknown, &NoSources);
        return ERROR;
    }
    let ctx = match setup::Context::new(g, &cfg).await {
        Ok(c) => c,
        Err(e) => return fail(e, None),
    };
    let lock = LockInfo::new("accept");
    if !a.dry_run
        && let Err(e) = state::lock_with_timeout(ctx.backend.as_ref(), &lock, a.lock_timeout).await
    {
        return lock_error(&e);
    }
    let code = locked(g, a, &cfg, &ctx).await;
    if !a.dry_run
        && let Err(e) = ctx.backend.unlock(&lock.id).await
    {
        return fail(
            format!("could not release the state lock: {e}"),
            Some(format!("remove it with `twh force-unlock {}`", lock.id)),
        );
    }
    code
}

async fn locked(g: &Global, a: &AcceptArgs, cfg: &config::Config, ctx: &setup::Context) -> u8 {
    let st = match ctx.backend.read().await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return fail(
                format!("no state yet at {}", ctx.backend.describe()),
                Some(
                    "nothing has been synced, so nothing has drifted; run `twh sync` first".into(),
                ),
            );
        }
        Err(e) => return fail_error(&e),
    };
    let (selection, only) = if a.all_drift {
        (Selection::AllDrift, None)
    } else {
        (
            Selection::Addresses(a.addresses.clone()),
            Some(a.addresses.iter().cloned().collect::<BTreeSet<Address>>()),
        )
    };
    let opts = PlanOptions {
        targets: Vec::new(),
        only,
    };
    let now = match plan::plan(cfg, &st, &ctx.providers, &opts).await {
        Ok(p) => p,
        Err(d) => {
            report(&d, &cfg.sources);
            return ERROR;
        }
    };
    if now.errors.has_errors() {
        report(&now.errors, &NoSources);
        return ERROR;
    }
    let proposal = match accept::propose(cfg, &now, &st, &selection) {
        Ok(p) => p,
        Err(d) => {
            report(&d, &NoSources);
            return ERROR;
        }
    };
    if !g.quiet {
        for n in &proposal.notes {
            eprintln!("note: {n}");
        }
    }
    if proposal.resources.is_empty() {
        if !g.quiet {
            eprintln!("Nothing to accept: no drift.");
        }
        print_json(g, &proposal, a.dry_run);
        return OK;
    }

    // The next diff, before anything is written: the edited files loaded
    // as the next run will load them, planned against the new state.
    let (next_cfg, diags) = config::load_inputs(
        &cfg.env_name,
        proposal.inputs(cfg),
        &LoadOptions {
            require_secrets: true,
        },
    );
    if diags.has_errors() {
        report(&diags, &next_cfg.sources);
        return fail(
            "the edited files would not load; nothing was written",
            Some("please report this with the files and `twh diff`'s output".into()),
        );
    }
    let accepted: BTreeSet<Address> = proposal
        .resources
        .iter()
        .map(|r| r.address.clone())
        .collect();
    let next = match plan::plan(
        &next_cfg,
        &proposal.state,
        &ctx.providers,
        &PlanOptions {
            targets: Vec::new(),
            only: Some(accepted),
        },
    )
    .await
    {
        Ok(p) => p,
        Err(d) => {
            report(&d, &next_cfg.sources);
            return ERROR;
        }
    };
    if let Err(d) = accept::verify(&proposal, &next) {
        report(&d, &NoSources);
        return ERROR;
    }

    if a.dry_run {
        for (file, (old, new)) in &proposal.files {
            let name = file.display().to_string();
            let diff = similar::TextDiff::from_lines(old.as_str(), new.as_str());
            print!(
                "{}",
                diff.unified_diff()
                    .context_radius(3)
                    .header(&format!("a/{name}"), &format!("b/{name}"))
            );
        }
        print_written(g, &proposal);
        print_json(g, &proposal, true);
        if !g.quiet {
            eprintln!("Dry run: nothing was written.");
        }
        return OK;
    }
    for (file, (_, new)) in &proposal.files {
        if let Err(e) = write_keeping_mode(&cfg.root.join(file), new) {
            return fail(
                format!("cannot write `{}`: {e}", file.display()),
                Some("check that you may write there; files already written keep the accepted values, and `twh accept` again finishes the job".into()),
            );
        }
    }
    if let Err(e) = write_state(ctx, &proposal.state).await {
        return fail(
            format!("the files were written, but the state was not: {e}"),
            Some("run the same `twh accept` again: it finds the files already accepted and records the state".into()),
        );
    }
    print_written(g, &proposal);
    print_json(g, &proposal, false);
    if !g.quiet {
        let fields: usize = proposal.resources.iter().map(|r| r.fields.len()).sum();
        eprintln!(
            "Accepted the drift of {} resource{} into {} file{} ({} field{}) and recorded it in state; AWS was not changed. Review with `git diff`, then commit.",
            proposal.resources.len(),
            plural(proposal.resources.len()),
            proposal.files.len(),
            plural(proposal.files.len()),
            fields,
            plural(fields)
        );
    }
    OK
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `FILE:LINE: ADDR: FIELD (changed)` per field written, on stdout (text
/// output), and the secrets left, on stderr.
fn print_written(g: &Global, p: &Proposal) {
    for r in &p.resources {
        if g.output == Output::Text {
            for w in &r.fields {
                println!(
                    "{}:{}: {}: {} ({})",
                    r.file.display(),
                    w.line,
                    r.address,
                    w.field,
                    w.change.word()
                );
            }
        }
        for s in &r.secrets_left {
            eprintln!(
                "warning: `{}`: the secret at `{s}` differs in AWS; twh never writes secrets into files, so it was left as it is and stays drift (`twh sync` writes the file's secret again)",
                r.address
            );
        }
    }
}

fn print_json(g: &Global, p: &Proposal, dry_run: bool) {
    if g.output != Output::Json {
        return;
    }
    let doc = serde_json::json!({
        "format_version": "1",
        "dry_run": dry_run,
        "accepted": p.resources,
        "files": p.files.keys().collect::<Vec<_>>(),
        "notes": p.notes,
    });
    println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
}

/// Writes through a temporary file renamed over the original, keeping the
/// original's permissions (resource files are the team's, not secrets).
fn write_keeping_mode(path: &Path, text: &str) -> std::io::Result<()> {
    let perms = fs_err::metadata(path)?.permissions();
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".twh-accept.tmp");
    let tmp = std::path::PathBuf::from(tmp);
    fs_err::write(&tmp, text)?;
    fs_err::set_permissions(&tmp, perms)?;
    fs_err::rename(&tmp, path)
}

async fn write_state(ctx: &setup::Context, st: &StateFile) -> Result<(), String> {
    ctx.backend
        .write(st)
        .await
        .map_err(|e| crate::report::render_with_hint(&e).trim_end().to_string())
}
