//! Test fixtures: repositories written into temp directories.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

pub mod aws_fixtures;
pub mod emulator;

/// A repository in a temp dir.
pub struct Repo {
    pub dir: tempfile::TempDir,
}

impl Repo {
    pub fn new() -> Self {
        let r = Self {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        r.write(
            "resources/environments/dev.json",
            &json!({"region": "us-east-1", "variables": {"lake_bucket": "twh-lake-dev"}, "state": {"backend": "local"}}),
        );
        r
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, v: &Value) {
        self.write_text(rel, &serde_json::to_string_pretty(v).expect("json"));
    }

    pub fn write_text(&self, rel: &str, text: &str) {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }

    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.dir.path().join(rel)).expect("remove");
    }

    pub fn file(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// A small estate: a role, a database, a crawler using both, a view.
    pub fn small_estate(&self) {
        self.write("resources/iam/crawler.json", &role("crawler"));
        self.write(
            "resources/glue/database.json",
            &json!({"type": "glue_database", "name": "warehouse",
                    "spec": {"DatabaseInput": {"Name": "ticket_warehouse_${env}", "Description": "Ticket Warehouse"}}}),
        );
        self.write(
            "resources/glue/crawlers/orders.json",
            &crawler("orders", None),
        );
        self.write(
            "resources/athena/views.json",
            &json!({"resources": [{"type": "athena_view", "name": "orders_v", "spec": {
                "Name": "orders_v", "Database": "${ref:glue_database.warehouse.name}", "WorkGroup": "primary",
                "Sql": "SELECT id, total FROM orders"}}]}),
        );
    }
}

pub fn role(name: &str) -> Value {
    json!({"type": "iam_role", "name": name, "spec": {
        "RoleName": format!("twh-{name}-${{env}}"),
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "ManagedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"]}})
}

pub fn crawler(table: &str, schedule: Option<&str>) -> Value {
    let mut spec = json!({
        "Name": format!("ticket_warehouse_{table}-${{env}}"),
        "Role": "${ref:iam_role.crawler.arn}",
        "DatabaseName": "${ref:glue_database.warehouse.name}",
        "Targets": {"S3Targets": [{"Path": format!("s3://${{var.lake_bucket}}/ticketsauce/{table}/")}]}
    });
    if let Some(s) = schedule {
        spec["Schedule"] = json!(s);
    }
    json!({"type": "glue_crawler", "name": table, "spec": spec})
}
