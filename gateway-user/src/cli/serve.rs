//! `gateway run` and `gateway check`: the daemon and the configuration checker.
use std::{path::PathBuf, process::ExitCode};

use clap::Args;

/// Arguments of `gateway run`.
#[derive(Args)]
pub struct RunArgs {
    /// Configuration file (YAML).
    #[arg(long, short)]
    pub config: PathBuf,
}

/// Arguments of `gateway check`.
#[derive(Args)]
pub struct CheckArgs {
    /// Configuration file (YAML).
    #[arg(long, short)]
    pub config: PathBuf,
}

/// Runs the daemon until SIGTERM.
pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    crate::daemon::run(&args.config)?;
    Ok(ExitCode::SUCCESS)
}

/// Checks a configuration file: prints `ok: …` and exits 0, or prints every error as
/// `file:line:col: message` on stderr and exits 1 (2 when the file cannot be read).
/// Warnings (`file:line:col: warning: message`) do not fail the check.
pub fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let checked = match crate::config::load_checked(&args.config) {
        Ok(checked) => checked,
        Err(errors) => {
            eprintln!("{errors}");
            return Ok(ExitCode::from(if errors.unreadable { 2 } else { 1 }));
        }
    };
    let file = checked.warnings.file.display();
    for w in &checked.warnings.errors {
        match w.location {
            Some(at) => eprintln!("{file}:{}:{}: warning: {}", at.line, at.col, w.message),
            None => eprintln!("{file}: warning: {}", w.message),
        }
    }
    let config = &checked.config;
    // Certificates, keys and CA bundles are parsed exactly as `run` would.
    let tls_errors = crate::tls::check_config(config);
    for e in &tls_errors {
        eprintln!("{file}: {e}");
    }
    if !tls_errors.is_empty() {
        return Ok(ExitCode::from(1));
    }
    // Build the runtime too, so check parses certificates and keys (and compiles
    // routes and upstreams) exactly as `run` would.
    let telemetry = std::sync::Arc::new(crate::telemetry::Telemetry::without_access_log());
    if let Err(e) = crate::proxy::Runtime::build(config, &crate::proxy::Shared::new(telemetry)) {
        eprintln!("{file}: {e}");
        return Ok(ExitCode::from(1));
    }
    println!(
        "ok: {} listeners, {} routes, {} upstreams (digest sha256:{})",
        config.listeners.len(),
        config.routes.len(),
        config.upstreams.len(),
        config.digest
    );
    Ok(ExitCode::SUCCESS)
}
