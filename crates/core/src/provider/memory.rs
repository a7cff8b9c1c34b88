//! An in-memory provider for every kind: the tests' and offline demos' AWS.
//!
//! It behaves like AWS where the core cares: create of an existing id fails
//! with AlreadyExists, delete of a missing one with NotFound, write-only
//! fields (credentials) are never read back, and every call is logged. It can
//! persist itself to a JSON file (`TWH_MEMORY_PROVIDER`) so separate `twh`
//! processes share one "account", and inject faults: fail the Nth mutating
//! call, throttle a seeded fraction of calls, delay every call.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::Value;

use super::{CallLog, OutputResolver, Page, Provider, ProviderError, StackResource};
use crate::kinds::KindDef;

pub mod ops;

/// The account the in-memory provider pretends to be.
pub const ACCOUNT: &str = "123456789012";

/// The persisted world: resources by kind and id, stack outputs, faults and
/// the log of every call ever made (tests read it back).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct World {
    #[serde(default)]
    pub resources: BTreeMap<String, BTreeMap<String, Value>>,
    /// `stack` → `output` → value, for `${cfn:...}`.
    #[serde(default)]
    pub stacks: BTreeMap<String, BTreeMap<String, String>>,
    /// `stack` → the resources it owns, for the ownership guard
    /// (ListStackResources). A stack listed here or in `stacks` exists.
    #[serde(default)]
    pub stack_resources: BTreeMap<String, Vec<super::StackResource>>,
    /// Items per page of ListStacks and ListStackResources (default 100), so
    /// tests can make the planner follow pages.
    #[serde(default)]
    pub stack_page_size: Option<usize>,
    #[serde(default)]
    pub faults: Faults,
    /// What this AWS stores other than what it is sent, as real AWS does
    /// (Athena's formatted view SQL, Glue's filled defaults, a role read
    /// back with its path): the planner must never see such a rewrite as
    /// a change.
    #[serde(default)]
    pub stores_as: Vec<StoresAs>,
    /// What the operator commands act on: S3 objects, crawls, ingestions,
    /// query results (see [`ops`]).
    #[serde(default)]
    pub ops: ops::OpsWorld,
    #[serde(default)]
    pub calls: Vec<super::Call>,
}

/// One rewrite on write: every create or update of `kind` stores `value` at
/// `pointer`, whatever it was sent, when the pointer's parent exists.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoresAs {
    pub kind: String,
    pub pointer: String,
    pub value: Value,
}

impl World {
    /// The value stored for a write of `spec`: `spec` with this world's
    /// rewrites of its kind applied.
    fn stored(&self, kind: &KindDef, spec: &Value) -> Value {
        let mut v = spec.clone();
        for r in self.stores_as.iter().filter(|r| r.kind == kind.name) {
            if let Some((parent, key)) = r.pointer.rsplit_once('/')
                && let Some(Value::Object(m)) = v.pointer_mut(parent)
            {
                m.insert(key.replace("~1", "/").replace("~0", "~"), r.value.clone());
            }
        }
        v
    }
}

/// Injected faults.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Faults {
    /// Fail the Nth mutating call (1-based, counted over the world's life)
    /// with an API error.
    #[serde(default)]
    pub fail_mutation: Option<usize>,
    /// Abort the process at the Nth mutating call, after it took effect
    /// (a crash between the call and the state write).
    #[serde(default)]
    pub crash_after_mutation: Option<usize>,
    /// Fraction of calls answered with throttling.
    #[serde(default)]
    pub throttle_rate: f64,
    #[serde(default)]
    pub seed: u64,
    /// Milliseconds every call takes (a slow account, so that two
    /// processes' runs overlap in tests).
    #[serde(default)]
    pub latency_ms: u64,
}

pub struct MemoryProvider {
    world: Mutex<World>,
    file: Option<PathBuf>,
    log: CallLog,
}

impl MemoryProvider {
    pub fn new(world: World, log: CallLog) -> Self {
        Self {
            world: Mutex::new(world),
            file: None,
            log,
        }
    }

    /// Loads the world from `file` (empty if absent), reloads it before and
    /// saves it after every call: a process that waited for the state lock
    /// sees what the lock's holder changed, as it would in AWS.
    pub fn persistent(file: PathBuf, log: CallLog) -> Result<Self, ProviderError> {
        Ok(Self {
            world: Mutex::new(load_world(&file)?),
            file: Some(file),
            log,
        })
    }

    /// What a write of `spec` stores (see [`World::stores_as`]).
    fn stored(&self, kind: &KindDef, spec: &Value) -> Value {
        self.world
            .lock()
            .map_or_else(|_| spec.clone(), |w| w.stored(kind, spec))
    }

    /// Changes the world outside any call (a test arranging its AWS).
    pub fn edit_world(&self, f: impl FnOnce(&mut World)) {
        if let Ok(mut w) = self.world.lock() {
            f(&mut w);
        }
    }

    pub fn world(&self) -> World {
        self.world.lock().map(|w| w.clone()).unwrap_or_default()
    }

    /// Runs one call on `kind`'s resources (see [`Self::call_world`]).
    fn call<T>(
        &self,
        kind: &KindDef,
        operation: &str,
        mutating: bool,
        f: impl FnOnce(&mut BTreeMap<String, Value>) -> Result<T, ProviderError>,
    ) -> Result<T, ProviderError> {
        self.call_world(kind.service.as_str(), operation, mutating, |w| {
            f(w.resources.entry(kind.name.to_string()).or_default())
        })
    }

    /// Runs one call: logs it, applies faults, runs `f` on the world, saves.
    fn call_world<T>(
        &self,
        service: &str,
        operation: &str,
        mutating: bool,
        f: impl FnOnce(&mut World) -> Result<T, ProviderError>,
    ) -> Result<T, ProviderError> {
        self.log.record(service, operation, mutating);
        let latency = self.world.lock().map_or(0, |w| w.faults.latency_ms);
        if latency > 0 {
            // Blocks a runtime worker, like a slow synchronous client would;
            // enough for tests that need runs to overlap.
            std::thread::sleep(std::time::Duration::from_millis(latency));
        }
        let mut w = self
            .world
            .lock()
            .map_err(|_| ProviderError::Other("memory provider poisoned".into()))?;
        if let Some(file) = &self.file {
            *w = load_world(file)?;
        }
        w.calls.push(super::Call {
            service: service.into(),
            operation: operation.into(),
            mutating,
        });
        let n = w.calls.len() as u64;
        let throttled = w.faults.throttle_rate > 0.0 && {
            // A cheap deterministic hash of (seed, call number).
            let x = (w.faults.seed ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            ((x >> 11) as f64 / (1u64 << 53) as f64) < w.faults.throttle_rate
        };
        let mutation_no = w.calls.iter().filter(|c| c.mutating).count();
        let result = if throttled {
            Err(ProviderError::Throttled {
                service: service.into(),
                operation: operation.into(),
            })
        } else if mutating && w.faults.fail_mutation == Some(mutation_no) {
            Err(ProviderError::Api {
                service: service.into(),
                operation: operation.into(),
                message: format!("injected failure of mutating call #{mutation_no}"),
            })
        } else {
            f(&mut w)
        };
        let crash =
            mutating && result.is_ok() && w.faults.crash_after_mutation == Some(mutation_no);
        if let Some(file) = &self.file {
            let text = serde_json::to_string_pretty(&*w)
                .map_err(|e| ProviderError::Other(e.to_string()))?;
            crate::state::local::write_atomic(file, text.as_bytes())
                .map_err(|e| ProviderError::Other(e.to_string()))?;
        }
        if crash {
            // Simulates kill -9 right after AWS accepted the call.
            std::process::abort();
        }
        result
    }
}

fn load_world(file: &std::path::Path) -> Result<World, ProviderError> {
    match fs_err::read_to_string(file) {
        Ok(t) => serde_json::from_str(&t).map_err(|e| {
            ProviderError::Other(format!("memory provider file `{}`: {e}", file.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(World::default()),
        Err(e) => Err(ProviderError::Other(e.to_string())),
    }
}

fn id_of(kind: &KindDef, spec: &Value) -> Result<String, ProviderError> {
    kind.identity_parts(spec)
        .map(|p| p.join("."))
        .ok_or_else(|| ProviderError::Other(format!("{} spec has no identity", kind.name)))
}

/// What AWS would answer: the stored spec without write-only fields.
fn readable(kind: &KindDef, spec: &Value) -> Value {
    let mut v = spec.clone();
    for p in kind.write_only {
        if let Some((parent, key)) = p.rsplit_once('/')
            && let Some(Value::Object(m)) = v.pointer_mut(parent)
        {
            m.remove(key);
        }
    }
    v
}

fn op(kind: &KindDef, verb: &str) -> String {
    format!("{verb}:{}", kind.name)
}

#[async_trait::async_trait]
impl Provider for MemoryProvider {
    async fn read(
        &self,
        kind: &'static KindDef,
        ids: &[String],
    ) -> Result<Vec<Option<Value>>, ProviderError> {
        self.call(kind, &op(kind, "read"), false, |store| {
            Ok(ids
                .iter()
                .map(|id| store.get(id).map(|s| readable(kind, s)))
                .collect())
        })
    }

    async fn create(&self, kind: &'static KindDef, spec: &Value) -> Result<(), ProviderError> {
        let id = id_of(kind, spec)?;
        let spec = &self.stored(kind, spec);
        self.call(kind, &op(kind, "create"), true, |store| {
            if store.contains_key(&id) {
                return Err(ProviderError::AlreadyExists {
                    kind: kind.name.into(),
                    id: id.clone(),
                });
            }
            store.insert(id.clone(), spec.clone());
            Ok(())
        })
    }

    async fn update(
        &self,
        kind: &'static KindDef,
        spec: &Value,
        _live: &Value,
    ) -> Result<(), ProviderError> {
        let id = id_of(kind, spec)?;
        let spec = &self.stored(kind, spec);
        self.call(kind, &op(kind, "update"), true, |store| {
            match store.get_mut(&id) {
                Some(v) => {
                    *v = spec.clone();
                    Ok(())
                }
                None => Err(ProviderError::NotFound {
                    kind: kind.name.into(),
                    id: id.clone(),
                }),
            }
        })
    }

    async fn delete(&self, kind: &'static KindDef, id: &str) -> Result<(), ProviderError> {
        self.call(kind, &op(kind, "delete"), true, |store| {
            match store.remove(id) {
                Some(_) => Ok(()),
                None => Err(ProviderError::NotFound {
                    kind: kind.name.into(),
                    id: id.into(),
                }),
            }
        })
    }

    async fn list(&self, kind: &'static KindDef) -> Result<Vec<String>, ProviderError> {
        self.call(kind, &op(kind, "list"), false, |store| {
            Ok(store.keys().cloned().collect())
        })
    }
}

#[async_trait::async_trait]
impl OutputResolver for MemoryProvider {
    async fn output(&self, stack: &str, output: &str) -> Result<String, ProviderError> {
        let w = self
            .world
            .lock()
            .map_err(|_| ProviderError::Other("memory provider poisoned".into()))?;
        w.stacks
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
        let w = self.cfn_call("ListStackResources")?;
        if !w.stacks.contains_key(stack) && !w.stack_resources.contains_key(stack) {
            return Err(ProviderError::NotFound {
                kind: "CloudFormation stack".into(),
                id: stack.into(),
            });
        }
        let all = w.stack_resources.get(stack).cloned().unwrap_or_default();
        Ok(page(all, token, w.stack_page_size))
    }

    async fn list_stacks(&self, token: Option<String>) -> Result<Page<String>, ProviderError> {
        let w = self.cfn_call("ListStacks")?;
        let names: std::collections::BTreeSet<String> = w
            .stacks
            .keys()
            .chain(w.stack_resources.keys())
            .cloned()
            .collect();
        Ok(page(names.into_iter().collect(), token, w.stack_page_size))
    }
}

impl MemoryProvider {
    /// Logs one CloudFormation read and returns the world as it is now.
    fn cfn_call(&self, operation: &str) -> Result<World, ProviderError> {
        self.log.record("cloudformation", operation, false);
        let mut w = self
            .world
            .lock()
            .map_err(|_| ProviderError::Other("memory provider poisoned".into()))?;
        if let Some(file) = &self.file {
            *w = load_world(file)?;
        }
        w.calls.push(super::Call {
            service: "cloudformation".into(),
            operation: operation.into(),
            mutating: false,
        });
        if let Some(file) = &self.file {
            let text = serde_json::to_string_pretty(&*w)
                .map_err(|e| ProviderError::Other(e.to_string()))?;
            crate::state::local::write_atomic(file, text.as_bytes())
                .map_err(|e| ProviderError::Other(e.to_string()))?;
        }
        Ok(w.clone())
    }
}

/// The page of `all` that `token` (an offset) starts, `size` items long.
fn page<T>(all: Vec<T>, token: Option<String>, size: Option<usize>) -> Page<T> {
    let size = size.unwrap_or(100).max(1);
    let start = token.and_then(|t| t.parse::<usize>().ok()).unwrap_or(0);
    let end = (start + size).min(all.len());
    let next = (end < all.len()).then(|| end.to_string());
    Page {
        items: all
            .into_iter()
            .skip(start)
            .take(end - start.min(end))
            .collect(),
        next,
    }
}
