//! One field under two numeric binnings (a feature's scorecard and population bins) binned
//! with one count against the merged edges: a value's merged bin determines its bin under
//! each binning, since every edge of either is a merged edge. Owns only that lookup; special
//! values, missing values and text go to the binners themselves. Pure.

use super::spec::{BinSpec, Binner, COUNTED_EDGES, count_at_or_below};

/// The merged edges of two numeric binnings and, per merged bin, the bin under each.
#[derive(Debug, Clone)]
pub struct PairedBinner {
    merged: Box<[f64]>,
    /// `first[k]`, `second[k]`: the bins of a value with `k` merged edges at or below it.
    first: Vec<u16>,
    second: Vec<u16>,
    /// A value equal to one of these is a special value of either binning.
    specials: Vec<f64>,
}

impl PairedBinner {
    /// The pair of two numeric binners with at most 32 merged edges; `None` otherwise.
    pub fn new(a: &Binner, b: &Binner) -> Option<Self> {
        let (
            BinSpec::Numeric {
                edges: ea,
                special_values: sa,
            },
            BinSpec::Numeric {
                edges: eb,
                special_values: sb,
            },
        ) = (a.spec(), b.spec())
        else {
            return None;
        };
        let mut merged: Vec<f64> = ea.iter().chain(eb).copied().collect();
        merged.sort_by(f64::total_cmp);
        merged.dedup();
        if merged.len() > COUNTED_EDGES || merged.iter().any(|e| !e.is_finite()) {
            return None;
        }
        // Bin under `edges` of a value whose merged bin is k: its edges among merged[..k].
        let table = |edges: &[f64]| -> Vec<u16> {
            (0..=merged.len())
                .map(|k| merged[..k].iter().filter(|m| edges.contains(m)).count() as u16)
                .collect()
        };
        Some(Self {
            first: table(ea),
            second: table(eb),
            specials: sa.iter().chain(sb).copied().collect(),
            merged: merged.into(),
        })
    }

    /// The bins of finite `v` under both binnings, or `None` when `v` is a special value of
    /// either (the binners decide those).
    #[inline]
    pub fn bin_pair(&self, v: f64) -> Option<(u16, u16)> {
        if self.specials.contains(&v) {
            return None;
        }
        let k = count_at_or_below(&self.merged, v);
        Some((self.first[k], self.second[k]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn numeric(edges: Vec<f64>, special_values: Vec<f64>) -> Binner {
        Binner::new(BinSpec::Numeric {
            edges,
            special_values,
        })
    }

    #[test]
    fn the_pair_bins_as_each_binner_does() {
        let a = numeric(vec![-1.0, 0.0, 2.5], vec![-999.0]);
        let b = numeric(vec![-2.0, 0.0, 1.0, 3.0], vec![]);
        let p = PairedBinner::new(&a, &b).unwrap();
        for v in [-5.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.5, 3.0, 9.0] {
            let want = (a.bin_number(Some(v)) as u16, b.bin_number(Some(v)) as u16);
            assert_eq!(p.bin_pair(v), Some(want), "{v}");
        }
        assert_eq!(p.bin_pair(-999.0), None, "special values go to the binners");
    }

    #[test]
    fn only_numeric_binnings_pair() {
        let a = numeric(vec![1.0], vec![]);
        let c = Binner::new(BinSpec::Categorical {
            levels: vec![vec!["x".into()]],
        });
        assert!(PairedBinner::new(&a, &c).is_none());
        let wide = numeric((0..40).map(f64::from).collect(), vec![]);
        assert!(PairedBinner::new(&a, &wide).is_none());
    }

    fn edges() -> impl Strategy<Value = Vec<f64>> {
        prop::collection::btree_set(-50i32..50, 0..12)
            .prop_map(|s| s.into_iter().map(|e| f64::from(e) / 4.0).collect())
    }

    proptest! {
        #[test]
        fn the_pair_equals_the_binners(ea in edges(), eb in edges(), v in -15.0f64..15.0, on_edge in any::<bool>()) {
            let a = numeric(ea.clone(), vec![7.25]);
            let b = numeric(eb, vec![]);
            let p = PairedBinner::new(&a, &b).unwrap();
            // Values on an edge are where a pair could go wrong.
            let v = if on_edge && !ea.is_empty() { ea[(v.abs() as usize) % ea.len()] } else { v };
            match p.bin_pair(v) {
                Some((x, y)) => {
                    prop_assert_eq!(x as usize, a.bin_number(Some(v)));
                    prop_assert_eq!(y as usize, b.bin_number(Some(v)));
                }
                None => prop_assert_eq!(v, 7.25),
            }
        }
    }
}
