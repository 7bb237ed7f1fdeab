//! `cargo xtask bench waf`: the WAF's inspection time (criterion medians for a
//! typical 1 KiB JSON API request and a 64 KiB JSON body), then wrk on loopback in
//! the same run, with a search GET, the 1 KiB POST and a 16 KiB article of prose,
//! against the gateway with the WAF blocking at paranoia 1, the
//! gateway with the WAF off, and nginx + ModSecurity v3 + OWASP CRS at paranoia 1
//! (Debian's packages), all in front of the same upstream. Before measuring, each
//! WAF must be seen to block an SQL injection and to pass the benign requests, so
//! we never compare against a WAF that is off.
use std::{fmt::Write as _, path::Path, process::Command};

use anyhow::{Context, Result, bail};

use crate::{
    bench_util::{
        Load, Sample, free_port, median, start_gateway, start_nginx, wait_port, write_section, wrk,
    },
    cmd_output, run,
};

/// Options of the WAF benchmark.
pub struct Options {
    /// Seconds per measured wrk run.
    pub duration: u32,
    /// wrk connections.
    pub connections: u32,
    /// Rounds over every target; medians are reported.
    pub rounds: u32,
}

const CRITERION_IDS: [&str; 7] = [
    "waf_pl1_1KiB_json",
    "waf_pl1_1KiB_json_unseen",
    "waf_pl1_64KiB_json",
    "waf_pl1_1KiB_varied",
    "waf_pl2_1KiB_json",
    "waf_pl2_64KiB_json",
    "waf_pl2_1KiB_varied",
];

/// The benign GET: a search with the headers a browser sends.
const SEARCH: &str = "/api/v1/search?q=running+shoes+for+men&page=2&sort=price&lang=en-GB";
const SEARCH_HEADERS: [&str; 3] = [
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
    "Referer: https://app.example.com/orders?page=2",
    "Cookie: session=3f9a0c1e7b2d4a6f8e0b1c2d3e4f5a6b; theme=dark; lang=en-GB",
];

/// Runs the benchmark.
pub fn bench(o: &Options) -> Result<()> {
    let root = std::env::current_dir()?;
    run(Command::new("cargo").args(["bench", "-p", "gateway-user", "--bench", "waf"]))?;
    let medians = CRITERION_IDS
        .iter()
        .map(|id| criterion_median(&root, id).map(|ns| (*id, ns)))
        .collect::<Result<Vec<_>>>()?;

    run(Command::new("cargo").args(["build", "--release", "--bin", "gateway"]))?;
    let dir = root.join("target/bench-waf");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("tmp"))?;
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let body = order_json();
    std::fs::write(dir.join("post.lua"), post_script(&body))?;
    let article = article_json();
    std::fs::write(dir.join("article.lua"), post_script(&article))?;

    let (up, modsec, with_waf, without_waf) =
        (free_port()?, free_port()?, free_port()?, free_port()?);
    std::fs::write(dir.join("modsec.conf"), modsecurity_rules(&dir))?;
    let _nginx = start_nginx(
        &dir,
        workers,
        "load_module /usr/lib/nginx/modules/ngx_http_modsecurity_module.so;",
        &format!(
            r#"    upstream backend {{ server 127.0.0.1:{up}; keepalive 64; }}
    server {{ listen 127.0.0.1:{up}; location / {{ return 200 "hello\n"; }} }}
    server {{
        listen 127.0.0.1:{modsec};
        modsecurity on;
        modsecurity_rules_file {dir}/modsec.conf;
        client_body_buffer_size 128k;
        location / {{
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}"#,
            dir = dir.display()
        ),
    )?;
    let _waf = start_gateway(&root, &dir, "waf", &gateway_config(up, with_waf, "block"))?;
    let _plain = start_gateway(
        &root,
        &dir,
        "plain",
        &gateway_config(up, without_waf, "off"),
    )?;
    for p in [up, modsec, with_waf, without_waf] {
        wait_port(p)?;
    }
    let targets = [
        ("gateway, WAF off", without_waf, false),
        ("gateway, WAF block PL1", with_waf, true),
        ("nginx + ModSecurity + CRS PL1", modsec, true),
    ];
    for (name, port, blocks) in targets {
        check_target(name, port, blocks, &body, &article)?;
    }

    let load = Load {
        threads: workers,
        connections: o.connections,
        duration: o.duration,
    };
    let warm = Load {
        duration: 1,
        ..load.clone()
    };
    let script = dir.join("post.lua");
    let script = script.to_string_lossy();
    let get_args: Vec<&str> = SEARCH_HEADERS.iter().flat_map(|h| ["-H", *h]).collect();
    let post_args = ["-s", script.as_ref()];
    let article_script = dir.join("article.lua");
    let article_script = article_script.to_string_lossy();
    let article_args = ["-s", article_script.as_ref()];
    let kinds: [(&str, &str, &[&str]); 3] = [
        ("GET search", SEARCH, &get_args),
        ("POST 1 KiB JSON", "/api/v1/orders", &post_args),
        ("POST 16 KiB article", ARTICLES, &article_args),
    ];
    // samples[kind][target] over the rounds.
    let mut samples = vec![vec![Vec::<Sample>::new(); targets.len()]; kinds.len()];
    for round in 1..=o.rounds {
        println!("round {round} of {}", o.rounds);
        for (k, (kind, path, extra)) in kinds.iter().enumerate() {
            for (t, (name, port, _)) in targets.iter().enumerate() {
                let url = format!("http://127.0.0.1:{port}{path}");
                wrk(&url, &warm, extra)?;
                let s = wrk(&url, &load, extra)?;
                if s.non_2xx > 0 {
                    bail!(
                        "{name} answered {} {kind} requests with non-2xx: not measured",
                        s.non_2xx
                    );
                }
                println!(
                    "  {kind:16} {name:32} {:>9.0} req/s  p99 {:>7.2} ms",
                    s.rps, s.p99_ms
                );
                samples[k][t].push(s);
            }
        }
    }
    let report = report(&medians, &kinds, &targets, &samples, workers, o);
    print!("{report}");
    write_section(&root.join("BENCHMARKS.md"), "waf", &report)
}

/// Criterion's median estimate for a benchmark id, in nanoseconds.
fn criterion_median(root: &Path, id: &str) -> Result<f64> {
    let path = root.join(format!("target/criterion/{id}/new/estimates.json"));
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("no criterion estimates at {}", path.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text)?;
    v["median"]["point_estimate"]
        .as_f64()
        .with_context(|| format!("no median in {}", path.display()))
}

/// The same ~1 KiB order the criterion benchmark inspects.
fn order_json() -> String {
    let mut body = String::from(
        r#"{"order":{"id":"A-10023","customer":{"name":"Patrick O'Brien","email":"pat.obrien@example.com","phone":"+1 555 010 9999"},"#,
    );
    body.push_str(r#""items":[{"sku":"SKU-1001","name":"Running shoes","qty":1,"price":89.99},{"sku":"SKU-2002","name":"Socks (3 pack)","qty":2,"price":12.5}],"#);
    body.push_str(r#""shipping":{"line1":"221B Baker St.","city":"London","postcode":"NW1 6XE","country":"GB"},"notes":"Please leave at the door -- thanks! Don't ring the bell after 9pm.","#);
    body.push_str(r#""coupon":"SPRING-10","gift":false,"tags":["priority","gift-wrap"],"meta":{"source":"web","campaign":"spring_sale","ab":"B"}}}"#);
    while body.len() < 1024 {
        // Distinct members: a value repeated within a request is inspected once.
        let n = body.matches("\"line").count() + 1;
        body.insert_str(
            body.len() - 1,
            &format!(r#","line{n}":"gift note {n}: lorem ipsum dolor sit amet""#),
        );
    }
    body
}

/// Where the article is posted.
const ARTICLES: &str = "/api/v1/articles";

/// A JSON article of about 16 KiB of prose in paragraphs, the body a CMS, a
/// ticketing or a comments API takes: one long value, which a WAF reads whole.
/// Sentences of words from a fixed list (seeded, so every run sends the same
/// text) that neither WAF has a reason to block; `check_target` makes sure.
fn article_json() -> String {
    const WORDS: &str = "the a of to and in is it that for on with as was by this be at from are have an not they which you were all their has one there been can more would will about if when out so what up some into them only other time could these two may then do first any new like than now people my also made over after did many before must through years where much your way well down should because each just those how too little state good very make world still own see men work long here between both life being under never day same another know while last might us great old year off come since against go came right used take three";
    let words: Vec<&str> = WORDS.split(' ').collect();
    let mut seed: u64 = 1;
    let mut next = |n: usize| {
        seed = (seed * 1_103_515_245 + 12_345) % (1 << 31);
        seed as usize % n
    };
    let mut paragraphs = Vec::new();
    let mut len = 0;
    while len < 16 * 1024 {
        let mut sentences = Vec::new();
        for _ in 0..3 + next(4) {
            let mut w: Vec<String> = (0..8 + next(9))
                .map(|_| words[next(words.len())].to_string())
                .collect();
            if next(3) == 0 {
                let at = next(w.len());
                w.insert(at, format!("{},", words[next(words.len())]));
            }
            let sentence = w.join(" ");
            let mut c = sentence.chars();
            let first = c.next().map(|f| f.to_ascii_uppercase()).unwrap_or('A');
            sentences.push(format!("{first}{}.", c.as_str()));
        }
        let p = sentences.join(" ");
        len += p.len() + 2;
        paragraphs.push(p);
    }
    // Letters, spaces, commas and periods only: the paragraph breaks are the one
    // thing JSON escapes.
    format!(
        r#"{{"title":"Field notes","body":"{}"}}"#,
        paragraphs.join("\\n\\n")
    )
}

fn post_script(body: &str) -> String {
    // A Lua long bracket holds the JSON verbatim (it has no `]==]`).
    format!(
        "wrk.method = \"POST\"\nwrk.body = [==[{body}]==]\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.headers[\"User-Agent\"] = \"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\"\n"
    )
}

/// ModSecurity v3 with the Debian CRS: engine on, request bodies parsed (JSON and
/// XML processors as in ModSecurity's recommended configuration), paranoia 1, no
/// audit log (the gateway's access log is off too).
fn modsecurity_rules(dir: &Path) -> String {
    format!(
        r#"SecRuleEngine On
SecRequestBodyAccess On
SecRequestBodyLimit 13107200
SecRequestBodyNoFilesLimit 131072
SecRequestBodyLimitAction Reject
SecRule REQUEST_HEADERS:Content-Type "^(?:application(?:/soap\+|/)|text/)xml" "id:'200000',phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML"
SecRule REQUEST_HEADERS:Content-Type "^application/json" "id:'200001',phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
SecResponseBodyAccess Off
SecAuditEngine Off
SecArgumentSeparator &
SecCookieFormat 0
SecTmpDir {dir}/tmp
SecDataDir {dir}/tmp
SecAction "id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=1"
Include /etc/modsecurity/crs/crs-setup.conf
Include /usr/share/modsecurity-crs/rules/*.conf
"#,
        dir = dir.display()
    )
}

fn gateway_config(up: u16, port: u16, waf_mode: &str) -> String {
    format!(
        r#"listeners:
  - name: plain
    bind: 127.0.0.1:{port}
upstreams:
  backend:
    targets: ["127.0.0.1:{up}"]
    keepalive: {{ max_idle_per_target: 64 }}
routes:
  - name: all
    upstream: backend
limits: {{ max_connections_per_ip: 0 }}
access_log: {{ enabled: false }}
waf: {{ mode: {waf_mode}, paranoia: 1, threshold: 5 }}
"#
    )
}

/// The benign requests pass; where a WAF is on, an SQL injection gets 403.
fn check_target(name: &str, port: u16, blocks: bool, body: &str, article: &str) -> Result<()> {
    let status = |args: &[&str], path: &str| -> Result<String> {
        cmd_output(
            Command::new("curl")
                .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
                .args(args)
                .arg(format!("http://127.0.0.1:{port}{path}")),
        )
    };
    let mut get = Vec::new();
    for h in SEARCH_HEADERS {
        get.extend(["-H", h]);
    }
    let ok_get = status(&get, SEARCH)?;
    let post_json = |json: &str, path: &str| {
        status(
            &[
                "-H",
                "Content-Type: application/json",
                "--data-binary",
                json,
            ],
            path,
        )
    };
    let ok_post = post_json(body, "/api/v1/orders")?;
    let ok_article = post_json(article, ARTICLES)?;
    let attack = status(&[], "/api/v1/search?q=1%27%20OR%20%271%27%3D%271")?;
    let expected_attack = if blocks { "403" } else { "200" };
    if ok_get != "200" || ok_post != "200" || ok_article != "200" || attack != expected_attack {
        bail!(
            "{name} is not set up as intended: benign GET {ok_get}, benign POST {ok_post}, article {ok_article}, SQL injection {attack} (expected 200, 200, 200, {expected_attack})"
        );
    }
    println!("{name}: benign GET and POST 200, SQL injection {attack}");
    Ok(())
}

fn report(
    medians: &[(&str, f64)],
    kinds: &[(&str, &str, &[&str])],
    targets: &[(&str, u16, bool)],
    samples: &[Vec<Vec<Sample>>],
    workers: usize,
    o: &Options,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "<!-- waf:start -->");
    let _ = writeln!(
        s,
        "## WAF: inspection time, and throughput against nginx + ModSecurity\n"
    );
    let _ = writeln!(
        s,
        "`cargo xtask bench waf`. Inspection: criterion (`cargo bench -p gateway-user --bench waf`), median time of `Engine::inspect` on a POST with browser headers, two query arguments and a JSON body, with the default rules. By default (`waf.seen_values`) each worker remembers the method, path and header values it has inspected with what fired on them, so after the first request the same client's method, path and headers cost a lookup; the `seen_values: 0` row inspects them every time.\n"
    );
    let _ = writeln!(s, "| request | paranoia | median |");
    let _ = writeln!(s, "|---|---:|---:|");
    for (id, ns) in medians {
        let size = if id.contains("64KiB") {
            "64 KiB JSON body"
        } else if id.contains("unseen") {
            "1 KiB JSON body, method, path and headers inspected every time (`seen_values: 0`)"
        } else if id.contains("varied") {
            "1 KiB JSON bodies, varied text (500, cycled)"
        } else {
            "1 KiB JSON body"
        };
        let pl = if id.contains("pl2") { 2 } else { 1 };
        let _ = writeln!(s, "| {size} | {pl} | {:.1} µs |", ns / 1000.0);
    }
    for (id, what) in [
        ("waf_pl1_1KiB_json", "the same request each time"),
        (
            "waf_pl1_1KiB_json_unseen",
            "the same request, its method, path and headers never seen before",
        ),
        ("waf_pl1_1KiB_varied", "varied text"),
    ] {
        if let Some((_, ns)) = medians.iter().find(|(m, _)| *m == id) {
            let _ = writeln!(
                s,
                "\nGoal (1 KiB request under 20 µs), {what}: {:.1} µs — {}.",
                ns / 1000.0,
                if *ns < 20_000.0 { "met" } else { "not met" }
            );
        }
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Throughput: {} rounds of wrk -t{workers} -c{} -d{}s on loopback (1 s warm-up each), medians; every target proxies to the same nginx `return 200` upstream, with {workers} workers and no access or audit log. Before measuring, each WAF blocked `?q=1' OR '1'='1` with 403 and passed the three benign requests. ModSecurity: libmodsecurity 3 + OWASP CRS 3.3 (Debian), engine On, JSON body processor, paranoia 1, anomaly threshold 5 (CRS default).\n",
        o.rounds, o.connections, o.duration
    );
    let _ = writeln!(
        s,
        "| request | target | req/s | p99 | vs ModSecurity | vs WAF off |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|");
    for (k, (kind, _, _)) in kinds.iter().enumerate() {
        let rps: Vec<f64> = samples[k]
            .iter()
            .map(|t| median(t.iter().map(|x| x.rps)))
            .collect();
        for (t, (name, _, _)) in targets.iter().enumerate() {
            let p99 = median(samples[k][t].iter().map(|x| x.p99_ms));
            let _ = writeln!(
                s,
                "| {kind} | {name} | {:.0} | {p99:.2} ms | {:.2}× | {:.2}× |",
                rps[t],
                rps[t] / rps[2],
                rps[t] / rps[0]
            );
        }
    }
    let _ = writeln!(s, "<!-- waf:end -->");
    s
}
