//! SQL injection detection by tokenizing and parsing, in the manner of libinjection.
//!
//! `tokenizer` turns input into typed tokens in three contexts (bare, after `'`,
//! after `"`); `grammar` folds them and decides from the grammar of injection
//! contexts whether the input breaks out of its context into SQL.
mod grammar;
mod screen;
mod tokenizer;

pub use grammar::{Folded, fold, fold_into};
pub use tokenizer::{Context, Kind, Token, Tokens, tokenize, tokenize_into};

use super::memo::NextFind;

/// True when `input` reads as a SQL injection in any context.
pub fn is_sqli(input: &str) -> bool {
    sqli_context(input).is_some()
}

/// True when `input`, as a whole, is one complete SQL statement with SQL-only
/// syntax (`SELECT * FROM users`, `DROP TABLE x;`, `EXEC xp_cmdshell 'dir'`).
/// "select a product from the list" is not: it has no SQL beyond the words.
pub fn is_sql_statement(input: &str) -> bool {
    // Punctuation that breaks out of the application's value before the statement
    // (`/CREATE TABLE t`, `');DROP TABLE t`) leaves it whole. A backtick does not:
    // Markdown quotes code with it.
    let start = input.trim_start_matches(|c: char| {
        c.is_whitespace() || matches!(c, '/' | ';' | ')' | '\'' | '"')
    });
    // Cheap gate: the first word must start a statement.
    let first = &start.as_bytes()[..start.bytes().take_while(u8::is_ascii_alphabetic).count()];
    let mut buf = [0u8; 8];
    let Some(lower) = buf.get_mut(..first.len()) else {
        return false;
    };
    for (d, s) in lower.iter_mut().zip(first) {
        *d = s.to_ascii_lowercase();
    }
    if !matches!(
        &*lower,
        b"select"
            | b"insert"
            | b"update"
            | b"delete"
            | b"drop"
            | b"create"
            | b"alter"
            | b"truncate"
            | b"exec"
            | b"execute"
            | b"declare"
            | b"shutdown"
            | b"grant"
            | b"revoke"
            | b"with"
    ) {
        return false;
    }
    let trimmed = start.trim_end();
    if trimmed.len() < 8 {
        return false;
    }
    let (mut toks, mut folded) = (Tokens::new(), Folded::new());
    tokenize_into(trimmed, Context::Bare, &mut toks) && {
        fold_into(toks.as_slice(), &mut folded);
        grammar::is_statement(folded.as_slice())
    }
}

/// The value with the comments, `<>`, JSON array seams (`","`) and invisible
/// characters (zero-width spaces, soft hyphens) that split a SQL word removed and
/// the others read as a space: `UN/**/ION SEL/**/ECT` is `UNION SELECT`, `un<>ion`
/// and `un","ion` are `union`, as a filter that strips such marks, or an
/// application that joins the array, hands them to the database.
/// `None` when no word was split. MySQL's executable comments (`/*!`) are left
/// to the tokenizer.
pub fn joined_words(input: &str) -> Option<String> {
    join_split_words(input, false)
}

/// True when inline comments split a SQL word of three letters or more
/// (`DR/**/OP`, `ORD/**/ER`, `S/**/E/**/L/**/ECT`): a filter evasion, since no one
/// writes a comment inside a word. A path glob (`src/**/test`) joins no SQL word;
/// MySQL's executable comments (`/*!`) are left to the tokenizer.
pub fn comment_splits_sql_word(input: &str) -> bool {
    join_split_words(input, true).is_some()
}

/// The end of the split mark at `i` of `input`: a C comment other than MySQL's
/// executable one and, unless `comments_only`, `<>`, a JSON array's seam or an
/// invisible character.
fn split_mark_end(
    input: &str,
    i: usize,
    comments_only: bool,
    ends: &mut NextFind,
) -> Option<usize> {
    let b = input.as_bytes();
    match b[i..] {
        [b'/', b'*', c, ..] if c != b'!' => ends.at(b, i + 2).map(|p| p + 2),
        _ if comments_only => None,
        [b'<', b'>', ..] => Some(i + 2),
        // A JSON array's seam, which an application that joins the array
        // closes: `["un","ion se","lect 1"]`, also escaped inside a string.
        [b'"', b',', b'"', ..] => Some(i + 3),
        [b'\\', b'"', b',', b'\\', b'"', ..] => Some(i + 5),
        _ => invisible_mark_len(&b[i..]).map(|n| i + n),
    }
}

/// Whether `c` can start a split mark of `split_mark_end`: the `/` of a comment
/// and, unless `comments_only`, the first byte of `<>`, of a seam and of an
/// invisible character.
fn may_start_mark(c: u8, comments_only: bool) -> bool {
    c == b'/' || (!comments_only && matches!(c, b'<' | b'"' | b'\\' | 0xC2 | 0xE2 | 0xEF))
}

/// `joined_words`; with `comments_only`, only C comments are split marks and only
/// words of three letters or more count as split. A word may be split more than
/// once (`S/**/E/**/L/**/ECT`): the longest run of letters and marks that joins
/// into a SQL word ending at a word boundary is joined.
fn join_split_words(input: &str, comments_only: bool) -> Option<String> {
    const MAX: usize = 24;
    let b = input.as_bytes();
    let letters = |from: usize| {
        b[from..]
            .iter()
            .take_while(|c| c.is_ascii_alphabetic())
            .count()
    };
    let mut out = String::with_capacity(input.len());
    // Where each comment ends, found once however many `/*` come before it.
    let mut ends = NextFind::new("*/");
    let (mut i, mut last, mut joined) = (0, 0, false);
    while i < b.len() {
        // Most bytes cannot start a mark: skip to the next that can.
        let Some(p) = b[i..]
            .iter()
            .position(|&c| may_start_mark(c, comments_only))
        else {
            break;
        };
        i += p;
        let Some(end) = split_mark_end(input, i, comments_only, &mut ends) else {
            i += 1;
            continue;
        };
        out.push_str(&input[last..i]);
        let left = out
            .bytes()
            .rev()
            .take_while(u8::is_ascii_alphabetic)
            .count();
        let mut word = [0u8; MAX];
        // The end of the joined word, once a SQL word is found.
        let mut split = None;
        if left > 0 && left <= MAX && !out[..out.len() - left].ends_with('_') {
            word[..left].copy_from_slice(&out.as_bytes()[out.len() - left..]);
            word[..left].make_ascii_lowercase();
            let (mut len, mut mark_end) = (left, Some(end));
            while let Some(end) = mark_end {
                let right = letters(end);
                // No SQL word starts with what is joined so far: nor will a
                // longer one (`a/**/a/**/a…` stops at `aa`).
                if right == 0 || len + right > MAX || !tokenizer::may_begin_sql_word(&word[..len]) {
                    break;
                }
                word[len..len + right].copy_from_slice(&b[end..end + right]);
                word[len..len + right].make_ascii_lowercase();
                len += right;
                let next = end + right;
                mark_end = b
                    .get(next)
                    .and_then(|_| split_mark_end(input, next, comments_only, &mut ends));
                let boundary = mark_end.is_some()
                    || !b
                        .get(next)
                        .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_');
                let w = &word[..len];
                if boundary && (!comments_only || len >= 3) && tokenizer::is_sql_word(w) {
                    split = Some(next);
                }
            }
        }
        match split {
            Some(next) => {
                // The word's letters without the marks between them.
                let mut at = end;
                while at < next {
                    let n = letters(at);
                    out.push_str(&input[at..at + n]);
                    at += n;
                    if at < next {
                        at = split_mark_end(input, at, comments_only, &mut ends).unwrap_or(next);
                    }
                }
                joined = true;
                i = next;
            }
            None => {
                out.push(' ');
                i = end;
            }
        }
        last = i;
    }
    out.push_str(&input[last..]);
    joined.then_some(out)
}

/// The length of the invisible character `b` starts with, one that can sit inside
/// a SQL word unseen: a zero-width space, non-joiner or joiner, the word joiner or
/// the byte-order mark (3 bytes), the soft hyphen (2).
pub(crate) fn invisible_mark_len(b: &[u8]) -> Option<usize> {
    match b {
        [0xE2, 0x80, 0x8B..=0x8D, ..] | [0xE2, 0x81, 0xA0, ..] | [0xEF, 0xBB, 0xBF, ..] => Some(3),
        [0xC2, 0xAD, ..] => Some(2),
        _ => None,
    }
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
    // Most values are words and numbers: proven harmless without tokenizing.
    if screen::only_names_and_literals(input) {
        return None;
    }
    let b = input.as_bytes();
    // A quote context is read only when the value holds its quote.
    let possible = |ctx: &Context| match *ctx {
        Context::Bare => true,
        // Inside a MySQL backtick identifier (`ORDER BY `col``): `1` WHERE 5=5--`.
        // The application's own backtick closes the last one, so a break-out leaves
        // an odd count; Markdown's inline code (`SELECT`) pairs them. A break-out
        // that pairs its own (`` 1`=`1` AND 1=1 AND `1`=`1 ``) starts with the word
        // it closes, glued to the backtick, as no inline code does.
        Context::Quoted(b'`') => memchr::memchr(b'`', b).is_some_and(|first| {
            memchr::memchr_iter(b'`', &b[first + 1..])
                .count()
                .is_multiple_of(2)
                || ((1..=32).contains(&first)
                    && b[..first]
                        .iter()
                        .all(|&c| c.is_ascii_alphanumeric() || c == b'_'))
        }),
        Context::Quoted(q) => memchr::memchr(q, b).is_some(),
    };
    // One pair of buffers for every context, kept for the thread's next value:
    // allocated and freed for each value, they took mimalloc's slow path
    // whenever their page emptied in between (the 1 KiB request, paranoia 2:
    // about 8k instructions of its 174k).
    let (toks, folded) = SPARE.take().unwrap_or_else(|| {
        (
            Vec::with_capacity(tokenizer::FIRST_TOKENS),
            Vec::with_capacity(tokenizer::FIRST_TOKENS),
        )
    });
    let (mut toks, mut folded) = (Tokens::recycled(toks), Folded::recycled(folded));
    let found = Context::ALL.into_iter().filter(possible).find(|&ctx| {
        tokenize_into(input, ctx, &mut toks) && {
            fold_into(toks.as_slice(), &mut folded);
            grammar::is_injection(folded.as_slice(), ctx)
        }
    });
    SPARE.set(Some((
        tokenizer::recycle(toks.into_vec()),
        tokenizer::recycle(folded.into_vec()),
    )));
    found
}

/// Token buffers between two values of a thread (see `sqli_context`).
type Spare = (Vec<Token<'static>>, Vec<Token<'static>>);

thread_local! {
    static SPARE: std::cell::Cell<Option<Spare>> = const { std::cell::Cell::new(None) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_split_mark_starts_with_a_byte_that_may_start_one() {
        // `may_start_mark` is the skip before `split_mark_end`: a mark whose first
        // byte it refuses would never be found.
        for mark in ["/**/", "<>", "\",\"", "\\\",\\\""] {
            let mut ends = NextFind::new("*/");
            assert!(
                split_mark_end(mark, 0, false, &mut ends).is_some(),
                "{mark}"
            );
            assert!(
                may_start_mark(mark.as_bytes()[0], mark.starts_with('/')),
                "{mark}"
            );
        }
        // Invisible characters: every lead byte, with every pair of continuation
        // bytes after it.
        for lead in 0..=255u8 {
            for (a, b) in (0x80..=0xBFu8).flat_map(|a| (0x80..=0xBFu8).map(move |b| (a, b))) {
                if invisible_mark_len(&[lead, a, b]).is_some() {
                    assert!(may_start_mark(lead, false), "{lead:#x} {a:#x} {b:#x}");
                }
            }
        }
    }

    #[test]
    fn classic_injections_are_detected() {
        for p in [
            "' or '1'='1",
            "admin'--",
            "admin' #",
            "admin'#",
            "x' + 'y'#",
            "'-'",
            "admin'='",
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
            " OR x=y#",
            "or true--",
            " HAVING 1=1",
            " ORDER BY 1-- ",
            " WHERE 1=1 AND 1=1--",
            "1--",
            "1*1--",
            "@@version#",
            "(select id from users limit 1,1)",
            "1) FROM users WHERE name=",
            "1'||'asd'||'",
            "admin' or '",
            "X' != 'Y' = 0 = '1",
            "; exec master..xp_cmdshell 'dir'",
            "-union (select id from users limit 1,1)",
            "1DUNION SELECT 2",
            "SELECT\\UNION SELECT 2",
            "{ts 1}UNION SELECT 1,2",
            "test'-1 union(select table)",
            "' (select top 1",
            " AS x WHERE 1=1 AND 1=1--",
            "FOO + (SELECT 9350 WHERE 8850=8850 AND 3963=4777--  )",
            "1' ;CALL REGEXP_SUBSTRING(REPEAT(LEFT(CRYPT_KEY('AES',NULL),0),500000000),NULL)--",
            "1 ;call sleep(5)",
            "1` WHERE 8449=9935 AND 6611=7415-- -",
            "1`) WHERE 3758=4460 AND 7094=4639-- -",
            "1\" AND SLEEP 1.e(5 1.e)# AND \"iupn\"=\"cwos",
            "1 ;(SELECT * FROM (SELECT(GET_LOCK('x',5)))qgyq)",
            // A break-out of a backtick identifier that pairs its own backticks.
            "1`=`1` AND 1=1 AND `1`=`1",
            "1`=`1`;(SELECT * FROM (SELECT(SLEEP(5)))REqd) AND `1`=`1",
            "1`=`1` WAITFOR DELAY '0:0:5'--",
            "1'='1' WAITFOR DELAY '0:0:5'--",
            "1' AND 3196 BETWEEN (SELECT AND (SELECTCOUNT(*) FROM RDB$FIELDS AS T1)--",
            "(CASE WHEN (2576=2576) THEN SLEEP(5) ELSE 2576 END)",
            "Widget ORDER BY 1#",
            "Widget ORDER BY 1-- VaYU",
            "Widget))) ORDER BY 1-- CedB",
            "Widget RLIKE SLEEP(5)#",
            "Widget HAVING 7516=1039# FRoD",
            "Widget) HAVING 3646=1950-- vwFS",
            "1\" WHERE 7756=7756 (SELECT (CASE WHEN (1=1) THEN 1 ELSE 0 END) FROM t)-- x",
        ] {
            assert!(is_sqli(p), "missed: {p}");
        }
    }

    #[test]
    fn whole_sql_statements_are_recognized_but_not_sql_phrases() {
        for p in [
            "SELECT * FROM users",
            "select username, password from users where id = 1",
            "DROP TABLE x",
            "insert into users values ('a', 'b')",
            "exec xp_cmdshell 'dir'",
            "SELECT name, email FROM customers WHERE country = 'DE'",
            "CREATE TABLE pwn.shell (code TEXT);",
            "create table users(id int)",
            // After the punctuation that breaks out of the application's value.
            "/CREATE TABLE Persons",
            "')DROP TABLE users",
            "\";delete from logs where id>0",
            // `login` is a column's name as often as MSSQL's noun.
            "SELECT login FROM ALL_USERS",
            "select login from users where id = 1",
        ] {
            assert!(is_sql_statement(p), "missed: {p}");
        }
        for b in [
            "select a product from the list",
            "select * from the catalog please",
            "select x from y where",
            "Select the best option",
            "SELECT your size: S, M, L",
            "execute the plan",
            "delete from cart",
            "update me when it ships",
            "/select a plan",
            "`DROP TABLE users`",
            "\"select * from users\" is a query",
            "'delete from cart'",
            "select login from the menu",
        ] {
            assert!(!is_sql_statement(b), "false positive: {b}");
        }
    }

    #[test]
    fn a_comment_inside_a_sql_word_is_an_evasion() {
        for a in [
            "DR/**/OP/*bypass deny listing*/sampletable",
            "-7599\")ORD/**/ER",
            "1\")O/**/R/**/D/**/ER",
            "1]-(S/**/E/**/L/**/E/**/CT 0 WHE/**/RE 1=1",
            "sel/*x*/ect",
        ] {
            assert!(comment_splits_sql_word(a), "missed {a:?}");
        }
        for b in [
            "src/**/test.js",
            "lib/**/*.rs",
            "1/**/UNION/**/SELECT/**/2",
            "/*!50000UNION*/",
            "a/**/b",
            "O/**/R",
            "DR/**/OPS",
            "x_DR/**/OP",
            "width:100px/**/;",
            "/* un */ion",
        ] {
            assert!(!comment_splits_sql_word(b), "flagged {b:?}");
        }
    }

    #[test]
    fn words_split_by_comments_or_angle_pairs_are_joined() {
        assert_eq!(
            joined_words("/**/UN/**/ION/**/SEL/**/ECT/**/password").as_deref(),
            Some(" UNION SELECT password")
        );
        assert_eq!(
            joined_words("\"un<>ion sel<>ect\"").as_deref(),
            Some("\"union select\"")
        );
        assert_eq!(
            joined_words("' un\u{200B}ion se\u{200B}lect 1\u{200B},2").as_deref(),
            Some("' union select 1 ,2")
        );
        assert_eq!(
            joined_words(r#"un\",\"ion se","lect 1"#).as_deref(),
            Some("union select 1")
        );
        assert_eq!(
            joined_words("1]-(S/**/E/**/L/**/ECT 0 WH/**/E/**/RE 1=1").as_deref(),
            Some("1]-(SELECT 0 WHERE 1=1")
        );
        assert_eq!(joined_words(r#"["a","b"]"#), None);
        // Comments between words, a MySQL executable comment and `a<>b` split nothing.
        assert_eq!(joined_words("1/**/UNION/**/SELECT/**/2"), None);
        assert_eq!(joined_words("/*!50000UNION*/"), None);
        assert_eq!(joined_words("a<>b"), None);
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
            "Either '%' or '#' works",
            "is_meta_character('#')",
            "split on '--' or ';'",
            "\"*\"      Matches 0 or more repetitions of the preceding RE.",
            "'- '    line unique to sequence 1",
            "SELECT name, email FROM customers WHERE country = 'DE'",
            "exec summary template",
            "create table for 6",
            "1; exec will create the case 7",
            "BAMBOO CHARCOAL SOAP 1 '#",
            "7\" #2 CIRCULAR NEEDLE",
            "BILLEEVERSBOUTIQUE , BROWNING \"LIKE\"",
            "The membership test operators (\"in\" and \"not in\") are implemented",
            "/search/handmade?search_submit=&q=\"LIKE\"+STAMP&view_type=gallery",
            "'-\"8 TRACK PL",
            "order by newest",
            "or best offer",
            "having trouble logging in",
            "where clause tutorial",
            "pick one + (select one)",
            "The user interface of the \"select\" tool changed, as well as the shortcuts.",
            "known as Bob where he lives",
            "c:\\windows\\system32 or later",
            "{{ user.name }} or {{ user.email }}",
            "Busy; call mom(she knows)",
            "Out today; call (555) 010-9999",
            "Use the `SELECT` statement to query data.",
            "run `ls` where 1=1 holds",
            "a`b` and `c` or `d`=`e`",
            "x`=`y` is how Markdown shows code",
            "(case when rain then umbrella else hat end)",
            "values between (5 and 10) are kept",
            "items order by 2",
            "sort ORDER BY 1 -- the first column",
            "total = sum(values)  # add up",
            "groups having 2=2 members",
            "name like upper(x)",
            "see note 1; (select one)",
            "section 1.e) covers it, and 2.e (sleep) too",
        ] {
            assert!(!is_sqli(b), "false positive: {b} ({:?})", sqli_context(b));
        }
    }
}
