//! `cargo xtask bench proxy`: wrk on loopback against the gateway and against nginx
//! configured as a plain reverse proxy to the same upstream (an nginx `return 200`
//! server), same run, same worker count, plain HTTP and TLS. Prints requests/s and
//! p99 and writes them to the proxy section of `BENCHMARKS.md`.
use std::{
    fmt::Write as _,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread::sleep,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};

use crate::{cmd_output, run};

/// Options of the proxy benchmark.
pub struct Options {
    /// Seconds per wrk run.
    pub duration: u32,
    /// wrk connections.
    pub connections: u32,
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        // SIGTERM first: nginx's master then stops its workers (SIGKILL would orphan
        // them); the gateway drains and exits.
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn wait_port(port: u16) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        sleep(Duration::from_millis(50));
    }
    bail!("nothing listens on 127.0.0.1:{port}")
}

/// One wrk result.
struct Sample {
    rps: f64,
    p99_ms: f64,
}

fn wrk(url: &str, threads: usize, o: &Options) -> Result<Sample> {
    let out = cmd_output(Command::new("wrk").args([
        &format!("-t{threads}"),
        &format!("-c{}", o.connections),
        &format!("-d{}s", o.duration),
        "--latency",
        url,
    ]))?;
    let rps = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .with_context(|| format!("no Requests/sec in wrk output:\n{out}"))?;
    let p99 = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map(str::trim)
        .with_context(|| format!("no 99% latency in wrk output:\n{out}"))?;
    Ok(Sample {
        rps,
        p99_ms: to_ms(p99)?,
    })
}

fn to_ms(v: &str) -> Result<f64> {
    let (num, unit) = v.split_at(v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len()));
    let n: f64 = num.parse().with_context(|| format!("latency `{v}`"))?;
    Ok(match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => bail!("latency unit in `{v}`"),
    })
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
    let nginx_conf = dir.join("nginx.conf");
    std::fs::write(
        &nginx_conf,
        nginx_config(&dir, workers, up, nginx_plain, nginx_tls, &cert, &key),
    )?;
    let _nginx = Killed(
        Command::new("nginx")
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(&nginx_conf)
            .args(["-g", "daemon off;"])
            .stderr(Stdio::null())
            .spawn()
            .context("start nginx")?,
    );
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
        let warm = Options {
            duration: 2,
            connections: o.connections,
        };
        wrk(&nginx_url, workers, &warm)?;
        wrk(&gw_url, workers, &warm)?;
        let n = wrk(&nginx_url, workers, o)?;
        let g = wrk(&gw_url, workers, o)?;
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

fn nginx_config(
    dir: &Path,
    workers: usize,
    up: u16,
    plain: u16,
    tls: u16,
    cert: &Path,
    key: &Path,
) -> String {
    format!(
        r#"worker_processes {workers};
pid {dir}/nginx.pid;
error_log {dir}/logs/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream backend {{ server 127.0.0.1:{up}; keepalive 64; }}
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
    }}
}}
"#,
        dir = dir.display(),
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
    path: &PathBuf,
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
    let old = std::fs::read_to_string(path).unwrap_or_else(|_| "# Benchmarks\n".to_string());
    let new = match (
        old.find("<!-- proxy:start -->"),
        old.find("<!-- proxy:end -->"),
    ) {
        (Some(a), Some(b)) if b > a => {
            let end = b + "<!-- proxy:end -->".len();
            format!("{}{}{}", &old[..a], s.trim_end(), &old[end..])
        }
        _ => format!("{}\n{s}", old.trim_end()),
    };
    std::fs::write(path, new)?;
    println!("results written to {}", path.display());
    Ok(())
}
