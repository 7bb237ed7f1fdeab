//! SQL injection detection by tokenizing and parsing, in the manner of libinjection.
//!
//! `tokenizer` turns input into typed tokens in three contexts (bare, after `'`,
//! after `"`); `grammar` folds them and decides from the grammar of injection
//! contexts whether the input breaks out of its context into SQL.
mod grammar;
mod tokenizer;

pub use grammar::fold;
pub use tokenizer::{Context, Kind, Token, tokenize};

/// True when `input` reads as a SQL injection in any context.
pub fn is_sqli(input: &str) -> bool {
    sqli_context(input).is_some()
}

/// The first context in which `input` reads as a SQL injection.
pub fn sqli_context(input: &str) -> Option<Context> {
    // A single word or number is never an injection on its own.
    if input.len() < 2
        || input
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_')
    {
        return None;
    }
    let mut ctxs = [Some(Context::Bare), None, None];
    if input.contains('\'') {
        ctxs[1] = Some(Context::Quoted(b'\''));
    }
    if input.contains('"') {
        ctxs[2] = Some(Context::Quoted(b'"'));
    }
    ctxs.into_iter().flatten().find(|&ctx| {
        tokenize(input, ctx).is_some_and(|toks| {
            let folded = fold(toks.as_slice());
            grammar::is_injection(folded.as_slice(), ctx)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_injections_are_detected() {
        for p in [
            "' or '1'='1",
            "admin'--",
            "admin' #",
            "1 or 1=1",
            "1' ORDER BY 3--+",
            "-1 UNION SELECT 1,2,3",
            "' UNION ALL SELECT NULL,NULL--",
            "1; DROP TABLE users",
            "'; EXEC master..xp_cmdshell 'dir'--",
            "1 AND (SELECT * FROM (SELECT(SLEEP(5)))a)",
            "') or ('a'='a",
            "\" or \"\"=\"",
            "' or ''='",
            "1' AND extractvalue(1,concat(0x7e,version()))--",
            "' AND 1=(SELECT COUNT(*) FROM t); --",
            "1 waitfor delay '0:0:5'--",
            "'||(select 1 from dual)||'",
            "' or username like '%",
            "1/**/UNION/**/SELECT/**/password/**/FROM/**/users",
            "/*!50000UNION*/ /*!50000SELECT*/ 1,2",
            "1union select 1",
            "' HAVING 1=1--",
            "' or a=a--",
            "x' AND email IS NULL; --",
            "SELECT password FROM users--",
            "DROP TABLE users;--",
        ] {
            assert!(is_sqli(p), "missed: {p}");
        }
    }

    #[test]
    fn prose_and_names_are_not_sqli() {
        for b in [
            "O'Brien",
            "select a plan",
            "drop me a line",
            "1=1 is true",
            "Tom and Jerry",
            "it's the kids' and parents' day",
            "students' or teachers' view",
            "rock 'n' roll",
            "He said \"hi\" or \"bye\"",
            "query { user(id: \"1\") { name } }",
            "{\"a\": \"b\", \"c\": [1, 2]}",
            "2024-01-15",
            "john.o'reilly@example.com",
            "Union Select Committee meeting",
            "5 o'clock or later",
            "Step 1; drop the table cloth",
            "I'd like to order by phone",
            "Mc'Donald -- the best",
            "what's 1+1?",
            "SELECT name, email FROM customers WHERE country = 'DE'",
            "exec summary template",
            "create table for 6",
        ] {
            assert!(!is_sqli(b), "false positive: {b} ({:?})", sqli_context(b));
        }
    }
}
