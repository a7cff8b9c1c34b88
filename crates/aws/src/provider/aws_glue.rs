//! Glue: `glue_database`, `glue_table`, `glue_crawler`, `glue_job`.
//!
//! Reads are batched where Glue can (BatchGetCrawlers by 100, GetTables per
//! database, BatchGetJobs by 100) and return the kind's spec shape: the
//! output shape projected onto the input shape, account fields filled.
//! Full-replace updates are built from live overlaid with desired and are
//! never sent when they would not change anything.

use std::collections::HashMap;

use aws_sdk_glue as sdk;
use aws_sdk_glue::Client;
use serde_json::{Map, Value, json};

use super::aws_common::{
    Caller, Op, build_error, concurrently, from_json, id_of, obj, optional, put_nonempty, required,
    same_name, spec_tags, split_id, tag_diff, tags_map, tags_object, to_json, unsupported,
};
use super::propagation::{self, role_of};
use twh_core::kinds::KindDef;
use twh_core::kinds::normalize::normalize;
use twh_core::provider::{Provider, ProviderError};
use twh_core::spec::generated::glue::{SHAPES, types};
use twh_core::spec::project::{overlay, project};

const SVC: &str = "glue";
/// BatchGetCrawlers and BatchGetJobs take at most this many names.
const BATCH: usize = 100;

#[derive(Clone)]
pub struct GlueProvider {
    client: Client,
    caller: Caller,
}

/// A generated request type from spec JSON, projected onto its shape first
/// so members of the spec the request lacks (`Tags`) fall away.
fn request<T: serde::de::DeserializeOwned>(shape: &str, v: &Value) -> Result<T, ProviderError> {
    from_json(project(&SHAPES, shape, v), shape)
}

impl GlueProvider {
    pub fn new(client: Client, caller: Caller) -> Self {
        Self { client, caller }
    }

    fn arn(&self, what: &str, name: &str) -> String {
        format!(
            "arn:aws:glue:{}:{}:{what}/{name}",
            self.caller.region(),
            self.caller.account()
        )
    }

    // ---- tags -----------------------------------------------------------

    async fn tags(&self, kind: &str, id: &str, arn: &str) -> Result<Value, ProviderError> {
        let out = self
            .caller
            .call(Op::read(SVC, "GetTags", kind, id), || {
                self.client.get_tags().resource_arn(arn).send()
            })
            .await?;
        let tags = out.tags.unwrap_or_default().into_iter().collect();
        Ok(tags_object(&spec_tags(tags)))
    }

    async fn sync_tags(
        &self,
        kind: &str,
        id: &str,
        arn: &str,
        live: &Value,
        desired: &Value,
    ) -> Result<(), ProviderError> {
        let (set, remove) = tag_diff(&tags_map(live.get("Tags")), &tags_map(desired.get("Tags")));
        if !remove.is_empty() {
            self.caller
                .call(Op::write(SVC, "UntagResource", kind, id), || {
                    self.client
                        .untag_resource()
                        .resource_arn(arn)
                        .set_tags_to_remove(Some(remove.clone()))
                        .send()
                })
                .await?;
        }
        if !set.is_empty() {
            let set: HashMap<_, _> = set.into_iter().collect();
            self.caller
                .call(Op::write(SVC, "TagResource", kind, id), || {
                    self.client
                        .tag_resource()
                        .resource_arn(arn)
                        .set_tags_to_add(Some(set.clone()))
                        .send()
                })
                .await?;
        }
        Ok(())
    }

    // ---- databases ------------------------------------------------------

    async fn read_database(&self, kind: &str, name: &str) -> Result<Option<Value>, ProviderError> {
        let op = Op::read(SVC, "GetDatabase", kind, name);
        let out = optional(
            self.caller
                .call(op, || self.client.get_database().name(name).send())
                .await,
        )?;
        let Some(out) = out else {
            return Ok(None);
        };
        let db = required(&op, "Database", out.database)?;
        same_name(&op, &db.name)?;
        let mut input = project(
            &SHAPES,
            "DatabaseInput",
            &to_json(&types::Database::from(db))?,
        );
        // Glue echoes the IAM_ALLOWED_PRINCIPALS default when none was given.
        if let Some(Value::Object(m)) = Some(&mut input)
            && m.get("CreateTableDefaultPermissions")
                == Some(
                    &json!([{"Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}, "Permissions": ["ALL"]}]),
                )
        {
            m.remove("CreateTableDefaultPermissions");
        }
        let mut spec = Map::new();
        spec.insert("CatalogId".into(), json!(self.caller.account()));
        spec.insert("DatabaseInput".into(), input);
        let tags = self.tags(kind, name, &self.arn("database", name)).await?;
        put_nonempty(&mut spec, "Tags", tags);
        Ok(Some(Value::Object(spec)))
    }

    async fn create_database(&self, kind: &KindDef, spec: &Value) -> Result<(), ProviderError> {
        let id = id_of(kind, spec)?;
        let req: types::CreateDatabaseRequest = request("CreateDatabaseRequest", spec)?;
        let b =
            sdk::operation::create_database::builders::CreateDatabaseInputBuilder::try_from(req)
                .map_err(|e| build_error(kind.name, e))?;
        self.caller
            .call(Op::write(SVC, "CreateDatabase", kind.name, &id), || {
                b.clone().send_with(&self.client)
            })
            .await?;
        Ok(())
    }

    async fn update_database(
        &self,
        kind: &KindDef,
        spec: &Value,
        live: &Value,
    ) -> Result<(), ProviderError> {
        let id = id_of(kind, spec)?;
        let live_input = live.get("DatabaseInput").cloned().unwrap_or(Value::Null);
        let body = overlay(
            &SHAPES,
            "DatabaseInput",
            &live_input,
            spec.get("DatabaseInput").unwrap_or(&Value::Null),
        );
        if normalize(kind, &json!({"DatabaseInput": body}))
            != normalize(kind, &json!({"DatabaseInput": live_input}))
        {
            let req: types::UpdateDatabaseRequest = from_json(
                json!({"CatalogId": spec.get("CatalogId"), "Name": id, "DatabaseInput": body}),
                "UpdateDatabaseRequest",
            )?;
            let b =
                sdk::operation::update_database::builders::UpdateDatabaseInputBuilder::try_from(
                    req,
                )
                .map_err(|e| build_error(kind.name, e))?;
            self.caller
                .call(Op::write(SVC, "UpdateDatabase", kind.name, &id), || {
                    b.clone().send_with(&self.client)
                })
                .await?;
        }
        self.sync_tags(kind.name, &id, &self.arn("database", &id), live, spec)
            .await
    }

    // ---- tables -----------------------------------------------------------

    /// Every table of `database` (paged); `None` when the database is missing.
    pub async fn tables(
        &self,
        kind: &str,
        database: &str,
    ) -> Result<Option<Vec<sdk::types::Table>>, ProviderError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let op = Op::read(SVC, "GetTables", kind, database);
            let page = optional(
                self.caller
                    .call(op, || {
                        self.client
                            .get_tables()
                            .database_name(database)
                            .set_next_token(token.clone())
                            .send()
                    })
                    .await,
            )?;
            let Some(page) = page else {
                return Ok(None);
            };
            out.extend(required(&op, "TableList", page.table_list)?);
            token = page.next_token.filter(|t| !t.is_empty());
            if token.is_none() {
                return Ok(Some(out));
            }
        }
    }

    /// Reads `ids` (`db.name`) with one paged GetTables per database.
    pub async fn tables_by_id(
        &self,
        kind: &str,
        ids: &[String],
    ) -> Result<Vec<Option<sdk::types::Table>>, ProviderError> {
        let mut dbs: Vec<&str> = Vec::new();
        for id in ids {
            let (db, _) = split_id(kind, id)?;
            if !dbs.contains(&db) {
                dbs.push(db);
            }
        }
        let per_db = concurrently(dbs.iter().copied(), |db| async move {
            Ok((db, self.tables(kind, db).await?.unwrap_or_default()))
        })
        .await?;
        let mut by_id: HashMap<String, sdk::types::Table> = HashMap::new();
        for (db, tables) in per_db {
            for t in tables {
                by_id.insert(format!("{db}.{}", t.name), t);
            }
        }
        Ok(ids.iter().map(|id| by_id.remove(id)).collect())
    }

    fn table_spec(&self, t: sdk::types::Table) -> Result<Value, ProviderError> {
        let database = t.database_name.clone();
        let input = project(&SHAPES, "TableInput", &to_json(&types::Table::from(t))?);
        let mut spec = Map::new();
        spec.insert("CatalogId".into(), json!(self.caller.account()));
        spec.insert("DatabaseName".into(), json!(database));
        spec.insert("TableInput".into(), input);
        Ok(Value::Object(spec))
    }

    async fn create_table(&self, kind: &KindDef, spec: &Value) -> Result<(), ProviderError> {
        let id = id_of(kind, spec)?;
        let req: types::CreateTableRequest = request("CreateTableRequest", spec)?;
        let b = sdk::operation::create_table::builders::CreateTableInputBuilder::try_from(req)
            .map_err(|e| build_error(kind.name, e))?;
        self.caller
            .call(Op::write(SVC, "CreateTable", kind.name, &id), || {
                b.clone().send_with(&self.client)
            })
            .await?;
        Ok(())
    }

    async fn update_table(
        &self,
        kind: &KindDef,
        spec: &Value,
        live: &Value,
    ) -> Result<(), ProviderError> {
        let id = id_of(kind, spec)?;
        let live_input = live.get("TableInput").cloned().unwrap_or(Value::Null);
        let body = overlay(
            &SHAPES,
            "TableInput",
            &live_input,
            spec.get("TableInput").unwrap_or(&Value::Null),
        );
        let mut candidate = obj(live);
        candidate.insert("TableInput".into(), body.clone());
        if normalize(kind, &Value::Object(candidate)) == normalize(kind, live) {
            return Ok(());
        }
        let req: types::UpdateTableRequest = from_json(
            json!({"CatalogId": spec.get("CatalogId"), "DatabaseName": spec.get("DatabaseName"),
                   "TableInput": body, "SkipArchive": true}),
            "UpdateTableRequest",
        )?;
        let b = sdk::operation::update_table::builders::UpdateTableInputBuilder::try_from(req)
            .map_err(|e| build_error(kind.name, e))?;
        self.caller
            .call(Op::write(SVC, "UpdateTable", kind.name, &id), || {
                b.clone().send_with(&self.client)
            })
            .await?;
        Ok(())
    }

    /// Deletes a catalog table (tables and views alike).
    pub async fn delete_table(&self, kind: &str, id: &str) -> Result<(), ProviderError> {
        let (db, name) = split_id(kind, id)?;
        self.caller
            .call(Op::write(SVC, "DeleteTable", kind, id), || {
                self.client
                    .delete_table()
                    .database_name(db)
                    .name(name)
                    .send()
            })
            .await?;
        Ok(())
    }

    /// Every database name (paged).
    pub async fn databases(&self, kind: &str) -> Result<Vec<String>, ProviderError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .caller
                .call(Op::read(SVC, "GetDatabases", kind, "*"), || {
                    self.client
                        .get_databases()
                        .set_next_token(token.clone())
                        .send()
                })
                .await?;
            out.extend(page.database_list.into_iter().map(|d| d.name));
            token = page.next_token.filter(|t| !t.is_empty());
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    /// `db.name` of every catalog table whose type `keep` accepts.
    pub async fn list_tables(
        &self,
        kind: &str,
        keep: fn(Option<&str>) -> bool,
    ) -> Result<Vec<String>, ProviderError> {
        let dbs = self.databases(kind).await?;
        let per_db = concurrently(dbs.iter(), |db| async move {
            Ok((db, self.tables(kind, db).await?.unwrap_or_default()))
        })
        .await?;
        Ok(per_db
            .into_iter()
            .flat_map(|(db, ts)| {
                ts.into_iter()
                    .filter(|t| keep(t.table_type.as_deref()))
                    .map(move |t| format!("{db}.{}", t.name))
            })
            .collect())
    }

    // ---- crawlers -------------------------------------------------------

    async fn read_crawlers(
        &self,
        kind: &str,
        ids: &[String],
    ) -> Result<Vec<Option<Value>>, ProviderError> {
        let op = Op::read(SVC, "BatchGetCrawlers", kind, "*");
        let found = batch_by_name(ids, op, |names| async move {
            let out = self
                .caller
                .call(op, || {
                    self.client
                        .batch_get_crawlers()
                        .set_crawler_names(Some(names.to_vec()))
                        .send()
                })
                .await?;
            let crawlers = out
                .crawlers
                .unwrap_or_default()
                .into_iter()
                .map(|c| Ok((required(&op, "Crawlers[].Name", c.name.clone())?, c)))
                .collect::<Result<Vec<_>, ProviderError>>()?;
            Ok((crawlers, out.crawlers_not_found.unwrap_or_default()))
        })
        .await?;
        concurrently(ids.iter().zip(found), |(id, c)| async move {
            match c {
                None => Ok(None),
                Some(c) => {
                    let mut v = to_json(&types::Crawler::from(c))?;
                    // GetCrawler's `Schedule` is an object; the input's a string.
                    if let Some(Value::Object(m)) = Some(&mut v)
                        && let Some(s) = m.get("Schedule").cloned()
                    {
                        match s.get("ScheduleExpression").and_then(Value::as_str) {
                            Some(expr) if !expr.is_empty() => {
                                m.insert("Schedule".into(), json!(expr));
                            }
                            _ => {
                                m.remove("Schedule");
                            }
                        }
                    }
                    let mut spec = obj(&project(&SHAPES, "CreateCrawlerRequest", &v));
                    let tags = self.tags(kind, id, &self.arn("crawler", id)).await?;
                    put_nonempty(&mut spec, "Tags", tags);
                    Ok(Some(Value::Object(spec)))
                }
            }
        })
        .await
    }

    async fn create_crawler(&self, kind: &KindDef, spec: &Value) -> Result<(), ProviderError> {
        let id = id_of(kind, spec)?;
        let req: types::CreateCrawlerRequest = request("CreateCrawlerRequest", spec)?;
        let b = sdk::operation::create_crawler::builders::CreateCrawlerInputBuilder::try_from(req)
            .map_err(|e| build_error(kind.name, e))?;
        self.caller
            .call_as_role_propagates(
                Op::write(SVC, "CreateCrawler", kind.name, &id),
                role_of(spec).as_deref(),
                propagation::GLUE,
                || b.clone().send_with(&self.client),
            )
            .await?;
        Ok(())
    }

    /// UpdateCrawler with the whole desired body: server defaults for the
    /// policies left out, `""` to clear a string member the file dropped.
    async fn update_crawler(
        &self,
        kind: &KindDef,
        spec: &Value,
        live: &Value,
    ) -> Result<(), ProviderError> {
        let id = id_of(kind, spec)?;
        let strip_tags = |v: &Value| {
            let mut m = obj(v);
            m.remove("Tags");
            Value::Object(m)
        };
        if normalize(kind, &strip_tags(spec)) != normalize(kind, &strip_tags(live)) {
            let body = update_crawler_body(kind, spec, live);
            let req: types::UpdateCrawlerRequest =
                from_json(Value::Object(body), "UpdateCrawlerRequest")?;
            let b =
                sdk::operation::update_crawler::builders::UpdateCrawlerInputBuilder::try_from(req)
                    .map_err(|e| build_error(kind.name, e))?;
            self.caller
                .call_as_role_propagates(
                    Op::write(SVC, "UpdateCrawler", kind.name, &id),
                    role_of(spec).as_deref(),
                    propagation::GLUE,
                    || b.clone().send_with(&self.client),
                )
                .await?;
        }
        self.sync_tags(kind.name, &id, &self.arn("crawler", &id), live, spec)
            .await
    }

    async fn list_crawlers(&self, kind: &str) -> Result<Vec<String>, ProviderError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .caller
                .call(Op::read(SVC, "ListCrawlers", kind, "*"), || {
                    self.client
                        .list_crawlers()
                        .set_next_token(token.clone())
                        .send()
                })
                .await?;
            out.extend(page.crawler_names.unwrap_or_default());
            token = page.next_token.filter(|t| !t.is_empty());
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    // ---- jobs -----------------------------------------------------------

    async fn read_jobs(
        &self,
        kind: &str,
        ids: &[String],
    ) -> Result<Vec<Option<Value>>, ProviderError> {
        let op = Op::read(SVC, "BatchGetJobs", kind, "*");
        let found = batch_by_name(ids, op, |names| async move {
            let out = self
                .caller
                .call(op, || {
                    self.client
                        .batch_get_jobs()
                        .set_job_names(Some(names.to_vec()))
                        .send()
                })
                .await?;
            let jobs = out
                .jobs
                .unwrap_or_default()
                .into_iter()
                .map(|j| Ok((required(&op, "Jobs[].Name", j.name.clone())?, j)))
                .collect::<Result<Vec<_>, ProviderError>>()?;
            Ok((jobs, out.jobs_not_found.unwrap_or_default()))
        })
        .await?;
        concurrently(ids.iter().zip(found), |(id, j)| async move {
            match j {
                None => Ok(None),
                Some(j) => {
                    let mut v = obj(&to_json(&types::Job::from(j))?);
                    // AllocatedCapacity is the deprecated echo of MaxCapacity.
                    v.remove("AllocatedCapacity");
                    if v.contains_key("WorkerType") {
                        v.remove("MaxCapacity");
                    }
                    let mut spec = obj(&project(&SHAPES, "CreateJobRequest", &Value::Object(v)));
                    let tags = self.tags(kind, id, &self.arn("job", id)).await?;
                    put_nonempty(&mut spec, "Tags", tags);
                    Ok(Some(Value::Object(spec)))
                }
            }
        })
        .await
    }

    async fn create_job(&self, kind: &KindDef, spec: &Value) -> Result<(), ProviderError> {
        let id = id_of(kind, spec)?;
        let req: types::CreateJobRequest = request("CreateJobRequest", spec)?;
        let b = sdk::operation::create_job::builders::CreateJobInputBuilder::try_from(req)
            .map_err(|e| build_error(kind.name, e))?;
        self.caller
            .call_as_role_propagates(
                Op::write(SVC, "CreateJob", kind.name, &id),
                role_of(spec).as_deref(),
                propagation::GLUE,
                || b.clone().send_with(&self.client),
            )
            .await?;
        Ok(())
    }

    async fn update_job(
        &self,
        kind: &KindDef,
        spec: &Value,
        live: &Value,
    ) -> Result<(), ProviderError> {
        let id = id_of(kind, spec)?;
        let mut live_body = obj(live);
        live_body.remove("Tags");
        let mut desired = obj(spec);
        desired.remove("Tags");
        let body = overlay(
            &SHAPES,
            "CreateJobRequest",
            &Value::Object(live_body.clone()),
            &Value::Object(desired),
        );
        if normalize(kind, &body) != normalize(kind, &Value::Object(live_body)) {
            let req: types::UpdateJobRequest = from_json(
                json!({"JobName": id, "JobUpdate": project(&SHAPES, "JobUpdate", &body)}),
                "UpdateJobRequest",
            )?;
            let b = sdk::operation::update_job::builders::UpdateJobInputBuilder::try_from(req)
                .map_err(|e| build_error(kind.name, e))?;
            self.caller
                .call_as_role_propagates(
                    Op::write(SVC, "UpdateJob", kind.name, &id),
                    role_of(spec).as_deref(),
                    propagation::GLUE,
                    || b.clone().send_with(&self.client),
                )
                .await?;
        }
        self.sync_tags(kind.name, &id, &self.arn("job", &id), live, spec)
            .await
    }

    async fn list_jobs(&self, kind: &str) -> Result<Vec<String>, ProviderError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .caller
                .call(Op::read(SVC, "ListJobs", kind, "*"), || {
                    self.client.list_jobs().set_next_token(token.clone()).send()
                })
                .await?;
            out.extend(page.job_names.unwrap_or_default());
            token = page.next_token.filter(|t| !t.is_empty());
            if token.is_none() {
                return Ok(out);
            }
        }
    }
}

/// A batch read must account for every name asked: found or listed as not
/// found. A name in neither means the answer was cut short or mangled, and
/// taking it as "absent" would make the plan create a duplicate.
/// The UpdateCrawler body turning `live` into `spec`. UpdateCrawler keeps
/// a member that is absent, so the whole desired body is sent, with the
/// server defaults for the policies the file leaves out, and `""` for each
/// string member the file dropped: that is how UpdateCrawler clears
/// `Schedule`, `TablePrefix` and `Configuration` (Terraform's
/// `updateCrawlerInput` sends `""` for them), and the same holds for
/// `Description` and `CrawlerSecurityConfiguration`, whose shapes take a
/// zero-length string (`DescriptionStringRemovable`, `min: 0`, and
/// `CrawlerSecurityConfiguration`, `min: 0`, in the Glue model).
fn update_crawler_body(kind: &KindDef, spec: &Value, live: &Value) -> Map<String, Value> {
    let mut body = obj(&project(&SHAPES, "UpdateCrawlerRequest", spec));
    for (pointer, default) in kind.defaults {
        let key = pointer.trim_start_matches('/');
        if !body.contains_key(key)
            && let Ok(d) = serde_json::from_str::<Value>(default)
        {
            body.insert(key.to_string(), d);
        }
    }
    for key in [
        "Schedule",
        "TablePrefix",
        "Configuration",
        "Description",
        "CrawlerSecurityConfiguration",
    ] {
        if !body.contains_key(key) && live.get(key).is_some() {
            body.insert(key.into(), json!(""));
        }
    }
    body
}

/// Reads `ids` through a Glue batch-get API (`BatchGetCrawlers`,
/// `BatchGetJobs`), `BATCH` names a call, concurrently. `get` makes one call
/// and returns what it found, by name, and the names AWS lists as not found;
/// every name asked must be in one or the other. The result follows `ids`,
/// `None` where absent.
async fn batch_by_name<'a, T, F, Fut>(
    ids: &'a [String],
    op: Op<'_>,
    get: F,
) -> Result<Vec<Option<T>>, ProviderError>
where
    F: Fn(&'a [String]) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<(String, T)>, Vec<String>), ProviderError>>,
{
    let found = concurrently(ids.chunks(BATCH), |names| {
        let call = get(names);
        async move {
            let (items, not_found) = call.await?;
            answered_every(
                &op,
                names,
                items.iter().map(|(n, _)| n.as_str()),
                &not_found,
            )?;
            Ok(items)
        }
    })
    .await?;
    let mut by_name: HashMap<String, T> = found.into_iter().flatten().collect();
    Ok(ids.iter().map(|id| by_name.remove(id)).collect())
}

fn answered_every<'a>(
    op: &Op<'_>,
    asked: &[String],
    found: impl Iterator<Item = &'a str>,
    not_found: &'a [String],
) -> Result<(), ProviderError> {
    let answered: std::collections::HashSet<&str> =
        found.chain(not_found.iter().map(String::as_str)).collect();
    match asked.iter().find(|n| !answered.contains(n.as_str())) {
        None => Ok(()),
        Some(missing) => Err(ProviderError::Malformed {
            service: op.service.into(),
            operation: op.operation.into(),
            message: format!(
                "the answer neither returns nor lists as not found {} `{missing}`; nothing was changed, retry later or report it if it persists",
                op.kind
            ),
        }),
    }
}

#[async_trait::async_trait]
impl Provider for GlueProvider {
    async fn read(
        &self,
        kind: &'static KindDef,
        ids: &[String],
    ) -> Result<Vec<Option<Value>>, ProviderError> {
        match kind.name {
            "glue_database" => concurrently(ids, |id| self.read_database(kind.name, id)).await,
            "glue_table" => {
                let tables = self.tables_by_id(kind.name, ids).await?;
                tables
                    .into_iter()
                    .map(|t| t.map(|t| self.table_spec(t)).transpose())
                    .collect()
            }
            "glue_crawler" => self.read_crawlers(kind.name, ids).await,
            "glue_job" => self.read_jobs(kind.name, ids).await,
            other => Err(unsupported(other, SVC)),
        }
    }

    async fn create(&self, kind: &'static KindDef, spec: &Value) -> Result<(), ProviderError> {
        match kind.name {
            "glue_database" => self.create_database(kind, spec).await,
            "glue_table" => self.create_table(kind, spec).await,
            "glue_crawler" => self.create_crawler(kind, spec).await,
            "glue_job" => self.create_job(kind, spec).await,
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
            "glue_database" => self.update_database(kind, spec, live).await,
            "glue_table" => self.update_table(kind, spec, live).await,
            "glue_crawler" => self.update_crawler(kind, spec, live).await,
            "glue_job" => self.update_job(kind, spec, live).await,
            other => Err(unsupported(other, SVC)),
        }
    }

    async fn delete(&self, kind: &'static KindDef, id: &str) -> Result<(), ProviderError> {
        let k = kind.name;
        match k {
            "glue_database" => {
                self.caller
                    .call(Op::write(SVC, "DeleteDatabase", k, id), || {
                        self.client.delete_database().name(id).send()
                    })
                    .await?;
            }
            "glue_table" => self.delete_table(k, id).await?,
            "glue_crawler" => {
                self.caller
                    .call(Op::write(SVC, "DeleteCrawler", k, id), || {
                        self.client.delete_crawler().name(id).send()
                    })
                    .await?;
            }
            "glue_job" => {
                self.caller
                    .call(Op::write(SVC, "DeleteJob", k, id), || {
                        self.client.delete_job().job_name(id).send()
                    })
                    .await?;
            }
            other => return Err(unsupported(other, SVC)),
        }
        Ok(())
    }

    async fn list(&self, kind: &'static KindDef) -> Result<Vec<String>, ProviderError> {
        match kind.name {
            "glue_database" => self.databases(kind.name).await,
            "glue_table" => {
                self.list_tables(kind.name, |t| t != Some("VIRTUAL_VIEW"))
                    .await
            }
            "glue_crawler" => self.list_crawlers(kind.name).await,
            "glue_job" => self.list_jobs(kind.name).await,
            other => Err(unsupported(other, SVC)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 11: a `CrawlerSecurityConfiguration` removed from the file was
    /// left out of UpdateCrawler, which keeps what is absent, so it could
    /// never be cleared.
    #[test]
    fn members_the_file_dropped_are_cleared_with_empty_strings() {
        let kind = twh_core::kinds::kind("glue_crawler").expect("kind");
        let spec = json!({"Name": "c", "Role": "r", "DatabaseName": "db",
                          "Targets": {"S3Targets": [{"Path": "s3://b/"}]}});
        let mut live = spec.clone();
        live["CrawlerSecurityConfiguration"] = json!("sec");
        live["TablePrefix"] = json!("raw_");
        let body = update_crawler_body(kind, &spec, &live);
        assert_eq!(body.get("CrawlerSecurityConfiguration"), Some(&json!("")));
        assert_eq!(body.get("TablePrefix"), Some(&json!("")));
        // Nothing to clear where AWS holds nothing.
        assert_eq!(body.get("Schedule"), None);
    }
}
