//! The `twh-extract` command line built from this crate alone, so that
//! `benches/extract.sh` can make a release build of the extractor without
//! the reconciler's AWS SDK crates (`cargo build --release -p twh-extract
//! --example twh-extract`). The shipped binary is `src/bin/twh-extract.rs`
//! of the `twh` package; both only call [`twh_extract::cli::main`].

fn main() -> std::process::ExitCode {
    twh_extract::cli::main()
}
