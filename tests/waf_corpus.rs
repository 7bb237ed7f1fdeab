//! Runs the labelled WAF corpus (`tests/corpus/waf/`) through the engine with the
//! default configuration (block, paranoia 1, threshold 5) and asserts detection and
//! false-positive floors per category. Run with `--nocapture` to see the rate table
//! and every miss.
use std::collections::BTreeMap;
use std::path::PathBuf;

use gateway::waf::{Engine, RoutePolicy, WafConfig};

#[path = "support/corpus_line.rs"]
mod corpus_line;
use corpus_line::{Placement, build, unescape};

/// The corpus directory; `WAF_CORPUS_DIR` points the test at another labelled set
/// with the same layout (e.g. a held-out corpus).
fn corpus_dir() -> PathBuf {
    match std::env::var_os("WAF_CORPUS_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus/waf"),
    }
}

/// Payload lines: blank lines and `##` comments skipped, `\n` `\r` `\t` unescaped.
fn lines(path: &PathBuf) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("##"))
        .map(unescape)
        .collect()
}

fn blocked(engine: &Engine, policy: &RoutePolicy, payload: &str, placement: Placement) -> bool {
    engine
        .inspect(&build(payload, placement).view(), policy)
        .blocked
}

/// Whether an attack is blocked in `placement`; a miss is printed.
fn detected(
    engine: &Engine,
    policy: &RoutePolicy,
    category: &str,
    payload: &str,
    placement: Placement,
) -> bool {
    let hit = blocked(engine, policy, payload, placement);
    if !hit {
        eprintln!("MISS {category:8} {placement:?}: {payload}");
    }
    hit
}

fn attack_placements(category: &str, payload: &str) -> Vec<Placement> {
    match category {
        "scanner" => vec![Placement::UserAgent],
        "xxe" => vec![Placement::Xml],
        "crlf" => vec![Placement::RawQuery],
        "nosql" if payload.trim_start().starts_with('{') => vec![Placement::RawJson],
        "nosql" if payload.contains("[$") => vec![Placement::RawQuery],
        _ => vec![Placement::Query, Placement::Json, Placement::Multipart],
    }
}

fn benign_placements(kind: &str) -> Vec<Placement> {
    match kind {
        "json" => vec![Placement::RawJson],
        "graphql" => vec![Placement::GraphQl, Placement::Query],
        "useragents" => vec![Placement::UserAgent],
        _ => vec![Placement::Query, Placement::Json, Placement::Multipart],
    }
}

/// Detection floor per category (fraction of payload placements blocked). The
/// engine detects every payload of this corpus today; the floors leave a little room
/// for corpus growth without letting a category silently regress.
fn floor(category: &str) -> f64 {
    match category {
        "sqli" | "xss" | "lfi" | "rce" => 0.98,
        _ => 0.95,
    }
}

/// The engine under test: defaults, with `WAF_PARANOIA=N` to measure other levels.
fn engine() -> Engine {
    engine_at(
        std::env::var("WAF_PARANOIA")
            .ok()
            .and_then(|v| v.parse().ok()),
    )
}

/// The default engine, at paranoia level `paranoia` when given.
fn engine_at(paranoia: Option<u8>) -> Engine {
    let mut cfg = WafConfig::default();
    if let Some(p) = paranoia {
        cfg.paranoia = p;
    }
    Engine::compile(&cfg).expect("config compiles")
}

fn files(sub: &str) -> Vec<(String, PathBuf)> {
    files_in(&corpus_dir(), sub)
}

fn files_in(dir: &std::path::Path, sub: &str) -> Vec<(String, PathBuf)> {
    // An attack-only corpus (`waf-public4`) has no benign part.
    if sub == "benign" && !dir.join(sub).exists() {
        return Vec::new();
    }
    let mut v: Vec<_> = std::fs::read_dir(dir.join(sub))
        .expect("corpus directory")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| {
            (
                p.file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                p,
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn attack_corpus_is_detected_above_the_floor_in_every_category() {
    let engine = engine();
    let policy = engine.default_policy();
    let mut failures = Vec::new();
    let mut table = BTreeMap::new();
    for (category, path) in files("attack") {
        let (mut total, mut hit) = (0usize, 0usize);
        for payload in lines(&path) {
            for placement in attack_placements(&category, &payload) {
                total += 1;
                hit += usize::from(detected(&engine, &policy, &category, &payload, placement));
            }
        }
        let rate = hit as f64 / total.max(1) as f64;
        table.insert(category.clone(), (hit, total, rate));
        if rate < floor(&category) {
            failures.push(format!(
                "{category}: {:.1}% < {:.1}%",
                rate * 100.0,
                floor(&category) * 100.0
            ));
        }
    }
    eprintln!("\ncategory  detected/total  rate");
    for (c, (h, t, r)) in &table {
        eprintln!("{c:9} {h:5}/{t:<5}     {:.1}%", r * 100.0);
    }
    assert!(failures.is_empty(), "detection below floor: {failures:?}");
}

/// The injection categories of the own corpus placed where an API reads them
/// besides its arguments: a cookie, a path segment, the query of the Referer.
#[test]
fn attacks_in_a_cookie_a_path_segment_or_the_referer_are_detected_like_arguments() {
    if std::env::var_os("WAF_CORPUS_DIR").is_some() {
        return;
    }
    let engine = engine();
    let policy = engine.default_policy();
    let mut failures = Vec::new();
    for placement in [
        Placement::Cookie,
        Placement::PathSegment,
        Placement::Referer,
    ] {
        let (mut total, mut hit) = (0usize, 0usize);
        for (category, path) in files("attack") {
            if ![
                "sqli", "xss", "lfi", "rce", "rfi", "ssti", "php", "java", "node", "ldap",
            ]
            .contains(&category.as_str())
            {
                continue;
            }
            for payload in lines(&path) {
                total += 1;
                hit += usize::from(detected(&engine, &policy, &category, &payload, placement));
            }
        }
        let rate = hit as f64 / total.max(1) as f64;
        eprintln!("{placement:?}: {hit}/{total} ({:.1}%)", rate * 100.0);
        // 100% in a cookie and the Referer, 99.6% in the path when this was set.
        if rate < 0.98 {
            failures.push(format!("{placement:?}: {:.1}%", rate * 100.0));
        }
    }
    assert!(failures.is_empty(), "detection below 98%: {failures:?}");
}

#[test]
fn benign_corpus_false_positive_rate_is_below_one_percent() {
    let engine = engine();
    let policy = engine.default_policy();
    let (mut total, mut fps) = (0usize, 0usize);
    let mut table = BTreeMap::new();
    for (kind, path) in files("benign") {
        let (mut t, mut f) = (0usize, 0usize);
        for line in lines(&path) {
            for placement in benign_placements(&kind) {
                t += 1;
                // The rule ids of the verdict counted, from the same request.
                let verdict = engine.inspect(&build(&line, placement).view(), &policy);
                if verdict.blocked {
                    f += 1;
                    let ids = verdict.rule_ids();
                    eprintln!("FP {kind:9} {placement:?} {ids:?}: {line}");
                }
            }
        }
        table.insert(kind, (f, t));
        total += t;
        fps += f;
    }
    eprintln!("\nbenign     fp/total");
    for (k, (f, t)) in &table {
        eprintln!("{k:10} {f:3}/{t}");
    }
    let rate = fps as f64 / total.max(1) as f64;
    eprintln!(
        "overall false-positive rate: {:.2}% ({fps}/{total})",
        rate * 100.0
    );
    if std::env::var_os("WAF_CORPUS_DIR").is_none() {
        assert!(total > 1000, "benign corpus too small: {total}");
    }
    assert!(
        rate <= 0.01,
        "false-positive rate {:.2}% above 1%",
        rate * 100.0
    );
}

/// The held-out public corpora (`tests/corpus/waf-public/` from round 1 and
/// `tests/corpus/waf-public3/` (SQL injection) from round 3, whose both halves
/// are now tuned against, and `tests/corpus/waf-public2/`,
/// `tests/corpus/waf-public4/` (SQL injection, attacks only) and
/// `tests/corpus/waf-public5/` (every other category) from rounds 2, 7 and 8,
/// whose `test` halves are only measured;
/// `tests/corpus/waf-public6/` (round 24, SQL injection) has a `dev` part only;
/// `tests/corpus/waf-public7/` (round 27, XSS, attacks only) has its `test` half
/// measured only; see their READMEs). The floors sit just below
/// the rates measured when they were set, so a regression fails here.
fn public_dir(part: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/corpus")
        .join(part)
}

/// (detected, total) per attack category and (false positives, total) over the
/// benign kinds of one part of the public corpus.
fn public_rates(part: &str, engine: Engine) -> (BTreeMap<String, (usize, usize)>, (usize, usize)) {
    let policy = engine.default_policy();
    let dir = public_dir(part);
    let mut attacks = BTreeMap::new();
    for (category, path) in files_in(&dir, "attack") {
        let (mut hit, mut total) = (0, 0);
        for payload in lines(&path) {
            for placement in attack_placements(&category, &payload) {
                total += 1;
                hit += usize::from(blocked(&engine, &policy, &payload, placement));
            }
        }
        attacks.insert(category, (hit, total));
    }
    let (mut fps, mut total) = (0, 0);
    for (kind, path) in files_in(&dir, "benign") {
        for line in lines(&path) {
            for placement in benign_placements(&kind) {
                total += 1;
                fps += usize::from(blocked(&engine, &policy, &line, placement));
            }
        }
    }
    (attacks, (fps, total))
}

fn public_floor(part: &str, category: &str) -> f64 {
    match (part, category) {
        ("waf-public/dev", "sqli") => 0.99,
        ("waf-public/dev", "nosql") => 0.95,
        ("waf-public/test", "sqli") => 0.97,
        ("waf-public/test", "lfi") => 0.97,
        ("waf-public/test", "rce") => 0.93,
        ("waf-public/test", "nosql") => 0.94,
        ("waf-public/test", "xss") => 0.98,
        ("waf-public2/dev", "rce") => 0.96,
        ("waf-public2/dev", "sqli") => 0.96,
        ("waf-public2/dev", "xss") => 0.92,
        ("waf-public2/test", "rce") => 0.87,
        ("waf-public2/test", "sqli") => 0.90,
        ("waf-public3/dev", "sqli") => 0.95,
        ("waf-public3/test", "sqli") => 0.91,
        ("waf-public4/dev", "sqli") => 0.99,
        ("waf-public4/test", "sqli") => 0.97,
        ("waf-public6/dev", "sqli") => 0.78,
        ("waf-public5/dev", "xss") => 0.93,
        ("waf-public5/dev", "lfi") => 0.93,
        ("waf-public5/dev", "rfi") => 0.98,
        ("waf-public5/dev", "rce") => 0.97,
        ("waf-public5/dev", "ssti") => 0.99,
        ("waf-public5/dev", "node") => 0.98,
        ("waf-public5/dev", "ldap") => 0.99,
        ("waf-public5/test", "xss") => 0.91,
        ("waf-public5/test", "lfi") => 0.89,
        ("waf-public5/test", "rfi") => 0.93,
        ("waf-public5/test", "rce") => 0.92,
        ("waf-public5/test", "ssti") => 0.93,
        ("waf-public5/test", "node") => 0.90,
        ("waf-public5/test", "ldap") => 0.85,
        ("waf-public5/test", "xxe") => 0.95,
        ("waf-public7/dev", "xss") => 0.97,
        ("waf-public7/test", "xss") => 0.96,
        _ => 0.99,
    }
}

/// The false-positive ceiling of a part: waf-public5's benign traffic is MDN's
/// browser-compatibility notes, HTML-heavy documentation (0.87% and 0.63% when
/// it was added, against CRS paranoia 1's 4.42% and 3.22%; 0.35% and 0.16% since
/// a bare `<iframe>` named in a note is not a frame).
fn public_fp_ceiling(part: &str) -> f64 {
    if part.starts_with("waf-public5/") {
        0.005
    } else {
        0.006
    }
}

#[test]
fn public_corpus_detection_and_false_positives_stay_at_their_measured_levels() {
    let mut failures = Vec::new();
    let parts = [
        "waf-public/dev",
        "waf-public/test",
        "waf-public2/dev",
        "waf-public2/test",
        "waf-public3/dev",
        "waf-public3/test",
        "waf-public4/dev",
        "waf-public4/test",
        "waf-public5/dev",
        "waf-public5/test",
        "waf-public6/dev",
        "waf-public7/dev",
        "waf-public7/test",
    ];
    // The parts are independent; measuring them side by side keeps the test short.
    let rates: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .iter()
            .map(|part| s.spawn(move || public_rates(part, engine())))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("corpus thread"))
            .collect()
    });
    for (part, (attacks, (fps, total))) in parts.into_iter().zip(rates) {
        for (category, (hit, n)) in attacks.iter().filter(|(_, (_, n))| *n > 0) {
            let rate = *hit as f64 / (*n).max(1) as f64;
            eprintln!(
                "public {part:16} {category:8} {hit:4}/{n:<4} {:.1}%",
                rate * 100.0
            );
            if rate < public_floor(part, category) {
                failures.push(format!("{part} {category}: {:.1}%", rate * 100.0));
            }
        }
        let fp = fps as f64 / total.max(1) as f64;
        eprintln!(
            "public {part:16} benign fp {fps}/{total} {:.2}%",
            fp * 100.0
        );
        if fp > public_fp_ceiling(part) {
            failures.push(format!("{part} benign false positives: {:.2}%", fp * 100.0));
        }
    }
    assert!(failures.is_empty(), "public corpus regressed: {failures:?}");
}

/// SQL injection at paranoia level 2 (the paranoia-2 rules of rounds 6 and 7, see
/// `tests/corpus/waf-public/README.md`): floors just below the rates measured
/// when they were set, and false positives still under 1%.
#[test]
fn public_corpus_sqli_at_paranoia_2_stays_at_its_measured_level() {
    let floors = [
        ("waf-public/dev", 0.99),
        ("waf-public/test", 0.97),
        ("waf-public2/dev", 0.99),
        ("waf-public2/test", 0.93),
        ("waf-public3/dev", 0.98),
        ("waf-public3/test", 0.94),
        ("waf-public4/dev", 0.99),
        ("waf-public4/test", 0.97),
        ("waf-public6/dev", 0.89),
    ];
    let rates: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = floors
            .iter()
            .map(|(part, _)| s.spawn(move || public_rates(part, engine_at(Some(2)))))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("corpus thread"))
            .collect()
    });
    let mut failures = Vec::new();
    for ((part, floor), (attacks, (fps, total))) in floors.into_iter().zip(rates) {
        let (hit, n) = attacks.get("sqli").copied().unwrap_or((0, 0));
        let rate = hit as f64 / n.max(1) as f64;
        let fp = fps as f64 / total.max(1) as f64;
        eprintln!(
            "paranoia 2 {part:16} sqli {hit:4}/{n:<4} {:.1}%  benign fp {fps}/{total} {:.2}%",
            rate * 100.0,
            fp * 100.0
        );
        if n == 0 || rate < floor {
            failures.push(format!("{part} sqli: {:.1}%", rate * 100.0));
        }
        if fp > 0.01 {
            failures.push(format!("{part} benign false positives: {:.2}%", fp * 100.0));
        }
    }
    assert!(failures.is_empty(), "paranoia 2 regressed: {failures:?}");
}
