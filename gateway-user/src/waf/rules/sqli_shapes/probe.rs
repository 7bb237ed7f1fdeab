//! The error probe built on a quote left open (`"! Y`, `' ? # = #`, `'1001'='10`,
//! `` `>6fbdec2 ``, `x == '`): a short value whose first character is an open
//! quote right before SQL punctuation, or whose last character is one right
//! after it, sent to see whether the query breaks. CRS reads any value that
//! starts or ends with a quote (942110, paranoia 2) and lets other rules add to
//! it; this reads the narrower shape alone. A quote before a word (`"Hello`), a
//! year (`'90s hits`) or a number then a word (`"5 stars!`), a pair of quotes
//! (`''`, a Markdown fence), and prose are not probes.

use super::tautology::quote;

/// Longest value read as a probe.
const MAX_PROBE: usize = 40;

/// Characters SQL gives a meaning to; a probe carries at least one.
const SQL_PUNCTUATION: &[u8] = b"#;=()*!?|&<>^%~";

/// Whether `s` is an error probe built on a quote left open at either end.
pub(in crate::waf::rules) fn quote_probe(s: &str) -> bool {
    let b = s.trim().as_bytes();
    (2..=MAX_PROBE).contains(&b.len())
        && (opens(b) || closes(b))
        && b.iter().filter(|&&c| quote(c)).count() % 2 == 1
        && !prose(b)
        && !password(b)
}

/// A strong password, as a sign-up or login form sends it: ten characters or
/// more without a blank, with a capital, a small letter and a digit among the
/// symbols (`'_>5K~X.Sc7Tv{`). A probe is short or spaced, and not mixed so.
fn password(b: &[u8]) -> bool {
    b.len() >= 10
        && !b.iter().any(u8::is_ascii_whitespace)
        && b.iter().any(u8::is_ascii_uppercase)
        && b.iter().any(u8::is_ascii_lowercase)
        && b.iter().any(u8::is_ascii_digit)
}

/// The value opens with a quote, not doubled, right before punctuation (alone,
/// after blanks only or after digits only), and carries SQL punctuation.
fn opens(b: &[u8]) -> bool {
    let Some((&open, rest)) = b.split_first() else {
        return false;
    };
    if !quote(open) || rest.first() == Some(&open) {
        return false;
    }
    let lead = rest
        .iter()
        .take_while(|c| c.is_ascii_whitespace() || c.is_ascii_digit())
        .count();
    let (head, tail) = rest.split_at(lead);
    let uniform = head.iter().all(u8::is_ascii_whitespace) || head.iter().all(u8::is_ascii_digit);
    uniform
        && tail.first().is_some_and(u8::is_ascii_punctuation)
        && b.iter().any(|c| SQL_PUNCTUATION.contains(c))
}

/// The value ends with a quote, not doubled, right after SQL punctuation
/// (blanks between allowed): `x == '`, `id="`.
fn closes(b: &[u8]) -> bool {
    let Some((&close, rest)) = b.split_last() else {
        return false;
    };
    if !quote(close) || rest.last() == Some(&close) {
        return false;
    }
    rest.iter()
        .rev()
        .find(|c| !c.is_ascii_whitespace())
        .is_some_and(|c| SQL_PUNCTUATION.contains(c))
}

/// Two words of three letters or more in a row, separated by blanks.
fn prose(b: &[u8]) -> bool {
    let mut words = 0;
    let mut letters = 0;
    for &c in b {
        if c.is_ascii_alphabetic() {
            letters += 1;
            continue;
        }
        if letters > 0 {
            words = if letters >= 3 { words + 1 } else { 0 };
            letters = 0;
        }
        if words >= 2 {
            return true;
        }
        if !c.is_ascii_whitespace() {
            words = 0;
        }
    }
    words + usize::from(letters >= 3) >= 2
}

#[cfg(test)]
mod tests {
    use super::quote_probe;

    #[test]
    fn a_quote_left_open_before_sql_punctuation_is_a_probe() {
        for probe in [
            "\"! Y",
            "' ? # = #",
            "'1001'='10",
            "\"2562*23",
            "`>6fbdec2",
            "\";}7b6",
            "`!1",
            "'<b>",
            "x == '",
            "pay=div id=\"",
            "^'",
        ] {
            assert!(quote_probe(probe), "{probe}");
        }
    }

    #[test]
    fn quoted_words_numbers_pairs_and_prose_are_not() {
        for benign in [
            "\"Hello!",
            "'90s hits (remastered)",
            "\"5 stars!",
            "''",
            "```js\\nconst form = new FormData();",
            "\"(see below)",
            "'QUOT;': '\"',",
            "\"don't execute them\")",
            "\"a\" = \"b\"",
            "'-1",
            "' is not?--",
            "the answer is (\"",
            "a = \"\"",
            // Strong passwords (random, from a generator).
            "'_>5K~X.Sc7Tv{",
            "`)|tNHP(Bt.DYeP7",
            "H,J3^5577-Oo/}woF><`",
        ] {
            assert!(!quote_probe(benign), "{benign}");
        }
    }
}
