//! The error probe that opens with a quote (`"! Y`, `' ? # = #`, `'1001'='10`,
//! `` `>6fbdec2 ``): a short value whose first character is a quote left open,
//! right before SQL punctuation, sent to see whether the query breaks. CRS reads
//! any value that starts or ends with a quote (942110, paranoia 2) and lets other
//! rules add to it; this reads the narrower shape alone. A quote before a word
//! (`"Hello`), a year (`'90s hits`) or a number then a word (`"5 stars!`), a pair
//! of quotes (`''`, a Markdown fence), and prose are not probes.

/// Longest value read as a probe.
const MAX_PROBE: usize = 40;

/// Characters SQL gives a meaning to; a probe carries at least one.
const SQL_PUNCTUATION: &[u8] = b"#;=()*!?|&<>^%~";

/// Whether `s` is a quote-opened error probe.
pub(in crate::waf::rules) fn quote_probe(s: &str) -> bool {
    let b = s.trim().as_bytes();
    let Some((&open, rest)) = b.split_first() else {
        return false;
    };
    if b.len() > MAX_PROBE || !is_quote(open) || rest.first().is_some_and(|&c| c == open) {
        return false;
    }
    // Right after the quote: punctuation, alone or after blanks only or digits only.
    let lead = rest
        .iter()
        .take_while(|c| c.is_ascii_whitespace() || c.is_ascii_digit())
        .count();
    let (head, tail) = rest.split_at(lead);
    let uniform = head.iter().all(u8::is_ascii_whitespace) || head.iter().all(u8::is_ascii_digit);
    if !uniform || !tail.first().is_some_and(u8::is_ascii_punctuation) {
        return false;
    }
    b.iter().filter(|&&c| is_quote(c)).count() % 2 == 1
        && b.iter().any(|c| SQL_PUNCTUATION.contains(c))
        && !prose(b)
}

fn is_quote(c: u8) -> bool {
    matches!(c, b'\'' | b'"' | b'`')
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
        ] {
            assert!(!quote_probe(benign), "{benign}");
        }
    }
}
