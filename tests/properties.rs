//! Properties of the pure core (proptest): PSI >= 0, PSI(x, x) = 0, symmetry, IV == PSI bit
//! for bit, merging counts is associative and commutative, binning keeps the total.

use proptest::prelude::*;
use psimon::binning::{BinSpec, Binner, FeatureBaseline, ModelBaseline};
use psimon::data::Cell;
use psimon::evaluate::batch::BatchCounter;
use psimon::stats::{IvOptions, PsiOptions, iv, psi};

/// Two count vectors of the same length (1 to 30 bins), each with a positive total.
fn count_pair() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (1usize..30)
        .prop_flat_map(|k| {
            let v = prop::collection::vec(prop_oneof![Just(0u32), 0u32..50, 0u32..100_000], k);
            (v.clone(), v).prop_filter("positive totals", |(a, b)| {
                a.iter().any(|&x| x > 0) && b.iter().any(|&x| x > 0)
            })
        })
        .prop_map(|(a, b)| {
            (
                a.into_iter().map(f64::from).collect(),
                b.into_iter().map(f64::from).collect(),
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn psi_is_non_negative_with_sane_outputs((a, b) in count_pair()) {
        let r = psi(&a, &b, PsiOptions::default()).unwrap();
        prop_assert!(r.psi >= 0.0);
        prop_assert!(r.contrib.iter().all(|&d| d >= 0.0));
        prop_assert!(r.inference.se >= 0.0 && r.inference.se.is_finite());
        prop_assert!(r.inference.ci_lower <= r.psi && r.psi <= r.inference.ci_upper);
        prop_assert!(r.inference.ci_ncx2_lower <= r.inference.ci_ncx2_upper);
        prop_assert!((0.0..=1.0).contains(&r.inference.chi2_pvalue));
        prop_assert!((0.0..=1.0).contains(&r.tolerance.tau_pvalue_ncx2));
        let shares: f64 = r.p_current.iter().sum();
        prop_assert!((shares - 1.0).abs() < 1e-12);
    }

    #[test]
    fn psi_of_a_vector_with_itself_is_zero((a, _) in count_pair()) {
        let r = psi(&a, &a, PsiOptions::default()).unwrap();
        prop_assert_eq!(r.psi, 0.0);
        prop_assert_eq!(r.inference.se, 0.0);
        prop_assert_eq!(r.inference.chi2_pvalue, 1.0);
    }

    #[test]
    fn psi_is_symmetric((a, b) in count_pair()) {
        let ab = psi(&a, &b, PsiOptions::default()).unwrap();
        let ba = psi(&b, &a, PsiOptions::default()).unwrap();
        prop_assert!((ab.psi - ba.psi).abs() <= 1e-12 * ab.psi.abs() + 1e-300);
        prop_assert!((ab.se_two_sample - ba.se_two_sample).abs() <= 1e-9 * ab.se_two_sample + 1e-300);
    }

    #[test]
    fn iv_equals_psi_bit_for_bit((g, b) in count_pair()) {
        let p = psi(&g, &b, PsiOptions::default()).unwrap();
        let v = iv(&g, &b, IvOptions::default()).unwrap();
        prop_assert_eq!(p.psi.to_bits(), v.iv.to_bits());
        prop_assert_eq!(p.se_two_sample.to_bits(), v.inference.se.to_bits());
        prop_assert_eq!(&p.log_ratio, &v.woe);
        prop_assert_eq!(p.inference.chi2_pvalue.to_bits(), v.inference.chi2_pvalue.to_bits());
    }

    #[test]
    fn binning_keeps_the_total(
        mut edges in prop::collection::vec(-1e6f64..1e6, 0..20),
        values in prop::collection::vec(prop_oneof![Just(None), (-2e6f64..2e6).prop_map(Some)], 0..500),
    ) {
        edges.sort_by(f64::total_cmp);
        edges.dedup();
        let binner = Binner::new(BinSpec::Numeric { edges, special_values: vec![-999.0] });
        let mut counts = vec![0u64; binner.spec().bin_count()];
        for v in &values {
            counts[binner.bin_number(*v)] += 1;
        }
        prop_assert_eq!(counts.iter().sum::<u64>(), values.len() as u64);
    }

    #[test]
    fn merging_counts_is_associative_and_commutative(
        values in prop::collection::vec(prop_oneof![Just(None), (0f64..100.0).prop_map(Some)], 0..300),
        cut1 in 0usize..300, cut2 in 0usize..300,
    ) {
        let model = one_feature_model();
        let (c1, c2) = (cut1.min(values.len()), cut2.min(values.len()));
        let (lo, hi) = (c1.min(c2), c1.max(c2));
        let count = |part: &[Option<f64>]| {
            let mut c = BatchCounter::new(&model);
            for v in part {
                let text = v.map(|x| x.to_string()).unwrap_or_default();
                c.add_row(|_| Cell::from_text(&text), None).unwrap();
            }
            c
        };
        let whole = count(&values).counts().to_vec();
        let (a, b, c) = (&values[..lo], &values[lo..hi], &values[hi..]);
        // (a + b) + c
        let mut left = count(a);
        left.merge(&count(b));
        left.merge(&count(c));
        // a + (c + b)
        let mut cb = count(c);
        cb.merge(&count(b));
        let mut right = count(a);
        right.merge(&cb);
        prop_assert_eq!(left.counts(), &whole[..]);
        prop_assert_eq!(right.counts(), &whole[..]);
        prop_assert_eq!(left.rows(), values.len() as u64);
    }
}

fn one_feature_model() -> ModelBaseline {
    let bins = BinSpec::Numeric {
        edges: vec![10.0, 50.0, 90.0],
        special_values: vec![],
    };
    ModelBaseline {
        name: "m".into(),
        applications: 4,
        target: None,
        features: vec![FeatureBaseline {
            name: "x".into(),
            labels: bins.labels(),
            bins,
            method: String::new(),
            counts: vec![1, 1, 1, 1, 0],
            goods: None,
            bads: None,
            population: None,
            other_levels: Vec::new(),
        }],
    }
}
