//! The committed `crates/spec/src/generated/` is exactly what the generator writes today, so a
//! change to the models, the roots, the generator or an SDK version in `Cargo.lock` cannot
//! land without its regenerated output.

#[test]
fn generated_spec_types_are_fresh() {
    let repo = xtask::repo_root();
    let generation = match xtask::generate(&repo) {
        Ok(generation) => generation,
        Err(e) => panic!("the generator failed: {e}"),
    };
    let stale = xtask::stale(&repo, &generation.files);
    assert!(
        stale.is_empty(),
        "these generated files differ from what the generator writes: {stale:?}\n\
         run `cargo xtask codegen` and commit the result"
    );
}
