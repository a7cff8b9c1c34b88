//! The `twh` command; everything lives in the library (`twh::cli`).

fn main() -> std::process::ExitCode {
    quiet_on_closed_pipe();
    twh::cli::main()
}

/// `twh diff | head` closes stdout early: end quietly as Unix tools do,
/// instead of panicking in `println!`. A sync ended this way is like any
/// other kill: state was written after every change, so a rerun converges.
#[allow(unsafe_code)]
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restores the default disposition of one signal, before any
    // other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
