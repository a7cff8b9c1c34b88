//! The real AWS: one `SdkConfig` from the SDK's default chain (environment,
//! profiles, SSO, container and instance roles; `AWS_ENDPOINT_URL` and
//! `AWS_ENDPOINT_URL_<SERVICE>` for emulators), the caller's identity from
//! STS, `${cfn:STACK.OUTPUT}` from CloudFormation, and one provider per
//! service.

use std::collections::HashMap;
use std::sync::Arc;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use tokio::sync::Mutex;

use super::aws_athena::AthenaProvider;
use super::aws_common::{Caller, Op};
use super::aws_glue::GlueProvider;
use super::aws_iam::IamProvider;
use super::aws_quicksight::QuickSightProvider;
use super::timeouts::{CONNECT_TIMEOUT, attempt_timeout};
use twh_core::kinds::Service;
use twh_core::provider::{
    CallLog, Identity, OutputResolver, Page, ProviderError, Providers, StackResource,
};

/// Checks `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` before the SDK
/// reads them: the SDK only logs a warning for an empty or invalid value and
/// then panics when it resolves an endpoint.
pub fn check_endpoint_env() -> Result<(), String> {
    for (name, value) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        if name != "AWS_ENDPOINT_URL" && !name.starts_with("AWS_ENDPOINT_URL_") {
            continue;
        }
        let value = value.to_string_lossy();
        let problem = if value.trim().is_empty() {
            Some("is set but empty".to_string())
        } else {
            match url::Url::parse(value.trim()) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => None,
                Ok(_) => Some(format!("is `{value}`, which is not an http(s) URL")),
                Err(e) => Some(format!("is `{value}`, which is not a URL ({e})")),
            }
        };
        if let Some(p) = problem {
            return Err(format!(
                "the environment variable {name} {p}; unset it to reach AWS, or set it to an endpoint such as http://127.0.0.1:5000"
            ));
        }
    }
    Ok(())
}

/// Loads the SDK configuration from the default chain. `--profile` and
/// `--region` override it; the environment file's region comes next; the
/// chain's own region (or `us-east-1`) last. Every call has a connect and a
/// per-attempt timeout.
pub async fn sdk_config(
    profile: Option<&str>,
    region: Option<&str>,
    fallback_region: Option<&str>,
) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(
        TimeoutConfig::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .operation_attempt_timeout(attempt_timeout())
            .build(),
    );
    if let Some(p) = profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = region.or(fallback_region) {
        loader = loader.region(Region::new(r.to_string()));
    }
    let cfg = loader.load().await;
    if cfg.region().is_none() {
        return cfg
            .into_builder()
            .region(Region::from_static("us-east-1"))
            .build();
    }
    cfg
}

/// An S3 client for `cfg`: path-style addressing when an endpoint URL is
/// set (emulators cannot serve virtual-host buckets on an IP address).
pub fn s3_client(cfg: &SdkConfig) -> aws_sdk_s3::Client {
    let mut b = aws_sdk_s3::config::Builder::from(cfg);
    if cfg.endpoint_url().is_some() || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some() {
        b = b.force_path_style(true);
    }
    aws_sdk_s3::Client::from_conf(b.build())
}

/// The caller's account, from STS GetCallerIdentity.
pub async fn identity(cfg: &SdkConfig, log: &CallLog) -> Result<Identity, ProviderError> {
    let region = cfg
        .region()
        .map(ToString::to_string)
        .unwrap_or_else(|| "us-east-1".into());
    let sts = aws_sdk_sts::Client::new(cfg);
    let caller = Caller::new(
        log.clone(),
        Identity {
            account: String::new(),
            region: region.clone(),
        },
    );
    let out = caller
        .call(
            Op::read("sts", "GetCallerIdentity", "identity", "caller"),
            || sts.get_caller_identity().send(),
        )
        .await
        .map_err(|e| {
            ProviderError::Other(format!(
                "cannot find who the AWS credentials belong to: {e}; check --profile and the AWS_* variables"
            ))
        })?;
    let account = out
        .account
        .ok_or_else(|| ProviderError::Other("STS GetCallerIdentity returned no account".into()))?;
    Ok(Identity { account, region })
}

/// `${cfn:STACK.OUTPUT}`: one DescribeStacks per stack, cached for the run.
pub struct CfnOutputs {
    client: aws_sdk_cloudformation::Client,
    caller: Caller,
    cache: Mutex<HashMap<String, HashMap<String, String>>>,
}

impl CfnOutputs {
    pub fn new(cfg: &SdkConfig, caller: Caller) -> Self {
        Self {
            client: aws_sdk_cloudformation::Client::new(cfg),
            caller,
            cache: Mutex::new(HashMap::new()),
        }
    }
}

#[async_trait::async_trait]
impl OutputResolver for CfnOutputs {
    async fn output(&self, stack: &str, output: &str) -> Result<String, ProviderError> {
        // Held across the call: a second lookup of the same stack waits for
        // the first instead of calling again.
        let mut cache = self.cache.lock().await;
        if !cache.contains_key(stack) {
            let out = self
                .caller
                .call(
                    Op::read("cloudformation", "DescribeStacks", "stack", stack),
                    || self.client.describe_stacks().stack_name(stack).send(),
                )
                .await
                .map_err(|e| match e {
                    ProviderError::Api { message, .. } if message.contains("does not exist") => {
                        ProviderError::Other(format!(
                            "CloudFormation stack `{stack}` does not exist"
                        ))
                    }
                    e => e,
                })?;
            let outputs = out
                .stacks
                .unwrap_or_default()
                .into_iter()
                .flat_map(|s| s.outputs.unwrap_or_default())
                .filter_map(|o| Some((o.output_key?, o.output_value?)))
                .collect();
            cache.insert(stack.to_string(), outputs);
        }
        cache
            .get(stack)
            .and_then(|s| s.get(output))
            .cloned()
            .ok_or_else(|| {
                ProviderError::Other(format!("stack `{stack}` has no output `{output}`"))
            })
    }

    async fn stack_resources(
        &self,
        stack: &str,
        token: Option<String>,
    ) -> Result<Page<StackResource>, ProviderError> {
        let out = self
            .caller
            .call(
                Op::read("cloudformation", "ListStackResources", "stack", stack),
                || {
                    self.client
                        .list_stack_resources()
                        .stack_name(stack)
                        .set_next_token(token.clone())
                        .send()
                },
            )
            .await
            .map_err(|e| match e {
                // CloudFormation answers a missing stack with a
                // ValidationError "Stack with id NAME does not exist".
                ProviderError::Api { message, .. } if message.contains("does not exist") => {
                    ProviderError::NotFound {
                        kind: "CloudFormation stack".into(),
                        id: stack.into(),
                    }
                }
                e => e,
            })?;
        let items = out
            .stack_resource_summaries
            .unwrap_or_default()
            .into_iter()
            .filter(|r| {
                r.resource_status
                    != Some(aws_sdk_cloudformation::types::ResourceStatus::DeleteComplete)
            })
            .filter_map(|r| {
                Some(StackResource {
                    resource_type: r.resource_type?,
                    physical_id: r.physical_resource_id.filter(|p| !p.is_empty())?,
                })
            })
            .collect();
        Ok(Page {
            items,
            next: out.next_token.filter(|t| !t.is_empty()),
        })
    }

    async fn list_stacks(&self, token: Option<String>) -> Result<Page<String>, ProviderError> {
        use aws_sdk_cloudformation::types::StackStatus;
        // Every status but DELETE_COMPLETE: deleted stacks are listed for
        // 90 days and own nothing.
        let live: Vec<StackStatus> = StackStatus::values()
            .iter()
            .filter(|s| **s != "DELETE_COMPLETE")
            .map(|s| StackStatus::from(*s))
            .collect();
        let out = self
            .caller
            .call(
                Op::read("cloudformation", "ListStacks", "stack", "*"),
                || {
                    self.client
                        .list_stacks()
                        .set_stack_status_filter(Some(live.clone()))
                        .set_next_token(token.clone())
                        .send()
                },
            )
            .await?;
        Ok(Page {
            items: out
                .stack_summaries
                .unwrap_or_default()
                .into_iter()
                .filter(|s| s.stack_status != Some(StackStatus::DeleteComplete))
                .filter_map(|s| s.stack_name)
                .collect(),
            next: out.next_token.filter(|t| !t.is_empty()),
        })
    }
}

/// The SDK clients the operator commands (`twh crawl`, `refresh`, `check`,
/// `purge`) call directly, with the providers' caller: one call log, one
/// retry policy, one identity per run.
#[derive(Clone)]
pub struct Clients {
    pub caller: Caller,
    pub glue: aws_sdk_glue::Client,
    pub athena: aws_sdk_athena::Client,
    pub quicksight: aws_sdk_quicksight::Client,
    pub s3: aws_sdk_s3::Client,
}

impl Clients {
    /// The Glue provider over these clients (its table reads and deletes).
    pub fn glue_provider(&self) -> GlueProvider {
        GlueProvider::new(self.glue.clone(), self.caller.clone())
    }
}

/// Every AWS provider, routed by service, for `cfg`, and the same clients
/// for the operator commands. The SDK's own retries are off for them:
/// `Caller` retries (with `TWH_RETRY_BASE_MS` backoff and one classification
/// of errors), and two nested retry loops would multiply the attempts and
/// hide each failure from the call log.
pub async fn connect(cfg: &SdkConfig, log: CallLog) -> Result<(Providers, Clients), ProviderError> {
    let cfg = &cfg
        .clone()
        .into_builder()
        .retry_config(RetryConfig::disabled())
        .build();
    let identity = identity(cfg, &log).await?;
    let caller = Caller::new(log.clone(), identity.clone());
    let outputs = Arc::new(CfnOutputs::new(cfg, caller.clone()));
    let clients = Clients {
        caller: caller.clone(),
        glue: aws_sdk_glue::Client::new(cfg),
        athena: aws_sdk_athena::Client::new(cfg),
        quicksight: aws_sdk_quicksight::Client::new(cfg),
        s3: s3_client(cfg),
    };
    let providers = Providers::new(identity, outputs, log)
        .with(Service::Glue, Arc::new(clients.glue_provider()))
        .with(
            Service::Athena,
            Arc::new(AthenaProvider::new(
                clients.athena.clone(),
                clients.glue_provider(),
                caller.clone(),
            )),
        )
        .with(
            Service::QuickSight,
            Arc::new(QuickSightProvider::new(
                clients.quicksight.clone(),
                caller.clone(),
            )),
        )
        .with(
            Service::Iam,
            Arc::new(IamProvider::new(aws_sdk_iam::Client::new(cfg), caller)),
        );
    Ok((providers, clients))
}
