//! Builds what a command needs from the settings: the providers (AWS, or
//! the in-memory one when `TWH_MEMORY_PROVIDER` names a file) and the state
//! backend named by the environment file.

use std::sync::Arc;

use super::args::Global;
use crate::config::{Config, Environment, StateBackend};
use crate::kinds::Service;
use crate::ops::provider::OpsProvider;
use crate::provider::memory::MemoryProvider;
use crate::provider::{CallLog, Identity, Providers};
use crate::state::Backend;
use crate::state::local::LocalBackend;
use crate::state::s3::S3Backend;

pub struct Context {
    pub providers: Providers,
    pub backend: Arc<dyn Backend>,
    /// The operator commands' calls (crawlers, ingestions, queries, S3),
    /// through the same call log as the providers.
    pub ops: Arc<dyn OpsProvider>,
}

/// The account the in-memory provider pretends to be.
pub const MEMORY_ACCOUNT: &str = crate::provider::memory::ACCOUNT;

impl Context {
    pub async fn new(g: &Global, cfg: &Config) -> Result<Self, String> {
        let env = cfg.environment();
        let region = g
            .region
            .clone()
            .or_else(|| env.region.clone())
            .unwrap_or_else(|| "us-east-1".into());
        if let Some(r) = &g.region
            && !crate::config::environment::is_region(r)
        {
            return Err(format!(
                "--region `{}` is not an AWS region name; write a region code such as `us-east-1`",
                crate::diag::printable(r)
            ));
        }
        let calls = CallLog::default();
        let (providers, ops): (Providers, Arc<dyn OpsProvider>) =
            match std::env::var_os(crate::env::MEMORY_PROVIDER) {
                Some(file) => {
                    let mem = Arc::new(
                        MemoryProvider::persistent(file.into(), calls.clone())
                            .map_err(|e| e.to_string())?,
                    );
                    let identity = Identity {
                        account: MEMORY_ACCOUNT.into(),
                        region,
                    };
                    let mut p = Providers::new(identity, mem.clone(), calls);
                    for s in [
                        Service::Glue,
                        Service::Athena,
                        Service::QuickSight,
                        Service::Iam,
                        Service::Twh,
                    ] {
                        p = p.with(s, mem.clone());
                    }
                    (p, mem)
                }
                None => {
                    crate::provider::aws::check_endpoint_env()?;
                    let sdk = crate::provider::aws::sdk_config(
                        g.profile.as_deref(),
                        g.region.as_deref(),
                        env.region.as_deref(),
                    )
                    .await;
                    let (p, c) = crate::provider::aws::connect(&sdk, calls)
                        .await
                        .map_err(|e| e.to_string())?;
                    (p, Arc::new(c))
                }
            };
        if let Some(expected) = &env.account_id
            && *expected != providers.identity.account
        {
            return Err(format!(
                "environment `{}` belongs to account {expected}, but the credentials are for account {}; check --profile",
                g.env, providers.identity.account
            ));
        }
        let backend = state_backend(g, &env).await?;
        Ok(Self {
            providers,
            backend,
            ops,
        })
    }
}

/// The state backend the environment file `env` names.
pub async fn state_backend(g: &Global, env: &Environment) -> Result<Arc<dyn Backend>, String> {
    match &env.state {
        StateBackend::Local => Ok(Arc::new(LocalBackend::new(&g.dir.join("state"), &g.env))),
        StateBackend::S3 {
            bucket,
            key,
            region,
        } => {
            // The bucket's own region comes first: it is where the state
            // lives, whichever region the estate is in.
            let sdk = crate::provider::aws::sdk_config(
                g.profile.as_deref(),
                region.as_deref().or(g.region.as_deref()),
                env.region.as_deref(),
            )
            .await;
            let client = crate::provider::aws::s3_client(&sdk);
            Ok(Arc::new(S3Backend::new(client, bucket, key)?))
        }
    }
}
