//! Fairness of a score (or any feature) across a protected attribute, in one sample
//! (STATISTICS.md sec. 6): per monitored group, the Jeffreys divergence J between the
//! feature's bin distribution in that group and in the reference group, with the SE,
//! intervals and tests of the IV core (`goods` = the group's counts, `bads` = the
//! reference's). "The feature carries less than tau information on the group" is shown
//! when H0: J >= tau is rejected, i.e. `below_tau_pvalue_ncx2 < alpha`.
//! Pure: cells in, statistics out.

pub(crate) mod evaluate;
pub mod words;

use std::collections::BTreeMap;

use crate::binning::{BinError, Binner};
use crate::data::Cell;
use crate::stats::{IvOptions, IvStats, StatsError, iv};

/// Default largest acceptable J of a protected attribute: the usual "not predictive" bound
/// on IV (0.02).
pub const DEFAULT_FAIRNESS_TAU: f64 = 0.02;

/// Bin counts of one feature per value of the protected attribute.
pub struct FairnessCounter {
    binner: Binner,
    counts: BTreeMap<String, Vec<u64>>,
    /// Rows with no value of the protected attribute (not counted in any group).
    pub missing_group: u64,
}

/// What one monitored group shows against the reference.
#[derive(Debug, Clone)]
pub struct GroupReport {
    pub group: String,
    pub rows: u64,
    pub reference_rows: u64,
    pub stats: Result<IvStats, StatsError>,
    /// H0: J >= tau rejected at alpha: the feature is shown to carry less than tau.
    pub below_tau: bool,
    /// H0: J <= tau rejected at alpha: the feature is shown to carry more than tau.
    pub above_tau: bool,
}

impl FairnessCounter {
    pub fn new(binner: Binner) -> Self {
        Self {
            binner,
            counts: BTreeMap::new(),
            missing_group: 0,
        }
    }

    /// Counts one row: its group (`None`: missing) and the feature's cell.
    pub fn add(&mut self, group: Option<&str>, cell: Cell<'_>) -> Result<(), BinError> {
        let Some(group) = group else {
            self.missing_group += 1;
            return Ok(());
        };
        let bin = self.binner.bin_cell(cell)?;
        let n = self.binner.spec().bin_count();
        let counts = match self.counts.get_mut(group) {
            Some(c) => c,
            None => self.counts.entry(group.to_string()).or_insert(vec![0; n]),
        };
        counts[bin] += 1;
        Ok(())
    }

    /// The groups seen, with their row counts.
    pub fn groups(&self) -> Vec<(&str, u64)> {
        self.counts
            .iter()
            .map(|(g, c)| (g.as_str(), c.iter().sum()))
            .collect()
    }

    /// J of each of `groups` (every group but the reference when `None`) against
    /// `reference`. `None` when the reference group has no rows.
    pub fn finish(
        &self,
        reference: &str,
        groups: Option<&[String]>,
        tau: f64,
        alpha: f64,
    ) -> Option<Vec<GroupReport>> {
        let reference_counts = self.counts.get(reference)?;
        let to_f64 = |v: &[u64]| v.iter().map(|&c| c as f64).collect::<Vec<f64>>();
        let wanted: Vec<String> = match groups {
            Some(g) => g.to_vec(),
            None => self
                .counts
                .keys()
                .filter(|g| g.as_str() != reference)
                .cloned()
                .collect(),
        };
        let zeros = vec![0u64; reference_counts.len()];
        Some(
            wanted
                .into_iter()
                .map(|group| {
                    let counts = self.counts.get(&group).unwrap_or(&zeros);
                    let (stats, below_tau, above_tau) =
                        compare(&to_f64(counts), &to_f64(reference_counts), tau, alpha);
                    GroupReport {
                        rows: counts.iter().sum(),
                        reference_rows: reference_counts.iter().sum(),
                        group,
                        stats,
                        below_tau,
                        above_tau,
                    }
                })
                .collect(),
        )
    }
}

/// One group against the reference: J by the IV core (`goods` = the group's counts,
/// `bads` = the reference's) with the tolerance test at `tau`, and whether "J < tau"
/// (H0: J >= tau rejected) and "J > tau" (H0: J <= tau rejected) are shown at `alpha`.
pub fn compare(
    group: &[f64],
    reference: &[f64],
    tau: f64,
    alpha: f64,
) -> (Result<IvStats, StatsError>, bool, bool) {
    let stats = iv(
        group,
        reference,
        IvOptions {
            alpha,
            tau: Some(tau),
        },
    );
    let (below_tau, above_tau) = match &stats {
        Ok(s) => s.tolerance.as_ref().map_or((false, false), |t| {
            (t.below_tau_pvalue_ncx2 < alpha, t.tau_pvalue_ncx2 < alpha)
        }),
        Err(_) => (false, false),
    };
    (stats, below_tau, above_tau)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binning::BinSpec;

    #[test]
    fn groups_are_compared_with_the_reference_by_the_iv_core() {
        let binner = Binner::new(BinSpec::Numeric {
            edges: vec![10.0],
            special_values: vec![],
        });
        let mut f = FairnessCounter::new(binner);
        for (g, v) in [
            ("A", "1"),
            ("A", "1"),
            ("A", "20"),
            ("B", "20"),
            ("B", "20"),
        ] {
            f.add(Some(g), Cell::from_text(v)).unwrap();
        }
        f.add(None, Cell::from_text("1")).unwrap();
        assert_eq!(f.missing_group, 1);
        let r = f.finish("A", None, 0.02, 0.05).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].group.as_str(), r[0].rows, r[0].reference_rows),
            ("B", 2, 3)
        );
        let direct = iv(
            &[0.0, 2.0, 0.0],
            &[2.0, 1.0, 0.0],
            IvOptions {
                alpha: 0.05,
                tau: Some(0.02),
            },
        )
        .unwrap();
        assert_eq!(r[0].stats.as_ref().unwrap().iv, direct.iv);
        assert!(f.finish("C", None, 0.02, 0.05).is_none());
    }
}
