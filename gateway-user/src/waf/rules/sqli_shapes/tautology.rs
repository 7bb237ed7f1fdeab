//! The SQL tautology `x = x` (`' or 'a'='a`, `x'='x`, `" or "abc" like "abc`): the
//! same operand on both sides of `=`, `<=>` or `LIKE`, which a regex without backreferences
//! cannot say. Both operands are read around each operator: a word, number or quoted
//! word each, the left one after a logic word or at the start of the value, the
//! right one followed by the end, a comment, a chained `=` or another logic word.
//! Arithmetic (`i = i + 1`) and code (`a == a`) fail those bounds.

/// Longest operand read (a SQL literal in a probe is short).
const MAX_OPERAND: usize = 32;

/// Whether `s` compares an operand with itself where SQL would read a condition.
/// Rule 942130 calls it only for values with an `=` or a quote (its prefilter).
pub(in crate::waf::rules) fn tautology(s: &str) -> bool {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(off) = memchr::memchr(b'=', &b[from..]) {
        let i = from + off;
        from = i + 1;
        let before = i.checked_sub(1).map(|j| b[j]);
        let after = b.get(i + 1).copied();
        // MySQL's NULL-safe equality `<=>` compares as `=` does.
        if before == Some(b'<') && after == Some(b'>') {
            if same_operands(b, i - 1, i + 2, false) {
                return true;
            }
            continue;
        }
        if before.is_some_and(|c| b"=!<>:".contains(&c))
            || after.is_some_and(|c| b"=>~".contains(&c))
        {
            continue;
        }
        if same_operands(b, i, i + 1, false) {
            return true;
        }
    }
    // `LIKE` between two quoted operands (an unquoted `x like x` is English).
    memchr::memchr2_iter(b'l', b'L', b).any(|i| {
        b.get(i..i + 4)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"like"))
            && (i == 0 || !word(b[i - 1]))
            && b.get(i + 4).is_none_or(|&c| !word(c))
            && same_operands(b, i, i + 4, true)
    })
}

fn word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// A SQL quote: single, double or backtick (shared with `probe`).
pub(super) fn quote(c: u8) -> bool {
    matches!(c, b'\'' | b'"' | b'`')
}

/// The operands around the operator at `b[op..end]` are the same word, bounded as
/// a condition is; `quoted` asks for a quote on each side.
fn same_operands(b: &[u8], op: usize, end: usize, quoted: bool) -> bool {
    let Some((l, l_quoted, start)) = left_operand(b, op) else {
        return false;
    };
    let Some((r, r_quoted, rest)) = right_operand(b, end) else {
        return false;
    };
    if !l.eq_ignore_ascii_case(r) || (quoted && !(l_quoted && r_quoted)) {
        return false;
    }
    // A comma before two quoted operands ends an earlier literal
    // (`'admin', '1'='1'`): an argument list of SQL, not of code (`f('a', b='b')`).
    let logic_before = start == 0
        || ends_with_logic(&b[..start])
        || (l_quoted && r_quoted && b[..start].trim_ascii_end().ends_with(b","));
    let comment_after = starts_with_comment(rest);
    // Two bare words (`a=a`) read as a condition only after a logic word, with a
    // comment behind, or as the whole value's start when a quote breaks it out;
    // a number compared with itself (`1=1`) also as the whole value.
    let whole_number =
        start == 0 && rest.iter().all(u8::is_ascii_whitespace) && l.iter().all(u8::is_ascii_digit);
    comment_after || whole_number || (logic_before && (l_quoted || r_quoted || start > 0))
}

/// The word before `b[..op]` (spaces, one quote around it, then spaces and
/// parens skipped), whether a quote touches it, and where its context starts.
fn left_operand(b: &[u8], op: usize) -> Option<(&[u8], bool, usize)> {
    let mut j = op;
    while j > 0 && b[j - 1] == b' ' {
        j -= 1;
    }
    let mut q = false;
    if j > 0 && quote(b[j - 1]) {
        q = true;
        j -= 1;
    }
    let end = j;
    while j > 0 && word(b[j - 1]) {
        j -= 1;
        if end - j > MAX_OPERAND {
            return None;
        }
    }
    if j == end {
        return None;
    }
    let tok = &b[j..end];
    if j > 0 && quote(b[j - 1]) {
        q = true;
        j -= 1;
    }
    while j > 0 && matches!(b[j - 1], b' ' | b'(') {
        j -= 1;
    }
    Some((tok, q, j))
}

/// The word after `b[end..]` (spaces, parens and one quote around it skipped),
/// whether a quote touches it, and what follows it.
fn right_operand(b: &[u8], end: usize) -> Option<(&[u8], bool, &[u8])> {
    let mut j = end;
    while j < b.len() && matches!(b[j], b' ' | b'(') {
        j += 1;
    }
    let mut q = false;
    if j < b.len() && quote(b[j]) {
        q = true;
        j += 1;
    }
    let start = j;
    while j < b.len() && word(b[j]) {
        j += 1;
        if j - start > MAX_OPERAND {
            return None;
        }
    }
    if j == start {
        return None;
    }
    let tok = &b[start..j];
    if j < b.len() && quote(b[j]) {
        q = true;
        j += 1;
    }
    while j < b.len() && matches!(b[j], b' ' | b')') {
        j += 1;
    }
    let rest = &b[j..];
    let bounded = rest.is_empty()
        || starts_with_comment(rest)
        || rest.starts_with(b"=")
        || rest.starts_with(b";")
        || starts_with_logic(rest);
    bounded.then_some((tok, q, rest))
}

const LOGIC: &[&[u8]] = &[b"or", b"and", b"xor", b"not", b"where", b"having", b"when"];
const AFTER: &[&[u8]] = &[
    b"or", b"and", b"xor", b"limit", b"order", b"group", b"union",
];

/// `b` ends with a logic word (or `||`, `&&`) that starts a condition.
fn ends_with_logic(b: &[u8]) -> bool {
    let b = b.trim_ascii_end();
    if b.ends_with(b"||") || b.ends_with(b"&&") {
        return true;
    }
    let n = b.iter().rev().take_while(|&&c| word(c)).count();
    let w = &b[b.len() - n..];
    LOGIC.iter().any(|k| w.eq_ignore_ascii_case(k))
}

/// `b` starts with a logic or clause word (or `||`, `&&`) that goes on after a condition.
fn starts_with_logic(b: &[u8]) -> bool {
    if b.starts_with(b"||") || b.starts_with(b"&&") {
        return true;
    }
    let n = b.iter().take_while(|&&c| word(c)).count();
    AFTER.iter().any(|k| b[..n].eq_ignore_ascii_case(k))
}

/// `b` starts with a SQL comment.
fn starts_with_comment(b: &[u8]) -> bool {
    b.starts_with(b"--") || b.starts_with(b"#") || b.starts_with(b"/*")
}

#[cfg(test)]
mod tests {
    use super::tautology;

    #[test]
    fn a_quoted_operand_compared_with_itself_after_a_quote_break_is_a_tautology() {
        assert!(tautology("1' or 'a'='a"));
        assert!(tautology("'a'='a"));
        assert!(tautology("x'='x"));
        assert!(tautology("\" or \"x\"=\"x"));
        assert!(tautology("') or ('a'='a"));
        assert!(tautology("a' or b=b--"));
        assert!(tautology("' or 'abc' like 'abc"));
        assert!(tautology("'1'='1'='1"));
        assert!(tautology("1 or 1=1"));
        assert!(tautology("admin' AND 'X' = 'x' #"));
        assert!(tautology("'admin', '1'='1'"));
        assert!(tautology("x' or 'a'<=>'a"));
        assert!(tautology("42<=>42"));
    }

    #[test]
    fn a_comma_or_a_spaceship_operator_alone_make_no_tautology() {
        assert!(!tautology("f('a', b='b')"));
        assert!(!tautology("('a', 'b'='c')"));
        assert!(!tautology("$a <=> $a;"));
        assert!(!tautology("a <=> b"));
    }

    #[test]
    fn a_number_compared_with_itself_as_the_whole_value_is_a_tautology() {
        assert!(tautology("1=1"));
        assert!(tautology(" 2 = 2 "));
        assert!(!tautology("1=1 is always true"));
        assert!(!tautology("1=2"));
        assert!(!tautology("x=1=1"));
    }

    #[test]
    fn arithmetic_code_and_prose_with_an_equals_sign_are_not() {
        assert!(!tautology("i = i + 1"));
        assert!(!tautology("a == a"));
        assert!(!tautology("x=x"));
        assert!(!tautology("?q=q&page=2"));
        assert!(!tautology("a = b"));
        assert!(!tautology("I like the like button"));
        assert!(!tautology("O'Brien = O'Brien"));
        assert!(!tautology("`a` = `a` in markdown means equal"));
        assert!(!tautology("name='name' of the field"));
    }
}
