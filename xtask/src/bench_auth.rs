//! `cargo xtask bench auth`: what identity and limits cost. wrk on loopback against
//! the gateway with no auth (pass-through), with JWT RS256 and ES256 (verified-token
//! cache hit, and with the cache off so every request verifies a signature), with an
//! API key plus local limits, with a cached JWT plus local limits (the issue's goal:
//! under 10 % below pass-through), and with limits kept in Redis. Same upstream,
//! same run; each scenario runs between two pass-through runs and is reported as a
//! ratio of their mean. Every scenario must see only 2xx answers, or the run fails.
use std::{
    fmt::Write as _,
    path::Path,
    process::{Command, Stdio},
    time::{SystemTime, UNIX_EPOCH},
};

use anyhow::{Context, Result, bail};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use sha2::{Digest, Sha256};

use crate::{
    bench_util::{
        Killed, Load, Sample, free_port, median, start_gateway, start_nginx, wait_port,
        write_section, wrk,
    },
    run,
};

/// Options of the auth benchmark.
pub struct Options {
    /// Seconds per measured wrk run.
    pub duration: u32,
    /// wrk connections.
    pub connections: u32,
    /// Rounds over every case; medians are reported.
    pub rounds: u32,
}

/// One reported line: medians over the rounds.
struct Row {
    name: &'static str,
    rps: f64,
    p99_ms: f64,
    ratio: f64,
}

const API_KEY: &str = "bench-api-key-0001";
/// Limits far above what loopback can send: they are checked, never hit.
const NEVER_HIT: &str = "rate: 100000000/s, burst: 100000000";

/// One measured case: which gateway, which path, which credential header.
struct Case {
    name: &'static str,
    port: u16,
    path: &'static str,
    header: Option<String>,
}

/// Runs the benchmark.
pub fn bench(o: &Options) -> Result<()> {
    run(Command::new("cargo").args(["build", "--release", "--bin", "gateway"]))?;
    let root = std::env::current_dir()?;
    let dir = root.join("target/bench-auth");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());

    let (rs_token, es_token) = keys_and_tokens(&dir)?;
    let (up, cached, uncached, redis_port) =
        (free_port()?, free_port()?, free_port()?, free_port()?);
    let _nginx = start_nginx(
        &dir,
        workers,
        "",
        &format!("server {{ listen 127.0.0.1:{up}; location / {{ return 200 \"hello\\n\"; }} }}"),
    )?;
    let _redis = Killed(
        Command::new("redis-server")
            .args(["--port", &redis_port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .context("start redis-server")?,
    );
    wait_port(redis_port)?;
    // Gateway A: the default token cache and local limits. Gateway B: no token cache
    // (every request verifies), limits in Redis.
    let _a = start_gateway(&root, &dir, "cached", &config(&dir, up, cached, None))?;
    let _b = start_gateway(
        &root,
        &dir,
        "uncached",
        &config(&dir, up, uncached, Some(redis_port)),
    )?;
    for p in [up, cached, uncached] {
        wait_port(p)?;
    }

    let bearer = |t: &str| Some(format!("Authorization: Bearer {t}"));
    let cases = [
        Case {
            name: "pass-through",
            port: cached,
            path: "/pass",
            header: None,
        },
        Case {
            name: "JWT RS256, cache hit",
            port: cached,
            path: "/jwt-rs",
            header: bearer(&rs_token),
        },
        Case {
            name: "JWT RS256, cache off",
            port: uncached,
            path: "/jwt-rs",
            header: bearer(&rs_token),
        },
        Case {
            name: "JWT ES256, cache hit",
            port: cached,
            path: "/jwt-es",
            header: bearer(&es_token),
        },
        Case {
            name: "JWT ES256, cache off",
            port: uncached,
            path: "/jwt-es",
            header: bearer(&es_token),
        },
        Case {
            name: "API key + local limits",
            port: cached,
            path: "/key-local",
            header: Some(format!("X-API-Key: {API_KEY}")),
        },
        Case {
            name: "JWT RS256 cached + local limits",
            port: cached,
            path: "/jwt-local",
            header: bearer(&rs_token),
        },
        Case {
            name: "Redis limits",
            port: uncached,
            path: "/redis",
            header: None,
        },
    ];
    let load = Load {
        threads: workers,
        connections: o.connections,
        duration: o.duration,
    };
    let warm = Load {
        duration: 1,
        ..load.clone()
    };
    // Every scenario runs between two pass-through runs (P S1 P S2 P …), and its
    // ratio is taken against the mean of those two: the machine's drift (other
    // load, a shared VM's host) moves both sides of a ratio alike. The median
    // over the rounds then drops a disturbed round.
    let measure = |case: &Case| -> Result<Sample> {
        let url = format!("http://127.0.0.1:{}{}", case.port, case.path);
        let extra: Vec<&str> = case
            .header
            .iter()
            .flat_map(|h| ["-H", h.as_str()])
            .collect();
        wrk(&url, &warm, &extra)?;
        let s = wrk(&url, &load, &extra)?;
        if s.non_2xx > 0 {
            bail!(
                "`{}` got {} answers that were not 2xx: the scenario is misconfigured, not measured",
                case.name,
                s.non_2xx
            );
        }
        println!(
            "  {:34} {:>10.0} req/s  p99 {:>7.2} ms",
            case.name, s.rps, s.p99_ms
        );
        Ok(s)
    };
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); cases.len()];
    let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    for round in 1..=o.rounds {
        println!("round {round} of {}", o.rounds);
        let mut before = measure(&cases[0])?;
        samples[0].push(before);
        for (i, case) in cases.iter().enumerate().skip(1) {
            let s = measure(case)?;
            let after = measure(&cases[0])?;
            samples[0].push(after);
            ratios[i].push(s.rps / ((before.rps + after.rps) / 2.0));
            samples[i].push(s);
            before = after;
        }
    }
    ratios[0].push(1.0);
    let results: Vec<Row> = cases
        .iter()
        .enumerate()
        .map(|(i, case)| Row {
            name: case.name,
            rps: median(samples[i].iter().map(|s| s.rps)),
            p99_ms: median(samples[i].iter().map(|s| s.p99_ms)),
            ratio: median(ratios[i].iter().copied()),
        })
        .collect();
    let report = report(&results, workers, o);
    print!("{report}");
    write_section(&root.join("BENCHMARKS.md"), "auth", &report)
}

/// Writes an RSA and an EC key pair with openssl, and signs one token with each.
fn keys_and_tokens(dir: &Path) -> Result<(String, String)> {
    for (name, args) in [
        (
            "rsa",
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"][..],
        ),
        (
            "ec",
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"][..],
        ),
    ] {
        let private = dir.join(format!("{name}.pem"));
        run(Command::new("openssl")
            .arg("genpkey")
            .args(args)
            .arg("-out")
            .arg(&private)
            .stderr(Stdio::null()))?;
        run(Command::new("openssl")
            .args(["pkey", "-pubout", "-in"])
            .arg(&private)
            .arg("-out")
            .arg(dir.join(format!("{name}_pub.pem"))))?;
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let claims = serde_json::json!({
        "iss": "https://idp.bench/", "aud": "api", "sub": "bench-user",
        "scope": "api:read", "iat": now, "exp": now + 3 * 3600,
    });
    let sign = |alg, kid: &str, key: EncodingKey| -> Result<String> {
        let mut header = Header::new(alg);
        header.kid = Some(kid.to_owned());
        Ok(encode(&header, &claims, &key)?)
    };
    let rs = sign(
        Algorithm::RS256,
        "rs",
        EncodingKey::from_rsa_pem(&std::fs::read(dir.join("rsa.pem"))?)?,
    )?;
    let es = sign(
        Algorithm::ES256,
        "es",
        EncodingKey::from_ec_pem(&std::fs::read(dir.join("ec.pem"))?)?,
    )?;
    Ok((rs, es))
}

/// The gateway configuration: one route per scenario. With `redis`, the token cache
/// is off and limits live in Redis.
fn config(dir: &Path, up: u16, port: u16, redis: Option<u16>) -> String {
    let key_hash = hex::encode(Sha256::digest(API_KEY.as_bytes()));
    let (cache, store) = match redis {
        Some(p) => (
            "  token_cache_size: 0\n".to_string(),
            format!(
                "rate_limit:\n  store: redis\n  redis: {{ url: \"redis://127.0.0.1:{p}\", timeout: 50ms, fault_tolerant: false }}\n"
            ),
        ),
        None => (String::new(), String::new()),
    };
    format!(
        r#"listeners:
  - name: plain
    bind: 127.0.0.1:{port}
upstreams:
  backend:
    targets: ["127.0.0.1:{up}"]
    keepalive: {{ max_idle_per_target: 64 }}
limits: {{ max_connections_per_ip: 0 }}
access_log: {{ enabled: false }}
auth:
{cache}  jwt_providers:
    - name: rs
      issuer: https://idp.bench/
      audiences: [api]
      algorithms: [RS256]
      keys: [{{ kid: rs, pem: "{dir}/rsa_pub.pem" }}]
    - name: es
      issuer: https://idp.bench/
      audiences: [api]
      algorithms: [ES256]
      keys: [{{ kid: es, pem: "{dir}/ec_pub.pem" }}]
plans:
  bench: {{ {NEVER_HIT} }}
consumers:
  - name: bench-app
    plan: bench
    api_keys: [{{ sha256: {key_hash} }}]
{store}routes:
  - name: pass
    match: {{ path_prefix: /pass }}
    upstream: backend
  - name: jwt-rs
    match: {{ path_prefix: /jwt-rs }}
    upstream: backend
    auth: {{ jwt: [rs], scopes: [api:read] }}
  - name: jwt-es
    match: {{ path_prefix: /jwt-es }}
    upstream: backend
    auth: {{ jwt: [es], scopes: [api:read] }}
  - name: key-local
    match: {{ path_prefix: /key-local }}
    upstream: backend
    auth: {{ api_key: true }}
    rate_limit: [{{ by: consumer }}, {{ by: ip, {NEVER_HIT} }}]
  - name: jwt-local
    match: {{ path_prefix: /jwt-local }}
    upstream: backend
    auth: {{ jwt: [rs], scopes: [api:read] }}
    rate_limit: [{{ by: credential, {NEVER_HIT} }}, {{ by: ip, {NEVER_HIT} }}]
  - name: redis
    match: {{ path_prefix: /redis }}
    upstream: backend
    rate_limit: [{{ by: ip, {NEVER_HIT} }}]
"#,
        dir = dir.display(),
    )
}

fn report(results: &[Row], workers: usize, o: &Options) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "<!-- auth:start -->");
    let _ = writeln!(s, "## Auth and limits: cost against pass-through\n");
    let _ = writeln!(
        s,
        "`cargo xtask bench auth` — {} rounds; in each, every scenario runs wrk -t{workers} -c{} -d{}s on loopback after a 1 s warm-up, right between two pass-through runs (P S1 P S2 P …). The gateway has {workers} workers, access log off; upstream = nginx `return 200`. The ratio is the scenario's req/s over the mean of the two pass-through runs around it; req/s, p99 and ratio are medians over the rounds. \"cache off\" runs a second gateway with `auth.token_cache_size: 0`, so every request verifies the signature; it also holds the Redis limits (a `redis-server` on loopback). Limits are checked on every request but set too high to refuse any; every run must see only 2xx answers.\n",
        o.rounds, o.connections, o.duration
    );
    let _ = writeln!(s, "| scenario | req/s | p99 | ratio to pass-through |");
    let _ = writeln!(s, "|---|---:|---:|---:|");
    for r in results {
        let _ = writeln!(
            s,
            "| {} | {:.0} | {:.2} ms | {:.2} |",
            r.name, r.rps, r.p99_ms, r.ratio
        );
    }
    if let Some(goal) = results
        .iter()
        .find(|r| r.name == "JWT RS256 cached + local limits")
    {
        let cost = 1.0 - goal.ratio;
        let _ = writeln!(
            s,
            "\nGoal (JWT with cached verification and local limits cost under 10 % of pass-through throughput): cost {:.1} % — {}.",
            cost * 100.0,
            if cost < 0.10 { "met" } else { "not met" }
        );
    }
    let _ = writeln!(s, "<!-- auth:end -->");
    s
}
