//! IAM eventual consistency: for some seconds after a role is created (or
//! its trust policy changed), services that assume it refuse it. A first
//! sync that creates a role and the crawler, job or data source that uses it
//! would fail on AWS if the create were tried once; so those calls are
//! retried on the errors that mean "not propagated yet", for a bounded time,
//! as Terraform's provider does, and fail with the role and the cause named
//! when the role never becomes usable.
//!
//! The errors, from hashicorp/terraform-provider-aws:
//! - Glue (`internal/service/glue/crawler.go`, resourceCrawlerCreate and
//!   resourceCrawlerUpdate, "Retry for IAM eventual consistency" within
//!   `propagationTimeout` = 2 minutes): InvalidInputException containing
//!   "Insufficient Lake Formation permission", "Service is unable to assume
//!   provided role", "Please verify the role's TrustPolicy" or "is not
//!   authorized". Glue validates the role of a job the same way at create
//!   time, with the same message (go-to-k/cdkd's retryable errors: "Glue
//!   Crawler / Job / Trigger create validates that the Glue service can
//!   assume the same-stack IAM role").
//! - QuickSight (`internal/service/quicksight/data_source.go`, create and
//!   update retried within `propagationTimeout` = 2 minutes): an
//!   AccessDeniedException containing "Failed to assume your role. Verify
//!   the trust relationships of the role in the IAM console" or
//!   "Insufficient permission to access the manifest file".

use std::future::Future;
use std::time::Duration;

use aws_sdk_glue::error::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::aws_common::{Caller, Op};
use twh_core::provider::ProviderError;

/// How long to wait for a role to propagate unless
/// `TWH_IAM_PROPAGATION_TIMEOUT` (seconds) says otherwise: Terraform's
/// `propagationTimeout` for Glue and QuickSight.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// One error that means "IAM has not propagated the role yet": its code and
/// a part of its message.
pub struct NotYet {
    pub code: &'static str,
    pub message: &'static str,
}

/// Glue CreateCrawler, UpdateCrawler, CreateJob, UpdateJob.
pub const GLUE: &[NotYet] = &[
    NotYet {
        code: "InvalidInputException",
        message: "Service is unable to assume provided role",
    },
    NotYet {
        code: "InvalidInputException",
        message: "Please verify the role's TrustPolicy",
    },
    NotYet {
        code: "InvalidInputException",
        message: "is not authorized",
    },
    NotYet {
        code: "InvalidInputException",
        message: "Insufficient Lake Formation permission",
    },
];

/// QuickSight CreateDataSource, UpdateDataSource.
pub const QUICKSIGHT: &[NotYet] = &[
    NotYet {
        code: "AccessDeniedException",
        message: "Failed to assume your role",
    },
    NotYet {
        code: "AccessDeniedException",
        message: "Insufficient permission to access the manifest file",
    },
];

/// The bound: [`DEFAULT_TIMEOUT`] or `TWH_IAM_PROPAGATION_TIMEOUT` seconds.
pub fn timeout() -> Duration {
    std::env::var(twh_core::env::IAM_PROPAGATION_TIMEOUT)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs_f64)
}

/// Whether `err` (as classified) is one of `not_yet`.
fn is_not_yet(err: &ProviderError, not_yet: &[NotYet]) -> bool {
    match err {
        ProviderError::Api { message, .. } => not_yet
            .iter()
            .any(|n| message.starts_with(n.code) && message.contains(n.message)),
        _ => false,
    }
}

/// The wait before attempt `n + 1`: 1 s, 2 s, 4 s, then every 8 s; never
/// past the deadline.
fn delay(n: u32, left: Duration) -> Duration {
    Duration::from_secs(1u64 << n.min(3)).min(left)
}

impl Caller {
    /// [`Caller::call`] for a write naming `role` (`None`: the service's own), retried while the service
    /// answers one of `not_yet` and [`timeout`] has not passed. Says once
    /// that it waits; after the bound, fails naming the role, the service's
    /// answer and what to check.
    pub async fn call_as_role_propagates<T, E, F, Fut>(
        &self,
        op: Op<'_>,
        role: Option<&str>,
        not_yet: &[NotYet],
        mut f: F,
    ) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let role = match role {
            Some(r) if !r.is_empty() => format!("role `{r}`"),
            _ => "its IAM role".to_string(),
        };
        let role = role.as_str();
        let bound = timeout();
        let started = tokio::time::Instant::now();
        let mut attempt = 0u32;
        loop {
            let err = match self.call(op, &mut f).await {
                Err(e) if is_not_yet(&e, not_yet) => e,
                other => return other,
            };
            let waited = started.elapsed();
            if waited >= bound {
                return Err(not_propagated(&op, role, waited, &err));
            }
            if attempt == 0 {
                tracing::warn!(
                    target: "twh",
                    "{} `{}`: waiting up to {}s for IAM to propagate {role} ({} answered: {})",
                    op.kind,
                    op.id,
                    bound.as_secs(),
                    op.service,
                    api_message(&err)
                );
            }
            tokio::time::sleep(delay(attempt, bound - waited)).await;
            attempt += 1;
        }
    }
}

fn api_message(err: &ProviderError) -> &str {
    match err {
        ProviderError::Api { message, .. } => message,
        _ => "",
    }
}

/// The error after the bound: which role, what the service said, how long
/// twh waited, and what to check. Glue says it cannot assume a role also
/// when the role does not exist (apache/airflow#13072), so that is the
/// first thing to check.
fn not_propagated(op: &Op<'_>, role: &str, waited: Duration, err: &ProviderError) -> ProviderError {
    let assumer = match op.service {
        "glue" => "glue.amazonaws.com",
        "quicksight" => "quicksight.amazonaws.com",
        other => other,
    };
    ProviderError::Other(format!(
        "{} `{}`: {} `{}` still refuses {role} after waiting {:.0}s for IAM to propagate it: {}; \
         hint: check that the role exists, that its trust policy lets `{assumer}` assume it and that it has the permissions the message names; \
         if it is only slow to propagate, set {} to wait longer (seconds; default {})",
        op.kind,
        op.id,
        op.service,
        op.operation,
        waited.as_secs_f64(),
        api_message(err),
        twh_core::env::IAM_PROPAGATION_TIMEOUT,
        DEFAULT_TIMEOUT.as_secs()
    ))
}

/// The role a spec names: its `Role` (Glue) or the first `RoleArn` at any
/// depth (a QuickSight data source's parameters).
pub fn role_of(spec: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    if let Some(r) = spec.get("Role").and_then(Value::as_str) {
        return Some(r.to_string());
    }
    match spec {
        Value::Object(m) => m.iter().find_map(|(k, v)| match v {
            Value::String(s) if k == "RoleArn" => Some(s.clone()),
            other => role_of(other),
        }),
        Value::Array(a) => a.iter().find_map(role_of),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn api(message: &str) -> ProviderError {
        ProviderError::Api {
            service: "glue".into(),
            operation: "CreateCrawler".into(),
            message: message.into(),
        }
    }

    #[test]
    fn only_the_not_propagated_answers_are_waited_on() {
        assert!(is_not_yet(
            &api(
                "InvalidInputException: Service is unable to assume provided role. Please verify role's TrustPolicy."
            ),
            GLUE
        ));
        assert!(is_not_yet(
            &api("InvalidInputException: Insufficient Lake Formation permission(s) on db"),
            GLUE
        ));
        assert!(!is_not_yet(
            &api("InvalidInputException: Invalid schedule expression"),
            GLUE
        ));
        assert!(!is_not_yet(
            &api("AccessDeniedException: Service is unable to assume provided role"),
            GLUE
        ));
        assert!(is_not_yet(
            &api(
                "AccessDeniedException: Failed to assume your role. Verify the trust relationships of the role in the IAM console"
            ),
            QUICKSIGHT
        ));
        assert!(!is_not_yet(
            &ProviderError::Throttled {
                service: "glue".into(),
                operation: "CreateCrawler".into()
            },
            GLUE
        ));
    }

    #[test]
    fn the_role_is_found_where_each_kind_names_it() {
        assert_eq!(
            role_of(&json!({"Name": "c", "Role": "arn:aws:iam::1:role/r"})).as_deref(),
            Some("arn:aws:iam::1:role/r")
        );
        assert_eq!(
            role_of(&json!({"DataSourceParameters": {"AthenaParameters": {"WorkGroup": "w", "RoleArn": "arn:r"}}}))
                .as_deref(),
            Some("arn:r")
        );
        assert_eq!(role_of(&json!({"DataSourceParameters": {}})), None);
    }

    #[test]
    fn waits_grow_and_never_pass_the_deadline() {
        assert_eq!(delay(0, Duration::from_secs(60)), Duration::from_secs(1));
        assert_eq!(delay(2, Duration::from_secs(60)), Duration::from_secs(4));
        assert_eq!(delay(9, Duration::from_secs(60)), Duration::from_secs(8));
        assert_eq!(
            delay(9, Duration::from_millis(300)),
            Duration::from_millis(300)
        );
    }
}
