//! The decoder's fast path for a finite number: per feature, its numeric edges counted
//! directly (skipping the general path's spec match and cell conversion), or, for a field
//! binned twice side by side (scorecard and population bins), one count against the merged
//! edges of both (`pair`). Special values and everything that is not a finite number go to
//! the `Binner`. Pure.

use super::pair::PairedBinner;
use super::spec::{BinSpec, Binner, COUNTED_EDGES, count_at_or_below};

/// A numeric binning of at most `COUNTED_EDGES` finite edges, ready for the fast path.
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
        if edges.len() > COUNTED_EDGES || edges.iter().any(|e| !e.is_finite()) {
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
        Some(count_at_or_below(&self.edges, v) as u16)
    }
}

/// How the fast path bins one feature's finite number.
#[derive(Debug, Clone)]
pub enum FastPath {
    /// Not at all: the binner does.
    None,
    /// Alone.
    One(FastBins),
    /// With the next feature, which reads the same field.
    Pair(PairedBinner),
}

impl FastPath {
    /// The path of each of `binners`; `same_field(f)`: features `f` and `f + 1` read one
    /// field. The second feature of a pair keeps its own path, for the values the pair
    /// leaves to the binners.
    pub fn plan(binners: &[&Binner], same_field: impl Fn(usize) -> bool) -> Vec<FastPath> {
        let mut paths: Vec<FastPath> = binners
            .iter()
            .map(|b| FastBins::new(b).map_or(FastPath::None, FastPath::One))
            .collect();
        let mut f = 0;
        while f + 1 < binners.len() {
            match PairedBinner::new(binners[f], binners[f + 1]).filter(|_| same_field(f)) {
                Some(p) => {
                    paths[f] = FastPath::Pair(p);
                    f += 2;
                }
                None => f += 1,
            }
        }
        paths
    }

    /// Pushes the bins of finite `v` and returns how many features they are (0: none, the
    /// binner decides).
    #[inline]
    pub fn bin(&self, v: f64, bins: &mut Vec<u16>) -> usize {
        match self {
            FastPath::One(fast) => fast.bin(v).map_or(0, |b| {
                bins.push(b);
                1
            }),
            FastPath::Pair(pair) => pair.bin_pair(v).map_or(0, |(a, b)| {
                bins.extend([a, b]);
                2
            }),
            FastPath::None => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn numeric(edges: Vec<f64>) -> Binner {
        Binner::new(BinSpec::Numeric {
            edges,
            special_values: vec![],
        })
    }

    #[test]
    fn only_short_finite_numeric_binnings_are_fast() {
        assert!(FastBins::new(&numeric(vec![])).is_some());
        assert!(FastBins::new(&numeric((0..32).map(f64::from).collect())).is_some());
        assert!(FastBins::new(&numeric((0..33).map(f64::from).collect())).is_none());
        let levels = Binner::new(BinSpec::Categorical {
            levels: vec![vec!["a".into()]],
        });
        assert!(FastBins::new(&levels).is_none());
    }

    #[test]
    fn fields_binned_twice_pair_and_the_rest_go_alone() {
        let (a, b, c) = (numeric(vec![1.0]), numeric(vec![2.0]), numeric(vec![3.0]));
        let levels = Binner::new(BinSpec::Categorical {
            levels: vec![vec!["a".into()]],
        });
        // Features 0 and 1 read one field, 2 and 3 another, 4 a third.
        let plan = FastPath::plan(&[&a, &b, &c, &levels, &a], |f| f == 0 || f == 2);
        let kinds: Vec<&str> = plan
            .iter()
            .map(|p| match p {
                FastPath::None => "none",
                FastPath::One(_) => "one",
                FastPath::Pair(_) => "pair",
            })
            .collect();
        assert_eq!(kinds, ["pair", "one", "one", "none", "one"]);
        let mut bins = Vec::new();
        assert_eq!(plan[0].bin(1.5, &mut bins), 2);
        assert_eq!(plan[3].bin(1.5, &mut bins), 0);
        assert_eq!(bins, [1, 0]);
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
