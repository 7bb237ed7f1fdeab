//! The value spliced into the query as a whole: read from its first token as one
//! condition (`expr [AND|OR expr]...`) that runs to the end, to a truncating comment
//! or to a statement end. `1 or 1=1`, `8-9 OR 1 = 1`, `aa'or column*0='0`,
//! `1') or ('1'='1` parse that way; prose does not, because two words side by side
//! end the condition before the value does.
//!
//! Also the suffix scanners leave on a value to close the application's own quote
//! or parentheses (`... AND 'aBcD'='aBcD`, `... AND ((1234=1234`): a tautology whose
//! last literal is left open for the query to close.
use super::{Operand, Parser, quiet_comment, several_words};
use crate::waf::sqli::tokenizer::{Kind, Token};

/// What one condition chain is made of.
#[derive(Debug, Default)]
struct Chain {
    /// AND / OR / XOR / `&&` / `||` joining expressions.
    logic: usize,
    /// Binary operators inside the expressions.
    ops: usize,
    /// The first expression compares something (`1=1 and ...` is arithmetic prose).
    first_cmp: bool,
    /// The first expression is a lone number, string or variable.
    first_literal: bool,
    /// The first expression is one bare word (`admin or 1--`).
    first_word: bool,
    /// The first expression compares values (`'a'='a`, `'' / 1 = '`): in a quoted
    /// context that comparison is the input's own.
    first_strict: bool,
    /// ... or compares anything with a value (`asd'|column!='`).
    first_value_cmp: bool,
    /// The chain stops at a comparison operator with nothing after it
    /// (`test' or 1=`): a probe for a syntax error.
    dangling: bool,
    /// An expression after a logic operator compares two values (`1=1`, `pi()=3`).
    strict: bool,
    /// An expression after a logic operator compares anything with a value, or is
    /// a bare literal (`or 1`, `or true`, `or 'a`).
    cond: bool,
    /// Its comparison involves a value on one side (`or name is null`).
    cond_cmp: bool,
    /// A known function, CASE or subquery anywhere.
    sql: bool,
    /// `)` closing the application's parentheses right after the first expression.
    closers: usize,
    /// Index after the chain.
    end: usize,
}

impl Parser<'_, '_> {
    fn chain(&self) -> Option<Chain> {
        let first = self.expr(0, 0)?;
        let mut c = Chain {
            ops: first.ops,
            first_cmp: self.comparisons(0, first.end) > 0,
            first_literal: first.ops == 0 && matches!(first.first, Operand::Literal(_)),
            first_word: first.ops == 0 && first.first == Operand::Bare && first.end == 1,
            first_strict: first.cmp_strict
                && self.comparisons(0, first.end) > 0
                && !self.quoted_word(1),
            first_value_cmp: first.cmp
                && self.comparisons(0, first.end) > 0
                && !self.quoted_word(1),
            sql: first.known_call || first.subquery,
            ..Chain::default()
        };
        let mut j = first.end;
        while self.kind(j) == Some(Kind::RParen) {
            j += 1;
            c.closers += 1;
        }
        while self.kind(j) == Some(Kind::Logic) {
            let Some(e) = self.expr(j + 1, 0) else { break };
            // `cmp` in the evidence is any operator with a value side; a condition
            // needs a comparison (`8-9` is arithmetic).
            let compares = self.comparisons(j + 1, e.end) > 0;
            c.logic += 1;
            c.ops += e.ops;
            c.strict |= compares && (e.cmp_strict || self.same_sides(j + 1, e.end));
            c.cond_cmp |= compares && e.cmp;
            c.cond |= (compares && e.cmp)
                || (e.ops == 0
                    && (matches!(e.first, Operand::Call { known: true } | Operand::Subquery)
                        || self.truthy(j + 1)));
            c.sql |= e.known_call || e.subquery;
            j = e.end;
        }
        if c.closers > 0 && c.logic == 0 {
            return None;
        }
        c.dangling = c.logic > 0
            && j + 1 == self.t.len()
            && self.comparisons(j, j + 1) == 1
            && self.t[j].kind == Kind::Op;
        if c.dangling {
            j += 1;
        }
        c.end = j;
        Some(c)
    }

    /// The operator at `i` is a word in quotes with no word glued to the quotes
    /// (`BROWNING "LIKE"`, `"IS" STAMP`, `the form "=" expr`, `operators ("in" and`,
    /// `&q="LIKE"+stamp`): the writer quotes a word, the quotes do not break out of a
    /// literal. (`admin'='admin` and `1'='1` glue the quotes to words.)
    fn quoted_word(&self, i: usize) -> bool {
        let (Some(before), Some(op), Some(after)) = (
            self.t.get(i.wrapping_sub(1)),
            self.t.get(i),
            self.t.get(i + 1),
        ) else {
            return false;
        };
        let at = |t: &str| t.as_ptr() as usize;
        before.kind == Kind::Str
            && after.kind == Kind::Str
            && matches!(op.kind, Kind::Op | Kind::WordOp)
            && at(op.text) == at(before.text) + before.text.len() + 1
            && at(after.text) == at(op.text) + op.text.len() + 1
            && before.text.chars().next_back().is_none_or(not_word)
            && after.text.chars().next().is_none_or(not_word)
    }

    /// `a=a`: a comparison of one name with itself, always true.
    fn same_sides(&self, from: usize, to: usize) -> bool {
        to == from + 3
            && self.t[from].kind == Kind::Bare
            && self.t[from + 1].text == "="
            && self.t[from + 2].kind == Kind::Bare
            && self.t[from]
                .text
                .eq_ignore_ascii_case(self.t[from + 2].text)
    }

    /// A literal that is true as a condition: a number other than 0, TRUE, a
    /// variable, or a string MySQL reads as such (`or '1`). `or 'b` is false and
    /// `a' or 'b` is a harmless query.
    /// `!` and NOT flip it: `or !'a'`, `or not 0` and `or !(false)` are true.
    fn truthy(&self, i: usize) -> bool {
        let mut i = i;
        let mut negated = false;
        while let Some(t) = self.t.get(i) {
            match t.kind {
                Kind::LParen => {}
                Kind::Op => negated ^= t.text == "!",
                Kind::Keyword if t.is("not") => negated = !negated,
                _ => break,
            }
            i += 1;
        }
        let Some(t) = self.t.get(i) else { return false };
        let truth = match t.kind {
            // NULL stays NULL under negation.
            Kind::Num if t.is("null") || t.is("unknown") => return false,
            Kind::Num => {
                t.is("true")
                    || !t.is("false") && t.text.bytes().any(|c| c.is_ascii_digit() && c != b'0')
            }
            Kind::Var => return true,
            Kind::Str => t
                .text
                .trim_start()
                .bytes()
                .next()
                .is_some_and(|c| c.is_ascii_digit() && c != b'0'),
            _ => return false,
        };
        truth != negated
    }

    /// The whole value, read as one condition, is an injection.
    pub(super) fn splice(&self, quoted: bool) -> bool {
        let Some(c) = self.chain() else { return false };
        if c.logic + c.ops == 0 {
            return false;
        }
        let n = self.t.len();
        // A condition may close parentheses or add LIMIT / ORDER BY before the cut.
        let tail = self.query_tail(c.end);
        let truncated = match self.kind(tail) {
            None => false,
            Some(Kind::Comment) if tail + 1 == n => true,
            Some(Kind::Semi) if matches!(self.kind(tail + 1), None | Some(Kind::Comment)) => true,
            _ => return false,
        };
        // ... and cut it off with a comment that says nothing: `1 or 1--`.
        let cut = truncated
            && self
                .t
                .last()
                .is_some_and(|t| t.kind == Kind::Comment && quiet_comment(t));
        if quoted {
            // The input closes the literal it was put in and ends in a literal of its
            // own that the application's quote closes, or cuts the query short.
            let balanced = !truncated && self.t[n - 1].kind == Kind::Str && self.t[n - 1].flag;
            if !(balanced || truncated || self.word_prefix) {
                return false;
            }
            // A bare literal after OR counts only after a one-word literal:
            // `1' or '1` is a probe, "he is 5' or 6' tall" is not.
            (c.logic > 0 && c.cond && (c.strict || c.cond_cmp || self.word_prefix))
                || c.strict
                || c.first_strict
                || (c.first_value_cmp && self.word_prefix && (balanced || truncated))
                || (c.dangling && self.word_prefix)
                || c.sql && (c.logic > 0 || truncated)
                || (truncated && c.ops > 0 && self.word_prefix)
                // Arithmetic spliced into the literal: `1' * id - '0`. Not with `+`
                // alone, which in a URL or form value is a space (`36"+X+48+"+FRAME`).
                || (balanced
                    && c.logic == 0
                    && c.ops >= 2
                    && self.word_prefix
                    && self.t[1..c.end]
                        .iter()
                        .any(|t| t.kind == Kind::Op && t.text != "+"))
        } else {
            // Numeric context: the value is an operand, then a condition that compares
            // values (`1 or 1=1`, `HOPE AND 8=3`) or uses SQL (`1 and sleep(5)`);
            // "2+2=4 and 3+3=6" compares before the logic and stays arithmetic.
            c.logic > 0
                && !c.first_cmp
                && !c.dangling
                && (c.strict
                    || (c.sql && c.cond)
                    || (c.first_literal
                        && (c.cond_cmp || self.is_word(c.end - 1, "true") || (cut && c.cond)))
                    // After one word too, when a true condition is cut off by a comment
                    // that says nothing: `admin or 1--`, `x and id>0-- -`.
                    || (c.first_word && cut && c.cond && c.closers == 0))
        }
    }

    /// A tautology suffix that leaves its last literal open: in a quoted context
    /// `... AND 'aBcD'='aBcD` or `... OR ('x' LIKE 'x`; in a numeric one, after the
    /// value closed the application's parentheses, `... AND ((1234=1234`.
    pub(super) fn balanced_tail(&self, quoted: bool) -> bool {
        let n = self.t.len();
        if n < 5 {
            return false;
        }
        let (a, op, b) = (&self.t[n - 3], &self.t[n - 2], &self.t[n - 1]);
        let cmp = (op.kind == Kind::Op && matches!(op.text, "=" | "<>" | "!=" | "<" | ">"))
            || (op.kind == Kind::WordOp && (op.is("like") || op.is("rlike")));
        if !cmp {
            return false;
        }
        let mut k = n - 3;
        let mut opens = 0;
        while k > 0 && self.t[k - 1].kind == Kind::LParen {
            k -= 1;
            opens += 1;
        }
        if k == 0 || self.t[k - 1].kind != Kind::Logic {
            return false;
        }
        let from = usize::from(self.t[0].kind != Kind::RParen);
        let closers = self.t[from..]
            .iter()
            .take_while(|t| t.kind == Kind::RParen)
            .count();
        if quoted {
            a.kind == Kind::Str && b.kind == Kind::Str && b.flag && !a.flag && opens == closers
        } else {
            a.kind == Kind::Num && b.kind == Kind::Num && opens > 0 && opens == closers
        }
    }

    /// Quoted context: a one-word literal closed with the caller's parentheses, an
    /// operator (after it maybe more literals and operators), and as many
    /// parentheses opened again around a literal the application's quote closes:
    /// `1')>('0`, `2")-("1`, `1')&'1'=('1`. Arithmetic and comparison probes that
    /// keep the query valid around them; prose does not close a quote and a
    /// parenthesis to open them again.
    pub(super) fn reopened_operand(&self) -> bool {
        let n = self.t.len();
        let closers = self.run_end(1, Kind::RParen) - 1;
        let Some(last) = self.t.last() else {
            return false;
        };
        if !self.word_prefix
            || closers == 0
            || n < 2 * closers + 3
            || !(last.kind == Kind::Str && last.flag && !several_words(last.text))
        {
            return false;
        }
        let reopen = n - 1 - closers;
        if self.t[reopen..n - 1].iter().any(|t| t.kind != Kind::LParen) {
            return false;
        }
        let operator = |t: &Token<'_>| {
            t.kind == Kind::Op || (t.kind == Kind::WordOp && (t.is("like") || t.is("div")))
        };
        let literal = |t: &Token<'_>| t.kind == Kind::Num || (t.kind == Kind::Str && !t.flag);
        // Between: an operator, then (literal, operator) pairs.
        let between = &self.t[1 + closers..reopen];
        between.len() % 2 == 1
            && operator(&between[0])
            && between[1..]
                .chunks(2)
                .all(|p| literal(&p[0]) && operator(&p[1]))
    }
}

/// A character that cannot be part of a word or number next to a quote.
fn not_word(c: char) -> bool {
    !(c.is_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use crate::waf::sqli::is_sqli;

    #[test]
    fn the_whole_value_read_as_one_condition_is_an_injection() {
        for a in [
            "1 or 1=1",
            "8-9 OR 1 = 1",
            "1') or ('1'='1",
            "HOPE AND 8=3",
            "1' * id - '0",
        ] {
            assert!(is_sqli(a), "missed: {a}");
        }
        for b in [
            "2+2=4 and 3+3=6",
            "he is 5' or 6' tall",
            "a' or 'b",
            "/SEARCH?Q=36\"+X+48+\"+FRAME&VIEW_TYPE=GALLERY",
        ] {
            assert!(!is_sqli(b), "false positive: {b}");
        }
    }

    #[test]
    fn a_negated_false_literal_after_or_is_true() {
        for a in [
            "1\"OR!\"a",
            "1\"OR!\"0",
            "1\"OR!(false) #1 !",
            "x' or not 0--",
        ] {
            assert!(is_sqli(a), "missed: {a}");
        }
        for b in ["1\"OR\"a", "x' or !'1", "it's 1' or !'1 she said"] {
            assert!(!is_sqli(b), "false positive: {b}");
        }
    }

    #[test]
    fn a_true_condition_cut_off_by_a_quiet_comment_is_an_injection() {
        for a in [
            "1 or 1--",
            "-1 oR 1;--",
            "9999 xor '1'--",
            "1 OR '1'-- x",
            "admin or 1--",
            "x and id>0-- -",
            "admin xor true --+",
        ] {
            assert!(is_sqli(a), "missed: {a}");
        }
        // No comment, a comment that says something, or a false literal.
        for b in [
            "1 or 2",
            "1 or 2;",
            "1 or 2 -- depends on the size",
            "tea or coffee --",
            "yes or no #",
            "x or 0--",
        ] {
            assert!(!is_sqli(b), "false positive: {b}");
        }
    }

    #[test]
    fn a_condition_may_close_parentheses_or_add_limit_before_the_cut() {
        for a in [
            "1 OR x=x)--",
            "-1 oR username like '%' limit 1--",
            "1')) oR x=x limit 1--",
            "1' or a=a order by 1 desc#",
        ] {
            assert!(is_sqli(a), "missed: {a}");
        }
        for b in ["(see 1 or 2) -- later", "pick 1 or 2 limit 1 per person"] {
            assert!(!is_sqli(b), "false positive: {b}");
        }
    }

    #[test]
    fn a_tautology_left_open_for_the_query_to_close_is_an_injection() {
        for a in ["1' AND 'aBcD'='aBcD", "1) AND ((1234=1234"] {
            assert!(is_sqli(a), "missed: {a}");
        }
        for b in ["x' and 'y", "(see 1) and (2=2)"] {
            assert!(!is_sqli(b), "false positive: {b}");
        }
    }
}
