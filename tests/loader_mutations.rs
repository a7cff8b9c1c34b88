//! Property: whatever a resource or environment file holds, the loader
//! returns diagnostics and never panics. Real files of the Ticket Warehouse estate
//! are mutated byte by byte (insertions of JSON and interpolation tokens,
//! deletions, repeats, truncation) and structurally (any JSON value placed
//! anywhere in a spec). The cargo-fuzz targets in `fuzz/` do the same for
//! longer; this keeps a quick version in every `cargo test`.

use proptest::prelude::*;
use serde_json::Value;
use twh::config::{InputFile, Inputs, LoadOptions, load_inputs};

const SEEDS: &[&str] = &[
    include_str!("../resources/glue/crawlers/stripe.json"),
    include_str!("../resources/glue/tables/stripe.json"),
    include_str!("../resources/quicksight/data_sets/orders.json"),
    include_str!("../resources/iam/crawler.json"),
    include_str!("../resources/athena/views/orders.json"),
];
const ENVIRONMENT: &str = include_str!("../resources/environments/staging.json");

/// Tokens worth inserting: JSON structure, escapes, placeholders, encodings.
const TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"\"",
    b"\\",
    b"\\u0000",
    b"\\ud800",
    b"${",
    b"${ref:",
    b"${var.",
    b"${env}",
    b"$${",
    b"${cfn:a.b}",
    b"${env_var:X}",
    b"\"type\": \"glue_table\"",
    b"\"resources\": [",
    b"1e999",
    b"-0",
    b"null",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xc3",
    b"\x00",
];

#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, Vec<u8>),
    Token(usize, usize),
    Delete(usize, usize),
    Repeat(usize, usize, usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, b)| Edit::Insert(at, b)),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, t)| Edit::Token(at, t)),
        (any::<usize>(), 1usize..64).prop_map(|(at, n)| Edit::Delete(at, n)),
        (any::<usize>(), 1usize..32, 1usize..200).prop_map(|(at, n, k)| Edit::Repeat(at, n, k)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let len = bytes.len();
        let pos = |at: usize| if len == 0 { 0 } else { at % (len + 1) };
        match e {
            Edit::Insert(at, b) => {
                let p = pos(*at);
                bytes.splice(p..p, b.iter().copied());
            }
            Edit::Token(at, t) => {
                let p = pos(*at);
                bytes.splice(p..p, TOKENS[*t].iter().copied());
            }
            Edit::Delete(at, n) => {
                let p = pos(*at);
                bytes.drain(p..(p + n).min(len));
            }
            Edit::Repeat(at, n, k) => {
                let p = pos(*at);
                let piece: Vec<u8> = bytes[p..(p + n).min(len)].to_vec();
                let copies: Vec<u8> = piece
                    .iter()
                    .copied()
                    .cycle()
                    .take(piece.len() * k)
                    .collect();
                bytes.splice(p..p, copies);
            }
            Edit::Truncate(at) => bytes.truncate(pos(*at)),
        }
    }
    bytes
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        "\\$\\{[a-z_:.]{0,20}\\}?".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map("[A-Za-z]{1,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every JSON pointer in `v`, parents first.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => m.iter().for_each(|(k, c)| {
            pointers(
                c,
                format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                out,
            )
        }),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, c)| pointers(c, format!("{at}/{i}"), out)),
        _ => {}
    }
}

fn load(environment: &[u8], resource: &[u8]) {
    let inputs = Inputs {
        environment: Some(InputFile {
            path: "resources/environments/staging.json".into(),
            bytes: environment.to_vec(),
        }),
        resources: vec![InputFile {
            path: "resources/mutated.json".into(),
            bytes: resource.to_vec(),
        }],
    };
    let (cfg, diags) = load_inputs(
        "staging",
        inputs,
        &LoadOptions {
            require_secrets: true,
        },
    );
    // Rendering reads the sources back: snippets of any line must work too.
    let _ = twh::diag::render(&diags, &cfg.sources, true);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn mutated_resource_files_never_panic(seed in 0..SEEDS.len(), edits in proptest::collection::vec(edit(), 1..6)) {
        load(ENVIRONMENT.as_bytes(), &apply(SEEDS[seed].as_bytes().to_vec(), &edits));
    }

    #[test]
    fn mutated_environment_files_never_panic(seed in 0..SEEDS.len(), edits in proptest::collection::vec(edit(), 1..6)) {
        load(&apply(ENVIRONMENT.as_bytes().to_vec(), &edits), SEEDS[seed].as_bytes());
    }

    #[test]
    fn any_value_anywhere_in_a_spec_never_panics(seed in 0..SEEDS.len(), pick in any::<usize>(), value in any_json()) {
        let mut doc: Value = serde_json::from_str(SEEDS[seed]).expect("seed is JSON");
        let mut at = Vec::new();
        pointers(&doc, String::new(), &mut at);
        let target = &at[pick % at.len()];
        match doc.pointer_mut(target) {
            Some(slot) => *slot = value,
            None => prop_assert!(false, "pointer {target} vanished"),
        }
        load(ENVIRONMENT.as_bytes(), serde_json::to_string(&doc).expect("json").as_bytes());
    }
}
