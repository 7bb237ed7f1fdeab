//! SQL injection rules (942xxx): the tokenizer/grammar detector plus regexes for
//! SQL idioms that are unambiguous on their own (time delays, file access, system
//! catalogs, error-based functions).
use super::pipelines::*;
use super::targets::*;
use super::{Category::Sqli, Check::*, RuleDef, Severity::*, rule};
use crate::waf::sqli::{
    comment_splits_sql_word, invisible_mark_len, is_sql_statement, is_sqli, joined_words,
};
use crate::waf::symbols::Symbols;
use crate::waf::transform::{
    hex_val, html_entity_decode, named_entity, remove_comments, replace_comments,
};
use std::borrow::Cow;
use std::sync::LazyLock;

/// The grammar detector on the value and, when it has C comments, on the value without them
/// (`UN/**/ION` evasions aimed at filters that strip comments), with them as the
/// spaces SQL reads (`SELECT/**/pg_sleep(5)`) and with only those that split a SQL
/// word removed (`/**/UN/**/ION/**/SEL/**/ECT/**/password`; `un<>ion sel<>ect`,
/// `un","ion` and zero-width spaces inside words too); when it is peppered with
/// `%` signs that are no escape (`%S%E%L%E%C%T`, which ASP servers drop), on the value
/// without them; when a SQL word sits between `+` signs (`'+or+'1'='1`), with them as
/// spaces; with typographic quotes and dashes as the ASCII ones a best-fit code page
/// conversion makes of them (`1′) and '1′='1–`); with its HTML character references
/// decoded (`1&#39;&#32;OR&#32;1=1`, a payload HTML-encoded to slip past filters that
/// look for quotes and spaces); and when the value is itself a parameter
/// (`id=1 or 1=1`), on what follows its `=`.
fn sqli_detector(s: &str) -> bool {
    detect(s, MAX_NESTED_READINGS)
}

/// How many readings may nest (an entity-encoded parameter inside a parameter):
/// each one reads a shorter value again, and `a=a=a=…` or `&#38;#38;#38;…` would
/// otherwise nest once per few bytes.
const MAX_NESTED_READINGS: u8 = 3;

/// The characters each further reading of a value needs: most values hold none
/// of them, told by one pass over the value rather than a byte search each.
const SLASH: Symbols = Symbols::of_bytes(b"/");
const PERCENT: Symbols = Symbols::of_bytes(b"%");
const PLUS: Symbols = Symbols::of_bytes(b"+");
/// `<>`, `","` and the invisible characters (`has_split_mark`).
const SPLIT_MARK_START: Symbols = Symbols::of_bytes(b"<\"").with(Symbols::NON_ASCII);
const BACKSLASH: Symbols = Symbols::of_bytes(b"\\");
const AMPERSAND: Symbols = Symbols::of_bytes(b"&");
const EQUALS: Symbols = Symbols::of_bytes(b"=");

fn detect(s: &str, depth: u8) -> bool {
    let b = s.as_bytes();
    if is_sqli(s) {
        return true;
    }
    let symbols = Symbols::of(s);
    let has = |set: Symbols| symbols.has_any(set);
    if (has(SLASH)
        && s.contains("/*")
        && (is_sqli(&remove_comments(s))
            || is_sqli(&replace_comments(s))
            || joined_words(s).is_some_and(|j| is_sqli(&j))))
        || (has(PERCENT) && stray_percents(s) >= 4 && is_sqli(&s.replace('%', "")))
        || (has(PLUS) && plus_spaced(b) && is_sqli(&s.replace('+', " ")))
    {
        return true;
    }
    if has(SPLIT_MARK_START) && has_split_mark(b) && joined_words(s).is_some_and(|j| is_sqli(&j)) {
        return true;
    }
    // Every reading again once quotes are ASCII: `[“1')) union se”,”lect 1#”]`.
    if has(Symbols::NON_ASCII)
        && let Some(ascii) = best_fit(s)
        && match depth {
            0 => is_sqli(&ascii),
            _ => detect(&ascii, depth - 1),
        }
    {
        return true;
    }
    if has(BACKSLASH) && escapes(b).is_some_and(|plain| is_sqli(&plain)) {
        return true;
    }
    let Some(deeper) = depth.checked_sub(1) else {
        return false;
    };
    (has(AMPERSAND) && entities(s).is_some_and(|plain| detect(&plain, deeper)))
        || (has(EQUALS)
            && parameter_value(b).is_some_and(|v| detect(&s[s.len() - v.len()..], deeper)))
}

/// The value with its typographic quotes and dashes as ASCII (`′` `’` `ʼ` as `'`,
/// `″` `“` as `"`, `–` `—` as `-`), as Windows' best-fit conversion to an ANSI code
/// page hands them to a database; `None` when it has none. Prose with curly
/// apostrophes reads as prose with straight ones.
fn best_fit(s: &str) -> Option<String> {
    // Every character mapped here is encoded with a 0xCA or 0xE2 lead byte (most
    // values are ASCII: `detect` asks only about the others).
    let b = s.as_bytes();
    if !b.contains(&0xE2) && !b.contains(&0xCA) {
        return None;
    }
    let mut changed = false;
    let out = s
        .chars()
        .map(|c| {
            let a = match c {
                '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{2032}' | '\u{02B9}' | '\u{02BC}' => '\'',
                '\u{201C}' | '\u{201D}' | '\u{2033}' => '"',
                '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
                c => return c,
            };
            changed = true;
            a
        })
        .collect();
    changed.then_some(out)
}

/// The value with its C-style `\xHH` and JavaScript/JSON `\u00HH` escapes of ASCII
/// characters decoded (`\x27UNION SELECT`, `\u0027 OR 1=1`), and its escaped quotes
/// unescaped (`1\' OR \'a\'=\'a`), as PHP, JavaScript, Python and JSON string
/// literals built from the value read them (a JSON document carried in a query
/// parameter, or an application that strips the slashes `addslashes` added);
/// `None` when it has none.
fn escapes(b: &[u8]) -> Option<String> {
    // Most values have no backslash: one byte search rules them out, with no
    // substring searcher to set up.
    memchr::memchr_iter(b'\\', b).find(|&i| escape_at(b, i).is_some())?;
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match escape_at(b, i) {
            Some((byte, len)) => {
                out.push(byte);
                i += len;
            }
            None => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    (out.len() < b.len())
        .then(|| String::from_utf8(out).ok())
        .flatten()
}

/// The value with its HTML character references decoded, when it has a numeric one
/// (`&#39;`, `&#x27;`) or a named one closed by `;` other than `&amp;` (a quote,
/// `&quot;`, or an operator, `or 20 &gt; 1`); `None` otherwise. Prose with `&amp;`
/// alone is left as it is.
fn entities(s: &str) -> Option<String> {
    let b = s.as_bytes();
    memchr::memchr_iter(b'&', b).find(|&i| {
        let rest = &b[i + 1..];
        if rest.first() == Some(&b'#') {
            return true;
        }
        let name = rest
            .iter()
            .take(10)
            .take_while(|c| c.is_ascii_alphabetic())
            .count();
        rest.get(name) == Some(&b';')
            && !rest[..name].eq_ignore_ascii_case(b"amp")
            && named_entity(&rest[..name]).is_some()
    })?;
    match html_entity_decode(s) {
        Cow::Owned(plain) => Some(plain),
        Cow::Borrowed(_) => None,
    }
}

/// The byte an escape at `i` stands for, and the escape's length: `\'` and `\"`
/// (2 bytes), `\xHH` (4) and `\u00HH` (6), the last two for ASCII only.
fn escape_at(b: &[u8], i: usize) -> Option<(u8, usize)> {
    if b[i] != b'\\' {
        return None;
    }
    let digits = match *b.get(i + 1)? {
        q @ (b'\'' | b'"') => return Some((q, 2)),
        b'x' => i + 2,
        b'u' if b.get(i + 2..i + 4) == Some(b"00") => i + 4,
        _ => return None,
    };
    let (h, l) = (hex_val(*b.get(digits)?)?, hex_val(*b.get(digits + 1)?)?);
    (h < 8).then_some((h * 16 + l, digits + 2 - i))
}

/// What follows `name=` when the value starts as a query-string parameter does
/// (`id=1 or 1=1`): a form or URL carried in one field, whose inner value the
/// application may read. `None` when it does not, when nothing follows, or when
/// the value is a filter expression that compares names on both sides of its
/// logic (`a=1 or b=2`), which reads as a condition list, not as a parameter.
pub(in crate::waf) fn parameter_value(b: &[u8]) -> Option<&[u8]> {
    if !b.first().is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    let name = b
        .iter()
        .take(33)
        .take_while(|&&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
        .count();
    let rest = b.get(name..)?.strip_prefix(b"=")?;
    (!rest.is_empty() && !rest.starts_with(b"=") && !compares_a_name_after_logic(rest))
        .then_some(rest)
}

/// After the first logic word (`or`, `and`, `||`, `&&`), a name and a comparison
/// operator: `1 or b=2`, `5 AND y < 6`.
fn compares_a_name_after_logic(b: &[u8]) -> bool {
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let Some(after) = (0..b.len()).find_map(|i| {
        let rest = &b[i..];
        if rest.starts_with(b"||") || rest.starts_with(b"&&") {
            return Some(&rest[2..]);
        }
        if i > 0 && word(b[i - 1]) {
            return None;
        }
        [&b"or"[..], b"and"].iter().find_map(|w| {
            let n = w.len();
            (rest.len() > n && rest[..n].eq_ignore_ascii_case(w) && !word(rest[n]))
                .then(|| &rest[n..])
        })
    }) else {
        return false;
    };
    let after = after.trim_ascii_start();
    let name = after.iter().take_while(|&&c| word(c)).count();
    name > 0
        && after[0].is_ascii_alphabetic()
        && after[name..]
            .trim_ascii_start()
            .first()
            .is_some_and(|c| b"=<>!".contains(c))
}

/// Marks other than comments that `joined_words` takes out of a word: `<>`, a
/// JSON array's seam `","`, and invisible characters (zero-width spaces and
/// joiners, the word joiner, the byte-order mark, the soft hyphen).
///
/// Byte loops behind a `memchr`: a substring search costs more to set up than a
/// short value costs to read, and most values hold neither `<` nor `"`, and are
/// ASCII (which the invisible characters are not).
fn has_split_mark(b: &[u8]) -> bool {
    (memchr::memchr2(b'<', b'"', b).is_some() && b.windows(2).any(|w| w == b"<>" || w == b"\","))
        || (!b.is_ascii()
            && memchr::memchr3_iter(0xE2, 0xEF, 0xC2, b)
                .any(|i| invisible_mark_len(&b[i..]).is_some()))
}

/// A SQL word with a `+` on each side (`1'+or+'1'='1--`, `0+union+select+1`): a
/// form-encoded payload sent where `+` is not decoded (JSON, a double-encoded
/// query). "c++ or java", `a+b` and base64 have none.
fn plus_spaced(b: &[u8]) -> bool {
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

/// A scanner's syntax-error probe: the value, one word at most, ends in a
/// run of quotes, parentheses, commas and dots with both quote kinds and a
/// parenthesis in it (`1'"(`, sqlmap's heuristic `1'.),("(.(`, wapiti's
/// `1\xBF'"(`), or one quote kind with two parentheses, a comma and a dot
/// (ghauri's `1',..))`), which breaks any SQL, JavaScript or shell string the value is
/// pasted into. Code that quotes quotes (`replace('"', "'")`) has more around it.
/// Also a run of both quotes and both angle brackets (sqlmap's heuristic
/// `1'DDVVJL<'">wLNSBt`), which breaks a SQL string and an HTML attribute at once.
fn syntax_error_probe(s: &str) -> bool {
    let b = s.trim_end().as_bytes();
    if quote_angle_run(b) {
        return true;
    }
    let run = b
        .iter()
        .rev()
        .take_while(|c| matches!(c, b'\'' | b'"' | b'(' | b')' | b',' | b'.'))
        .count();
    if !(3..=16).contains(&run) {
        return false;
    }
    let (word, tail) = b.split_at(b.len() - run);
    let parens = tail.iter().filter(|&&c| c == b'(' || c == b')').count();
    let quotes = tail.iter().filter(|&&c| c == b'\'' || c == b'"').count();
    word.len() <= 32
        && word
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c >= 0x80)
        && ((tail.contains(&b'\'') && tail.contains(&b'"') && parens > 0)
            // One quote kind, with every other breaker: ghauri's `1',..))`.
            || (quotes > 0 && parens >= 2 && tail.contains(&b',') && tail.contains(&b'.')))
}

/// A run of four or more quotes and angle brackets holding both quote kinds and
/// both brackets: `<'">`, `'"><`.
fn quote_angle_run(b: &[u8]) -> bool {
    // One pass: the kinds seen since the run began, one bit each.
    let mut seen = 0u8;
    b.iter().any(|&c| {
        let kind = match c {
            b'\'' => 1,
            b'"' => 2,
            b'<' => 4,
            b'>' => 8,
            _ => 0,
        };
        seen = if kind == 0 { 0 } else { seen | kind };
        seen == 15
    })
}

/// `%` signs before a letter or digit that no escape decoded: the value is
/// URL-decoded until stable first, so in `%S%E%L%E%C%T` and `%A%N%D %1%=%1` each
/// one is noise an ASP server drops.
pub(crate) fn stray_percents(s: &str) -> usize {
    s.as_bytes()
        .windows(2)
        .filter(|w| w[0] == b'%' && w[1].is_ascii_alphanumeric())
        .count()
}

/// SQL words a filter may strip once, leaving the same word behind when it is
/// written around itself (`ununionion`, `SEselectLECT`): 942442.
const STRIPPED_WORDS: &[&str] = &[
    "and", "char", "concat", "declare", "delete", "drop", "exec", "execute", "from", "group",
    "having", "insert", "into", "limit", "order", "select", "sleep", "table", "union", "update",
    "waitfor", "where",
];

/// A word made of a SQL word with the same word inside it (`ununionion`,
/// `UNunionION`, `SEselectLECT`, `frfromom`): what is left when a filter removes
/// the inner word once is the outer one. Nobody writes such a word for any other
/// reason. One alternative per word and split, between word boundaries, so the
/// rule joins the regex sets' scan.
static NESTED_WORDS: LazyLock<String> = LazyLock::new(|| {
    let forms: Vec<String> = STRIPPED_WORDS
        .iter()
        .flat_map(|k| (1..k.len()).map(move |p| format!("{}{k}{}", &k[..p], &k[p..])))
        .collect();
    format!(r"\b(?:{})\b", forms.join("|"))
});

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
            942441,
            Sqli,
            1,
            Critical,
            ATTACK,
            DEC,
            Detector(comment_splits_sql_word, b"*"),
            "Inline comment inside a SQL word (DR/**/OP, ORD/**/ER)",
        ),
        rule(
            942442,
            Sqli,
            1,
            Critical,
            ATTACK,
            DEC,
            Regex(NESTED_WORDS.as_str()),
            "SQL word written around itself for a filter to strip (ununionion, SEselectLECT)",
        ),
        rule(
            942530,
            Sqli,
            1,
            Critical,
            ATTACK,
            DEC,
            Detector(syntax_error_probe, b"'\""),
            "Syntax-error probe: a word, then quotes of both kinds and a parenthesis",
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
            942104,
            Sqli,
            1,
            Critical,
            ATTACK,
            NO_COMMENTS,
            // Postgres's error-based probe: a session value cast to a number fails
            // with the value in the error message (`1+current_user::int`).
            Regex(
                r##"\b(?:current_user|session_user|current_database\s*\(\s*\)|current_schema\s*\(\s*\)|version\s*\(\s*\)|inet_server_addr\s*\(\s*\))\s*::\s*(?:int[248]?|integer|numeric|bigint|smallint)\b"##,
            ),
            "Postgres session value cast to a number (error-based probe)",
        ),
        rule(
            942105,
            Sqli,
            1,
            Critical,
            ATTACK,
            DEC,
            // A sort column with its direction, cut off by a comment: the probe for
            // a value pasted into `ORDER BY` (`1 ASC -- `, `name DESC#`).
            Regex(r##"^\s*[\w.`"\[\]]+\s+(?:asc|desc)\s*(?:--|#|/\*)"##),
            "Sort direction cut off by a SQL comment",
        ),
        rule(
            942106,
            Sqli,
            1,
            Critical,
            ATTACK,
            NO_COMMENTS,
            // A value that is a SELECT of two long numbers' product or sum, to see
            // whether the field is run as SQL (`select 958781*878460`, an
            // exploit in nuclei's templates): the same probe scanners send to
            // eval (933190).
            Regex(r##"^\s*\(?\s*select\s+\d{3,}\s*[*+]\s*\d{3,}\s*\)?\s*(?:;|--|#|$)"##),
            "SELECT of two long numbers as the whole value (SQL evaluation probe)",
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
                r##"(?:^|[^\w.:])(?:load_file|pg_read_file|pg_read_binary_file|pg_ls_dir|lo_import|lo_export|lo_get|lo_put|lo_from_bytea|sys_eval|sys_exec|load_extension)\s*\(|\b(?:utl_file|utl_http|utl_inaddr|dbms_java|dbms_xmlgen|dbms_xmlquery|ctxsys\.drithsx)\s*\.|\binto\s+(?:out|dump)file\b|\bcopy\s+\(?\s*select\b.*\bto\s+program\b|\bcopy\s+[\w."]+\s+(?:from|to)\s+program\s*['"$]|\bcopy\s*\(\s*select\b[^;]*?\)\s*to\s*'/|\battach\s+database\s+['"]|\bbackup\s+(?:database|log)\s+[\w\[\]."]+\s+to\s+(?:disk|url|tape)s?\s*="##,
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
                r##"\b(?:information_schema[`"\]]?\s*\.|mysql[`"\]]?\s*\.\s*[`"\[]?(?:user|db)\b|sysobjects\b|syscolumns\b|sys[`"\]]?\s*\.\s*[`"\[]?(?:tables|objects|databases|sql_logins|all_columns)\b|pg_catalog[`"\]]?\s*\.|pg_shadow\b|sqlite_(?:temp_)?master\b|sqlite_schema\b|all_tables\b|sysdatabases\b|tempdb\b|sysaux\b|pg_toast\b|sys\s*\.\s*database_name\b|msys(?:accessstorage|accessxml|aces|queries|relationships|modules2?)\b|user_tables\b|dba_users\b|msysaccessobjects\b|msysobjects\b|sysibm\s*\.)"##,
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
                r##"\bcase\s+when\s+[\w.()'"@]+\s*(?:=|<>|!=|<|>|\blike\b|\bis\b)[^;]*?\bthen\b|\b(?:if|iif)\s*\(\s*\(?\s*(?:select\b|ascii\s*\(|substr(?:ing)?\s*\(|length\s*\(|mid\s*\(|ord\s*\(|\d+\s*(?:[=<>]|<>|!=|\blike\b)\s*\d)"##,
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
                // The table after FROM is no article: "or select components
                // from the toolbars" is a help text (`the`, `a` and `an` spelled
                // out, as the regex engine has no lookahead). `\b` goes with the
                // words only: before `||` it asked for a letter glued to it.
                r##"\b(?:ascii|ord|substr(?:ing)?|mid|length)\s*\(\s*\(?\s*select\b|(?:\b(?:and|or)|&&|\|\|)\s+\(?\s*select\s+.+\bfrom\s+(?:[^\sta]|t(?:$|[^h]|h(?:$|[^e]|e\w))|a(?:[^\sn]|n\w))"##,
            ),
            "SQL blind extraction with a subquery",
        ),
        rule(
            942240,
            Sqli,
            1,
            Critical,
            ATTACK,
            NO_COMMENTS,
            Regex(
                r##"\balter\s+(?:database|table|schema)\s+[\w`".]+\s+(?:convert\s+to\s+|default\s+)?char(?:acter)?\s+set\s+\w|\bmerge\s+into\s+[\w`".]+(?:\s+\w+)?\s+using\s*\(|\bexecute\s+immediate\s*['"]|\bmatch\s*\(\s*[\w`.]+(?:\s*,\s*[\w`.]+)*\s*\)\s*against\s*\("##,
            ),
            "SQL charset switch, MERGE USING, EXECUTE IMMEDIATE or MATCH AGAINST",
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
            // A `#` before a digit is a number sign (`7" #2`, `"#2A1100"`), and
            // `#!`, `#[`, `#{` are code (a shebang, a Rust attribute, a
            // template); the grammar reads `admin'#1` at paranoia 1 anyway.
            Regex(r##"['"`]\s*(?:--|#(?:$|[^0-9!\[{])|/\*|;)|\b(?:or|and)\s+\d+\s*[=<>]+\s*\d+"##),
            "Quote followed by a SQL comment, or numeric tautology",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::waf::rules::fires;

    #[test]
    fn a_quote_then_a_comment_is_told_from_a_number_sign() {
        for a in [
            "admin'#",
            "admin' #x",
            "x\"#\n",
            "1' -- -",
            "1';select 1",
            "'/*",
        ] {
            assert!(fires(942310, a), "missed {a}");
        }
        for b in [
            "7\" #2 circular needle",
            "\"#2 MOM\"",
            "{\"color\":\"#2A1100\"}",
            "the `#![no_std]` attribute",
            "`#[derive(Debug)]`",
            "'#{name}'",
        ] {
            assert!(!fires(942310, b), "fired on {b}");
        }
    }

    #[test]
    fn a_subquery_after_a_logic_word_fires_but_a_help_text_choosing_from_the_toolbar_does_not() {
        for a in [
            "1 or select password from users",
            "x' and (select count(*) from information_schema.tables)>0--",
            "1 OR SELECT 1 FROM t",
            "1 or select name from the_users",
            "1 || select user from a1",
            "1 or select x from another",
        ] {
            assert!(fires(942260, a), "missed {a:?}");
        }
        for b in [
            "Type an expression or select components from the toolbars, and press Return",
            "Open a file or select one from a list",
            "and select an item from an earlier order",
            "Drag it here or select files from THE desktop",
        ] {
            assert!(!fires(942260, b), "fired on {b:?}");
        }
    }

    #[test]
    fn a_select_of_two_long_numbers_is_an_evaluation_probe() {
        for a in [
            " select 958781*878460 ",
            "SELECT 1234+5678;",
            "(select 111*222)--",
        ] {
            assert!(fires(942106, a), "missed {a}");
        }
        for b in [
            "select 2*3",
            "select 1000 items",
            "select 958781*878460 rows from t",
        ] {
            assert!(!fires(942106, b), "flagged {b}");
        }
    }

    #[test]
    fn a_sort_direction_cut_off_by_a_comment_is_a_probe() {
        for a in [
            "1 ASC  -- ",
            "Widget DESC  -- ",
            "name desc#",
            "`t`.`c` asc/*",
        ] {
            assert!(fires(942105, a), "missed {a}");
        }
        for b in [
            "name desc",
            "price asc, name",
            "sort by date desc -- newest first",
        ] {
            assert!(!fires(942105, b), "flagged {b}");
        }
    }

    #[test]
    fn a_postgres_session_value_cast_to_a_number_is_an_error_probe() {
        for a in [
            "1+current_user::int",
            "1 AND 7=version()::int",
            "current_database( ) :: integer",
        ] {
            assert!(fires(942104, a), "missed {a}");
        }
        for b in [
            "user::int",
            "current_user",
            "fe80::1",
            "x :: Int",
            "count(*)::int",
        ] {
            assert!(!fires(942104, b), "flagged {b}");
        }
    }

    #[test]
    fn a_run_of_both_quotes_and_a_parenthesis_ending_a_short_value_is_a_probe() {
        for a in [
            "1'\"(",
            "'\"(",
            "1'.),(\"(.(",
            "1\u{FFFD}'\"(",
            "abc\")('",
            "1'DDVVJL<'\">wLNSBt",
            "Widget'TfUrpm<'\">DRDTcR",
            "1',..))",
            "1\",..))",
        ] {
            assert!(syntax_error_probe(a), "missed {a:?}");
        }
        for b in [
            "s.replace('\"', \"'\")",
            "it's \"(a)\"",
            "'\"",
            "O'Brien said \"hi\" (twice)",
            "\"Hello.\"",
            "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6'\"(",
            "<a href=\"x\">it's</a>",
            "'<b>\"bold\"</b>'",
            "done.'))",
            "f(a),(b).'",
        ] {
            assert!(!syntax_error_probe(b), "flagged {b:?}");
        }
    }

    #[test]
    fn hex_escaped_quotes_and_words_are_read_decoded() {
        assert!(sqli_detector("\\x27UNION SELECT 1,2--"));
        assert!(sqli_detector("\\x27\\x20or\\x201=1--"));
        assert!(!sqli_detector("printf(\"\\x27 is a quote\")"));
        assert!(!sqli_detector("C:\\xampp\\htdocs or D:\\x64"));
        assert!(sqli_detector(
            "\\u0031\\u0027\\u0020OR\\u00201=1\\u002D\\u002D"
        ));
        assert!(sqli_detector(
            "{\"q\":\"\\u0027 union select password from users--\"}"
        ));
        assert!(!sqli_detector("C:\\users\\u0041dmin or D:\\u00"));
        assert!(!sqli_detector("caf\\u00e9 \\u2019s menu"));
        assert!(sqli_detector(
            "1\\' OR \\'xxzi\\'=REGEXP_SUBSTRING(REPEAT(LEFT(CRYPT_KEY(\\'AES\\',NULL),0),500000000),NULL)-- -"
        ));
        assert!(sqli_detector("1\\\") OR \\\"a\\\"=\\\"a\\\"-- -"));
        assert!(!sqli_detector("He said \\\"hi\\\" or \\\"bye\\\""));
        assert!(!sqli_detector(
            "{\\\"name\\\": \\\"O\\'Brien\\\", \\\"n\\\": 1}"
        ));
    }

    #[test]
    fn nested_readings_are_bounded() {
        // One reading per few bytes would nest 30,000 deep: on a worker thread's
        // stack, that is a crash. Each runs on a thread with tokio's 2 MiB stack.
        for v in [
            "a=".repeat(60_000),
            format!("&#38;{}", "#38;".repeat(30_000)),
        ] {
            let r = std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || sqli_detector(&v))
                .unwrap()
                .join();
            assert!(r.is_ok());
        }
        assert!(sqli_detector("q=id=1 or 1=1--"));
        assert!(sqli_detector("q=1&#39;&#32;or&#32;1=1--"));
    }

    #[test]
    fn html_encoded_payloads_are_read_decoded() {
        for attack in [
            "1&#39;&#32;OR&#32;1&#61;1&#45;&#45;",
            "1&#34;&#41;&#41;&#32;AND&#32;1710&#61;&#40;SELECT&#32;COUNT&#40;&#42;&#41;&#32;FROM&#32;INFORMATION_SCHEMA&#46;COLUMNS&#41;&#35;",
            "&#x31;&#x27;&#x20;&#x75;&#x6e;&#x69;&#x6f;&#x6e;&#x20;&#x73;&#x65;&#x6c;&#x65;&#x63;&#x74;&#x20;&#x31;&#x2c;&#x32;&#x2d;&#x2d;",
            "1&quot; OR &quot;a&quot;=&quot;a",
            // An operator written as a named reference, as an HTML-escaping layer
            // (or a guide rendered to HTML) hands it on.
            "or 20 &gt; 1",
            "1 or 2&lt;3--",
        ] {
            assert!(sqli_detector(attack), "missed {attack:?}");
        }
        for benign in [
            "O&#39;Brien &amp; Sons",
            "use &lt;select&gt; or &lt;input&gt; for the choice",
            "a &gt; b or c &lt; d",
            "Tom &amp; Jerry&#39;s &quot;best&quot; episodes, 1940&#45;1958",
            "caf&#233; &#8211; open 9&#8211;5",
            "AT&T select plan",
        ] {
            assert!(!sqli_detector(benign), "flagged {benign:?}");
        }
    }

    #[test]
    fn conditional_probes_fire_with_any_comparison_of_numbers() {
        assert!(fires(942230, "FOO,IIF(2510<>9436,FOO,1/0)"));
        assert!(fires(942230, "IF(7423 LIKE 7424) SELECT 7423"));
        assert!(fires(942230, "if(1=1,sleep(5),0)"));
        assert!(!fires(942230, "if (you like it) then buy"));
    }

    #[test]
    fn charset_switch_merge_and_match_against_fire_but_prose_does_not() {
        assert!(fires(942240, "alter database x character set utf8"));
        assert!(fires(
            942240,
            "alter table t convert to character set latin1"
        ));
        assert!(fires(942240, "merge into t using (select 1) s on 1=1"));
        assert!(fires(942240, "execute immediate 'select 1'"));
        assert!(fires(942240, "match(a) against ('x')"));
        assert!(!fires(942240, "alter the character set of the page"));
        assert!(!fires(942240, "merge the two branches using git"));
        assert!(!fires(942240, "the match (final) against France"));
    }

    #[test]
    fn catalog_names_fire_quoted_as_identifiers_too() {
        assert!(fires(942140, "FROM `information_schema`.tables"));
        assert!(fires(942140, "from [information_schema].[columns]"));
        assert!(fires(942140, "select * from \"pg_catalog\".pg_tables"));
        assert!(fires(942140, "`mysql`.`user`"));
        assert!(!fires(942140, "the information_schema views"));
        assert!(!fires(942140, "`mysql` user guide"));
        // System databases and tables only a database names.
        assert!(fires(942140, "use tempdb"));
        assert!(fires(942140, "from master..sysdatabases"));
        assert!(fires(942140, "select name from sqlite_temp_master"));
        assert!(!fires(942140, "temp db files are deleted nightly"));
        assert!(!fires(942140, "the system databases page"));
    }

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
        assert!(fires(942200, "1 and 1=load_file('/etc/passwd')"));
        assert!(fires(942200, "load_file(0x2f6574632f706173737764)"));
        assert!(fires(942200, "lo_get(16400)"));
        assert!(fires(942200, "1;SELECT lo_from_bytea(0, $$x$$)"));
        assert!(!fires(942200, "call blob.lo_get(id) here"));
        // A method of the same name: `Bpf::load_file(path)`, `db.load_file(p)`.
        assert!(!fires(942200, "add a simpler Bpf::load_file(path)"));
        assert!(!fires(942200, "call db.load_file(p) first"));
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
    fn typographic_quotes_are_read_as_the_ascii_quotes_best_fit_makes_of_them() {
        assert!(sqli_detector("1\u{2032}) and '1\u{2032}='1\u{2013}"));
        assert!(sqli_detector("' or '1\u{2032}='1"));
        assert!(sqli_detector("\u{2019} or \u{2019}1\u{2019}=\u{2019}1"));
        assert!(!sqli_detector(
            "it\u{2019}s the kids\u{2019} and parents\u{2019} day"
        ));
        assert!(!sqli_detector(
            "he is 5\u{2032} or 6\u{2032} tall \u{2014} maybe"
        ));
        assert!(!sqli_detector("pages 10\u{2013}20, or 30\u{2013}40"));
        // The other readings follow: a JSON array's seam in typographic quotes.
        assert!(sqli_detector(
            "[\u{201c}1807192982')) union se\u{201d},\u{201d}lect 1,2,3#\u{201d}]"
        ));
        assert!(!sqli_detector(
            "[\u{201c}the union\u{201d},\u{201d}select few\u{201d}]"
        ));
    }

    #[test]
    fn a_value_that_is_itself_a_parameter_is_read_after_its_equals_sign() {
        assert!(sqli_detector("var= or 'a'='a"));
        assert!(sqli_detector("id=1 || substr(user,1,1) = 'a'"));
        assert!(sqli_detector("q=1) from users where username='ad1min')"));
        assert!(!sqli_detector("q=select a plan"));
        assert!(!sqli_detector("name=O'Brien"));
        assert!(!sqli_detector("x==y or y==z"));
        assert!(!sqli_detector("sort=newest&order=desc"));
        assert!(!sqli_detector("a=1 or b=2"));
        assert!(!sqli_detector("x=5 AND y < 6"));
        assert!(sqli_detector("id=1 or 1=1"));
    }

    #[test]
    fn percent_signs_that_are_no_escape_are_dropped_before_detection() {
        assert!(sqli_detector("1 %U%N%I%O%N %S%E%L%E%C%T 1,2,3--"));
        // Hex letters and digits too: sqlmap's `percentage` tamper.
        assert!(sqli_detector("%1%'%) %A%N%D %3%0%0%8%=%3%0%0%8%#"));
        assert!(!sqli_detector("printf(\"%d%s%f%x\", a, b, c, d)"));
        // Too few to be an evasion, and the text without them is prose anyway.
        assert!(!sqli_detector("50%off or 20%more"));
        assert!(!sqli_detector("%s or %s is %s, says %t"));
    }

    #[test]
    fn a_sql_word_written_around_itself_fires_wherever_it_nests() {
        for k in STRIPPED_WORDS {
            for p in 1..k.len() {
                let nested = format!("{}{}{}", &k[..p], k.to_uppercase(), &k[p..]);
                assert!(fires(942442, &format!("1 {nested} 2")), "missed: {nested}");
            }
            // The word once, twice, or glued to a number is not the evasion.
            assert!(!fires(942442, &format!("1 {k} {k}{k} 2")), "{k}{k}");
        }
        assert!(fires(942442, "ununionion select 1,2#"));
        assert!(fires(942442, "UNunionION SEselectLECT 1,2,3#"));
        assert!(fires(942442, "-1'/**/uniunionon/**/selselectect/**/1,2--"));
        for benign in [
            "the union of sets, selected from a table",
            "Anand and Anandi",
            "tabletable and fromfrom",
            "token ununionion2x in base64",
            "orderorder",
        ] {
            assert!(!fires(942442, benign), "false positive: {benign}");
        }
    }
}
