//! Plan benchmark: load, validate and plan N resources on the in-memory
//! provider, printing wall time, CPU time and peak memory. Not a timed test:
//! run it and read the figures.
//!
//!     cargo bench --bench plan                 # optimized
//!     cargo bench --bench plan --profile dev   # quick, unoptimized
#![allow(clippy::print_stdout, clippy::print_literal, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;
use twh::config::{self, LoadOptions};
use twh::kinds::Service;
use twh::plan::{self, PlanOptions};
use twh::provider::memory::{MemoryProvider, World};
use twh::provider::{CallLog, Identity, Providers};
use twh::state::StateFile;

fn cpu_seconds() -> f64 {
    // utime + stime of this process, from /proc (Linux).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: f64 = fields
        .get(11)
        .and_then(|u| u.parse::<f64>().ok())
        .unwrap_or(0.0)
        + fields
            .get(12)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0);
    ticks / 100.0
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A repository of `n` resources: one database per 100 crawlers, every
/// crawler referencing its database and a shared role.
fn repo(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let w = |rel: String, v: serde_json::Value| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    };
    w(
        "resources/environments/dev.json".into(),
        json!({"region": "us-east-1", "variables": {"bucket": "lake"}}),
    );
    w(
        "resources/iam/role.json".into(),
        json!({"type": "iam_role", "name": "crawler", "spec": {"RoleName": "crawler-${env}",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}}),
    );
    let dbs = n.div_ceil(100);
    for d in 0..dbs {
        w(
            format!("resources/glue/db{d}.json"),
            json!({"type": "glue_database", "name": format!("db{d}"), "spec": {"DatabaseInput": {"Name": format!("db{d}_${{env}}")}}}),
        );
    }
    for i in 0..n.saturating_sub(dbs + 1) {
        let d = i % dbs;
        w(
            format!("resources/glue/crawlers/c{i}.json"),
            json!({"type": "glue_crawler", "name": format!("c{i}"), "spec": {
                "Name": format!("crawler_{i}-${{env}}"), "Role": "${ref:iam_role.crawler.arn}",
                "DatabaseName": format!("${{ref:glue_database.db{d}.name}}"),
                "SchemaChangePolicy": {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"},
                "Targets": {"S3Targets": [{"Path": format!("s3://${{var.bucket}}/t{i}/")}]}}}),
        );
    }
    dir
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "{:>7}  {:>9}  {:>9}  {:>9}  {:>9}  {:>8}  {}",
        "N", "load s", "plan s", "total s", "CPU s", "peak MB", "plan"
    );
    for n in [1_000usize, 10_000] {
        let dir = repo(n);
        let cpu0 = cpu_seconds();
        let t0 = Instant::now();
        let (cfg, diags) = config::load(
            dir.path(),
            "dev",
            &LoadOptions {
                require_secrets: true,
            },
        );
        assert!(!diags.has_errors(), "{diags:?}");
        let load = t0.elapsed().as_secs_f64();
        let calls = CallLog::default();
        let mem = Arc::new(MemoryProvider::new(World::default(), calls.clone()));
        let mut providers = Providers::new(
            Identity {
                account: "123456789012".into(),
                region: "us-east-1".into(),
            },
            mem.clone(),
            calls,
        );
        for s in [Service::Glue, Service::Iam] {
            providers = providers.with(s, mem.clone());
        }
        let t1 = Instant::now();
        let p = rt
            .block_on(plan::plan(
                &cfg,
                &StateFile::new("dev"),
                &providers,
                &PlanOptions::default(),
            ))
            .unwrap();
        let plan_s = t1.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu0;
        println!(
            "{n:>7}  {load:>9.3}  {plan_s:>9.3}  {:>9.3}  {cpu:>9.2}  {:>8.1}  {}",
            load + plan_s,
            peak_rss_mb(),
            plan::render::summary_line(&p)
        );
    }
}
