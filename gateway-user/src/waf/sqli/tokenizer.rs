//! SQL tokenizer in the manner of libinjection: turns input into a short list of typed
//! tokens as a lenient SQL lexer (MySQL, PostgreSQL, MSSQL, Oracle, SQLite) would.
//!
//! Input is tokenized in one of three contexts: as-is (numeric context), or as if it
//! followed an opening `'` or `"` (the input starts inside a string literal).
//! Tokens borrow the input; the buffer lives on the stack.

/// At most this many tokens are produced; the grammar only looks at the start.
pub const MAX_TOKENS: usize = 64;

/// Where the input is assumed to be inserted in a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// As a bare value: `... WHERE id = INPUT`.
    Bare,
    /// Inside a string literal opened by this quote: `... WHERE name = 'INPUT'`, or
    /// inside a MySQL identifier opened by a backtick.
    Quoted(u8),
}

impl Context {
    /// Every context a value is read in, in the order `sqli_context` tries them.
    pub const ALL: [Context; 4] = [
        Context::Bare,
        Context::Quoted(b'\''),
        Context::Quoted(b'"'),
        Context::Quoted(b'`'),
    ];
}

/// The type of a token (libinjection letters in comments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `s`: a string literal.
    Str,
    /// `1`: a number, or TRUE/FALSE/NULL.
    Num,
    /// `n`: an identifier or unknown word.
    Bare,
    /// `k`: a reserved word that is not one of the classes below.
    Keyword,
    /// `U`: UNION (ALL|DISTINCT).
    Union,
    /// `E`: the start of a statement (SELECT, INSERT, DROP, EXEC, ...).
    Stmt,
    /// `f`: a word followed by `(`.
    Func,
    /// `o`: a symbolic operator.
    Op,
    /// `o`: a word operator (LIKE, IN, IS, REGEXP, BETWEEN, DIV, ...).
    WordOp,
    /// `&`: AND, OR, XOR, `&&`, `||`.
    Logic,
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `,`.
    Comma,
    /// `;`.
    Semi,
    /// `c`: a comment.
    Comment,
    /// `B`: GROUP BY, ORDER BY, HAVING, LIMIT, PROCEDURE.
    Group,
    /// `v`: `@var`, `@@var`.
    Var,
    /// `.`.
    Dot,
    /// `X`: anything a SQL lexer would reject.
    Other,
}

/// One token: its type, its text, and two flags that matter to the grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    /// The token type.
    pub kind: Kind,
    /// The text (for strings, without quotes).
    pub text: &'a str,
    /// Strings: no closing quote. Logic: written as `&&`/`||`. Func: a known SQL function.
    pub flag: bool,
}

impl<'a> Token<'a> {
    /// Case-insensitive comparison of the token text.
    #[inline]
    pub fn is(&self, word: &str) -> bool {
        self.text.eq_ignore_ascii_case(word)
    }
}

/// The room token buffers start with: as many tokens as fit in 1 KiB, the largest
/// block mimalloc serves from its per-thread fast path (a 64-token buffer took its
/// slower generic path on every value tokenized). Longer inputs grow the buffer.
pub(super) const FIRST_TOKENS: usize = 1024 / std::mem::size_of::<Token<'static>>();

/// `v` emptied, as room for tokens of another lifetime: the same allocation, as
/// collecting a vector's own iterator into elements of the same layout reuses
/// its buffer (and allocates anew, correct and slower, if it ever does not).
pub(super) fn recycle<'b>(mut v: Vec<Token<'_>>) -> Vec<Token<'b>> {
    v.clear();
    v.into_iter()
        .map(|_| unreachable!("the vector was just emptied"))
        .collect()
}

/// A token buffer of at most `MAX_TOKENS` tokens.
pub struct Tokens<'a> {
    // Allocated, not an array on the stack: setting up 64 slots cost more than an
    // allocation, and most values that get here need only a few.
    buf: Vec<Token<'a>>,
}

impl<'a> Tokens<'a> {
    /// An empty buffer, to be filled by [`tokenize_into`] (and refilled: one buffer
    /// serves every context of a value).
    pub fn new() -> Tokens<'a> {
        Tokens {
            buf: Vec::with_capacity(FIRST_TOKENS),
        }
    }

    /// A buffer in the room of `buf`, emptied.
    pub fn recycled(buf: Vec<Token<'_>>) -> Tokens<'a> {
        Tokens { buf: recycle(buf) }
    }

    /// The room, to be `recycled` for another value.
    pub fn into_vec(self) -> Vec<Token<'a>> {
        self.buf
    }

    /// The tokens as a slice.
    pub fn as_slice(&self) -> &[Token<'a>] {
        &self.buf
    }

    fn push(&mut self, t: Token<'a>) -> bool {
        if self.buf.len() == MAX_TOKENS {
            return false;
        }
        self.buf.push(t);
        true
    }
}

impl Default for Tokens<'_> {
    fn default() -> Self {
        Tokens::new()
    }
}

/// Well-known SQL functions: a call to one of these is SQL, not prose. Sorted, for
/// a binary search.
const KNOWN_FUNCTIONS: &[&str] = &[
    "abs",
    "aes_decrypt",
    "aes_encrypt",
    "ascii",
    "asciistr",
    "avg",
    "benchmark",
    "bin",
    "bit_count",
    "bit_length",
    "cast",
    "ceil",
    "ceiling",
    "char",
    "char_length",
    "character_length",
    "charindex",
    "chr",
    "coalesce",
    "coercibility",
    "collation",
    "concat",
    "concat_ws",
    "connection_id",
    "conv",
    "convert",
    "count",
    "crc32",
    "ctxsys",
    "current_database",
    "current_schema",
    "current_setting",
    "current_user",
    "database",
    "datalength",
    "date_format",
    "db_id",
    "db_name",
    "dblink",
    "dbms_pipe",
    "dbms_xmlgen",
    "decode",
    "des_decrypt",
    "drithsx",
    "elt",
    "exists",
    "exp",
    "export_set",
    "extractvalue",
    "field",
    "find_in_set",
    "floor",
    "found_rows",
    "from_base64",
    "from_unixtime",
    "geometrycollection",
    "get_host_name",
    "get_lock",
    "getxml",
    "group_concat",
    "gtid_subset",
    "has_dbaccess",
    "hex",
    "hextoraw",
    "host_name",
    "if",
    "ifnull",
    "iif",
    "inet_aton",
    "inet_ntoa",
    "inet_server_addr",
    "instr",
    "is_member",
    "is_srvrolemember",
    "isnull",
    "json_array_length",
    "json_contains",
    "json_depth",
    "json_extract",
    "json_extract_path_text",
    "json_keys",
    "json_length",
    "json_object",
    "json_search",
    "json_type",
    "json_unquote",
    "json_valid",
    "jsonb_extract_path",
    "jsonb_extract_path_text",
    "jsonb_typeof",
    "last_insert_id",
    "lcase",
    "left",
    "len",
    "length",
    "likelihood",
    "likely",
    "linestring",
    "lnnvl",
    "lo_export",
    "lo_get",
    "lo_import",
    "load_extension",
    "load_file",
    "locate",
    "lower",
    "lpad",
    "ltrim",
    "make_set",
    "master_pos_wait",
    "max",
    "md5",
    "mid",
    "min",
    "multipoint",
    "name_const",
    "nchar",
    "nullif",
    "nvl",
    "nvl2",
    "object_id",
    "object_name",
    "oct",
    "octet_length",
    "opendatasource",
    "openrowset",
    "ora_hash",
    "ord",
    "pg_ls_dir",
    "pg_read_binary_file",
    "pg_read_file",
    "pg_sleep",
    "pg_sleep_for",
    "pg_stat_file",
    "polygon",
    "position",
    "query_to_xml",
    "quote",
    "quote_ident",
    "quote_literal",
    "rand",
    "randomblob",
    "rawtohex",
    "receive_message",
    "regexp_like",
    "regexp_substr",
    "release_lock",
    "repeat",
    "reverse",
    "right",
    "round",
    "row_count",
    "rpad",
    "rtrim",
    "schema",
    "sec_to_time",
    "serverproperty",
    "session_user",
    "sha1",
    "sha2",
    "sleep",
    "sn",
    "soundex",
    "space",
    "sqlite_version",
    "starts_with",
    "str_to_date",
    "strcmp",
    "string_agg",
    "strpos",
    "substr",
    "substring",
    "substring_index",
    "sum",
    "suser_name",
    "suser_sname",
    "sys_context",
    "sys_eval",
    "sys_exec",
    "system_user",
    "to_base64",
    "to_char",
    "to_number",
    "trim",
    "typeof",
    "ucase",
    "uncompress",
    "unhex",
    "unicode",
    "unistr",
    "unix_timestamp",
    "unlikely",
    "updatexml",
    "upper",
    "user",
    "user_name",
    "utl_http",
    "utl_inaddr",
    "uuid",
    "version",
    "version_comment",
    "waitfor",
    "weight_string",
    "xmltype",
    "xp_cmdshell",
    "xp_dirtree",
    "zeroblob",
];

/// The words SQL gives a class, written once: `classify_bytes` matches them, and
/// `CLASSIFIED` lists them (for the prefixes of SQL words).
macro_rules! classified_words {
    ($($kind:ident: $($word:literal)+;)+) => {
        /// Classifies a lowercase ASCII word given as bytes.
        pub(super) fn classify_bytes(lower: &[u8]) -> Kind {
            match lower {
                $($($word)|+ => Kind::$kind,)+
                _ => Kind::Bare,
            }
        }

        /// Every word `classify_bytes` gives a class.
        pub(super) const CLASSIFIED: &[&[u8]] = &[$($($word,)+)+];
    };
}

classified_words! {
    Union: b"union" b"except" b"intersect";
    Stmt: b"select" b"insert" b"update" b"delete" b"drop" b"create" b"alter" b"truncate"
        b"exec" b"execute" b"declare" b"shutdown" b"grant" b"revoke";
    Logic: b"and" b"or" b"xor";
    WordOp: b"like" b"rlike" b"ilike" b"regexp" b"similar" b"is" b"in" b"between" b"div"
        b"mod" b"sounds" b"escape" b"collate" b"glob" b"match" b"against" b"notnull"
        b"isnull";
    Group: b"having" b"limit" b"procedure";
    Num: b"true" b"false" b"null" b"unknown";
    Keyword: b"from" b"where" b"as" b"by" b"all" b"any" b"some" b"distinct" b"table"
        b"tables" b"database" b"databases" b"schema" b"into" b"values" b"set" b"top"
        b"case" b"when" b"then" b"else" b"end" b"exists" b"asc" b"desc" b"join" b"inner"
        b"outer" b"on" b"using" b"delay" b"waitfor" b"outfile" b"dumpfile" b"not"
        b"column" b"view" b"index" b"function" b"trigger" b"begin" b"with" b"offset"
        b"fetch" b"rows" b"only" b"nowait" b"analyse" b"binary" b"group" b"order"
        b"load_file" b"information_schema" b"sysobjects" b"syscolumns";
}

/// The word at `pos` is a SQL keyword (not a name or a function).
fn keyword_at(b: &[u8], pos: usize) -> bool {
    let len = b[pos..].iter().take_while(|&&c| is_word_char(c)).count();
    let mut buf = [0u8; 16];
    len <= buf.len() && {
        let w = &mut buf[..len];
        w.copy_from_slice(&b[pos..pos + len]);
        w.make_ascii_lowercase();
        !matches!(classify_bytes(w), Kind::Bare | Kind::Num)
    }
}

/// A lowercase ASCII word SQL knows: a keyword, operator word or known function.
pub(super) fn is_sql_word(lower: &[u8]) -> bool {
    classify_bytes(lower) != Kind::Bare || known_function(lower)
}

/// Every prefix of every word `is_sql_word` knows.
static SQL_WORD_PREFIXES: std::sync::LazyLock<std::collections::HashSet<&'static [u8]>> =
    std::sync::LazyLock::new(|| {
        CLASSIFIED
            .iter()
            .copied()
            .chain(KNOWN_FUNCTIONS.iter().map(|f| f.as_bytes()))
            .flat_map(|w| (1..=w.len()).map(|n| &w[..n]))
            .collect()
    });

/// Whether some word `is_sql_word` knows starts with `lower` (lowercase ASCII):
/// when none does, no longer word is one either.
pub(super) fn may_begin_sql_word(lower: &[u8]) -> bool {
    SQL_WORD_PREFIXES.contains(lower)
}

/// A lowercase ASCII word in `KNOWN_FUNCTIONS`.
fn known_function(lower: &[u8]) -> bool {
    KNOWN_FUNCTIONS
        .binary_search_by(|f| f.as_bytes().cmp(lower))
        .is_ok()
}

/// Words whose class survives a following `(`: `SELECT(1)`, `UNION(SELECT ...)`, `AND(1)`.
fn keeps_class_before_paren(k: Kind, lower: &[u8]) -> bool {
    matches!(k, Kind::Union | Kind::Logic | Kind::Group)
        || (k == Kind::Stmt && matches!(lower, b"select" | b"exec" | b"execute"))
        || (k == Kind::WordOp
            && matches!(
                lower,
                b"in" | b"like" | b"rlike" | b"regexp" | b"is" | b"between" | b"div" | b"mod"
            ))
        || matches!(
            lower,
            b"not"
                | b"exists"
                | b"values"
                | b"into"
                | b"from"
                | b"where"
                | b"on"
                | b"using"
                | b"as"
                | b"case"
                | b"when"
                | b"then"
                | b"else"
        )
}

/// The word in ASCII lowercase, as bytes (the word tables are byte strings: no
/// UTF-8 check of the copy), when it is ASCII and fits `buf`.
fn lower_into<'b>(word: &str, buf: &'b mut [u8; 32]) -> Option<&'b [u8]> {
    let n = word.len();
    if n > buf.len() || !word.is_ascii() {
        return None;
    }
    for (d, s) in buf.iter_mut().zip(word.bytes()) {
        *d = s.to_ascii_lowercase();
    }
    Some(&buf[..n])
}

fn is_word_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$' || c >= 0x80
}

fn is_word_char(c: u8) -> bool {
    // One lookup: the word loops test every byte of a word.
    WORD_CHAR[usize::from(c)]
}

/// Letters, digits, `_`, `$` and the bytes of non-ASCII characters.
const WORD_CHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80;
        c += 1;
    }
    t
};

fn is_space(c: u8) -> bool {
    c <= b' ' || c == 0x7f
}

/// A no-break space (U+00A0) at `pos`: MySQL reads the Latin-1 byte as a space, so
/// `1'\u{a0}OR\u{a0}1=1` is three words, not one.
fn nbsp_at(b: &[u8], pos: usize) -> bool {
    // The lead byte first: the word loops call this for every byte.
    b.get(pos) == Some(&0xc2) && b.get(pos + 1) == Some(&0xa0)
}

/// Tokenizes `input` in the given context.
///
/// In a quoted context the first token is the string that the input closes; when
/// the input never closes it, `None` is returned (the whole input is a string).
pub fn tokenize(input: &str, ctx: Context) -> Option<Tokens<'_>> {
    let mut out = Tokens::new();
    tokenize_into(input, ctx, &mut out).then_some(out)
}

/// [`tokenize`] into a buffer the caller owns (its previous tokens are dropped):
/// false where `tokenize` returns `None`. The hot path reuses one buffer rather
/// than copying a fresh 64-token array in and out of every call.
pub fn tokenize_into<'a>(input: &'a str, ctx: Context, out: &mut Tokens<'a>) -> bool {
    let b = input.as_bytes();
    out.buf.clear();
    let mut pos = 0;
    if let Context::Quoted(q) = ctx {
        // The first quote closes the string, escaped or not: `\'` is how payloads
        // get past `addslashes`-style escaping.
        let Some(close) = b.iter().position(|&c| c == q) else {
            return false;
        };
        out.push(Token {
            kind: Kind::Str,
            text: &input[..close],
            flag: false,
        });
        pos = close + 1;
    }
    let mut in_exec_comment = false;
    while pos < b.len() {
        let c = b[pos];
        if is_space(c) {
            pos += 1;
            continue;
        }
        // U+00A0 and other non-ASCII spaces.
        if c >= 0x80
            && let Some(ch) = input[pos..].chars().next()
            && ch.is_whitespace()
        {
            pos += ch.len_utf8();
            continue;
        }
        // MySQL reads `\N` as NULL, also glued to a keyword (`SELECT\NFROM t`); any
        // other backslash outside a string is noise a lexer skips (`SELECT\UNION`,
        // `WHERE\1=\1`). A path's `\Names` is no NULL.
        if c == b'\\' {
            if matches!(b.get(pos + 1), Some(b'N'))
                && (!b.get(pos + 2).is_some_and(|&n| is_word_char(n)) || keyword_at(b, pos + 2))
            {
                pos += 2;
                if !out.push(Token {
                    kind: Kind::Num,
                    text: "\\N",
                    flag: false,
                }) {
                    break;
                }
            } else {
                pos += 1;
            }
            continue;
        }
        // ODBC escapes `{ts '...'}`, `{fn f()}`, `{x expr}`: MySQL evaluates the
        // expression and ignores the braces and the leading word.
        if c == b'{' {
            let mut q = pos + 1;
            while q < b.len() && is_space(b[q]) {
                q += 1;
            }
            while q < b.len() && is_word_char(b[q]) && !nbsp_at(b, q) {
                q += 1;
            }
            pos = q.max(pos + 1);
            continue;
        }
        if c == b'}' {
            pos += 1;
            continue;
        }
        // PostgreSQL's dollar quoting, `$$text$$` or `$tag$text$tag$`: a string,
        // but the body of `DO $$…$$` or of a function (`AS $$…$$`) is code,
        // read on as such.
        if c == b'$'
            && let Some((body, close, end)) = dollar_string(input, pos)
        {
            let code = out
                .buf
                .last()
                .is_some_and(|t| t.kind != Kind::Str && (t.is("do") || t.is("as")));
            if code {
                pos = body;
                continue;
            }
            pos = end;
            if !out.push(Token {
                kind: Kind::Str,
                text: &input[body..close],
                flag: false,
            }) {
                break;
            }
            continue;
        }
        let start = pos;
        let tok = match c {
            b'\'' | b'"' => {
                let (text, end, unterminated) = scan_string(input, pos, c);
                pos = end;
                // Inside `'...'`, a `"` string left open is never closed by the
                // application's `'`: the query would not parse, so it is no operand.
                let foreign = matches!(ctx, Context::Quoted(q) if q != c);
                Token {
                    kind: if unterminated && foreign {
                        Kind::Other
                    } else {
                        Kind::Str
                    },
                    text,
                    flag: unterminated,
                }
            }
            b'`' => {
                let (text, end, unterminated) = match input[pos + 1..].find('`') {
                    Some(p) => (&input[pos + 1..pos + 1 + p], pos + 1 + p + 1, false),
                    None => (&input[pos + 1..], b.len(), true),
                };
                pos = end;
                // Where the application quotes the value as an identifier, a
                // backtick pair is to it what a quote pair is to a string value:
                // `` 1`=`1` AND 1=1 `` closes the name and compares two more.
                let identifier_value = ctx == Context::Quoted(b'`');
                Token {
                    kind: if identifier_value {
                        Kind::Str
                    } else {
                        Kind::Bare
                    },
                    text,
                    flag: identifier_value && unterminated,
                }
            }
            // MSSQL quoted identifier: `[information_schema].[tables]`.
            b'[' if input[pos + 1..].find(']').is_some_and(|p| {
                p > 0 && input[pos + 1..pos + 1 + p].bytes().all(is_word_char)
            }) =>
            {
                let close = input[pos + 1..].find(']').map_or(b.len(), |p| pos + 1 + p);
                pos = close + 1;
                Token {
                    kind: Kind::Bare,
                    text: &input[start + 1..close],
                    flag: false,
                }
            }
            b'/' if b.get(pos + 1) == Some(&b'*') => {
                if b.get(pos + 2) == Some(&b'!') {
                    // MySQL executable comment: its body is code.
                    pos += 3;
                    while pos < b.len() && b[pos].is_ascii_digit() {
                        pos += 1;
                    }
                    in_exec_comment = true;
                    continue;
                }
                let end = input[pos + 2..]
                    .find("*/")
                    .map_or(b.len(), |p| pos + 2 + p + 2);
                pos = end;
                Token {
                    kind: Kind::Comment,
                    text: &input[start..end],
                    flag: false,
                }
            }
            b'*' if in_exec_comment && b.get(pos + 1) == Some(&b'/') => {
                in_exec_comment = false;
                pos += 2;
                continue;
            }
            b'-' if b.get(pos + 1) == Some(&b'-') => {
                let end = input[pos..].find('\n').map_or(b.len(), |p| pos + p);
                pos = end;
                Token {
                    kind: Kind::Comment,
                    text: &input[start..end],
                    flag: false,
                }
            }
            b'#' => {
                let end = input[pos..].find('\n').map_or(b.len(), |p| pos + p);
                pos = end;
                Token {
                    kind: Kind::Comment,
                    text: &input[start..end],
                    flag: false,
                }
            }
            b'0'..=b'9' => {
                let end = scan_number(b, pos);
                if scientific_noise(b, end) {
                    pos = end + 1;
                    continue;
                }
                let (kind, stop) = match word_after_number(input, end) {
                    // The type letter of `1DUNION` belongs to the number.
                    Some(wend) if wend == end + 1 && wend < b.len() && is_word_char(b[wend]) => {
                        (Kind::Num, wend)
                    }
                    Some(wend) => (Kind::Bare, wend),
                    None => (Kind::Num, end),
                };
                pos = stop;
                Token {
                    kind,
                    text: &input[start..stop],
                    flag: false,
                }
            }
            b'.' if b.get(pos + 1).is_some_and(u8::is_ascii_digit) => {
                let end = scan_number(b, pos);
                pos = end;
                Token {
                    kind: Kind::Num,
                    text: &input[start..end],
                    flag: false,
                }
            }
            // JSON containment, `'{"a":1}' @> '{}'` (Postgres): a test, not a variable.
            b'@' if b.get(pos + 1) == Some(&b'>') => {
                pos += 2;
                Token {
                    kind: Kind::Op,
                    text: "@>",
                    flag: false,
                }
            }
            b'@' => {
                pos += 1;
                if b.get(pos) == Some(&b'@') {
                    pos += 1;
                }
                let name = pos;
                // MSSQL names a variable `#` too: `declare @# int`.
                if b.get(pos) == Some(&b'#') && !b.get(pos + 1).is_some_and(|&c| is_word_char(c)) {
                    pos += 1;
                } else if matches!(b.get(pos), Some(b'\'' | b'"' | b'`')) {
                    let (_, end, _) = scan_string(input, pos, b[pos]);
                    pos = end;
                } else {
                    while pos < b.len()
                        && (is_word_char(b[pos]) || b[pos] == b'.')
                        && !nbsp_at(b, pos)
                    {
                        pos += 1;
                    }
                }
                Token {
                    // A variable has a name: `!@#$%` is a row of symbols (a
                    // password), not `@v#`.
                    kind: if pos == name { Kind::Other } else { Kind::Var },
                    text: &input[start..pos],
                    flag: false,
                }
            }
            c if is_word_start(c) => {
                while pos < b.len() && is_word_char(b[pos]) && !nbsp_at(b, pos) {
                    pos += 1;
                }
                // `1or1=1`: a logic word glued between numbers is an operator.
                if start > 0
                    && b[start - 1].is_ascii_digit()
                    && let Some(aend) = glued_operator(input, start, pos)
                {
                    pos = aend;
                }
                let word = &input[start..pos];
                // Prefixed strings: N'..', X'..', B'..', E'..', _utf8'..'.
                if matches!(b.get(pos), Some(b'\''))
                    && (word.len() == 1 && matches!(c | 0x20, b'n' | b'x' | b'b' | b'e')
                        || c == b'_')
                {
                    let (text, end, unterminated) = scan_string(input, pos, b'\'');
                    pos = end;
                    Token {
                        kind: Kind::Str,
                        text,
                        flag: unterminated,
                    }
                } else {
                    word_token(input, word, pos)
                }
            }
            b'(' => {
                pos += 1;
                Token {
                    kind: Kind::LParen,
                    text: "(",
                    flag: false,
                }
            }
            b')' => {
                pos += 1;
                Token {
                    kind: Kind::RParen,
                    text: ")",
                    flag: false,
                }
            }
            b',' => {
                pos += 1;
                Token {
                    kind: Kind::Comma,
                    text: ",",
                    flag: false,
                }
            }
            b';' => {
                pos += 1;
                Token {
                    kind: Kind::Semi,
                    text: ";",
                    flag: false,
                }
            }
            b'.' => {
                pos += 1;
                Token {
                    kind: Kind::Dot,
                    text: ".",
                    flag: false,
                }
            }
            _ => {
                let (kind, len, sym) = scan_operator(b, pos);
                pos += len;
                Token {
                    kind,
                    text: &input[start..pos],
                    flag: sym,
                }
            }
        };
        if !out.push(tok) {
            break;
        }
    }
    true
}

/// Where the word glued to a number ending at `end` ends (`5pm`, `2nd`), or None
/// when no word follows or its letters are a keyword (`1union`, `1and`), which
/// splits off as a token of its own. For a type letter followed by a keyword
/// (`1DUNION`, `0xUNION`) it is `end + 1`: the letter belongs to the number.
fn word_after_number(input: &str, end: usize) -> Option<usize> {
    let b = input.as_bytes();
    if end >= b.len() || !is_word_start(b[end]) || b[end] == b'$' || nbsp_at(b, end) {
        return None;
    }
    let mut wend = end;
    while wend < b.len() && is_word_char(b[wend]) && !nbsp_at(b, wend) {
        wend += 1;
    }
    if glued_operator(input, end, wend).is_some() {
        return None;
    }
    let mut lb = [0u8; 32];
    let is_keyword = |w: &[u8]| {
        matches!(
            classify_bytes(w),
            Kind::Union | Kind::Logic | Kind::Stmt | Kind::Group | Kind::WordOp
        ) || w == b"from"
    };
    let keyword = lower_into(&input[end..wend], &mut lb).is_some_and(is_keyword);
    // MySQL reads a type letter after a number (`1d`, `1f`, `0x`) as part of the
    // literal, so `1DUNION SELECT` is `1 UNION SELECT`.
    let suffixed = wend - end > 3
        && matches!(b[end] | 0x20, b'd' | b'f' | b'x' | b'e')
        && lower_into(&input[end + 1..wend], &mut lb)
            .is_some_and(|w| matches!(classify_bytes(w), Kind::Union | Kind::Stmt) || w == b"from");
    if suffixed {
        return Some(end + 1);
    }
    (!keyword).then_some(wend)
}

/// In a word `start..end` glued to a number, where a logic operator glued to the
/// next number ends (`or` in `1or1`), if the word is one.
fn glued_operator(input: &str, start: usize, end: usize) -> Option<usize> {
    let b = input.as_bytes();
    let aend = start
        + b[start..end]
            .iter()
            .take_while(|c| c.is_ascii_alphabetic())
            .count();
    if aend == end || !b[aend].is_ascii_digit() {
        return None;
    }
    let mut lb = [0u8; 32];
    lower_into(&input[start..aend], &mut lb)
        .is_some_and(|w| matches!(w, b"or" | b"and" | b"xor" | b"div" | b"like"))
        .then_some(aend)
}

/// A PostgreSQL dollar-quoted string opening at `open` (`$$…$$`, `$tag$…$tag$`,
/// the tag a name that does not start with a digit), if it is closed: where
/// its text starts, where the closing delimiter starts and where it ends. An
/// unclosed one is left to the word scanner: `$$5` in prose is no string.
fn dollar_string(input: &str, open: usize) -> Option<(usize, usize, usize)> {
    let b = input.as_bytes();
    let mut i = open + 1;
    if b.get(i).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
        i += 1;
    }
    if b.get(i) != Some(&b'$') {
        return None;
    }
    let delimiter = &input[open..=i];
    let body = i + 1;
    let close = body + input[body..].find(delimiter)?;
    Some((body, close, close + delimiter.len()))
}

/// Scans a string opened at `open`; returns (body, end position, unterminated).
fn scan_string(input: &str, open: usize, q: u8) -> (&str, usize, bool) {
    let b = input.as_bytes();
    let mut i = open + 1;
    while i < b.len() {
        if b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == q {
            if b.get(i + 1) == Some(&q) {
                i += 2;
                continue;
            }
            return (&input[open + 1..i], i + 1, false);
        }
        i += 1;
    }
    (&input[(open + 1).min(b.len())..], b.len(), true)
}

/// Whether the number that `scan_number` ended at `end` is `1.e` noise, which
/// MySQL skips before `(`, `)`, `,` and `.`: `CONCAT 1.e(` is an evasion of
/// filters that look for `CONCAT(` (sqlmap's `scientific` tamper). The noise
/// ends after the `e`, at `end + 1`.
fn scientific_noise(b: &[u8], end: usize) -> bool {
    b[end - 1] == b'.'
        && matches!(b.get(end), Some(b'e' | b'E'))
        && matches!(
            next_non_space(b, end + 1).map(|n| b[n]),
            Some(b'(' | b')' | b',' | b'.')
        )
}

/// The position of the first byte at or after `from` that is not a space.
fn next_non_space(b: &[u8], from: usize) -> Option<usize> {
    b.get(from..)?
        .iter()
        .position(|c| !is_space(*c))
        .map(|p| from + p)
}

fn scan_number(b: &[u8], mut pos: usize) -> usize {
    if b[pos] == b'0'
        && matches!(b.get(pos + 1), Some(b'x' | b'X'))
        && b.get(pos + 2).is_some_and(u8::is_ascii_hexdigit)
    {
        pos += 2;
        while pos < b.len() && b[pos].is_ascii_hexdigit() {
            pos += 1;
        }
        return pos;
    }
    if b[pos] == b'0'
        && matches!(b.get(pos + 1), Some(b'b' | b'B'))
        && matches!(b.get(pos + 2), Some(b'0' | b'1'))
    {
        pos += 2;
        while pos < b.len() && matches!(b[pos], b'0' | b'1') {
            pos += 1;
        }
        return pos;
    }
    while pos < b.len() && b[pos].is_ascii_digit() {
        pos += 1;
    }
    if pos < b.len() && b[pos] == b'.' {
        pos += 1;
        while pos < b.len() && b[pos].is_ascii_digit() {
            pos += 1;
        }
    }
    if pos + 1 < b.len() && matches!(b[pos], b'e' | b'E') {
        let mut q = pos + 1;
        if matches!(b[q], b'+' | b'-') {
            q += 1;
        }
        if q < b.len() && b[q].is_ascii_digit() {
            pos = q;
            while pos < b.len() && b[pos].is_ascii_digit() {
                pos += 1;
            }
        }
    }
    pos
}

fn word_token<'a>(input: &'a str, word: &'a str, end: usize) -> Token<'a> {
    let mut lb = [0u8; 32];
    let lower = lower_into(word, &mut lb);
    let kind = lower.map_or(Kind::Bare, classify_bytes);
    let b = input.as_bytes();
    let mut next = next_non_space(b, end);
    // `SLEEP 1.e(5)`: the noise MySQL skips does not hide the call.
    if let Some(n) = next
        && b[n].is_ascii_digit()
    {
        let number_end = scan_number(b, n);
        if scientific_noise(b, number_end) {
            next = next_non_space(b, number_end + 1);
        }
    }
    let next = next.map(|n| b[n]);
    if next == Some(b'(') && !lower.is_some_and(|l| keeps_class_before_paren(kind, l)) {
        let known = lower.is_some_and(known_function);
        return Token {
            kind: Kind::Func,
            text: word,
            flag: known,
        };
    }
    Token {
        kind,
        text: word,
        flag: false,
    }
}

/// Returns (kind, length, symbolic-logic flag).
fn scan_operator(b: &[u8], pos: usize) -> (Kind, usize, bool) {
    let rest = &b[pos..];
    for op in [
        "<=>", "<>", "!=", "<=", ">=", ":=", "::", "<<", ">>", "!<", "!>", "||", "&&", "->>", "->",
        "<@",
    ] {
        if rest.starts_with(op.as_bytes()) {
            let logic = op == "||" || op == "&&";
            return (if logic { Kind::Logic } else { Kind::Op }, op.len(), logic);
        }
    }
    // Postgres's JSON key tests: `?|` and `?&`, and `?` before a string key
    // (`'{"a":1}' ? 'a'`); any other `?` is punctuation.
    match rest {
        [b'?', b'|' | b'&', ..] => return (Kind::Op, 2, false),
        [b'?', tail @ ..]
            if tail
                .iter()
                .find(|c| !c.is_ascii_whitespace())
                .is_some_and(|&c| c == b'\'') =>
        {
            return (Kind::Op, 1, false);
        }
        _ => {}
    }
    let kind = match rest[0] {
        b'=' | b'<' | b'>' | b'!' | b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'|' | b'&'
        | b'~' => Kind::Op,
        _ => Kind::Other,
    };
    // Keep multi-byte characters whole so token texts stay valid UTF-8.
    let len = if rest[0] >= 0x80 {
        let mut l = 1;
        while l < rest.len() && rest[l] & 0xC0 == 0x80 {
            l += 1;
        }
        l
    } else {
        1
    };
    (kind, len, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_characters_are_letters_digits_underscores_dollars_and_non_ascii_bytes() {
        for c in 0..=255u8 {
            let word = c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80;
            assert_eq!(is_word_char(c), word, "{c:#x}");
        }
    }

    #[test]
    fn json_operators_are_operators() {
        for (input, op) in [
            ("a @> b", "@>"),
            ("a <@ b", "<@"),
            ("a->'b'", "->"),
            ("a->>'b'", "->>"),
            ("a ? 'b'", "?"),
            ("a ?| array['b']", "?|"),
            ("a ?& array['b']", "?&"),
        ] {
            let t = tokenize(input, Context::Bare).expect("tokens");
            let t = t.as_slice();
            assert_eq!((t[1].kind, t[1].text), (Kind::Op, op), "{input}");
        }
    }

    #[test]
    fn dollar_quoted_strings_are_strings_but_unclosed_dollars_are_words() {
        for (input, text) in [("$$t$$", "t"), ("$a_1$x y$a_1$", "x y"), ("$$$$", "")] {
            let t = tokenize(input, Context::Bare).expect("tokens");
            let t = t.as_slice();
            assert_eq!(
                (t.len(), t[0].kind, t[0].text),
                (1, Kind::Str, text),
                "{input}"
            );
        }
        // The body of a `DO` block is code.
        let t = tokenize("do $$begin perform pg_sleep(5); end$$", Context::Bare).expect("tokens");
        assert!(t.as_slice().iter().any(|t| t.text == "pg_sleep"));
        for input in ["$$5 and up", "$1", "$x$ never closed"] {
            let t = tokenize(input, Context::Bare).expect("tokens");
            assert_ne!(t.as_slice()[0].kind, Kind::Str, "{input}");
        }
    }

    #[test]
    fn every_classified_word_has_a_class() {
        for w in CLASSIFIED {
            assert_ne!(
                classify_bytes(w),
                Kind::Bare,
                "{}",
                String::from_utf8_lossy(w)
            );
        }
        assert_eq!(classify_bytes(b"unions"), Kind::Bare);
    }

    #[test]
    fn a_prefix_of_a_sql_word_may_begin_one_and_others_may_not() {
        for p in [
            "s",
            "sel",
            "select",
            "informatio",
            "benchmar",
            "sleep",
            "un",
        ] {
            assert!(may_begin_sql_word(p.as_bytes()), "{p}");
        }
        for p in ["aa", "selectx", "xq", "unionz", "qq"] {
            assert!(!may_begin_sql_word(p.as_bytes()), "{p}");
        }
    }

    #[test]
    fn known_functions_are_sorted_for_the_binary_search() {
        assert!(KNOWN_FUNCTIONS.windows(2).all(|w| w[0] < w[1]));
    }

    fn kinds(input: &str, ctx: Context) -> Vec<Kind> {
        tokenize(input, ctx)
            .map(|t| t.as_slice().iter().map(|t| t.kind).collect())
            .unwrap_or_default()
    }

    #[test]
    fn quoted_context_starts_with_the_closed_string() {
        use Kind::*;
        assert_eq!(
            kinds("admin' or '1'='1", Context::Quoted(b'\'')),
            vec![Str, Logic, Str, Op, Str]
        );
        assert!(tokenize("no quote here", Context::Quoted(b'\'')).is_none());
    }

    #[test]
    fn numbers_words_keywords_and_functions_are_typed() {
        use Kind::*;
        assert_eq!(
            kinds(
                "1 union all select sleep(5),@@version from t",
                Context::Bare
            ),
            vec![
                Num, Union, Keyword, Stmt, Func, LParen, Num, RParen, Comma, Var, Keyword, Bare
            ]
        );
    }

    #[test]
    fn glued_keywords_are_split_from_numbers_but_ordinals_are_words() {
        use Kind::*;
        assert_eq!(
            kinds("1union select", Context::Bare),
            vec![Num, Union, Stmt]
        );
        assert_eq!(kinds("2nd floor", Context::Bare), vec![Bare, Bare]);
        assert_eq!(
            kinds("1DUNION SELECT 2", Context::Bare),
            vec![Num, Union, Stmt, Num]
        );
        assert_eq!(
            kinds("0xUNION SELECT", Context::Bare),
            vec![Num, Union, Stmt]
        );
        assert_eq!(kinds("2dogs", Context::Bare), vec![Bare]);
        assert_eq!(kinds("0x41424344", Context::Bare), vec![Num]);
    }

    #[test]
    fn comments_strings_and_operators_are_recognized() {
        use Kind::*;
        assert_eq!(kinds("a -- x", Context::Bare), vec![Bare, Comment]);
        assert_eq!(
            kinds("a /* x */ b # y", Context::Bare),
            vec![Bare, Comment, Bare, Comment]
        );
        assert_eq!(
            kinds("'it''s' || 'x'", Context::Bare),
            vec![Str, Logic, Str]
        );
        assert_eq!(kinds("a<>b", Context::Bare), vec![Bare, Op, Bare]);
    }

    #[test]
    fn mysql_executable_comments_are_code() {
        use Kind::*;
        assert_eq!(
            kinds("/*!50000union*/ /*!select*/ 1", Context::Bare),
            vec![Union, Stmt, Num]
        );
    }

    #[test]
    fn mysql_oddities_lex_as_mysql_does() {
        use Kind::*;
        assert_eq!(
            kinds("SELECT\\UNION SELECT 2", Context::Bare),
            vec![Stmt, Union, Stmt, Num]
        );
        assert_eq!(kinds("1=\\N", Context::Bare), vec![Num, Op, Num]);
        assert_eq!(
            kinds("SELECT\\NFROM t", Context::Bare),
            vec![Stmt, Num, Keyword, Bare]
        );
        assert_eq!(kinds("c:\\Names", Context::Bare), vec![Bare, Other, Bare]);
        assert_eq!(
            kinds("{ts 1}UNION SELECT 2", Context::Bare),
            vec![Num, Union, Stmt, Num]
        );
        assert_eq!(
            kinds(
                "SELECT\"t\"FROM[information_schema].[tables]",
                Context::Bare
            ),
            vec![Stmt, Str, Keyword, Bare, Dot, Bare]
        );
    }

    #[test]
    fn token_count_is_bounded() {
        let long = "a ".repeat(1000);
        assert_eq!(
            tokenize(&long, Context::Bare).map(|t| t.as_slice().len()),
            Some(MAX_TOKENS)
        );
    }

    #[test]
    fn odd_bytes_do_not_panic() {
        for s in [
            "'",
            "\"",
            "@",
            "@'",
            "0x",
            "1e",
            "`",
            "/*",
            "/*!",
            "é'ü",
            "\u{a0}'--",
            "N'",
        ] {
            let _ = tokenize(s, Context::Bare);
            let _ = tokenize(s, Context::Quoted(b'\''));
        }
    }

    #[test]
    fn a_logic_word_glued_between_numbers_is_an_operator() {
        use Kind::*;
        assert_eq!(
            kinds("1or1=1", Context::Bare),
            vec![Num, Logic, Num, Op, Num]
        );
        assert_eq!(
            kinds("4or5 people", Context::Bare),
            vec![Num, Logic, Num, Bare]
        );
    }

    #[test]
    fn mysql_skips_a_number_ending_in_dot_e_before_a_parenthesis() {
        use Kind::*;
        assert_eq!(
            kinds("1 and 1.e(select 1)", Context::Bare),
            vec![Num, Logic, LParen, Stmt, Num, RParen]
        );
        assert_eq!(
            kinds("version 1.e draft", Context::Bare),
            vec![Bare, Bare, Bare]
        );
    }

    #[test]
    fn except_and_intersect_are_set_operators() {
        use Kind::*;
        assert_eq!(
            kinds("1 except select", Context::Bare),
            vec![Num, Union, Stmt]
        );
        assert_eq!(
            kinds("x intersect y", Context::Bare),
            vec![Bare, Union, Bare]
        );
    }
}
