//! Prints the SQL injection verdict for each line of stdin: the context it reads as an
//! injection in, whether it is a whole SQL statement, and with `-v` the folded tokens
//! in each context. A tool for looking at corpus misses and false positives:
//! `cargo run -p gateway-user --example sqli_probe -- -v < lines.txt`.
use gateway::waf::sqli::{Context, fold, is_sql_statement, sqli_context, tokenize};
use std::io::BufRead;

fn main() {
    let verbose = std::env::args().any(|a| a == "-v");
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        // Corpus lines write newlines and tabs as escapes.
        let l = line.replace("\\n", "\n").replace("\\t", "\t");
        let verdict = sqli_context(&l);
        println!(
            "{} {:?} stmt={} | {}",
            if verdict.is_some() { "HIT " } else { "miss" },
            verdict,
            is_sql_statement(&l),
            l
        );
        if !verbose {
            continue;
        }
        for ctx in Context::ALL {
            if let Some(t) = tokenize(&l, ctx) {
                let folded = fold(t.as_slice());
                let shown: Vec<String> = folded
                    .as_slice()
                    .iter()
                    .map(|t| format!("{:?}:{}", t.kind, t.text))
                    .collect();
                println!("   {:?}: {}", ctx, shown.join(" "));
            }
        }
    }
}
