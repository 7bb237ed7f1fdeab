//! Parsing a JSON body into a `serde_json::Value`, refusing duplicate object keys.
//!
//! `{"role":"user","role":"admin"}` is valid JSON to most parsers, but they
//! disagree on which value wins: the schema would check one and the upstream
//! might use the other. Refusing duplicates closes that parser differential.
//! Recursion here is bounded: the streaming depth check runs first.
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Parses `body` as one JSON value; duplicate keys in an object are an error.
pub fn parse_strict(body: &[u8]) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = Strict.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

struct Strict;

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element_seed(Strict)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!(
                    "duplicate object key (a key appears twice in the same object; length {})",
                    key.len()
                )));
            }
            let value = map.next_value_seed(Strict)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn ordinary_json_parses_like_serde_json() {
        let text = br#"{"a":[1,-2,3.5,true,null,"x"],"b":{"c":{}},"d":18446744073709551615}"#;
        assert_eq!(
            parse_strict(text).ok(),
            serde_json::from_slice::<Value>(text).ok()
        );
        assert_eq!(parse_strict(b" 42 ").ok(), Some(json!(42)));
    }

    #[test]
    fn a_duplicate_key_is_refused_at_any_depth() {
        assert!(parse_strict(br#"{"role":"user","role":"admin"}"#).is_err());
        assert!(parse_strict(br#"[{"a":{"x":1,"x":1}}]"#).is_err());
        assert!(parse_strict(br#"{"a":{"x":1},"b":{"x":1}}"#).is_ok());
    }

    #[test]
    fn trailing_garbage_is_refused() {
        assert!(parse_strict(br#"{"a":1} {"b":2}"#).is_err());
        assert!(parse_strict(b"").is_err());
    }
}
