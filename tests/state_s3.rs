//! The S3 state backend against the project's emulator: the conformance
//! suite, conditional writes against a concurrent writer, sync and diff with
//! state in S3, lock contention between two real `twh sync` processes, a
//! stale lock and force-unlock, and state pull/push.
//!
//! `TWH_EMULATOR_URL` must name a running emulator (`bash .ci/run` starts one);
//! without it every test here fails rather than passing silently. Each test
//! has its own bucket, so they run in parallel on the shared emulator and
//! none changes its global switches (latency comes from the memory
//! provider's world, not from emulator faults).

mod common;

use aws_sdk_s3::primitives::ByteStream;
use serde_json::{Value, json};

use common::Repo;
use twh::state::s3::S3Backend;
use twh::state::{Backend, StateError, StateFile};

/// The emulator's URL, or a failure telling how to get one.
fn emulator() -> String {
    match std::env::var("TWH_EMULATOR_URL") {
        Ok(u) if !u.is_empty() => u.trim_end_matches('/').to_string(),
        _ => panic!(
            "TWH_EMULATOR_URL is not set: these tests need the AWS emulator; \
             run them with `bash .ci/run` (it starts the emulator and sets the variables)"
        ),
    }
}

fn client() -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(emulator())
        .force_path_style(true)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// A new versioned bucket, unique to the calling test.
async fn bucket(s3: &aws_sdk_s3::Client) -> String {
    let name = format!(
        "twh-state-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    s3.create_bucket()
        .bucket(&name)
        .send()
        .await
        .expect("create bucket");
    s3.put_bucket_versioning()
        .bucket(&name)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("versioning");
    name
}

async fn get(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Option<Vec<u8>> {
    match s3.get_object().bucket(bucket).key(key).send().await {
        Ok(o) => Some(o.body.collect().await.expect("body").to_vec()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => None,
        Err(e) => panic!("GetObject {key}: {e:?}"),
    }
}

async fn put(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, body: Vec<u8>) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body))
        .send()
        .await
        .expect("put");
}

/// A repository whose `dev` state lives in `s3://bucket/twh/dev.json`.
fn repo_on(bucket: &str) -> Repo {
    let repo = Repo::new();
    repo.write(
        "resources/environments/dev.json",
        &json!({"region": "us-east-1", "variables": {"lake_bucket": "twh-lake-dev"},
                "state": {"backend": "s3", "bucket": bucket, "key": "twh/dev.json"}}),
    );
    repo
}

/// `twh` on the memory provider, with its state on the emulator's S3.
fn twh_s3(repo: &Repo) -> std::process::Command {
    let mut c = common::twh_in(repo);
    c.env("AWS_ENDPOINT_URL", emulator())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_SESSION_TOKEN");
    c
}

#[tokio::test(flavor = "multi_thread")]
async fn conformance_s3() {
    let s3 = client();
    let b = bucket(&s3).await;
    let backend = S3Backend::new(s3.clone(), &b, "twh/dev.json").expect("backend");
    twh::state::conformance::conformance(&backend).await;
    // Every state written is a version of the one object; none was deleted.
    let versions = s3
        .list_object_versions()
        .bucket(&b)
        .prefix("twh/dev.json")
        .send()
        .await
        .expect("versions");
    let of_state = versions
        .versions()
        .iter()
        .filter(|v| v.key() == Some("twh/dev.json"))
        .count();
    assert_eq!(of_state, 3, "three writes, three versions");
    assert!(
        versions
            .delete_markers()
            .iter()
            .all(|m| m.key() != Some("twh/dev.json")),
        "the state object is never deleted"
    );
    assert!(
        get(&s3, &b, "twh/dev.json.lock").await.is_none(),
        "unlocked"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_concurrent_overwrite_makes_the_writer_stop_not_clobber() {
    let s3 = client();
    let b = bucket(&s3).await;
    let ours = S3Backend::new(s3.clone(), &b, "twh/dev.json").expect("backend");
    assert!(ours.read().await.expect("read").is_none());
    let mut st = StateFile::new("dev");
    st.serial = 1;
    ours.write(&st).await.expect("first write");
    st.serial = 2;
    ours.write(&st)
        .await
        .expect("second write, on the ETag of the first");

    // Someone else writes a newer state (same lineage: say, a run that
    // force-unlocked ours).
    let mut theirs = st.clone();
    theirs.serial = 5;
    let their_text = twh::state::render(&theirs).expect("render");
    put(&s3, &b, "twh/dev.json", their_text.clone().into_bytes()).await;

    st.serial = 3;
    let err = ours.write(&st).await.expect_err("must not overwrite");
    assert!(matches!(err, StateError::Conflict { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "state `s3://{b}/twh/dev.json` was changed by another writer since this run read it; twh stopped instead of overwriting it"
        )
    );
    st.serial = 100;
    assert!(
        matches!(ours.write(&st).await, Err(StateError::Conflict { .. })),
        "a conflict sticks: a higher serial must not write over theirs"
    );
    assert_eq!(
        get(&s3, &b, "twh/dev.json").await.expect("state"),
        their_text.into_bytes(),
        "the other writer's state is intact"
    );

    // A write whose answer was lost and whose retry fails its condition:
    // the stored state is exactly ours, so the write went through.
    let mut again = S3Backend::new(s3.clone(), &b, "twh/dev.json").expect("backend");
    let mut next = again.read().await.expect("read").expect("state");
    next.serial += 1;
    put(
        &s3,
        &b,
        "twh/dev.json",
        twh::state::render(&next).expect("render").into_bytes(),
    )
    .await;
    again.write(&next).await.expect("our own write, seen late");
    next.serial += 1;
    again.write(&next).await.expect("and the next one");
    again = S3Backend::new(s3.clone(), &b, "twh/dev.json").expect("backend");
    assert_eq!(again.read().await.expect("read"), Some(next));

    // Two writers that both saw no state: only the first creates it.
    let first = S3Backend::new(s3.clone(), &b, "twh/other.json").expect("backend");
    let second = S3Backend::new(s3.clone(), &b, "twh/other.json").expect("backend");
    assert!(first.read().await.expect("read").is_none());
    assert!(second.read().await.expect("read").is_none());
    first
        .write(&StateFile::new("dev"))
        .await
        .expect("first creates");
    assert!(matches!(
        second.write(&StateFile::new("dev")).await,
        Err(StateError::Conflict { .. })
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_and_diff_with_state_in_s3() {
    let s3 = client();
    let b = bucket(&s3).await;
    let env = format!("s3st{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let repo = Repo::new();
    repo.write(
        &format!("resources/environments/{env}.json"),
        &json!({"region": "us-east-1", "variables": {},
                "state": {"backend": "s3", "bucket": b, "key": format!("states/{env}.json")}}),
    );
    repo.write(
        "resources/db.json",
        &json!({"type": "glue_database", "name": "wh", "spec": {"DatabaseInput": {"Name": "wh_${env}"}}}),
    );
    // Real providers on the emulator, not the memory provider.
    let run = |args: &[&str], code: i32| -> String {
        let o = twh_s3(&repo)
            .env_remove("TWH_MEMORY_PROVIDER")
            .env("AWS_REGION", "us-east-1")
            .args(args)
            .args(["--env", &env, "--no-progress"])
            .output()
            .expect("run twh");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(
            o.status.code(),
            Some(code),
            "`twh {}`:\n{text}",
            args.join(" ")
        );
        text
    };
    run(&["diff"], 2);
    let out = run(&["sync", "-y", "-v"], 0);
    assert!(out.contains("Sync complete: 1 changed"), "{out}");
    let key = format!("states/{env}.json");
    let stored: Value =
        serde_json::from_slice(&get(&s3, &b, &key).await.expect("state in S3")).expect("json");
    assert_eq!(stored["env"], json!(env));
    assert_eq!(
        stored["resources"]["glue_database.wh"]["id"],
        json!(format!("wh_{env}"))
    );
    assert!(
        get(&s3, &b, &format!("{key}.lock")).await.is_none(),
        "lock released"
    );
    assert!(!repo.file("state").exists(), "nothing written locally");
    let out = run(&["diff"], 0);
    assert!(out.contains("No changes"), "{out}");
    let out = run(&["sync", "-y", "-v"], 0);
    assert!(out.contains(" 0 mutating)"), "{out}");
    assert_eq!(
        run(&["state", "list"], 0),
        format!("glue_database.wh\twh_{env}\n")
    );
}

#[test]
fn two_syncs_at_once_one_applies_the_other_fails_fast() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let b = rt.block_on(bucket(&client()));
    let repo = repo_on(&b);
    let (loser, winner) = common::check_sync_contention(&repo, &|| twh_s3(&repo));
    eprintln!(
        "s3 state: the loser failed after {loser:.2}s, the winner finished after {winner:.2}s"
    );
}

#[test]
fn a_stale_s3_lock_is_named_and_force_unlock_removes_it() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let s3 = client();
    let b = rt.block_on(bucket(&s3));
    let repo = repo_on(&b);
    common::check_stale_lock(
        &repo,
        &|| twh_s3(&repo),
        &|v| {
            rt.block_on(put(
                &s3,
                &b,
                "twh/dev.json.lock",
                serde_json::to_vec(v).expect("json"),
            ))
        },
        &|| rt.block_on(get(&s3, &b, "twh/dev.json.lock")).is_some(),
    );
}

#[test]
fn state_pull_and_push_s3() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let b = rt.block_on(bucket(&client()));
    let repo = repo_on(&b);
    common::check_pull_push(&repo, &|| twh_s3(&repo));
}

#[test]
fn a_missing_bucket_is_named_with_the_fix() {
    let repo = repo_on("twh-state-does-not-exist");
    repo.small_estate();
    let o = twh_s3(&repo).args(["diff"]).output().expect("run");
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("GetObject s3://twh-state-does-not-exist/twh/dev.json failed: NoSuchBucket"),
        "{err}"
    );
    assert!(
        err.contains(
            "bucket `twh-state-does-not-exist` does not exist: create it (with versioning on)"
        ),
        "{err}"
    );
}

#[test]
fn a_state_overwritten_during_sync_stops_it_without_clobbering() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let s3 = client();
    let b = rt.block_on(bucket(&s3));
    let repo = repo_on(&b);
    common::check_overwrite_during_sync(
        &repo,
        &|| twh_s3(&repo),
        &|| rt.block_on(get(&s3, &b, "twh/dev.json")),
        &|bytes| rt.block_on(put(&s3, &b, "twh/dev.json", bytes)),
    );
}
