//! The Provider trait: the door to AWS for resources (the operator
//! commands have theirs, [`crate::ops::provider::OpsProvider`]; state has
//! [`crate::state::Backend`]). One provider per service
//! (Glue, Athena, QuickSight, IAM, in crate `twh-aws`) behind one trait; the core never knows
//! which it is talking to. `memory` implements every kind in-process for
//! tests and demos, counts calls and injects faults.
//!
//! A provider speaks spec JSON: `read` returns the live resource in the same
//! shape as the `spec` of its kind (the AWS input shape), so the core
//! compares like with like after normalization.

pub mod memory;
pub mod retry;

use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::kinds::{KindDef, Service};

/// The tag CloudFormation puts on what a stack owns. Providers keep it in a
/// live value's `Tags`; the planner reads and strips it before comparing
/// (the ownership guard: twh and CloudFormation/CDK must not fight).
pub const CFN_STACK_TAG: &str = "aws:cloudformation:stack-name";

/// Removes the stack tag from a live value's `Tags` (a map, or a list of
/// `Key`/`Value` objects) and returns the owning stack.
pub fn take_cfn_owner(live: &mut Value) -> Option<String> {
    match live.get_mut("Tags")? {
        Value::Object(m) => m
            .remove(CFN_STACK_TAG)
            .and_then(|v| v.as_str().map(str::to_string)),
        Value::Array(list) => {
            let i = list
                .iter()
                .position(|t| t.get("Key").and_then(Value::as_str) == Some(CFN_STACK_TAG))?;
            list.remove(i)
                .get("Value")
                .and_then(Value::as_str)
                .map(str::to_string)
        }
        _ => None,
    }
}

/// Who and where we are: fills account fields and ARNs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Identity {
    pub account: String,
    pub region: String,
}

/// What went wrong in one provider call.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("{kind} `{id}` does not exist")]
    NotFound { kind: String, id: String },
    #[error("{kind} `{id}` already exists")]
    AlreadyExists { kind: String, id: String },
    #[error("{service} throttled `{operation}`")]
    Throttled { service: String, operation: String },
    /// 5xx, timeouts, connection resets: worth retrying.
    #[error("{service} `{operation}` failed temporarily: {message}")]
    Transient {
        service: String,
        operation: String,
        message: String,
    },
    /// The service refused the request; not worth retrying.
    #[error("{service} `{operation}` failed: {message}")]
    Api {
        service: String,
        operation: String,
        message: String,
    },
    /// A successful answer that is not what the API promises (a member it
    /// always carries is missing): never acted on, never retried.
    #[error("{service} `{operation}` returned a malformed answer: {message}")]
    Malformed {
        service: String,
        operation: String,
        message: String,
    },
    #[error("{0}")]
    Other(String),
}

impl ProviderError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Throttled { .. } | Self::Transient { .. })
    }
}

/// One API call, for the call log (`-v`, `--output json`, and the tests'
/// "a second sync makes zero mutating calls").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Call {
    pub service: String,
    pub operation: String,
    pub mutating: bool,
}

/// Shared log of calls made through the providers of one run.
#[derive(Debug, Clone, Default)]
pub struct CallLog(Arc<Mutex<Vec<Call>>>);

impl CallLog {
    pub fn record(&self, service: &str, operation: &str, mutating: bool) {
        if let Ok(mut v) = self.0.lock() {
            v.push(Call {
                service: service.into(),
                operation: operation.into(),
                mutating,
            });
        }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }

    pub fn counts(&self) -> CallCounts {
        let calls = self.calls();
        CallCounts {
            total: calls.len(),
            reads: calls.iter().filter(|c| !c.mutating).count(),
            mutations: calls.iter().filter(|c| c.mutating).count(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CallCounts {
    pub total: usize,
    pub reads: usize,
    pub mutations: usize,
}

/// The operations a service provider implements for its kinds. `read` is
/// batched: one call per kind with every id, so providers can use the
/// service's batch APIs.
#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_stack_tag_is_taken_from_maps_and_lists() {
        let mut a = json!({"Tags": {"aws:cloudformation:stack-name": "s1", "team": "data"}});
        assert_eq!(take_cfn_owner(&mut a).as_deref(), Some("s1"));
        assert_eq!(a, json!({"Tags": {"team": "data"}}));
        let mut b = json!({"Tags": [{"Key": "aws:cloudformation:stack-name", "Value": "s2"}]});
        assert_eq!(take_cfn_owner(&mut b).as_deref(), Some("s2"));
        assert_eq!(b, json!({"Tags": []}));
        assert_eq!(take_cfn_owner(&mut json!({"Tags": {"team": "data"}})), None);
    }
}

#[async_trait::async_trait]
pub trait Provider: Send + Sync {
    /// Reads the live resources with these ids; `None` where one is absent.
    async fn read(
        &self,
        kind: &'static KindDef,
        ids: &[String],
    ) -> Result<Vec<Option<Value>>, ProviderError>;
    async fn create(&self, kind: &'static KindDef, spec: &Value) -> Result<(), ProviderError>;
    /// `live` is the current value, so full-replace APIs can overlay the
    /// desired spec on it and keep fields twh does not manage.
    async fn update(
        &self,
        kind: &'static KindDef,
        spec: &Value,
        live: &Value,
    ) -> Result<(), ProviderError>;
    async fn delete(&self, kind: &'static KindDef, id: &str) -> Result<(), ProviderError>;
    /// The ids of every live resource of `kind` (for `import --all`).
    async fn list(&self, kind: &'static KindDef) -> Result<Vec<String>, ProviderError>;
}

/// One resource a CloudFormation stack owns, as ListStackResources lists
/// it: its CloudFormation type (`AWS::Glue::Database`) and its physical id
/// (what `Ref` returns for most types: the name).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StackResource {
    #[serde(rename = "ResourceType")]
    pub resource_type: String,
    #[serde(rename = "PhysicalResourceId")]
    pub physical_id: String,
}

/// One page of an answer, and the token of the next page if there is one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// CloudFormation, as twh reads it: `${cfn:STACK.OUTPUT}`, and which
/// resources stacks own (the ownership guard: twh refuses to manage what a
/// stack owns, so twh and CloudFormation/CDK do not fight over it). The
/// ownership calls are one page each, so the planner counts and bounds
/// them (`plan::ownership`).
#[async_trait::async_trait]
pub trait OutputResolver: Send + Sync {
    async fn output(&self, stack: &str, output: &str) -> Result<String, ProviderError>;
    /// One page of ListStackResources for `stack` (a name or a stack id).
    /// A stack that does not exist is `NotFound`. Resources already deleted
    /// (`DELETE_COMPLETE`) or without a physical id yet are left out.
    async fn stack_resources(
        &self,
        stack: &str,
        token: Option<String>,
    ) -> Result<Page<StackResource>, ProviderError>;
    /// One page of ListStacks: the names of the account's stacks that are
    /// not deleted.
    async fn list_stacks(&self, token: Option<String>) -> Result<Page<String>, ProviderError>;
}

/// The providers of one run, routed by service, plus identity and outputs.
#[derive(Clone)]
pub struct Providers {
    pub identity: Identity,
    routes: Vec<(Service, Arc<dyn Provider>)>,
    pub outputs: Arc<dyn OutputResolver>,
    pub calls: CallLog,
}

impl Providers {
    pub fn new(identity: Identity, outputs: Arc<dyn OutputResolver>, calls: CallLog) -> Self {
        Self {
            identity,
            routes: Vec::new(),
            outputs,
            calls,
        }
    }

    #[must_use]
    pub fn with(mut self, service: Service, provider: Arc<dyn Provider>) -> Self {
        self.routes.push((service, provider));
        self
    }

    pub fn for_kind(&self, kind: &KindDef) -> Result<&Arc<dyn Provider>, ProviderError> {
        self.routes
            .iter()
            .find(|(s, _)| *s == kind.service)
            .map(|(_, p)| p)
            .ok_or_else(|| {
                ProviderError::Other(format!(
                    "no provider for {} ({})",
                    kind.name,
                    kind.service.as_str()
                ))
            })
    }
}
