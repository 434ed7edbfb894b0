//! Pulls the mapped fields out of a JSON event in one pass, without building a document:
//! the JSON pointers are compiled into a tree of member names, members outside the tree are
//! skipped unparsed, and text is borrowed from the payload where it has no escapes. This is
//! the hot path of decoding (a `serde_json::Value` per event costs three times as much).

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

pub use super::tree::{Found, Node};

/// The compiled pointers; slot `i` is the `i`-th pointer given to `new`.
#[derive(Debug)]
pub struct Extractor {
    root: Node,
    slots: usize,
}

/// The event is not an object, or not JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum ExtractError {
    NotAnObject,
    Json(String),
}

/// RFC 6901 unescaping of one reference token.
fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

impl Extractor {
    /// Compiles JSON pointers ("" is the whole document, which is never a field value).
    pub fn new(pointers: &[&str]) -> Self {
        let mut root = Node::default();
        for (slot, p) in pointers.iter().enumerate() {
            let mut node = &mut root;
            for token in p.split('/').skip(1) {
                let key = unescape(token);
                let pos = match node.children.iter().position(|(k, _)| *k == key) {
                    Some(i) => i,
                    None => {
                        node.children.push((key, Node::default()));
                        node.children.len() - 1
                    }
                };
                node = &mut node.children[pos].1;
            }
            node.slot = Some(slot);
        }
        Self {
            root,
            slots: pointers.len(),
        }
    }

    /// Fills `out` (one entry per pointer) from `payload`, with the fast scanner.
    pub fn extract<'a>(
        &self,
        payload: &'a [u8],
        out: &mut Vec<Found<'a>>,
    ) -> Result<(), ExtractError> {
        out.clear();
        out.resize(self.slots, Found::Absent);
        self.extract_into(payload, out)
    }

    /// As `extract`, into `out` (one `Found::Absent` per slot, at least `slots()`).
    pub fn extract_into<'a>(
        &self,
        payload: &'a [u8],
        out: &mut [Found<'a>],
    ) -> Result<(), ExtractError> {
        super::scan::scan(&self.root, payload, out).map_err(|e| match e {
            super::scan::ScanError::NotAnObject => ExtractError::NotAnObject,
            super::scan::ScanError::Syntax(what, at) => {
                ExtractError::Json(format!("{what} at byte {at}"))
            }
        })
    }

    pub fn slots(&self) -> usize {
        self.slots
    }

    /// The compiled pointer tree (the Avro walk reads it too).
    pub fn root(&self) -> &Node {
        &self.root
    }

    /// The same through serde_json's parser: the reference the scanner is tested against.
    pub fn extract_with_serde<'a>(
        &self,
        payload: &'a [u8],
        out: &mut Vec<Found<'a>>,
    ) -> Result<(), ExtractError> {
        out.clear();
        out.resize(self.slots, Found::Absent);
        let mut de = serde_json::Deserializer::from_slice(payload);
        let top = TopSeed {
            node: &self.root,
            out,
        };
        let is_object = top
            .deserialize(&mut de)
            .map_err(|e| ExtractError::Json(describe(&e)))?;
        de.end().map_err(|e| ExtractError::Json(describe(&e)))?;
        if is_object {
            Ok(())
        } else {
            Err(ExtractError::NotAnObject)
        }
    }
}

/// serde's message gives the kind of error and where, never content.
fn describe(e: &serde_json::Error) -> String {
    format!(
        "{:?} error at line {} column {}",
        e.classify(),
        e.line(),
        e.column()
    )
}

/// The document: must be an object.
struct TopSeed<'n, 'o, 'a> {
    node: &'n Node,
    out: &'o mut Vec<Found<'a>>,
}

impl<'de, 'n, 'o> DeserializeSeed<'de> for TopSeed<'n, 'o, 'de> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(TopVisitor(self))
    }
}

struct TopVisitor<'n, 'o, 'a>(TopSeed<'n, 'o, 'a>);

impl<'de, 'n, 'o> Visitor<'de> for TopVisitor<'n, 'o, 'de> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<bool, A::Error> {
        members(self.0.node, self.0.out, map)?;
        Ok(true)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(false)
    }
    fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_str<E>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// Walks an object's members: wanted ones are read, the rest skipped.
fn members<'de, A: MapAccess<'de>>(
    node: &Node,
    out: &mut Vec<Found<'de>>,
    mut map: A,
) -> Result<(), A::Error> {
    let mut hint = 0;
    while let Some(key) = map.next_key::<Cow<'de, str>>()? {
        match node.child_from(&key, hint) {
            Some((i, child)) => {
                hint = i + 1;
                map.next_value_seed(ValueSeed {
                    node: child,
                    out: &mut *out,
                })?
            }
            None => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(())
}

/// A member the pointers name: a value to keep, or an object (array) to descend into.
struct ValueSeed<'n, 'o, 'a> {
    node: &'n Node,
    out: &'o mut Vec<Found<'a>>,
}

impl<'de, 'n, 'o> DeserializeSeed<'de> for ValueSeed<'n, 'o, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, 'n, 'o> ValueSeed<'n, 'o, 'de> {
    fn set(self, v: Found<'de>) {
        if let Some(slot) = self.node.slot {
            self.out[slot] = v;
        }
    }
}

impl<'de, 'n, 'o> Visitor<'de> for ValueSeed<'n, 'o, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        if let Some(slot) = self.node.slot {
            self.out[slot] = Found::Composite;
        }
        members(self.node, self.out, map)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if let Some(slot) = self.node.slot {
            self.out[slot] = Found::Composite;
        }
        let mut index = 0usize;
        loop {
            let child = if self.node.children.is_empty() {
                None
            } else {
                self.node.child(&index.to_string())
            };
            let more = match child {
                Some(c) => seq
                    .next_element_seed(ValueSeed {
                        node: c,
                        out: &mut *self.out,
                    })?
                    .is_some(),
                None => seq.next_element::<IgnoredAny>()?.is_some(),
            };
            if !more {
                return Ok(());
            }
            index += 1;
        }
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.set(Found::Bool(v));
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.set(Found::Number(v as f64));
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.set(Found::Number(v as f64));
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.set(Found::Number(v));
        Ok(())
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<(), E> {
        self.set(Found::Text(Cow::Borrowed(v)));
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.set(Found::Text(Cow::Owned(v.to_string())));
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.set(Found::Null);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_fields_and_skips_the_rest() {
        let x = Extractor::new(&["/a", "/b/c", "/b/d", "/e~1f", "/arr/1/x", "/missing"]);
        let mut out = Vec::new();
        let payload = br#"{"z":{"deep":[1,2,{"q":3}]},"a":1.5,"b":{"c":"t\"ext","d":null},"e/f":true,"arr":[{"x":1},{"x":2}]}"#;
        x.extract(payload, &mut out).unwrap();
        assert_eq!(out[0], Found::Number(1.5));
        assert_eq!(out[1], Found::Text(Cow::Owned("t\"ext".into())));
        assert_eq!(out[2], Found::Null);
        assert_eq!(out[3], Found::Bool(true));
        assert_eq!(out[4], Found::Number(2.0));
        assert_eq!(out[5], Found::Absent);
        x.extract(br#"{"a":{"n":1}}"#, &mut out).unwrap();
        assert_eq!(out[0], Found::Composite);
    }

    #[test]
    fn errors() {
        let x = Extractor::new(&["/a"]);
        let mut out = Vec::new();
        assert_eq!(x.extract(b"[1]", &mut out), Err(ExtractError::NotAnObject));
        assert!(matches!(
            x.extract(b"{\"a\":", &mut out),
            Err(ExtractError::Json(_))
        ));
        assert!(matches!(
            x.extract(b"{} trailing", &mut out),
            Err(ExtractError::Json(_))
        ));
        assert!(matches!(
            x.extract(b"{\"a\":1e999}", &mut out),
            Err(ExtractError::Json(_))
        ));
    }
}
