//! The `twh` binary: everything lives in the library's `cli` module.

fn main() -> std::process::ExitCode {
    twh::cli::main()
}
