//! The query string as a JSON object, so a JSON Schema can validate it.
//!
//! `?q=shoes&tag=a&tag=b&limit=10` becomes `{"q":"shoes","tag":["a","b"],"limit":10}`.
//! Names and values are percent-decoded (`+` is a space); a name without `=` has
//! the value `""`.
//!
//! Coercion rule: every value is a string unless the query schema declares that
//! parameter's `type` (in `properties`, directly or through a local `#/…` `$ref`)
//! as `integer`, `number`, `boolean` or `null` and the text is literally one
//! (`42`, `-1.5e3`, `true`/`false`, empty for null); the types are tried in that
//! order. A parameter declared `type: array` is always an array (even with one
//! value) and its values are coerced by `items.type`. Any other parameter given
//! more than once becomes an array of its values (which a scalar schema rejects,
//! so `?limit=1&limit=2` cannot slip past `type: integer`).
use std::collections::HashMap;

use serde_json::{Map, Number, Value};

/// Scalar types a query value may be coerced to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Types {
    integer: bool,
    number: bool,
    boolean: bool,
    null: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Field {
    array: bool,
    types: Types,
}

/// How each declared query parameter is turned into JSON, read from the schema once.
#[derive(Clone, Debug, Default)]
pub struct QueryShape {
    fields: HashMap<String, Field>,
}

impl QueryShape {
    /// Reads the coercion of each parameter from the query schema's `properties`.
    pub fn from_schema(schema: &Value) -> Self {
        let mut fields = HashMap::new();
        if let Some(props) = resolve(schema, schema)
            .get("properties")
            .and_then(Value::as_object)
        {
            for (name, prop) in props {
                let prop = resolve(schema, prop);
                let declared = type_names(prop);
                let field = if declared.contains(&"array") {
                    let items = prop
                        .get("items")
                        .map_or(&Value::Null, |i| resolve(schema, i));
                    Field {
                        array: true,
                        types: types_of(&type_names(items)),
                    }
                } else {
                    Field {
                        array: false,
                        types: types_of(&declared),
                    }
                };
                fields.insert(name.clone(), field);
            }
        }
        QueryShape { fields }
    }

    /// The query string (without `?`) as a JSON object, coerced per this shape.
    pub fn to_json(&self, query: &str) -> Value {
        let mut out = Map::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decode(name);
            let value = decode(value);
            let field = self.fields.get(&name).copied().unwrap_or_default();
            let value = coerce(&value, field.types);
            match out.get_mut(&name) {
                Some(Value::Array(items)) if field.array => items.push(value),
                Some(existing) => {
                    if let Value::Array(items) = existing {
                        items.push(value);
                    } else {
                        let first = existing.take();
                        *existing = Value::Array(vec![first, value]);
                    }
                }
                None if field.array => {
                    out.insert(name, Value::Array(vec![value]));
                }
                None => {
                    out.insert(name, value);
                }
            }
        }
        Value::Object(out)
    }
}

/// Follows local `#/…` references (a few hops, so a cycle cannot loop).
fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..8 {
        match node.get("$ref").and_then(Value::as_str) {
            Some("#") => node = root,
            Some(r) if r.starts_with("#/") => match root.pointer(&r[1..]) {
                Some(target) => node = target,
                None => return node,
            },
            _ => return node,
        }
    }
    node
}

fn type_names(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn types_of(names: &[&str]) -> Types {
    Types {
        integer: names.contains(&"integer"),
        number: names.contains(&"number"),
        boolean: names.contains(&"boolean"),
        null: names.contains(&"null"),
    }
}

fn coerce(text: &str, types: Types) -> Value {
    if types.integer || types.number {
        if let Ok(i) = text.parse::<i64>() {
            return Value::Number(i.into());
        }
        if let Ok(u) = text.parse::<u64>() {
            return Value::Number(u.into());
        }
    }
    if types.number
        && looks_numeric(text)
        && let Some(n) = text.parse::<f64>().ok().and_then(Number::from_f64)
    {
        return Value::Number(n);
    }
    if types.boolean && (text == "true" || text == "false") {
        return Value::Bool(text == "true");
    }
    if types.null && text.is_empty() {
        return Value::Null;
    }
    Value::String(text.to_string())
}

/// JSON-style number text only: Rust's float parser also takes `inf`, `NaN`, `+1`.
fn looks_numeric(text: &str) -> bool {
    let t = text.strip_prefix('-').unwrap_or(text);
    t.starts_with(|c: char| c.is_ascii_digit())
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
}

/// Percent-decodes a query component (`+` is a space); invalid UTF-8 is replaced.
fn decode(component: &str) -> String {
    let bytes = component.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(v) = hex {
                    out.push(v);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn shape() -> QueryShape {
        QueryShape::from_schema(&json!({
            "$defs": { "count": { "type": "integer" } },
            "properties": {
                "q": { "type": "string" },
                "limit": { "$ref": "#/$defs/count" },
                "ratio": { "type": "number" },
                "exact": { "type": "boolean" },
                "ids": { "type": "array", "items": { "type": "integer" } },
                "maybe": { "type": ["integer", "null"] }
            }
        }))
    }

    #[test]
    fn values_are_coerced_to_the_declared_scalar_types() {
        let v = shape().to_json("q=42&limit=10&ratio=0.5&exact=true&maybe=");
        assert_eq!(
            v,
            json!({"q": "42", "limit": 10, "ratio": 0.5, "exact": true, "maybe": null})
        );
    }

    #[test]
    fn text_that_is_not_the_declared_type_stays_a_string() {
        let v = shape().to_json("limit=ten&ratio=inf&exact=yes");
        assert_eq!(v, json!({"limit": "ten", "ratio": "inf", "exact": "yes"}));
    }

    #[test]
    fn array_parameters_are_arrays_even_with_one_value() {
        assert_eq!(shape().to_json("ids=1"), json!({"ids": [1]}));
        assert_eq!(
            shape().to_json("ids=1&ids=2&ids=x"),
            json!({"ids": [1, 2, "x"]})
        );
    }

    #[test]
    fn a_repeated_scalar_parameter_becomes_an_array() {
        assert_eq!(shape().to_json("limit=1&limit=2"), json!({"limit": [1, 2]}));
        assert_eq!(
            shape().to_json("u=a&u=b&u=c"),
            json!({"u": ["a", "b", "c"]})
        );
    }

    #[test]
    fn names_and_values_are_percent_decoded() {
        assert_eq!(
            shape().to_json("q=red+shoes%21&na%6De=%E2%82%AC&flag&bad=%zz"),
            json!({"q": "red shoes!", "name": "€", "flag": "", "bad": "%zz"})
        );
    }

    #[test]
    fn an_empty_query_is_an_empty_object() {
        assert_eq!(shape().to_json(""), json!({}));
    }
}
