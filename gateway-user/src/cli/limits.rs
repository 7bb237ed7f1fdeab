//! `gateway limits show|reset KEY`: inspect or clear a rate-limit key through the
//! running gateway's admin listener (loopback HTTP), whichever store it uses.
use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    process::ExitCode,
    time::Duration,
};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use crate::limit::admin::{PATH, percent_encode};

/// `gateway limits …`.
#[derive(Subcommand)]
pub enum LimitsCommand {
    /// Show what the limit store holds for KEY (e.g. consumer:mobile-app, ip:198.18.0.1).
    Show(KeyArgs),
    /// Clear KEY's counters: its rates and quotas start over.
    Reset(KeyArgs),
}

/// A key and where the admin listener is.
#[derive(Args)]
pub struct KeyArgs {
    /// The limited key: consumer:NAME, ip:ADDR, credential:ID, route:NAME, header:NAME:VALUE.
    pub key: String,
    /// Address of the gateway's admin listener.
    #[arg(long, env = "GATEWAY_ADMIN", default_value = "127.0.0.1:9901")]
    pub admin: SocketAddr,
}

/// Runs `gateway limits show|reset`.
pub fn limits(cmd: LimitsCommand) -> anyhow::Result<ExitCode> {
    let (method, args) = match &cmd {
        LimitsCommand::Show(a) => ("GET", a),
        LimitsCommand::Reset(a) => ("DELETE", a),
    };
    let (status, body) = request(args.admin, method, &args.key)?;
    let pretty = serde_json::from_str::<serde_json::Value>(&body)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or(body);
    if (200..300).contains(&status) {
        println!("{pretty}");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("the admin listener answered {status}:\n{pretty}");
        Ok(ExitCode::FAILURE)
    }
}

/// One HTTP/1.1 request to the admin listener; returns the status and body.
fn request(admin: SocketAddr, method: &str, key: &str) -> anyhow::Result<(u16, String)> {
    let timeout = Duration::from_secs(5);
    let mut stream = TcpStream::connect_timeout(&admin, timeout).with_context(|| {
        format!("cannot reach the admin listener at {admin} (is the gateway running? --admin ADDR)")
    })?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let head = format!(
        "{method} {PATH}?key={} HTTP/1.1\r\nHost: {admin}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
        percent_encode(key)
    );
    stream.write_all(head.as_bytes())?;
    let mut raw = Vec::new();
    // The answer is small JSON; cap it so a wrong port cannot make us read forever.
    stream.take(1 << 20).read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        bail!("the admin listener at {admin} sent an incomplete answer");
    };
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("{admin} did not answer HTTP"))?;
    Ok((status, body.to_string()))
}
