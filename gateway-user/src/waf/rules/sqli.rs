//! SQL injection rules (942xxx): the tokenizer/grammar detector plus regexes for
//! SQL idioms that are unambiguous on their own (time delays, file access, system
//! catalogs, error-based functions).
use super::pipelines::*;
use super::targets::*;
use super::{Category::Sqli, Check::*, RuleDef, Severity::*, rule};
use crate::waf::sqli::{is_sql_statement, is_sqli};
use crate::waf::transform::{remove_comments, replace_comments};

/// The grammar detector on the value and, when it has C comments, on the value without them
/// (`UN/**/ION` evasions aimed at filters that strip comments) and with them as the
/// spaces SQL reads (`SELECT/**/pg_sleep(5)`); when it is peppered with
/// `%` signs that are no escape (`%S%E%L%E%C%T`, which ASP servers drop), on the value
/// without them; when a SQL word sits between `+` signs (`'+or+'1'='1`), with them as
/// spaces.
fn sqli_detector(s: &str) -> bool {
    // Byte searches first: most values have neither `/` nor `%`, and a substring
    // search costs more to set up than a short value costs to read. One search for
    // the three bytes the variants need rules them all out for most values.
    let b = s.as_bytes();
    if is_sqli(s) {
        return true;
    }
    if memchr::memchr3(b'/', b'%', b'+', b).is_none() {
        return false;
    }
    (b.contains(&b'/')
        && s.contains("/*")
        && (is_sqli(&remove_comments(s)) || is_sqli(&replace_comments(s))))
        || (b.contains(&b'%') && stray_percents(s) >= 4 && is_sqli(&s.replace('%', "")))
        || (plus_spaced(b) && is_sqli(&s.replace('+', " ")))
}

/// A SQL word with a `+` on each side (`1'+or+'1'='1--`, `0+union+select+1`): a
/// form-encoded payload sent where `+` is not decoded (JSON, a double-encoded
/// query). "c++ or java", `a+b` and base64 have none.
fn plus_spaced(b: &[u8]) -> bool {
    if !b.contains(&b'+') {
        return false;
    }
    const WORDS: &[&[u8]] = &[
        b"or", b"and", b"xor", b"union", b"select", b"having", b"order",
    ];
    // Segments between two `+`: every one but the first and the last.
    let mut parts = b.split(|&c| c == b'+').skip(1).peekable();
    while let Some(w) = parts.next() {
        if parts.peek().is_some() && WORDS.iter().any(|k| w.eq_ignore_ascii_case(k)) {
            return true;
        }
    }
    false
}

/// `%` signs followed by a letter that cannot start an escape.
fn stray_percents(s: &str) -> usize {
    s.as_bytes()
        .windows(2)
        .filter(|w| w[0] == b'%' && w[1].is_ascii_alphabetic() && !w[1].is_ascii_hexdigit())
        .count()
}

pub(super) fn rules() -> Vec<RuleDef> {
    vec![
        rule(
            942100,
            Sqli,
            1,
            Critical,
            ATTACK,
            DEC,
            Detector(sqli_detector, b""),
            "SQL injection (tokenizer and grammar)",
        ),
        rule(
            942102,
            Sqli,
            1,
            Critical,
            ATTACK,
            NO_COMMENTS,
            Detector(is_sql_statement, b""),
            "Complete SQL statement as the value",
        ),
        rule(
            942160,
            Sqli,
            1,
            Critical,
            ATTACK,
            NO_COMMENTS,
            Regex(
                r##"\b(?:sleep|pg_sleep|benchmark)\s*\(\s*[\d(@'"]|\bwaitfor\s+(?:delay|time)\s+['"]?\d|\bdbms_(?:pipe\s*\.\s*receive_message|lock\s*\.\s*sleep)\s*\(|\bpg_sleep_for\s*\(|\brandomblob\s*\(\s*\d{6,}"##,
            ),
            "SQL time-based blind probe",
        ),
        rule(
            942190,
            Sqli,
            1,
            Critical,
            ATTACK,
            NO_COMMENTS,
            Regex(
                r##"\b(?:xp_cmdshell|xp_regread|xp_regwrite|xp_dirtree|xp_fileexist|xp_servicecontrol|sp_oacreate|sp_oamethod|sp_executesql|sp_makewebtask|sp_addlogin|sp_addsrvrolemember|sp_configure|sp_password|openrowset|opendatasource)\b|\bdeclare\s+@\w+\s+n?(?:var)?char\b|\bexec(?:ute)?\s*\(\s*@\w+\s*\)|\bexec(?:ute)?\s+(?:master\s*\.\s*\.\s*)?(?:sp|xp)_\w*"##,
            ),
            "MSSQL code execution or linked data source",
        ),
        rule(
            942200,
            Sqli,
            1,
            Critical,
            ATTACK,
            NO_COMMENTS,
            Regex(
                r##"\b(?:load_file|pg_read_file|pg_read_binary_file|pg_ls_dir|lo_import|lo_export|sys_eval|sys_exec|load_extension)\s*\(|\b(?:utl_file|utl_http|utl_inaddr|dbms_java|dbms_xmlgen|dbms_xmlquery|ctxsys\.drithsx)\s*\.|\binto\s+(?:out|dump)file\b|\bcopy\s+\(?\s*select\b.*\bto\s+program\b|\bcopy\s+[\w."]+\s+(?:from|to)\s+program\s*['"$]|\bcopy\s*\(\s*select\b[^;]*?\)\s*to\s*'/|\battach\s+database\s+['"]|\bbackup\s+(?:database|log)\s+[\w\[\]."]+\s+to\s+(?:disk|url|tape)s?\s*="##,
            ),
            "SQL file access, network function or program run",
        ),
        rule(
            942140,
            Sqli,
            1,
            Critical,
            ATTACK,
            NO_COMMENTS,
            Regex(
                r##"\b(?:information_schema\s*\.|mysql\s*\.\s*(?:user|db)\b|sysobjects\b|syscolumns\b|sys\s*\.\s*(?:tables|objects|databases|sql_logins|all_columns)\b|pg_catalog\s*\.|pg_shadow\b|sqlite_master\b|sqlite_schema\b|all_tables\b|user_tables\b|dba_users\b|msysaccessobjects\b|msysobjects\b|sysibm\s*\.)"##,
            ),
            "SQL system catalog access",
        ),
        rule(
            942150,
            Sqli,
            1,
            Critical,
            ATTACK,
            NO_COMMENTS,
            Regex(
                r##"\b(?:extractvalue|updatexml|name_const|gtid_subset|gtid_subtract|st_latfromgeohash|st_longfromgeohash|st_pointfromgeohash|geometrycollection|multipoint|multilinestring|multipolygon|linestring)\s*\(|\bfloor\s*\(\s*rand\s*\(\s*\d*\s*\)\s*\*\s*2\s*\)|\bexp\s*\(\s*~\s*\("##,
            ),
            "SQL error-based extraction function",
        ),
        rule(
            942170,
            Sqli,
            1,
            Critical,
            ATTACK,
            NO_COMMENTS,
            Regex(
                r##"@@(?:version|datadir|hostname|basedir|tmpdir|servername|global|spid|language)\b"##,
            ),
            "SQL server variable",
        ),
        rule(
            942171,
            Sqli,
            1,
            Warning,
            ATTACK,
            NO_COMMENTS,
            Regex(
                r##"\b(?:version|current_user|system_user|session_user|database|schema|db_name|user_name|suser_name|connection_id|last_insert_id)\s*\(\s*\)"##,
            ),
            "SQL server information function",
        ),
        rule(
            942180,
            Sqli,
            1,
            Critical,
            ATTACK,
            NO_COMMENTS,
            Regex(
                r##"\b(?:n?char|chr)\s*\(\s*\d+\s*(?:,\s*\d+\s*)*\)\s*(?:\+|\|\||,|\bconcat\b)|\bconcat(?:_ws)?\s*\(\s*(?:0x[0-9a-f]+|n?char\s*\(|@@|\(\s*select\b)|\bgroup_concat\s*\(|\bstring_agg\s*\(\s*\w+\s*,|\bunhex\s*\(\s*hex\s*\("##,
            ),
            "SQL string building from codes",
        ),
        rule(
            942230,
            Sqli,
            1,
            Critical,
            ATTACK,
            NO_COMMENTS,
            Regex(
                r##"\bcase\s+when\s+[\w.()'"@]+\s*(?:=|<>|!=|<|>|\blike\b|\bis\b)[^;]*?\bthen\b|\b(?:if|iif)\s*\(\s*\(?\s*(?:select\b|ascii\s*\(|substr(?:ing)?\s*\(|length\s*\(|mid\s*\(|ord\s*\(|\d+\s*[=<>]\s*\d)"##,
            ),
            "SQL conditional probe",
        ),
        rule(
            942260,
            Sqli,
            1,
            Critical,
            ATTACK,
            NO_COMMENTS,
            Regex(
                r##"\b(?:ascii|ord|substr(?:ing)?|mid|length)\s*\(\s*\(?\s*select\b|\b(?:and|or|&&|\|\|)\s+\(?\s*select\s+.+\bfrom\b"##,
            ),
            "SQL blind extraction with a subquery",
        ),
        rule(
            942220,
            Sqli,
            2,
            Critical,
            ATTACK,
            NO_COMMENTS,
            Regex(
                r##"\bunion\b(?:\s|\(|/\*.*?\*/)*(?:all\s+|distinct(?:row)?\s+)?\(?\s*select\b"##,
            ),
            "UNION SELECT anywhere",
        ),
        rule(
            942300,
            Sqli,
            2,
            Warning,
            ATTACK,
            NO_COMMENTS,
            Regex(
                r##"\b(?:select\s+.+?\s+from|insert\s+into|delete\s+from|drop\s+(?:table|database)|alter\s+table|update\s+\w+\s+set|truncate\s+table|create\s+(?:table|user|database))\s+[\w`"\[]"##,
            ),
            "SQL statement",
        ),
        rule(
            942310,
            Sqli,
            2,
            Notice,
            ATTACK,
            DEC,
            Regex(r##"['"`]\s*(?:--|#|/\*|;)|\b(?:or|and)\s+\d+\s*[=<>]+\s*\d+"##),
            "Quote followed by a SQL comment, or numeric tautology",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::waf::rules::fires;

    #[test]
    fn program_runs_and_database_files_fire_but_prose_about_copying_does_not() {
        assert!(fires(942200, "COPY shell FROM PROGRAM 'id';"));
        assert!(fires(942200, "COPY (SELECT 'malicious') TO '/tmp/test';"));
        assert!(fires(
            942200,
            "ATTACH DATABASE '/var/www/html/shell.php' AS pwn;"
        ));
        assert!(fires(
            942200,
            "BACKUP database master to disk='\\\\host\\x.dat'"
        ));
        assert!(!fires(942200, "copy it to '/usr/local/bin' and run it"));
        assert!(!fires(942200, "copy files from program memory"));
        assert!(!fires(942200, "attach the database dump to the ticket"));
        assert!(!fires(942200, "backup database nightly to disk"));
    }

    #[test]
    fn plus_signs_for_spaces_are_read_as_spaces_around_sql_words() {
        assert!(sqli_detector("1 +or+1=1;--"));
        assert!(sqli_detector("0'+or+x=x)--"));
        assert!(sqli_detector("-1+union+select+1,2--"));
        assert!(!sqli_detector("rock+or+roll"));
        assert!(!sqli_detector("c++ or java"));
        assert!(!sqli_detector("a+b=c"));
        assert!(!sqli_detector("aGVsbG8+or+d29ybGQ="));
        assert!(!sqli_detector("red +or+ blue, whichever"));
    }

    #[test]
    fn percent_signs_that_are_no_escape_are_dropped_before_detection() {
        assert!(sqli_detector("1 %U%N%I%O%N %S%E%L%E%C%T 1,2,3--"));
        // Too few to be an evasion, and the text without them is prose anyway.
        assert!(!sqli_detector("50%off or 20%more"));
        assert!(!sqli_detector("%s or %s is %s, says %t"));
    }
}
