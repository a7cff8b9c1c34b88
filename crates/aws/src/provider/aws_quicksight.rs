//! QuickSight: `quicksight_data_source` and `quicksight_data_set`.
//!
//! Describe + permissions + tags on read; permissions change only through
//! grant/revoke lists; data source credentials are sent, never read back.
//! A data set QuickSight refuses to describe (new data-preparation
//! experience) is a clear error naming it.
//! SPICE data sets also carry their refresh schedules (by `ScheduleId`) and
//! refresh properties, read and written beside the definition.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_quicksight as sdk;
use aws_sdk_quicksight::Client;
use serde_json::{Map, Value, json};

use super::aws_common::{
    Caller, Op, build_error, concurrently, from_json, id_of, optional, put_nonempty, required,
    spec_tags, tag_diff, tags_list, tags_map, to_json, unsupported,
};
use super::propagation::{self, role_of};
use twh_core::kinds::KindDef;
use twh_core::kinds::normalize::{canonical, normalize};
use twh_core::provider::{Provider, ProviderError};
use twh_core::spec::generated::quicksight::{SHAPES, types};
use twh_core::spec::project::project;

const SVC: &str = "quicksight";
/// How long a data source may stay `*_IN_PROGRESS`.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(300);

pub struct QuickSightProvider {
    client: Client,
    caller: Caller,
}

use twh_core::kinds::permissions::{self, Perms};

/// `[{"Principal","Actions"}]` as principal → actions.
fn perms(v: Option<&Value>) -> Perms {
    let mut out = Perms::new();
    for p in v.and_then(Value::as_array).into_iter().flatten() {
        if let Some(principal) = p.get("Principal").and_then(Value::as_str) {
            out.entry(principal.to_string()).or_default().extend(
                p.get("Actions")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a.as_str().map(String::from)),
            );
        }
    }
    out
}

/// Grant and revoke lists turning `live` permissions into `desired`, in
/// whole action sets (see `twh_core::kinds::permissions`).
fn perm_diff(
    live: &Perms,
    desired: &Perms,
) -> Result<
    (
        Vec<sdk::types::ResourcePermission>,
        Vec<sdk::types::ResourcePermission>,
    ),
    ProviderError,
> {
    let build = |list: Perms| {
        list.into_iter()
            .map(|(p, actions)| {
                sdk::types::ResourcePermission::builder()
                    .principal(p)
                    .set_actions(Some(actions.into_iter().collect()))
                    .build()
                    .map_err(|e| build_error("Permissions", e))
            })
            .collect::<Result<Vec<_>, _>>()
    };
    let (grant, revoke) = permissions::changes(live, desired);
    Ok((build(grant)?, build(revoke)?))
}

/// Whether writing the file's schedule `want` would change the live one
/// `have`. QuickSight answers with members the file may leave out: the
/// output-only `Arn`, and `StartAfterDateTime`, `TimeOfTheDay` and
/// `Timezone`, which it fills when they are not sent (Terraform's
/// refresh_schedule marks them Optional+Computed). A member the file leaves
/// out is QuickSight's to choose, so it takes the live value here; the
/// result is then compared as the plan compares it (the kind's
/// normalization: `Arn` and `StartAfterDateTime` are never compared). A
/// tag-only change therefore sends no UpdateRefreshSchedule.
fn schedule_changes(kind: &str, have: &Value, want: &Value) -> bool {
    let Some(kind) = twh_core::kinds::kind(kind) else {
        return canonical(have) != canonical(want);
    };
    let as_set = |s: &Value| normalize(kind, &json!({ "RefreshSchedules": [s] }));
    as_set(&fill_from(have, want)) != as_set(have)
}

/// `want` with every member it leaves out taken from `have`, recursively
/// through objects; anything else in `want` is kept as it is.
fn fill_from(have: &Value, want: &Value) -> Value {
    match (have, want) {
        (Value::Object(h), Value::Object(w)) => {
            let mut out = h.clone();
            for (k, wv) in w {
                let merged = match h.get(k) {
                    Some(hv) => fill_from(hv, wv),
                    None => wv.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (_, w) => w.clone(),
    }
}

fn perms_json(list: Vec<sdk::types::ResourcePermission>) -> Result<Value, ProviderError> {
    let list: Vec<types::ResourcePermission> = list.into_iter().map(Into::into).collect();
    to_json(&list)
}

fn without(v: &Value, keys: &[&str]) -> Value {
    let mut m = v.as_object().cloned().unwrap_or_default();
    for k in keys {
        m.remove(*k);
    }
    Value::Object(m)
}

impl QuickSightProvider {
    pub fn new(client: Client, caller: Caller) -> Self {
        Self { client, caller }
    }

    fn arn(&self, what: &str, id: &str) -> String {
        format!(
            "arn:aws:quicksight:{}:{}:{what}/{id}",
            self.caller.region(),
            self.caller.account()
        )
    }

    async fn tags(&self, kind: &str, id: &str, arn: &str) -> Result<Value, ProviderError> {
        let out = self
            .caller
            .call(Op::read(SVC, "ListTagsForResource", kind, id), || {
                self.client
                    .list_tags_for_resource()
                    .resource_arn(arn)
                    .send()
            })
            .await?;
        let tags = out
            .tags
            .unwrap_or_default()
            .into_iter()
            .map(|t| (t.key, t.value))
            .collect();
        Ok(tags_list(&spec_tags(tags)))
    }

    async fn sync_tags(
        &self,
        kind: &str,
        id: &str,
        arn: &str,
        live: &Value,
        spec: &Value,
    ) -> Result<(), ProviderError> {
        let (set, remove) = tag_diff(&tags_map(live.get("Tags")), &tags_map(spec.get("Tags")));
        if !remove.is_empty() {
            self.caller
                .call(Op::write(SVC, "UntagResource", kind, id), || {
                    self.client
                        .untag_resource()
                        .resource_arn(arn)
                        .set_tag_keys(Some(remove.clone()))
                        .send()
                })
                .await?;
        }
        if !set.is_empty() {
            let tags = set
                .iter()
                .map(|(k, v)| sdk::types::Tag::builder().key(k).value(v).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| build_error("Tags", e))?;
            self.caller
                .call(Op::write(SVC, "TagResource", kind, id), || {
                    self.client
                        .tag_resource()
                        .resource_arn(arn)
                        .set_tags(Some(tags.clone()))
                        .send()
                })
                .await?;
        }
        Ok(())
    }

    // ---- data sources -----------------------------------------------------

    async fn describe_source(
        &self,
        kind: &str,
        id: &str,
    ) -> Result<Option<sdk::types::DataSource>, ProviderError> {
        let op = Op::read(SVC, "DescribeDataSource", kind, id);
        optional(
            self.caller
                .call(op, || {
                    self.client
                        .describe_data_source()
                        .aws_account_id(self.caller.account())
                        .data_source_id(id)
                        .send()
                })
                .await,
        )?
        .map(|o| required(&op, "DataSource", o.data_source))
        .transpose()
    }

    async fn read_source(&self, kind: &str, id: &str) -> Result<Option<Value>, ProviderError> {
        let Some(ds) = self.describe_source(kind, id).await? else {
            return Ok(None);
        };
        let arn = ds.arn.clone().unwrap_or_else(|| self.arn("datasource", id));
        let mut spec = project(
            &SHAPES,
            "CreateDataSourceRequest",
            &to_json(&types::DataSource::from(ds))?,
        )
        .as_object()
        .cloned()
        .unwrap_or_default();
        spec.insert("AwsAccountId".into(), json!(self.caller.account()));
        // Permissions and tags are independent reads: one round trip, not two.
        let (permissions, tags) = tokio::try_join!(
            self.caller.call(
                Op::read(SVC, "DescribeDataSourcePermissions", kind, id),
                || {
                    self.client
                        .describe_data_source_permissions()
                        .aws_account_id(self.caller.account())
                        .data_source_id(id)
                        .send()
                },
            ),
            self.tags(kind, id, &arn),
        )?;
        put_nonempty(
            &mut spec,
            "Permissions",
            perms_json(permissions.permissions.unwrap_or_default())?,
        );
        put_nonempty(&mut spec, "Tags", tags);
        Ok(Some(Value::Object(spec)))
    }

    /// Waits while the data source is being created or updated; its
    /// `ErrorInfo` if that failed.
    async fn settle_source(&self, kind: &str, id: &str) -> Result<(), ProviderError> {
        use sdk::types::ResourceStatus as S;
        let deadline = tokio::time::Instant::now() + SETTLE_TIMEOUT;
        let mut wait = Duration::from_millis(100);
        loop {
            let ds = self.describe_source(kind, id).await?;
            let status = ds.as_ref().and_then(|d| d.status.clone());
            match status {
                Some(S::CreationInProgress | S::UpdateInProgress)
                    if tokio::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(5));
                }
                Some(S::CreationFailed | S::UpdateFailed) => {
                    let why = ds
                        .and_then(|d| d.error_info)
                        .and_then(|e| e.message)
                        .unwrap_or_else(|| "no reason given".into());
                    return Err(ProviderError::Api {
                        service: SVC.into(),
                        operation: "DescribeDataSource".into(),
                        message: format!("{kind} `{id}` failed: {why}"),
                    });
                }
                _ => return Ok(()),
            }
        }
    }

    async fn create_source(&self, kind: &KindDef, spec: &Value) -> Result<(), ProviderError> {
        let id = id_of(kind, spec)?;
        let req: types::CreateDataSourceRequest = from_json(
            project(&SHAPES, "CreateDataSourceRequest", spec),
            "CreateDataSourceRequest",
        )?;
        let b =
            sdk::operation::create_data_source::builders::CreateDataSourceInputBuilder::try_from(
                req,
            )
            .map_err(|e| build_error(kind.name, e))?;
        self.caller
            .call_as_role_propagates(
                Op::write(SVC, "CreateDataSource", kind.name, &id),
                role_of(spec).as_deref(),
                propagation::QUICKSIGHT,
                || b.clone().send_with(&self.client),
            )
            .await?;
        self.settle_source(kind.name, &id).await
    }

    async fn update_source(
        &self,
        kind: &KindDef,
        spec: &Value,
        live: &Value,
    ) -> Result<(), ProviderError> {
        let id = id_of(kind, spec)?;
        let side = ["Permissions", "Tags", "Credentials"];
        // Credentials are never read back: a spec with credentials is sent
        // whenever the core decided to update, since they may be the change.
        if normalize(kind, &without(spec, &side)) != normalize(kind, &without(live, &side))
            || spec.get("Credentials").is_some()
        {
            let req: types::UpdateDataSourceRequest = from_json(
                project(&SHAPES, "UpdateDataSourceRequest", spec),
                "UpdateDataSourceRequest",
            )?;
            let b = sdk::operation::update_data_source::builders::UpdateDataSourceInputBuilder::try_from(req)
                .map_err(|e| build_error(kind.name, e))?;
            self.caller
                .call_as_role_propagates(
                    Op::write(SVC, "UpdateDataSource", kind.name, &id),
                    role_of(spec).as_deref(),
                    propagation::QUICKSIGHT,
                    || b.clone().send_with(&self.client),
                )
                .await?;
            self.settle_source(kind.name, &id).await?;
        }
        let (grant, revoke) = perm_diff(
            &perms(live.get("Permissions")),
            &perms(spec.get("Permissions")),
        )?;
        if !grant.is_empty() || !revoke.is_empty() {
            self.caller
                .call(
                    Op::write(SVC, "UpdateDataSourcePermissions", kind.name, &id),
                    || {
                        self.client
                            .update_data_source_permissions()
                            .aws_account_id(self.caller.account())
                            .data_source_id(&id)
                            .set_grant_permissions(Some(grant.clone()).filter(|g| !g.is_empty()))
                            .set_revoke_permissions(Some(revoke.clone()).filter(|r| !r.is_empty()))
                            .send()
                    },
                )
                .await?;
        }
        self.sync_tags(kind.name, &id, &self.arn("datasource", &id), live, spec)
            .await
    }

    // ---- data sets --------------------------------------------------------

    async fn read_set(&self, kind: &str, id: &str) -> Result<Option<Value>, ProviderError> {
        let op = Op::read(SVC, "DescribeDataSet", kind, id);
        let out = self
            .caller
            .call(op, || {
                self.client
                    .describe_data_set()
                    .aws_account_id(self.caller.account())
                    .data_set_id(id)
                    .send()
            })
            .await;
        let out = match out {
            Err(ProviderError::Api { message, .. })
                if message.starts_with("InvalidParameterValueException") =>
            {
                return Err(ProviderError::Other(format!(
                    "{kind} `{id}`: QuickSight refuses to describe this data set ({message}); \
                     data sets made with QuickSight's new data-preparation experience cannot be \
                     read through the API, so twh cannot manage it: remove it from the files \
                     or recreate it with the classic experience"
                )));
            }
            other => optional(other)?,
        };
        let Some(out) = out else {
            return Ok(None);
        };
        let ds = required(&op, "DataSet", out.data_set)?;
        let arn = ds.arn.clone().unwrap_or_else(|| self.arn("dataset", id));
        let mut spec = project(&SHAPES, "DataSetSpec", &to_json(&types::DataSet::from(ds))?)
            .as_object()
            .cloned()
            .unwrap_or_default();
        spec.insert("AwsAccountId".into(), json!(self.caller.account()));
        // Permissions, tags and refresh settings are independent reads: one
        // round trip after the describe, not four.
        let spice = spec.get("ImportMode").and_then(Value::as_str) == Some("SPICE");
        let (permissions, tags, refresh) = tokio::try_join!(
            self.caller.call(
                Op::read(SVC, "DescribeDataSetPermissions", kind, id),
                || {
                    self.client
                        .describe_data_set_permissions()
                        .aws_account_id(self.caller.account())
                        .data_set_id(id)
                        .send()
                },
            ),
            self.tags(kind, id, &arn),
            self.read_refresh(kind, id, spice),
        )?;
        put_nonempty(
            &mut spec,
            "Permissions",
            perms_json(permissions.permissions.unwrap_or_default())?,
        );
        put_nonempty(&mut spec, "Tags", tags);
        for (k, v) in refresh {
            put_nonempty(&mut spec, &k, v);
        }
        Ok(Some(Value::Object(spec)))
    }

    /// Refresh schedules and refresh properties of a SPICE data set (QuickSight
    /// refuses both calls for direct-query data sets), as spec members.
    async fn read_refresh(
        &self,
        kind: &str,
        id: &str,
        spice: bool,
    ) -> Result<Map<String, Value>, ProviderError> {
        let mut out = Map::new();
        if !spice {
            return Ok(out);
        }
        let (schedules, props) = tokio::join!(
            self.caller
                .call(Op::read(SVC, "ListRefreshSchedules", kind, id), || {
                    self.client
                        .list_refresh_schedules()
                        .aws_account_id(self.caller.account())
                        .data_set_id(id)
                        .send()
                }),
            self.caller.call(
                Op::read(SVC, "DescribeDataSetRefreshProperties", kind, id),
                || {
                    self.client
                        .describe_data_set_refresh_properties()
                        .aws_account_id(self.caller.account())
                        .data_set_id(id)
                        .send()
                },
            ),
        );
        let schedules = schedules?
            .refresh_schedules
            .unwrap_or_default()
            .into_iter()
            .map(|s| {
                to_json(&types::RefreshSchedule::from(s))
                    .map(|v| project(&SHAPES, "RefreshSchedule", &v))
            })
            .collect::<Result<Vec<_>, _>>()?;
        out.insert("RefreshSchedules".into(), Value::Array(schedules));
        match optional(props) {
            Ok(Some(o)) => {
                if let Some(p) = o.data_set_refresh_properties {
                    let v = to_json(&types::DataSetRefreshProperties::from(p))?;
                    out.insert(
                        "RefreshProperties".into(),
                        project(&SHAPES, "DataSetRefreshProperties", &v),
                    );
                }
            }
            Ok(None) => {}
            // No refresh properties set yet.
            Err(ProviderError::Api { message, .. })
                if message.starts_with("InvalidParameterValueException") => {}
            Err(e) => return Err(e),
        }
        Ok(out)
    }

    /// Makes the refresh schedules (matched by `ScheduleId`) and refresh
    /// properties of `live` those of `spec`.
    async fn sync_refresh(
        &self,
        kind: &str,
        id: &str,
        live: &Value,
        spec: &Value,
    ) -> Result<(), ProviderError> {
        let by_id = |v: &Value| -> BTreeMap<String, Value> {
            v.get("RefreshSchedules")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|s| Some((s.get("ScheduleId")?.as_str()?.to_string(), s.clone())))
                .collect()
        };
        let (have, want) = (by_id(live), by_id(spec));
        let account = self.caller.account();
        for (sid, s) in &want {
            let op = match have.get(sid) {
                None => "CreateRefreshSchedule",
                Some(h) if schedule_changes(kind, h, s) => "UpdateRefreshSchedule",
                Some(_) => continue,
            };
            let typed: types::RefreshSchedule = from_json(s.clone(), "RefreshSchedule")?;
            let schedule =
                sdk::types::RefreshSchedule::try_from(typed).map_err(|e| build_error(kind, e))?;
            if op == "CreateRefreshSchedule" {
                self.caller
                    .call(Op::write(SVC, op, kind, id), || {
                        self.client
                            .create_refresh_schedule()
                            .aws_account_id(account)
                            .data_set_id(id)
                            .schedule(schedule.clone())
                            .send()
                    })
                    .await?;
            } else {
                self.caller
                    .call(Op::write(SVC, op, kind, id), || {
                        self.client
                            .update_refresh_schedule()
                            .aws_account_id(account)
                            .data_set_id(id)
                            .schedule(schedule.clone())
                            .send()
                    })
                    .await?;
            }
        }
        for sid in have.keys().filter(|k| !want.contains_key(*k)) {
            self.caller
                .call(Op::write(SVC, "DeleteRefreshSchedule", kind, id), || {
                    self.client
                        .delete_refresh_schedule()
                        .aws_account_id(account)
                        .data_set_id(id)
                        .schedule_id(sid)
                        .send()
                })
                .await?;
        }
        match (live.get("RefreshProperties"), spec.get("RefreshProperties")) {
            (l, Some(d)) if l.map(canonical) != Some(canonical(d)) => {
                let typed: types::DataSetRefreshProperties =
                    from_json(d.clone(), "DataSetRefreshProperties")?;
                let props = sdk::types::DataSetRefreshProperties::try_from(typed)
                    .map_err(|e| build_error(kind, e))?;
                self.caller
                    .call(
                        Op::write(SVC, "PutDataSetRefreshProperties", kind, id),
                        || {
                            self.client
                                .put_data_set_refresh_properties()
                                .aws_account_id(account)
                                .data_set_id(id)
                                .data_set_refresh_properties(props.clone())
                                .send()
                        },
                    )
                    .await?;
            }
            (Some(_), None) => {
                self.caller
                    .call(
                        Op::write(SVC, "DeleteDataSetRefreshProperties", kind, id),
                        || {
                            self.client
                                .delete_data_set_refresh_properties()
                                .aws_account_id(account)
                                .data_set_id(id)
                                .send()
                        },
                    )
                    .await?;
            }
            _ => {}
        }
        Ok(())
    }

    async fn create_set(&self, kind: &KindDef, spec: &Value) -> Result<(), ProviderError> {
        let id = id_of(kind, spec)?;
        let req: types::CreateDataSetRequest = from_json(
            project(&SHAPES, "CreateDataSetRequest", spec),
            "CreateDataSetRequest",
        )?;
        let b = sdk::operation::create_data_set::builders::CreateDataSetInputBuilder::try_from(req)
            .map_err(|e| build_error(kind.name, e))?;
        self.caller
            .call(Op::write(SVC, "CreateDataSet", kind.name, &id), || {
                b.clone().send_with(&self.client)
            })
            .await?;
        self.sync_refresh(kind.name, &id, &Value::Null, spec).await
    }

    /// UpdateDataSet replaces the whole definition (and starts a SPICE
    /// ingestion): built from live overlaid with desired, sent only when
    /// that differs from live.
    async fn update_set(
        &self,
        kind: &KindDef,
        spec: &Value,
        live: &Value,
    ) -> Result<(), ProviderError> {
        let id = id_of(kind, spec)?;
        let side = [
            "Permissions",
            "Tags",
            "RefreshSchedules",
            "RefreshProperties",
        ];
        let live_body = without(live, &side);
        let body = twh_core::spec::project::overlay(
            &SHAPES,
            "DataSetSpec",
            &live_body,
            &without(spec, &side),
        );
        if normalize(kind, &body) != normalize(kind, &live_body) {
            let req: types::UpdateDataSetRequest = from_json(
                project(&SHAPES, "UpdateDataSetRequest", &body),
                "UpdateDataSetRequest",
            )?;
            let b =
                sdk::operation::update_data_set::builders::UpdateDataSetInputBuilder::try_from(req)
                    .map_err(|e| build_error(kind.name, e))?;
            self.caller
                .call(Op::write(SVC, "UpdateDataSet", kind.name, &id), || {
                    b.clone().send_with(&self.client)
                })
                .await?;
        }
        let (grant, revoke) = perm_diff(
            &perms(live.get("Permissions")),
            &perms(spec.get("Permissions")),
        )?;
        if !grant.is_empty() || !revoke.is_empty() {
            self.caller
                .call(
                    Op::write(SVC, "UpdateDataSetPermissions", kind.name, &id),
                    || {
                        self.client
                            .update_data_set_permissions()
                            .aws_account_id(self.caller.account())
                            .data_set_id(&id)
                            .set_grant_permissions(Some(grant.clone()).filter(|g| !g.is_empty()))
                            .set_revoke_permissions(Some(revoke.clone()).filter(|r| !r.is_empty()))
                            .send()
                    },
                )
                .await?;
        }
        self.sync_refresh(kind.name, &id, live, spec).await?;
        self.sync_tags(kind.name, &id, &self.arn("dataset", &id), live, spec)
            .await
    }

    async fn list_ids(&self, kind: &str) -> Result<Vec<String>, ProviderError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            if kind == "quicksight_data_source" {
                let page = self
                    .caller
                    .call(Op::read(SVC, "ListDataSources", kind, "*"), || {
                        self.client
                            .list_data_sources()
                            .aws_account_id(self.caller.account())
                            .set_next_token(token.clone())
                            .send()
                    })
                    .await?;
                out.extend(
                    page.data_sources
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|d| d.data_source_id),
                );
                token = page.next_token;
            } else {
                let page = self
                    .caller
                    .call(Op::read(SVC, "ListDataSets", kind, "*"), || {
                        self.client
                            .list_data_sets()
                            .aws_account_id(self.caller.account())
                            .set_next_token(token.clone())
                            .send()
                    })
                    .await?;
                out.extend(
                    page.data_set_summaries
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|d| d.data_set_id),
                );
                token = page.next_token;
            }
            token = token.filter(|t| !t.is_empty());
            if token.is_none() {
                return Ok(out);
            }
        }
    }
}

#[async_trait::async_trait]
impl Provider for QuickSightProvider {
    async fn read(
        &self,
        kind: &'static KindDef,
        ids: &[String],
    ) -> Result<Vec<Option<Value>>, ProviderError> {
        match kind.name {
            "quicksight_data_source" => {
                concurrently(ids, |id| self.read_source(kind.name, id)).await
            }
            "quicksight_data_set" => concurrently(ids, |id| self.read_set(kind.name, id)).await,
            other => Err(unsupported(other, SVC)),
        }
    }

    async fn create(&self, kind: &'static KindDef, spec: &Value) -> Result<(), ProviderError> {
        match kind.name {
            "quicksight_data_source" => self.create_source(kind, spec).await,
            "quicksight_data_set" => self.create_set(kind, spec).await,
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
            "quicksight_data_source" => self.update_source(kind, spec, live).await,
            "quicksight_data_set" => self.update_set(kind, spec, live).await,
            other => Err(unsupported(other, SVC)),
        }
    }

    async fn delete(&self, kind: &'static KindDef, id: &str) -> Result<(), ProviderError> {
        let account = self.caller.account();
        match kind.name {
            "quicksight_data_source" => {
                self.caller
                    .call(Op::write(SVC, "DeleteDataSource", kind.name, id), || {
                        self.client
                            .delete_data_source()
                            .aws_account_id(account)
                            .data_source_id(id)
                            .send()
                    })
                    .await?;
            }
            "quicksight_data_set" => {
                self.caller
                    .call(Op::write(SVC, "DeleteDataSet", kind.name, id), || {
                        self.client
                            .delete_data_set()
                            .aws_account_id(account)
                            .data_set_id(id)
                            .send()
                    })
                    .await?;
            }
            other => return Err(unsupported(other, SVC)),
        }
        Ok(())
    }

    async fn list(&self, kind: &'static KindDef) -> Result<Vec<String>, ProviderError> {
        match kind.name {
            "quicksight_data_source" | "quicksight_data_set" => self.list_ids(kind.name).await,
            other => Err(unsupported(other, SVC)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_is_written_only_when_the_file_changes_it() {
        let file = json!({"ScheduleId": "daily", "RefreshType": "FULL_REFRESH",
            "ScheduleFrequency": {"Interval": "DAILY"}});
        let live = json!({"ScheduleId": "daily", "RefreshType": "FULL_REFRESH",
            "Arn": "arn:aws:quicksight:us-east-1:123456789012:dataset/d/refresh-schedule/daily",
            "StartAfterDateTime": 1_767_225_600.0,
            "ScheduleFrequency": {"Interval": "DAILY", "TimeOfTheDay": "00:00", "Timezone": "UTC"}});
        let k = "quicksight_data_set";
        assert!(!schedule_changes(k, &live, &file), "what QuickSight filled");
        let mut weekly = file.clone();
        weekly["ScheduleFrequency"] =
            json!({"Interval": "WEEKLY", "RefreshOnDay": {"DayOfWeek": "MONDAY"}});
        assert!(schedule_changes(k, &live, &weekly));
        let mut later = file.clone();
        later["ScheduleFrequency"]["TimeOfTheDay"] = json!("06:00");
        assert!(schedule_changes(k, &live, &later));
        let mut incremental = file;
        incremental["RefreshType"] = json!("INCREMENTAL_REFRESH");
        assert!(schedule_changes(k, &live, &incremental));
    }

    #[test]
    fn permissions_change_by_granting_and_revoking_whole_sets() {
        let live = perms(Some(&json!([
            {"Principal": "arn:u/a", "Actions": ["x", "y"]},
            {"Principal": "arn:u/b", "Actions": ["x"]}])));
        let desired = perms(Some(&json!([
            {"Principal": "arn:u/a", "Actions": ["x", "z"]}])));
        let (grant, revoke) = perm_diff(&live, &desired).expect("diff");
        assert_eq!(grant.len(), 1);
        assert_eq!(grant[0].actions(), ["x", "z"], "the whole new set");
        let revoked: Vec<_> = revoke
            .iter()
            .map(|p| (p.principal(), p.actions().to_vec()))
            .collect();
        assert_eq!(
            revoked,
            [
                ("arn:u/a", vec!["x".to_string(), "y".to_string()]),
                ("arn:u/b", vec!["x".to_string()])
            ],
            "the whole old set"
        );
    }
}
