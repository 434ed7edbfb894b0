//! The hand-written JSON scanner of the decoding hot path agrees with serde_json on every
//! document: the same fields found with the same values, and the same verdict (object,
//! not an object, invalid) on valid, invalid and mangled input; it is stricter only in
//! refusing invalid UTF-8 anywhere.

use proptest::prelude::*;
use psimon::event::extract::{ExtractError, Extractor, Found};
use serde_json::{Value, json};

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "[a-c~/\\\\\"\u{e9}\u{1F600} \n\t]{0,6}".prop_map(Value::String),
    ]
}

fn document() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-c~/]{1,3}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn pointers() -> Vec<&'static str> {
    vec![
        "/a", "/b", "/a/b", "/a/c", "/c/0", "/c/1/a", "/b~1c", "/a~0", "/missing", "/a/b/c",
    ]
}

fn same(payload: &[u8]) -> Result<(), TestCaseError> {
    let x = Extractor::new(&pointers());
    let (mut fast, mut slow) = (Vec::new(), Vec::new());
    let a = x.extract(payload, &mut fast);
    // JSON is UTF-8 (RFC 8259): the scanner refuses anything else, where serde_json lets
    // invalid bytes through inside strings it skips.
    if std::str::from_utf8(payload).is_err() {
        prop_assert!(
            matches!(a, Err(ExtractError::Json(_))),
            "invalid UTF-8 accepted: {:?}",
            a
        );
        return Ok(());
    }
    let b = x.extract_with_serde(payload, &mut slow);
    match (&a, &b) {
        (Ok(()), Ok(())) => prop_assert_eq!(fast, slow),
        (Err(ExtractError::NotAnObject), Err(ExtractError::NotAnObject)) => {}
        (Err(ExtractError::Json(_)), Err(ExtractError::Json(_))) => {}
        _ => prop_assert!(
            false,
            "scanner {:?} vs serde {:?} on {:?}",
            a,
            b,
            String::from_utf8_lossy(payload)
        ),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10000, ..ProptestConfig::default() })]

    #[test]
    fn agrees_on_valid_documents(doc in document(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_string_pretty(&doc).unwrap() } else { doc.to_string() };
        same(text.as_bytes())?;
    }

    #[test]
    fn agrees_on_mangled_documents(doc in document(), cut in any::<prop::sample::Index>(), byte in any::<u8>(), op in 0u8..3) {
        let mut bytes = doc.to_string().into_bytes();
        if !bytes.is_empty() {
            let i = cut.index(bytes.len());
            match op {
                0 => bytes.truncate(i),
                1 => bytes[i] = byte,
                _ => bytes.insert(i, byte),
            }
        }
        same(&bytes)?;
    }
}

#[test]
fn agrees_on_tricky_inputs() {
    let cases: &[&[u8]] = &[
        b"{}",
        b"[]",
        b"1",
        b"\"x\"",
        b"null",
        b" {\"a\":1} ",
        b"{\"a\":01}",
        b"{\"a\":1.}",
        b"{\"a\":-}",
        b"{\"a\":1e}",
        b"{\"a\":1e400}",
        b"{\"a\":-0}",
        b"{\"a\":\"\\ud83d\\ude00\"}",
        b"{\"a\":\"\\ud83d\"}",
        b"{\"a\":\"\\x\"}",
        b"{\"a\":\"\x01\"}",
        b"{\"a\":tru}",
        b"{\"a\":1,}",
        b"{,}",
        b"{\"a\" 1}",
        b"{\"a\":[1,2,]}",
        b"{\"a\":1}}",
        b"{\"b~1c\":5,\"a~0\":6}",
        b"{\"b/c\":5,\"a~\":6}",
        b"{\"a\":{\"b\":\"\\u00e9\"}}",
        b"\xff",
        b"{\"a\":\"\xc3\xa9\"}",
        b"{\"c\":[0,{\"a\":\"x\"}]}",
        b"{\"a\":1,\"a\":2}",
    ];
    for c in cases {
        same(c).unwrap();
    }
    let x = Extractor::new(&pointers());
    let mut out = Vec::new();
    x.extract(b"{\"b/c\":5,\"a~\":6,\"c\":[0,{\"a\":\"x\"}]}", &mut out)
        .unwrap();
    assert_eq!(out[6], Found::Number(5.0));
    assert_eq!(out[7], Found::Number(6.0));
    assert_eq!(out[5], Found::Text("x".into()));
}
