//! Command-line interface: parses arguments and dispatches to the domain modules.
use std::process::ExitCode;

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    println!("xdp object: {} bytes", crate::edge::OBJECT.len());
    ExitCode::SUCCESS
}
