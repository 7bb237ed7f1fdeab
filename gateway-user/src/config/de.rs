//! A serde deserializer over the located YAML tree: the model's `Deserialize`
//! derives run against it, and every error it returns carries the line and column
//! of the node at fault, in words meant for a person.
use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use super::{
    errors::{ConfigError, Location},
    suggest::did_you_mean,
    tree::{Kind, Node},
};

/// A deserialization error, located at the innermost node that failed.
#[derive(Debug)]
pub(crate) struct DeError {
    location: Option<Location>,
    message: String,
}

impl DeError {
    fn at(mut self, loc: Location) -> Self {
        self.location.get_or_insert(loc);
        self
    }
}

impl From<DeError> for ConfigError {
    fn from(e: DeError) -> Self {
        ConfigError {
            location: e.location,
            message: e.message,
        }
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

/// Turns serde's names of expected types into words.
fn plain_expected(exp: &str) -> String {
    match exp {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number (0 or more)".to_string(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number".to_string(),
        "f32" | "f64" => "a number".to_string(),
        "a boolean" => "true or false".to_string(),
        "a string" | "a borrowed string" => "a text value".to_string(),
        "a sequence" => "a list".to_string(),
        "a map" => "a mapping".to_string(),
        other => match other.strip_prefix("struct ") {
            Some(name) => format!("a mapping of {name} settings"),
            None => match other.strip_prefix("enum ") {
                Some(name) => format!("a {name} value"),
                None => other.to_string(),
            },
        },
    }
}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError {
            location: None,
            message: msg.to_string(),
        }
    }

    fn invalid_type(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        let found = match unexp {
            de::Unexpected::Unit => "an empty value".to_string(),
            de::Unexpected::Map => "a mapping".to_string(),
            de::Unexpected::Seq => "a list".to_string(),
            de::Unexpected::Str(s) => format!("`{s}`"),
            de::Unexpected::Signed(n) => format!("the number {n}"),
            de::Unexpected::Unsigned(n) => format!("the number {n}"),
            de::Unexpected::Float(n) => format!("the number {n}"),
            de::Unexpected::Bool(b) => format!("`{b}`"),
            other => other.to_string(),
        };
        Self::custom(format_args!(
            "expected {}, found {found}",
            plain_expected(&exp.to_string())
        ))
    }

    fn invalid_value(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Self::custom(format_args!(
            "{unexp} is not valid here: expected {}",
            plain_expected(&exp.to_string())
        ))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        Self::custom(match did_you_mean(field, expected) {
            Some(s) => format!("unknown key `{field}`, did you mean `{s}`?"),
            None => format!(
                "unknown key `{field}`; the keys here are: {}",
                expected.join(", ")
            ),
        })
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Self::custom(match did_you_mean(variant, expected) {
            Some(s) => format!(
                "unknown value `{variant}`, did you mean `{s}`? (one of: {})",
                expected.join(", ")
            ),
            None => format!(
                "unknown value `{variant}`; expected one of: {}",
                expected.join(", ")
            ),
        })
    }

    fn missing_field(field: &'static str) -> Self {
        Self::custom(format_args!("missing required key `{field}`"))
    }
}

/// Deserializes `node` into `T`, with located errors.
pub(crate) fn from_node<T: de::DeserializeOwned>(node: &Node) -> Result<T, ConfigError> {
    T::deserialize(NodeDe(node)).map_err(|e| e.at(node.loc).into())
}

/// The deserializer for one node.
pub(crate) struct NodeDe<'a>(pub &'a Node);

impl<'a> NodeDe<'a> {
    fn scalar(&self) -> Option<(&'a str, bool)> {
        match &self.0.kind {
            Kind::Scalar { text, plain } => Some((text.as_str(), *plain)),
            _ => None,
        }
    }

    fn unexpected(&self) -> de::Unexpected<'a> {
        match &self.0.kind {
            Kind::Scalar { .. } if self.0.is_null() => de::Unexpected::Unit,
            Kind::Scalar { text, .. } => de::Unexpected::Str(text),
            Kind::Seq(_) => de::Unexpected::Seq,
            Kind::Map(_) => de::Unexpected::Map,
        }
    }

    fn wrong<V: Visitor<'a>>(&self, visitor: &V) -> DeError {
        <DeError as de::Error>::invalid_type(self.unexpected(), visitor).at(self.0.loc)
    }
}

/// Replaces the standard library's terse parse errors with ones that show the value
/// and an example.
fn reword(mut e: DeError, text: &str) -> DeError {
    let better = match e.message.as_str() {
        "invalid socket address syntax" => Some(format!(
            "`{text}` is not a socket address: expected ip:port like 127.0.0.1:8080 or [::1]:8080"
        )),
        "invalid IP address syntax" => Some(format!(
            "`{text}` is not an IP address: expected one like 127.0.0.1 or ::1"
        )),
        _ => None,
    };
    if let Some(m) = better {
        e.message = m;
    }
    e
}

/// Parses a plain scalar the way YAML 1.2's core schema does.
fn plain_value<'a, 'de, V: Visitor<'de>>(text: &'a str, visitor: V) -> Result<V::Value, DeError> {
    if super::tree::is_null_text(text) {
        return visitor.visit_unit();
    }
    match text {
        "true" | "True" | "TRUE" => return visitor.visit_bool(true),
        "false" | "False" | "FALSE" => return visitor.visit_bool(false),
        _ => {}
    }
    if let Ok(n) = text.parse::<u64>() {
        return visitor.visit_u64(n);
    }
    if let Ok(n) = text.parse::<i64>() {
        return visitor.visit_i64(n);
    }
    let looks_numeric = text
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'-' || b == b'+' || b == b'.');
    if looks_numeric && let Ok(n) = text.parse::<f64>() {
        return visitor.visit_f64(n);
    }
    visitor.visit_str(text)
}

macro_rules! via_any {
    ($($name:ident)*) => {
        $(fn $name<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            self.deserialize_any(visitor)
        })*
    };
}

impl<'de> de::Deserializer<'de> for NodeDe<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let loc = self.0.loc;
        let result = match &self.0.kind {
            Kind::Scalar { text, plain: true } => plain_value(text, visitor),
            Kind::Scalar { text, plain: false } => visitor.visit_str(text),
            Kind::Seq(items) => visitor.visit_seq(SeqDe {
                items: items.iter(),
            }),
            Kind::Map(entries) => visitor.visit_map(MapDe {
                entries: entries.iter(),
                value: None,
            }),
        };
        result.map_err(|e| e.at(loc))
    }

    via_any!(deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64 deserialize_char deserialize_bytes deserialize_byte_buf);

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.scalar() {
            Some(("true" | "True" | "TRUE", true)) => visitor.visit_bool(true),
            Some(("false" | "False" | "FALSE", true)) => visitor.visit_bool(false),
            Some((t @ ("yes" | "no" | "on" | "off" | "y" | "n"), true)) => {
                Err(<DeError as de::Error>::custom(format_args!(
                    "expected true or false, found `{t}` (YAML 1.2 reads yes/no/on/off as text)"
                ))
                .at(self.0.loc))
            }
            _ => Err(self.wrong(&visitor)),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.scalar() {
            Some((_, true)) if self.0.is_null() => Err(self.wrong(&visitor)),
            Some((text, _)) => visitor
                .visit_str(text)
                .map_err(|e: DeError| reword(e, text).at(self.0.loc)),
            None => Err(self.wrong(&visitor)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.0.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.0.is_null() {
            visitor.visit_unit()
        } else {
            Err(self.wrong(&visitor))
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.0.kind {
            Kind::Seq(items) => visitor
                .visit_seq(SeqDe {
                    items: items.iter(),
                })
                .map_err(|e| e.at(self.0.loc)),
            _ => Err(self.wrong(&visitor)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.0.kind {
            Kind::Map(entries) => visitor
                .visit_map(MapDe {
                    entries: entries.iter(),
                    value: None,
                })
                .map_err(|e| e.at(self.0.loc)),
            // `limits:` with nothing under it means "all defaults".
            _ if self.0.is_null() => visitor
                .visit_map(MapDe {
                    entries: [].iter(),
                    value: None,
                })
                .map_err(|e| e.at(self.0.loc)),
            _ => Err(self.wrong(&visitor)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.scalar() {
            Some((text, _)) if !self.0.is_null() => {
                let de: de::value::StrDeserializer<'_, DeError> = text.into_deserializer();
                visitor.visit_enum(de).map_err(|e| e.at(self.0.loc))
            }
            _ => Err(self.wrong(&visitor)),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

struct SeqDe<'a> {
    items: std::slice::Iter<'a, Node>,
}

impl<'de> de::SeqAccess<'de> for SeqDe<'de> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.items.next() {
            Some(node) => seed
                .deserialize(NodeDe(node))
                .map(Some)
                .map_err(|e| e.at(node.loc)),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapDe<'a> {
    entries: std::slice::Iter<'a, (Node, Node)>,
    value: Option<&'a Node>,
}

impl<'de> de::MapAccess<'de> for MapDe<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(NodeDe(key))
                    .map(Some)
                    .map_err(|e| e.at(key.loc))
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        match self.value.take() {
            Some(node) => seed.deserialize(NodeDe(node)).map_err(|e| e.at(node.loc)),
            None => Err(<DeError as de::Error>::custom(
                "a value was read before its key",
            )),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}
