//! The `gateway` binary: the daemon and its command line.
fn main() -> std::process::ExitCode {
    gateway::cli::main()
}
