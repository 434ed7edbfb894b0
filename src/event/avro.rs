//! Avro application events in the Confluent wire format: a zero magic byte, the writer
//! schema's registry id (4 bytes, big-endian), then one Avro datum. The mapped fields are
//! found by the same pointer tree as JSON: `/applicant/income` names the field `income` of
//! the record `applicant` (map keys and array indices work as in JSON; a union is its
//! branch). Pure: the writer schema comes from the caller, which keeps the registry cache;
//! the schema's contents never reach an error detail, nor do field values.

use std::borrow::Cow;

use apache_avro::Schema;
use apache_avro::types::Value;

use super::extract::{Found, Node};

/// What a message in the wire format holds, before its schema is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framed<'a> {
    pub schema_id: u32,
    pub body: &'a [u8],
}

/// Splits the wire format; the error says what is wrong with the framing.
pub fn unframe(payload: &[u8]) -> Result<Framed<'_>, String> {
    match payload {
        [0, a, b, c, d, body @ ..] => Ok(Framed {
            schema_id: u32::from_be_bytes([*a, *b, *c, *d]),
            body,
        }),
        [] => Err("an empty message, not the Confluent wire format".into()),
        [m, ..] if *m != 0 => Err(format!(
            "magic byte {m}, not 0: not the Confluent wire format"
        )),
        _ => Err(format!(
            "{} bytes: shorter than the wire format's 5-byte header",
            payload.len()
        )),
    }
}

/// Reads the datum of `body` with its writer schema; all of `body` must be that datum.
pub fn read_datum(schema: &Schema, body: &[u8]) -> Result<Value, String> {
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

/// The kind of a decoding error without the data it may quote.
fn kind_of(e: &apache_avro::Error) -> String {
    let text = e.to_string();
    // The library's messages start with what failed ("Failed to read ..."); values follow
    // a colon, and are left out.
    text.split(':')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn unwrap_union(v: &Value) -> &Value {
    match v {
        Value::Union(_, inner) => unwrap_union(inner),
        v => v,
    }
}

/// Fills `out` for the members `node` names, from `value` (the datum's top record).
pub fn fill<'a>(node: &Node, value: &'a Value, out: &mut [Found<'a>]) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::extract::Extractor;
    use apache_avro::types::Record;

    const SCHEMA: &str = r#"{"type": "record", "name": "Application", "fields": [
        {"name": "model", "type": "string"},
        {"name": "submitted_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "applicant", "type": {"type": "record", "name": "Applicant", "fields": [
            {"name": "income", "type": ["null", "double"]},
            {"name": "employment_type", "type": {"type": "enum", "name": "Employment",
                "symbols": ["salaried", "self_employed"]}}
        ]}},
        {"name": "tags", "type": {"type": "map", "values": "string"}}
    ]}"#;

    fn datum(income: Option<f64>) -> (Schema, Vec<u8>) {
        let schema = Schema::parse_str(SCHEMA).unwrap();
        let Schema::Record(rs) = &schema else {
            unreachable!()
        };
        let applicant_schema = &rs.fields[2].schema;
        let mut applicant = Record::new(applicant_schema).unwrap();
        applicant.put(
            "income",
            Value::Union(
                u32::from(income.is_some()),
                Box::new(income.map_or(Value::Null, Value::Double)),
            ),
        );
        applicant.put("employment_type", Value::Enum(1, "self_employed".into()));
        let mut r = Record::new(&schema).unwrap();
        r.put("model", "retail_v3");
        r.put("submitted_at", Value::TimestampMillis(1_700_000_000_000));
        r.put("applicant", applicant);
        r.put(
            "tags",
            Value::Map([("channel".to_string(), Value::String("web".into()))].into()),
        );
        let body = apache_avro::writer::datum::GenericDatumWriter::builder(&schema)
            .build()
            .unwrap()
            .write_value_to_vec(r)
            .unwrap();
        (schema, body)
    }

    #[test]
    fn the_wire_format_is_split_and_its_mistakes_named() {
        let f = unframe(&[0, 0, 0, 1, 2, 9, 9]).unwrap();
        assert_eq!(f.schema_id, 258);
        assert_eq!(f.body, &[9, 9]);
        assert!(
            unframe(b"{\"a\":1}")
                .unwrap_err()
                .contains("magic byte 123")
        );
        assert!(unframe(&[0, 0, 1]).unwrap_err().contains("shorter"));
        assert!(unframe(&[]).unwrap_err().contains("empty"));
    }

    #[test]
    fn pointers_find_nested_fields_unions_enums_maps_and_times() {
        let (schema, body) = datum(Some(42_000.5));
        let value = read_datum(&schema, &body).unwrap();
        let ex = Extractor::new(&[
            "/model",
            "/submitted_at",
            "/applicant/income",
            "/applicant/employment_type",
            "/tags/channel",
            "/applicant",
            "/absent",
        ]);
        let mut out = vec![Found::Absent; ex.slots()];
        fill(ex.root(), &value, &mut out);
        assert_eq!(out[0], Found::Text("retail_v3".into()));
        assert_eq!(out[1], Found::Number(1_700_000_000_000.0));
        assert_eq!(out[2], Found::Number(42_000.5));
        assert_eq!(out[3], Found::Text("self_employed".into()));
        assert_eq!(out[4], Found::Text("web".into()));
        assert_eq!(out[5], Found::Composite);
        assert_eq!(out[6], Found::Absent);

        let (schema, body) = datum(None);
        let value = read_datum(&schema, &body).unwrap();
        let mut out = vec![Found::Absent; ex.slots()];
        fill(ex.root(), &value, &mut out);
        assert_eq!(out[2], Found::Null);
    }

    #[test]
    fn a_datum_that_does_not_match_its_schema_is_refused() {
        let (schema, body) = datum(Some(1.0));
        assert!(read_datum(&schema, &body[..body.len() - 3]).is_err());
        let mut longer = body.clone();
        longer.push(0);
        assert!(
            read_datum(&schema, &longer)
                .unwrap_err()
                .contains("1 bytes after")
        );
        let int = Schema::parse_str("\"int\"").unwrap();
        assert!(read_datum(&int, &[2]).unwrap_err().contains("not a record"));
    }
}
