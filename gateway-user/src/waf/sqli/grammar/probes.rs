//! Short probes: values too short to carry a whole condition, whose shape only a
//! person testing for injection writes. The value opens with the application's
//! quote and a logic word (`' or abc!`) or a comparison cut by a comment
//! (`' = #`); a one-word literal closed, a logic word and a few tokens cut off by
//! a comment (`'or(glob 1)--`); with a logic word and a condition cut off at its
//! operator (`xor 2 <`);
//! with `)` and a comparison (`) like (`); it is one value, a comma and a tautology
//! (`b,1=1`), a parameter glued to a continuation (`pay=AND x = 0)`), a call on a
//! server information function (`COERCIBILITY(USER())`), a `VALUES` row of
//! literals, a `FROM` clause with its sequel (`FROM t GROUP BY c`), one whole
//! expression with a cast, a boolean or a subquery in it (`ELT(1=2,1)`), or it
//! hides the query from MSSQL's trace with an `sp_password` comment.
use super::{Operand, Parser};
use crate::waf::sqli::tokenizer::Kind;

/// Functions that report on the server or the session, called without arguments:
/// what an attacker reads first (`user()`, `version()`, `database()`).
const INFO_FUNCTIONS: &[&str] = &[
    "user",
    "version",
    "database",
    "schema",
    "current_user",
    "session_user",
    "system_user",
    "current_database",
    "db_name",
    "user_name",
    "suser_name",
    "connection_id",
    "last_insert_id",
];

/// System catalogs: schemas and tables only a database names.
const CATALOGS: &[&str] = &[
    "information_schema",
    "sysobjects",
    "syscolumns",
    "sysdatabases",
    "pg_catalog",
    "pg_shadow",
    "sqlite_master",
    "all_tables",
];

impl Parser<'_, '_> {
    /// Quoted context: the value starts with the quote that closes the application's
    /// literal, then, after a space, AND / OR / XOR and an operand that is no string
    /// (`' or abc!`, `" xor x`, `' or (EXISTS)`). A quoted word (`"or" is`, `'and
    /// then'`) glues the word to the quote; `' or '` is read by the splice rules.
    pub(super) fn quote_then_logic(&self) -> bool {
        let (Some(open), Some(logic), Some(next)) = (self.t.first(), self.t.get(1), self.t.get(2))
        else {
            return false;
        };
        let at = |t: &str| t.as_ptr() as usize;
        open.kind == Kind::Str
            && open.text.trim().is_empty()
            && logic.kind == Kind::Logic
            && logic.text.bytes().all(|c| c.is_ascii_alphabetic())
            && at(logic.text) > at(open.text) + open.text.len() + 1
            && matches!(
                next.kind,
                Kind::Bare | Kind::Num | Kind::Var | Kind::Func | Kind::LParen | Kind::Keyword
            )
    }

    /// Quoted context, the logic word at `i` right after a one-word literal closed:
    /// a few tokens of anything but strings, then the value ends in a comment that
    /// only cuts the query (`'or(glob 1)--`, `x' or a[id] is not null--`). The
    /// condition need not parse: the cut says the rest of the query is unwanted.
    /// Prose that quotes `or` opens a string after it (`'or' is a word --`).
    pub(super) fn logic_then_cut(&self, i: usize) -> bool {
        let Some(last) = self.t.last() else {
            return false;
        };
        let between = self.t.get(i + 1..self.t.len() - 1).unwrap_or_default();
        self.word_prefix
            && !between.is_empty()
            && between.len() <= 8
            && last.kind == Kind::Comment
            && super::quiet_comment(last)
            && !super::quoted_mark(last)
            && between
                .iter()
                .all(|t| !matches!(t.kind, Kind::Str | Kind::Comment | Kind::Semi))
    }

    /// Quoted context: the value starts with the quote that closes the application's
    /// literal, then a comparison operator and a comment that cuts the query there
    /// (`' = # '`, `'<>--`): a probe for a syntax error. A comment with words in it
    /// (`'= # hash`) is a note.
    pub(super) fn quote_then_cut_comparison(&self) -> bool {
        let (Some(open), Some(op), Some(next)) = (self.t.first(), self.t.get(1), self.t.get(2))
        else {
            return false;
        };
        open.kind == Kind::Str
            && open.text.trim().is_empty()
            && self.comparisons(1, 2) == 1
            && op.kind == Kind::Op
            && next.kind == Kind::Comment
            && super::quiet_comment(next)
    }

    /// Bare context: the value closes the caller's parenthesis and goes on with a
    /// comparison (`) like (`, `)=(1`, `) in (`): only a probe starts with `)` and an
    /// operator.
    pub(super) fn close_then_compare(&self) -> bool {
        let closers = self.t.iter().take_while(|t| t.kind == Kind::RParen).count();
        closers > 0
            && self.comparisons(closers, closers + 1) == 1
            && matches!(
                self.kind(closers + 1),
                None | Some(Kind::LParen | Kind::Num | Kind::Str | Kind::Var | Kind::Func)
            )
    }

    /// Bare context: one value, a comma, and a comparison of two values that ends the
    /// value (`b,1=1`, `id,'a'='a'--`): a tautology put into a column list such as
    /// `ORDER BY`. "a, 1=1 is true" goes on after it.
    pub(super) fn list_then_tautology(&self) -> bool {
        matches!(self.kind(0), Some(Kind::Bare | Kind::Num))
            && self.kind(1) == Some(Kind::Comma)
            && self.expr(2, 0).is_some_and(|e| {
                e.cmp_strict
                    && e.ops == 1
                    && self.comparisons(2, e.end) == 1
                    && matches!(self.kind(e.end), None | Some(Kind::Comment | Kind::Semi))
            })
    }

    /// Bare context: the value is itself a parameter, `name=` glued to a SQL
    /// continuation (`pay=AND deleted = 0)`), as a form or query string carried in
    /// one field is. The continuation is read as if the value started there.
    pub(super) fn parameter_then_continuation(&self) -> bool {
        let (Some(name), Some(eq), Some(next)) = (self.t.first(), self.t.get(1), self.t.get(2))
        else {
            return false;
        };
        let at = |t: &str| t.as_ptr() as usize;
        name.kind == Kind::Bare
            && eq.kind == Kind::Op
            && eq.text == "="
            && at(eq.text) == at(name.text) + name.text.len()
            && at(next.text) == at(eq.text) + 1
            && matches!(next.kind, Kind::Logic | Kind::Group | Kind::Union)
            && (self.continuation(2, false, super::Prefix::Empty, 0) || self.logic_cut_open_at(2))
    }

    /// Bare context: the whole value is AND / OR / XOR, a literal and an operator
    /// with nothing after it but open parentheses (`xor 2 <`, `and 5-`,
    /// `xor 'test'>`, `AND 6698=(`): a condition cut
    /// open to provoke a syntax error, as `test' or 1=` is in a quoted context.
    pub(super) fn logic_cut_open(&self) -> bool {
        self.logic_cut_open_at(0)
    }

    /// [`Self::logic_cut_open`] from token `i`. Parentheses may open the condition
    /// (`||(null!=`), and a name may be its operand when the operator is an equality
    /// test (`&& setPath !=`): "and more >" is a link label, "and more !=" is not.
    fn logic_cut_open_at(&self, i: usize) -> bool {
        let Some(logic) = self.t.get(i) else {
            return false;
        };
        let j = self.run_end(i + 1, Kind::LParen);
        // The operator may open parentheses for what it lacks: `AND 6698=(`.
        let [lit, op, opens @ ..] = &self.t[j.min(self.t.len())..] else {
            return false;
        };
        let equality = matches!(op.text, "=" | "!=" | "<>");
        logic.kind == Kind::Logic
            && (logic.flag || logic.text.bytes().all(|c| c.is_ascii_alphabetic()))
            && (matches!(lit.kind, Kind::Num | Kind::Var)
                || (lit.kind == Kind::Str && !lit.flag)
                || (lit.kind == Kind::Bare && equality))
            && op.kind == Kind::Op
            && matches!(
                op.text,
                "=" | "!=" | "<>" | "<" | ">" | "<=" | ">=" | "-" | "+" | "*" | "/" | "%"
            )
            && opens.iter().all(|t| t.kind == Kind::LParen)
    }

    /// Bare context: the whole value is one expression, as injected where the
    /// application expects a value (a number, an `ORDER BY` column), with
    /// - a known call and a cast: `encode(lo_get(16400),'base64')::int`;
    /// - in parentheses, a comparison of two literals (`ELT(2117=6790,1)`,
    ///   `MAKE_SET(1=2,1)`, `(8799=4757)*2652`) or a subquery (`JSON_KEYS((SELECT
    ///   CONCAT('a',1)))`). The parenthesis opens a known function's arguments,
    ///   or a group of its own: "assert(1 = 1)" calls a name SQL does not know.
    ///
    /// A value that opens with such a comparison may also go on with a logic
    /// word and SQL: `(5552=8805 AND SLEEP(5))`; the expression may be
    /// conditions joined by logic words.
    pub(super) fn whole_expression(&self) -> bool {
        let literal = |k: usize| matches!(self.kind(k), Some(Kind::Num | Kind::Str));
        // What follows `lit cmp lit` right after the parenthesis at `k`.
        let compared = |k: usize| {
            (literal(k + 1) && self.comparisons(k + 2, k + 3) == 1 && literal(k + 3))
                .then(|| self.kind(k + 4))
                .flatten()
        };
        if self.kind(0) == Some(Kind::LParen)
            && compared(0) == Some(Kind::Logic)
            && (self
                .t
                .get(5)
                .is_some_and(|t| t.kind == Kind::Func && t.flag)
                || matches!(self.kind(5), Some(Kind::Num | Kind::Str | Kind::LParen)))
        {
            return true;
        }
        // Every form below needs a parenthesis or a cast.
        if !self
            .t
            .iter()
            .any(|t| t.kind == Kind::LParen || t.text == "::")
        {
            return false;
        }
        let Some(e) = self.expr(0, 0) else {
            return false;
        };
        // Conditions joined by logic words make one expression too:
        // `ascii(substring((select password from users limit 1),1,1)) = 70 or '1'='2`.
        let mut end = e.end;
        while self.kind(end) == Some(Kind::Logic)
            && let Some(next) = self.expr(end + 1, 0)
        {
            end = next.end;
        }
        if !matches!(self.kind(end), None | Some(Kind::Comment | Kind::Semi)) {
            return false;
        }
        let whole = &self.t[..end];
        if e.known_call && whole.iter().any(|t| t.text == "::") {
            return true;
        }
        (0..end).any(|k| {
            let opens = whole[k].kind == Kind::LParen
                && (k == 0
                    || whole[k - 1].flag && whole[k - 1].kind == Kind::Func
                    || matches!(whole[k - 1].kind, Kind::LParen | Kind::Op | Kind::Comma));
            opens
                && (matches!(compared(k), Some(Kind::Comma | Kind::RParen))
                    || (self.is_word(k + 1, "select") && self.stmt_valid(k + 1)))
        })
    }

    /// The whole value is a call that reads a server information function, or a
    /// known function cut open.
    pub(super) fn info_call(&self) -> bool {
        self.cut_call() || self.call_on_info()
    }

    /// The whole value is a known function opened and cut off: a server information
    /// function at its parenthesis (`database(`), or any known function at a
    /// comparison with nothing after it (`if(2=`, `ascii('a'<`): a syntax-error
    /// probe. "count(" and "if(2 = 3)" are not.
    fn cut_call(&self) -> bool {
        let [f, open, args @ ..] = self.t else {
            return false;
        };
        if f.kind != Kind::Func || !f.flag || open.kind != Kind::LParen {
            return false;
        }
        match args {
            [] => INFO_FUNCTIONS.iter().any(|w| f.is(w)),
            [lit, op] => {
                matches!(lit.kind, Kind::Num | Kind::Str | Kind::Var)
                    && op.kind == Kind::Op
                    && self.comparisons(3, 4) == 1
            }
            _ => false,
        }
    }

    /// A call whose arguments read a server information function
    /// (`COERCIBILITY(USER())`, `hex(version())`), as injected where a value is
    /// expected. "print(len(x))" calls nothing that reports on a server.
    fn call_on_info(&self) -> bool {
        let Some((Operand::Call { .. }, end)) = self.operand(0, 0) else {
            return false;
        };
        self.kind(1) == Some(Kind::LParen)
            && matches!(self.kind(end), None | Some(Kind::Comment | Kind::Semi))
            && (2..end.saturating_sub(2)).any(|j| {
                self.t[j].kind == Kind::Func
                    && INFO_FUNCTIONS.iter().any(|w| self.t[j].is(w))
                    && self.kind(j + 1) == Some(Kind::LParen)
                    && self.kind(j + 2) == Some(Kind::RParen)
            })
    }

    /// The whole value is a `VALUES` list of rows of literals with a quoted string in
    /// it (`VALUES ('192.168.0.1', 'test')`), as injected after `INSERT INTO t`.
    /// "values (1, 2)" quotes nothing.
    pub(super) fn values_rows(&self) -> bool {
        if !self.is_word(0, "values") {
            return false;
        }
        let mut j = 1;
        let mut strings = 0;
        loop {
            if self.kind(j) != Some(Kind::LParen) {
                return false;
            }
            j += 1;
            let mut items = 0;
            loop {
                match self.t.get(j) {
                    Some(t) if t.kind == Kind::Str && !t.flag => strings += 1,
                    Some(t) if matches!(t.kind, Kind::Num | Kind::Var) => {}
                    _ => return false,
                }
                items += 1;
                j += 1;
                match self.kind(j) {
                    Some(Kind::Comma) => j += 1,
                    Some(Kind::RParen) => break,
                    _ => return false,
                }
            }
            j += 1;
            if items < 2 {
                return false;
            }
            if self.kind(j) != Some(Kind::Comma) {
                break;
            }
            j += 1;
        }
        strings > 0 && matches!(self.kind(j), None | Some(Kind::Comment | Kind::Semi))
    }

    /// The value starts with `FROM` and a table, then the clause that follows a
    /// table in a query: `GROUP BY`, `ORDER BY`, `LIMIT`, `HAVING`
    /// (`FROM termine GROUP BY tag1`, ``from `db`.`t` limit``). "from home, or
    /// later" has none.
    pub(super) fn table_then_clause(&self) -> bool {
        // A system catalog is a table only SQL names: ``from `information_schema` ``.
        if self.is_word(0, "from")
            && self.t.get(1).is_some_and(|t| {
                matches!(t.kind, Kind::Bare | Kind::Keyword) && CATALOGS.iter().any(|w| t.is(w))
            })
            && matches!(self.kind(2), None | Some(Kind::Comment | Kind::Semi))
        {
            return true;
        }
        self.is_word(0, "from")
            && self.kind(1) == Some(Kind::Bare)
            && self.kind(2) == Some(Kind::Group)
            && (self.t[2].is("group")
                || self.t[2].is("order")
                || self.t[2].is("limit")
                || self.t[2].is("having"))
    }

    /// A comment naming `sp_password` (`--sp_password`): MSSQL leaves any statement
    /// with that word out of its trace log, so an attacker appends it to hide the
    /// injected query.
    pub(super) fn hides_from_trace(&self) -> bool {
        self.t.iter().any(|t| {
            t.kind == Kind::Comment && {
                let body = t.text.trim_start_matches(['-', '#', '/', '*', ' ']);
                // Bytes, not a str slice: byte 11 may fall inside a character.
                body.as_bytes()
                    .get(..11)
                    .is_some_and(|w| w.eq_ignore_ascii_case(b"sp_password"))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::detected;

    #[test]
    fn a_leading_quote_then_a_logic_word_and_an_operand_is_a_probe() {
        detected(
            &[
                "' or abc!",
                "' xor abcdefg!",
                "' or homer 9",
                "' or (EXISTS)",
            ],
            &[
                "'or else'",
                "\"and\" is a conjunction",
                "'n' or roll",
                "' 'or' is a word",
            ],
        );
    }

    #[test]
    fn a_leading_quote_then_a_comparison_cut_by_a_comment_is_a_probe() {
        detected(&["' = # '", "'<>--"], &["' = equals", "'= # hash"]);
    }

    #[test]
    fn closing_the_callers_parenthesis_then_comparing_is_a_probe() {
        detected(
            &[") like (", ")like(", ")=(1"],
            &[") like this", ":) = happy"],
        );
    }

    #[test]
    fn one_value_a_comma_and_a_tautology_is_a_column_list_probe() {
        detected(&["b,1=1", "id,'a'='a'--"], &["a, 1=1 is true", "x,y=z"]);
    }

    #[test]
    fn a_parameter_glued_to_a_sql_continuation_is_read_from_the_continuation() {
        detected(
            &[
                "pay=AND deleted = 0)",
                "pay=and 1!=\"",
                "q=order by 3--",
                "pay=&& setPath !=",
                "pay=||(null!=",
            ],
            &["mode=and more", "q=or best offer", "pay = and deleted = 0)"],
        );
    }

    #[test]
    fn a_logic_word_and_a_condition_cut_at_its_operator_is_a_probe() {
        detected(
            &[
                "xor 2 <",
                "xor 1234567890<",
                "xor 'test'>",
                "xor 5-",
                "&& name !=",
            ],
            &["xor 2 bits", "or 5 more", "and 2 more -", "and more >"],
        );
    }

    #[test]
    fn a_whole_value_boolean_or_subquery_in_parentheses_is_injected_where_a_value_goes() {
        detected(
            &[
                "ELT(2117=6790,1)",
                "MAKE_SET(1739=7544,1)",
                "(8799=4757)*2652",
                "JSON_KEYS((SELECT CONVERT((SELECT CONCAT('qvkzq',(SELECT (ELT(6801=3726,1))),'qxpxq')) USING utf8)))",
                "(5552=8805 AND SLEEP(5))",
                "('a'='b' OR 2)",
            ],
            &[
                "assert(1 = 1)",
                "(1 = 2 and more)",
                "f(x=1, y=2)",
                "(see page 3)",
                "ELT(2, 'a', 'b')",
                "max(3, 4) = 4",
                "(1=2) is false, as you see",
            ],
        );
    }

    #[test]
    fn a_call_on_a_server_information_function_is_a_probe() {
        detected(
            &["COERCIBILITY(USER())", "hex(version())--", "database("],
            &[
                "print(len(x))",
                "call(user) now",
                "user() is a function",
                "count(",
            ],
        );
    }

    #[test]
    fn a_values_row_with_a_quoted_string_is_an_insert_tail() {
        detected(
            &[
                "VALUES ('192.168.0.1', 'test')",
                "values (1,'a'),(2,'b');--",
            ],
            &["values (1, 2)", "values ('honesty') matter"],
        );
    }

    #[test]
    fn from_a_table_then_its_next_clause_is_a_query_tail() {
        detected(
            &[
                "FROM termine GROUP BY tag1",
                "from `db_miwf`.`sys_refindex` limit",
            ],
            &["from home, or later", "from people group of friends"],
        );
    }

    #[test]
    fn an_sp_password_comment_hides_the_query_from_the_trace() {
        detected(
            &["--sp_password", "1; --sp_password"],
            // A character across byte 11 of the comment (an MDN fragment once panicked here).
            &[
                "sp_password reset",
                "x #abcdefghi\u{2460}",
                "1 --sp_passwor\u{e9}",
            ],
        );
    }
}
