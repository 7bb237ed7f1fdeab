//! A YAML document read into a tree of nodes that remember where they are in the
//! file, so that every later error (type, unknown key, semantic) can name a line.
//!
//! Built from saphyr-parser's events, which carry spans. Anchors and aliases are
//! expanded, `<<` merge keys are applied, duplicate keys are refused.
use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use super::errors::{ConfigError, Location};

/// One YAML node and its position.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    /// Where the node starts.
    pub loc: Location,
    /// What it holds.
    pub kind: Kind,
}

/// The three kinds of YAML node.
#[derive(Clone, Debug)]
pub(crate) enum Kind {
    /// A scalar; `plain` is false when quoted, a block scalar, or tagged `!!str`.
    Scalar { text: String, plain: bool },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in file order (keys are unique).
    Map(Vec<(Node, Node)>),
}

/// One step of a path into the tree: a mapping key or a sequence index.
#[derive(Clone, Debug)]
pub(crate) enum Seg<'a> {
    Key(&'a str),
    Idx(usize),
}

impl Node {
    /// True for a plain `~`, `null`, or empty scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar { text, plain: true } if is_null_text(text))
    }

    /// The text of a scalar node.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The value under `key` of a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key node and value node under `key` of a mapping node.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match &self.kind {
            Kind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// The location of the node at `path`, or of the deepest node on the way that exists.
    pub fn locate(&self, path: &[Seg<'_>]) -> Location {
        let mut node = self;
        for seg in path {
            let next = match (seg, &node.kind) {
                (Seg::Key(k), Kind::Map(_)) => node.get(k),
                (Seg::Idx(i), Kind::Seq(items)) => items.get(*i),
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => break,
            }
        }
        node.loc
    }

    /// A short name of the node's kind, for messages.
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            Kind::Scalar { .. } if self.is_null() => "an empty value",
            Kind::Scalar { .. } => "a scalar",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }
}

/// True for the texts YAML reads as null.
pub(crate) fn is_null_text(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// Values that aliases may expand to in total (a guard against "billion laughs").
const MAX_ALIAS_NODES: usize = 10_000;

/// Deepest nesting of lists and mappings (a guard against stack exhaustion).
const MAX_DEPTH: usize = 64;

/// The number of nodes in `node`, counting no further than `limit`.
fn size(node: &Node, limit: usize) -> usize {
    match &node.kind {
        Kind::Scalar { .. } => 1,
        Kind::Seq(items) => items
            .iter()
            .fold(1, |n, i| if n > limit { n } else { n + size(i, limit) }),
        Kind::Map(entries) => {
            entries.iter().fold(
                1,
                |n, (_, v)| if n > limit { n } else { n + 1 + size(v, limit) },
            )
        }
    }
}

fn loc(span: &Span) -> Location {
    Location {
        line: span.start.line(),
        col: span.start.col() + 1,
    }
}

/// A container being filled while events stream in.
enum Open {
    Seq {
        loc: Location,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        loc: Location,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
    },
}

/// Parses one YAML document. A syntax error stops parsing and is the only error;
/// otherwise the tree is returned with any duplicate-key and merge problems.
pub(crate) fn parse(text: &str) -> Result<(Node, Vec<ConfigError>), ConfigError> {
    let mut errors = Vec::new();
    let mut anchors: Vec<(usize, Node)> = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0usize;
    let mut expanded = 0usize;

    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| ConfigError {
            location: Some(Location {
                line: e.marker().line(),
                col: e.marker().col() + 1,
            }),
            message: format!("YAML syntax error: {}", e.info()),
        })?;
        let done: Option<(Node, usize)> = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(ConfigError {
                        location: Some(loc(&span)),
                        message: "only one YAML document is allowed (found a second `---`)"
                            .to_string(),
                    });
                }
                None
            }
            Event::Scalar(value, style, anchor, tag) => {
                let tagged_str = tag
                    .as_ref()
                    .is_some_and(|t| t.is_yaml_core_schema() && t.suffix == "str");
                let plain = style == ScalarStyle::Plain && !tagged_str;
                Some((
                    Node {
                        loc: loc(&span),
                        kind: Kind::Scalar {
                            text: value.into_owned(),
                            plain,
                        },
                    },
                    anchor,
                ))
            }
            Event::Alias(id) => match anchors.iter().rev().find(|(a, _)| *a == id) {
                Some((_, node)) => {
                    expanded += size(node, MAX_ALIAS_NODES);
                    if expanded > MAX_ALIAS_NODES {
                        return Err(ConfigError {
                            location: Some(loc(&span)),
                            message: format!(
                                "aliases expand to more than {MAX_ALIAS_NODES} values; refusing to expand further"
                            ),
                        });
                    }
                    Some((node.clone(), 0))
                }
                None => {
                    return Err(ConfigError {
                        location: Some(loc(&span)),
                        message: "alias refers to an unknown anchor".to_string(),
                    });
                }
            },
            Event::SequenceStart(..) | Event::MappingStart(..) if stack.len() >= MAX_DEPTH => {
                return Err(ConfigError {
                    location: Some(loc(&span)),
                    message: format!("the file nests deeper than {MAX_DEPTH} levels"),
                });
            }
            Event::SequenceStart(anchor, _) => {
                stack.push(Open::Seq {
                    loc: loc(&span),
                    anchor,
                    items: Vec::new(),
                });
                None
            }
            Event::MappingStart(anchor, _) => {
                stack.push(Open::Map {
                    loc: loc(&span),
                    anchor,
                    entries: Vec::new(),
                    key: None,
                });
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Open::Seq { loc, anchor, items }) => Some((
                    Node {
                        loc,
                        kind: Kind::Seq(items),
                    },
                    anchor,
                )),
                _ => None,
            },
            Event::MappingEnd => match stack.pop() {
                Some(Open::Map {
                    loc,
                    anchor,
                    entries,
                    ..
                }) => {
                    let entries = merge_keys(entries, &mut errors);
                    Some((
                        Node {
                            loc,
                            kind: Kind::Map(entries),
                        },
                        anchor,
                    ))
                }
                _ => None,
            },
            _ => None,
        };
        let Some((node, anchor)) = done else { continue };
        if anchor != 0 {
            anchors.push((anchor, node.clone()));
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Open::Seq { items, .. }) => items.push(node),
            Some(Open::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => add_entry(entries, k, node, &mut errors),
            },
        }
    }
    let root = root.unwrap_or(Node {
        loc: Location { line: 1, col: 1 },
        kind: Kind::Scalar {
            text: String::new(),
            plain: true,
        },
    });
    Ok((root, errors))
}

fn add_entry(
    entries: &mut Vec<(Node, Node)>,
    key: Node,
    value: Node,
    errors: &mut Vec<ConfigError>,
) {
    let Some(name) = key.as_str() else {
        errors.push(ConfigError {
            location: Some(key.loc),
            message: format!("a key must be a plain name, not {}", key.describe()),
        });
        return;
    };
    // `<<` entries are kept until the mapping ends; `merge_keys` applies them.
    if name != "<<"
        && let Some((first, _)) = entries.iter().find(|(k, _)| k.as_str() == Some(name))
    {
        errors.push(ConfigError {
            location: Some(key.loc),
            message: format!(
                "duplicate key `{name}` (first set at line {})",
                first.loc.line
            ),
        });
        return;
    }
    entries.push((key, value));
}

/// Applies YAML merge keys (`<<: *base` or `<<: [*a, *b]`): merged entries fill in
/// keys the mapping does not set itself.
fn merge_keys(entries: Vec<(Node, Node)>, errors: &mut Vec<ConfigError>) -> Vec<(Node, Node)> {
    if !entries.iter().any(|(k, _)| is_merge_key(k)) {
        return entries;
    }
    let (merges, mut own): (Vec<_>, Vec<_>) =
        entries.into_iter().partition(|(k, _)| is_merge_key(k));
    for (_, value) in merges {
        let sources: Vec<Node> = match value.kind {
            Kind::Map(_) => vec![value],
            Kind::Seq(items) => items,
            _ => {
                errors.push(ConfigError {
                    location: Some(value.loc),
                    message: "`<<` must be followed by a mapping or a list of mappings".to_string(),
                });
                continue;
            }
        };
        for source in sources {
            match source.kind {
                Kind::Map(more) => {
                    for (k, v) in more {
                        if !own.iter().any(|(o, _)| o.as_str() == k.as_str()) {
                            own.push((k, v));
                        }
                    }
                }
                _ => errors.push(ConfigError {
                    location: Some(source.loc),
                    message: "`<<` can only merge mappings".to_string(),
                }),
            }
        }
    }
    own
}

fn is_merge_key(key: &Node) -> bool {
    matches!(&key.kind, Kind::Scalar { text, plain: true } if text == "<<")
}
