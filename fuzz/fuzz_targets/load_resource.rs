//! Arbitrary bytes as a resource file, next to a valid environment, through
//! load, interpolation, validation and diagnostic rendering. Any panic,
//! stack overflow or runaway allocation is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use twh_core::config::{InputFile, Inputs, LoadOptions, load_inputs};

const ENVIRONMENT: &[u8] = br#"{"region": "us-east-1", "variables": {"lake_bucket": "twh-lake", "workers": 2, "tags": {"team": "data"}}}"#;

fuzz_target!(|data: &[u8]| {
    let inputs = Inputs {
        environment: Some(InputFile {
            path: "resources/environments/dev.json".into(),
            bytes: ENVIRONMENT.to_vec(),
        }),
        resources: vec![InputFile {
            path: "resources/fuzz.json".into(),
            bytes: data.to_vec(),
        }],
    };
    let (cfg, diags) = load_inputs(
        "dev",
        inputs,
        &LoadOptions {
            require_secrets: true,
        },
    );
    let _ = twh_core::diag::render(&diags, &cfg.sources, true);
});
