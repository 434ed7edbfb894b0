//! The two encodings of a binned row the paper compares: the WoE of its bin per feature
//! (one column per feature) and one-hot bins (one column per bin, the feature's most
//! populated training bin the reference without a column). Both from training rows only.

use crate::stats::divergence::per_bin;
use crate::stats::{IvOptions, iv};

use super::logistic::Row;

/// A sample binned by the baseline's scorecard bins: per row, the bin of each feature.
#[derive(Debug, Clone)]
pub struct BinnedSample {
    pub features: Vec<String>,
    /// Per feature: its bins' labels.
    pub labels: Vec<Vec<String>>,
    /// Per row: the bin of each feature.
    pub rows: Vec<Vec<u16>>,
    pub bad: Vec<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    Woe,
    #[value(name = "onehot")]
    #[serde(rename = "onehot")]
    OneHot,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Woe => "woe",
            Encoding::OneHot => "onehot",
        }
    }
}

/// Training goods and bads per feature and bin.
pub(crate) fn training_counts(s: &BinnedSample, train: &[usize]) -> Vec<(Vec<f64>, Vec<f64>)> {
    let mut out: Vec<(Vec<f64>, Vec<f64>)> = s
        .labels
        .iter()
        .map(|l| (vec![0.0; l.len()], vec![0.0; l.len()]))
        .collect();
    for &r in train {
        for (f, &bin) in s.rows[r].iter().enumerate() {
            let (goods, bads) = &mut out[f];
            if s.bad[r] {
                bads[bin as usize] += 1.0;
            } else {
                goods[bin as usize] += 1.0;
            }
        }
    }
    out
}

/// Per feature and bin: the value the encoding gives, and the design column (none for a
/// one-hot reference bin). Column 0 is the intercept.
#[derive(Debug, Clone)]
pub(crate) struct Design {
    pub columns: usize,
    /// Per feature, per bin: `(column, value)`, or `None` (contributes nothing).
    pub cells: Vec<Vec<Option<(usize, f64)>>>,
    /// Per feature, per bin: the smoothed WoE (goods over bads), as IV computes it.
    pub woe: Vec<Vec<f64>>,
}

impl Design {
    pub(crate) fn of(encoding: Encoding, counts: &[(Vec<f64>, Vec<f64>)]) -> Design {
        let woe: Vec<Vec<f64>> = counts.iter().map(|(g, b)| woe_per_bin(g, b)).collect();
        let mut columns = 1;
        let cells = counts
            .iter()
            .zip(&woe)
            .map(|((g, b), w)| match encoding {
                Encoding::Woe => {
                    columns += 1;
                    w.iter().map(|&v| Some((columns - 1, v))).collect()
                }
                Encoding::OneHot => {
                    let reference = most_populated(g, b);
                    (0..g.len())
                        .map(|bin| {
                            // A bin no training row fell in has nothing to estimate from.
                            (bin != reference && g[bin] + b[bin] > 0.0).then(|| {
                                columns += 1;
                                (columns - 1, 1.0)
                            })
                        })
                        .collect()
                }
            })
            .collect();
        Design {
            columns,
            cells,
            woe,
        }
    }

    pub(crate) fn row(&self, bins: &[u16]) -> Row {
        let mut row = Vec::with_capacity(bins.len() + 1);
        row.push((0, 1.0));
        row.extend(
            bins.iter()
                .enumerate()
                .filter_map(|(f, &b)| self.cells[f][b as usize]),
        );
        row
    }
}

/// WoE of every bin as IV computes it (smoothed, goods over bads). A bin no training row
/// fell in gets 0, the neutral value: IV drops it, and smoothing alone would give it
/// `ln((B + k/2) / (G + k/2))`, the overall odds, as if the bin were known to be risky.
fn woe_per_bin(goods: &[f64], bads: &[f64]) -> Vec<f64> {
    let Ok(stats) = iv(goods, bads, IvOptions::default()) else {
        return vec![0.0; goods.len()];
    };
    per_bin(&stats.woe, &stats.dropped_bins, goods.len())
        .into_iter()
        .map(|w| w.unwrap_or(0.0))
        .collect()
}

fn most_populated(goods: &[f64], bads: &[f64]) -> usize {
    (0..goods.len())
        .max_by(|&a, &b| {
            (goods[a] + bads[a])
                .total_cmp(&(goods[b] + bads[b]))
                .then(b.cmp(&a))
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn woe_is_ivs_and_one_hot_leaves_out_the_reference_and_empty_bins() {
        let counts = vec![(vec![50.0, 30.0, 0.0, 20.0], vec![5.0, 10.0, 0.0, 15.0])];
        let woe = Design::of(Encoding::Woe, &counts);
        let stats = iv(&counts[0].0, &counts[0].1, IvOptions::default()).unwrap();
        assert_eq!(woe.woe[0][0], stats.woe[0]);
        assert_eq!(
            woe.woe[0][3], stats.woe[2],
            "the empty bin is dropped by IV"
        );
        assert_eq!(woe.woe[0][2], 0.0, "and is neutral");
        assert_eq!(woe.columns, 2);
        assert_eq!(woe.row(&[1]), vec![(0, 1.0), (1, stats.woe[1])]);
        let hot = Design::of(Encoding::OneHot, &counts);
        assert_eq!(hot.columns, 3, "intercept, bins 1 and 3");
        assert_eq!(hot.row(&[0]), vec![(0, 1.0)], "bin 0 is the reference");
        assert_eq!(hot.row(&[2]), vec![(0, 1.0)], "bin 2 had no training rows");
        assert_eq!(hot.row(&[3]), vec![(0, 1.0), (2, 1.0)]);
    }
}
