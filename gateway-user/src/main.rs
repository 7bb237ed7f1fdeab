//! The `gateway` binary: the daemon and its command line.

/// The process-wide allocator (see gateway-user/Cargo.toml for why).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    gateway::cli::main()
}
