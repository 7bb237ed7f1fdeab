//! XSS rules (941xxx): the HTML tag scanner and regexes for script URLs, JS-context
//! breakouts and script sinks.
use super::pipelines::*;
use super::targets::*;
use super::{Category::Xss, Check::*, RuleDef, Severity::*, rule};
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
                r##"(?:java|vb|live)script:(?:[\w$.\[\]'"]+[(`=]|//|/\*|\{|\(|!|void\b|\d|top\b|this\b|window\b|document\b|eval\b|self\b|parent\b|location\b|%)"##,
            ),
            "XSS: javascript: URL",
        ),
        rule(
            941190,
            Xss,
            1,
            Critical,
            t,
            XSS_TIGHT,
            Regex(
                r##"\bdata:(?:text/html|image/svg\+xml|application/(?:x-)?(?:javascript|ecmascript|xhtml\+xml)|text/(?:javascript|ecmascript|xml))[;,]"##,
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
            Regex(
                r##"['"`]\s*[-+*/;,)|&^%]+\s*(?:alert|prompt|confirm|eval|print)\s*(?:\(|`)|['"`]\s*[-+*/;)|&^%]+\s*(?:document|window|top|self|parent|location|this)\s*(?:\.|\[)|['"`]\s*[-+*/;,)|&^%]+\s*(?:fetch|atob|settimeout|setinterval|import)\s*\(|['"`]\s*;\s*(?:new\s+function|function\s*\()"##,
            ),
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
                r##"\b(?:alert|prompt|confirm)\s*(?:\(\s*(?:\d|document\b|window\b|this\b|top\b|self\b|location\b|/|['"]\s*xss|string\s*\.|atob\b|`)|`)|\bdocument\s*\.\s*(?:cookie\b|domain\b|write(?:ln)?\s*\()|\bstring\s*\.\s*fromcharcode\s*\(|\$\{\s*(?:alert|prompt|confirm|eval)\s*(?:\(|`)|\beval\s*\(\s*(?:atob|unescape|decodeuri\w*|string\b|location|name\b|window|this|`)|\.\s*innerhtml\s*=|\bwindow\s*\[\s*['"`]|\btop\s*\[\s*['"`]\w+['"`]\s*\+"##,
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
            Regex(r##"(?:^|['"`\s/;])on[a-z]{3,}\s*=\s*['"`]?\s*[\w$.\[\]'"]+\s*(?:\(|`)"##),
            "XSS: event handler injected into an attribute",
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
