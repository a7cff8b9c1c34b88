//! Arbitrary bytes as an environment file, with resources that use
//! variables, through load, validation and diagnostic rendering.
#![no_main]

use libfuzzer_sys::fuzz_target;
use twh_core::config::{InputFile, Inputs, LoadOptions, load_inputs};

const RESOURCE: &[u8] = br#"{"type": "glue_crawler", "name": "orders", "spec": {
  "Name": "orders-${env}", "Role": "${var.role}", "DatabaseName": "${var.database}",
  "Targets": {"S3Targets": [{"Path": "s3://${var.lake_bucket}/orders/"}]}, "Tags": "${var.tags}"}}"#;

fuzz_target!(|data: &[u8]| {
    let inputs = Inputs {
        environment: Some(InputFile {
            path: "resources/environments/dev.json".into(),
            bytes: data.to_vec(),
        }),
        resources: vec![InputFile {
            path: "resources/glue/orders.json".into(),
            bytes: RESOURCE.to_vec(),
        }],
    };
    let (cfg, diags) = load_inputs(
        "dev",
        inputs,
        &LoadOptions {
            require_secrets: false,
        },
    );
    let _ = twh_core::diag::render(&diags, &cfg.sources, false);
});
