//! What every AWS service provider shares: one way to make a call (logged,
//! retried, its error classified), JSON ⇄ generated spec type conversions,
//! tag diffs, and the ownership guard.

use std::collections::BTreeMap;
use std::future::Future;

use aws_sdk_glue::error::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use twh_core::provider::retry::RetryPolicy;
use twh_core::provider::{CallLog, Identity, ProviderError};
use twh_core::spec::model::{ServiceShapes, ShapeKind};

/// Resources read at a time per kind (each may make a few calls at once:
/// a data set's permissions, tags and refresh reads go together). At 50 ms a
/// call, 1,000 resources plan in about 1.5 s (benches/aws_plan.sh); a
/// throttled call is retried with backoff, so the bound trades speed against
/// the per-account rate limits, not against correctness.
pub const READ_CONCURRENCY: usize = 16;

/// One API call being made: for the call log and for error messages.
#[derive(Debug, Clone, Copy)]
pub struct Op<'a> {
    pub service: &'static str,
    pub operation: &'static str,
    pub mutating: bool,
    pub kind: &'a str,
    pub id: &'a str,
}

impl<'a> Op<'a> {
    pub fn read(
        service: &'static str,
        operation: &'static str,
        kind: &'a str,
        id: &'a str,
    ) -> Self {
        Self {
            service,
            operation,
            mutating: false,
            kind,
            id,
        }
    }

    pub fn write(
        service: &'static str,
        operation: &'static str,
        kind: &'a str,
        id: &'a str,
    ) -> Self {
        Self {
            service,
            operation,
            mutating: true,
            kind,
            id,
        }
    }
}

const NOT_FOUND: &[&str] = &[
    "EntityNotFoundException",
    "ResourceNotFoundException",
    "NoSuchEntity",
    "NoSuchEntityException",
    "NotFoundException",
    "NotFound",
];
const ALREADY_EXISTS: &[&str] = &[
    "AlreadyExistsException",
    "ResourceExistsException",
    "EntityAlreadyExists",
    "EntityAlreadyExistsException",
];
const THROTTLED: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "LimitExceededException",
    "ConcurrentUpdatingException",
    "ConcurrentModificationException",
    "SlowDown",
];
const TRANSIENT: &[&str] = &[
    "InternalServiceException",
    "InternalServerException",
    "InternalFailure",
    "InternalFailureException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "ServiceFailure",
    "RequestTimeout",
    "RequestTimeoutException",
];

/// Athena answers a duplicate CreateWorkGroup with a generic
/// `InvalidRequestException: WorkGroup NAME is already created`; it is the
/// "already exists" a retried create (its first answer lost) must adopt.
fn already_created(code: &str, message: &str) -> bool {
    code == "InvalidRequestException" && message.contains("is already created")
}

/// Classifies an SDK error by its code and HTTP status.
pub fn classify<E>(op: &Op<'_>, err: &SdkError<E>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let code = err.code().unwrap_or_default();
    let message = err
        .message()
        .map(str::to_string)
        .unwrap_or_else(|| DisplayErrorContext(err).to_string());
    let status = err.raw_response().map(|r| r.status().as_u16());
    let service = op.service.to_string();
    let operation = op.operation.to_string();
    match err {
        SdkError::TimeoutError(_) => {
            return ProviderError::Transient {
                service,
                operation,
                message: format!(
                    "no answer within {} ms (the per-attempt timeout; {} changes it)",
                    super::timeouts::attempt_timeout().as_millis(),
                    twh_core::env::ATTEMPT_TIMEOUT_MS
                ),
            };
        }
        SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            return ProviderError::Transient {
                service,
                operation,
                message,
            };
        }
        _ => {}
    }
    if NOT_FOUND.contains(&code) || status == Some(404) && code.is_empty() {
        ProviderError::NotFound {
            kind: op.kind.into(),
            id: op.id.into(),
        }
    } else if ALREADY_EXISTS.contains(&code) || already_created(code, &message) {
        ProviderError::AlreadyExists {
            kind: op.kind.into(),
            id: op.id.into(),
        }
    } else if THROTTLED.contains(&code) || status == Some(429) {
        ProviderError::Throttled { service, operation }
    } else if TRANSIENT.contains(&code) || status.is_some_and(|s| s >= 500) {
        ProviderError::Transient {
            service,
            operation,
            message,
        }
    } else {
        let message = if code.is_empty() {
            message
        } else {
            format!("{code}: {message}")
        };
        ProviderError::Api {
            service,
            operation,
            message,
        }
    }
}

/// What a service provider carries besides its client: the call log, the
/// retry policy and who we are.
#[derive(Clone)]
pub struct Caller {
    pub log: CallLog,
    pub retry: RetryPolicy,
    pub identity: Identity,
}

impl Caller {
    pub fn new(log: CallLog, identity: Identity) -> Self {
        Self {
            log,
            retry: RetryPolicy::default(),
            identity,
        }
    }

    /// Makes one API call: logged per attempt, retried on throttling and
    /// transient failures, its error classified.
    pub async fn call<T, E, F, Fut>(&self, op: Op<'_>, mut f: F) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let op = &op;
        self.retry
            .run(|| {
                self.log.record(op.service, op.operation, op.mutating);
                let fut = f();
                async move { fut.await.map_err(|e| classify(op, &e)) }
            })
            .await
    }

    pub fn account(&self) -> &str {
        &self.identity.account
    }

    pub fn region(&self) -> &str {
        &self.identity.region
    }
}

/// A member every successful answer of `op` carries. Without it the answer
/// is garbage (a body cut short and read as `{}`, a proxy's page, a service
/// bug), and reading it as "absent" would make the plan create a duplicate.
pub fn required<T>(op: &Op<'_>, member: &str, value: Option<T>) -> Result<T, ProviderError> {
    value.ok_or_else(|| ProviderError::Malformed {
        service: op.service.into(),
        operation: op.operation.into(),
        message: format!(
            "no `{member}` in the answer for {} `{}`; nothing was changed, retry later or report it if it persists",
            op.kind, op.id
        ),
    })
}

/// The name in an answer must be the one asked for: a malformed answer
/// whose name member was dropped reads as `""` (the SDK fills required
/// members it did not get).
pub fn same_name(op: &Op<'_>, got: &str) -> Result<(), ProviderError> {
    if got == op.id {
        return Ok(());
    }
    Err(ProviderError::Malformed {
        service: op.service.into(),
        operation: op.operation.into(),
        message: format!(
            "asked for {} `{}`, the answer is for `{}`; nothing was changed, retry later or report it if it persists",
            op.kind,
            op.id,
            twh_core::diag::printable(got)
        ),
    })
}

/// `NotFound` becomes `None`.
pub fn optional<T>(r: Result<T, ProviderError>) -> Result<Option<T>, ProviderError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(ProviderError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A generated serde type as spec JSON.
pub fn to_json<T: Serialize>(v: &T) -> Result<Value, ProviderError> {
    serde_json::to_value(v).map_err(|e| ProviderError::Other(format!("to JSON: {e}")))
}

/// The members of a JSON object (empty for anything else).
pub fn obj(v: &Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// Spec JSON as a generated serde type; `what` names it in the error.
pub fn from_json<T: DeserializeOwned>(v: Value, what: &str) -> Result<T, ProviderError> {
    serde_json::from_value(v).map_err(|e| ProviderError::Other(format!("{what}: {e}")))
}

/// The SDK refused to build a request from a spec.
pub fn build_error(what: &str, e: impl std::fmt::Display) -> ProviderError {
    ProviderError::Other(format!("{what}: {e}"))
}

/// Does `shape` (a structure) have a member `name`?
pub fn has_member(shapes: &ServiceShapes, shape: &str, name: &str) -> bool {
    member_shape(shapes, shape, name).is_some()
}

/// The shape of member `name` of structure `shape`.
pub fn member_shape(shapes: &ServiceShapes, shape: &str, name: &str) -> Option<&'static str> {
    match &shapes.get(shape)?.kind {
        ShapeKind::Structure { members } => {
            members.iter().find(|m| m.name == name).map(|m| m.shape)
        }
        _ => None,
    }
}

/// `{"k": "v"}` (Glue, Athena map tags) or `[{"Key","Value"}]` (list tags)
/// as a sorted map.
pub fn tags_map(v: Option<&Value>) -> BTreeMap<String, String> {
    match v {
        Some(Value::Object(m)) => m
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
            .collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|t| {
                Some((
                    t.get("Key")?.as_str()?.to_string(),
                    t.get("Value")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                ))
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// What to set and which keys to remove to turn `live` tags into `desired`.
pub fn tag_diff(
    live: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> (BTreeMap<String, String>, Vec<String>) {
    let set = desired
        .iter()
        .filter(|(k, v)| live.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove = live
        .keys()
        .filter(|k| !desired.contains_key(*k) && !k.starts_with("aws:"))
        .cloned()
        .collect();
    (set, remove)
}

/// Tags as a spec holds them: `aws:` tags are AWS's own and never part of a
/// spec, so they are dropped, except the CloudFormation stack tag, which the
/// core's ownership guard reads (and strips) before comparing.
pub fn spec_tags(tags: BTreeMap<String, String>) -> BTreeMap<String, String> {
    tags.into_iter()
        .filter(|(k, _)| !k.starts_with("aws:") || k == twh_core::provider::CFN_STACK_TAG)
        .collect()
}

/// Tags as a JSON map (`{"k": "v"}`).
pub fn tags_object(tags: &BTreeMap<String, String>) -> Value {
    Value::Object(
        tags.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// Tags as a JSON list (`[{"Key","Value"}]`).
pub fn tags_list(tags: &BTreeMap<String, String>) -> Value {
    Value::Array(
        tags.iter()
            .map(|(k, v)| serde_json::json!({"Key": k, "Value": v}))
            .collect(),
    )
}

/// Inserts `key` into an object when `value` is not empty.
pub fn put_nonempty(obj: &mut Map<String, Value>, key: &str, value: Value) {
    let empty = match &value {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    };
    if !empty {
        obj.insert(key.to_string(), value);
    }
}

/// `db.name` split into its two parts.
pub fn split_id<'a>(kind: &str, id: &'a str) -> Result<(&'a str, &'a str), ProviderError> {
    id.split_once('.')
        .ok_or_else(|| ProviderError::Other(format!("{kind} id `{id}` is not `DATABASE.NAME`")))
}

/// A spec's identity, as the core forms it.
pub fn id_of(kind: &twh_core::kinds::KindDef, spec: &Value) -> Result<String, ProviderError> {
    kind.identity_parts(spec)
        .map(|p| p.join("."))
        .ok_or_else(|| ProviderError::Other(format!("{} spec has no identity", kind.name)))
}

/// Runs `f` over `items` with bounded concurrency, keeping order. The
/// futures are made up front so the returned future holds no closure (which
/// keeps it `Send` inside `async_trait` methods).
pub fn concurrently<I, T, F, Fut>(
    items: I,
    f: F,
) -> impl Future<Output = Result<Vec<T>, ProviderError>>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    use futures::StreamExt as _;
    let futs: Vec<Fut> = items.into_iter().map(f).collect();
    async move {
        futures::stream::iter(futs)
            .buffered(READ_CONCURRENCY)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect()
    }
}

/// A kind this provider does not serve.
pub fn unsupported(kind: &str, provider: &str) -> ProviderError {
    ProviderError::Other(format!(
        "{kind} is not supported by the {provider} provider of this build"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn athenas_already_created_is_already_exists() {
        assert!(already_created(
            "InvalidRequestException",
            "WorkGroup wg-dev is already created"
        ));
        assert!(!already_created(
            "InvalidRequestException",
            "Invalid OutputLocation"
        ));
    }

    #[test]
    fn tag_diff_sets_changed_and_removes_missing_but_never_aws_tags() {
        let live: BTreeMap<_, _> = [("a", "1"), ("b", "2"), ("aws:x", "y")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let desired: BTreeMap<_, _> = [("a", "1"), ("c", "3")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let (set, remove) = tag_diff(&live, &desired);
        assert_eq!(set.keys().collect::<Vec<_>>(), ["c"]);
        assert_eq!(remove, ["b"]);
    }

    #[test]
    fn spec_tags_keep_only_the_stack_tag_of_aws_own() {
        let tags: BTreeMap<_, _> = [
            (
                twh_core::provider::CFN_STACK_TAG.to_string(),
                "stack".to_string(),
            ),
            ("aws:other".to_string(), "x".to_string()),
            ("team".to_string(), "data".to_string()),
        ]
        .into();
        let kept: Vec<_> = spec_tags(tags).into_keys().collect();
        assert_eq!(kept, [twh_core::provider::CFN_STACK_TAG, "team"]);
    }
}
