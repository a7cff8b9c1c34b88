//! `twh-extract`: Ticketsauce and Stripe into a Glue-ready lake. The work is
//! in crate `twh-extract`; this only hands over to its command line.

fn main() -> std::process::ExitCode {
    twh_extract::cli::main()
}
