//! `twh-extract`: Ticketsauce and Stripe into a Glue-ready lake. The work is
//! in `twh::extract`; this only hands over to its command line.

fn main() -> std::process::ExitCode {
    twh::extract::cli::main()
}
