//! Decides whether a token stream is a SQL injection.
//!
//! Instead of a list of fingerprints, the stream is folded (comments used as spaces,
//! `GROUP BY`, `UNION ALL`, unary signs, `a.b` names) and then checked against the
//! grammar of an injection: the input breaks out of its context (closes a string or
//! ends a number), and what follows parses as a SQL continuation that carries real
//! SQL evidence — a comparison, a known function, a subquery, a UNION SELECT, a
//! stacked statement, a truncating comment. Prose rarely parses that way: it puts
//! two words side by side, which SQL almost never does.
use super::tokenizer::{Context, FIRST_TOKENS, Kind, MAX_TOKENS, Token};

mod clauses;
mod probes;
mod splice;

/// Folded tokens.
pub struct Folded<'a> {
    // Allocated, as `Tokens` is: cheaper than setting up 64 slots on the stack.
    buf: Vec<Token<'a>>,
}

impl<'a> Folded<'a> {
    /// An empty buffer, to be filled by [`fold_into`].
    pub fn new() -> Folded<'a> {
        Folded {
            buf: Vec::with_capacity(FIRST_TOKENS),
        }
    }

    /// A buffer in the room of `buf`, emptied.
    pub fn recycled(buf: Vec<Token<'_>>) -> Folded<'a> {
        Folded {
            buf: super::tokenizer::recycle(buf),
        }
    }

    /// The room, to be `recycled` for another value.
    pub fn into_vec(self) -> Vec<Token<'a>> {
        self.buf
    }

    /// The folded tokens.
    pub fn as_slice(&self) -> &[Token<'a>] {
        &self.buf
    }
}

impl Default for Folded<'_> {
    fn default() -> Self {
        Folded::new()
    }
}

/// Folds a token stream the way libinjection does before matching.
pub fn fold<'a>(toks: &[Token<'a>]) -> Folded<'a> {
    let mut out = Folded::new();
    fold_into(toks, &mut out);
    out
}

/// [`fold`] into a buffer the caller owns and reuses (its previous tokens are dropped).
pub fn fold_into<'a>(toks: &[Token<'a>], out: &mut Folded<'a>) {
    out.buf.clear();
    let mut merge_next = false;
    for (i, &t) in toks.iter().enumerate() {
        let last = out.buf.last().copied();
        let next = toks.get(i + 1);
        match t.kind {
            // A comment in the middle is whitespace; a trailing one truncates the query.
            Kind::Comment if i + 1 < toks.len() => continue,
            Kind::Dot
                if (matches!(
                    last.map(|l| l.kind),
                    Some(Kind::Bare | Kind::Var | Kind::Keyword) | None
                ) || merge_next) =>
            {
                merge_next = !out.buf.is_empty();
                continue;
            }
            Kind::Bare | Kind::Keyword | Kind::Func if merge_next => {
                merge_next = false;
                let kind = if t.kind == Kind::Func {
                    Kind::Func
                } else {
                    Kind::Bare
                };
                if let Some(l) = out.buf.last_mut() {
                    *l = Token {
                        kind,
                        text: t.text,
                        flag: t.flag,
                    };
                }
                continue;
            }
            Kind::Keyword if t.is("by") => {
                if let Some(l) = last
                    && l.kind == Kind::Keyword
                    && (l.is("group") || l.is("order"))
                {
                    if let Some(slot) = out.buf.last_mut() {
                        *slot = Token {
                            kind: Kind::Group,
                            text: l.text,
                            flag: false,
                        };
                    }
                    continue;
                }
            }
            // `UNION ALL(SELECT ...)` lexes `ALL` as a call; MySQL's `DISTINCTROW`
            // is `DISTINCT`.
            Kind::Keyword | Kind::Func | Kind::Bare
                if (t.is("all") || t.is("distinct") || t.is("distinctrow"))
                    && last.is_some_and(|l| l.kind == Kind::Union) =>
            {
                continue;
            }
            // MySQL joins string literals side by side: `'0' '1'` is `'01'`. Only
            // closed ones: an open literal is left for the application's quote.
            Kind::Str if !t.flag && last.is_some_and(|l| l.kind == Kind::Str && !l.flag) => {
                continue;
            }
            Kind::Keyword if t.is("not") => {
                if last.is_some_and(|l| l.kind == Kind::WordOp && l.is("is")) {
                    continue;
                }
                if next.is_some_and(|n| n.kind == Kind::WordOp) {
                    continue;
                }
            }
            Kind::WordOp
                if t.is("like")
                    && last.is_some_and(|l| l.kind == Kind::WordOp && l.is("sounds")) =>
            {
                continue;
            }
            Kind::Op if matches!(t.text, "-" | "+" | "!" | "~") => {
                let operand_follows = next.is_some_and(|n| {
                    matches!(
                        n.kind,
                        Kind::Num | Kind::Var | Kind::Func | Kind::LParen | Kind::Bare | Kind::Str
                    )
                });
                let unary_position = match last {
                    None => true,
                    Some(l) if names_a_thing(&l) => false,
                    Some(l) => matches!(
                        l.kind,
                        Kind::Op
                            | Kind::Logic
                            | Kind::LParen
                            | Kind::Comma
                            | Kind::WordOp
                            | Kind::Keyword
                            | Kind::Stmt
                            | Kind::Group
                            | Kind::Semi
                    ),
                };
                // A negated literal after AND/OR stays: `or !'a'` is true where `or 'a'`
                // is false, and `splice::truthy` reads the difference.
                let negated_literal = t.text == "!"
                    && last.is_some_and(|l| l.kind == Kind::Logic)
                    && next.is_some_and(|n| matches!(n.kind, Kind::Num | Kind::Str | Kind::LParen));
                if operand_follows && unary_position && !negated_literal {
                    continue;
                }
            }
            _ => {}
        }
        merge_next = false;
        if out.buf.len() == MAX_TOKENS {
            break;
        }
        out.buf.push(t);
    }
}

/// What an operand turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operand {
    /// A number, string or variable (the kind tells which).
    Literal(Kind),
    /// An identifier.
    Bare,
    /// `f(...)`; `known` when f is a well-known SQL function.
    Call { known: bool },
    /// `(SELECT ...)`.
    Subquery,
    /// `( expr )`.
    Paren { cmp: bool },
}

impl Operand {
    fn is_value(self) -> bool {
        !matches!(self, Operand::Bare)
    }
}

/// Evidence gathered from one expression.
#[derive(Debug, Clone, Copy)]
struct Evidence {
    first: Operand,
    /// Binary operators seen.
    ops: usize,
    /// A comparison with at least one non-identifier side.
    cmp: bool,
    /// A comparison with two non-identifier sides (`1=1`, `'a'='a'`).
    cmp_strict: bool,
    known_call: bool,
    subquery: bool,
    /// Index after the expression.
    end: usize,
}

/// A keyword that can also be the name of a column or table (`or column=1`).
fn names_a_thing(t: &Token<'_>) -> bool {
    t.kind == Kind::Keyword
        && [
            "table",
            "tables",
            "database",
            "databases",
            "schema",
            "column",
            "view",
            "index",
            "function",
            "trigger",
            "offset",
            "rows",
        ]
        .iter()
        .any(|w| t.is(w))
}

/// Words prose puts before a noun: `select a product from the list` is English.
const ARTICLES: &[&str] = &[
    "a", "an", "the", "my", "your", "our", "this", "that", "one", "some", "any", "all", "each",
    "every",
];

/// SQL functions that are called without parentheses: `and current_user=@v`.
const NILADIC: &[&str] = &[
    "current_user",
    "session_user",
    "system_user",
    "current_database",
    "current_date",
    "current_time",
    "current_timestamp",
    "localtime",
    "localtimestamp",
    "utc_date",
    "utc_time",
    "utc_timestamp",
    "sysdate",
];

/// How the value before the break looks, in the bare context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prefix {
    /// Nothing: the input starts with the continuation.
    Empty,
    /// A number, string or variable (or the closed string of a quoted context).
    Literal,
    /// One identifier.
    Bare,
}

struct Parser<'s, 'a> {
    t: &'s [Token<'a>],
    /// Quoted context: the literal the input closes is one short word (`admin'`,
    /// `1'`), not a phrase. Weak continuations (a lone comment, an open string)
    /// only count after such a word: `BAMBOO SOAP 1 '#` is a shopper, not an attack.
    word_prefix: bool,
}

/// A comment that only truncates the query: no words in it (`--`, `-- -`, `#`, `/*`).
fn quiet_comment(t: &Token<'_>) -> bool {
    let body = t.text.trim_start_matches(['-', '#', '/', '*']);
    !body
        .as_bytes()
        .windows(2)
        .any(|w| w[0].is_ascii_alphabetic() && w[1].is_ascii_alphabetic())
}

/// Text with at least two words in it (`line unique`), not one value (`x`, ` 1 `).
fn several_words(text: &str) -> bool {
    text.split_whitespace()
        .filter(|w| w.bytes().any(|c| c.is_ascii_alphanumeric()))
        .nth(1)
        .is_some()
}

/// A comment mark that is itself quoted: `'#'`, `'--'` in prose and code
/// (`either '%' or '#'`, `is_meta('#')`), read from inside a quote as a comment
/// whose body opens with the closing quote.
fn quoted_mark(t: &Token<'_>) -> bool {
    let body = t.text.trim_start_matches(['-', '#']);
    body.len() < t.text.len() && body.starts_with(['\'', '"', '`'])
}

impl<'s, 'a> Parser<'s, 'a> {
    fn kind(&self, i: usize) -> Option<Kind> {
        self.t.get(i).map(|t| t.kind)
    }

    /// The index after the run of `kind` tokens that starts at `from`.
    fn run_end(&self, from: usize, kind: Kind) -> usize {
        from + self
            .t
            .get(from..)
            .map_or(0, |t| t.iter().take_while(|t| t.kind == kind).count())
    }

    fn is_word(&self, i: usize, w: &str) -> bool {
        self.t.get(i).is_some_and(|t| t.is(w))
    }

    /// The body of a PostgreSQL `DO` block from `i`: `BEGIN` or `DECLARE`, then,
    /// before its `END`, a valid statement or a call of a function only SQL has.
    fn do_block(&self, i: usize) -> bool {
        if !(self.is_word(i, "begin") || self.is_word(i, "declare")) {
            return false;
        }
        (i + 1..self.t.len())
            .take_while(|&j| !self.is_word(j, "end"))
            .any(|j| {
                let t = &self.t[j];
                (t.kind == Kind::Stmt && self.stmt_valid(j))
                    || (t.kind == Kind::Func && t.flag && self.kind(j + 1) == Some(Kind::LParen))
            })
    }

    /// MSSQL's `WAITFOR DELAY` at `i`: a statement of its own, which MSSQL
    /// starts after `;` or after the end of another without one.
    fn waitfor_delay(&self, i: usize) -> bool {
        self.is_word(i, "waitfor") && self.is_word(i + 1, "delay")
    }

    /// Comparison operators among tokens `from..to` (`=`, `<>`, LIKE, IS, IN, ...):
    /// arithmetic (`9-9`) is not a condition.
    fn comparisons(&self, from: usize, to: usize) -> usize {
        self.t[from.min(self.t.len())..to.min(self.t.len())]
            .iter()
            .filter(|t| {
                (t.kind == Kind::Op
                    && matches!(
                        t.text,
                        "=" | "!="
                            | "<>"
                            | "<"
                            | ">"
                            | "<="
                            | ">="
                            | "<=>"
                            | "@>"
                            | "<@"
                            | "?|"
                            | "?&"
                    ))
                    || (t.kind == Kind::WordOp
                        && [
                            "like", "rlike", "regexp", "is", "in", "between", "sounds", "glob",
                            "notnull", "isnull",
                        ]
                        .iter()
                        .any(|w| t.is(w)))
            })
            .count()
    }

    /// A `SELECT` among tokens `from..to` (the arguments of a call).
    fn has_select(&self, from: usize, to: usize) -> bool {
        self.t[from.min(self.t.len())..to.min(self.t.len())]
            .iter()
            .any(|t| t.kind == Kind::Stmt && t.is("select"))
    }

    /// Index after the parenthesis group opened at `i` (or the end when unbalanced).
    fn skip_parens(&self, i: usize) -> usize {
        let mut depth = 0usize;
        let mut j = i;
        while j < self.t.len() {
            match self.t[j].kind {
                Kind::LParen => depth += 1,
                Kind::RParen => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return j + 1;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        j
    }

    /// The operand at `i`, with a Postgres cast after it (`'1'::int`).
    fn operand(&self, i: usize, depth: usize) -> Option<(Operand, usize)> {
        self.operand_uncast(i, depth)
            .map(|(o, end)| self.cast(o, end))
    }

    fn operand_uncast(&self, mut i: usize, depth: usize) -> Option<(Operand, usize)> {
        while let Some(t) = self.t.get(i) {
            let unary = (t.kind == Kind::Op && matches!(t.text, "-" | "+" | "!" | "~"))
                || (t.kind == Kind::Keyword && (t.is("not") || t.is("binary")));
            if !unary {
                break;
            }
            i += 1;
        }
        let t = self.t.get(i)?;
        if t.kind == Kind::Keyword && t.is("exists") && self.kind(i + 1) == Some(Kind::LParen) {
            return self.operand(i + 1, depth);
        }
        if t.kind == Kind::Keyword && t.is("case") {
            return self
                .case_end(i)
                .map(|end| (Operand::Call { known: true }, end));
        }
        // `MATCH(title)` glued to its parenthesis lexes as a call.
        if matches!(t.kind, Kind::WordOp | Kind::Func) && t.is("match") {
            return self
                .match_against(i)
                .map(|end| (Operand::Call { known: true }, end));
        }
        // Where an operand goes, an operator word before a parenthesized list
        // is SQLite's function of that name: `7157=LIKE('ABC',UPPER(..))`.
        // "= like (this)" has no list.
        if t.kind == Kind::WordOp
            && ["like", "glob", "regexp"].iter().any(|w| t.is(w))
            && self.kind(i + 1) == Some(Kind::LParen)
        {
            let end = self.skip_parens(i + 1);
            if self.t[i + 2..end].iter().any(|t| t.kind == Kind::Comma) {
                return Some((Operand::Call { known: true }, end));
            }
        }
        match t.kind {
            Kind::Num | Kind::Str | Kind::Var => Some((Operand::Literal(t.kind), i + 1)),
            Kind::Func => {
                let end = if self.kind(i + 1) == Some(Kind::LParen) {
                    self.skip_parens(i + 1)
                } else {
                    i + 1
                };
                // Any function wrapping a subquery is SQL: `RAISE_ERROR('1',(SELECT ..))`.
                let known = t.flag || self.has_select(i + 1, end);
                Some((Operand::Call { known }, end))
            }
            Kind::Bare if self.kind(i + 1) == Some(Kind::LParen) => {
                Some((Operand::Call { known: false }, self.skip_parens(i + 1)))
            }
            // Niladic SQL functions read without parentheses: `and current_user=@v`.
            Kind::Bare if NILADIC.iter().any(|w| t.is(w)) => {
                Some((Operand::Call { known: true }, i + 1))
            }
            // PostgreSQL's array constructor of literals is a value: `ARRAY['a',1]`.
            Kind::Bare if t.is("array") && self.t.get(i + 1).is_some_and(|n| n.text == "[") => {
                let items = self.t[i + 2..]
                    .iter()
                    .take_while(|n| matches!(n.kind, Kind::Num | Kind::Str | Kind::Comma))
                    .count();
                let close = i + 2 + items;
                Some(
                    if items > 0 && self.t.get(close).is_some_and(|n| n.text == "]") {
                        (Operand::Literal(Kind::Str), close + 1)
                    } else {
                        (Operand::Bare, i + 1)
                    },
                )
            }
            Kind::Bare => Some((Operand::Bare, i + 1)),
            // A keyword that names things is a column here: `or column*0='0`.
            Kind::Keyword if names_a_thing(t) => Some((Operand::Bare, i + 1)),
            Kind::LParen => {
                if self.kind(i + 1) == Some(Kind::Stmt) && self.is_word(i + 1, "select") {
                    return Some((Operand::Subquery, self.skip_parens(i)));
                }
                if depth > 4 {
                    return None;
                }
                let ev = self.expr(i + 1, depth + 1)?;
                let mut end = ev.end;
                match self.kind(end) {
                    Some(Kind::RParen) => end += 1,
                    // A list, as after IN: `(1, 2, 3)`.
                    Some(Kind::Comma) => end = self.skip_parens(i),
                    _ => {}
                }
                if ev.subquery {
                    return Some((Operand::Subquery, end));
                }
                if ev.known_call && ev.ops == 0 {
                    return Some((Operand::Call { known: true }, end));
                }
                Some((Operand::Paren { cmp: ev.cmp }, end))
            }
            _ => None,
        }
    }

    fn expr(&self, i: usize, depth: usize) -> Option<Evidence> {
        let (first, mut j) = self.operand(i, depth)?;
        let mut ev = Evidence {
            first,
            ops: 0,
            cmp: matches!(first, Operand::Paren { cmp: true }),
            cmp_strict: matches!(first, Operand::Paren { cmp: true }),
            known_call: matches!(first, Operand::Call { known: true }),
            subquery: first == Operand::Subquery,
            end: j,
        };
        let mut prev = first;
        while let Some(t) = self.t.get(j) {
            if !matches!(t.kind, Kind::Op | Kind::WordOp) {
                break;
            }
            // Postfix tests: `email notnull`, `x isnull`.
            if t.kind == Kind::WordOp && (t.is("notnull") || t.is("isnull")) {
                ev.ops += 1;
                ev.cmp |= prev.is_value();
                j += 1;
                continue;
            }
            let Some((next, k)) = self.operand(j + 1, depth) else {
                break;
            };
            ev.ops += 1;
            ev.cmp |= prev.is_value() || next.is_value();
            ev.cmp_strict |= prev.is_value() && next.is_value();
            ev.known_call |= matches!(next, Operand::Call { known: true });
            ev.subquery |= next == Operand::Subquery;
            prev = next;
            j = k;
            // `x BETWEEN 1 AND 2`
            if t.is("between")
                && self.kind(j) == Some(Kind::Logic)
                && let Some((_, k2)) = self.operand(j + 1, depth)
            {
                j = k2;
            }
        }
        ev.end = j;
        Some(ev)
    }

    /// Index after the `END` of a `CASE` at `i` (or the end of a value cut short),
    /// when the CASE has a `WHEN`: "just in case" is not an expression.
    fn case_end(&self, i: usize) -> Option<usize> {
        let mut depth = 0usize;
        let mut when = false;
        for j in i..self.t.len() {
            let t = &self.t[j];
            if t.kind != Kind::Keyword {
                continue;
            }
            if t.is("case") {
                depth += 1;
            } else if t.is("when") {
                when = true;
            } else if t.is("end") {
                depth -= 1;
                if depth == 0 {
                    return when.then_some(j + 1);
                }
            }
        }
        when.then_some(self.t.len())
    }

    /// `UNION [ALL] [(] SELECT` at `i`.
    fn union_select(&self, i: usize) -> bool {
        let j = self.run_end(i + 1, Kind::LParen);
        if !self.is_word(i, "union") {
            // EXCEPT / INTERSECT are English too: only with a list prose does not
            // write (`except select 1,2`, `except values(1,2)`).
            return (self.is_word(j, "select")
                && matches!(
                    self.kind(j + 1),
                    Some(Kind::Num | Kind::Str | Kind::Var | Kind::Func | Kind::LParen)
                )
                && matches!(
                    self.kind(j + 2),
                    None | Some(Kind::Comma | Kind::Comment | Kind::Keyword)
                ))
                || self.values_row(j);
        }
        (self.is_word(j, "select")
            && (j + 1 == self.t.len() || self.stmt_valid(j) || self.signed_select_list(j + 1)))
            || self.values_row(j)
    }

    /// After `UNION SELECT`, from `k`: a sign, then a number, call, variable or
    /// parenthesis, or the end of the value (`union select -1,2`, `/*!UNION*/
    /// /*!SELECT*/+`, whose `+` a query string would have read as a space). A name
    /// after the sign is prose's (`union select + more`).
    fn signed_select_list(&self, k: usize) -> bool {
        self.t
            .get(k)
            .is_some_and(|t| t.kind == Kind::Op && matches!(t.text, "+" | "-" | "~" | "!"))
            && matches!(
                self.kind(k + 1),
                None | Some(Kind::Num | Kind::Func | Kind::Var | Kind::LParen)
            )
    }

    /// `SELECT col FROM table` at `j`, then the end of the subquery or its WHERE:
    /// one column of one table, no article (`select password from users)`);
    /// "select a product from the list" is English.
    fn column_of_table(&self, j: usize) -> bool {
        let name = |k: usize| {
            self.t
                .get(k)
                .is_some_and(|t| t.kind == Kind::Bare && !ARTICLES.iter().any(|w| t.is(w)))
        };
        self.is_word(j, "select")
            && name(j + 1)
            && self.is_word(j + 2, "from")
            && name(j + 3)
            && (matches!(self.kind(j + 4), None | Some(Kind::RParen | Kind::Group))
                || self.is_word(j + 4, "where"))
    }

    /// `VALUES (1, ...)` or `VALUES ROW('a', ...)` at `j`: a table value constructor
    /// after UNION (`1' union values(1)--`). A row of literals, not "values (freedom)".
    fn values_row(&self, j: usize) -> bool {
        if !self.is_word(j, "values") {
            return false;
        }
        let k = if self.is_word(j + 1, "row") {
            j + 2
        } else {
            j + 1
        };
        self.kind(k) == Some(Kind::LParen)
            && matches!(self.kind(k + 1), Some(Kind::Num | Kind::Str | Kind::Var))
            && matches!(self.kind(k + 2), Some(Kind::Comma | Kind::RParen))
    }

    /// A row of values at `j`, `(a, b, ...)`, then the end of the query: a comment,
    /// a `;` or nothing. With no comment after it, the row needs SQL in it (a
    /// subquery or a known function): `('x')` alone is a word in parentheses.
    fn extra_row(&self, j: usize) -> bool {
        if self.kind(j) != Some(Kind::LParen) {
            return false;
        }
        let mut k = j + 1;
        let mut sql = false;
        loop {
            let Some((o, e)) = self.operand(k, 0) else {
                return false;
            };
            sql |= matches!(o, Operand::Subquery | Operand::Call { known: true });
            match self.kind(e) {
                Some(Kind::Comma) => k = e + 1,
                Some(Kind::RParen) => {
                    k = e + 1;
                    break;
                }
                _ => return false,
            }
        }
        match self.t.get(self.run_end(k, Kind::RParen)) {
            None
            | Some(Token {
                kind: Kind::Semi, ..
            }) => sql,
            Some(c) => c.kind == Kind::Comment && (sql || quiet_comment(c)),
        }
    }

    /// Past the sort direction after an ORDER BY key at `k` (`ORDER BY 1 DESC--`).
    fn skip_direction(&self, k: usize) -> usize {
        if self.is_word(k, "asc") || self.is_word(k, "desc") {
            k + 1
        } else {
            k
        }
    }

    /// Past what an injected condition may append before it cuts the query off:
    /// closing parentheses and `LIMIT n[,n]` / `ORDER BY n [DESC]` clauses
    /// (`1 OR x=x)--`, `' or a=a limit 1--`). At `k` when there is none.
    fn query_tail(&self, mut k: usize) -> usize {
        while self.kind(k) == Some(Kind::RParen) {
            k += 1;
        }
        loop {
            let start = k;
            if self.kind(k) == Some(Kind::Group) {
                if self.is_word(k, "limit") && self.kind(k + 1) == Some(Kind::Num) {
                    k += 2;
                    while (self.kind(k) == Some(Kind::Comma) || self.is_word(k, "offset"))
                        && self.kind(k + 1) == Some(Kind::Num)
                    {
                        k += 2;
                    }
                } else if (self.is_word(k, "order") || self.is_word(k, "group"))
                    && matches!(self.kind(k + 1), Some(Kind::Num | Kind::Bare))
                {
                    k = self.skip_direction(k + 2);
                }
            }
            if k == start {
                return k;
            }
        }
    }

    /// A statement keyword at `j` followed by what that statement needs.
    fn stmt_valid(&self, j: usize) -> bool {
        let Some(t) = self.t.get(j) else { return false };
        if t.kind != Kind::Stmt {
            return false;
        }
        let n1 = self.t.get(j + 1);
        let k1 = n1.map(|t| t.kind);
        let w = |w: &str| n1.is_some_and(|t| t.is(w));
        let lower = t.text.to_ascii_lowercase();
        match lower.as_str() {
            "select" => match k1 {
                Some(Kind::Num | Kind::Str | Kind::Var | Kind::Func | Kind::LParen) => true,
                // SQLite's `like(x, y)`: `;SELECT LIKE('ABC',UPPER(..))`.
                Some(Kind::WordOp) => matches!(
                    self.operand(j + 1, 0),
                    Some((Operand::Call { known: true }, _))
                ),
                Some(Kind::Op) => n1.is_some_and(|t| t.text == "*"),
                Some(Kind::Keyword) => {
                    w("all")
                        || w("distinct")
                        || w("top")
                        || (w("case") && self.case_end(j + 1).is_some())
                        // `union (select table)`: a one-column subquery.
                        || (j > 0
                            && self.kind(j - 1) == Some(Kind::LParen)
                            && self.kind(j + 2) == Some(Kind::RParen))
                        // A column that happens to be a keyword: `select rows/2 from`.
                        || (!w("from")
                            && (matches!(self.kind(j + 2), Some(Kind::Op | Kind::Comma))
                                || self.is_word(j + 2, "from")))
                }
                Some(Kind::Bare) => {
                    // The column may be named again (`select password as p from
                    // users`), then a table, or the list goes on or ends.
                    if self.is_word(j + 2, "as")
                        && matches!(self.kind(j + 3), Some(Kind::Bare | Kind::Str))
                    {
                        return matches!(
                            self.kind(j + 4),
                            None | Some(Kind::Comma | Kind::Comment | Kind::Semi | Kind::RParen)
                        ) || (self.is_word(j + 4, "from")
                            && self.kind(j + 5) == Some(Kind::Bare));
                    }
                    matches!(
                        self.kind(j + 2),
                        None | Some(
                            Kind::Comma | Kind::Comment | Kind::Semi | Kind::RParen | Kind::Op
                        )
                    ) || self.is_word(j + 2, "from")
                }
                _ => false,
            },
            "insert" => w("into"),
            "delete" => w("from"),
            "update" => k1 == Some(Kind::Bare) && self.is_word(j + 2, "set"),
            "drop" | "create" | "alter" => {
                // `CREATE OR REPLACE FUNCTION`, `CREATE TEMPORARY TABLE`.
                let noun = if w("or") && self.is_word(j + 2, "replace") {
                    j + 3
                } else if w("temporary") || w("temp") {
                    j + 2
                } else {
                    j + 1
                };
                [
                    "table",
                    "database",
                    "schema",
                    "view",
                    "index",
                    "function",
                    "trigger",
                    "procedure",
                    "user",
                    "login",
                    "column",
                ]
                .iter()
                .any(|x| self.is_word(noun, x))
                    // Postgres loads code with an extension: `;CREATE EXTENSION
                    // plperlu--`. One name, then the end ("create extension points
                    // for it" is a sentence).
                    || (self.is_word(noun, "extension")
                        && self.kind(noun + 1) == Some(Kind::Bare)
                        && matches!(self.kind(noun + 2), None | Some(Kind::Comment | Kind::Semi)))
            }
            "truncate" => {
                w("table")
                    || (k1 == Some(Kind::Bare)
                        && matches!(self.kind(j + 2), None | Some(Kind::Comment | Kind::Semi)))
            }
            // A procedure (`xp_cmdshell`, `sp_...`, `master..xp_...`), a variable or a
            // string to run: `exec the plan` is English.
            "exec" | "execute" => match k1 {
                Some(Kind::Var | Kind::Str) => true,
                Some(Kind::LParen) => matches!(self.kind(j + 2), Some(Kind::Var | Kind::Str)),
                Some(Kind::Func) => n1.is_some_and(|t| {
                    t.flag || {
                        let l = t.text.as_bytes();
                        l.len() > 3
                            && (l[..3].eq_ignore_ascii_case(b"xp_")
                                || l[..3].eq_ignore_ascii_case(b"sp_"))
                    }
                }),
                Some(Kind::Bare) => {
                    n1.is_some_and(|t| {
                        let l = t.text.as_bytes();
                        l.len() > 3
                            && (l[..3].eq_ignore_ascii_case(b"xp_")
                                || l[..3].eq_ignore_ascii_case(b"sp_")
                                || t.is("master"))
                    }) || n1.is_some_and(|t| t.is("immediate"))
                }
                _ => false,
            },
            "declare" => k1 == Some(Kind::Var),
            // `END` closes the `BEGIN` block around it: `; begin shutdown end--`.
            "shutdown" => {
                matches!(k1, None | Some(Kind::Comment | Kind::Semi)) || w("with") || w("end")
            }
            "grant" | "revoke" => {
                w("all")
                    || (k1 == Some(Kind::Bare)
                        && matches!(self.kind(j + 2), Some(Kind::Comma | Kind::Keyword)))
                    || self.grant_valid(j)
            }
            _ => false,
        }
    }

    /// What follows the break at `i`: is it a SQL continuation with evidence?
    fn continuation(&self, i: usize, quoted: bool, prefix: Prefix, closers: usize) -> bool {
        let Some(tok) = self.t.get(i) else {
            return false;
        };
        let literal_prefix = prefix == Prefix::Literal;
        match tok.kind {
            Kind::Comment => {
                if quoted {
                    closers > 0 || (quiet_comment(tok) && self.word_prefix && !quoted_mark(tok))
                } else {
                    // `1)--`, and a number or variable that only truncates: `1--`, `@v#`.
                    literal_prefix && (closers > 0 || (quiet_comment(tok) && i + 1 == self.t.len()))
                }
            }
            Kind::Semi => match self.t.get(i + 1) {
                // `admin';`: a one-word literal closed and the statement ended.
                None => quoted && self.word_prefix,
                Some(_) if (quoted || literal_prefix) && self.label_or_goto(i + 1) => true,
                Some(n) => match n.kind {
                    Kind::Comment => quoted,
                    Kind::Stmt => self.stmt_valid(i + 1),
                    // `1 ;(SELECT * FROM (SELECT(GET_LOCK('x',5)))a)`
                    Kind::LParen if self.kind(i + 2) == Some(Kind::Stmt) => {
                        (quoted || literal_prefix) && self.stmt_valid(i + 2)
                    }
                    Kind::Keyword if n.is("waitfor") => self.waitfor_delay(i + 1),
                    // MSSQL control flow around a statement: `;if 1=1 drop table t`,
                    // `; begin shutdown end`.
                    Kind::Keyword if n.is("begin") => {
                        self.stmt_valid(i + 2)
                            // An Oracle block around a procedure call: `1' ;BEGIN
                            // DBMS_LOCK.SLEEP(5); END--` (the package name is
                            // dropped by the tokenizer).
                            || ((quoted || literal_prefix)
                                && self.t.get(i + 2).is_some_and(|t| t.kind == Kind::Func && t.flag)
                                && self.kind(i + 3) == Some(Kind::LParen)
                                && {
                                    let end = self.skip_parens(i + 3);
                                    self.kind(end) == Some(Kind::Semi) && self.is_word(end + 1, "end")
                                })
                    }
                    // PostgreSQL's anonymous block: `'; DO $$BEGIN PERFORM
                    // pg_sleep(5); END$$--` (the tokenizer reads the body on).
                    Kind::Bare if n.is("do") => (quoted || literal_prefix) && self.do_block(i + 2),
                    Kind::Bare if n.is("if") || n.is("while") => self
                        .expr(i + 2, 0)
                        .is_some_and(|e| e.ops > 0 && self.stmt_valid(e.end)),
                    Kind::Keyword if n.is("set") => self.kind(i + 2) == Some(Kind::Var),
                    Kind::Func => n.flag && (quoted || literal_prefix),
                    // `'; desc users; --`, `1; show tables`, `1' ;CALL f(1)--`
                    Kind::Keyword | Kind::Bare
                        if [
                            "desc", "describe", "show", "use", "kill", "load", "call", "handler",
                        ]
                        .iter()
                        .any(|w| n.is(w)) =>
                    {
                        (quoted || literal_prefix)
                            && matches!(
                                self.kind(i + 2),
                                Some(Kind::Bare | Kind::Keyword | Kind::Func)
                            )
                    }
                    _ => false,
                },
            },
            Kind::Logic => {
                let Some(ev) = self.expr(i + 1, 0) else {
                    return quoted && self.logic_then_cut(i);
                };
                let after = self.kind(ev.end);
                let terminal = matches!(
                    after,
                    None | Some(
                        Kind::Comment
                            | Kind::Semi
                            | Kind::Group
                            | Kind::RParen
                            | Kind::Union
                            | Kind::Logic
                    )
                );
                if ev.subquery || ev.known_call {
                    return quoted || prefix != Prefix::Bare || ev.cmp;
                }
                if prefix == Prefix::Empty {
                    // The value starts with AND/OR: `or a=a`, ` OR x=y#`, `or true--`.
                    return ev.cmp_strict
                        || (self.comparisons(i + 1, ev.end) > 0 && terminal)
                        || (ev.ops == 0
                            && matches!(ev.first, Operand::Literal(_))
                            && after == Some(Kind::Comment));
                }
                if quoted {
                    // `1'||'x'||'`: string concatenation spliced into the literal.
                    if tok.flag
                        && ev.ops == 0
                        && matches!(ev.first, Operand::Literal(Kind::Str))
                        && after == Some(Kind::Logic)
                        && self.t.get(ev.end).is_some_and(|t| t.flag)
                    {
                        return true;
                    }
                    // `admin' or '`: the application's own quote closes the empty literal.
                    if self.word_prefix
                        && ev.end == self.t.len()
                        && self.t.get(i + 1).is_some_and(|t| {
                            t.kind == Kind::Str && t.flag && t.text.trim().is_empty()
                        })
                    {
                        return true;
                    }
                    if ev.cmp && (ev.cmp_strict || prefix == Prefix::Literal) {
                        return true;
                    }
                    if ev.ops > 0
                        && matches!(
                            self.kind(self.query_tail(ev.end)),
                            Some(Kind::Comment | Kind::Semi)
                        )
                    {
                        return true;
                    }
                    if terminal
                        && ev.ops == 0
                        && matches!(ev.first, Operand::Literal(Kind::Num | Kind::Var))
                    {
                        return after != Some(Kind::Logic) || ev.end + 1 < self.t.len();
                    }
                    if tok.flag
                        && ev.ops == 0
                        && matches!(ev.first, Operand::Literal(Kind::Str))
                        && after.is_none()
                    {
                        return true;
                    }
                    self.logic_then_cut(i)
                } else {
                    ev.cmp_strict && prefix != Prefix::Bare
                        || (ev.cmp_strict && ev.ops == 1 && terminal)
                        // A literal, then a clause of the attacker's own: after the
                        // caller's parenthesis is closed, any (`1) OR 1 GROUP BY
                        // CONCAT(..) HAVING MIN(0)#`); with none closed, the clause a
                        // number alone may take (`5 GROUP BY CONCAT(..) HAVING ...`)
                        // with a HAVING or a comment of its own (`5 OR 3 GROUP BY ...
                        // HAVING MIN(0)--`; "2 or 3 group by age" is English).
                        || (literal_prefix
                            && ev.ops == 0
                            && matches!(ev.first, Operand::Literal(_))
                            && after == Some(Kind::Group)
                            && (closers > 0
                                || (self.t.get(ev.end..).is_some_and(|rest| {
                                    rest.iter().any(|t| {
                                        t.kind == Kind::Comment
                                            || (t.kind == Kind::Group && t.is("having"))
                                    })
                                }) && self.continuation(ev.end, quoted, prefix, closers))))
                        // `1 OR x=y#`: after a number, as after nothing, a comparison
                        // cut off by a comment.
                        || (literal_prefix
                            && self.kind(self.query_tail(ev.end)) == Some(Kind::Comment)
                            && self.comparisons(i + 1, ev.end) > 0)
                }
            }
            Kind::Union => {
                (quoted || prefix != Prefix::Bare || closers > 0) && self.union_select(i)
            }
            Kind::Op | Kind::WordOp => {
                let Some((o2, k)) = self.operand(i + 1, 0) else {
                    return false;
                };
                if matches!(o2, Operand::Call { known: true } | Operand::Subquery) {
                    // After a bare word too when the subquery selects a literal or a
                    // call: `FOO + (SELECT 9350 WHERE ...`; "a + (select one)" is prose.
                    return quoted
                        || literal_prefix
                        || (o2 == Operand::Subquery
                            && (matches!(
                                self.kind(i + 3),
                                Some(Kind::Num | Kind::Var | Kind::Func | Kind::Str)
                            ) || self.t.get(i + 3).is_some_and(|t| t.text == "*")))
                        // One name compared with a subquery that reads one column of
                        // one table: `id in (select password from users)`.
                        || (o2 == Operand::Subquery
                            && i == 1
                            && self.comparisons(i, i + 1) == 1
                            && self.column_of_table(i + 2))
                        // One word matched by LIKE against a function only SQL has,
                        // then a comment cuts the query: `Widget RLIKE SLEEP(5)#`
                        // (`total = sum(x)  # add` is code).
                        || (i == 1
                            && (tok.is("like") || tok.is("rlike") || tok.is("regexp"))
                            && self.kind(k) == Some(Kind::Comment));
                }
                if !quoted {
                    return false;
                }
                let after = self.kind(k);
                match o2 {
                    // `admin'='`: the open literal is closed by the application's quote.
                    // A literal of several words is prose around quoted marks
                    // (`'-'  line unique to sequence 1`).
                    Operand::Literal(Kind::Str) if after.is_none() => {
                        self.t
                            .get(k - 1)
                            .is_some_and(|t| t.flag && !several_words(t.text))
                            && self.word_prefix
                            && (tok.kind == Kind::Op
                                || tok.is("div")
                                || tok.is("mod")
                                || tok.is("like")
                                || tok.is("rlike")
                                || tok.is("regexp"))
                    }
                    // `X' != 'Y' = 0 = '1`: a chain of comparisons between literals.
                    Operand::Literal(_) if after == Some(Kind::Op) => {
                        self.word_prefix
                            && self
                                .expr(0, 0)
                                .is_some_and(|e| e.cmp_strict && self.comparisons(0, e.end) >= 2)
                    }
                    Operand::Literal(_) => match after {
                        Some(Kind::Logic | Kind::Semi) => true,
                        Some(Kind::Comment) => !self.t.get(k).is_some_and(quoted_mark),
                        // `1'='1' WAITFOR DELAY '0:0:5'--`: MSSQL's next statement.
                        Some(Kind::Keyword) => self.waitfor_delay(k),
                        _ => false,
                    },
                    _ => false,
                }
            }
            Kind::Group => {
                let empty = prefix == Prefix::Empty;
                if !(quoted || literal_prefix || empty) {
                    // After a word: a column-count probe cut by a comment
                    // (`Widget ORDER BY 1#`, `Widget) ORDER BY 1-- x`; sqlmap's
                    // one-word tail, `Widget ORDER BY 1-- VaYU`).
                    // `Widget HAVING 1=1#`: a condition on literals alone.
                    if tok.is("having") {
                        return self.expr(i + 1, 0).is_some_and(|e| {
                            e.cmp_strict && (closers > 0 || self.kind(e.end) == Some(Kind::Comment))
                        });
                    }
                    return (tok.is("order") || tok.is("group"))
                        && self.kind(i + 1) == Some(Kind::Num)
                        && self.t.get(i + 2).is_some_and(|c| {
                            c.kind == Kind::Comment
                                && (closers > 0
                                    || (i + 3 == self.t.len()
                                        && (quiet_comment(c) || !several_words(c.text))))
                        });
                }
                if tok.is("having") {
                    return self
                        .expr(i + 1, 0)
                        .is_some_and(|e| e.cmp || (empty && e.ops > 0));
                }
                if empty {
                    // The value starts with ORDER BY / GROUP BY: a column number, or a
                    // column and more SQL (`group by id having 1=1--`). `order by newest`
                    // is a sort option, not an attack.
                    if !(tok.is("order") || tok.is("group")) {
                        return false;
                    }
                    let Some((o, k)) = self.operand(i + 1, 0) else {
                        return false;
                    };
                    let k = self.skip_direction(k);
                    return match o {
                        Operand::Literal(Kind::Num) => {
                            matches!(self.kind(k), None | Some(Kind::Comment | Kind::Semi))
                        }
                        Operand::Bare | Operand::Call { .. } => {
                            matches!(self.kind(k), Some(Kind::Comment | Kind::Semi | Kind::Group))
                        }
                        _ => false,
                    };
                }
                let Some((o, k)) = self.operand(i + 1, 0) else {
                    return false;
                };
                let mut k = self.skip_direction(k);
                while self.kind(k) == Some(Kind::Comma) {
                    match self.operand(k + 1, 0) {
                        Some((_, k2)) => k = self.skip_direction(k2),
                        // A column-count probe leaves the list open before its
                        // comment (`' ORDER BY 1,2,--+`): the comma ends it.
                        None if matches!(self.kind(k + 1), None | Some(Kind::Comment)) => {
                            k += 1;
                            break;
                        }
                        None => break,
                    }
                }
                matches!(
                    o,
                    Operand::Literal(Kind::Num) | Operand::Bare | Operand::Call { .. }
                ) && matches!(
                    self.kind(k),
                    None | Some(Kind::Comment | Kind::Semi | Kind::RParen | Kind::Group)
                )
            }
            // A parenthesized SELECT right after the break: `' (select top 1`.
            Kind::LParen => {
                (quoted || literal_prefix || closers > 0)
                    && self.is_word(i + 1, "select")
                    && self.stmt_valid(i + 1)
            }
            // A known function right after closing the caller's parenthesis, then the
            // end of the query: `) MAKE_SET(5=5,1) -- x`.
            Kind::Func if closers > 0 && tok.flag => {
                let end = self.skip_parens(i + 1);
                matches!(self.kind(end), None | Some(Kind::Comment | Kind::Logic))
            }
            // A table alias closed by the input, then its condition: ` AS x WHERE 1=1`,
            // `1) AS x WHERE 5=5 OR 6=7--`.
            Kind::Keyword
                if (prefix == Prefix::Empty || quoted || literal_prefix || closers > 0)
                    && tok.is("as")
                    && self.kind(i + 1) == Some(Kind::Bare)
                    && self.is_word(i + 2, "where") =>
            {
                self.continuation(i + 2, quoted, prefix, closers)
            }
            // The value starts with WHERE and a condition: ` WHERE 1=1 AND 1=1--`.
            Kind::Keyword if prefix == Prefix::Empty && tok.is("where") => {
                self.expr(i + 1, 0).is_some_and(|e| {
                    e.ops > 0
                        && matches!(
                            self.kind(e.end),
                            None | Some(Kind::Comment | Kind::Semi | Kind::Logic | Kind::Group)
                        )
                })
            }
            // A value closed, then a WHERE of the attacker's own whose condition needs
            // no column, then more SQL: `1' WHERE 5=5 AND 6=7`, `1) WHERE 5=5 ORDER BY 1#`,
            // `1) AS t WHERE 5=6 WAITFOR DELAY '0:0:5'`.
            // A name compared counts only when a comment cuts the query after it.
            Kind::Keyword if (quoted || literal_prefix || closers > 0) && tok.is("where") => {
                self.expr(i + 1, 0).is_some_and(|e| {
                    let after = self.kind(e.end);
                    (e.cmp_strict
                        && matches!(
                            after,
                            Some(Kind::Comment | Kind::Semi | Kind::Logic | Kind::Group)
                        ))
                        || (e.cmp && matches!(after, Some(Kind::Comment | Kind::Semi)))
                        // MSSQL starts the next statement without a `;`:
                        // `1' WHERE 1=2 WAITFOR DELAY '0:0:5'--`, and
                        // `1" WHERE 5=5 (SELECT (CASE WHEN ...) FROM t)--`.
                        || (e.cmp_strict
                            && (self.waitfor_delay(e.end)
                                || (self.kind(e.end) == Some(Kind::LParen)
                                    && self.is_word(e.end + 1, "select")
                                    && self.stmt_valid(e.end + 1))))
                })
            }
            // `1) FROM users WHERE name=`: closing the caller's parenthesis, then a table.
            Kind::Keyword if closers > 0 && tok.is("from") => {
                self.kind(i + 1) == Some(Kind::Bare)
                    && (matches!(self.kind(i + 2), None | Some(Kind::Semi | Kind::Comment))
                        || self.is_word(i + 2, "where"))
            }
            Kind::Keyword => {
                (quoted || literal_prefix)
                    && (self.waitfor_delay(i)
                        || (tok.is("into")
                            && (self.is_word(i + 1, "outfile") || self.is_word(i + 1, "dumpfile")))
                        || (tok.is("procedure") && self.is_word(i + 1, "analyse")))
            }
            // MSSQL runs statements without a separator: `@v select @v ...`, `1 exec xp_...`.
            // After a phrase, a statement whose operand is a string left open to the
            // end is prose quoting a word: `of the "select" tool changed, ...`.
            Kind::Stmt => {
                (quoted || literal_prefix)
                    && self.stmt_valid(i)
                    && (self.word_prefix
                        || !self
                            .t
                            .get(i + 1)
                            .is_some_and(|t| t.kind == Kind::Str && t.flag))
            }
            Kind::Comma => {
                // Another row after the caller's, closed: INSERT's VALUES list
                // continued (`x'),('u','p',(SELECT flag FROM flag))-- -`).
                ((quoted || literal_prefix) && closers > 0 && self.extra_row(i + 1))
                    || (quoted
                    && matches!(
                        self.operand(i + 1, 0),
                        Some((Operand::Subquery | Operand::Call { known: true }, _))
                    ))
                    // A column list or VALUES after one value: `1,(SELECT 5 FROM ...)`;
                    // "apples, (select one)" is prose.
                    // One value, then a call that wraps a subquery: `en ,(CAST((SELECT ..`.
                    || (i == 1
                        && matches!(self.operand(i + 1, 0), Some((Operand::Call { known: true }, end))
                            if self.has_select(i + 1, end)))
                    || (i == 1
                        && self.kind(i + 1) == Some(Kind::LParen)
                        && self.is_word(i + 2, "select")
                        && self.stmt_valid(i + 2)
                        && (matches!(
                            self.kind(i + 3),
                            Some(Kind::Num | Kind::Str | Kind::Var | Kind::Func | Kind::LParen)
                        ) || self.is_word(i + 3, "case")))
            }
            _ => false,
        }
    }

    /// UNION SELECT or a stacked statement anywhere, after a short prefix.
    fn anywhere(&self) -> bool {
        for j in 0..self.t.len() {
            match self.t[j].kind {
                Kind::Union if self.union_select(j) => {
                    let short_prefix = j == 0
                        || (j == 1 && self.t[0].kind == Kind::Stmt)
                        || matches!(
                            self.t[j - 1].kind,
                            Kind::Num
                                | Kind::Str
                                | Kind::Var
                                | Kind::RParen
                                | Kind::Comment
                                | Kind::Op
                        )
                        || (self.t[j - 1].kind == Kind::Bare
                            && (j < 2 || self.t[j - 2].kind != Kind::Bare));
                    if short_prefix {
                        return true;
                    }
                }
                Kind::Semi if self.stmt_valid(j + 1) => return true,
                _ => {}
            }
        }
        false
    }

    /// The whole value is one complete CASE expression, as injected where a value
    /// is expected: `case when 2 then 3 end`, also in parentheses
    /// (`(CASE WHEN (1=1) THEN SLEEP(5) ELSE 1 END)`).
    fn whole_case(&self) -> bool {
        let open = self.run_end(0, Kind::LParen);
        self.case_complete(open).is_some_and(|end| {
            let close = self.run_end(end, Kind::RParen);
            close - end == open
                && matches!(self.kind(close), None | Some(Kind::Comment | Kind::Semi))
        })
    }

    /// The whole value is a parenthesized SELECT, as injected where a number is
    /// expected: `(select id from users limit 1,1)`.
    fn parenthesized_query(&self) -> bool {
        let i = self.run_end(0, Kind::LParen);
        i > 0 && self.is_word(i, "select") && self.stmt_valid(i)
    }

    /// A number or variable, maybe with arithmetic, then only a truncating comment:
    /// `1--`, `1*1--`, `@@version#`, `1 /*`.
    fn numeric_then_comment(&self) -> bool {
        let n = self.t.len();
        n >= 2
            && self.t[n - 1].kind == Kind::Comment
            && quiet_comment(&self.t[n - 1])
            // A rule of four dashes or more is Markdown's, under a heading or
            // between sections (`3.34.0 - 2019-09-09` then `--------`).
            && !(self.t[n - 1].text.len() >= 4 && self.t[n - 1].text.bytes().all(|c| c == b'-'))
            && matches!(self.t[0].kind, Kind::Num | Kind::Var)
            && self.t[..n - 1]
                .iter()
                .all(|t| matches!(t.kind, Kind::Num | Kind::Var | Kind::Op))
    }

    /// Whether a non-SELECT statement at 0 is complete rather than a phrase that
    /// starts like one: `DELETE FROM t WHERE ...` but not "delete from cart",
    /// `CREATE TABLE t (` but not "create table for 6".
    fn statement_complete(&self) -> bool {
        let k = |i: usize| self.kind(i);
        let ends = |i: usize| matches!(k(i), None | Some(Kind::Semi | Kind::Comment));
        let first = &self.t[0];
        if first.is("delete") {
            // DELETE FROM t, then a condition or an explicit end.
            return k(2) == Some(Kind::Bare)
                && (matches!(k(3), Some(Kind::Semi | Kind::Comment))
                    || (self.is_word(3, "where") && self.expr(4, 0).is_some_and(|e| e.ops > 0)));
        }
        if first.is("insert") {
            return k(2) == Some(Kind::Bare)
                && (k(3) == Some(Kind::LParen)
                    || self.is_word(3, "values")
                    || self.is_word(3, "select"));
        }
        if first.is("update") {
            return self.expr(3, 0).is_some_and(|e| e.ops > 0);
        }
        if first.is("drop") || first.is("truncate") {
            let name = if k(1) == Some(Kind::Bare) { 1 } else { 2 };
            return k(name) == Some(Kind::Bare)
                && (ends(name + 1) || k(name + 1) == Some(Kind::Comma));
        }
        if first.is("create") {
            // A name glued to its column list reads as a call: `CREATE TABLE s.t (`.
            // An account and its password, quoted or ended as a statement:
            // `CREATE USER u IDENTIFIED BY 'p'`, `CREATE LOGIN u WITH PASSWORD = 'p'`,
            // `CREATE USER u IDENTIFIED BY p TEMPORARY TABLESPACE t;`.
            let ended = self
                .t
                .last()
                .is_some_and(|t| matches!(t.kind, Kind::Semi | Kind::Comment));
            let password =
                |i: usize| k(i) == Some(Kind::Str) || (k(i) == Some(Kind::Bare) && ended);
            let account = (self.is_word(1, "user") || self.is_word(1, "login"))
                && ((self.is_word(3, "identified") && self.is_word(4, "by") && password(5))
                    || (self.is_word(3, "with")
                        && self.is_word(4, "password")
                        && self.t.get(5).is_some_and(|t| t.text == "=")
                        && password(6)));
            return account
                || k(2) == Some(Kind::Func)
                || (k(2) == Some(Kind::Bare)
                    && (ends(3) || k(3) == Some(Kind::LParen) || self.is_word(3, "as")));
        }
        if first.is("alter") {
            return k(2) == Some(Kind::Bare)
                && ["add", "drop", "modify", "rename", "alter", "change"]
                    .iter()
                    .any(|w| self.is_word(3, w));
        }
        true
    }

    /// `SELECT` and a list of expressions that runs to the end, with SQL in it (a
    /// known function, a subquery, a server variable): `SELECT CHAR(0x66)`,
    /// `SELECT @@version`, `SELECT 'a'||(SELECT user)`.
    fn select_without_from(&self) -> bool {
        let mut j = 1;
        let mut sql = false;
        while let Some(e) = self.expr(j, 0) {
            sql |= e.known_call
                || e.subquery
                || (e.first == Operand::Literal(Kind::Var) && self.t[j].text.starts_with("@@"));
            j = e.end;
            // Calls side by side are a `+` that URL decoding turned into a space:
            // `SELECT CHAR(113)+CHAR(122)+(SELECT ...)`.
            while e.known_call
                && (self
                    .t
                    .get(j)
                    .is_some_and(|t| t.kind == Kind::Func && t.flag)
                    || (self.kind(j) == Some(Kind::LParen) && self.is_word(j + 1, "select")))
            {
                let Some(e2) = self.expr(j, 0) else { break };
                sql |= e2.known_call || e2.subquery;
                j = e2.end;
            }
            while self.kind(j) == Some(Kind::Logic) {
                let Some(e2) = self.expr(j + 1, 0) else { break };
                sql |= e2.known_call || e2.subquery;
                j = e2.end;
            }
            if self.kind(j) != Some(Kind::Comma) {
                break;
            }
            j += 1;
        }
        sql && j > 1 && matches!(self.kind(j), None | Some(Kind::Semi | Kind::Comment))
    }

    /// After `WITH [RECURSIVE]` at 0, the index past its common table expressions,
    /// each a name, maybe its column list, `AS` and a parenthesized SELECT:
    /// `WITH d AS (SELECT ...), e(x) AS (SELECT ...)`.
    fn ctes_end(&self) -> Option<usize> {
        let mut k = if self.is_word(1, "recursive") { 2 } else { 1 };
        loop {
            // A name glued to its column list reads as a call: `r(n) AS (...)`.
            if !matches!(self.kind(k), Some(Kind::Bare | Kind::Func)) {
                return None;
            }
            k += 1;
            if self.kind(k) == Some(Kind::LParen) {
                k = self.skip_parens(k);
            }
            if !(self.is_word(k, "as")
                && self.kind(k + 1) == Some(Kind::LParen)
                && self.is_word(k + 2, "select")
                && self.stmt_valid(k + 2))
            {
                return None;
            }
            k = self.skip_parens(k + 1);
            if self.kind(k) != Some(Kind::Comma) {
                return (k < self.t.len()).then_some(k);
            }
            k += 1;
        }
    }

    /// A complete statement as the whole value: `SELECT x FROM t`, `DROP TABLE t`.
    ///
    /// With `truncated`, the statement must end in a comment (`DROP TABLE t;--`),
    /// which is how an injected statement cuts off the rest of the query. Without
    /// it, the value is one executable statement on its own; SELECT then needs SQL
    /// that prose does not write (a `*`, a list, a call, a literal, a qualified
    /// name, or a WHERE/LIMIT/JOIN clause with its operand), so "select a product
    /// from the list" stays prose.
    fn whole_statement(&self, truncated: bool) -> bool {
        let Some(first) = self.t.first() else {
            return false;
        };
        // Common table expressions first: `WITH d AS (SELECT ...) SELECT x FROM d`.
        if first.is("with") {
            return self.ctes_end().is_some_and(|m| {
                Parser {
                    t: &self.t[m..],
                    word_prefix: false,
                }
                .whole_statement(truncated)
            });
        }
        if first.kind != Kind::Stmt || !self.stmt_valid(0) {
            return false;
        }
        let ends_in_comment = self.t.last().is_some_and(|t| t.kind == Kind::Comment);
        if truncated && !ends_in_comment {
            return false;
        }
        if !first.is("select") {
            return truncated || self.statement_complete();
        }
        // Needs FROM and a table name to be a statement rather than a phrase. A table
        // function stands for the table: `FROM generate_series(1,5)`; MySQL takes
        // the name in parentheses too, which writes a query without spaces:
        // `SELECT(name)FROM(users)WHERE(id=1)`.
        let table_end = |j: usize| match self.kind(j + 1) {
            Some(Kind::Func) if self.kind(j + 2) == Some(Kind::LParen) => self.skip_parens(j + 2),
            Some(Kind::LParen)
                if self.kind(j + 2) == Some(Kind::Bare)
                    && self.kind(j + 3) == Some(Kind::RParen) =>
            {
                j + 4
            }
            _ => j + 2,
        };
        let Some(from) = (1..self.t.len()).find(|&j| {
            self.t[j].is("from")
                && self.kind(j + 1).is_some_and(|k| {
                    matches!(k, Kind::Bare | Kind::Keyword | Kind::LParen | Kind::Func)
                })
                && matches!(
                    self.kind(table_end(j)),
                    None | Some(
                        Kind::Comment
                            | Kind::Semi
                            | Kind::Keyword
                            | Kind::Group
                            | Kind::RParen
                            | Kind::Union
                            | Kind::Comma
                    )
                )
        }) else {
            return self.select_without_from();
        };
        if truncated {
            return true;
        }
        // `SELECT password FROM users`: one column from one table, no article.
        if self.t.len() == 4 && self.column_of_table(0) {
            return true;
        }
        let list_is_sql = self.t[1..from].iter().any(|t| {
            matches!(
                t.kind,
                Kind::Comma | Kind::Func | Kind::Num | Kind::Str | Kind::Var | Kind::LParen
            ) || (t.kind == Kind::Op && t.text == "*")
                || (t.kind == Kind::Keyword && (t.is("distinct") || t.is("top")))
        });
        // A clause after the table counts when something follows it (`... WHERE`
        // alone is a fragment, not a statement).
        let clause = (table_end(from)..self.t.len()).any(|j| {
            let t = &self.t[j];
            let opens = matches!(t.kind, Kind::Group | Kind::Union | Kind::Semi)
                || (t.kind == Kind::Keyword
                    && [
                        "where", "join", "inner", "outer", "order", "group", "offset",
                    ]
                    .iter()
                    .any(|w| t.is(w)));
            opens && (t.kind == Kind::Semi || j + 1 < self.t.len())
        });
        list_is_sql || clause || ends_in_comment
    }
}

/// True when the folded tokens, read in `ctx`, are an injection.
pub fn is_injection(t: &[Token<'_>], ctx: Context) -> bool {
    if t.is_empty() {
        return false;
    }
    let quoted = ctx != Context::Bare;
    let word_prefix = quoted
        && t[0].kind == Kind::Str
        && t[0].text.len() <= 32
        && !t[0].text.bytes().any(|c| c.is_ascii_whitespace());
    let p = Parser { t, word_prefix };
    let (mut i, prefix) = if quoted {
        (1, Prefix::Literal)
    } else {
        match t[0].kind {
            Kind::Num | Kind::Var | Kind::Str => (1, Prefix::Literal),
            Kind::Bare => (1, Prefix::Bare),
            _ => (0, Prefix::Empty),
        }
    };
    if quoted {
        i = p.skip_search_modifier(i);
    }
    let closers = p.run_end(i, Kind::RParen) - i;
    i += closers;
    if !quoted && p.parenthesized_query() {
        return true;
    }
    p.continuation(i, quoted, prefix, closers)
        || p.splice(quoted)
        || p.balanced_tail(quoted)
        || (quoted && p.reopened_operand())
        || p.anywhere()
        || p.group_having()
        || p.hides_from_trace()
        || (quoted && (p.quote_then_logic() || p.quote_then_cut_comparison()))
        || (!quoted
            && (p.whole_statement(true)
                || p.logic_cut_open()
                || p.info_call()
                || p.values_rows()
                || p.table_then_clause()
                || p.close_then_compare()
                || p.list_then_tautology()
                || p.parameter_then_continuation()
                || p.numeric_then_comment()
                || p.whole_case()
                || p.whole_expression()
                || p.print_variable(0)))
}

/// True when the folded tokens are, as a whole, one complete SQL statement
/// (`SELECT * FROM users`, `DROP TABLE x`, `EXEC xp_cmdshell 'dir'`).
pub fn is_statement(t: &[Token<'_>]) -> bool {
    Parser {
        t,
        word_prefix: false,
    }
    .whole_statement(false)
}

#[cfg(test)]
mod tests {
    use crate::waf::sqli::is_sqli;

    /// Asserts every attack is caught and every benign value is not (shared with `clauses`).
    pub(super) fn detected(attacks: &[&str], benign: &[&str]) {
        for a in attacks {
            assert!(is_sqli(a), "missed: {a}");
        }
        for b in benign {
            assert!(!is_sqli(b), "false positive: {b}");
        }
    }

    #[test]
    fn a_whole_value_of_conditions_joined_by_logic_words_is_one_expression() {
        detected(
            &[
                "ascii(substring((select password from users limit 1),1,1)) = 70 or'1'='2",
                "1.e(ascii 1.e(substring(1.e(select password from users limit 1 1.e,1 1.e) 1.e,1 1.e,1 1.e)1.e)1.e) = 70 or'1'='2",
                "length((select version())) > 5 and 1=1",
            ],
            &[
                "f(x) = 1 and g(y) = 2",
                "sum(a, b) = 3 or sum(b, c) = 4",
                "assert(1 = 1) and done",
            ],
        );
    }

    #[test]
    fn a_condition_cut_open_at_its_parenthesis_is_a_probe() {
        detected(
            &["AND 6698=(", "and uid!=(", "or 1<((", "pay=AND uid!=("],
            &[
                "and more (",
                "and then (see below)",
                "and 5 more (",
                "or ((",
            ],
        );
    }

    #[test]
    fn postgres_json_key_tests_and_array_literals_are_comparisons() {
        detected(
            &[
                "OR '{\"name\":\"asd\"}' ?| array['a','name']",
                "OR '{\"name\":\"asd\"}' ?& array['a','name']",
                "1 or '{}' ?| ARRAY['x', 2]",
            ],
            &[
                "an array['a','b'] or two",
                "or array[x]",
                "array of 'a' or 'b'",
            ],
        );
    }

    #[test]
    fn a_keyword_that_names_a_column_is_an_operand() {
        detected(
            &["aa' or column*0='0", "1 or table=1"],
            &["pick the table or column you like"],
        );
    }

    #[test]
    fn niladic_functions_are_known_calls_without_parentheses() {
        detected(
            &["1 and current_date=current_date", "1 or sysdate=sysdate"],
            &["the current_date or later"],
        );
    }

    #[test]
    fn postfix_null_tests_are_comparisons() {
        detected(
            &["1' and email notnull--", "x' or id isnull--"],
            &["email notnull", "is it null or not"],
        );
    }

    #[test]
    fn any_function_wrapping_a_subquery_is_sql() {
        detected(
            &[
                "1 and RAISE_ERROR('1',(SELECT user FROM t))",
                "en ,(CAST((SELECT user FROM t) AS int))",
            ],
            &["call foo(the select one) and more"],
        );
    }

    #[test]
    fn case_with_when_is_an_expression_but_just_in_case_is_not() {
        detected(
            &["1 and case when 1=1 then 1 else 0 end=1"],
            &[
                "just in case when it rains",
                "in case you need it, or when then",
            ],
        );
    }

    #[test]
    fn a_parenthesized_list_is_an_operand() {
        detected(&["1 and 1 in (1,2,3)"], &["see items (1, 2, 3) and more"]);
    }

    #[test]
    fn except_and_intersect_need_a_select_list_prose_does_not_write() {
        detected(
            &[
                "1 except select 1,2--",
                "1 intersect select null,null--",
                "except values(1,2)",
                "1 intersect values row(1, 'a')",
            ],
            &[
                "everything except select items",
                "roads intersect select points",
                "all except values (freedom, trust)",
            ],
        );
    }

    #[test]
    fn mssql_control_flow_around_a_statement_is_a_statement() {
        detected(
            &[
                "1;if 1=1 drop table t--",
                "'; begin shutdown end-- -a",
                "'; if (select count(*) from users) > 0 waitfor delay '0:0:5'--",
                "1' ;BEGIN DBMS_LOCK.SLEEP(5); END--",
                "1 ;BEGIN USER_LOCK.GET_LOCK('x',5); END--",
            ],
            &[
                "1; if it rains drop the table",
                "begin the shutdown at the end",
                "I said; begin sleep(5); end",
                "we begin; end of story",
            ],
        );
    }

    #[test]
    fn sql_after_closing_the_callers_parenthesis_is_a_continuation() {
        detected(
            &[") MAKE_SET(5=5,1) -- x", "1) (select * from users)--"],
            &["(see above) (select one)", "(a) concat(b) later"],
        );
    }

    #[test]
    fn sqlite_likelihood_hints_and_postgres_dollar_strings_and_blocks_are_read_as_sql() {
        detected(
            &[
                "admin@juice-sh.op'and unlikely (id)--",
                "admin@juice-sh.op' and( likelihood (id,.0));'",
                "x' and likely(id)--",
                "1' and starts_with(password,$$t$$) and 'true",
                "1' union select $$a$$,2--",
                "x'; DO $$BEGIN PERFORM pg_sleep(5); END$$--",
                "1; do $$declare c text; begin select version() into c; end$$",
            ],
            &[
                "most likely (but not certainly) true",
                "it's likely (see above) fine -- ok",
                "O'Brien and likely (sure)",
                "price is $$5 and up, $x$ for members",
                "what to do; begin with sleep(8) hours, end with coffee",
            ],
        );
    }

    #[test]
    fn like_called_with_arguments_is_sqlites_function() {
        detected(
            &[
                "1 AND 7157=LIKE('ABCDEFG',UPPER(HEX(RANDOMBLOB(500000000/2))))",
                "1\"))) AND 7157=LIKE('ABCDEFG',UPPER(HEX(RANDOMBLOB(5/2))))-- x",
                "1\"))) ;SELECT LIKE('ABCDEFG',UPPER(HEX(RANDOMBLOB(5/2))))--",
            ],
            &[
                "1 = like (this)",
                "I like (a, b) and c",
                "things I like (cats, dogs)",
                "1; Select like (this one)",
            ],
        );
    }

    #[test]
    fn a_clause_after_closing_the_callers_parenthesis_and_a_logic_word_is_sql() {
        detected(
            &[
                "-7791) OR 1 GROUP BY CONCAT('a',FLOOR(RAND(0)*2)) HAVING MIN(0)#",
                // With no parenthesis closed: the clause with a HAVING or a comment.
                "1337 or 3 group by concat(version(),floor(rand(2)*3))having min(2) -- ",
                "5 or 1 group by x having 1=1",
            ],
            &[
                "(see 1) or 2 group by them",
                "2 or 3 group by age",
                "2 or 3 group by age, having fun",
            ],
        );
    }

    #[test]
    fn a_where_of_its_own_after_the_closed_value_is_a_continuation() {
        detected(
            &[
                "1' where 3701=3701 and 2006=2006",
                "1 where 6036=6036 and 7533=7533--",
                "1) as xuvz where 3061=3061 or 2367=2367--",
                "-7404' where 1536=1536 order by 1#",
                "1\") where 8164 = 8164 or 2367 = (select count(*) from t)--",
                "1' WHERE name = 'x'--",
                "1) AS iash WHERE 6883=5889 WAITFOR DELAY '0:0:5'-- -",
                "1' WHERE 6883=5889 WAITFOR DELAY '0:0:5'",
            ],
            &[
                "O'Brien where it rains",
                "the result where 1=1 waitfor delay",
                "5 where x = y",
                "2 where 3 = 3 is true",
                "Tom's where a = b",
                "(see above) where 1 = 1 is shown",
                "10 as well where a=b",
            ],
        );
    }

    #[test]
    fn creating_an_account_with_its_password_is_a_statement() {
        for p in [
            "create user name identified by 'pass123'",
            "create user name identified by pass123 temporary tablespace temp default tablespace users;",
            "CREATE LOGIN eve WITH PASSWORD = 'x'",
        ] {
            assert!(crate::waf::sqli::is_sql_statement(p), "missed: {p}");
        }
        for b in [
            "create user accounts identified by email",
            "create user profile with photo",
            "Create login page with password reset",
        ] {
            assert!(
                !crate::waf::sqli::is_sql_statement(b),
                "false positive: {b}"
            );
        }
    }

    #[test]
    fn a_table_function_after_from_stands_for_the_table() {
        detected(
            &[
                "select * from generate_series(2317,2317,case when (2317=9706) then 1 else 0 end) limit 1--",
                "SELECT * FROM generate_series(1,9)--",
            ],
            &[
                "select from list(a) please",
                "select one from range(1, 5)",
                "apples, (select * to copy)",
            ],
        );
    }

    #[test]
    fn a_value_then_a_subquery_in_a_list_is_a_continuation() {
        detected(
            &[
                "1,(SELECT 5 FROM dual)",
                "1,(SELECT CASE WHEN 1=1 THEN 1 END)",
            ],
            &["apples, (select one)", "Tom and Jerry, (select ones)"],
        );
    }

    #[test]
    fn a_logic_word_glued_between_numbers_joins_conditions() {
        detected(
            &["1or1=1", "1and2>1"],
            &["4or5 people", "call me 2or3 times"],
        );
    }

    #[test]
    fn union_values_with_a_row_of_literals_is_a_union() {
        detected(
            &[
                "1' union values(1)--",
                "1 union values(1)",
                "1' union all values row(1,2)#",
            ],
            &[
                "labor union values (freedom, equality)",
                "the union values (our members) most",
            ],
        );
    }

    #[test]
    fn union_all_glued_to_a_parenthesis_is_union_all() {
        detected(
            &["1001*/*!50000(1)union*/all(select 1,ccnumber,3,4 from credit_cards)"],
            &["the union all (of us) agreed"],
        );
    }

    #[test]
    fn a_one_word_literal_closed_and_the_statement_ended_is_a_probe() {
        detected(
            &["admin@juice-sh.op\";", "admin';"],
            &["he said \"yes\";", "x = 'abc';"],
        );
    }

    #[test]
    fn an_arithmetic_word_operator_between_quotes_is_spliced() {
        detected(
            &["' DIV '", "1' MOD '"],
            &["the div 'x' tag", "'mod' or 'div'"],
        );
    }

    #[test]
    fn string_literals_side_by_side_are_one_literal() {
        detected(
            &["0' '1' like (0) and 1 sounds like a or true#1"],
            &["\"MOD\" \"KITCHEN\"", "say 'hi' 'there' or not"],
        );
    }

    #[test]
    fn known_calls_side_by_side_in_a_select_list_are_a_concatenation() {
        use crate::waf::sqli::is_sql_statement;
        for a in [
            "SELECT CHAR(113) CHAR(122) CHAR(120) (SELECT (CASE",
            "select char(65) char(66)",
        ] {
            assert!(is_sql_statement(a), "missed: {a}");
        }
        for b in ["select char list", "select version one two"] {
            assert!(!is_sql_statement(b), "false positive: {b}");
        }
    }

    #[test]
    fn a_subquery_selecting_everything_after_an_operator_is_sql() {
        detected(
            &["in ( select * from", "1 in (select * from t)"],
            &["in (select all) now"],
        );
    }

    #[test]
    fn select_without_from_needs_sql_in_its_list() {
        detected(
            &["1;SELECT @@version--", "'; SELECT CHAR(0x66)--"],
            &["select one, two", "please select char and version"],
        );
    }

    #[test]
    fn a_column_list_left_open_before_its_comment_is_a_probe() {
        detected(
            &[
                "1' ORDER BY 1,2,--+",
                "1' GROUP BY 1,2,--+",
                "1 ORDER BY 1,2,3,-- -",
                "x') order by 1,#",
            ],
            &[
                "sort: order by 1,2, then 3",
                "1' order by 1,2, newest first",
                "order by 1,2,--",
            ],
        );
    }

    #[test]
    fn an_order_by_key_may_carry_its_sort_direction() {
        detected(
            &[
                "ORDER BY 1 DESC--",
                " ORDER BY 1 ASC#",
                "' order by name desc--",
                "1) order by 2 asc, 3 desc--",
            ],
            &[
                "order by newest",
                "order by date desc",
                "order by price asc please",
            ],
        );
    }

    #[test]
    fn a_markdown_rule_under_numbers_is_no_truncating_comment() {
        detected(
            &["1--", "1 -- -", "-1-- ", "1.5 - 2--+"],
            &[
                "3.34.0 - 2019-09-09\n-------------------",
                "2024 - 2025\n----",
            ],
        );
    }

    #[test]
    fn a_union_select_whose_column_is_named_again_is_a_union() {
        detected(
            &[
                "1' union select password as a from users--",
                "1 union select md5 as a from users",
                "0 union select hash_v2 as \"h\" from admins",
            ],
            &["Union Select Committee as chair from 2026"],
        );
    }

    #[test]
    fn union_select_then_a_sign_is_a_union() {
        detected(
            &[
                "/*!UNiOn*/ /*!SeLEct*/+",
                "1 union select -1,2",
                "x union select ~0",
            ],
            &["Union Select Committee meeting", "union select a plan"],
        );
    }

    #[test]
    fn a_logic_word_after_a_closed_word_then_a_cut_is_sql_whatever_stands_between() {
        detected(
            &[
                "'or(glob 1)--",
                "x' or a[id] is not null--",
                "a'or?--",
                "admin' or x#",
            ],
            &[
                "'or' is a word --",
                "rock 'n' roll or jazz --",
                "it's yours or mine --",
                "x' or y -- see the notes",
                "O'Neil or Smith --",
            ],
        );
    }

    #[test]
    fn a_number_then_a_logic_word_and_a_comparison_cut_by_a_comment_is_sql() {
        detected(
            &["1 OR x=y#", "7 and a.b<>c--", "1 or name like x-- "],
            &["1 or 2 -- pick one", "3 or 4 # either", "1 or x=y"],
        );
    }

    #[test]
    fn union_distinctrow_is_union_distinct() {
        detected(
            &[
                "1 union distinctrow select 1",
                "' union distinctrow select 1,2--",
            ],
            &["the union distinctrow select committee meeting"],
        );
    }

    #[test]
    fn match_glued_to_its_column_list_is_a_full_text_test() {
        detected(
            &[
                "1 AND MATCH(title) AGAINST ('x')",
                "' or match(a,b) against('y')#",
            ],
            &[
                "1 and match(final) against France",
                "match(x) against all odds",
            ],
        );
    }

    #[test]
    fn sql_only_functions_are_known_calls() {
        detected(
            &["1 and find_in_set(1,1)", "' or weight_string(1)--"],
            &[
                "find_in_set(a, b) returns an index",
                "see strpos(s) in the docs",
            ],
        );
    }

    #[test]
    fn a_name_compared_with_a_one_column_subquery_is_sql() {
        detected(
            &[
                "id in (select password from users)",
                "uid = (select id from admins where 1)",
            ],
            &[
                "apples in (select one)",
                "pick in (select a product from the list)",
                "both in (select the best from all)",
            ],
        );
    }

    #[test]
    fn json_operators_compare_and_extract() {
        detected(
            &[
                "1 and '{\"a\":2}' @> '{\"a\":1}'",
                "' or '{\"a\":1}'->>'a'='1",
                "1 or data->>'role'='admin'",
                "1 and json_valid('{}')",
            ],
            &[
                "click File -> Save or Edit -> Copy",
                "a -> b or c <- d",
                "$user->role == 'admin' or die",
                "email me @> noon or later",
            ],
        );
    }

    #[test]
    fn a_no_break_space_separates_words() {
        detected(
            &[
                "1'\u{a0}OR\u{a0}1=1--",
                "1\u{a0}union\u{a0}select\u{a0}1,2--",
                "1\u{a0}and\u{a0}1\u{a0}=\u{a0}1",
                "a'-@a=@a\u{a0}or'1",
            ],
            &[
                "Tom\u{a0}and\u{a0}Jerry",
                "5\u{a0}o'clock\u{a0}or\u{a0}later",
            ],
        );
    }

    #[test]
    fn an_operator_between_parentheses_closed_and_opened_again_is_a_probe() {
        let mut attacks = Vec::new();
        for q in ['\'', '"', '`'] {
            for op in [">", "-", "+", "*", "%", "=", "<>"] {
                attacks.push(format!("1{q})){op}(({q}0"));
                attacks.push(format!("2{q}){op}({q}1"));
            }
            attacks.push(format!("1{q})&{q}1{q}=({q}1"));
        }
        let attacks: Vec<&str> = attacks.iter().map(String::as_str).collect();
        detected(
            &attacks,
            &[
                // Prose after the operator, or parentheses that do not match.
                "Bob') - ('Alice and Carol",
                "1')>(('0",
                "1'))>('0",
                "see (a) > (b)",
            ],
        );
    }

    #[test]
    fn a_row_of_the_attackers_own_after_the_callers_is_an_insert_injection() {
        detected(
            &[
                "TEST'),('otherUsername','otherPassword',(select flag from flag limit 1))-- -",
                "x'),('admin','x',1)#",
                "1),(2,(select password from users))",
            ],
            &[
                "x'),('y')",
                "see (a), (b) -- done",
                "Bob'), ('Alice') -- my friends",
            ],
        );
    }

    #[test]
    fn statements_written_without_spaces_or_after_a_with_clause_are_whole() {
        use crate::waf::sqli::is_sql_statement;
        for a in [
            "SELECT(username)FROM(USERS)WHERE(username='netspi')",
            "select(a),(b)from(t)",
            "WITH x AS (SELECT 1) SELECT * FROM x",
            "WITH data AS (SELECT (ROW_NUMBER() OVER (ORDER BY message)) as row,* FROM log_table) \
             SELECT message FROM data WHERE row = 1 and message like 't%'",
            "with recursive r(n) as (select 1), s as (select 2) select * from r",
        ] {
            assert!(is_sql_statement(a), "missed: {a}");
        }
        for b in [
            "select (the best) from (our list) today",
            "with friends as (select the best) we select our team from the list",
            "With love, from me",
            "WITH x AS (SELECT 1)",
        ] {
            assert!(!is_sql_statement(b), "false positive: {b}");
        }
    }

    #[test]
    fn postgres_extensions_and_replaced_functions_are_statements_after_a_semicolon() {
        detected(
            &[
                "1';create extension plperlu-- -",
                "1; CREATE EXTENSION dblink;",
                "1);create or replace function sleep(int) returns int as '/lib/libc.so.6','sleep' language 'c' strict; select sleep(5)",
                "1'; create temporary table t(x text)--",
            ],
            &[
                "done; create extension points for the plugin",
                "x; drop extension",
                "ok; create or replace the draft",
            ],
        );
    }

    #[test]
    fn a_variable_needs_a_name() {
        detected(
            &[
                "@@version#",
                "@v#",
                "1';declare @# int;shutdown;set @# = '1",
            ],
            &["!@#$%^&*()`~", "@#", "P@#ss -- mine"],
        );
    }

    #[test]
    fn oracle_null_tests_are_known_functions() {
        detected(
            &[
                "1 AND LNNVL(0=123)",
                "1' and nvl2(null,1,0)=0--",
                "1 or ora_hash(1)>0",
            ],
            &["nvl2 is a function", "lnnvl explained"],
        );
    }
}
