//! SQL injection shapes (942xxx) read from CRS's paranoia-2 families: fragments
//! that are SQL evidence only when a short value carries them whole (`in (0,1)`,
//! `something LIKE '`), SQL-only functions and encodings the grammar does not read
//! (`FIND_IN_SET(`, `&apos; OR`, nested comments), probes (`1=1`, `"! Y`), and
//! statements stacked after `;`. Anchored patterns (`^...$`) look at the whole value.
//!
//! Each was written at paranoia 2, where CRS keeps its own. Those that fired on no
//! line of the benign corpora (prose, markdown, code, change logs, names, search
//! strings, URLs, JSON, GraphQL: 44,000 placements of the dev halves, the own
//! corpus and four local sets) run at paranoia 1 since round 19 (the tests'
//! `PARANOIA_TWO` names the rest): the ones that did, the two warnings, three
//! whose words are common (the sample database `northwind`, `user()` in code, a
//! catalog name alone, which the engine lets through only at paranoia 2), and two
//! that read the filter languages APIs take (OData's `Name in ('a','b')`, JQL's
//! `priority = 'High' or priority = 'Low'`). 942131 (round 20: an operator alone,
//! `<=>`, `&&`) stays at paranoia 2 as CRS keeps it: a query builder may send one.
use super::pipelines::*;
use super::targets::*;
use super::{Category::Sqli, Check::*, RuleDef, Severity::*, rule};

mod probe;
mod tautology;
use probe::quote_probe;
use tautology::tautology;

/// Keywords that open a SQL statement, for the rules that find one where a
/// value starts (942361, 942362).
macro_rules! statement_keywords {
    () => {
        "(?:create|drop|alter|truncate|insert|delete|update|select|union|declare)"
    };
}

/// Built-in SQL functions, and keywords written with a parenthesis, of
/// MySQL, PostgreSQL, SQL Server, Oracle and SQLite: names many languages
/// share, so 942410 takes them only as a bare `name(` filling the value.
macro_rules! sql_callables {
    () => {
        r"(?:abs|acos|asin|atan2?|ascii|avg|benchmark|bin|cast|ceil(?:ing)?|char|chr|coalesce|compress|concat|convert|cos|cot|count|date|day|decode|default|degrees|encode|exists|exp|extract|field|floor|format|greatest|hex|hour|if|iif|in|insert|instr|isnull|least|left|len|length|ln|locate|log(?:10|2)?|lower|ltrim|max|md5|mid|min|minute|mod|month|now|nullif|oct|ord|password|pg_sleep|pi|position|pow(?:er)?|quarter|quote|radians|rand(?:om)?|repeat|replace|reverse|right|round|rtrim|second|sha[12]?|sign|sin|sleep|space|sqrt|substr(?:ing)?|sum|sysdate|tan|time|timestamp|trim|unhex|upper|user|uuid|values|version|waitfor|week|year)"
    };
}

/// SQL system catalogs and databases, and MSSQL/Oracle procedures and packages,
/// spelled as a plain token (letters, digits, `_`): a whole value that is one of
/// them is a probe (942143). The engine skips plain tokens before any rule, so at
/// paranoia 2 it lets these through to the rules (`plain_sql_name`).
macro_rules! sql_system_names {
    () => {
        "information_schema|pg_catalog|pg_shadow|pg_toast|pg_authid|sqlite_master|sqlite_temp_master|sqlite_schema|sysobjects|syscolumns|sysdatabases|sysusers|msysaccessobjects|msysaccessstorage|msysaccessxml|msysaces|msysobjects|msysqueries|msysrelationships|msysmodules|msysmodules2|tempdb|msdb|xp_cmdshell|xp_dirtree|xp_regread|xp_regwrite|xp_fileexist|xp_subdirs|xp_servicecontrol|xp_availablemedia|xp_loginconfig|xp_makecab|xp_ntsec_enumdomains|xp_terminate_process|sp_executesql|sp_password|sp_oacreate|sp_oamethod|sp_makewebtask|sp_addextendedproc|sp_configure|openrowset|opendatasource|openquery|utl_http|utl_inaddr|utl_file|utl_smtp|utl_tcp|dbms_pipe|dbms_lock|dbms_java|dbms_xmlgen|sys_eval|sys_exec"
    };
}

/// Whether a plain token is one of `sql_system_names!` (ASCII case ignored). It
/// runs on most values at paranoia 2, so the inlined part rejects by length and
/// first two letters (every name starts with one of these pairs).
#[inline]
pub(in crate::waf) fn plain_sql_name(value: &[u8]) -> bool {
    let [a, b, ..] = value else {
        return false;
    };
    (4..=24).contains(&value.len())
        && matches!(
            [a | 0x20, b | 0x20],
            [b'd', b'b']
                | [b'i', b'n']
                | [b'm', b's']
                | [b'o', b'p']
                | [b'p', b'g']
                | [b's', b'p' | b'q' | b'y']
                | [b't', b'e']
                | [b'u', b't']
                | [b'x', b'p']
        )
        && listed_sql_name(value)
}

/// The lookup behind `plain_sql_name`: lengths compared before bytes, the value
/// lowercased as it is compared (the names are lowercase).
fn listed_sql_name(value: &[u8]) -> bool {
    static NAMES: std::sync::LazyLock<Vec<&'static [u8]>> = std::sync::LazyLock::new(|| {
        let mut names: Vec<_> = sql_system_names!().split('|').map(str::as_bytes).collect();
        names.sort_unstable_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
        names
    });
    NAMES
        .binary_search_by(|n| {
            n.len().cmp(&value.len()).then_with(|| {
                n.iter()
                    .copied()
                    .cmp(value.iter().map(u8::to_ascii_lowercase))
            })
        })
        .is_ok()
}

pub(super) fn rules() -> Vec<RuleDef> {
    vec![
        rule(
            942130,
            Sqli,
            1,
            Critical,
            ATTACK,
            NO_COMMENTS,
            // Gated on `=` and quotes, which every tautology read holds (`LIKE`
            // asks for quotes); the gate reads the URL-decoded value, since the
            // later steps add no symbol (`Chains::gate`).
            Detector(tautology, b"='\"`"),
            "SQL tautology: an operand compared with itself after a logic word or a quote break",
        ),
        rule(
            942110,
            Sqli,
            1,
            Critical,
            ATTACK,
            DEC,
            Detector(quote_probe, b"'\"`"),
            "SQL error probe: a short value with a quote left open at its start, right before SQL punctuation, or at its end, right after it",
        ),
        rule(
            942450,
            Sqli,
            2,
            Critical,
            ATTACK,
            DEC,
            Regex(
                r##"\b0x(?:[2-7][0-9a-f]){2,}\b|(?:[=,(]\s*|\b(?:select|then|else|or|and)\s+)0x(?:[2-7][0-9a-f])+\b|\bx'(?:[2-7][0-9a-f]){2,}'"##,
            ),
            "SQL string written as hex (every byte printable ASCII), or a hex character after a SQL operator",
        ),
        rule(
            942520,
            Sqli,
            1,
            Critical,
            ATTACK,
            DEC,
            Regex(
                r##"[\w)]['"]\s*(?:is\s+not\s+null\b|is\s+null\b|not\s+(?:like|between|regexp|rlike|in\s*\()|(?:mod|div)\s+['"\d(]|sounds\s+like\b|collate\s+['"]?\w)|[\w)]['"`]\s*\)*\s*(?:--[\s-]*|#)\s*$|^\s*(?:admin|administrator|root|sa)\s*['"`]\s*(?:$|[^\w\s]|(?:or|and)\b)|[\w)\\]['"]\s*(?:or|and|xor|\|\||&&)\s*(?:not\s+)?[a-z_]\w*\s*\(\s*\w+(?:\s*,\s*\w+)*\s*\)\s*(?:--|#|;)\s*$"##,
            ),
            "Quote closed before a SQL-only operator (IS NULL, NOT LIKE, DIV, COLLATE), before a comment that ends the value, after an administrator's login name, or before a logic word and a call that ends the query (`' or glob (id,id);`)",
        ),
        rule(
            942522,
            Sqli,
            1,
            Critical,
            ATTACK,
            DEC,
            Regex(
                r##"\\['"]\s*\)*\s*(?:or|and|xor|\|\||&&)\s+(?:not\s+)?(?:['"]?\w+['"]?\s*(?:=|<|>|like\b)|true\b|false\b|\d+\s*(?:--|#|$))|\\['`]['`]?(?:or|and|xor)(?:['`\d]|\s*$)"##,
            ),
            "Backslash-escaped quote, then a SQL condition, or a logic word glued to it (`\\'and`, ``\\`or`1``)",
        ),
        rule(
            942210,
            Sqli,
            1,
            Critical,
            ATTACK,
            NO_COMMENTS,
            Regex(
                r##"(?:['"`)]|\b\d+)\s*(?:or|and|xor|\|\||&&)\s*(?:not\s+)?(?:true|false)\b\s*(?:#|;|\)|$|=|or\b|and\b)|(?:['"`)]\s*|\b\d+\s+)(?:or|and|xor|\|\||&&)\s*\(?\s*[\w.'"`]+\s+(?:not\s+)?in\s*\(\s*(?:-?\d+\s*[,)]|'[^']*'\s*[,)]|"[^"]*"\s*[,)]|select\b)|['"`]\s*(?:not\s+)?in\s*\(\s*(?:-?\d+\s*[,)]|select\b)|[\w%]['"`]\s*\)*\s*(?:or|and|xor|\|\||&&)\s*\(?\s*[\w.`]+\s+(?:not\s+)?like\s*['"`]|[\w)]['"]\s*(?:not\s+)?like\s*['"]|^\s*-?\d+\s*=\s*-?\d+\s*=\s*-?\d+|^\s*-?\d+\s*(?:and|xor|div|&&|\|\|)\s*['"]?-?\d+['"]?\s*$"##,
            ),
            "A condition after a quote break or a number: OR TRUE, IN (list), LIKE 'x', or numbers chained by = or a logic word as the value",
        ),
        rule(
            942523,
            Sqli,
            2,
            Critical,
            ATTACK,
            DEC,
            Regex(
                r##"^\s*\w{1,20}(?:'\s*(?:and|or|xor|&&|\|\|)\s*'|"\s*(?:and|or|xor|&&|\|\|)\s*")\w{1,20}\s*$|^\s*['‘’]\w{1,20}['‘’]\s*\|\|\s*['‘’]\w{1,20}['‘’]\s*$"##,
            ),
            "The whole value closes a literal, adds a logic word and opens another (A' OR 'B), or is two literals joined by SQL's concatenation ('test'||'ing')",
        ),
        rule(
            942330,
            Sqli,
            2,
            Critical,
            ATTACK,
            DEC,
            Regex(
                r##"^\s*['"`]?\s*[\w.`\[\]]+\s*(?:=|<>|!=|<=|>=|<|>|(?:\bnot\s+|\bsounds\s+)?(?:\blike|\bilike|\brlike|\bregexp|\bin|\bbetween))\s*['"(]\s*$|^\s*(?:[^"'`\s][^"'`]*|\d+)["'`]\s*(?:or|xor|and|not|div|like|between|\|\||&&)\s*[\w"'`][+&!@()-]|^\s*(?:-?\d+|\w)?['`]\s*$|^\s*['"`]\s*(?:null|(?:or|and|xor|\|\||&&)\s*['"`])\s*$|^\s*(?:'\s+'|"\s+"|`\s+`|"'|'")\s*$|^\s*['"`]\s*=\s*['"`]|^\s*['"`]\s*(?:[-+*/%^|&]|div\b|xor\b|mod\b)\s*\d+\s*(?:--|#|/\*|$)"##,
            ),
            "SQL comparison cut open (a name, an operator and a dangling quote or paren), a literal closed before a logic word and an operator, or a quote probe as the whole value (a lone quote, `-1'`, `'null`, `' or \"`, `' '`, `\"'`)",
        ),
        rule(
            942400,
            Sqli,
            2,
            Critical,
            ATTACK,
            DEC,
            Regex(
                r##"^\s*(?:(?:not\s+)?in\s*\(\s*(?:[^()]*,[^()]*|-?\d+|'[^']*'|"[^"]*")\s*\)?|[\w.`]+\s+(?:not\s+)?in\s*\(\s*(?:-?\d+|'[^']*'|"[^"]*")(?:\s*,\s*(?:-?\d+|'[^']*'|"[^"]*"))+\s*\)?)\s*$"##,
            ),
            "SQL IN list as the whole value",
        ),
        rule(
            942510,
            Sqli,
            1,
            Critical,
            ATTACK,
            DEC,
            Regex(
                r##"`\s*as\s+`[^`\s]+`\s*(?:from\b|,|$)|^\s*`?[^`\s]+`\s*;\s*(?:--|#|$)|\{\s*`\w+`|`[\w$]+`(?:\(|\s*(?:=|<>|!=)\s*['"\d`]|,`)|\bselect\s+`[\w$]+`\s*(?:,\s*`|from\b|where\b|=|#|--|$)|\b(?:from|where|by)\s+`[\w$]+`\s*(?:where\b|=\s*['"\d`]|#|--)"##,
            ),
            "Backtick-quoted SQL identifier closing the input, called, compared, listed or selected",
        ),
        rule(
            942141,
            Sqli,
            1,
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
            1,
            Critical,
            ATTACK,
            NO_COMMENTS,
            // The last form is the probe that asks which names a filter knows
            // (`ABS(`, `if (`, `length||(`): nothing follows the parenthesis.
            Regex(concat!(
                r##"\b(?:find_in_set|make_set|export_set|substring_index|char_length|character_length|octet_length|bit_length|bit_count|strcmp|ifnull|nullif|soundex|uncompress|uncompressed_length|aes_decrypt|aes_encrypt|des_decrypt|des_encrypt|old_password|master_pos_wait|release_lock|get_lock|is_free_lock|is_used_lock|coercibility|collation|convert_tz|str_to_date|sec_to_time|time_to_sec|from_unixtime|timestampdiff|timestampadd|dayofmonth|dayofweek|dayofyear|weekofyear|weight_string|procedure_analyse|coalesce|sys_context|asciistr|rawtohex|rawtonhex|hextoraw|bin_to_num|xmltype|var_samp|var_pop|stddev_samp|stddev_pop|lcase|ucase|date_add|date_sub|date_format|datediff|dayname|monthname|from_days|to_days|to_seconds|makedate|maketime|period_add|period_diff|addtime|adddate|subdate|subtime|inet6?_aton|inet6?_ntoa|is_ipv[46]|crc32|lpad|rpad|nvl2?|to_char|to_number|json_extract|json_keys|elt|concat_ws|nchr|unistr|regexp_(?:substr|like|replace|instr)|last_day|from_base64|to_base64|zeroblob|randomblob|current_setting|string_agg|listagg|xmlagg|xmlelement)\s*\((?:\s*[^\s)]|\s*$)|\b(?:found_rows|row_count|curdate|curtime|utc_timestamp|unix_timestamp|uuid_short|sqlite_version)\s*\(|\b(?:ascii|ord|unicode|hex|bin|length)\s*\(\s*(?:substring|substr|mid|left|right)\s*\(|(?:\b(?:and|or|xor)|&&|\|\|)\s*\(?\s*(?:(?:ascii|substring|substr|mid|length|char|chr|ord|if|ifnull|iif|sleep|benchmark|concat|count|exists|extractvalue|updatexml|hex|unhex|cast|convert|elt|make_set|floor|instr|locate|left|right|lower|upper|md5|sha1|load_file|pg_sleep)\((?:\s*[^\s)]|\s*$)|(?:database|user|version|rand|schema|current_user|system_user|session_user|db_name)\()|^\s*"##,
                sql_callables!(),
                r##"\b[^\w(]{0,8}\(\s*$"##
            )),
            "SQL-only function call, a character's code taken from a substring (`ascii(substring(`, blind extraction), a SQL function called right after a logic word, or a SQL function's name and its parenthesis as the whole value",
        ),
        rule(
            942521,
            Sqli,
            1,
            Critical,
            ATTACK,
            DEC,
            Regex(
                r##"(?:^|[\s\d=(])&(?:apos|quot|#0*3[49]|#x0*2[27]);\s*(?:or|and|xor|union|having|\|\||&&)\b|\\x(?:2[237]|3d)\b"##,
            ),
            "Quote written as an HTML entity, then a SQL logic word",
        ),
        rule(
            942131,
            Sqli,
            2,
            Critical,
            ATTACK,
            DEC,
            // Operators only SQL (or C) writes this way, and two numbers compared
            // unequal: `<=>`, `&&`, `||`, `<<`, `->>`, `1!=11`, `1 is not 2`. The
            // comparison operators a filter API takes as a value (`>=`, `!=`,
            // `like`, `regexp`) are no attack alone.
            // Two numbers matched as patterns (`42 like 42`) are SQL's comparison too.
            Regex(
                r##"^\s*(?:<=>|&&|\|\||<<|>>|->>?|\d+\s*(?:!=|<>|\s+is\s+not\s+)\s*\d+|\d+\s+(?:not\s+)?(?:like|rlike|regexp)\s+\d+)\s*$"##,
            ),
            "SQL operator alone as the value, two numbers compared unequal, or two numbers matched by LIKE",
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
                r##";\s*(?:truncate\b|shutdown\b|drop\s+(?:table|database|schema|user|index|view|procedure|function)\b|(?:create|alter)\s+(?:table|database|schema|user|index|view|procedure|function|trigger|login)\b|insert\s+into\b|delete\s+from\b|update\s+[\w`"\[.]+\s+set\b|declare\s+@|grant\s+\w+(?:\s*,\s*\w+)*\s+on\b)|['"`]\s*;\s*(?:having|begin|while|if|declare)\b"##,
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
            Regex(concat!(
                r##"^\s*[/;'"`)]+\s*"##,
                statement_keywords!(),
                r##"(?:\s|\(|\[|$)"##
            )),
            "SQL keyword after punctuation at the start of the value",
        ),
        rule(
            942362,
            Sqli,
            2,
            Critical,
            ATTACK,
            DEC,
            Regex(concat!(
                r##"^\s*exec(?:ute)?\s*\(\s*(?:['"@]|$)|^\s*exec(?:ute)?\s+(?:master\s*\.\s*\w*\s*\.\s*)?(?:sp|xp)(?:_\w*)?\s*$|^\s*[);!][\W\d]*?\bas\b[^;]{0,40}?\bfrom\b|^\s*[;)][^\w'"`]*"##,
                statement_keywords!(),
                r##"\b|^\s*['"`][^\w'"`]*"##,
                statement_keywords!(),
                r##"\b[^'"`]*$|^\s*(?:drop|truncate|alter)/\*|^\s*drop\s+[\w`".\[\]]+\s*;\s*(?:--|#)[\s-]*$|^\s*from\s+[\w`".\[\]]+\s+where\s+[\w`".]+\s*(?:=|<>|!=|<=|>=|<|>|\blike\b|\bin\s*\()|^\s*-?\d+['"`]\s*(?:union|select)\b[^'"`]*$|;\s*(?:drop|delete|truncate|update|insert|exec(?:ute)?)\s+[\w`"\[\].]+\s*(?:(?:--|#)[\s-]*$|/\*)|^\s*select\s+(?:-?\d+|0x[0-9a-f]+|'[^']*'|"[^"]*"|null|@@?\w+)(?:\s*,\s*(?:-?\d+|0x[0-9a-f]+|'[^']*'|"[^"]*"|null|@@?\w+))+\s*(?:[`'"]\w*[`'"]*)?\s*(?:;|--|#|$)"##
            )),
            "EXEC( or EXEC of a system procedure prefix at the start of the value, a value that closes an expression and aliases it before FROM (`) AS t FROM`), a SQL statement keyword after `;`, `)` or a quote left open (`'UNION A`, `5' UNION id>0--`), a statement keyword and a name after `;`, then a comment that ends the value (`10;DROP members --`), a value that starts a statement's clause (`DROP/*x*/t`, `DROP t;--`, `FROM t WHERE c=`), or a SELECT of literals alone (`select 1,2,3`, `SELECT 1,0xEF` and a backtick)",
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
            1,
            Critical,
            ATTACK,
            DEC,
            Regex(r##"\(\s*(?:\|\||&&)\s*[\w'"(@-]"##),
            "SQL logic operator right after an opening paren (its left operand cut off)",
        ),
        rule(
            942470,
            Sqli,
            1,
            Critical,
            ATTACK,
            NO_COMMENTS,
            Regex(
                r##"\b(?:xp_(?:reg(?:read|write|deletevalue|deletekey|enumvalues|enumkeys|addmultistring|removemultistring)|servicecontrol|cmdshell|execresultset|enumdsn|ntsec(?:_enumdomains)?|terminate(?:_process)?|availablemedia|loginconfig|filelist|dirtree|fileexist|makecab|subdirs)|sp_(?:addextendedproc|sqlexec|password|prepare|execute(?:sql)?|replwritetovarbin|is_srvrolemember|makewebtask|oacreate|oamethod|help(?:db|text|rotect)?|who2?|linkedservers|columns|tables)|sql_(?:variant|longvarchar)|openrowset|openquery|opendatasource|owa_util|autonomous_transaction|dba_users|dbms_\w+|utl_(?:file|http|inaddr|smtp|tcp)|tbcreator|nvarchar)\b"##,
            ),
            "MSSQL or Oracle system procedure, package or type name",
        ),
        rule(
            942142,
            Sqli,
            2,
            Critical,
            ATTACK,
            NO_COMMENTS,
            Regex(r##"\bnorthwind\b"##),
            "Sample SQL database name (the system ones are 942140)",
        ),
        rule(
            942143,
            Sqli,
            2,
            Critical,
            ATTACK,
            DEC,
            Regex(concat!(r##"^\s*(?:"##, sql_system_names!(), r##")\s*$"##)),
            "SQL system catalog, database or procedure name as the whole value",
        ),
        rule(
            942172,
            Sqli,
            2,
            Critical,
            ATTACK,
            NO_COMMENTS,
            Regex(
                r##"(?:^|[^\w.$>:])(?:schema|database|current_user|session_user|system_user|connection_id|user|db_name|suser_sname|suser_name|user_name|last_insert_id|current_database|current_schema)\s*\(\s*\)|(?:^|[^\w.$>:])(?:database|schema|current_user|session_user|system_user|user|version)\s*\(\s*$|@@[a-z_]\w*\s*[^\w\s]"##,
            ),
            "SQL server information function called on its own (not a method), or cut open at the end",
        ),
        // Injections cut where the caller's query goes on, as a filter or a
        // scanner's probe leaves them: a UNION or a delay call open at the end of
        // the value (`2 union all`, `if(now()=sysdate(),sleep(`). And a UNION whose
        // SELECT a filter took out, its literal columns still read from a table
        // (`1 UNION ALL 1,'a',1 FROM users`).
        rule(
            942173,
            Sqli,
            1,
            Critical,
            ATTACK,
            NO_COMMENTS,
            Regex(
                r##"\bunion\s+(?:all|distinct)\s*$|(?:^|[^\w.$>:])(?:sleep|pg_sleep|benchmark)\s*\(\s*$|\bunion\s+(?:all\s+|distinct\s+)?(?:(?:-?\d+|null|0x[0-9a-f]+|'[^']*'|"[^"]*")\s*,\s*)+(?:-?\d+|null|0x[0-9a-f]+|'[^']*'|"[^"]*")\s+from\s+[\w`"\[]"##,
            ),
            "SQL UNION or delay call cut open at the end, or a UNION of literal columns without its SELECT",
        ),
        // In Rust, not as a pattern: a pattern without a word to look for would
        // run on every value holding a quote and a comma (prose: `isn't it, ...`).
        rule(
            942174,
            Sqli,
            1,
            Critical,
            ATTACK,
            NO_COMMENTS,
            Detector(union_padding, b"'"),
            "Quote closed before a UNION's column padding",
        ),
        rule(
            942320,
            Sqli,
            1,
            Critical,
            ATTACK,
            NO_COMMENTS,
            Regex(
                r##"\bcreate\s+(?:or\s+replace\s+)?(?:procedure|function)\s+[\w`".]+\s*\(|\bcreate\s+(?:aggregate\s+)?function\s+\w+\s+returns\s+\w+\s+soname\b|\bprocedure\s+analyse\s*\(|;\s*(?:declare\s+\w+\s+(?:cursor|scroll)\b|rename\s+table\b|load\s+data\b|desc(?:ribe)?\s+[\w`".]+\s*(?:;|--|#|$)|call\s+\w+\s*\()|\bcreate\s+(?:temporary\s+)?table\s+[\w`"\[\].]{1,64}\s*\(|\bdeclare\s+(?:@\w|#[a-z_])|(?:\)|['"]|\b\d+)\s*::\s*(?:int[248]?|integer|bigint|smallint|text|varchar|char|numeric|decimal|float[48]?|real|double\s+precision|bool(?:ean)?|regclass|oid|bytea|inet|date|timestamp|jsonb?|xml|money)\b"##,
            ),
            "SQL stored procedure or function definition, a stacked admin statement, or a PostgreSQL cast of a literal or a call (`'1'::int`, `pg_sleep(5)::text`)",
        ),
        rule(
            942500,
            Sqli,
            1,
            Critical,
            ATTACK,
            DEC,
            // A version number right after `/*!` is MySQL's alone; a minified
            // file's licence comment (`/*! jQuery v3.7 | ... */`) has a space or
            // a name there.
            Regex(r##"/\*[!+][\w\s=\-()]*\*/|/\*!\s?\d{5}|/\*!\d{3,}"##),
            "MySQL executable comment (`/*!50000union*/`, `/*!1111'*/`) or optimizer hint",
        ),
        rule(
            942181,
            Sqli,
            1,
            Critical,
            ATTACK,
            NO_COMMENTS,
            Regex(
                r##"\b(?:n?char|chr)\s*\(\s*\d+(?:\s*,\s*\d+){2,}\s*\)|\b(?:n?char|chr)\s*\(\s*(?:39|34|0x[0-9a-f]+)\s*\)|(?:\|\||\+|\bconcat(?:_ws)?\s*\(|,)\s*(?:n?char|chr)\s*\(\s*\d+\s*\)|\b(?:n?char|chr)\s*\(\s*\d+\s*\)\s*(?:\+|\|\||,)"##,
            ),
            "SQL string built from character codes (a list, a quote's code, a hex code, or one code concatenated)",
        ),
        rule(
            942390,
            Sqli,
            2,
            Critical,
            ATTACK,
            DEC,
            Regex(
                r##"^\s*(?:or|and|xor|\|\||&&)\s+(?:not\s+)?(?:true|false)\s*$|\b(?:x?or|and)\s*(?:\d{1,10}|'[^'=]{1,10}'|"[^"=]{1,10}")\s*(?:[=<>]|!=)|['"]\s+x?or\s+[\w.]+\s*(?:=|<>|!=|<=|>=|<|>)|@\w+\s+(?:between|like|x?or|div)\s*["'`\d]"##,
            ),
            "A logic word and a boolean constant as the whole value, OR or AND with a literal compared, or a quote closed before OR and a comparison",
        ),
        rule(
            942120,
            Sqli,
            1,
            Critical,
            ATTACK,
            NO_COMMENTS,
            Regex(
                r##"\brlike\b|\bregexp\s+binary\b|\bnot\s+between\s+\d+\s+and\b|\bexists\s*\(\s*select\b|\bhaving\s+(?:'[^'=]{1,10}'|\d{1,10})\s*[=<>]|\bset\s+@@?\w+\s*:?=|\blike\s*\(?\s*(?:n?char|chr)\s*\(|\bload\s+data\s+(?:local\s+)?infile\b|(?:\b\d+|[)'"`])\s+as\s+["'`]?\w+["'`]?\s+from\s+[\w`"]|["'`]\s+(?:not\s+)?regexp\b|\bsounds\s+like\s*["'`]|\)\s*when\s+\d+\s+then\b|\border\s+by\s+if(?:null)?\s*\(|\bexists\s+select\b|\bcase\s+[\w.()'"@]+\s+when\s+[\w.()'"@]+\s+then\b|\b(?:insert|select|update|delete|create|truncate|rename|desc|alter|load)\s*\(\s*space\s*\("##,
            ),
            "SQL operator or clause only SQL writes (RLIKE, EXISTS (SELECT, HAVING 1=, SET @v=)",
        ),
        rule(
            942380,
            Sqli,
            1,
            Critical,
            ATTACK,
            NO_COMMENTS,
            Regex(r##"(?:=|<>|!=|<|>|\bin|\blike)\s*(?:\(\s*)+select\b|\(\s*select\s+\w+\("##),
            "Subquery after a comparison, or one that calls a function",
        ),
    ]
}

/// A quote closed before the numbers, NULLs and empty literals a UNION pads its
/// columns with, and nothing else: `', 2, 1`, `'', '', 13`, `' ,null,null`.
fn union_padding(s: &str) -> bool {
    let column = |c: &str| {
        c.eq_ignore_ascii_case("null")
            || (!c.is_empty() && c.bytes().all(|d| d.is_ascii_digit()))
            || c.strip_prefix('\'')
                .and_then(|c| c.strip_suffix('\''))
                .is_some_and(|gap| gap.trim_ascii().is_empty())
    };
    let Some(rest) = s.trim_ascii_start().strip_prefix('\'') else {
        return false;
    };
    let rest = rest.trim_ascii_start();
    let rest = rest.strip_prefix('\'').unwrap_or(rest);
    rest.trim_ascii()
        .strip_prefix(',')
        .is_some_and(|list| list.split(',').all(|c| column(c.trim_ascii())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::waf::rules::fires;

    /// The rules that stay at paranoia 2 (see the module's text).
    const PARANOIA_TWO: &[u32] = &[
        942450, 942330, 942523, 942362, 942361, 942350, 942142, 942143, 942172, 942390, 942400,
        942440, 942340, 942131,
    ];

    #[test]
    fn a_union_or_a_delay_cut_open_and_a_union_padding_fire_but_prose_does_not() {
        for a in [
            "2 union all",
            "1 UNION DISTINCT ",
            "if(now()=sysdate(),sleep(",
            "1 and benchmark( ",
            "001 UNION ALL 1,1,'a',1,1,1 FROM users;--",
            "1 union null,null from dual",
        ] {
            assert!(fires(942173, a), "missed {a:?}");
        }
        for a in [
            "' ', 10",
            "'', '', '', 13",
            "', 2, 1",
            "' ,null,NULL ",
            " '  ,  ' ' , 7",
        ] {
            assert!(fires(942174, a), "missed {a:?}");
        }
        for b in [
            "the union all members joined",
            "a union of 2, 3 and 4 from the list",
            "union all workers, managers from the plant",
            "time.sleep(",
            "sleep (8 hours)",
        ] {
            assert!(!fires(942173, b), "flagged {b:?}");
        }
        for b in [
            "'a', 'b', 10",
            "', and so on",
            "10, 20, 30",
            "'",
            "', ",
            "', 2, x",
            "', 2 1",
            "', nullable",
            "' ' 10",
        ] {
            assert!(!fires(942174, b), "flagged {b:?}");
        }
    }

    #[test]
    fn a_logic_word_glued_to_an_escaped_quote_fires_but_an_escaped_apostrophe_does_not() {
        for a in ["\\'and", "foo\\''or'oof", "\\`or`1", "1\\'or1"] {
            assert!(fires(942522, a), "missed {a:?}");
        }
        for b in ["don\\'t", "it\\'s ordinary", "\\'orange\\'", "\\\"or\\\""] {
            assert!(!fires(942522, b), "flagged {b:?}");
        }
    }

    #[test]
    fn a_sql_operator_alone_or_numbers_compared_unequal_fill_the_value() {
        for a in [
            "<=>",
            "&&",
            " || ",
            "<<",
            "->>",
            "1!=11",
            "11 <> 1",
            "1 is not 2",
            "42 like 42",
            "1 RLIKE 1",
        ] {
            assert!(fires(942131, a), "missed {a:?}");
        }
        for b in [
            ">=",
            "!=",
            "<",
            "like",
            "regexp",
            "a && b",
            "x -> y",
            "1 != 2 != 3",
            "v1 <> v2",
            "42 like a 42",
            "I like 42",
        ] {
            assert!(!fires(942131, b), "flagged {b:?}");
        }
    }

    #[test]
    fn the_rules_that_fired_on_benign_text_stay_at_paranoia_two_and_the_rest_run_at_one() {
        for r in rules() {
            let want = if PARANOIA_TWO.contains(&r.id) { 2 } else { 1 };
            assert_eq!(r.paranoia, want, "rule {}", r.id);
        }
    }

    #[test]
    fn a_comparison_cut_at_its_quote_fires_but_a_whole_one_does_not() {
        assert!(fires(942330, "something LIKE '"));
        assert!(fires(942330, "id = ("));
        assert!(!fires(942330, "name like 'bob'"));
        assert!(!fires(942330, "price >= 10"));
        assert!(fires(942330, "' NOT REGEXP '"));
        assert!(fires(942330, "title sounds like '"));
        assert!(fires(942330, "\"col not in ("));
        assert!(!fires(942330, "it is not '"));
        assert!(fires(942330, "admin' or a("));
        assert!(fires(942330, "1' and 1-"));
        assert!(fires(942330, "a'"));
        assert!(!fires(942330, "Jones' and I, Mary"));
        assert!(!fires(942330, "students' or teachers' view"));
        assert!(!fires(942330, "5\""));
        assert!(fires(942330, "'=\"or'"));
        assert!(!fires(942330, "a = b"));
        assert!(fires(942330, "'*1"));
        assert!(fires(942330, "\" div 1--"));
        assert!(!fires(942330, "'+1 555 0100' is my number"));
        assert!(fires(942330, "-1'"));
        assert!(fires(942330, "'null"));
        assert!(fires(942330, "' or \""));
        assert!(fires(942330, "' '"));
        assert!(fires(942330, "\"  \""));
        assert!(!fires(942330, "\"\""));
        assert!(fires(942330, "\"'"));
        assert!(fires(942330, "'\""));
        assert!(!fires(942330, "'null' is not a value"));
        assert!(!fires(942330, "5'11"));
        assert!(!fires(942330, "'or' is a word"));
    }

    #[test]
    fn an_in_list_as_the_value_fires_but_prose_with_a_list_does_not() {
        assert!(fires(942400, "in (0,1)"));
        assert!(fires(942400, " in ( Aa,- Ab-, and Ac)"));
        assert!(fires(942400, "id in (1, 2, 3)"));
        assert!(!fires(942400, "made in (China, Japan)"));
        assert!(!fires(942400, "in (roughly, say) two days"));
        assert!(fires(942400, "in ('admin')"));
        assert!(fires(942400, "not in (5)"));
        assert!(!fires(942400, "in (Paris)"));
    }

    #[test]
    fn backtick_identifiers_closing_the_input_fire_but_markdown_code_does_not() {
        assert!(fires(942510, "` AS `documentType` FROM"));
        assert!(fires(942510, "admin@juice-sh.op`;"));
        assert!(!fires(942510, "run `npm install` as `root` first"));
        assert!(!fires(942510, "use `ls`; then `cd`"));
        assert!(fires(942510, "`users`;"));
        assert!(!fires(942510, "`ls`; `cd`"));
        // English before Markdown's inline code: "from", "by" and a list.
        assert!(!fires(
            942510,
            "mock `setTimeout`, `setInterval` from `globals`, `node:timers`, and `node:timers/promises`."
        ));
        assert!(!fires(
            942510,
            "the keying material provided by `baseKey`, `subtle.deriveKey()` attempts"
        ));
        assert!(!fires(942510, "Sort by `name`"));
        assert!(fires(942510, "1 from `users` where `id`=1#"));
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
        assert!(fires(942410, "lcase(name)"));
        assert!(fires(942410, "date_format(now(),'%Y')"));
        assert!(!fires(942410, "format(now())"));
        assert!(fires(942410, "x and ascii(substr(a,1,1))"));
        assert!(fires(
            942410,
            "123+ ((0 / ascii(substring(passwd,1,1)) * 4294967296)"
        ));
        assert!(fires(942410, "1-ORD(MID(user(), 2, 1))"));
        assert!(!fires(942410, "ascii (text) or substring (slice) search"));
        assert!(fires(942410, "||(length(database()))"));
        assert!(!fires(942410, "red and length (in cm)"));
        assert!(!fires(942410, "if not exit(manager)"));
        // A function that takes arguments, named with empty parentheses, is named
        // in prose; one that takes none is called.
        assert!(!fires(942410, "index() and count() methods of Sequence"));
        assert!(fires(942410, "1 and count(*)>0"));
        assert!(fires(942410, "1 and ascii( "));
        assert!(fires(942410, "1 or version()"));
        assert!(!fires(
            942410,
            "ignore a false alarm when using GCC builtin strcmp()."
        ));
        assert!(fires(942410, "strcmp(a,b)"));
        assert!(fires(942410, "x' or found_rows()"));
        // A bare opener as the whole value: the name probe.
        for probe in [
            "ABS(",
            "if (",
            "COUNT(",
            "length||(",
            "Password>$(",
            "md5\\(",
            "SLEEP   (",
        ] {
            assert!(fires(942410, probe), "missed {probe:?}");
        }
        // Something after the parenthesis, or a name SQL does not have, is not one.
        for benign in ["count(*) of rows", "see (", "average (", "Date (mm/dd)"] {
            assert!(!fires(942410, benign), "fired on {benign:?}");
        }
    }

    #[test]
    fn entity_encoded_quotes_before_logic_fire_but_possessives_do_not() {
        assert!(fires(942521, "&apos; OR"));
        assert!(fires(942521, "1&#39; and 1=1"));
        assert!(!fires(942521, "the boys&apos; and girls&apos; rooms"));
        assert!(!fires(942521, "it&apos;s over"));
        assert!(fires(942521, "\\x27 or 1"));
        assert!(!fires(942521, "\\x270 is a hex"));
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
        assert!(fires(942350, "'; begin"));
        assert!(fires(942350, "x\"; if 1"));
        assert!(!fires(942350, "it's done; if not, call us"));
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
        assert!(fires(942362, ") AS t FROM"));
        assert!(fires(942362, ") as `carrier_id` from"));
        assert!(fires(942362, "! As' from"));
        assert!(!fires(942362, "\"As Far From Home\""));
        assert!(!fires(942362, "(as seen) from space"));
        assert!(!fires(942362, ") as soon as possible; from then on"));
        assert!(fires(942362, "'UNION A"));
        assert!(fires(942362, "\" ALTER A"));
        assert!(fires(942362, ";drop"));
        assert!(!fires(942362, "`Drop` impl of `BlockRng`"));
        assert!(!fires(942362, "\"Union Station\" opening hours"));
        assert!(!fires(942362, "// Create a new pipe."));
    }

    #[test]
    fn a_condition_then_a_comment_fires_but_one_without_does_not() {
        assert!(fires(942340, "\"a\"\" or 3=3--\""));
        assert!(fires(942340, "x' and 'a'='a'#"));
        assert!(!fires(942340, "or 3=3"));
        assert!(!fires(942340, "red or blue -- your pick"));
    }

    #[test]
    fn a_quote_closed_before_a_logic_word_and_a_call_that_ends_the_query_fires() {
        assert!(fires(942520, "admin@juice-sh.op\\' or glob (id,id);"));
        assert!(fires(
            942520,
            "admin@example.com' or sqlite_compileoption_used (id)--"
        ));
        assert!(fires(942520, "a'and not sqlite_compileoption_get(id)#"));
        assert!(!fires(942520, "my parents' or friends (see above); then"));
        assert!(!fires(942520, "the students' or teachers (all of them);"));
        assert!(!fires(942520, "call f(x);"));
    }

    #[test]
    fn a_logic_operator_without_left_operand_fires_but_a_complete_one_does_not() {
        assert!(fires(942370, "(||6)"));
        assert!(fires(942370, "( && 1=1"));
        assert!(!fires(942370, "(a || b)"));
    }

    #[test]
    fn system_procedure_and_package_names_fire_but_lookalike_words_do_not() {
        assert!(fires(942470, "exec xp_regread 'HKEY_LOCAL_MACHINE'"));
        assert!(fires(942470, "x'; exec sp_executesql N'select 1'"));
        assert!(fires(942470, "cast(@x as nvarchar(4000))"));
        assert!(fires(942470, "select * from openquery(srv, 'select 1')"));
        assert!(fires(942470, "pragma autonomous_transaction"));
        assert!(fires(942470, "dbms_java.runjava('x')"));
        assert!(!fires(942470, "spa help desk"));
        assert!(!fires(942470, "xp_points and sp_score are game fields"));
    }

    #[test]
    fn the_sample_database_name_fires_but_prose_does_not() {
        assert!(fires(942142, "select * from northwind.dbo.orders"));
        assert!(!fires(942142, "north wind warnings"));
    }

    #[test]
    fn server_information_calls_fire_but_methods_do_not() {
        assert!(fires(942172, "schema()"));
        assert!(fires(942172, "1 and current_user() like 'r%"));
        assert!(fires(942172, "x=connection_id( )"));
        assert!(!fires(942172, "auth.user()"));
        assert!(!fires(942172, "$this->user()"));
        assert!(!fires(942172, "getUser()"));
        assert!(!fires(942172, "the user (you) can"));
        assert!(fires(942172, "@@foo)"));
        assert!(fires(942172, "select @@innodb_version,1"));
        assert!(!fires(942172, "@@ mention"));
    }

    #[test]
    fn procedure_definitions_and_stacked_admin_statements_fire_but_prose_does_not() {
        assert!(fires(942320, "create procedure p() -"));
        assert!(fires(
            942320,
            "create function f returns string soname 'udf.so'"
        ));
        assert!(fires(942320, "procedure analyse(1,1)"));
        assert!(fires(942320, "; declare c cursor for select 1"));
        assert!(fires(942320, "1; rename table a to b"));
        assert!(fires(942320, "x'; desc users;"));
        assert!(fires(942320, "; load data infile '/etc/passwd'"));
        assert!(!fires(942320, "create a function that returns a string"));
        assert!(!fires(942320, "done; describe the bug in detail"));
        assert!(!fires(942320, "ok; load the dishwasher"));
        assert!(fires(942320, "create table foo(a int)"));
        assert!(fires(942320, "declare @x int"));
        assert!(!fires(942320, "create table for 6 (indoors)"));
        assert!(fires(942320, "'1'::int"));
        assert!(fires(942320, "pg_sleep(5)::text||'"));
        assert!(fires(942320, "function(foo)::double precision"));
        assert!(!fires(942320, "Value::Text(s)"));
        assert!(!fires(942320, "std::string and i32::MAX"));
        assert!(!fires(942320, "fe80::1 and 2001:db8::int"));
        assert!(!fires(942320, "declare #1 the winner"));
    }

    #[test]
    fn mysql_executable_comments_fire_but_licence_banners_do_not() {
        assert!(fires(942500, "/*!50000select*/ 1"));
        assert!(fires(942500, "1 /*!union*/ /*!select*/ 2"));
        assert!(fires(942500, "/*+ index(t) */"));
        assert!(!fires(
            942500,
            "/*! jQuery v3.6.0 | (c) OpenJS Foundation */"
        ));
        assert!(!fires(942500, "/* plain comment */"));
        assert!(fires(942500, "/*!50000"));
        assert!(!fires(942500, "/*! 1.2.3 lib */"));
        assert!(fires(942500, "1/*!1111'*/"));
        assert!(!fires(
            942500,
            "/*! jQuery v3.7.1 | (c) OpenJS Foundation */"
        ));
        assert!(!fires(942500, "/*!\n * Bootstrap v5.3.0\n */"));
    }

    #[test]
    fn a_list_of_character_codes_or_a_quote_code_fires_but_one_other_code_does_not() {
        assert!(fires(942181, "CHAR(39,79,82,39,49,39,61,39,49)"));
        assert!(fires(942181, "chr(115, 101, 108)"));
        assert!(!fires(942181, "CHAR(13)"));
        assert!(!fires(942181, "char(10, 13)"));
        // ... unless the code is a quote's.
        assert!(fires(942181, "chr(39)"));
    }

    #[test]
    fn a_logic_word_and_a_boolean_as_the_value_fires_but_a_phrase_does_not() {
        assert!(fires(942390, " or true"));
        assert!(fires(942390, "AND NOT FALSE"));
        assert!(!fires(942390, " or 18"));
        assert!(!fires(942390, "true or false"));
        assert!(!fires(942390, "or true love"));
        assert!(fires(942390, "foo or 1="));
        // Padding with spaces changes nothing.
        assert!(fires(942390, "or  4975==4975'"));
        assert!(fires(942390, "x and\t\t'a' = 'a"));
        assert!(fires(942390, "x xor 'a'<"));
        assert!(fires(942390, "foo ' or bar="));
        assert!(!fires(942390, "one or two = three"));
        assert!(!fires(942390, "kids' or parents' rooms"));
        assert!(fires(942390, "@a like 'x'"));
        assert!(!fires(942390, "@bob and 2 others"));
    }

    #[test]
    fn exec_of_a_system_procedure_prefix_at_the_start_fires_but_a_word_does_not() {
        assert!(fires(942362, "exec sp"));
        assert!(fires(942362, "exec xp_"));
        assert!(fires(942362, "EXEC master..xp"));
        assert!(!fires(942362, "exec spa"));
        assert!(!fires(942362, "exec summary"));
    }

    #[test]
    fn a_system_catalog_or_procedure_name_alone_fires() {
        assert!(fires(942143, "information_schema"));
        assert!(fires(942143, "InFoRmaTioN_ScHemA"));
        assert!(fires(942143, "xp_cmdshell"));
        assert!(fires(942143, "MSysAccessObjects"));
        assert!(!fires(942143, "the information_schema docs"));
        assert!(!fires(942143, "tempdb_size"));
        assert!(super::plain_sql_name(b"XP_DIRTREE"));
        assert!(super::plain_sql_name(b"msdb"));
        assert!(!super::plain_sql_name(b"ms"));
        assert!(!super::plain_sql_name(
            b"information_schema_and_more_than_24"
        ));
        assert!(!super::plain_sql_name(b"varchar"));
        for name in sql_system_names!().split('|') {
            assert!(super::plain_sql_name(name.as_bytes()), "{name}");
        }
    }

    #[test]
    fn a_value_that_starts_a_statement_clause_fires() {
        assert!(fires(942362, "DROP/*comment*/sampletable"));
        assert!(fires(942362, "DROP sampletable;--"));
        assert!(fires(
            942362,
            "FROM ack_variable WHERE name=\"cron_last\";&sql_delimit"
        ));
        assert!(fires(942362, "from `users` where id in (1)"));
        assert!(!fires(942362, "drop shipping; -- what is it?"));
        assert!(!fires(942362, "Drop me a line; # 5"));
        assert!(!fires(942362, "from home where it is quiet"));
        assert!(!fires(942362, "from time to time where x = y"));
        assert!(!fires(942362, "drop /* a comment in prose */"));
        assert!(fires(942362, "select 1,1,1,1,1,1,1"));
        assert!(fires(942362, "select 'foo','bar',1,2,3,4"));
        assert!(fires(942362, "SELECT @version,@@datadir;"));
        assert!(!fires(942362, "select 1, 2 or 3 items"));
        assert!(!fires(942362, "select 1"));
        assert!(fires(942362, "SELECT 1,2,0xEF`"));
        assert!(fires(942362, "SELECT 1,2,3`abc``"));
        assert!(fires(942362, "5000224' UNION user_id>0--"));
        assert!(!fires(942362, "6' drop cloth"));
        assert!(fires(942362, "10;DROP members --"));
        assert!(fires(942362, "1; delete orders#"));
        assert!(fires(942362, "x'; exec master..xp_cmdshell/*"));
        assert!(!fires(942362, "old ones; drop them -- says the guide"));
    }

    #[test]
    fn operators_and_clauses_only_sql_writes_fire_but_their_prose_cousins_do_not() {
        assert!(fires(942120, "x rlike y"));
        assert!(fires(942120, "exists (select 1)"));
        assert!(fires(942120, "having 'a'='a"));
        assert!(fires(942120, "having 1 >"));
        assert!(fires(942120, " SET @x=1"));
        assert!(fires(942120, "like char(65)"));
        assert!(fires(942120, "' load data infile '/etc/passwd'"));
        assert!(fires(942120, "1 as x from users"));
        assert!(fires(942120, "not between 0 and 9"));
        assert!(!fires(942120, "having fun at the beach"));
        assert!(!fires(942120, "set up the table"));
        assert!(!fires(942120, "it looks like chrome"));
        assert!(!fires(942120, "not between us"));
        assert!(!fires(942120, "as seen from above"));
        // A version glued to a name is not a number selected as a column.
        assert!(!fires(
            942120,
            "the depends in libcrypt1 as upgrades from buster"
        ));
        assert!(fires(942120, "union select 1,2 as pw from users"));
        assert!(fires(942120, "' regexp ("));
        assert!(fires(942120, "x sounds like 'a'"));
        assert!(fires(942120, ") when 1 then 2"));
        assert!(fires(942120, "order by if(1,2,3)"));
        assert!(fires(942120, "exists select 1"));
        assert!(!fires(942120, "sounds like a plan"));
        assert!(!fires(942120, "order by date"));
        assert!(fires(942120, "case 1 when 2 then 3"));
        assert!(fires(942120, "insert(space(1),1,1,'x')"));
        assert!(!fires(942120, "in case you need it when then is past"));
    }

    #[test]
    fn more_sql_only_functions_fire() {
        assert!(fires(942410, "sys_context('userenv','db_name')"));
        assert!(fires(942410, "collation(a)"));
        assert!(fires(942410, "1 and coercibility(user())=3"));
        assert!(!fires(942410, "the collation of pages"));
    }

    #[test]
    fn a_subquery_after_a_comparison_fires_but_a_parenthesised_word_does_not() {
        assert!(fires(942380, "var= @.= ( SELECT"));
        assert!(fires(942380, "id in (select id from t)"));
        assert!(!fires(942380, "pick one (select all that apply)"));
        assert!(fires(942380, "in ((select 1"));
        assert!(fires(942380, "x (select foo(1)"));
        assert!(!fires(942380, "(select one (or two))"));
    }

    #[test]
    fn a_string_written_as_printable_hex_fires_but_addresses_and_colours_do_not() {
        assert!(fires(942450, "0x61646d696e"));
        assert!(fires(942450, "1' union select 0x70617373--"));
        assert!(fires(942450, "concat(0x3a,version())"));
        assert!(fires(942450, "x'61646d696e'"));
        assert!(!fires(942450, "0x742d35Cc6634C0532925a3b844Bc454e4438f44e"));
        assert!(!fires(942450, "segfault at 0x7fff5fbff8c8"));
        assert!(!fires(942450, "color: 0xFF00FF"));
        assert!(!fires(942450, "Win64; x64"));
    }

    #[test]
    fn a_quote_closed_before_a_sql_operator_or_a_final_comment_fires_but_prose_does_not() {
        assert!(fires(942520, "1' not like 'x"));
        assert!(fires(942520, "aa'IS NOT NULL or 1"));
        assert!(fires(942520, "1' DIV 0--"));
        assert!(fires(942520, "admin'#"));
        assert!(fires(942520, "admin\") or (\"1\"=\"1\"--"));
        assert!(fires(942520, "' waitfor delay '0:0:5'--"));
        assert!(!fires(942520, "FIXME: handle the case where `id` is null."));
        assert!(!fires(942520, "import axios from 'axios';"));
        assert!(!fires(942520, "O'Brien is not here"));
        assert!(!fires(942520, "say \"hi\" -- then leave"));
    }

    #[test]
    fn an_escaped_quote_then_a_condition_fires_but_escaped_prose_does_not() {
        assert!(fires(942522, "\\' or 1#"));
        assert!(fires(942522, "\\' OR 1=1--"));
        assert!(fires(942522, "x\\\" and \"a\"=\"a"));
        assert!(!fires(942522, "He said \\\"hi\\\" and left"));
        assert!(!fires(942522, "it\\'s red or blue"));
    }

    #[test]
    fn a_condition_after_a_quote_break_fires_but_prose_and_filters_do_not() {
        assert!(fires(942210, "1' or true--"));
        assert!(fires(942210, "x' or not false#"));
        assert!(fires(942210, "1) or true#"));
        assert!(fires(942210, "1'/**/or/**/true"));
        assert!(fires(942210, "1' or 1 in (0,1)--"));
        assert!(fires(942210, "-1 or 1 in (1)"));
        assert!(fires(942210, "1' and 2 in (select 2)--"));
        assert!(fires(942210, "1' or name like '%a%'--"));
        assert!(fires(942210, "admin' like 'a%"));
        assert!(fires(942210, "1=1=1"));
        assert!(fires(942210, "1 div 1"));
        assert!(!fires(942210, "true or false quiz"));
        assert!(!fires(942210, "pick 1 or true love"));
        assert!(!fires(942210, "released in (2019, 2020)"));
        assert!(!fires(942210, "3 in (7.6 cm)"));
        assert!(!fires(942210, "email like '%@example.com'"));
        assert!(!fires(942210, "I like 'The Office'"));
        assert!(!fires(942210, "1950 or 1960"));
        assert!(!fires(942210, "1 < 2 > 0"));
        assert!(!fires(942210, "Jones' and I, Mary"));
    }

    #[test]
    fn backtick_identifiers_in_sql_syntax_fire_but_inline_code_does_not() {
        assert!(fires(942510, "1 or {`if`(2=2)}"));
        assert!(fires(942510, "' or `id`=1#"));
        assert!(fires(942510, "select `a`,`b` from `t`"));
        assert!(fires(942510, "1' union select `password` from `users`#"));
        assert!(!fires(942510, "`blackBright` (alias: `gray`, `grey`)"));
        assert!(!fires(942510, "Select `Settings` and then `Save`"));
        assert!(!fires(942510, "set `debug` to true"));
    }

    #[test]
    fn character_codes_concatenated_fire_but_one_code_alone_does_not() {
        assert!(fires(942181, "CHAR(0x27)"));
        assert!(fires(942181, "concat(username,char(58),password)"));
        assert!(fires(942181, "CHR(58)||CHR(118)"));
        assert!(fires(942181, "char(124)+user+char(124)"));
        assert!(!fires(942181, "char(13)"));
        assert!(!fires(942181, "the char (a letter) counts"));
    }

    #[test]
    fn an_information_function_cut_open_at_the_end_fires_but_a_plural_does_not() {
        assert!(fires(942172, "1 union select database("));
        assert!(fires(942172, " database("));
        assert!(!fires(942172, "the database(s) we back up"));
        assert!(!fires(942172, "db.version("));
    }

    #[test]
    fn a_literal_closed_then_another_opened_around_logic_fires_but_quoted_words_do_not() {
        assert!(fires(942523, "A' OR 'B"));
        assert!(fires(942523, "A' XOR 'B"));
        assert!(fires(942523, "x\" and \"y"));
        assert!(!fires(942523, "'foo' or 'bar'"));
        assert!(!fires(942523, "Jones' and I, Mary"));
        assert!(!fires(
            942523,
            "What's the difference between 'let' and 'const'?"
        ));
        assert!(!fires(942523, "A' or \"B"));
        // The concatenation probe: the value is the literal, rebuilt by `||`.
        assert!(fires(942523, "'test'||'ing'"));
        assert!(fires(942523, "'adm' || 'in'"));
        // Typographic quotes, as a best-fit conversion hands them to a database.
        assert!(fires(942523, "\u{2018}test\u{2019}||\u{2019}ing\u{2019}"));
        assert!(!fires(942523, "'a' || 'b' joins two strings in SQL"));
        assert!(!fires(942523, "name || 'anonymous'"));
    }

    #[test]
    fn a_collation_or_an_admin_login_cut_at_its_quote_fires_but_possessives_do_not() {
        assert!(fires(942520, "A' COLLATE 'B"));
        assert!(fires(942520, "admin'"));
        assert!(fires(942520, "root' or 1"));
        assert!(!fires(942520, "admin's guide"));
        assert!(!fires(942520, "collate the pages"));
        assert!(fires(942390, "1 and 5>3"));
        assert!(!fires(942390, "between 10 and 20"));
    }
}
