//! XSS in a script context: a dialog or eval sink (`alert`, `prompt`, `confirm`,
//! `eval`) used the way only JavaScript uses it, with no HTML around it.
//!
//! Payloads that land inside a `<script>` block or an event handler call the sink
//! indirectly to slip past filters that look for `alert(1)`: they pass it as a
//! value (`[1].map(alert)`, `a=alert,a(1)`, `onerror=alert`, `{set:alert}`), call
//! it through the function prototype (`alert.call(null,1)`), optionally
//! (`alert?.()`), from an arrow function (`x=>alert(x)`), or after a comma
//! expression (`(0,eval)('…')`). Prose names these words too ("alert settings",
//! "confirm (or cancel)"), so a reference counts only where its neighbours are
//! JavaScript syntax that prose does not write: no space before a call's `(`, an
//! assignment, an argument list, an array or object literal.
//!
//! Input is expected decoded (URL, HTML entities) and lowercased.

use std::sync::LazyLock;

use memchr::memmem::Finder;

/// The sinks: each opens a dialog or runs a string, which is what a proof of
/// concept calls.
const SINKS: [&str; 4] = ["alert", "prompt", "confirm", "eval"];

/// How far around a sink the syntax is read, so a value full of sinks stays linear.
const WINDOW: usize = 256;

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$'
}

fn skip_ws_fwd(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The index of the last non-space byte before `i`, if any.
fn prev_non_ws(b: &[u8], i: usize) -> Option<usize> {
    (i.saturating_sub(WINDOW)..i)
        .rev()
        .find(|&j| !b[j].is_ascii_whitespace())
}

/// For each byte, 1 + the index in `SINKS` of the sink it begins (the sinks
/// begin with distinct letters), or 0.
const SINK_BY_FIRST: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < SINKS.len() {
        let first = SINKS[i].as_bytes()[0] as usize;
        assert!(table[first] == 0, "two sinks begin with one letter");
        table[first] = i as u8 + 1;
        i += 1;
    }
    table
};

/// Values shorter than this are read byte by byte (`SINK_BY_FIRST`); longer
/// ones are searched sink by sink, whose vector search skips most of a long
/// text but costs more to set up than a short value takes to read.
const SHORT: usize = 64;

/// A searcher per sink, built once.
static FINDERS: LazyLock<[Finder<'static>; 4]> = LazyLock::new(|| SINKS.map(Finder::new));

/// True when `s` (decoded, lowercased) uses a sink as script does.
pub fn sink_reference(s: &str) -> bool {
    let b = s.as_bytes();
    let used = |start: usize, sink: &[u8]| {
        let end = start + sink.len();
        (start == 0 || !is_ident(b[start - 1]))
            && b.get(end).is_none_or(|&c| !is_ident(c))
            && used_as_script(b, start, end)
    };
    if b.len() < SHORT {
        b.iter().enumerate().any(|(start, &c)| {
            SINK_BY_FIRST[usize::from(c)]
                .checked_sub(1)
                .map(|k| SINKS[usize::from(k)].as_bytes())
                // The second letter first: prose is full of each sink's first.
                .is_some_and(|sink| {
                    b.get(start + 1) == sink.get(1)
                        && b[start..].starts_with(sink)
                        && used(start, sink)
                })
        })
    } else {
        FINDERS.iter().any(|finder| {
            finder
                .find_iter(b)
                .any(|start| used(start, finder.needle()))
        })
    }
}

/// True when `s` (decoded, lowercased) calls a sink whose name is spelled with
/// whitespace or control characters between its letters: `a&Tab;l&Tab;e&Tab;r&Tab;t(1)`,
/// entities decoded, is `alert(1)` to a browser that drops them, as it does in a
/// `javascript:` URL. Nobody writes a word so, and the name alone is not in the
/// value for the other rules to see.
pub fn spelled_sink(s: &str) -> bool {
    let b = s.as_bytes();
    let skip = |mut i: usize| {
        while b.get(i).is_some_and(|&c| c <= b' ') {
            i += 1;
        }
        i
    };
    SINKS.iter().any(|sink| {
        let word = sink.as_bytes();
        memchr::memchr_iter(word[0], b).any(|start| {
            if start > 0 && is_ident(b[start - 1]) {
                return false;
            }
            let (mut i, mut gaps) = (start + 1, 0);
            for &c in &word[1..] {
                let j = skip(i);
                gaps += usize::from(j > i);
                if b.get(j) != Some(&c) {
                    return false;
                }
                i = j + 1;
            }
            gaps > 0 && matches!(b.get(skip(i)), Some(b'(' | b'`'))
        })
    })
}

/// Whether the sink at `b[start..end]` is called or passed around as script does.
fn used_as_script(b: &[u8], start: usize, end: usize) -> bool {
    let next = skip_ws_fwd(b, end);
    let rest = &b[next..];
    // Optional call, or a call through the prototype: `alert?.()`, `alert.call(`.
    if rest.starts_with(b"?.(") {
        return true;
    }
    if let Some(r) = rest.strip_prefix(b".") {
        let r = &r[skip_ws_fwd(r, 0)..];
        for m in [&b"call"[..], b"apply", b"bind"] {
            if let Some(after) = r.strip_prefix(m)
                && after[skip_ws_fwd(after, 0)..].starts_with(b"(")
            {
                return true;
            }
        }
    }
    // The member chain the sink ends (`window.alert`, `content?.alert`) and what
    // comes before it.
    let mut chain = start;
    let floor = start.saturating_sub(WINDOW);
    while chain > floor && (is_ident(b[chain - 1]) || matches!(b[chain - 1], b'.' | b'?')) {
        chain -= 1;
    }
    let prev = prev_non_ws(b, chain);
    let prev_c = prev.map(|p| b[p]);
    if rest.first() == Some(&b'(') {
        // A minified arrow function handing its input to the sink: `m=>alert(m)`,
        // `()=>eval(x.responsetext)`. Code written for people spaces its arrows.
        let compact_arrow = prev == Some(chain.wrapping_sub(1))
            && prev_c == Some(b'>')
            && chain >= 3
            && b[chain - 2] == b'='
            && (is_ident(b[chain - 3]) || b[chain - 3] == b')')
            && next == end
            && rest
                .get(1)
                .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_');
        let sink = &b[start..end];
        return compact_arrow
            || scripty_arguments(&rest[1..])
            || (sink == b"eval"
                && (evaluates_a_member(&rest[1..]) || glued_concatenation(&rest[1..])));
    }
    // The sink as a value: what follows ends an expression.
    let ends_value = match rest.first() {
        None => true,
        Some(c) => matches!(c, b')' | b',' | b']' | b'}' | b';') || rest.starts_with(b"//"),
    };
    let Some(p) = prev else {
        return false;
    };
    match b[p] {
        // Assigned to a handler (`onerror=alert`), to a JSONP callback
        // (`callback=alert`), or to a name that is then called (`a=alert,a(1)`).
        b'=' if p > 0 && !matches!(b[p - 1], b'=' | b'!' | b'<' | b'>') => {
            let target = assignment_target(b, p);
            handler_name(target)
                || (ends_value && (jsonp_name(target) || called_later(rest, target)))
        }
        // An argument: `.map(alert)`, `('click',alert)`, `(0,eval)(...)`.
        b'(' | b',' if ends_value => {
            (rest.first() == Some(&b')') && b[skip_ws_fwd(b, next + 1)..].starts_with(b"("))
                || enclosing_is_call_or_array(b, p + 1)
        }
        b'[' if ends_value => enclosing_is_call_or_array(b, p + 1),
        // An object literal's property: `{set:alert}`, `{tojson:alert}`.
        b':' if matches!(rest.first(), Some(b'}' | b',')) => {
            let mut k = p;
            while k > 0 && is_ident(b[k - 1]) {
                k -= 1;
            }
            k < p && prev_non_ws(b, k).is_some_and(|q| matches!(b[q], b'{' | b','))
        }
        _ => false,
    }
}

/// The identifier an `=` at `eq` assigns to (its last member: `window.onerror`
/// gives `onerror`).
fn assignment_target(b: &[u8], eq: usize) -> &[u8] {
    let end = prev_non_ws(b, eq).map_or(0, |p| p + 1);
    let mut k = end;
    while k > 0 && is_ident(b[k - 1]) {
        k -= 1;
    }
    &b[k..end]
}

/// An event handler property: `on` and at least three letters (`onerror`).
fn handler_name(name: &[u8]) -> bool {
    name.len() >= 5 && name.starts_with(b"on") && name.iter().all(u8::is_ascii_alphabetic)
}

/// Whether `name(` follows in `rest` (within the window), `name` a whole identifier.
fn called_later(rest: &[u8], name: &[u8]) -> bool {
    if name.is_empty() {
        return false;
    }
    let rest = &rest[..rest.len().min(WINDOW)];
    (0..rest.len()).any(|k| {
        rest[k..].starts_with(name)
            && (k == 0 || !is_ident(rest[k - 1]))
            && rest[k + name.len()..].first() == Some(&b'(')
    })
}

/// JSONP parameter names, which take a function name.
fn jsonp_name(name: &[u8]) -> bool {
    name.ends_with(b"callback") || name == b"cb" || name == b"jsonp"
}

/// Arguments prose does not write after a word: `!0`, `[1]`, `...x`, a template,
/// or a call (`Math.floor(1.9)`, `parseInt("1")`) right after the `(`.
fn scripty_arguments(a: &[u8]) -> bool {
    let a = &a[skip_ws_fwd(a, 0)..];
    match a.first() {
        Some(b'!') => a.get(1).is_some_and(|&c| is_ident(c) || c == b'!'),
        Some(b'[' | b'`') => true,
        Some(b'.') => a.starts_with(b"..."),
        Some(&c) if c.is_ascii_alphabetic() || c == b'_' || c == b'$' => {
            let mut k = 0;
            while k < a.len() && (is_ident(a[k]) || a[k] == b'.') {
                k += 1;
            }
            let callee = &a[..k];
            // `e.g.`/`i.e.` are prose; a call or a member chain into a call is not.
            a.get(k) == Some(&b'(') && !callee.ends_with(b".") && callee.len() >= 3
        }
        _ => false,
    }
}

/// `eval` of a property (`eval(e.data)`, `eval(location.hash.slice(1))`): code
/// taken from an event, a response or the URL. A plain name (`eval(code)`) is how
/// documentation writes it.
fn evaluates_a_member(a: &[u8]) -> bool {
    let a = &a[skip_ws_fwd(a, 0)..a.len().min(WINDOW)];
    let k = a
        .iter()
        .position(|&c| !(is_ident(c) || c == b'.'))
        .unwrap_or(a.len());
    let arg = &a[..k];
    arg.first().is_some_and(u8::is_ascii_alphabetic)
        && arg.contains(&b'.')
        && !arg.ends_with(b".")
        && matches!(a.get(k), Some(b')' | b'('))
}

/// A string literal glued to `+` and another (`'al'+'ert'`): a name or code put
/// together from pieces, so no filter sees it whole. Prose and documentation
/// space the `+`.
fn glued_concatenation(a: &[u8]) -> bool {
    let a = &a[skip_ws_fwd(a, 0)..a.len().min(WINDOW)];
    let Some(&q) = a.first().filter(|&&q| matches!(q, b'\'' | b'"' | b'`')) else {
        return false;
    };
    a[1..]
        .iter()
        .position(|&c| c == q)
        .is_some_and(|k| a[k + 2..].starts_with(&[b'+', q]))
}

/// Whether the bracket that holds the byte at `i` (scanning left from `i - 1`)
/// is a call's `(` right after its callee (`f(`, `)(`, `](`), or a `[` that opens
/// an array inside another literal or a call (`([alert])`, `[[1,alert]]`) or is
/// indexed or called on (`[,alert][1]`).
fn enclosing_is_call_or_array(b: &[u8], i: usize) -> bool {
    let mut depth = 0usize;
    let mut j = i;
    let floor = i.saturating_sub(WINDOW);
    while j > floor {
        j -= 1;
        match b[j] {
            b')' | b']' | b'}' => depth += 1,
            b'(' | b'[' | b'{' if depth > 0 => depth -= 1,
            b'(' => return j > 0 && (is_ident(b[j - 1]) || matches!(b[j - 1], b')' | b']')),
            b'[' => {
                if prev_non_ws(b, j).is_some_and(|q| matches!(b[q], b'[' | b'(')) {
                    return true;
                }
                return closing_bracket_is_followed_by_access(b, j);
            }
            b'{' => return false,
            _ => {}
        }
    }
    false
}

/// For the `[` at `open`: its matching `]` is followed by `[` or `.`.
fn closing_bracket_is_followed_by_access(b: &[u8], open: usize) -> bool {
    let mut depth = 0usize;
    for k in open..b.len().min(open + WINDOW) {
        match b[k] {
            b'[' => depth += 1,
            b']' => {
                depth -= 1;
                if depth == 0 {
                    let n = skip_ws_fwd(b, k + 1);
                    return matches!(b.get(n), Some(b'[' | b'.'));
                }
            }
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::{SINKS, sink_reference};

    #[test]
    fn each_sink_is_found_after_a_sink_inside_a_word_whatever_their_order() {
        // Short values are read byte by byte, long ones searched sink by sink.
        let pads = ["", &"lorem ipsum dolor. ".repeat(4)];
        for ((inner, sink), pad) in SINKS
            .iter()
            .flat_map(|a| SINKS.iter().map(move |b| (a, b)))
            .flat_map(|pair| pads.map(|pad| (pair, pad)))
        {
            // `evalert`: a sink glued to a word, then the real one, passed as a value.
            let value = format!("{pad}x{inner}{sink}s, [1].map({sink})");
            assert!(sink_reference(&value), "{value}");
            let prose = format!("{pad}x{inner}{sink}s, the {sink} settings");
            assert!(!sink_reference(&prose), "{prose}");
            // A sink cut short at the end of the value.
            let cut = format!("{pad}[1].map({inner}{}", &sink[..sink.len() - 1]);
            assert!(!sink_reference(&cut), "{cut}");
        }
    }

    #[test]
    fn sinks_passed_assigned_or_called_indirectly_are_found() {
        for a in [
            "alert.call(null,1)",
            "alert.apply(null,[1])",
            "alert?.()",
            "content?.alert?.(1)",
            "alert(!0)",
            "alert(...[1])",
            "alert(math.floor(1.9))",
            "alert(parseint(\"1\"))",
            "a=alert,a(1)",
            "';x=prompt;x(1)//",
            "onerror=alert;throw 1",
            "throw/a]onerror=alert//",
            "window.onerror=eval",
            "/events?callback=alert",
            "[1].find(alert)",
            "promise.resolve().then(alert)",
            "document.addeventlistener('click',alert)",
            "'x'.replace(/x/,alert)",
            "new map([[1,alert]]).foreach(f=>f(1))",
            "new set([alert])",
            "[,alert][1](1)",
            "((...a)=>a[0](1))(alert)",
            "(0,eval)('this')",
            "object.defineproperty(window,'x',{set:alert});x=1",
            "json.stringify({tojson:alert})",
            "navigator.gpu?.requestadapter().then(a=>alert(a))",
            "x.onload=()=>eval(x.responsetext)",
            "window.addeventlistener('message',function(e){eval(e.data)})",
            "eval(location.hash.slice(1))",
            "eval('al'+'ert'+'(12)');//",
        ] {
            assert!(sink_reference(a), "missed {a}");
        }
    }

    #[test]
    fn a_sink_spelled_with_blanks_between_its_letters_and_called_is_found() {
        use super::spelled_sink;
        for a in [
            "a\tl\te\tr\tt(1)",
            "pro\nmpt`1`",
            "e v a l (x)",
            "x=c\u{1}onfirm(1)",
        ] {
            assert!(spelled_sink(a), "missed {a:?}");
        }
        for b in [
            "alert(1)",
            "a l e r t",
            "a lert me",
            "eval (x)",
            "pro mpt answers",
        ] {
            assert!(!spelled_sink(b), "flagged {b:?}");
        }
    }

    #[test]
    fn prose_and_settings_naming_a_sink_are_not_found() {
        for b in [
            "alert settings",
            "confirm your email",
            "prompt engineering",
            "eval of new hires",
            "send an alert (email or sms)",
            "levels (info, warning, alert)",
            "alert(s) for the team",
            "alert(e.g. by email)",
            "the alert() method shows a dialog",
            "type=alert",
            "level=alert, facility=local0",
            "one = alert",
            "is this an alert?. no",
            "severity == alert, then page",
            "[alert] disk full",
            "{\"type\":\"alert\"}",
            "eval(code) runs a string",
            "eval(e.g. a string)",
            "alert(e.data)",
            "confirm: yes",
            "prompt.call center",
            "alert('hello')",
            "button.addeventlistener('click', () => alert('clicked'))",
            ".then(data => alert(data))",
            "eval('2' + '2') is 22",
        ] {
            assert!(!sink_reference(b), "flagged {b}");
        }
    }
}
