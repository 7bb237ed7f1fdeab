//! `cargo xtask bench proxy`: wrk on loopback against the gateway and against nginx
//! configured as a plain reverse proxy to the same upstream (an nginx `return 200`
//! server), same run, same worker count, plain HTTP and TLS. Prints requests/s and
//! p99 and writes them to the proxy section of `BENCHMARKS.md`.
use std::{
    fmt::Write as _,
    path::Path,
    process::{Command, Stdio},
};

use anyhow::{Context, Result};

use crate::{
    bench_util::{Killed, Load, Sample, free_port, start_nginx, wait_port, write_section, wrk},
    run,
};

/// Options of the proxy benchmark.
pub struct Options {
    /// Seconds per wrk run.
    pub duration: u32,
    /// wrk connections.
    pub connections: u32,
}

/// Runs the benchmark.
pub fn bench(o: &Options) -> Result<()> {
    run(Command::new("cargo").args(["build", "--release", "--bin", "gateway"]))?;
    let root = std::env::current_dir()?;
    let dir = root.join("target/bench-proxy");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("logs"))?;
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());

    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    run(Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "2", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null()))?;

    let (up, nginx_plain, nginx_tls, gw_plain, gw_tls) = (
        free_port()?,
        free_port()?,
        free_port()?,
        free_port()?,
        free_port()?,
    );
    let _nginx = start_nginx(
        &dir,
        workers,
        "",
        &nginx_servers(up, nginx_plain, nginx_tls, &cert, &key),
    )?;
    let gw_conf = dir.join("gateway.yaml");
    std::fs::write(&gw_conf, gateway_config(up, gw_plain, gw_tls, &cert, &key))?;
    let _gateway = Killed(
        Command::new(root.join("target/release/gateway"))
            .arg("run")
            .arg("--config")
            .arg(&gw_conf)
            .env("GATEWAY_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .context("start the gateway")?,
    );
    for p in [up, nginx_plain, nginx_tls, gw_plain, gw_tls] {
        wait_port(p)?;
    }

    let mut rows = Vec::new();
    for (mode, nginx_url, gw_url) in [
        (
            "plain",
            format!("http://127.0.0.1:{nginx_plain}/"),
            format!("http://127.0.0.1:{gw_plain}/"),
        ),
        (
            "TLS",
            format!("https://127.0.0.1:{nginx_tls}/"),
            format!("https://127.0.0.1:{gw_tls}/"),
        ),
    ] {
        // Warm both (pools, sessions), then measure nginx and the gateway back to back.
        let load = Load {
            threads: workers,
            connections: o.connections,
            duration: o.duration,
        };
        let warm = Load {
            duration: 2,
            ..load.clone()
        };
        wrk(&nginx_url, &warm, &[])?;
        wrk(&gw_url, &warm, &[])?;
        let n = wrk(&nginx_url, &load, &[])?;
        let g = wrk(&gw_url, &load, &[])?;
        println!(
            "{mode:5}  nginx {:>10.0} req/s p99 {:>7.2} ms | gateway {:>10.0} req/s p99 {:>7.2} ms | throughput ratio {:.2}, p99 ratio {:.2}",
            n.rps,
            n.p99_ms,
            g.rps,
            g.p99_ms,
            g.rps / n.rps,
            g.p99_ms / n.p99_ms
        );
        rows.push((mode, n, g));
    }
    write_report(&root.join("BENCHMARKS.md"), &rows, workers, o)
}

fn nginx_servers(up: u16, plain: u16, tls: u16, cert: &Path, key: &Path) -> String {
    format!(
        r#"    upstream backend {{ server 127.0.0.1:{up}; keepalive 64; }}
    server {{ listen 127.0.0.1:{up}; location / {{ return 200 "hello\n"; }} }}
    server {{
        listen 127.0.0.1:{plain};
        listen 127.0.0.1:{tls} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        location / {{
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}"#,
        cert = cert.display(),
        key = key.display(),
    )
}

fn gateway_config(up: u16, plain: u16, tls: u16, cert: &Path, key: &Path) -> String {
    format!(
        r#"listeners:
  - name: plain
    bind: 127.0.0.1:{plain}
  - name: tls
    bind: 127.0.0.1:{tls}
    tls: {{ cert: {cert}, key: {key} }}
upstreams:
  backend:
    targets: ["127.0.0.1:{up}"]
    keepalive: {{ max_idle_per_target: 64 }}
routes:
  - name: all
    upstream: backend
limits: {{ max_connections_per_ip: 0 }}
access_log: {{ enabled: false }}
"#,
        cert = cert.display(),
        key = key.display(),
    )
}

fn write_report(
    path: &Path,
    rows: &[(&str, Sample, Sample)],
    workers: usize,
    o: &Options,
) -> Result<()> {
    let mut s = String::new();
    let _ = writeln!(s, "<!-- proxy:start -->");
    let _ = writeln!(
        s,
        "## Proxy: gateway vs nginx (reverse proxy to the same upstream)\n"
    );
    let _ = writeln!(
        s,
        "`cargo xtask bench proxy` — wrk -t{workers} -c{} -d{}s on loopback, both with {workers} workers, access logs off, upstream = nginx `return 200`.\n",
        o.connections, o.duration
    );
    let _ = writeln!(
        s,
        "| mode | nginx req/s | nginx p99 | gateway req/s | gateway p99 | throughput ratio | p99 ratio |"
    );
    let _ = writeln!(
        s,
        "|------|------------:|----------:|--------------:|------------:|-----------------:|----------:|"
    );
    for (mode, n, g) in rows {
        let _ = writeln!(
            s,
            "| {mode} | {:.0} | {:.2} ms | {:.0} | {:.2} ms | {:.2} | {:.2} |",
            n.rps,
            n.p99_ms,
            g.rps,
            g.p99_ms,
            g.rps / n.rps,
            g.p99_ms / n.p99_ms
        );
    }
    let _ = writeln!(s, "<!-- proxy:end -->");
    write_section(path, "proxy", &s)
}
