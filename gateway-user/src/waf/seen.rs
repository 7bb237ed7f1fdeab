//! Method, path and header values inspected by earlier requests, and the
//! built-in rules that fired on them. A client sends the same User-Agent,
//! Referer and Accept headers on every request, a site's clients share a few
//! hundred of them, and an API's requests go to a few dozen paths. The built-in
//! rules see only a field's kind and value (exclusions and custom rules, which
//! look at its name, are checked on every request), so such a value looked at
//! once is answered from here after that, as `recent` answers a value repeated
//! within one request. Arguments, cookies and bodies are what a request is about,
//! and are inspected every time.
//!
//! Each worker thread keeps its own table, so a lookup takes no lock. A table
//! holds at most `capacity` values of at most `MAX_VALUE` bytes, and starts over
//! when full: a client sending a new value on every request costs the inspection
//! it would have cost anyway, and the memory stays bounded. A table belongs to one
//! compiled engine, so a configuration reload starts with empty tables.
use std::cell::RefCell;
use std::collections::HashMap;

use thread_local::ThreadLocal;

use super::fields::FieldKind;

/// The longest value remembered (a browser's User-Agent is 100-300 bytes).
const MAX_VALUE: usize = 512;

/// The built-in rules (indices into the engine's rule table) that fired on a
/// value, for each field kind (`FieldKind::bit`) and paranoia level it was
/// inspected as: the same text as a path segment and as a header fires
/// different rules.
type Answers = Vec<(u16, u8, Box<[usize]>)>;

/// The per-thread tables of one engine.
pub(super) struct Seen {
    tables: ThreadLocal<RefCell<HashMap<Box<str>, Answers>>>,
    capacity: usize,
}

impl Seen {
    /// Tables of at most `capacity` values each; 0 remembers nothing.
    pub(super) fn new(capacity: usize) -> Seen {
        Seen {
            tables: ThreadLocal::new(),
            capacity,
        }
    }

    /// Whether values of this kind are remembered.
    pub(super) fn holds(kind: FieldKind) -> bool {
        matches!(
            kind,
            FieldKind::Method | FieldKind::Path | FieldKind::PathSegment | FieldKind::Header
        )
    }

    /// Calls `answer` with the rules that fired on `value`, as a field of kind
    /// `bit` at `paranoia`, when this thread has inspected it so before; false
    /// when it has not.
    pub(super) fn with(
        &self,
        bit: u16,
        paranoia: u8,
        value: &str,
        answer: impl FnOnce(&[usize]),
    ) -> bool {
        if self.capacity == 0 || value.len() > MAX_VALUE {
            return false;
        }
        let Some(table) = self.tables.get() else {
            return false;
        };
        let table = table.borrow();
        let found = table.get(value).and_then(|answers| {
            answers
                .iter()
                .find(|(b, level, _)| *b == bit && *level == paranoia)
        });
        match found {
            Some((_, _, rules)) => {
                answer(rules);
                true
            }
            None => false,
        }
    }

    /// Remembers the rules that fired on `value` as a field of kind `bit` at
    /// `paranoia`.
    pub(super) fn remember(&self, bit: u16, paranoia: u8, value: &str, rules: &[usize]) {
        if self.capacity == 0 || value.len() > MAX_VALUE {
            return;
        }
        let mut table = self.tables.get_or_default().borrow_mut();
        if table.len() >= self.capacity && !table.contains_key(value) {
            table.clear();
        }
        let answers = match table.get_mut(value) {
            Some(answers) => answers,
            None => table.entry(value.into()).or_default(),
        };
        answers.retain(|(b, level, _)| !(*b == bit && *level == paranoia));
        answers.push((bit, paranoia, rules.into()));
    }

    /// How many values this thread remembers.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.tables.get().map_or(0, |t| t.borrow().len())
    }
}
