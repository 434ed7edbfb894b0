//! Test-only: Avro datums read by apache-avro's own reader into a `Value` tree, and the
//! mapped fields found in it. This is the reference `avro::extract` is compared with (as
//! serde_json is for the JSON scanner); the decode path never uses it.

use std::borrow::Cow;

use apache_avro::Schema;
use apache_avro::types::Value;

use super::avro::kind_of;
use super::extract::{Found, Node};

/// Reads the datum of `body` with its writer schema; all of `body` must be that datum.
pub(crate) fn read_datum(schema: &Schema, body: &[u8]) -> Result<Value, String> {
    let mut rest = body;
    let value = apache_avro::reader::datum::GenericDatumReader::builder(schema)
        .build()
        .and_then(|r| r.read_value(&mut rest))
        .map_err(|e| format!("not a datum of its writer schema ({})", kind_of(&e)))?;
    if !rest.is_empty() {
        return Err(format!(
            "{} bytes after the datum of its writer schema",
            rest.len()
        ));
    }
    if !matches!(unwrap_union(&value), Value::Record(_) | Value::Map(_)) {
        return Err("the datum is not a record".into());
    }
    Ok(value)
}

fn unwrap_union(v: &Value) -> &Value {
    match v {
        Value::Union(_, inner) => unwrap_union(inner),
        v => v,
    }
}

/// Fills `out` for the members `node` names, from `value` (the datum's top record).
pub(crate) fn fill<'a>(node: &Node, value: &'a Value, out: &mut [Found<'a>]) {
    let value = unwrap_union(value);
    if let Some(slot) = node.slot() {
        out[slot] = found(value);
    }
    for (key, child) in node.children() {
        let next = match value {
            Value::Record(fields) => fields.iter().find(|(n, _)| n == key).map(|(_, v)| v),
            Value::Map(entries) => entries.get(key),
            Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        if let Some(v) = next {
            fill(child, v, out);
        }
    }
}

/// An Avro value as the decoder sees a JSON one. Times become numbers in epoch
/// milliseconds (what `event_time` reads); bytes, fixed, decimals and durations have no
/// binning and read as a composite (`wrong_type`).
fn found(value: &Value) -> Found<'_> {
    match value {
        Value::Null => Found::Null,
        Value::Boolean(b) => Found::Bool(*b),
        Value::Int(i) | Value::Date(i) | Value::TimeMillis(i) => Found::Number(f64::from(*i)),
        Value::Long(l) | Value::TimestampMillis(l) | Value::LocalTimestampMillis(l) => {
            Found::Number(*l as f64)
        }
        Value::TimestampMicros(us) | Value::LocalTimestampMicros(us) => {
            Found::Number((*us / 1000) as f64)
        }
        Value::TimestampNanos(ns) | Value::LocalTimestampNanos(ns) => {
            Found::Number((*ns / 1_000_000) as f64)
        }
        Value::TimeMicros(us) => Found::Number(*us as f64),
        Value::Float(f) => Found::Number(f64::from(*f)),
        Value::Double(d) => Found::Number(*d),
        Value::String(s) | Value::Enum(_, s) => Found::Text(Cow::Borrowed(s)),
        Value::Uuid(u) => Found::Text(Cow::Owned(u.to_string())),
        Value::Union(_, inner) => found(inner),
        _ => Found::Composite,
    }
}
