//! NoSQL (945xxx), LDAP (946xxx), XXE (947xxx), CRLF/header injection (921xxx),
//! scanner (913xxx) and protocol (911xxx/920xxx) rules.
use super::Category::{Crlf, Ldap, Nosql, Protocol, Scanner, Xxe};
use super::pipelines::*;
use super::targets::*;
use super::{Check::*, RuleDef, Severity::*, rule};
use crate::waf::fields::FieldKind as K;

/// TRACE/TRACK/DEBUG echo or debug requests; never part of an API.
fn debug_method(m: &str) -> bool {
    ["TRACE", "TRACK", "DEBUG"]
        .iter()
        .any(|x| m.eq_ignore_ascii_case(x))
}

/// A method that is not a token (RFC 9110) or is unreasonably long.
fn invalid_method(m: &str) -> bool {
    m.is_empty()
        || m.len() > 20
        || !m
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c))
}

macro_rules! mongo_ops {
    () => {
        r"(?:where|ne|eq|gt|gte|lt|lte|regex|in|nin|exists|or|and|nor|not|expr|function|accumulator|elemmatch|type|mod|all|size|text|jsonschema|lookup|merge|out|comment|options|where|geowithin|near|slice|set|unset|push|pull|inc|rename)"
    };
}

pub(super) fn rules() -> Vec<RuleDef> {
    let names = NAMES | K::Cookie as u16;
    let splitting =
        K::ArgName as u16 | K::Path as u16 | K::PathSegment as u16 | K::Cookie as u16 | HEADERS;
    vec![
        // NoSQL
        rule(
            945100,
            Nosql,
            1,
            Critical,
            names,
            DEC,
            Regex(concat!(r"(?:^|\[)\s*\$", mongo_ops!(), r"\s*(?:\]|$)")),
            "NoSQL operator in a key",
        ),
        rule(
            945110,
            Nosql,
            1,
            Critical,
            ATTACK,
            DEC,
            Regex(
                r##"\$where\b|\bthis\s*\.\s*\w+\s*(?:==|!=|\.match\s*\(|\.length\b)|['"]\s*;\s*return\s+(?:true|1|this|'|")|;\s*return\s+['"]?\w*['"]?\s*==\s*['"]?\w*|\bdb\s*\.\s*\w+\s*\.\s*(?:find|drop|insert|remove|update|delete)\w*\s*\(|\bdb\s*\.\s*(?:getcollection|dropdatabase|eval|getsiblingdb)\s*\(|['"]\s*(?:\|\||&&)\s*['"]?\w*['"]?\s*===?\s*['"]?\w*|['"]\s*;\s*(?:while\s*\(\s*true|sleep\s*\(\s*\d)|\bsleep\s*\(\s*\d{3,}\s*\)\s*;|\bobjectid\s*\(\s*['"]|^\s*(?:\|\||&&)\s*(?:\d+|true|'\w*'|"\w*")\s*===?\s*(?:\d+|true|'\w*'|"\w*")|(?:^|['"\d)])\s*;\s*return\s*[\s(]\s*(?:true|1|this|!0)\b|['"]\s*;\s*[\w$]+\s*=\s*new\s+date\s*\(|(?:^|['"\w])\s*(?:\|\||&&)\s*!?\s*this\s*(?:['"]|$)|['"]?\s*;\s*return\s+(?:true|false)\s*;\s*var\s+\w+\s*=\s*['"]?\s*$"##,
            ),
            "NoSQL server-side JavaScript",
        ),
        // A JavaScript condition continued where the caller's `$where` string
        // stops: a value that opens with `&&` or `||` and compares with `==`,
        // `===`, `!=` or `!==` (`|| langCode ==`, `&&(d!==`), or a logic operator
        // then a member of `this` (`2499999||this.product`). Minified code, pasted
        // as a value, writes the same: paranoia 2.
        rule(
            945111,
            Nosql,
            2,
            Critical,
            ATTACK,
            DEC,
            Regex(
                r##"^\s*(?:\|\||&&)\s*\(?\s*!?\s*[\w.$]+\s*[!=]==?|(?:^|['"\w)])\s*(?:\|\||&&)\s*!?\s*this\s*\.\s*[a-z_$]"##,
            ),
            "JavaScript condition continued after a logic operator",
        ),
        rule(
            945120,
            Nosql,
            1,
            Critical,
            ATTACK,
            DEC,
            // `{"$gt": ""}`, and the same spliced into a document literal without its
            // brace: `', $or: [ {}, {'a':'a`, `' } ], $comment:'x'`.
            // ... and a key with its bracketed operator carried in a value
            // (`u_id[$ne]`), of the operators no variable is likely named after.
            Regex(concat!(
                r##"(?:\{|['"\]}]\s*,|^\s*,)\s*['"]?\$"##,
                mongo_ops!(),
                r##"['"]?\s*:|\[\s*\$(?:ne|eq|gte?|lte?|nin|regex|exists|elemmatch|nor|where)\s*\]"##
            )),
            "NoSQL operator object in a value, or a key's bracketed operator",
        ),
        // An ORM lookup on a secret column in a filter's key: Django's
        // `password__startswith` (also reached through relations,
        // `created_by__user__password__regex`) or the bracketed operators of
        // Prisma-style filters, `where[password][startsWith]`. An API that
        // filters on user input leaks the secret one character at a time
        // (ORM leak); no filter of a real client compares a password by prefix.
        rule(
            945130,
            Nosql,
            1,
            Critical,
            names,
            DEC,
            Regex(
                r##"(?:^|__|\[|\.)(?:password|passwd|password_hash|pwd|secret|api_?key|token|reset_token|otp|salt)(?:__|\]?\s*\[\s*|\.)(?:i?startswith|i?endswith|i?contains|i?regex|i?exact|gte?|lte?|range|in|isnull|not|has)\b"##,
            ),
            "ORM filter operator on a secret field (ORM leak)",
        ),
        // LDAP
        rule(
            946100,
            Ldap,
            1,
            Critical,
            ATTACK,
            DEC,
            Regex(
                r##"\)\s*\(\s*[|&!]?\s*(?:\(\s*)*[\w-]+\s*[~<>]?=|^\s*\*\s*\)\s*\(|\(\s*[|&!]\s*\(\s*[\w-]+\s*[~<>]?=|\)\s*\(\s*[|&!]\s*\)|^\s*[^\s()]*\)\s*\(\s*(?:[|&!]\s*\(\s*)?\*|\)\s*\(\s*[|&!]\s*\(\s*\*|\*\s*\)\s*\)\s*(?:\x00|%00)|\*\s*\(\s*\)\s*[|&]|\)\s*\(\s*\(\s*[|&!]|\(\s*(?:objectclass|uid|cn|sn|mail|userpassword|samaccountname|memberof|ou|dc|givenname|distinguishedname)\s*=\s*\*\s*\)"##,
            ),
            "LDAP filter injection",
        ),
        // XXE
        rule(
            947100,
            Xxe,
            1,
            Critical,
            ATTACK | XML,
            DEC,
            Regex(
                r##"<!entity\s+%?\s*[\w.:-]+\s+(?:system|public)\b|<!entity\s+%\s*[\w.:-]+|<!doctype\s+[\w:.-]+\s+(?:system|public)\s+['"]|<!doctype[^>\[]*\[[^\]]*<!entity|<xi:include\b|\bphp:function\s*\(|xmlns:php\s*=|xmlns:xi\s*=\s*['"]http://www\.w3\.org/2001/xinclude|<!entity\s+[\w.:-]+\s+['"][^'"]*&[\w.:-]+;|<\?xml\b[^>]*\bencoding\s*=\s*['"]?utf-?7|\bsystem-property\s*\(\s*['"]xsl:|<xsl:[\w-]+\b[^>]*\b(?:document|unparsed-text)\s*\(\s*['"](?:https?|ftp|file)://"##,
            ),
            "XML external entity, XInclude, a UTF-7 document or an XSLT probe",
        ),
        rule(
            947120,
            Xxe,
            2,
            Critical,
            ATTACK | XML,
            DEC,
            // A schema the parser would fetch from another host when it validates:
            // a server-side request. Configuration files carry schema locations
            // too, so from paranoia 2.
            Regex(
                r##"<[\w.-]+:(?:include|import|redefine)\b[^>]*\b(?:schemalocation|namespace)\s*=\s*['"]\s*(?:https?|ftp|file)://|\b(?:xsi:)?(?:nonamespace)?schemalocation\s*=\s*['"][^'"]*\b(?:https?|ftp|file)://"##,
            ),
            "XML schema fetched from a URL",
        ),
        rule(
            947110,
            Xxe,
            1,
            Warning,
            ATTACK | XML,
            DEC,
            Regex(r##"<!(?:doctype|entity)\b"##),
            "DTD in a request",
        ),
        // CRLF and header injection
        rule(
            921130,
            Crlf,
            1,
            Critical,
            ATTACK | PATH,
            URL,
            Regex(
                r##"[\r\n]\s*(?:set-cookie|location|content-(?:type|length|disposition|security-policy)|x-xss-protection|access-control-allow-[\w-]+|refresh|transfer-encoding|x-[\w-]+|host|cookie|www-authenticate|content-encoding)\s*:|[\r\n]\s*http/\d|[\x{560a}\x{560d}\x{010a}\x{010d}]+\s*[\w-]+\s*:|[\r\n]{2}\s*<(?:html|script|svg|img|body)"##,
            ),
            "HTTP response splitting / header injection",
        ),
        rule(
            921140,
            Crlf,
            1,
            Critical,
            splitting,
            URL,
            // A header line: its name right after the line break (a line that
            // starts with blanks continues the one before), then `:` and a value
            // on the same line, which is not the `//` of a URL (`…at\nhttps://…`).
            // Code and prose that wrap (`else:\n    body`, `  --> src/a.rs:10`)
            // are neither.
            Regex(r##"[\r\n][\w-]+[ \t]*:(?:[ \t]*[^\s/]|[ \t]+/)"##),
            "Header injection (CRLF in a URL, header or cookie)",
        ),
        rule(
            921150,
            Crlf,
            1,
            Critical,
            NAMES,
            URL,
            Regex(r##"[\r\n]"##),
            "CR or LF in an argument name",
        ),
        // Scanners
        rule(
            913100,
            Scanner,
            1,
            Critical,
            HEADERS,
            RAW,
            Regex(
                r##"\b(?:nikto|sqlmap|nmap|masscan|acunetix|nessus|openvas\w*|w3af|wpscan|dirbuster|gobuster|dirb|wfuzz|ffuf|nuclei|zgrab|havij|zmeu|jaeles|arachni|skipfish|whatweb|fimap|commix|xsser|nosqlmap|netsparker|appscan|webinspect|paros|burpsuite|burp\s+collaborator|qualys|morfeus|jorgee|owasp[ _-]?zap|zaproxy|hydra|medusa|grabber|webshag|bbqsql|sqlninja|pangolin|bsqlbf|sqlsus|absinthe|nsauditor|wapiti|websecurify|ratproxy|dotdotpwn|struts-pwn|log4j-scan|interactsh|feroxbuster|fuzz faster u fool|dirsearch|xsstrike|tplmap|joomscan|droopescan|cmsmap|vega|brutus|detectify|wpscan|nmap scripting engine|masscan-ng|zmap|sslyze|testssl|l9explore|l9tcpid|cgichk|webvulnscan|netlab360|scaninfo@paloaltonetworks|[\w-]+\.nasl|(?:[\w-]+\.)+(?:burpcollaborator\.net|oastify\.com|interact\.sh|oast\.(?:pro|live|site|online|fun|me)|dnslog\.cn|ceye\.io|bxss\.me|xss\.ht|canarytokens\.com))\b"##,
            ),
            "Security scanner user agent",
        ),
        // Protocol
        rule(
            911100,
            Protocol,
            1,
            Critical,
            METHOD,
            RAW,
            Detector(debug_method, b""),
            "TRACE/TRACK/DEBUG method",
        ),
        rule(
            911110,
            Protocol,
            1,
            Critical,
            METHOD,
            RAW,
            Detector(invalid_method, b""),
            "Invalid method token",
        ),
        rule(
            920270,
            Protocol,
            1,
            Critical,
            ATTACK | PATH,
            URL,
            Regex(r##"\x00"##),
            "NUL byte in request data",
        ),
        rule(
            920280,
            Protocol,
            1,
            Critical,
            ATTACK,
            DEC,
            // A run of C or Windows format directives (`%n%s%n%s…`, `%x%x%x…`,
            // `%1!s%2!n`): what a format-string probe sends to read or write the
            // stack. Text that documents printf writes them apart.
            Regex(r##"(?:%(?:\d+\$|\d+!)?[-+ #0]?\d*(?:\.\d+)?[nsxpd]!?){6,}"##),
            "Format-string directives in a row",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use crate::waf::rules::fires;

    #[test]
    fn format_directives_in_a_row_fire_but_a_date_format_does_not() {
        for a in [
            "ZAP%n%s%n%s%n%s%n%s",
            "ZAP%x%x%x%x%x%x%x%x%x%x",
            "ZAP %1!s%2!s%3!s%4!s%5!s%6!s%7!n",
            "%.8x%.8x%.8x%.8x%.8x%.8x",
        ] {
            assert!(fires(920280, a), "missed {a}");
        }
        for b in [
            "%Y-%m-%d %H:%M:%S",
            "%s %s %s %s %s %s",
            "100%% sure",
            "%d%d%d",
        ] {
            assert!(!fires(920280, b), "flagged {b}");
        }
    }

    #[test]
    fn a_utf7_document_and_a_schema_fetched_from_a_url_fire() {
        assert!(fires(947100, "<?xml version=\"1.0\" encoding=\"UTF-7\"?>"));
        assert!(!fires(947100, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        // XSLT injection: the processor's name, or a document fetched from a URL.
        assert!(fires(
            947100,
            "\"/><xsl:value-of select=\"system-property('xsl:vendor')\"/><!--"
        ));
        assert!(fires(
            947100,
            "<xsl:value-of select=\"document('http://www.example.com:22')\"/>"
        ));
        assert!(!fires(947100, "<xsl:value-of select=\"document('')/x\"/>"));
        for a in [
            "<xs:schema><xs:include namespace=\"http://xxe.example.com/\"/></xs:schema>",
            "<x xsi:schemaLocation=\"http://evil.example.com/x.xsd\"/>",
            "<x xsi:noNamespaceSchemaLocation='file:///etc/passwd'/>",
        ] {
            assert!(fires(947120, a), "missed {a}");
        }
        for b in [
            "<xs:include schemaLocation=\"common.xsd\"/>",
            "the schemaLocation attribute names a file",
        ] {
            assert!(!fires(947120, b), "flagged {b}");
        }
    }

    #[test]
    fn scanner_agents_and_callback_hosts_in_a_header_fire() {
        for a in [
            "Microsoft WinRM Client OpenVASVT",
            "mercuryboard_user_agent_sql_injection.nasl'",
            "Mozilla/5.0 (X11) root@w63gecoro.interact.sh",
            "curl/8.0 x.oastify.com",
        ] {
            assert!(fires(913100, a), "missed {a}");
        }
        for b in [
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0 Safari/537.36",
            "interact.sh is a tool",
        ] {
            assert!(!fires(913100, b), "flagged {b}");
        }
    }

    #[test]
    fn orm_lookups_on_a_secret_field_fire_but_ordinary_filters_do_not() {
        for a in [
            "password__startswith",
            "created_by__user__password__regex",
            "where[password][startsWith]",
            "user.password.contains",
            "api_key__gte",
        ] {
            assert!(fires(945130, a), "missed {a}");
        }
        for b in [
            "username__startswith",
            "name__icontains",
            "password",
            "password_confirmation",
            "token_type",
            "where[email][contains]",
        ] {
            assert!(!fires(945130, b), "flagged {b}");
        }
    }

    #[test]
    fn javascript_injected_into_a_where_clause_fires_but_code_does_not() {
        for a in [
            "1'||this'",
            "1||!this",
            "Widget\"&&this\"",
            "';return false;var foo='",
            ";return true;var foo=",
        ] {
            assert!(fires(945110, a), "missed {a}");
        }
        for b in [
            "a || this.b",
            "return false; var x = 1; f()",
            "x || thistle",
        ] {
            assert!(!fires(945110, b), "flagged {b}");
        }
    }

    #[test]
    fn a_javascript_condition_continued_after_a_logic_operator_fires_at_paranoia_two() {
        for a in [
            "&&(e===",
            "||(c===",
            "&& 1==(",
            "|| langCode ==",
            " &&(null==(",
            "&&(d!==",
            "2499999||this.product",
            "x' && this.role",
        ] {
            assert!(fires(945111, a), "missed {a}");
        }
        for b in [
            "&& make install",
            "a && b == c",
            "|| true",
            "x || thistle",
            "=== Heading ===",
        ] {
            assert!(!fires(945111, b), "flagged {b}");
        }
    }

    #[test]
    fn a_bracketed_operator_in_a_value_is_nosql_but_a_php_index_is_not() {
        assert!(fires(945120, "u_id[$ne]"));
        assert!(fires(945120, "[$lte]asdfsd"));
        assert!(fires(945120, "user[ $regex ]=.*"));
        assert!(!fires(945120, "$row[$text] and $items[$key]"));
        assert!(!fires(945120, "costs [$5]"));
    }

    #[test]
    fn a_header_line_after_a_line_break_is_injection_but_wrapped_code_and_prose_are_not() {
        for a in [
            "x\r\nX-Injected: yes",
            "en\r\nContent-Type: text/html",
            "\nSet-Cookie:x=1",
            "/\r\nLocation: /admin",
            "x\r\nRefresh: 0; url=http://evil.example",
        ] {
            assert!(fires(921140, a), "missed {a:?}");
        }
        for b in [
            "try:\n    foo\nexcept:\n    bar",
            "async for T in I:\n    SUITE\nelse:\n    SUITE2",
            "Please report bugs on the tracker at\nhttps://github.com/x/y/issues.",
            " - Anders (2):\n    pkcheck: fix man typos",
            "warning: unused\n  --> src/main.rs:10:16",
        ] {
            assert!(!fires(921140, b), "flagged {b:?}");
        }
    }

    #[test]
    fn ldap_breakouts_to_a_wildcard_or_absolute_filter_fire_but_prose_does_not() {
        for a in [
            "admin)(*",
            "admin)(|(*",
            "root)(*",
            "admin)(!)",
            "x)(&)",
            "*)(|(*",
            "1)))(((objectClass=*",
            "Widget))))((((uid=*",
        ] {
            assert!(fires(946100, a), "missed {a}");
        }
        for b in [
            "(see above)(*)",
            "f(x)(*y)",
            "price (USD)(*approx)",
            "smile :)(*",
            "a)(b",
            "(a)) ((b) = c",
        ] {
            assert!(!fires(946100, b), "flagged {b}");
        }
    }
}
