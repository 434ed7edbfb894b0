//! Avro application events in the Confluent wire format: a zero magic byte, the writer
//! schema's registry id (4 bytes, big-endian), then one Avro datum. The mapped fields are
//! found by the same pointer tree as JSON: `/applicant/income` names the field `income` of
//! the record `applicant` (map keys and array indices work as in JSON; a union is its
//! branch). Pure: the writer schema comes from the caller, which keeps the registry cache;
//! the schema's contents never reach an error detail, nor do field values.
//!
//! `extract` is the hot path: it walks the datum's bytes along the writer schema once,
//! skipping what no pointer names and borrowing the text it keeps, with no allocation per
//! event (apache-avro's reader builds a `Value` tree, with a `String` per field name, at
//! three times the cost of decoding the same event from JSON). That reader stays, in the
//! test-only `avro_reference`, as the reference the tests compare `extract` with.

use std::borrow::Cow;
use std::collections::HashMap;

use apache_avro::Schema;
use apache_avro::schema::{InnerDecimalSchema, Name, UuidSchema};

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

/// A writer schema with its named types, by full name, for `extract`.
pub struct WriterSchema {
    schema: Schema,
    names: HashMap<Name, Schema>,
}

impl WriterSchema {
    pub fn new(schema: Schema) -> Result<Self, String> {
        let names = apache_avro::schema::ResolvedSchema::try_from(&schema)
            .map_err(|e| format!("its named types do not resolve ({})", kind_of(&e)))?
            .get_names()
            .iter()
            .map(|(n, s)| (n.clone(), (*s).clone()))
            .collect();
        Ok(Self { schema, names })
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The type a reference names, seen from namespace `ns`.
    fn named(&self, name: &Name, ns: Option<&str>) -> Option<&Schema> {
        self.names.get(name.fully_qualified_name(ns).as_ref())
    }
}

/// Fills `out` for the members the pointer tree `root` names, from the datum `body` of
/// writer schema `w`: one pass, nothing allocated. All of `body` must be that datum, a
/// record.
pub fn extract<'a>(
    w: &'a WriterSchema,
    body: &'a [u8],
    root: &Node,
    out: &mut [Found<'a>],
) -> Result<(), String> {
    let mut walk = Walk { w, b: body, i: 0 };
    let mut top = &w.schema;
    while let Schema::Union(u) = top {
        // The branch is read by `value`; only its kind is checked here.
        let at = walk.i;
        let branch = walk.index(u.variants().len(), "union branch")?;
        walk.i = at;
        top = &u.variants()[branch];
    }
    if !matches!(top, Schema::Record(_) | Schema::Ref { .. }) {
        return Err("the writer schema is not a record".into());
    }
    walk.value(&w.schema, None, Some(root), out)?;
    if walk.i != body.len() {
        return Err(format!(
            "{} bytes after the datum of its writer schema",
            body.len() - walk.i
        ));
    }
    Ok(())
}

type R<T> = Result<T, String>;

struct Walk<'a> {
    w: &'a WriterSchema,
    b: &'a [u8],
    i: usize,
}

impl<'a> Walk<'a> {
    fn take(&mut self, n: usize) -> R<&'a [u8]> {
        let end = self.i.checked_add(n).filter(|&e| e <= self.b.len());
        match end {
            Some(end) => {
                let bytes = &self.b[self.i..end];
                self.i = end;
                Ok(bytes)
            }
            None => Err(format!(
                "not a datum of its writer schema (it ends {} bytes early)",
                self.i.saturating_add(n) - self.b.len()
            )),
        }
    }

    /// A zigzag varint (int and long alike).
    fn long(&mut self) -> R<i64> {
        let mut v: u64 = 0;
        for shift in (0..70).step_by(7) {
            let byte = self.take(1)?[0];
            v |= u64::from(byte & 0x7f) << shift.min(63);
            if byte & 0x80 == 0 {
                return Ok((v >> 1) as i64 ^ -((v & 1) as i64));
            }
        }
        Err("not a datum of its writer schema (a varint longer than 10 bytes)".into())
    }

    /// A count or index in 0..len.
    fn index(&mut self, len: usize, what: &str) -> R<usize> {
        let v = self.long()?;
        usize::try_from(v)
            .ok()
            .filter(|&i| i < len)
            .ok_or_else(|| format!("not a datum of its writer schema ({what} {v} out of range)"))
    }

    fn length(&mut self) -> R<usize> {
        let v = self.long()?;
        usize::try_from(v)
            .map_err(|_| format!("not a datum of its writer schema (negative length {v})"))
    }

    fn value(
        &mut self,
        s: &'a Schema,
        ns: Option<&'a str>,
        node: Option<&Node>,
        out: &mut [Found<'a>],
    ) -> R<()> {
        let found = match s {
            Schema::Null => Found::Null,
            Schema::Boolean => match self.take(1)?[0] {
                0 => Found::Bool(false),
                1 => Found::Bool(true),
                b => {
                    return Err(format!(
                        "not a datum of its writer schema (boolean byte {b})"
                    ));
                }
            },
            Schema::Int
            | Schema::Long
            | Schema::Date
            | Schema::TimeMillis
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::LocalTimestampMillis => Found::Number(self.long()? as f64),
            Schema::TimestampMicros | Schema::LocalTimestampMicros => {
                Found::Number((self.long()? / 1000) as f64)
            }
            Schema::TimestampNanos | Schema::LocalTimestampNanos => {
                Found::Number((self.long()? / 1_000_000) as f64)
            }
            Schema::Float => {
                let b = self.take(4)?;
                Found::Number(f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])))
            }
            Schema::Double => {
                let b = self.take(8)?;
                Found::Number(f64::from_le_bytes(b.try_into().expect("8 bytes")))
            }
            Schema::String | Schema::Uuid(UuidSchema::String) => self.string(node)?,
            Schema::Bytes
            | Schema::BigDecimal
            | Schema::Uuid(UuidSchema::Bytes)
            | Schema::Decimal(apache_avro::schema::DecimalSchema {
                inner: InnerDecimalSchema::Bytes,
                ..
            }) => {
                let n = self.length()?;
                self.take(n)?;
                Found::Composite
            }
            Schema::Fixed(f)
            | Schema::Duration(f)
            | Schema::Uuid(UuidSchema::Fixed(f))
            | Schema::Decimal(apache_avro::schema::DecimalSchema {
                inner: InnerDecimalSchema::Fixed(f),
                ..
            }) => {
                self.take(f.size)?;
                Found::Composite
            }
            Schema::Enum(e) => {
                let i = self.index(e.symbols.len(), "enum symbol")?;
                Found::Text(Cow::Borrowed(&e.symbols[i]))
            }
            Schema::Union(u) => {
                let i = self.index(u.variants().len(), "union branch")?;
                return self.value(&u.variants()[i], ns, node, out);
            }
            Schema::Ref { name } => {
                let w = self.w;
                let target = w.named(name, ns).ok_or_else(|| {
                    "the writer schema names a type it does not define".to_string()
                })?;
                return self.value(target, ns, node, out);
            }
            Schema::Record(r) => {
                let ns = r.name.namespace().or(ns);
                for f in &r.fields {
                    let child = node.and_then(|n| n.child(&f.name));
                    self.value(&f.schema, ns, child, out)?;
                }
                Found::Composite
            }
            Schema::Array(a) => {
                self.array(&a.items, ns, node, out)?;
                Found::Composite
            }
            Schema::Map(m) => {
                self.map(&m.types, ns, node, out)?;
                Found::Composite
            }
        };
        if let Some(slot) = node.and_then(Node::slot) {
            out[slot] = found;
        }
        Ok(())
    }

    /// A string, borrowed when a pointer wants it (else skipped).
    fn string(&mut self, node: Option<&Node>) -> R<Found<'a>> {
        let n = self.length()?;
        let bytes = self.take(n)?;
        if node.is_none_or(|n| n.slot().is_none()) {
            return Ok(Found::Absent);
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|_| "not a datum of its writer schema (a string is not UTF-8)".to_string())?;
        Ok(Found::Text(Cow::Borrowed(text)))
    }

    /// An array's items, block after block; item i is the pointer token `i`.
    fn array(
        &mut self,
        items: &'a Schema,
        ns: Option<&'a str>,
        node: Option<&Node>,
        out: &mut [Found<'a>],
    ) -> R<()> {
        let mut index = 0usize;
        loop {
            let count = self.block()?;
            if count == 0 {
                return Ok(());
            }
            for _ in 0..count {
                let child = match node {
                    Some(n) if n.has_children() => n.child(&index.to_string()),
                    _ => None,
                };
                self.value(items, ns, child, out)?;
                index += 1;
            }
        }
    }

    /// A map's entries, block after block; an entry's key is its pointer token.
    fn map(
        &mut self,
        values: &'a Schema,
        ns: Option<&'a str>,
        node: Option<&Node>,
        out: &mut [Found<'a>],
    ) -> R<()> {
        loop {
            let count = self.block()?;
            if count == 0 {
                return Ok(());
            }
            for _ in 0..count {
                let n = self.length()?;
                let key = self.take(n)?;
                let child =
                    node.and_then(|nd| std::str::from_utf8(key).ok().and_then(|k| nd.child(k)));
                self.value(values, ns, child, out)?;
            }
        }
    }

    /// The item count of the next block of an array or map (0 ends it); a negative count
    /// is followed by the block's size in bytes, which is not needed here.
    fn block(&mut self) -> R<usize> {
        let count = self.long()?;
        if count < 0 {
            self.long()?;
        }
        usize::try_from(count.unsigned_abs())
            .ok()
            .filter(|&c| c <= self.b.len())
            .ok_or_else(|| format!("not a datum of its writer schema (a block of {count} items)"))
    }
}

/// The kind of a decoding error without the data it may quote.
pub(super) fn kind_of(e: &apache_avro::Error) -> String {
    let text = e.to_string();
    // The library's messages start with what failed ("Failed to read ..."); values follow
    // a colon, and are left out.
    text.split(':')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::avro_reference::{fill, read_datum};
    use crate::event::extract::Extractor;
    use apache_avro::types::Record;
    use apache_avro::types::Value;

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

    /// A schema with every kind `extract` walks: nested and referenced records, a
    /// recursive type, unions, enums, maps, arrays, bytes, fixed, floats and times.
    const EVERY_KIND: &str = r#"{"type": "record", "name": "Top", "namespace": "t", "fields": [
        {"name": "id", "type": "string"},
        {"name": "n", "type": ["null", "long"]},
        {"name": "x", "type": ["null", "double", "string"]},
        {"name": "f", "type": "float"},
        {"name": "ok", "type": "boolean"},
        {"name": "blob", "type": "bytes"},
        {"name": "tag", "type": {"type": "fixed", "name": "Tag", "size": 3}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["a", "b", "c"]}},
        {"name": "inner", "type": {"type": "record", "name": "Inner", "fields": [
            {"name": "v", "type": "int"},
            {"name": "next", "type": ["null", "Inner"]}
        ]}},
        {"name": "again", "type": "Inner"},
        {"name": "tags", "type": {"type": "map", "values": "Kind"}},
        {"name": "list", "type": {"type": "array", "items": "double"}}
    ]}"#;

    fn random_datum(rng: &mut crate::data::synth::Rng, schema: &Schema) -> Value {
        let pick =
            |rng: &mut crate::data::synth::Rng, n: u32| (rng.uniform() * f64::from(n)) as u32;
        let inner = |depth: u32| {
            let mut v = Value::Union(0, Box::new(Value::Null));
            for d in 0..depth {
                v = Value::Union(
                    1,
                    Box::new(Value::Record(vec![
                        ("v".into(), Value::Int(d as i32 - 7)),
                        ("next".into(), v),
                    ])),
                );
            }
            match v {
                Value::Union(1, r) => *r,
                _ => Value::Record(vec![
                    ("v".into(), Value::Int(3)),
                    ("next".into(), Value::Union(0, Box::new(Value::Null))),
                ]),
            }
        };
        let symbols = ["a", "b", "c"];
        let x = match pick(rng, 3) {
            0 => Value::Union(0, Box::new(Value::Null)),
            1 => Value::Union(1, Box::new(Value::Double(rng.normal() * 1e6))),
            _ => Value::Union(
                2,
                Box::new(Value::String("téxt".repeat(pick(rng, 4) as usize))),
            ),
        };
        let kind = pick(rng, 3);
        let tags: std::collections::HashMap<String, Value> = (0..pick(rng, 4))
            .map(|k| {
                let s = pick(rng, 3);
                (format!("k{k}"), Value::Enum(s, symbols[s as usize].into()))
            })
            .collect();
        let list: Vec<Value> = (0..pick(rng, 5))
            .map(|_| Value::Double(rng.normal()))
            .collect();
        let n = if rng.chance(0.3) {
            Value::Union(0, Box::new(Value::Null))
        } else {
            Value::Union(1, Box::new(Value::Long((rng.normal() * 1e12) as i64)))
        };
        let depth = pick(rng, 4);
        let value = Value::Record(vec![
            (
                "id".into(),
                Value::String(format!("app-{}", pick(rng, 1000))),
            ),
            ("n".into(), n),
            ("x".into(), x),
            ("f".into(), Value::Float(rng.normal() as f32)),
            ("ok".into(), Value::Boolean(rng.chance(0.5))),
            ("blob".into(), Value::Bytes(vec![7; pick(rng, 9) as usize])),
            ("tag".into(), Value::Fixed(3, vec![1, 2, 3])),
            (
                "at".into(),
                Value::TimestampMicros(1_700_000_000_000_000 + pick(rng, 1 << 20) as i64),
            ),
            (
                "kind".into(),
                Value::Enum(kind, symbols[kind as usize].into()),
            ),
            ("inner".into(), inner(depth)),
            ("again".into(), inner(1)),
            ("tags".into(), Value::Map(tags)),
            ("list".into(), Value::Array(list)),
        ]);
        assert!(value.validate(schema), "{value:?}");
        value
    }

    #[test]
    fn extract_equals_the_reference_reader_on_every_kind_of_value() {
        let schema = Schema::parse_str(EVERY_KIND).unwrap();
        let writer = WriterSchema::new(schema.clone()).unwrap();
        let ex = Extractor::new(&[
            "/id",
            "/n",
            "/x",
            "/f",
            "/ok",
            "/blob",
            "/tag",
            "/at",
            "/kind",
            "/inner/v",
            "/inner/next/v",
            "/inner/next/next/v",
            "/again/v",
            "/tags/k0",
            "/tags/k2",
            "/list/1",
            "/list",
            "/missing",
            "/inner",
        ]);
        let encoder = apache_avro::writer::datum::GenericDatumWriter::builder(&schema)
            .build()
            .unwrap();
        let mut rng = crate::data::synth::Rng::new(11);
        for _ in 0..2_000 {
            let body = encoder
                .write_value_to_vec(random_datum(&mut rng, &schema))
                .unwrap();
            let reference = read_datum(&schema, &body).unwrap();
            let mut want = vec![Found::Absent; ex.slots()];
            fill(ex.root(), &reference, &mut want);
            let mut got = vec![Found::Absent; ex.slots()];
            extract(&writer, &body, ex.root(), &mut got).unwrap();
            assert_eq!(got, want);
            // Every proper prefix of the datum is refused, and so is a byte more.
            for cut in [0, 1, body.len() / 2, body.len() - 1] {
                let mut out = vec![Found::Absent; ex.slots()];
                assert!(extract(&writer, &body[..cut], ex.root(), &mut out).is_err());
            }
            let mut longer = body.clone();
            longer.push(0);
            let mut out = vec![Found::Absent; ex.slots()];
            assert!(extract(&writer, &longer, ex.root(), &mut out).is_err());
        }
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
