//! SQL constructs with a shape of their own, which prose does not write and which
//! the expression parser in `mod.rs` leans on: Postgres `::type` casts,
//! `MATCH (cols) AGAINST (expr)`, a complete `CASE WHEN .. THEN .. END`, a
//! `GROUP BY .. HAVING` condition, `GRANT priv TO user`, and MSSQL labels
//! (`label: GOTO label`).
use super::{Operand, Parser};
use crate::waf::sqli::tokenizer::Kind;

/// Type names a Postgres `::` cast converts to.
const CAST_TYPES: &[&str] = &[
    "int",
    "integer",
    "int2",
    "int4",
    "int8",
    "bigint",
    "smallint",
    "numeric",
    "decimal",
    "float",
    "float4",
    "float8",
    "real",
    "text",
    "varchar",
    "char",
    "bpchar",
    "bool",
    "boolean",
    "date",
    "time",
    "timestamp",
    "timestamptz",
    "interval",
    "bytea",
    "json",
    "jsonb",
    "xml",
    "uuid",
    "inet",
    "oid",
    "regclass",
    "regproc",
    "regtype",
    "money",
    "name",
];

/// Privileges `GRANT` and `REVOKE` hand out (`grant connect, resource to x`).
const PRIVILEGES: &[&str] = &[
    "all",
    "select",
    "insert",
    "update",
    "delete",
    "execute",
    "usage",
    "connect",
    "resource",
    "dba",
    "create",
    "alter",
    "drop",
    "references",
    "index",
    "file",
    "process",
    "super",
    "reload",
    "shutdown",
    "trigger",
    "temporary",
    "privileges",
    "sysdba",
    "sysadmin",
];

impl Parser<'_, '_> {
    /// A value operand followed by `::type` (`'1'::int`, `f(x)::text`) is a cast, an
    /// SQL-only call. After a name it is not: `std::vec`, `Foo::Int` are code.
    pub(super) fn cast(&self, o: Operand, end: usize) -> (Operand, usize) {
        if !o.is_value()
            || self.t.get(end).is_none_or(|t| t.text != "::")
            || !self
                .t
                .get(end + 1)
                .is_some_and(|t| CAST_TYPES.iter().any(|w| t.is(w)))
        {
            return (o, end);
        }
        // `::varchar(10)`
        let mut end = end + 2;
        if self.t[end - 1].kind == Kind::Func && self.kind(end) == Some(Kind::LParen) {
            end = self.skip_parens(end);
        }
        (Operand::Call { known: true }, end)
    }

    /// `MATCH (a, b) AGAINST ('x' IN BOOLEAN MODE)` at `i`, MySQL's full-text test:
    /// the index after its closing parenthesis.
    pub(super) fn match_against(&self, i: usize) -> Option<usize> {
        if !self.is_word(i, "match") {
            return None;
        }
        // The column list: names, dots, commas, parentheses, a few tokens at most.
        let against = (i + 1..self.t.len().min(i + 12))
            .take_while(|&j| {
                self.t[j].is("against")
                    || matches!(
                        self.t[j].kind,
                        Kind::Bare | Kind::Comma | Kind::LParen | Kind::RParen
                    )
            })
            .find(|&j| self.t[j].is("against"))?;
        (against > i + 1 && self.kind(against + 1) == Some(Kind::LParen))
            .then(|| self.skip_parens(against + 1))
    }

    /// Past the search modifier that ends the string of an `AGAINST (...)` at `i`
    /// (`IN BOOLEAN MODE`, `IN NATURAL LANGUAGE MODE`, `WITH QUERY EXPANSION`) when
    /// the parenthesis closes right after it: `1' in boolean mode) and 5=5`. At `i`
    /// when there is none.
    pub(super) fn skip_search_modifier(&self, i: usize) -> usize {
        let words = |ws: &[&str]| ws.iter().enumerate().all(|(k, w)| self.is_word(i + k, w));
        let n = if words(&["in", "boolean", "mode"]) || words(&["with", "query", "expansion"]) {
            3
        } else if words(&["in", "natural", "language", "mode"]) {
            4
        } else {
            return i;
        };
        if self.kind(i + n) == Some(Kind::RParen) {
            i + n
        } else {
            i
        }
    }

    /// A condition: expressions joined by AND / OR. Its end, and whether any part is
    /// more than a name (a literal, a call, an operator).
    fn condition(&self, i: usize) -> Option<(usize, bool)> {
        let e = self.expr(i, 0)?;
        let mut sql = e.ops > 0 || e.first.is_value();
        let mut j = e.end;
        while self.kind(j) == Some(Kind::Logic) {
            let Some(e2) = self.expr(j + 1, 0) else { break };
            sql |= e2.ops > 0 || e2.first.is_value();
            j = e2.end;
        }
        Some((j, sql))
    }

    /// A complete `CASE [x] WHEN c THEN v [...] [ELSE v] END` at `i`, with a value
    /// somewhere in it: the index after `END`. "case when ready then go end" has
    /// only names; "in case when it rains" has no THEN.
    pub(super) fn case_complete(&self, i: usize) -> Option<usize> {
        if !self.is_word(i, "case") {
            return None;
        }
        let mut j = i + 1;
        let mut sql = false;
        if !self.is_word(j, "when") {
            let (end, s) = self.condition(j)?;
            j = end;
            sql |= s;
        }
        let mut arms = 0;
        while self.is_word(j, "when") {
            let (end, s) = self.condition(j + 1)?;
            if !self.is_word(end, "then") {
                return None;
            }
            let (end2, s2) = self.condition(end + 1)?;
            sql |= s || s2;
            j = end2;
            arms += 1;
        }
        if self.is_word(j, "else") {
            let (end, s) = self.condition(j + 1)?;
            sql |= s;
            j = end;
        }
        (arms > 0 && sql && self.is_word(j, "end")).then_some(j + 1)
    }

    /// `GROUP BY list HAVING condition` anywhere, the condition comparing a value
    /// (`HAVING COUNT(id) >= 9`, `having 1=1`): "group by age having fun" has none.
    pub(super) fn group_having(&self) -> bool {
        (0..self.t.len()).any(|j| {
            let t = &self.t[j];
            if t.kind != Kind::Group || !t.is("group") {
                return false;
            }
            let Some((_, mut k)) = self.operand(j + 1, 0) else {
                return false;
            };
            while self.kind(k) == Some(Kind::Comma) {
                match self.operand(k + 1, 0) {
                    Some((_, k2)) => k = k2,
                    None => return false,
                }
            }
            self.t
                .get(k)
                .is_some_and(|h| h.kind == Kind::Group && h.is("having"))
                && self.expr(k + 1, 0).is_some_and(|e| {
                    e.cmp
                        && self.comparisons(k + 1, e.end) > 0
                        && matches!(
                            self.kind(e.end),
                            None | Some(
                                Kind::Comment
                                    | Kind::Semi
                                    | Kind::Group
                                    | Kind::Logic
                                    | Kind::RParen
                            )
                        )
                })
        })
    }

    /// `GRANT`/`REVOKE` at `j`: a list of privileges, then `ON`, `TO` or `FROM` and a
    /// name. "grant access to users" names no privilege.
    pub(super) fn grant_valid(&self, j: usize) -> bool {
        let mut k = j + 1;
        let mut privileges = 0;
        while self
            .t
            .get(k)
            .is_some_and(|t| PRIVILEGES.iter().any(|w| t.is(w)))
        {
            privileges += 1;
            k += 1;
            if self.kind(k) != Some(Kind::Comma) {
                break;
            }
            k += 1;
        }
        privileges > 0
            && ["to", "on", "from"].iter().any(|w| self.is_word(k, w))
            && matches!(
                self.kind(k + 1),
                Some(Kind::Bare | Kind::Str | Kind::Var | Kind::Keyword)
            )
    }

    /// MSSQL `PRINT @@server_variable` at `i`, alone or before the next statement.
    pub(super) fn print_variable(&self, i: usize) -> bool {
        self.is_word(i, "print")
            && self
                .t
                .get(i + 1)
                .is_some_and(|t| t.kind == Kind::Var && t.text.starts_with("@@"))
            && matches!(self.kind(i + 2), None | Some(Kind::Comment | Kind::Semi))
    }

    /// After a `;`: an MSSQL label (`anything:`), a `GOTO label` or a `PRINT @@var`
    /// that runs to the end of the query. A label then a statement counts when the
    /// statement does.
    pub(super) fn label_or_goto(&self, i: usize) -> bool {
        let ends = |k: usize| matches!(self.kind(k), None | Some(Kind::Comment | Kind::Semi));
        if self.print_variable(i) {
            return true;
        }
        if self.is_word(i, "goto") {
            return self.kind(i + 1) == Some(Kind::Bare) && ends(i + 2);
        }
        self.kind(i) == Some(Kind::Bare)
            && self.t.get(i + 1).is_some_and(|t| t.text == ":")
            && (self.stmt_valid(i + 2) || self.print_variable(i + 2) || self.label_or_goto(i + 2))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::detected;

    #[test]
    fn a_postgres_cast_of_a_value_is_sql_but_a_path_in_code_is_not() {
        detected(
            &["1' and '1'::int=1--", "1 and version()::text like '%'"],
            &["use std::vec::Vec; or Foo::Int", "x :: Int -> Int"],
        );
    }

    #[test]
    fn a_whole_value_cast_is_an_expression_but_a_type_annotation_is_not() {
        detected(
            &["encode(lo_get(16400),'base64')::int", "(select 1)::text--"],
            &["f :: Int -> Int", "Vec::<u8>::new()", "a[::2]"],
        );
    }

    #[test]
    fn print_of_a_server_variable_is_mssql() {
        detected(
            &["PRINT @@variable", "1; print @@version--"],
            &["print @home", "please print @@ the office"],
        );
    }

    #[test]
    fn match_against_is_a_full_text_condition() {
        detected(
            &["' or MATCH username AGAINST ('a* -) -+ ' IN BOOLEAN MODE); -- -a"],
            &["the match against Spain, or the replay"],
        );
    }

    #[test]
    fn closing_a_full_text_search_then_sql_is_a_continuation() {
        detected(
            &[
                "1' in boolean mode) and 2006=2006",
                "-1621' in boolean mode) order by 1--",
                "x' IN NATURAL LANGUAGE MODE) OR 1=1#",
            ],
            &[
                "search 'cats' in boolean mode (see docs)",
                "it's in boolean mode) and more",
                "The 'x' in boolean mode is a toggle",
            ],
        );
    }

    #[test]
    fn a_complete_case_expression_is_a_value_but_a_phrase_with_case_is_not() {
        detected(
            &[
                "case when 2 then 3 end",
                "CASE WHEN 1=1 THEN 'a' ELSE 'b' END--",
            ],
            &[
                "case when ready then go end",
                "in case when it rains then stay in the end",
            ],
        );
    }

    #[test]
    fn group_by_having_with_a_comparison_is_a_clause() {
        detected(
            &[
                "SELECT x GROUP BY SOMETHING HAVING COUNT(Id) >= 9",
                "1 group by id having 1=1--",
            ],
            &[
                "kids group by age having fun",
                "people group by team having lunch",
            ],
        );
    }

    #[test]
    fn grant_of_a_privilege_to_a_name_is_a_statement() {
        detected(
            &["' grant connect to name; grant resource to name; --"],
            &[
                "' grant access to users",
                "we grant access to name; grant it",
            ],
        );
    }

    #[test]
    fn a_label_and_goto_after_a_statement_end_is_sql() {
        detected(
            &["1'; anything: goto anything -- -a", "1; goto done"],
            &[
                "Step 1; Note: goto settings page",
                "note; tip: goto the end",
            ],
        );
    }
}
