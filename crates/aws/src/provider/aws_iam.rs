//! IAM: `iam_role` — the role with its trust policy, inline policies
//! (Put/DeleteRolePolicy) and attached managed policies (Attach/Detach).
//! Policy documents come URL-encoded from IAM and are returned as JSON.

use std::collections::BTreeMap;

use aws_sdk_iam as sdk;
use aws_sdk_iam::Client;
use serde_json::{Map, Value, json};

use super::aws_common::{
    Caller, Op, build_error, concurrently, from_json, id_of, optional, put_nonempty, required,
    same_name, spec_tags, tag_diff, tags_list, tags_map, unsupported,
};
use twh_core::kinds::KindDef;
use twh_core::kinds::normalize::policy_document;
use twh_core::provider::{Provider, ProviderError};
use twh_core::spec::generated::iam::types;

const SVC: &str = "iam";

pub struct IamProvider {
    client: Client,
    caller: Caller,
}

/// `%7B...` → `{...}` (IAM percent-encodes policy documents).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A policy document as IAM returns it, as JSON.
pub fn document(s: &str) -> Value {
    let text = if s.trim_start().starts_with('%') {
        percent_decode(s)
    } else {
        s.to_string()
    };
    serde_json::from_str(&text).unwrap_or(Value::String(s.to_string()))
}

/// A spec's policy document (JSON, or JSON text) as the string IAM takes.
fn document_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl IamProvider {
    pub fn new(client: Client, caller: Caller) -> Self {
        Self { client, caller }
    }

    async fn read_role(&self, kind: &str, name: &str) -> Result<Option<Value>, ProviderError> {
        let op = Op::read(SVC, "GetRole", kind, name);
        let out = optional(
            self.caller
                .call(op, || self.client.get_role().role_name(name).send())
                .await,
        )?;
        let Some(out) = out else {
            return Ok(None);
        };
        let role = required(&op, "Role", out.role)?;
        same_name(&op, &role.role_name)?;
        let mut spec = Map::new();
        spec.insert("RoleName".into(), json!(role.role_name));
        spec.insert("Path".into(), json!(role.path));
        if let Some(doc) = &role.assume_role_policy_document {
            spec.insert("AssumeRolePolicyDocument".into(), document(doc));
        }
        if let Some(d) = role.description.as_deref().filter(|d| !d.is_empty()) {
            spec.insert("Description".into(), json!(d));
        }
        if let Some(m) = role.max_session_duration {
            spec.insert("MaxSessionDuration".into(), json!(m));
        }
        if let Some(pb) = role
            .permissions_boundary
            .as_ref()
            .and_then(|b| b.permissions_boundary_arn.clone())
        {
            spec.insert("PermissionsBoundary".into(), json!(pb));
        }
        let tags = role
            .tags
            .unwrap_or_default()
            .into_iter()
            .map(|t| (t.key, t.value))
            .collect();
        put_nonempty(&mut spec, "Tags", tags_list(&spec_tags(tags)));
        let (inline, attached) =
            futures::try_join!(self.inline_policies(kind, name), self.attached(kind, name))?;
        put_nonempty(
            &mut spec,
            "Policies",
            Value::Object(inline.into_iter().collect()),
        );
        put_nonempty(&mut spec, "ManagedPolicyArns", json!(attached));
        Ok(Some(Value::Object(spec)))
    }

    async fn inline_policies(
        &self,
        kind: &str,
        name: &str,
    ) -> Result<BTreeMap<String, Value>, ProviderError> {
        let mut names = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .caller
                .call(Op::read(SVC, "ListRolePolicies", kind, name), || {
                    self.client
                        .list_role_policies()
                        .role_name(name)
                        .set_marker(marker.clone())
                        .send()
                })
                .await?;
            names.extend(page.policy_names);
            marker = page.marker.filter(|_| page.is_truncated);
            if marker.is_none() {
                break;
            }
        }
        let docs = concurrently(names, |policy| async move {
            let out = self
                .caller
                .call(Op::read(SVC, "GetRolePolicy", kind, name), || {
                    self.client
                        .get_role_policy()
                        .role_name(name)
                        .policy_name(&policy)
                        .send()
                })
                .await?;
            Ok((policy, document(&out.policy_document)))
        })
        .await?;
        Ok(docs.into_iter().collect())
    }

    async fn attached(&self, kind: &str, name: &str) -> Result<Vec<String>, ProviderError> {
        let mut arns = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .caller
                .call(
                    Op::read(SVC, "ListAttachedRolePolicies", kind, name),
                    || {
                        self.client
                            .list_attached_role_policies()
                            .role_name(name)
                            .set_marker(marker.clone())
                            .send()
                    },
                )
                .await?;
            arns.extend(
                page.attached_policies
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|p| p.policy_arn),
            );
            marker = page.marker.filter(|_| page.is_truncated);
            if marker.is_none() {
                break;
            }
        }
        arns.sort();
        Ok(arns)
    }

    async fn create_role(&self, kind: &KindDef, spec: &Value) -> Result<(), ProviderError> {
        let id = id_of(kind, spec)?;
        let role: types::RoleSpec = from_json(spec.clone(), "iam_role spec")?;
        let req = types::CreateRoleRequest {
            path: role.path.clone(),
            role_name: role.role_name.clone(),
            assume_role_policy_document: document_text(&role.assume_role_policy_document),
            description: role.description.clone(),
            max_session_duration: role.max_session_duration,
            permissions_boundary: role.permissions_boundary.clone(),
            tags: role.tags.clone(),
        };
        let b = sdk::operation::create_role::builders::CreateRoleInputBuilder::try_from(req)
            .map_err(|e| build_error(kind.name, e))?;
        self.caller
            .call(Op::write(SVC, "CreateRole", kind.name, &id), || {
                b.clone().send_with(&self.client)
            })
            .await?;
        let empty = json!({"RoleName": id});
        self.sync_policies(kind.name, &id, &empty, spec).await
    }

    /// Inline and attached policies: put what differs, delete what the file
    /// dropped, attach and detach by the set difference.
    async fn sync_policies(
        &self,
        kind: &str,
        id: &str,
        live: &Value,
        spec: &Value,
    ) -> Result<(), ProviderError> {
        let empty = Map::new();
        let live_p = live
            .get("Policies")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let want_p = spec
            .get("Policies")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        for (name, doc) in want_p {
            if live_p.get(name).map(policy_document) == Some(policy_document(doc)) {
                continue;
            }
            let text = document_text(doc);
            self.caller
                .call(Op::write(SVC, "PutRolePolicy", kind, id), || {
                    self.client
                        .put_role_policy()
                        .role_name(id)
                        .policy_name(name)
                        .policy_document(&text)
                        .send()
                })
                .await?;
        }
        for name in live_p.keys().filter(|n| !want_p.contains_key(*n)) {
            self.caller
                .call(Op::write(SVC, "DeleteRolePolicy", kind, id), || {
                    self.client
                        .delete_role_policy()
                        .role_name(id)
                        .policy_name(name)
                        .send()
                })
                .await?;
        }
        let arns = |v: &Value| -> Vec<String> {
            v.get("ManagedPolicyArns")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let (have, want) = (arns(live), arns(spec));
        for arn in want.iter().filter(|a| !have.contains(a)) {
            self.caller
                .call(Op::write(SVC, "AttachRolePolicy", kind, id), || {
                    self.client
                        .attach_role_policy()
                        .role_name(id)
                        .policy_arn(arn)
                        .send()
                })
                .await?;
        }
        for arn in have.iter().filter(|a| !want.contains(a)) {
            self.caller
                .call(Op::write(SVC, "DetachRolePolicy", kind, id), || {
                    self.client
                        .detach_role_policy()
                        .role_name(id)
                        .policy_arn(arn)
                        .send()
                })
                .await?;
        }
        Ok(())
    }

    async fn update_role(
        &self,
        kind: &KindDef,
        spec: &Value,
        live: &Value,
    ) -> Result<(), ProviderError> {
        let id = id_of(kind, spec)?;
        let trust = |v: &Value| v.get("AssumeRolePolicyDocument").map(policy_document);
        if trust(spec) != trust(live)
            && let Some(doc) = spec.get("AssumeRolePolicyDocument")
        {
            let text = document_text(doc);
            self.caller
                .call(
                    Op::write(SVC, "UpdateAssumeRolePolicy", kind.name, &id),
                    || {
                        self.client
                            .update_assume_role_policy()
                            .role_name(&id)
                            .policy_document(&text)
                            .send()
                    },
                )
                .await?;
        }
        let desc = |v: &Value| {
            v.get("Description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let max = |v: &Value| {
            v.get("MaxSessionDuration")
                .and_then(Value::as_i64)
                .unwrap_or(3600)
        };
        if desc(spec) != desc(live) || max(spec) != max(live) {
            let m = i32::try_from(max(spec)).map_err(|e| build_error("MaxSessionDuration", e))?;
            let d = desc(spec);
            self.caller
                .call(Op::write(SVC, "UpdateRole", kind.name, &id), || {
                    self.client
                        .update_role()
                        .role_name(&id)
                        .description(&d)
                        .max_session_duration(m)
                        .send()
                })
                .await?;
        }
        let pb = |v: &Value| {
            v.get("PermissionsBoundary")
                .and_then(Value::as_str)
                .map(String::from)
        };
        match (pb(spec), pb(live)) {
            (Some(want), have) if Some(&want) != have.as_ref() => {
                self.caller
                    .call(
                        Op::write(SVC, "PutRolePermissionsBoundary", kind.name, &id),
                        || {
                            self.client
                                .put_role_permissions_boundary()
                                .role_name(&id)
                                .permissions_boundary(&want)
                                .send()
                        },
                    )
                    .await?;
            }
            (None, Some(_)) => {
                self.caller
                    .call(
                        Op::write(SVC, "DeleteRolePermissionsBoundary", kind.name, &id),
                        || {
                            self.client
                                .delete_role_permissions_boundary()
                                .role_name(&id)
                                .send()
                        },
                    )
                    .await?;
            }
            _ => {}
        }
        let (set, remove) = tag_diff(&tags_map(live.get("Tags")), &tags_map(spec.get("Tags")));
        if !remove.is_empty() {
            self.caller
                .call(Op::write(SVC, "UntagRole", kind.name, &id), || {
                    self.client
                        .untag_role()
                        .role_name(&id)
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
                .call(Op::write(SVC, "TagRole", kind.name, &id), || {
                    self.client
                        .tag_role()
                        .role_name(&id)
                        .set_tags(Some(tags.clone()))
                        .send()
                })
                .await?;
        }
        self.sync_policies(kind.name, &id, live, spec).await
    }

    /// A role must lose its policies before IAM lets it go.
    async fn delete_role(&self, kind: &str, id: &str) -> Result<(), ProviderError> {
        let (inline, attached) =
            futures::try_join!(self.inline_policies(kind, id), self.attached(kind, id))?;
        let live = json!({"Policies": inline, "ManagedPolicyArns": attached});
        self.sync_policies(kind, id, &live, &json!({})).await?;
        self.caller
            .call(Op::write(SVC, "DeleteRole", kind, id), || {
                self.client.delete_role().role_name(id).send()
            })
            .await?;
        Ok(())
    }

    async fn list_roles(&self, kind: &str) -> Result<Vec<String>, ProviderError> {
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .caller
                .call(Op::read(SVC, "ListRoles", kind, "*"), || {
                    self.client.list_roles().set_marker(marker.clone()).send()
                })
                .await?;
            out.extend(page.roles.into_iter().map(|r| r.role_name));
            marker = page.marker.filter(|_| page.is_truncated);
            if marker.is_none() {
                return Ok(out);
            }
        }
    }
}

#[async_trait::async_trait]
impl Provider for IamProvider {
    async fn read(
        &self,
        kind: &'static KindDef,
        ids: &[String],
    ) -> Result<Vec<Option<Value>>, ProviderError> {
        match kind.name {
            "iam_role" => concurrently(ids, |id| self.read_role(kind.name, id)).await,
            other => Err(unsupported(other, SVC)),
        }
    }

    async fn create(&self, kind: &'static KindDef, spec: &Value) -> Result<(), ProviderError> {
        match kind.name {
            "iam_role" => self.create_role(kind, spec).await,
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
            "iam_role" => self.update_role(kind, spec, live).await,
            other => Err(unsupported(other, SVC)),
        }
    }

    async fn delete(&self, kind: &'static KindDef, id: &str) -> Result<(), ProviderError> {
        match kind.name {
            "iam_role" => self.delete_role(kind.name, id).await,
            other => Err(unsupported(other, SVC)),
        }
    }

    async fn list(&self, kind: &'static KindDef) -> Result<Vec<String>, ProviderError> {
        match kind.name {
            "iam_role" => self.list_roles(kind.name).await,
            other => Err(unsupported(other, SVC)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoded_documents_come_back_as_json() {
        assert_eq!(
            document("%7B%22Version%22%3A%222012-10-17%22%7D"),
            json!({"Version": "2012-10-17"})
        );
        assert_eq!(document("{\"a\":1}"), json!({"a": 1}));
    }
}
