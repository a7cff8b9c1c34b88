//! The shared AWS emulator of the end-to-end tests (`.ci/run` starts it and
//! sets `TWH_EMULATOR_URL`), and `twh` runs against it.

use std::path::Path;

use assert_cmd::Command;

/// The emulator's URL, or a failure telling how to get one: without it an
/// end-to-end test fails rather than passing silently.
pub fn url() -> String {
    match std::env::var("TWH_EMULATOR_URL") {
        Ok(u) if !u.is_empty() => u.trim_end_matches('/').to_string(),
        _ => panic!(
            "TWH_EMULATOR_URL is not set: these end-to-end tests need the AWS emulator; \
             run them with `bash .ci/run` (it starts the emulator and sets the variables)"
        ),
    }
}

/// SDK configuration pointing at the emulator.
pub async fn sdk() -> aws_config::SdkConfig {
    let mut l = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(url());
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
        l = l.credentials_provider(aws_sdk_sts::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ));
    }
    l.load().await
}

/// A unique environment name: `tag` and 8 random hex digits, so tests share
/// the emulator without resetting it.
pub fn unique_env(tag: &str) -> String {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    format!("{tag}{}", &suffix[..8])
}

/// `twh ARGS --env ENV --no-progress` in `dir` against the emulator.
pub fn twh(dir: &Path, env: &str, args: &[&str]) -> std::process::Output {
    let mut c = Command::cargo_bin("twh").expect("binary");
    c.current_dir(dir)
        .env_remove("TWH_MEMORY_PROVIDER")
        .env("AWS_ENDPOINT_URL", url())
        .env("AWS_REGION", "us-east-1")
        .env("NO_COLOR", "1")
        .env("TWH_RETRY_BASE_MS", "20")
        .args(args)
        .args(["--env", env, "--no-progress"]);
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
        c.env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing");
    }
    c.output().expect("run twh")
}

/// Runs twh, checks its exit code, returns stdout + stderr.
pub fn run(dir: &Path, env: &str, args: &[&str], code: i32) -> String {
    let o = twh(dir, env, args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        o.status.code(),
        Some(code),
        "`twh {}` for `{env}` exited {:?}, expected {code}:\n{text}",
        args.join(" "),
        o.status.code()
    );
    text
}
