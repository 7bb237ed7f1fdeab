//! What the HTTP benchmarks share: process guards, free ports, one wrk run parsed
//! into a sample, and the marked section of `BENCHMARKS.md` each bench rewrites.
use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    thread::sleep,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};

use crate::cmd_output;

/// A child process stopped (SIGTERM, then SIGKILL after 5 s) when dropped.
pub struct Killed(pub Child);

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

/// Starts nginx (foreground, `dir` as its prefix) with the given `server` blocks
/// inside an `http` block that keeps every temp file and log under `dir`; `main`
/// holds top-level directives (`load_module …`).
pub fn start_nginx(dir: &Path, workers: usize, main: &str, servers: &str) -> Result<Killed> {
    std::fs::create_dir_all(dir.join("logs"))?;
    let conf = dir.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            r#"{main}
worker_processes {workers};
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
{servers}
}}
"#,
            dir = dir.display()
        ),
    )?;
    Ok(Killed(
        Command::new("nginx")
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&conf)
            .args(["-g", "daemon off;"])
            .stderr(Stdio::null())
            .spawn()
            .context("start nginx")?,
    ))
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits (at most 20 s) until something accepts on the loopback port.
pub fn wait_port(port: u16) -> Result<()> {
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
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// Requests per second.
    pub rps: f64,
    /// 99th percentile latency in milliseconds.
    pub p99_ms: f64,
    /// Responses that were not 2xx or 3xx.
    pub non_2xx: u64,
}

/// How wrk is run.
#[derive(Clone, Debug)]
pub struct Load {
    /// wrk threads.
    pub threads: usize,
    /// Open connections.
    pub connections: u32,
    /// Seconds.
    pub duration: u32,
}

/// Runs wrk against `url` with extra arguments (`-H …`, `-s script.lua`).
pub fn wrk(url: &str, load: &Load, extra: &[&str]) -> Result<Sample> {
    let out = cmd_output(
        Command::new("wrk")
            .args([
                &format!("-t{}", load.threads),
                &format!("-c{}", load.connections),
                &format!("-d{}s", load.duration),
                "--latency",
            ])
            .args(extra)
            .arg(url),
    )?;
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
    let non_2xx = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Non-2xx or 3xx responses:"))
        .map_or(Ok(0), |v| v.trim().parse())
        .with_context(|| format!("bad Non-2xx line in wrk output:\n{out}"))?;
    Ok(Sample {
        rps,
        p99_ms: to_ms(p99)?,
        non_2xx,
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

/// Replaces the text between `<!-- NAME:start -->` and `<!-- NAME:end -->` in the
/// file (appending the section when the markers are missing). `section` holds
/// the markers itself.
pub fn write_section(path: &Path, name: &str, section: &str) -> Result<()> {
    let (start, end) = (
        format!("<!-- {name}:start -->"),
        format!("<!-- {name}:end -->"),
    );
    let old = std::fs::read_to_string(path).unwrap_or_else(|_| "# Benchmarks\n".to_string());
    let new = match (old.find(&start), old.find(&end)) {
        (Some(a), Some(b)) if b > a => {
            format!(
                "{}{}{}",
                &old[..a],
                section.trim_end(),
                &old[b + end.len()..]
            )
        }
        _ => format!("{}\n\n{}\n", old.trim_end(), section.trim_end()),
    };
    std::fs::write(path, new)?;
    println!("results written to {}", path.display());
    Ok(())
}

/// The median of some values (NaN when there are none).
pub fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Writes `yaml` as `dir/NAME.yaml`, has `gateway check` accept it, and runs the
/// release gateway on it (quiet: warnings only, stdout dropped).
pub fn start_gateway(root: &Path, dir: &Path, name: &str, yaml: &str) -> Result<Killed> {
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, yaml)?;
    crate::run(
        Command::new(root.join("target/release/gateway"))
            .arg("check")
            .arg("--config")
            .arg(&path)
            .stdout(Stdio::null()),
    )
    .with_context(|| format!("the {name} benchmark configuration does not check"))?;
    Ok(Killed(
        Command::new(root.join("target/release/gateway"))
            .arg("run")
            .arg("--config")
            .arg(&path)
            .env("GATEWAY_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .context("start the gateway")?,
    ))
}
