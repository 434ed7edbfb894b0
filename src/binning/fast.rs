//! The decoder's fast path for a number under numeric bins: the edges counted without a
//! branch, skipping the general path's spec match and cell conversion. Special values and
//! everything that is not a finite number go to the `Binner`. Pure.

use super::spec::{BinSpec, Binner};

/// Edges a binning may have for the fast path (beyond, a count stops paying).
pub(crate) const FAST_EDGES: usize = 32;

/// Edges at or below `v`: its bin. Over the real edges only: padding them to a fixed
/// length for the compiler to unroll measured 5% slower (`cargo bench --bench decode`).
#[inline]
pub(crate) fn count(edges: &[f64], v: f64) -> usize {
    edges.iter().map(|e| usize::from(*e <= v)).sum()
}

/// A numeric binning of at most `FAST_EDGES` finite edges, ready for the fast path.
#[derive(Debug, Clone)]
pub struct FastBins {
    edges: Box<[f64]>,
    specials: Box<[f64]>,
}

impl FastBins {
    pub fn new(binner: &Binner) -> Option<Self> {
        let BinSpec::Numeric {
            edges,
            special_values,
        } = binner.spec()
        else {
            return None;
        };
        if edges.len() > FAST_EDGES || edges.iter().any(|e| !e.is_finite()) {
            return None;
        }
        Some(Self {
            edges: edges.clone().into(),
            specials: special_values.clone().into(),
        })
    }

    /// The bin of finite `v`, or `None` for a special value (the binner decides those).
    #[inline]
    pub fn bin(&self, v: f64) -> Option<u16> {
        if self.specials.contains(&v) {
            return None;
        }
        Some(count(&self.edges, v) as u16)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn only_short_finite_numeric_binnings_are_fast() {
        let numeric = |edges: Vec<f64>| {
            Binner::new(BinSpec::Numeric {
                edges,
                special_values: vec![],
            })
        };
        assert!(FastBins::new(&numeric(vec![])).is_some());
        assert!(FastBins::new(&numeric((0..32).map(f64::from).collect())).is_some());
        assert!(FastBins::new(&numeric((0..33).map(f64::from).collect())).is_none());
        let levels = Binner::new(BinSpec::Categorical {
            levels: vec![vec!["a".into()]],
        });
        assert!(FastBins::new(&levels).is_none());
    }

    proptest! {
        #[test]
        fn the_fast_bin_is_the_binners(
            edges in prop::collection::btree_set(-40i32..40, 0..32),
            q in -44i32..44,
            special in any::<bool>(),
        ) {
            let edges: Vec<f64> = edges.into_iter().map(|e| f64::from(e) / 4.0).collect();
            let specials = if special { vec![f64::from(q) / 4.0] } else { vec![] };
            let binner = Binner::new(BinSpec::Numeric { edges, special_values: specials });
            let v = f64::from(q) / 4.0;
            match FastBins::new(&binner).unwrap().bin(v) {
                Some(b) => prop_assert_eq!(usize::from(b), binner.bin_number(Some(v))),
                None => prop_assert!(special),
            }
        }
    }
}
