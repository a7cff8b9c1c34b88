//! Athena: `athena_workgroup` and `athena_view`.
//!
//! Workgroups update with `ConfigurationUpdates`, clearing what the file
//! dropped with the matching `Remove*` flags. Views are applied with
//! `CREATE OR REPLACE VIEW` in the declared workgroup, polled to completion,
//! and read back from the Glue catalog by decoding the Presto view text.

use std::time::Duration;

use aws_sdk_athena as sdk;
use aws_sdk_athena::Client;
use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::aws_common::{
    Caller, Op, build_error, concurrently, from_json, has_member, id_of, member_shape, obj,
    optional, put_nonempty, required, spec_tags, split_id, tag_diff, tags_list, tags_map, to_json,
    unsupported,
};
use super::aws_glue::GlueProvider;
use twh_core::kinds::KindDef;
use twh_core::kinds::normalize::normalize;
use twh_core::provider::{Provider, ProviderError};
use twh_core::spec::generated::athena::{SHAPES, types};
use twh_core::spec::project::project;

const SVC: &str = "athena";
const VIEW_PREFIX: &str = "/* Presto View: ";
const VIEW_SUFFIX: &str = " */";
/// How long a view's DDL may run before twh gives up on it.
const QUERY_TIMEOUT: Duration = Duration::from_secs(600);

pub struct AthenaProvider {
    client: Client,
    glue: GlueProvider,
    caller: Caller,
}

impl AthenaProvider {
    pub fn new(client: Client, glue: GlueProvider, caller: Caller) -> Self {
        Self {
            client,
            glue,
            caller,
        }
    }

    fn workgroup_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:athena:{}:{}:workgroup/{name}",
            self.caller.region(),
            self.caller.account()
        )
    }

    // ---- workgroups -----------------------------------------------------

    async fn read_workgroup(&self, kind: &str, name: &str) -> Result<Option<Value>, ProviderError> {
        let op = Op::read(SVC, "GetWorkGroup", kind, name);
        let out = self
            .caller
            .call(op, || self.client.get_work_group().work_group(name).send())
            .await;
        // Athena answers a missing workgroup with InvalidRequestException.
        let out = match out {
            Err(ProviderError::Api { message, .. })
                if message.contains("not found") || message.contains("is not found") =>
            {
                return Ok(None);
            }
            other => optional(other)?,
        };
        let Some(out) = out else {
            return Ok(None);
        };
        let wg = required(&op, "WorkGroup", out.work_group)?;
        // WorkGroupSpec: CreateWorkGroupInput's members plus `State`.
        let mut spec = obj(&project(
            &SHAPES,
            "WorkGroupSpec",
            &to_json(&types::WorkGroup::from(wg))?,
        ));
        strip_echoed_defaults(&mut spec);
        let arn = self.workgroup_arn(name);
        let mut tags = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .caller
                .call(Op::read(SVC, "ListTagsForResource", kind, name), || {
                    self.client
                        .list_tags_for_resource()
                        .resource_arn(&arn)
                        .set_next_token(token.clone())
                        .send()
                })
                .await?;
            tags.extend(page.tags.unwrap_or_default());
            token = page.next_token.filter(|t| !t.is_empty());
            if token.is_none() {
                break;
            }
        }
        let tags = tags
            .into_iter()
            .filter_map(|t| Some((t.key?, t.value.unwrap_or_default())))
            .collect();
        put_nonempty(&mut spec, "Tags", tags_list(&spec_tags(tags)));
        Ok(Some(Value::Object(spec)))
    }

    async fn create_workgroup(&self, kind: &KindDef, spec: &Value) -> Result<(), ProviderError> {
        let id = id_of(kind, spec)?;
        let req: types::CreateWorkGroupInput = from_json(
            project(&SHAPES, "CreateWorkGroupInput", spec),
            "CreateWorkGroupInput",
        )?;
        let b =
            sdk::operation::create_work_group::builders::CreateWorkGroupInputBuilder::try_from(req)
                .map_err(|e| build_error(kind.name, e))?;
        self.caller
            .call(Op::write(SVC, "CreateWorkGroup", kind.name, &id), || {
                b.clone().send_with(&self.client)
            })
            .await?;
        // CreateWorkGroupInput has no State: a new workgroup is ENABLED, and
        // only UpdateWorkGroup disables it (awscli's update-work-group.rst).
        if let Some(state) = spec.get("State").and_then(Value::as_str)
            && state != "ENABLED"
        {
            self.set_workgroup_state(kind, &id, state).await?;
        }
        Ok(())
    }

    async fn set_workgroup_state(
        &self,
        kind: &KindDef,
        id: &str,
        state: &str,
    ) -> Result<(), ProviderError> {
        let state = sdk::types::WorkGroupState::from(state);
        self.caller
            .call(Op::write(SVC, "UpdateWorkGroup", kind.name, id), || {
                self.client
                    .update_work_group()
                    .work_group(id)
                    .state(state.clone())
                    .send()
            })
            .await?;
        Ok(())
    }

    async fn update_workgroup(
        &self,
        kind: &KindDef,
        spec: &Value,
        live: &Value,
    ) -> Result<(), ProviderError> {
        let id = id_of(kind, spec)?;
        let without_tags = |v: &Value| {
            let mut m = obj(v);
            m.remove("Tags");
            Value::Object(m)
        };
        if normalize(kind, &without_tags(spec)) != normalize(kind, &without_tags(live)) {
            let mut body = Map::new();
            body.insert("WorkGroup".into(), json!(id));
            body.insert(
                "Description".into(),
                spec.get("Description").cloned().unwrap_or(json!("")),
            );
            let updates = config_updates(
                live.get("Configuration").unwrap_or(&Value::Null),
                spec.get("Configuration").unwrap_or(&Value::Null),
                "WorkGroupConfiguration",
                "WorkGroupConfigurationUpdates",
            );
            put_nonempty(&mut body, "ConfigurationUpdates", Value::Object(updates));
            // A file without State means ENABLED (the kind's default), so
            // removing `"State": "DISABLED"` enables the workgroup again.
            body.insert(
                "State".into(),
                spec.get("State").cloned().unwrap_or(json!("ENABLED")),
            );
            let req: types::UpdateWorkGroupInput =
                from_json(Value::Object(body), "UpdateWorkGroupInput")?;
            let b =
                sdk::operation::update_work_group::builders::UpdateWorkGroupInputBuilder::try_from(
                    req,
                )
                .map_err(|e| build_error(kind.name, e))?;
            self.caller
                .call(Op::write(SVC, "UpdateWorkGroup", kind.name, &id), || {
                    b.clone().send_with(&self.client)
                })
                .await?;
        }
        let (set, remove) = tag_diff(&tags_map(live.get("Tags")), &tags_map(spec.get("Tags")));
        let arn = self.workgroup_arn(&id);
        if !remove.is_empty() {
            self.caller
                .call(Op::write(SVC, "UntagResource", kind.name, &id), || {
                    self.client
                        .untag_resource()
                        .resource_arn(&arn)
                        .set_tag_keys(Some(remove.clone()))
                        .send()
                })
                .await?;
        }
        if !set.is_empty() {
            let tags: Vec<_> = set
                .iter()
                .map(|(k, v)| sdk::types::Tag::builder().key(k).value(v).build())
                .collect();
            self.caller
                .call(Op::write(SVC, "TagResource", kind.name, &id), || {
                    self.client
                        .tag_resource()
                        .resource_arn(&arn)
                        .set_tags(Some(tags.clone()))
                        .send()
                })
                .await?;
        }
        Ok(())
    }

    async fn list_workgroups(&self, kind: &str) -> Result<Vec<String>, ProviderError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .caller
                .call(Op::read(SVC, "ListWorkGroups", kind, "*"), || {
                    self.client
                        .list_work_groups()
                        .set_next_token(token.clone())
                        .send()
                })
                .await?;
            out.extend(
                page.work_groups
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|w| w.name),
            );
            token = page.next_token.filter(|t| !t.is_empty());
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    // ---- views ----------------------------------------------------------

    async fn read_views(
        &self,
        kind: &str,
        ids: &[String],
    ) -> Result<Vec<Option<Value>>, ProviderError> {
        let tables = self.glue.tables_by_id(kind, ids).await?;
        Ok(tables
            .into_iter()
            .map(|t| t.and_then(|t| view_spec(&t)))
            .collect())
    }

    /// Runs one statement in `workgroup` and waits for it; Athena's own
    /// error on failure.
    async fn run_ddl(
        &self,
        kind: &str,
        id: &str,
        workgroup: &str,
        database: &str,
        catalog: &str,
        sql: &str,
    ) -> Result<(), ProviderError> {
        let q = Query {
            kind,
            id,
            workgroup,
            database,
            catalog,
            sql,
            timeout: QUERY_TIMEOUT,
        };
        run_query(&self.client, &self.caller, &q).await.map(|_| ())
    }

    async fn apply_view(&self, kind: &KindDef, spec: &Value) -> Result<(), ProviderError> {
        let id = id_of(kind, spec)?;
        let s = |k: &str| spec.get(k).and_then(Value::as_str);
        let (Some(name), Some(db), Some(wg), Some(sql)) =
            (s("Name"), s("Database"), s("WorkGroup"), s("Sql"))
        else {
            return Err(ProviderError::Other(format!(
                "{} `{id}` needs Name, Database, WorkGroup and Sql",
                kind.name
            )));
        };
        let catalog = s("Catalog").unwrap_or("AwsDataCatalog");
        let comment = s("Comment")
            .map(|c| format!(" COMMENT '{}'", c.replace('\'', "''")))
            .unwrap_or_default();
        let body = sql.trim().trim_end_matches(';').trim_end();
        let ddl = format!("CREATE OR REPLACE VIEW {db}.{name}{comment} AS {body}");
        self.run_ddl(kind.name, &id, wg, db, catalog, &ddl).await
    }
}

/// One Athena statement to run and wait for.
#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    /// What it is run for (a kind or `data_check`) and its id: for the call
    /// log and error messages.
    pub kind: &'a str,
    pub id: &'a str,
    pub workgroup: &'a str,
    pub database: &'a str,
    pub catalog: &'a str,
    pub sql: &'a str,
    /// Give up (and stop the query) after this long.
    pub timeout: Duration,
}

/// Starts `q`, polls it to completion with a growing interval (up to 2 s),
/// and returns its execution id; Athena's own error when it fails. Used by
/// view DDL and by `twh check`.
pub async fn run_query(
    client: &Client,
    caller: &Caller,
    q: &Query<'_>,
) -> Result<String, ProviderError> {
    let ctx = sdk::types::QueryExecutionContext::builder()
        .database(q.database)
        .catalog(q.catalog)
        .build();
    let started = caller
        .call(Op::write(SVC, "StartQueryExecution", q.kind, q.id), || {
            client
                .start_query_execution()
                .query_string(q.sql)
                .work_group(q.workgroup)
                .query_execution_context(ctx.clone())
                .send()
        })
        .await?;
    let qid = started
        .query_execution_id
        .ok_or_else(|| ProviderError::Other("Athena StartQueryExecution returned no id".into()))?;
    let deadline = tokio::time::Instant::now() + q.timeout;
    let mut wait = Duration::from_millis(100);
    loop {
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(2));
        let out = caller
            .call(Op::read(SVC, "GetQueryExecution", q.kind, q.id), || {
                client.get_query_execution().query_execution_id(&qid).send()
            })
            .await?;
        let status = out.query_execution.and_then(|x| x.status);
        let state = status.as_ref().and_then(|s| s.state.clone());
        match state {
            Some(sdk::types::QueryExecutionState::Succeeded) => return Ok(qid),
            Some(
                sdk::types::QueryExecutionState::Failed
                | sdk::types::QueryExecutionState::Cancelled,
            ) => {
                let reason = status
                    .as_ref()
                    .and_then(|s| {
                        s.athena_error
                            .as_ref()
                            .and_then(|e| e.error_message.clone())
                            .or_else(|| s.state_change_reason.clone())
                    })
                    .unwrap_or_else(|| "no reason given".into());
                return Err(ProviderError::Api {
                    service: SVC.into(),
                    operation: "StartQueryExecution".into(),
                    message: format!("{} `{}`: query {qid} failed: {reason}", q.kind, q.id),
                });
            }
            _ if tokio::time::Instant::now() > deadline => {
                // Do not leave it running (and billing) after giving up.
                let _ = caller
                    .call(Op::write(SVC, "StopQueryExecution", q.kind, q.id), || {
                        client
                            .stop_query_execution()
                            .query_execution_id(&qid)
                            .send()
                    })
                    .await;
                return Err(ProviderError::Other(format!(
                    "{} `{}`: query {qid} did not finish within {}s",
                    q.kind,
                    q.id,
                    q.timeout.as_secs()
                )));
            }
            _ => {}
        }
    }
}

/// The rows of a finished query, every page read: column names, the number
/// of data rows, and the first `keep` rows (NULL as `None`). The header row
/// Athena puts first in a SELECT's result is dropped.
pub async fn query_rows(
    client: &Client,
    caller: &Caller,
    kind: &str,
    id: &str,
    qid: &str,
    keep: usize,
) -> Result<QueryRows, ProviderError> {
    let mut out = QueryRows::default();
    let mut token: Option<String> = None;
    let mut first_page = true;
    loop {
        let page = caller
            .call(Op::read(SVC, "GetQueryResults", kind, id), || {
                client
                    .get_query_results()
                    .query_execution_id(qid)
                    .set_next_token(token.clone())
                    .send()
            })
            .await?;
        let set = page.result_set;
        if first_page {
            out.columns = set
                .as_ref()
                .and_then(|s| s.result_set_metadata.as_ref())
                .map(|m| {
                    m.column_info()
                        .iter()
                        .map(|c| c.name().to_string())
                        .collect()
                })
                .unwrap_or_default();
        }
        let mut rows = set.and_then(|s| s.rows).unwrap_or_default().into_iter();
        if first_page && !out.columns.is_empty() {
            rows.next(); // the header
        }
        first_page = false;
        for row in rows {
            out.count += 1;
            if out.sample.len() < keep {
                out.sample.push(
                    row.data
                        .unwrap_or_default()
                        .into_iter()
                        .map(|d| d.var_char_value)
                        .collect(),
                );
            }
        }
        token = page.next_token.filter(|t| !t.is_empty());
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// What [`query_rows`] read.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct QueryRows {
    pub columns: Vec<String>,
    pub count: u64,
    pub sample: Vec<Vec<Option<String>>>,
}

/// Drops the output-only effective engine version. The server defaults
/// Athena echoes (enforcement, metrics, requester pays, `AUTO` engine) are
/// declared as `defaults` of `athena_workgroup` and filled on both sides.
fn strip_echoed_defaults(spec: &mut Map<String, Value>) {
    let Some(Value::Object(cfg)) = spec.get_mut("Configuration") else {
        return;
    };
    if let Some(Value::Object(ev)) = cfg.get_mut("EngineVersion") {
        ev.remove("EffectiveEngineVersion");
    }
    // "returned by GetWorkGroup and is ignored on write" (botocore model):
    // output-only, although the input shape has it.
    cfg.remove("SystemTableStatuses");
    cfg.retain(|_, v| !matches!(v, Value::Object(m) if m.is_empty()));
}

/// `WorkGroupConfigurationUpdates` (or a nested `…Updates`) turning `live`
/// into `desired`: every desired member, `Remove<Member>: true` for members
/// only live has, and nested `<Member>Updates` built the same way.
fn config_updates(live: &Value, desired: &Value, shape: &str, updates: &str) -> Map<String, Value> {
    let empty = Map::new();
    let live = live.as_object().unwrap_or(&empty);
    let desired = desired.as_object().unwrap_or(&empty);
    let mut out = Map::new();
    for (k, v) in desired {
        if let Some(off) = turn_off(shape, k, live.get(k), Some(v)) {
            out.insert(k.clone(), off);
            continue;
        }
        let nested = format!("{k}Updates");
        match (
            member_shape(&SHAPES, shape, k),
            member_shape(&SHAPES, updates, &nested),
        ) {
            (Some(inner), Some(inner_updates)) => {
                let u =
                    config_updates(live.get(k).unwrap_or(&Value::Null), v, inner, inner_updates);
                put_nonempty(&mut out, &nested, Value::Object(u));
            }
            _ if has_member(&SHAPES, updates, k) => {
                out.insert(k.clone(), v.clone());
            }
            _ => {}
        }
    }
    for (k, v) in live {
        if desired.contains_key(k) {
            continue;
        }
        let remove = format!("Remove{k}");
        let nested = format!("{k}Updates");
        if let Some(off) = turn_off(shape, k, Some(v), None) {
            out.insert(k.clone(), off);
        } else if has_member(&SHAPES, updates, &remove) {
            out.insert(remove, Value::Bool(true));
        } else if let (Some(inner), Some(inner_updates)) = (
            member_shape(&SHAPES, shape, k),
            member_shape(&SHAPES, updates, &nested),
        ) {
            let u = config_updates(v, &Value::Null, inner, inner_updates);
            put_nonempty(&mut out, &nested, Value::Object(u));
        }
    }
    out
}

/// Two workgroup members have no `Remove*` flag but can be switched off,
/// which is what removing them from the file asks for:
///
/// - `MonitoringConfiguration` is sent whole, each logging block the file
///   dropped as `{"Enabled": false}`. `Enabled` is the one required member
///   of every block (botocore model), and Terraform's aws_athena_workgroup
///   does the same when a block is removed ("When monitoring_configuration
///   block is removed ... the cloud_watch_logging_configuration is
///   disabled").
/// - `QueryResultsS3AccessGrantsConfiguration` removed is sent as
///   `EnableS3AccessGrants: false` with AWS's own `AuthenticationType` (both
///   are required members).
///
/// What AWS then holds (a disabled block) is recorded after the sync and is
/// not a change afterwards (three-way plan). `None` for every other member.
/// The members with no way back at all (`ExecutionRole`,
/// `AdditionalConfiguration`, `EngineConfiguration`) are `removal_replaces`
/// of the kind: the plan replaces the workgroup and says why.
fn turn_off(
    shape: &str,
    key: &str,
    live: Option<&Value>,
    desired: Option<&Value>,
) -> Option<Value> {
    if shape != "WorkGroupConfiguration" {
        return None;
    }
    match key {
        "MonitoringConfiguration" => {
            let mut out = desired
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            for block in live
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(Map::keys)
            {
                out.entry(block.clone())
                    .or_insert_with(|| json!({"Enabled": false}));
            }
            Some(Value::Object(out))
        }
        "QueryResultsS3AccessGrantsConfiguration" if desired.is_none() => {
            let live = live?;
            Some(json!({
                "EnableS3AccessGrants": false,
                "AuthenticationType": live.get("AuthenticationType").cloned().unwrap_or(json!("DIRECTORY_IDENTITY")),
            }))
        }
        _ => None,
    }
}

/// The `athena_view` spec of a Glue table holding a Presto view; `None`
/// for anything else (a plain table of the same name is not this view).
fn view_spec(t: &aws_sdk_glue::types::Table) -> Option<Value> {
    let text = t.view_original_text.as_deref()?;
    let encoded = text
        .trim()
        .strip_prefix(VIEW_PREFIX)?
        .strip_suffix(VIEW_SUFFIX)?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let view: Value = serde_json::from_slice(&decoded).ok()?;
    let mut spec = Map::new();
    spec.insert("Name".into(), json!(t.name));
    spec.insert("Database".into(), json!(t.database_name.clone()?));
    spec.insert(
        "Sql".into(),
        json!(view.get("originalSql").and_then(Value::as_str)?),
    );
    let catalog = view
        .get("catalog")
        .and_then(Value::as_str)
        .unwrap_or("awsdatacatalog");
    spec.insert(
        "Catalog".into(),
        json!(if catalog.eq_ignore_ascii_case("awsdatacatalog") {
            "AwsDataCatalog"
        } else {
            catalog
        }),
    );
    if let Some(c) = view.get("comment").and_then(Value::as_str) {
        spec.insert("Comment".into(), json!(c));
    }
    Some(Value::Object(spec))
}

#[async_trait::async_trait]
impl Provider for AthenaProvider {
    async fn read(
        &self,
        kind: &'static KindDef,
        ids: &[String],
    ) -> Result<Vec<Option<Value>>, ProviderError> {
        match kind.name {
            "athena_workgroup" => concurrently(ids, |id| self.read_workgroup(kind.name, id)).await,
            "athena_view" => self.read_views(kind.name, ids).await,
            other => Err(unsupported(other, SVC)),
        }
    }

    async fn create(&self, kind: &'static KindDef, spec: &Value) -> Result<(), ProviderError> {
        match kind.name {
            "athena_workgroup" => self.create_workgroup(kind, spec).await,
            "athena_view" => self.apply_view(kind, spec).await,
            other => Err(unsupported(other, SVC)),
        }
    }

    async fn update(
        &self,
        kind: &'static KindDef,
        spec: &Value,
        live: &Value,
    ) -> Result<(), ProviderError> {
        match kind.name {
            "athena_workgroup" => self.update_workgroup(kind, spec, live).await,
            "athena_view" => self.apply_view(kind, spec).await,
            other => Err(unsupported(other, SVC)),
        }
    }

    async fn delete(&self, kind: &'static KindDef, id: &str) -> Result<(), ProviderError> {
        match kind.name {
            "athena_workgroup" => {
                self.caller
                    .call(Op::write(SVC, "DeleteWorkGroup", kind.name, id), || {
                        self.client.delete_work_group().work_group(id).send()
                    })
                    .await?;
                Ok(())
            }
            // A view is a Glue table; dropping it needs no workgroup.
            "athena_view" => {
                split_id(kind.name, id)?;
                self.glue.delete_table(kind.name, id).await
            }
            other => Err(unsupported(other, SVC)),
        }
    }

    async fn list(&self, kind: &'static KindDef) -> Result<Vec<String>, ProviderError> {
        match kind.name {
            "athena_workgroup" => self.list_workgroups(kind.name).await,
            "athena_view" => {
                self.glue
                    .list_tables(kind.name, |t| t == Some("VIRTUAL_VIEW"))
                    .await
            }
            other => Err(unsupported(other, SVC)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removed_fields_get_their_remove_flags() {
        let live = json!({"ResultConfiguration": {"OutputLocation": "s3://a/", "ExpectedBucketOwner": "1"},
                          "BytesScannedCutoffPerQuery": 10_000_000});
        let desired = json!({"ResultConfiguration": {"OutputLocation": "s3://b/"}});
        let u = config_updates(
            &live,
            &desired,
            "WorkGroupConfiguration",
            "WorkGroupConfigurationUpdates",
        );
        assert_eq!(
            Value::Object(u),
            json!({"ResultConfigurationUpdates": {"OutputLocation": "s3://b/", "RemoveExpectedBucketOwner": true},
                   "RemoveBytesScannedCutoffPerQuery": true})
        );
    }

    /// Issue 11: MonitoringConfiguration and
    /// QueryResultsS3AccessGrantsConfiguration have no `Remove*` flag, so
    /// removing them from the file sent nothing and they stayed on.
    #[test]
    fn members_without_a_remove_flag_are_switched_off() {
        let live = json!({"MonitoringConfiguration": {
                              "CloudWatchLoggingConfiguration": {"Enabled": true, "LogGroup": "/a"},
                              "S3LoggingConfiguration": {"Enabled": true, "LogLocation": "s3://b/"}},
                          "QueryResultsS3AccessGrantsConfiguration": {
                              "EnableS3AccessGrants": true, "AuthenticationType": "DIRECTORY_IDENTITY"}});
        let desired = json!({"MonitoringConfiguration": {
                                 "S3LoggingConfiguration": {"Enabled": true, "LogLocation": "s3://c/"}}});
        let u = config_updates(
            &live,
            &desired,
            "WorkGroupConfiguration",
            "WorkGroupConfigurationUpdates",
        );
        assert_eq!(
            Value::Object(u),
            json!({"MonitoringConfiguration": {
                       "CloudWatchLoggingConfiguration": {"Enabled": false},
                       "S3LoggingConfiguration": {"Enabled": true, "LogLocation": "s3://c/"}},
                   "QueryResultsS3AccessGrantsConfiguration": {
                       "EnableS3AccessGrants": false, "AuthenticationType": "DIRECTORY_IDENTITY"}})
        );
        let u = config_updates(
            &live,
            &json!({}),
            "WorkGroupConfiguration",
            "WorkGroupConfigurationUpdates",
        );
        assert_eq!(
            u.get("MonitoringConfiguration"),
            Some(
                &json!({"CloudWatchLoggingConfiguration": {"Enabled": false},
                         "S3LoggingConfiguration": {"Enabled": false}})
            )
        );
    }

    #[test]
    fn presto_views_decode_to_their_sql() {
        let body = json!({"originalSql": "SELECT 1 AS x", "catalog": "awsdatacatalog", "schema": "db", "columns": []});
        let text = format!(
            "{VIEW_PREFIX}{}{VIEW_SUFFIX}",
            base64::engine::general_purpose::STANDARD.encode(body.to_string())
        );
        let t = aws_sdk_glue::types::Table::builder()
            .name("v")
            .database_name("db")
            .view_original_text(text)
            .build()
            .expect("table");
        assert_eq!(
            view_spec(&t),
            Some(
                json!({"Name": "v", "Database": "db", "Sql": "SELECT 1 AS x", "Catalog": "AwsDataCatalog"})
            )
        );
    }
}
