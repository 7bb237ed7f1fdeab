//! Paranoia-2 SQL injection rules (942xxx): fragments that are SQL evidence only when
//! a short value carries them whole (`in (0,1)`, `something LIKE '`), SQL-only
//! functions and encodings the grammar does not read (`FIND_IN_SET(`, `&apos; OR`,
//! nested comments), and statements stacked after `;`. CRS users raise paranoia for
//! exactly this trade: more detection for more false positives, so none of these
//! runs at the default paranoia 1. Anchored patterns (`^...$`) look at the whole value.
use super::pipelines::*;
use super::targets::*;
use super::{Category::Sqli, Check::*, RuleDef, Severity::*, rule};

pub(super) fn rules() -> Vec<RuleDef> {
    vec![
        rule(
            942330,
            Sqli,
            2,
            Critical,
            ATTACK,
            DEC,
            Regex(
                r##"^\s*[\w.`\[\]]+\s*(?:=|<>|!=|<=|>=|<|>|\blike|\brlike|\bregexp|\bin|\bbetween)\s*['"(]\s*$"##,
            ),
            "SQL comparison cut open: a name, an operator and a dangling quote or paren",
        ),
        rule(
            942400,
            Sqli,
            2,
            Critical,
            ATTACK,
            DEC,
            Regex(
                r##"^\s*(?:(?:not\s+)?in\s*\(\s*[^()]*,[^()]*\)?|[\w.`]+\s+(?:not\s+)?in\s*\(\s*(?:-?\d+|'[^']*'|"[^"]*")(?:\s*,\s*(?:-?\d+|'[^']*'|"[^"]*"))+\s*\)?)\s*$"##,
            ),
            "SQL IN list as the whole value",
        ),
        rule(
            942510,
            Sqli,
            2,
            Critical,
            ATTACK,
            DEC,
            Regex(r##"`\s*as\s+`[^`\s]+`\s*(?:from\b|,|$)|^[^`\s]+`\s*;\s*(?:--|#|$)"##),
            "Backtick-quoted SQL identifier closing the input",
        ),
        rule(
            942141,
            Sqli,
            2,
            Critical,
            ATTACK,
            NO_COMMENTS,
            Regex(
                r##"\bselect\b[^;]{0,80}?\b(?:table_name|column_name|table_schema|schema_name)\b"##,
            ),
            "SELECT of SQL catalog columns",
        ),
        rule(
            942410,
            Sqli,
            2,
            Critical,
            ATTACK,
            NO_COMMENTS,
            Regex(
                r##"\b(?:find_in_set|make_set|export_set|substring_index|char_length|octet_length|bit_length|strcmp|ifnull|nullif|soundex|uncompress|aes_decrypt|des_decrypt|master_pos_wait|release_lock|get_lock|is_free_lock|found_rows|row_count)\s*\("##,
            ),
            "SQL-only function call",
        ),
        rule(
            942521,
            Sqli,
            2,
            Critical,
            ATTACK,
            DEC,
            Regex(
                r##"(?:^|[\s\d=(])&(?:apos|quot|#0*3[49]|#x0*2[27]);\s*(?:or|and|xor|union|having|\|\||&&)\b"##,
            ),
            "Quote written as an HTML entity, then a SQL logic word",
        ),
        rule(
            942440,
            Sqli,
            2,
            Warning,
            ATTACK,
            DEC,
            Regex(r##"/\*[^/]*?/\*"##),
            "Nested SQL comment",
        ),
        rule(
            942350,
            Sqli,
            2,
            Critical,
            ATTACK,
            NO_COMMENTS,
            Regex(
                r##";\s*(?:truncate\b|shutdown\b|drop\s+(?:table|database|schema|user|index|view|procedure|function)\b|(?:create|alter)\s+(?:table|database|schema|user|index|view|procedure|function|trigger|login)\b|insert\s+into\b|delete\s+from\b|update\s+[\w`"\[.]+\s+set\b|declare\s+@|grant\s+\w+(?:\s*,\s*\w+)*\s+on\b)"##,
            ),
            "SQL statement stacked after a semicolon",
        ),
        rule(
            942361,
            Sqli,
            2,
            Notice,
            ATTACK,
            DEC,
            Regex(
                r##"^\s*[/;'"`)]+\s*(?:create|drop|alter|truncate|insert|delete|update|select|union|declare)(?:\s|\(|\[|$)"##,
            ),
            "SQL keyword after punctuation at the start of the value",
        ),
        rule(
            942362,
            Sqli,
            2,
            Critical,
            ATTACK,
            DEC,
            Regex(r##"^\s*exec(?:ute)?\s*\(\s*(?:['"@]|$)"##),
            "EXEC( at the start of the value",
        ),
        rule(
            942340,
            Sqli,
            2,
            Warning,
            ATTACK,
            DEC,
            Regex(
                r##"\b(?:or|and|xor)\s+['"]?\w+['"]?\s*(?:=|<>|!=|<=|>=|<|>|\blike\b)\s*['"]?\w+['"]?\s*(?:--|#|/\*|;\s*$)"##,
            ),
            "SQL condition followed by a comment",
        ),
        rule(
            942370,
            Sqli,
            2,
            Critical,
            ATTACK,
            DEC,
            Regex(r##"\(\s*(?:\|\||&&)\s*[\w'"(@-]"##),
            "SQL logic operator right after an opening paren (its left operand cut off)",
        ),
        rule(
            942380,
            Sqli,
            2,
            Critical,
            ATTACK,
            NO_COMMENTS,
            Regex(r##"(?:=|<>|!=|<|>|\bin|\blike)\s*\(\s*select\b"##),
            "Subquery after a comparison",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::waf::transform::apply_chain;

    /// Whether rule `id` fires on `input` (its chain applied, compiled as the engine does).
    fn fires(id: u32, input: &str) -> bool {
        let r = rules()
            .into_iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("no rule {id}"));
        let Regex(p) = r.check else {
            panic!("rule {id} is no regex")
        };
        let re = regex::RegexBuilder::new(p)
            .case_insensitive(true)
            .build()
            .unwrap_or_else(|e| panic!("rule {id}: {e}"));
        re.is_match(&apply_chain(r.pipeline, input))
    }

    #[test]
    fn every_rule_here_is_paranoia_two() {
        assert!(rules().iter().all(|r| r.paranoia == 2));
    }

    #[test]
    fn a_comparison_cut_at_its_quote_fires_but_a_whole_one_does_not() {
        assert!(fires(942330, "something LIKE '"));
        assert!(fires(942330, "id = ("));
        assert!(!fires(942330, "name like 'bob'"));
        assert!(!fires(942330, "price >= 10"));
    }

    #[test]
    fn an_in_list_as_the_value_fires_but_prose_with_a_list_does_not() {
        assert!(fires(942400, "in (0,1)"));
        assert!(fires(942400, " in ( Aa,- Ab-, and Ac)"));
        assert!(fires(942400, "id in (1, 2, 3)"));
        assert!(!fires(942400, "made in (China, Japan)"));
        assert!(!fires(942400, "in (roughly, say) two days"));
    }

    #[test]
    fn backtick_identifiers_closing_the_input_fire_but_markdown_code_does_not() {
        assert!(fires(942510, "` AS `documentType` FROM"));
        assert!(fires(942510, "admin@juice-sh.op`;"));
        assert!(!fires(942510, "run `npm install` as `root` first"));
        assert!(!fires(942510, "use `ls`; then `cd`"));
    }

    #[test]
    fn selecting_catalog_columns_fires_but_naming_one_does_not() {
        assert!(fires(942141, "SELECT{_ .``1.e.table_name}"));
        assert!(!fires(942141, "the table_name field is required"));
    }

    #[test]
    fn sql_only_functions_fire_but_words_without_a_call_do_not() {
        assert!(fires(942410, ", FIND_IN_SET('22', Category )"));
        assert!(fires(942410, "ifnull(a, 0)"));
        assert!(!fires(942410, "find in set of results"));
    }

    #[test]
    fn entity_encoded_quotes_before_logic_fire_but_possessives_do_not() {
        assert!(fires(942521, "&apos; OR"));
        assert!(fires(942521, "1&#39; and 1=1"));
        assert!(!fires(942521, "the boys&apos; and girls&apos; rooms"));
        assert!(!fires(942521, "it&apos;s over"));
    }

    #[test]
    fn nested_comments_fire_but_two_comments_do_not() {
        assert!(fires(942440, "1/* /*/ */ */ or 1=1-"));
        assert!(!fires(942440, "/* one */ x /* two */"));
    }

    #[test]
    fn statements_stacked_after_a_semicolon_fire_but_prose_does_not() {
        assert!(fires(942350, ";truncate[xx"));
        assert!(fires(942350, "1; drop table users"));
        assert!(fires(942350, "x'; update users set role='admin"));
        assert!(!fires(942350, "done; drop me a line"));
        assert!(!fires(942350, "ok; update the docs"));
    }

    #[test]
    fn a_keyword_after_leading_punctuation_fires_but_a_plain_one_does_not() {
        assert!(fires(942361, "/CREATE TABLE Persons"));
        assert!(fires(942361, "'; select 1"));
        assert!(!fires(942361, "drop table reservation"));
        assert!(!fires(942361, "/select-quote"));
    }

    #[test]
    fn exec_paren_at_the_start_fires_but_a_method_call_does_not() {
        assert!(fires(942362, "Execute("));
        assert!(fires(942362, "exec('dir')"));
        assert!(!fires(942362, "execute()"));
        assert!(!fires(942362, "cursor.execute('x')"));
    }

    #[test]
    fn a_condition_then_a_comment_fires_but_one_without_does_not() {
        assert!(fires(942340, "\"a\"\" or 3=3--\""));
        assert!(fires(942340, "x' and 'a'='a'#"));
        assert!(!fires(942340, "or 3=3"));
        assert!(!fires(942340, "red or blue -- your pick"));
    }

    #[test]
    fn a_logic_operator_without_left_operand_fires_but_a_complete_one_does_not() {
        assert!(fires(942370, "(||6)"));
        assert!(fires(942370, "( && 1=1"));
        assert!(!fires(942370, "(a || b)"));
    }

    #[test]
    fn a_subquery_after_a_comparison_fires_but_a_parenthesised_word_does_not() {
        assert!(fires(942380, "var= @.= ( SELECT"));
        assert!(fires(942380, "id in (select id from t)"));
        assert!(!fires(942380, "pick one (select all that apply)"));
    }
}
