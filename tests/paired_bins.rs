//! A feature binned twice (scorecard and population bins, listed side by side on one field)
//! is binned with one count against the merged edges. This checks, through the public
//! decoder, that the pair gives exactly the bins (and errors) of the two binnings decoded
//! separately, for numbers on and between edges, special values, nulls, text and absence.

use proptest::prelude::*;
use psimon::binning::{BinSpec, Binner};
use psimon::event::{Decoder, ModelFields};

fn numeric(edges: &[f64], special_values: &[f64]) -> Binner {
    Binner::new(BinSpec::Numeric {
        edges: edges.to_vec(),
        special_values: special_values.to_vec(),
    })
}

fn decoder(binners: Vec<Binner>) -> Decoder {
    let features = binners
        .into_iter()
        .map(|b| ("x".to_string(), "/x".to_string(), b))
        .collect();
    Decoder::new(
        1 << 16,
        None,
        Some(0),
        None,
        vec![ModelFields {
            name: "m".into(),
            features,
        }],
    )
}

fn edges() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::btree_set(-40i32..40, 0..10)
        .prop_map(|s| s.into_iter().map(|e| f64::from(e) / 4.0).collect())
}

/// A value of field x: numbers (often exactly an edge or a special value), null, text, or
/// the field absent.
fn field() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        6 => (-44i32..44).prop_map(|q| Some(format!("{}", f64::from(q) / 4.0))),
        2 => (-12.0f64..12.0).prop_map(|v| Some(format!("{v}"))),
        1 => Just(Some("-999".to_string())),
        1 => Just(Some("null".to_string())),
        1 => Just(Some("\"7.5\"".to_string())),
        1 => Just(Some("\"text\"".to_string())),
        1 => Just(None),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]
    #[test]
    fn the_pair_bins_as_the_binnings_do(a in edges(), b in edges(), x in field()) {
        let scorecard = || numeric(&a, &[-999.0]);
        let population = || numeric(&b, &[]);
        let paired = decoder(vec![scorecard(), population()]);
        let payload = match &x {
            Some(v) => format!("{{\"x\": {v}}}"),
            None => "{}".to_string(),
        };
        let mut both = Vec::new();
        let got = paired.decode(payload.as_bytes(), &mut both).map_err(|e| e.reason);
        let mut want = Vec::new();
        let mut one = Vec::new();
        let mut outcome = Ok(());
        for d in [decoder(vec![scorecard()]), decoder(vec![population()])] {
            match d.decode(payload.as_bytes(), &mut one) {
                Ok(_) => want.extend(one.iter().copied()),
                Err(e) => outcome = Err(e.reason),
            }
        }
        prop_assert_eq!(got.map(|_| ()), outcome, "{}", payload);
        if outcome.is_ok() {
            prop_assert_eq!(both, want, "{}", payload);
        }
    }
}
