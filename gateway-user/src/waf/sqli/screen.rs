//! A cheap look at the bytes of a value that proves, before any tokenizing, that it
//! cannot read as an injection: most values (names, addresses, prose) never reach
//! the tokenizer.
//!
//! The proof: a value with no quote is only read in the bare context. If it also has
//! none of the bytes that start a comparison, comment, parenthesis, comma or `;`, and
//! none of the words the tokenizer can cut out of it is a SQL word, its tokens are
//! identifiers, numbers (TRUE, NULL, ...), variables, dots, unknown symbols and
//! arithmetic operators (`+ - * / %`, not in `--`, `/*` or `*/`), and folding keeps
//! them so. The grammar finds nothing in such a stream: every rule needs a comparison,
//! a logic word, a keyword, a statement, a comment, a parenthesis, a comma or a `;`
//! somewhere (`grammar::is_injection`; arithmetic counts only next to one of those),
//! except MSSQL's `PRINT @@var`, so `print` counts as a SQL word here. Phone numbers,
//! dates, paths and hyphenated prose (`+1 555 0100`, `2024-01-02`, `/api/v1/orders`,
//! "well-known") pass.
use super::tokenizer::{CLASSIFIED, Kind, classify_bytes};

/// True when `input` tokenizes to identifiers, numbers, variables, dots, unknown
/// symbols and arithmetic only, in the only context it can be read in (it has no
/// quote).
///
/// One pass over bytes and words together: most values pass, and a second pass
/// over each of them cost more than the words a failing value reads before its
/// first symbol. Most words are no SQL word by their first and last letters and
/// length alone (`may_be_sql_word`), and are neither lowercased nor looked up.
pub(super) fn only_names_and_literals(input: &str) -> bool {
    let b = input.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match CLASS[usize::from(c)] {
            WORD => {
                let start = i;
                while b.get(i).is_some_and(|&c| CLASS[usize::from(c)] == WORD) {
                    i += 1;
                }
                let run = &b[start..i];
                let sql = if run[0].is_ascii_digit() {
                    !run_has_no_sql_word(run)
                } else {
                    may_be_sql_word(run) && is_sql_word(run)
                };
                // MySQL's `\N` glued to a keyword is NULL and the keyword
                // (`SELECT\NFROM`): the word after the `N` counts too.
                let after_null =
                    start > 0 && b[start - 1] == b'\\' && run[0] == b'N' && is_sql_word(&run[1..]);
                if sql || after_null {
                    return false;
                }
            }
            INERT => i += 1,
            ARITH if !comment_mark(b, i) => i += 1,
            _ if c == b':' && lone_colon(b, i) => i += 1,
            _ => return false,
        }
    }
    true
}

/// A `:` that is not part of `::` or `:=`: the tokenizer makes it an unknown
/// symbol (times, `Note: ...`, URLs without a quote are common in values).
fn lone_colon(b: &[u8], i: usize) -> bool {
    let next = b.get(i + 1).copied();
    next != Some(b':') && next != Some(b'=') && (i == 0 || b[i - 1] != b':')
}

/// An arithmetic operator at `i` that starts or ends a comment: `--`, `/*`, `*/`.
fn comment_mark(b: &[u8], i: usize) -> bool {
    matches!(
        (b[i], b.get(i + 1)),
        (b'-', Some(b'-')) | (b'/', Some(b'*')) | (b'*', Some(b'/'))
    )
}

/// Byte classes, looked up in `CLASS`.
const WORD: u8 = 0;
const INERT: u8 = 1;
const OTHER: u8 = 2;
const ARITH: u8 = 3;

/// `WORD`: bytes of a run of word characters (ASCII: non-ASCII bytes are `OTHER`,
/// since the tokenizer skips non-ASCII spaces before a word but not inside one).
/// `INERT`: bytes outside words that the tokenizer skips or turns into a variable
/// (`@`), a quoted name (`` ` ``, `[]`), a number (`.5`, `\N`), a dot, or an unknown
/// symbol. `ARITH`: `+ - * / %`, arithmetic unless [`comment_mark`] says a comment.
/// `OTHER`: quotes, comparisons and the other operators, `#`, parentheses, `,`, `;`,
/// `:` (`::`, `:=`; a lone `:` is let through by [`lone_colon`]), and the rest.
const CLASS: [u8; 256] = {
    let mut t = [OTHER; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = if b.is_ascii_alphanumeric() || b == b'_' || b == b'$' {
            WORD
        } else if b <= b' '
            || b == 0x7f
            || matches!(
                b,
                b'.' | b'@' | b'\\' | b'{' | b'}' | b'[' | b']' | b'`' | b'?'
            )
        {
            INERT
        } else if matches!(b, b'+' | b'-' | b'*' | b'/' | b'%') {
            ARITH
        } else {
            OTHER
        };
        c += 1;
    }
    t
};

/// The one word the grammar reads a construct from alone (`PRINT @@var`), a
/// SQL word here though the tokenizer leaves it unclassified.
const PRINT: &[u8] = b"print";

/// For each first letter and length of a word, the last letters of the words
/// [`is_lower_sql_word`] accepts: every word the tokenizer classifies, and
/// [`PRINT`].
const SQL_WORD_ENDS: [[u32; WORD_BUF + 1]; 26] = {
    let mut t = [[0u32; WORD_BUF + 1]; 26];
    let mut i = 0;
    while i <= CLASSIFIED.len() {
        let w: &[u8] = if i == CLASSIFIED.len() {
            PRINT
        } else {
            CLASSIFIED[i]
        };
        let (first, last) = (w[0], w[w.len() - 1]);
        assert!(first.is_ascii_lowercase() && last.is_ascii_lowercase() && w.len() <= WORD_BUF);
        t[(first - b'a') as usize][w.len()] |= 1 << (last - b'a');
        i += 1;
    }
    t
};

/// False when the run of word characters `run` is surely no SQL word (its
/// length, first and last letters are no SQL word's, in any ASCII case); true
/// when [`is_sql_word`] must tell.
fn may_be_sql_word(run: &[u8]) -> bool {
    let (Some(&first), Some(&last)) = (run.first(), run.last()) else {
        return false;
    };
    // Longer words are identifiers to the tokenizer (`is_sql_word`).
    if run.len() > WORD_BUF {
        return false;
    }
    // `| 0x20` lowercases an ASCII letter, and makes no letter of another word
    // character (digits, `_`, `$`): those are let through.
    let (first, last) = (first | 0x20, last | 0x20);
    if !first.is_ascii_lowercase() || !last.is_ascii_lowercase() {
        return true;
    }
    SQL_WORD_ENDS[usize::from(first - b'a')][run.len()] & 1 << (last - b'a') != 0
}

/// No word the tokenizer can take from this run of word characters classifies as
/// SQL (anything but an identifier or a TRUE/NULL-like literal).
///
/// A run starting with a letter is one word. A run starting with a digit is a number
/// with words glued to it (`1union`, `0xUNION`, `1or1`, `1.5e3from`): a word can
/// start at any letter and end at the end of the run or before the next digit.
// Out of line: numbers glued to words are rare, and inlined its loops' constants
// are reloaded after every word of the common path.
#[inline(never)]
fn run_has_no_sql_word(b: &[u8]) -> bool {
    if !b[0].is_ascii_digit() {
        return !is_sql_word(b);
    }
    (1..b.len())
        .filter(|&i| b[i].is_ascii_alphabetic())
        .all(|i| {
            let letters = b[i..]
                .iter()
                .take_while(|c| c.is_ascii_alphabetic())
                .count();
            !is_sql_word(&b[i..]) && !is_sql_word(&b[i..i + letters])
        })
}

/// Words longer than this are identifiers to the tokenizer's classification.
const WORD_BUF: usize = 32;

/// An ASCII word the tokenizer classifies as SQL (longer words are identifiers), or
/// `print`.
fn is_sql_word(word: &[u8]) -> bool {
    let mut buf = [0u8; WORD_BUF];
    let Some(lower) = buf.get_mut(..word.len()) else {
        return false;
    };
    for (d, s) in lower.iter_mut().zip(word) {
        *d = s.to_ascii_lowercase();
    }
    is_lower_sql_word(lower)
}

/// [`is_sql_word`] for a word already in lowercase.
fn is_lower_sql_word(lower: &[u8]) -> bool {
    !matches!(classify_bytes(lower), Kind::Bare | Kind::Num) || lower == PRINT
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::waf::sqli::{Context, fold, sqli_context, tokenize};

    #[test]
    fn names_addresses_and_prose_pass_the_screen() {
        for v in [
            "lorem ipsum dolor sit amet",
            "221B Baker St.",
            "NW1 6XE",
            "pat.obrien@example.com",
            "Running shoes",
            "maybe true maybe null",
            "gift note 2: leave at 10:30",
            "Note: see page 3",
            "+1 555 010 9999",
            "2024-01-02",
            "/api/v1/orders",
            "a well-known tool",
            "state-of-the-art",
            "50% off",
            "3*4/2",
        ] {
            assert!(only_names_and_literals(v), "{v}");
        }
    }

    #[test]
    fn sql_words_and_symbols_fail_the_screen() {
        for v in [
            "1union select",
            "true or null",
            "0xUNION",
            "1DUNION",
            "4or5 people",
            "1.5e3from",
            "a = b",
            "x' y",
            "a -- b",
            "1--",
            "a/*b",
            "a*/b",
            "1/**/",
            "a #b",
            "x = 2-1",
            "f(x)",
            "a;b",
            "a::b",
            "a:=b",
            "a:::b",
            "caf\u{e9}",
            "\u{a0}union",
            "PRINT @@version",
        ] {
            assert!(!only_names_and_literals(v), "{v}");
        }
    }

    #[test]
    fn no_sql_word_is_told_apart_by_its_ends_and_most_prose_is() {
        for w in CLASSIFIED.iter().copied().chain([PRINT]) {
            let upper = w.to_ascii_uppercase();
            let mut mixed = w.to_vec();
            mixed[0] = mixed[0].to_ascii_uppercase();
            for form in [w, &upper, &mixed] {
                assert!(may_be_sql_word(form), "{}", String::from_utf8_lossy(form));
            }
        }
        let prose = "Please leave the parcel at the door thanks lorem ipsum dolor sit amet \
            Running shoes Socks pack gift note Baker street London";
        let words: Vec<&str> = prose.split_whitespace().collect();
        let passed = words
            .iter()
            .filter(|w| !may_be_sql_word(w.as_bytes()))
            .count();
        assert!(passed * 4 >= words.len() * 3, "{passed} of {}", words.len());
        // Digits, `_` and `$` at an end are left to the lookup.
        for w in ["x1", "_or", "a$"] {
            assert!(may_be_sql_word(w.as_bytes()), "{w}");
        }
    }

    /// The screen as two passes, symbols first and then words: the definition the
    /// one-pass screen must agree with.
    fn two_pass_screen(input: &str) -> bool {
        let b = input.as_bytes();
        let symbols_pass = b
            .iter()
            .enumerate()
            .all(|(i, &c)| match CLASS[usize::from(c)] {
                OTHER => c == b':' && lone_colon(b, i),
                ARITH => !comment_mark(b, i),
                _ => true,
            });
        symbols_pass
            && b.split(|&c| CLASS[usize::from(c)] != WORD)
                .filter(|run| !run.is_empty())
                .all(|run| {
                    if run[0].is_ascii_digit() {
                        run_has_no_sql_word(run)
                    } else {
                        !is_sql_word(run)
                    }
                })
    }

    #[test]
    fn the_one_pass_screen_agrees_with_symbols_then_words() {
        const PIECES: &[&str] = &[
            "union",
            "Select",
            "OR",
            "abc",
            "1",
            "0x",
            "1e5",
            ".",
            "@",
            "\\",
            "{",
            "`",
            "?",
            "_",
            "$",
            " ",
            "\t",
            ":",
            "::",
            ":=",
            "'",
            "\"",
            "(",
            ",",
            ";",
            "-",
            "=",
            "/",
            "+",
            "*",
            "%",
            "caf\u{e9}",
            "\u{a0}",
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "print",
            "null",
            "9pm",
            "2:",
            "WHERE",
            "Waitfor",
            "information_schema",
            "xor",
            "NOTNULL",
            "iS",
        ];
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let (mut passed, mut failed) = (0, 0);
        for _ in 0..20_000 {
            let n = 1 + (next() % 8) as usize;
            let v: String = (0..n)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            let screened = only_names_and_literals(&v);
            assert_eq!(screened, two_pass_screen(&v), "{v:?}");
            if screened {
                passed += 1;
            } else {
                failed += 1;
            }
        }
        assert!(
            passed > 500 && failed > 500,
            "{passed} passed, {failed} failed"
        );
    }

    /// Values that pass the screen, built from the pieces the tokenizer treats
    /// specially (keywords glued to numbers, type letters, hex, `\N`, `@`, braces).
    fn screened_values() -> Vec<String> {
        const PIECES: &[&str] = &[
            "union",
            "select",
            "or",
            "and",
            "from",
            "xor",
            "like",
            "div",
            "true",
            "null",
            "current_user",
            "by",
            "order",
            "where",
            "1",
            "0",
            "9",
            "0x",
            "0b1",
            "e",
            "d",
            "x",
            "f",
            "1e5",
            ".",
            ".5",
            "@",
            "@@",
            "\\",
            "\\N",
            "{",
            "}",
            "[",
            "]",
            "`",
            "?",
            "_",
            "$",
            " ",
            "  ",
            "\t",
            "\n",
            "abc",
            "users",
            "version",
            "sleep",
            "is",
            "in",
            "case",
            "when",
            "then",
            "end",
            "group",
            "having",
            "grant",
            "connect",
            "goto",
            "print",
            "PRINT",
            "match",
            "against",
            "int",
            ":",
            "10:30",
            "a:",
            "+",
            "-",
            "*",
            "/",
            "%",
            " - ",
            "-1",
            "2024-01-02",
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut out = Vec::new();
        while out.len() < 3000 {
            let n = 1 + (next() % 9) as usize;
            let v: String = (0..n)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            if only_names_and_literals(&v) {
                out.push(v);
            }
        }
        out
    }

    #[test]
    fn values_that_pass_the_screen_tokenize_to_names_and_literals_only() {
        for v in screened_values() {
            let toks = tokenize(&v, Context::Bare).expect("bare context always tokenizes");
            let folded = fold(toks.as_slice());
            for t in toks.as_slice().iter().chain(folded.as_slice()) {
                assert!(
                    matches!(
                        t.kind,
                        Kind::Bare | Kind::Num | Kind::Var | Kind::Dot | Kind::Other
                    ) || (t.kind == Kind::Op && matches!(t.text, "+" | "-" | "*" | "/" | "%")),
                    "{v:?}: {t:?}"
                );
            }
        }
    }

    #[test]
    fn values_that_pass_the_screen_are_no_injection_in_any_context() {
        for v in screened_values() {
            for ctx in Context::ALL {
                let found = tokenize(&v, ctx).is_some_and(|toks| {
                    super::super::grammar::is_injection(fold(toks.as_slice()).as_slice(), ctx)
                });
                assert!(!found, "{v:?} in {ctx:?}");
            }
            assert_eq!(sqli_context(&v), None, "{v:?}");
        }
    }
}
