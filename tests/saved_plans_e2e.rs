//! Saved plans end to end: the real `twh` and the real SDK against the
//! project's AWS emulator (`TWH_EMULATOR_URL`, see `tests/aws_e2e.rs`).
//! `twh diff --out` then `twh sync PLAN` builds an estate, the diff after it
//! is clean; a plan made stale by a console edit (through the SDK) and by
//! another sync is refused with exit 1, no mutating call and the lock
//! released, naming what changed.

mod common;

use common::aws_fixtures::*;
use common::emulator::{self, Estate};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn saved_plans_apply_exactly_and_stale_ones_are_refused() {
    let e = Estate::new(&emulator::shared_url(), "splan");
    e.bucket().await;
    e.write(vec![
        role(),
        database(),
        crawler(),
        table(),
        workgroup(),
        view(),
    ]);

    // Plan to a file, apply it, and nothing is left.
    let out = e.run(&["diff", "--out", "plan.json"], 2);
    assert!(out.contains("Saved the plan (6 changes)"), "{out}");
    let out = e.run(&["sync", "plan.json", "-v"], 0);
    assert!(out.contains("Sync complete: 6 changed"), "{out}");
    e.clean();
    e.quiet_sync();

    // A reviewed change, then a console edit of the same crawler before
    // the merge's sync: refused, naming the field.
    let mut changed = crawler();
    changed["spec"]["Schedule"] = json!("cron(0 5 * * ? *)");
    e.write(vec![
        role(),
        database(),
        changed,
        table(),
        workgroup(),
        view(),
    ]);
    e.run(&["diff", "--out", "plan.json"], 2);
    let glue = aws_sdk_glue::Client::new(&emulator::sdk(&e.url).await);
    glue.update_crawler()
        .name(e.name("orders"))
        .description("edited in the console")
        .send()
        .await
        .expect("update crawler");
    let lock = e.repo.file(&format!("state/{}.lock", e.env));
    let out = e.run(&["sync", "plan.json", "-v"], 1);
    assert!(
        out.contains("`glue_crawler.orders`: `Description` changed in AWS"),
        "{out}"
    );
    assert!(
        out.contains(" 0 mutating)"),
        "a refused plan mutated AWS:\n{out}"
    );
    assert!(!lock.exists(), "the lock was not released");

    // A new plan includes the console edit's repair; another sync applies
    // first, so that plan is refused on the serial.
    e.run(&["diff", "--out", "plan.json"], 2);
    e.sync();
    let out = e.run(&["sync", "plan.json", "-v"], 1);
    assert!(out.contains("state serial moved from"), "{out}");
    assert!(out.contains(" 0 mutating)"), "{out}");
    assert!(!lock.exists(), "the lock was not released");

    // Nothing left to do: a fresh plan is empty and applies as such.
    e.run(&["diff", "--out", "plan.json"], 0);
    let out = e.run(&["sync", "plan.json", "-v"], 0);
    assert!(out.contains(" 0 mutating)"), "{out}");
    e.clean();
}
