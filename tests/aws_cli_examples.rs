//! Proof on requests nobody here wrote: every example of
//! `tests/aws_cli_examples/` (AWS's own CLI, SDK and documentation examples
//! turned into twh resource files; see its README and `manifest.json`) is
//! created in a scratch repository against the emulator, and must
//!
//! 1. pass `twh validate`;
//! 2. sync;
//! 3. give a clean `twh diff` (exit 0);
//! 4. sync a second time with 0 mutating calls, counted from the calls the
//!    emulator received, which must also be what twh itself reports
//!    (`sync -v`'s `API calls:` line and `--output json`'s `api_calls`);
//!
//! and is then deleted again by twh (its files removed, a sync). An example
//! twh refuses passes only if the manifest records that very refusal as one
//! AWS itself makes (`aws_refusal`); any other refusal fails.
//!
//! Every twh run signs with an access key of its own, and the emulator's
//! call log is read for that key (`GET /_twh/calls?access_key=KEY`): the
//! count is of this run's calls even while other examples run. Examples
//! that share an AWS name (the pages reuse `Test-Role` six times) cannot
//! exist together, so they run in waves: within a wave every example runs
//! concurrently, and each wave starts after the last one deleted what it
//! made.
//!
//! `TWH_EMULATOR_URL` must name a running emulator (`bash .ci/run` starts
//! one); without it the test fails, as the other end-to-end tests do.

mod common;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{Value, json};

/// The corpus folder.
fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/aws_cli_examples")
}

/// The environment every scratch repository gets: the emulator's account.
const ENV: &str = "examples";

/// One example of the manifest.
#[derive(Debug, Clone)]
struct Example {
    file: String,
    address: String,
    /// Where AWS published it, for failure messages.
    source: String,
    /// Files to create first, in this order.
    estate: Vec<String>,
    expect: Expect,
}

#[derive(Debug, Clone, PartialEq)]
enum Expect {
    Accepted,
    /// The manifest expects a refusal. `aws` is the refusal AWS itself makes
    /// (a text twh's error must contain, and the evidence for it); `None`
    /// when the manifest says AWS would accept it, so a refusal is twh's bug.
    Refused {
        aws: Option<AwsRefusal>,
        note: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
struct AwsRefusal {
    message: String,
    evidence: String,
}

impl Example {
    fn from_manifest(m: &Value) -> Self {
        let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let expect = match m["expect"].as_str() {
            Some("accepted") => Expect::Accepted,
            Some("refused") => Expect::Refused {
                aws: m.get("aws_refusal").map(|r| AwsRefusal {
                    message: s(&r["message"]),
                    evidence: s(&r["evidence"]),
                }),
                note: s(&m["expect_note"]),
            },
            other => panic!(
                "manifest.json: `{}` has expect {other:?}; it must be \"accepted\" or \"refused\"",
                s(&m["file"])
            ),
        };
        Self {
            file: s(&m["file"]),
            address: s(&m["address"]),
            source: source_text(&m["source"]),
            estate: m["estate"]
                .as_array()
                .map(|a| a.iter().map(s).collect())
                .unwrap_or_default(),
            expect,
        }
    }

    /// `FILE (ADDRESS), from SOURCE`: how a failure names the example.
    fn title(&self) -> String {
        format!("{} ({}), from {}", self.file, self.address, self.source)
    }

    /// The twh resource files to copy (estate first), and the out-of-band
    /// API inputs the harness sends itself.
    fn files(&self) -> (Vec<&str>, Vec<&str>) {
        let all = self
            .estate
            .iter()
            .map(String::as_str)
            .chain([self.file.as_str()]);
        all.partition(|f| !is_out_of_band(f))
    }
}

fn is_out_of_band(file: &str) -> bool {
    file.starts_with("prerequisites/out_of_band/")
}

/// Where an example comes from, as the manifest records it.
fn source_text(src: &Value) -> String {
    let s = |k: &str| src[k].as_str().unwrap_or("?").to_string();
    match src["from"].as_str() {
        Some("awscli-rst") => format!(
            "{} example {} ({})",
            s("path"),
            src["example"],
            s("package")
        ),
        Some("botocore-examples") => format!(
            "{} {}[{}] ({})",
            s("path"),
            s("operation"),
            src["index"],
            s("package")
        ),
        Some("cloudformation-docs") => format!(
            "{}@{} {} ({})",
            s("repo"),
            &s("commit")[..8.min(s("commit").len())],
            s("path"),
            s("example")
        ),
        Some("quicksight-developer-guide") => s("url"),
        _ => src.to_string(),
    }
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn manifest() -> Vec<Example> {
    let m = read_json(&corpus().join("manifest.json"));
    m["examples"]
        .as_array()
        .expect("manifest.json has an `examples` list")
        .iter()
        .map(Example::from_manifest)
        .collect()
}

/// The AWS names an example's files create, lowercased (IAM role names are
/// case-insensitive and Glue folds database names): two examples that share
/// one cannot run at the same time.
fn identities(ex: &Example) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for f in ex.estate.iter().chain([&ex.file]) {
        if is_out_of_band(f) {
            out.insert(format!("out-of-band {f}"));
            continue;
        }
        let doc = read_json(&corpus().join(f));
        let resources = match doc.get("resources") {
            Some(Value::Array(a)) => a.clone(),
            _ => vec![doc],
        };
        for r in resources {
            let kind = r["type"].as_str().unwrap_or_default();
            out.insert(format!("{kind}.{}", r["name"].as_str().unwrap_or_default()).to_lowercase());
        }
    }
    out
}

/// Examples in waves: in manifest order, each in the first wave where no
/// other example shares one of its identities.
fn waves(examples: &[Example]) -> Vec<Vec<Example>> {
    let mut waves: Vec<(BTreeSet<String>, Vec<Example>)> = Vec::new();
    for ex in examples {
        let ids = identities(ex);
        match waves.iter_mut().find(|(taken, _)| taken.is_disjoint(&ids)) {
            Some((taken, members)) => {
                taken.extend(ids);
                members.push(ex.clone());
            }
            None => waves.push((ids, vec![ex.clone()])),
        }
    }
    waves.into_iter().map(|(_, m)| m).collect()
}

// ---------------------------------------------------------------------------
// Counting calls

/// Calls counted three ways for one twh run.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Counts {
    /// Mutating calls in the emulator's log for the run's access key.
    emulator: usize,
    /// `api_calls.total.mutations` of `--output json`.
    json: Option<usize>,
    /// `M` of `-v`'s `API calls: N (R reads, M mutating)`.
    text: Option<usize>,
    /// The emulator's mutating operations, in order, for messages.
    operations: Vec<String>,
}

/// `M` of the `API calls: N (R reads, M mutating)` line on stderr.
fn text_mutations(stderr: &str) -> Option<usize> {
    let line = stderr.lines().find(|l| l.starts_with("API calls: "))?;
    let inner = line.split_once('(')?.1.split_once(')')?.0;
    let mutating = inner.split(", ").find(|p| p.ends_with(" mutating"))?;
    mutating.trim_end_matches(" mutating").parse().ok()
}

/// The emulator's count and twh's two must be one number; returns it.
fn agreed(c: &Counts) -> Result<usize, String> {
    if c.json == Some(c.emulator) && c.text == Some(c.emulator) {
        return Ok(c.emulator);
    }
    Err(format!(
        "the counts of mutating calls disagree: the emulator received {} ({}), twh's --output json says {}, its -v line says {}",
        c.emulator,
        if c.operations.is_empty() {
            "none".to_string()
        } else {
            c.operations.join(", ")
        },
        c.json
            .map_or("nothing (no api_calls.total.mutations)".into(), |n| n
                .to_string()),
        c.text
            .map_or("nothing (no `API calls:` line)".into(), |n| n.to_string()),
    ))
}

async fn emulator_calls(url: &str, key: &str) -> Vec<Value> {
    let r = reqwest::get(format!("{url}/_twh/calls?access_key={key}"))
        .await
        .unwrap_or_else(|e| panic!("GET {url}/_twh/calls: {e}"));
    match r.json::<Value>().await {
        Ok(Value::Array(a)) => a,
        other => panic!("GET {url}/_twh/calls: not a list of calls: {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Running one example

/// A twh run: its arguments, exit, output and, for syncs, the calls.
struct Run {
    args: String,
    output: Output,
    counts: Option<Counts>,
}

impl Run {
    fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// `twh ARGS` exited CODE, with its stderr and (cut) stdout.
    fn describe(&self) -> String {
        let mut out = format!("`twh {}` exited {:?}", self.args, self.code());
        let err = self.stderr();
        if !err.trim().is_empty() {
            let _ = write!(out, "\n  --- stderr\n{}", indent(&err));
        }
        let stdout = self.stdout();
        if !stdout.trim().is_empty() {
            let cut: String = stdout.chars().take(6000).collect();
            let more = if cut.len() < stdout.len() {
                "\n    …"
            } else {
                ""
            };
            let _ = write!(out, "\n  --- stdout\n{}{more}", indent(&cut));
        }
        out
    }
}

fn indent(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A scratch repository holding one example and its estate.
struct Scratch {
    dir: tempfile::TempDir,
    url: String,
}

impl Scratch {
    fn new(url: &str, ex: &Example) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let env = json!({"region": "us-east-1", "account_id": "123456789012",
                         "state": {"backend": "local"}});
        let write = |rel: &str, text: &str| {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        };
        write(
            &format!("resources/environments/{ENV}.json"),
            &serde_json::to_string_pretty(&env).expect("json"),
        );
        for f in ex.files().0 {
            let text = std::fs::read_to_string(corpus().join(f))
                .unwrap_or_else(|e| panic!("{}: cannot read {f}: {e}", ex.title()));
            write(&format!("resources/{f}"), &text);
        }
        Self {
            dir,
            url: url.to_string(),
        }
    }

    /// Removes every resource file (the environment stays): the next sync
    /// deletes what twh made.
    fn empty(&self, ex: &Example) {
        for f in ex.files().0 {
            std::fs::remove_file(self.dir.path().join("resources").join(f))
                .unwrap_or_else(|e| panic!("{}: cannot remove {f}: {e}", ex.title()));
        }
    }

    /// Runs `twh ARGS --env examples --no-progress` signed with an access
    /// key of its own; for syncs (`counted`), counts its calls three ways.
    async fn twh(&self, args: &[&str], counted: bool) -> Run {
        let key = format!(
            "AKIDEX{}",
            uuid::Uuid::new_v4().simple().to_string().to_uppercase()
        );
        let mut c = common::emulator::command_in(self.dir.path(), &self.url, ENV, args);
        c.env("AWS_ACCESS_KEY_ID", &key)
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE");
        let output = tokio::process::Command::from(c)
            .output()
            .await
            .expect("run twh");
        let counts = if counted {
            let calls = emulator_calls(&self.url, &key).await;
            let operations: Vec<String> = calls
                .iter()
                .filter(|c| c["mutating"] == json!(true))
                .map(|c| {
                    format!(
                        "{} {}",
                        c["service"].as_str().unwrap_or("?"),
                        c["operation"].as_str().unwrap_or("?")
                    )
                })
                .collect();
            let doc: Option<Value> = serde_json::from_slice(&output.stdout).ok();
            Some(Counts {
                emulator: operations.len(),
                json: doc
                    .as_ref()
                    .and_then(|d| d["api_calls"]["total"]["mutations"].as_u64())
                    .and_then(|n| usize::try_from(n).ok()),
                text: text_mutations(&String::from_utf8_lossy(&output.stderr)),
                operations,
            })
        } else {
            None
        };
        Run {
            args: args.join(" "),
            output,
            counts,
        }
    }
}

/// What became of one example.
#[derive(Debug, PartialEq)]
enum Verdict {
    /// Synced, clean, and quiet on the second sync; the first made N
    /// mutating calls, and AWS stored M fields other than as sent.
    Clean {
        mutations: usize,
        stored_by_aws: usize,
    },
    /// Refused by twh as AWS itself refuses it.
    RefusedAsAws,
}

/// Whether a refusal (`validate` or `sync` failing) is the one the manifest
/// says AWS makes.
fn judge_refusal(ex: &Example, step: &str, run: &Run) -> Result<Verdict, String> {
    let err = run.stderr();
    match &ex.expect {
        Expect::Refused { aws: Some(aws), .. } if err.contains(&aws.message) => {
            Ok(Verdict::RefusedAsAws)
        }
        Expect::Refused { aws: Some(aws), .. } => Err(format!(
            "step `{step}`: refused, but not as AWS refuses it: the manifest expects an error containing {:?} ({}); got {}",
            aws.message,
            aws.evidence,
            run.describe()
        )),
        Expect::Refused { aws: None, note } => Err(format!(
            "step `{step}`: refused, and the manifest records that AWS would not refuse it ({note}); twh must accept it: {}",
            run.describe()
        )),
        Expect::Accepted => Err(format!(
            "step `{step}`: refused; AWS accepts this request, so twh must too: {}",
            run.describe()
        )),
    }
}

/// A sync that must succeed, its calls counted and cross-checked.
async fn counted_sync(scratch: &Scratch, step: &str) -> Result<(Run, usize), String> {
    let run = scratch
        .twh(&["sync", "--auto-approve", "-v", "--output", "json"], true)
        .await;
    if run.code() != Some(0) {
        return Err(format!("step `{step}`: {}", run.describe()));
    }
    let counts = run.counts.clone().expect("counted");
    let n = agreed(&counts).map_err(|e| format!("step `{step}`: {e}; {}", run.describe()))?;
    Ok((run, n))
}

/// Steps 1-4 for one example, in its scratch repository.
async fn check(scratch: &Scratch, ex: &Example) -> Result<Verdict, String> {
    let validate = scratch.twh(&["validate"], false).await;
    if validate.code() != Some(0) {
        return judge_refusal(ex, "twh validate", &validate);
    }
    let first = scratch
        .twh(&["sync", "--auto-approve", "-v", "--output", "json"], true)
        .await;
    if first.code() != Some(0) {
        return judge_refusal(ex, "twh sync (first)", &first);
    }
    if let Expect::Refused { aws: Some(aws), .. } = &ex.expect {
        return Err(format!(
            "the manifest expects AWS's refusal ({:?}: {}), but twh validated and synced it",
            aws.message, aws.evidence
        ));
    }
    let counts = first.counts.clone().expect("counted");
    let mutations = agreed(&counts)
        .map_err(|e| format!("step `twh sync` (first): {e}; {}", first.describe()))?;
    if mutations == 0 {
        return Err(format!(
            "step `twh sync` (first): made no mutating call, so nothing was created; {}",
            first.describe()
        ));
    }
    let stored_by_aws = serde_json::from_slice::<Value>(&first.output.stdout)
        .ok()
        .and_then(|d| d["result"]["stored_by_aws"].as_array().map(Vec::len))
        .unwrap_or(0);
    let diff = scratch.twh(&["diff"], false).await;
    if diff.code() != Some(0) {
        return Err(format!(
            "step `twh diff` after the sync: not clean (exit 2 is a planned change); {}",
            diff.describe()
        ));
    }
    let (second, n) = counted_sync(scratch, "twh sync (second)").await?;
    if n != 0 {
        let ops = second.counts.as_ref().map(|c| c.operations.join(", "));
        return Err(format!(
            "step `twh sync` (second): made {n} mutating call(s) ({}), expected 0; {}",
            ops.unwrap_or_default(),
            second.describe()
        ));
    }
    Ok(Verdict::Clean {
        mutations,
        stored_by_aws,
    })
}

/// Creates an out-of-band prerequisite with the SDK (twh has no kind for
/// it). Only Glue classifiers occur.
async fn create_out_of_band(glue: &aws_sdk_glue::Client, file: &str) -> Result<String, String> {
    let input = read_json(&corpus().join(file));
    let Some(g) = input.get("GrokClassifier") else {
        return Err(format!(
            "{file}: the harness knows only CreateClassifier inputs with a GrokClassifier"
        ));
    };
    let s = |k: &str| g[k].as_str().unwrap_or_default().to_string();
    let grok = aws_sdk_glue::types::CreateGrokClassifierRequest::builder()
        .name(s("Name"))
        .classification(s("Classification"))
        .grok_pattern(s("GrokPattern"))
        .set_custom_patterns(g["CustomPatterns"].as_str().map(String::from))
        .build()
        .map_err(|e| format!("{file}: {e}"))?;
    glue.create_classifier()
        .grok_classifier(grok)
        .send()
        .await
        .map_err(|e| format!("{file}: CreateClassifier failed: {e:?}"))?;
    Ok(s("Name"))
}

/// One example from nothing back to nothing: prerequisites, steps 1-4,
/// then the deletion of everything it made (even after a failure, so that
/// later waves find their names free).
async fn run_example(url: String, ex: Example) -> Result<Verdict, String> {
    let cfg = common::emulator::sdk(&url).await;
    let glue = aws_sdk_glue::Client::new(&cfg);
    let mut classifiers = Vec::new();
    let mut verdict = Ok(Verdict::RefusedAsAws);
    for f in ex.files().1 {
        match create_out_of_band(&glue, f).await {
            Ok(name) => classifiers.push(name),
            Err(e) => verdict = Err(format!("out-of-band prerequisite: {e}")),
        }
    }
    let scratch = Scratch::new(&url, &ex);
    if verdict.is_ok() {
        verdict = check(&scratch, &ex).await;
    }
    scratch.empty(&ex);
    let cleanup = scratch.twh(&["sync", "--auto-approve"], false).await;
    let mut problems = Vec::new();
    if cleanup.code() != Some(0) {
        problems.push(format!(
            "cleanup (files removed, `twh sync` to delete what it made) failed, so later examples may find its names taken: {}",
            cleanup.describe()
        ));
    }
    for name in classifiers {
        if let Err(e) = glue.delete_classifier().name(&name).send().await {
            problems.push(format!("cleanup: DeleteClassifier {name}: {e:?}"));
        }
    }
    match verdict {
        Ok(v) if problems.is_empty() => Ok(v),
        Ok(_) => Err(problems.join("\n  ")),
        Err(e) => Err(std::iter::once(e)
            .chain(problems)
            .collect::<Vec<_>>()
            .join("\n  ")),
    }
}

// ---------------------------------------------------------------------------
// The tests

#[tokio::test(flavor = "multi_thread")]
async fn every_aws_example_validates_syncs_clean_and_resyncs_without_a_mutating_call() {
    let url = common::emulator::shared_url();
    let examples = manifest();
    let mut report = String::new();
    let mut failures = Vec::new();
    let mut clean = 0;
    for (w, wave) in waves(&examples).into_iter().enumerate() {
        let mut tasks = tokio::task::JoinSet::new();
        for (i, ex) in wave.into_iter().enumerate() {
            let url = url.clone();
            tasks.spawn(async move { (i, ex.clone(), run_example(url, ex).await) });
        }
        let mut done = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            done.push(joined.expect("an example's task panicked"));
        }
        done.sort_by_key(|(i, _, _)| *i);
        for (_, ex, verdict) in done {
            match verdict {
                Ok(Verdict::Clean {
                    mutations,
                    stored_by_aws,
                }) => {
                    clean += 1;
                    let _ = writeln!(
                        report,
                        "ok       wave {w}  {}: {mutations} mutating calls, then 0; {stored_by_aws} field(s) stored by AWS otherwise",
                        ex.file
                    );
                }
                Ok(Verdict::RefusedAsAws) => {
                    let _ = writeln!(report, "refused  wave {w}  {}: as AWS refuses it", ex.file);
                }
                Err(e) => {
                    let _ = writeln!(report, "FAILED   wave {w}  {}", ex.file);
                    failures.push(format!("{}:\n  {e}", ex.title()));
                }
            }
        }
    }
    if failures.is_empty() {
        println!("{report}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} AWS examples failed ({clean} clean):\n{report}\n{}",
        failures.len(),
        examples.len(),
        failures.join("\n\n")
    );
}

/// Every file the manifest names exists, and every resource file of the
/// corpus is an example or part of one's estate: nothing in the folder is
/// left untested.
#[test]
fn the_manifest_covers_every_file_of_the_corpus() {
    let examples = manifest();
    let mut named = BTreeSet::new();
    for ex in &examples {
        for f in ex.estate.iter().chain([&ex.file]) {
            assert!(
                corpus().join(f).is_file(),
                "{}: names `{f}`, which does not exist",
                ex.title()
            );
            named.insert(f.clone());
        }
    }
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read_dir") {
            let p = entry.expect("entry").path();
            if p.is_dir() {
                walk(&p, root, out);
            } else if p.extension().is_some_and(|e| e == "json") {
                let rel = p.strip_prefix(root).expect("under root");
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    let mut files = Vec::new();
    walk(&corpus(), &corpus(), &mut files);
    let orphans: Vec<_> = files
        .into_iter()
        .filter(|f| f != "manifest.json" && f != "hand_written.json" && !named.contains(f))
        .collect();
    assert!(
        orphans.is_empty(),
        "files in tests/aws_cli_examples/ that no manifest entry uses: {orphans:?}"
    );
    assert_eq!(examples.len(), 30, "the corpus has 30 examples");
    // Examples sharing a name are never in one wave.
    for wave in waves(&examples) {
        let mut seen = BTreeSet::new();
        for ex in &wave {
            for id in identities(ex) {
                assert!(seen.insert(id.clone()), "`{id}` twice in one wave");
            }
        }
    }
}

fn counts(emulator: usize, json: Option<usize>, text: Option<usize>) -> Counts {
    Counts {
        emulator,
        json,
        text,
        operations: vec!["glue UpdateJob".into(); emulator],
    }
}

/// The cross-check of counts fails whenever twh's count is not the
/// emulator's, or is missing: a twh that under-reports (as the plan-only
/// count once did) or a log that over-counts is caught.
#[test]
fn the_count_cross_check_fails_on_a_wrong_or_missing_count() {
    assert_eq!(agreed(&counts(3, Some(3), Some(3))), Ok(3));
    assert_eq!(agreed(&counts(0, Some(0), Some(0))), Ok(0));
    let wrong = agreed(&counts(3, Some(0), Some(0))).expect_err("twh says 0, AWS saw 3");
    assert!(
        wrong.contains("the emulator received 3 (glue UpdateJob, glue UpdateJob, glue UpdateJob), twh's --output json says 0, its -v line says 0"),
        "{wrong}"
    );
    assert!(
        agreed(&counts(1, Some(1), Some(2))).is_err(),
        "the two twh counts disagree"
    );
    assert!(
        agreed(&counts(0, Some(1), Some(1))).is_err(),
        "twh counts a call AWS never saw"
    );
    let missing = agreed(&counts(0, None, Some(0))).expect_err("no JSON count");
    assert!(
        missing.contains("no api_calls.total.mutations"),
        "{missing}"
    );
    let missing = agreed(&counts(0, Some(0), None)).expect_err("no -v line");
    assert!(missing.contains("no `API calls:` line"), "{missing}");
    // The -v line as `twh sync -v` prints it.
    let line = "Sync complete: 2 changed in 0.1s.\nAPI calls: 12 (9 reads, 3 mutating): 5 to plan, 7 to apply and read back\n";
    assert_eq!(text_mutations(line), Some(3));
    assert_eq!(text_mutations("no such line"), None);
}

fn refused_run(stderr: &str) -> Run {
    use std::os::unix::process::ExitStatusExt as _;
    Run {
        args: "validate".into(),
        output: Output {
            status: std::process::ExitStatus::from_raw(1 << 8),
            stdout: Vec::new(),
            stderr: stderr.as_bytes().to_vec(),
        },
        counts: None,
    }
}

/// A refusal passes only when the manifest records it as AWS's own, with
/// the error AWS gives; any other refusal fails and says why.
#[test]
fn a_refusal_passes_only_as_the_one_aws_makes() {
    let m = |expect: Value| {
        let mut v = json!({"file": "x.json", "address": "iam_role.x", "estate": [],
                           "source": {"from": "awscli-rst", "path": "awscli/examples/iam/x.rst",
                                      "example": 1, "package": "awscli 1.46.3"},
                           "expect_note": "AWS accepts it"});
        v.as_object_mut()
            .expect("object")
            .extend(expect.as_object().expect("object").clone());
        Example::from_manifest(&v)
    };
    let aws = m(json!({"expect": "refused", "aws_refusal":
        {"message": "MaxSessionDuration must be at most 43200", "evidence": "iam model"}}));
    let run = refused_run("error: x.json:3:5: MaxSessionDuration must be at most 43200 seconds");
    assert_eq!(
        judge_refusal(&aws, "twh validate", &run),
        Ok(Verdict::RefusedAsAws)
    );
    let other = refused_run("error: x.json:3:5: unknown field `State`");
    let e = judge_refusal(&aws, "twh validate", &other).expect_err("another refusal");
    assert!(
        e.contains("not as AWS refuses it") && e.contains("unknown field `State`"),
        "{e}"
    );
    let not_aws = m(json!({"expect": "refused"}));
    let e = judge_refusal(&not_aws, "twh validate", &other).expect_err("AWS would accept it");
    assert!(
        e.contains("AWS would not refuse it (AWS accepts it)"),
        "{e}"
    );
    let accepted = m(json!({"expect": "accepted"}));
    let e = judge_refusal(&accepted, "twh sync (first)", &other).expect_err("accepted");
    assert!(
        e.contains("step `twh sync (first)`: refused; AWS accepts this request"),
        "{e}"
    );
    assert_eq!(
        accepted.title(),
        "x.json (iam_role.x), from awscli/examples/iam/x.rst example 1 (awscli 1.46.3)"
    );
}
