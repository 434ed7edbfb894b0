//! PSI of every feature of one model's window against its baseline, with per-bin detail.

use serde::Serialize;

use crate::stats::divergence::per_bin;
use crate::stats::{
    DivergenceStats, FamilyOptions, Measure, PsiOptions, PsiStats, StatsError, family, psi,
};
use crate::window::CountMatrix;

/// Which of a feature's two sets of bins a series uses: the scorecard's (did the model's
/// inputs move) or the population bins of the baseline (did the population change).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Binning {
    #[default]
    Scorecard,
    Population,
}

impl Binning {
    /// The `binning` label and field value.
    pub fn as_str(self) -> &'static str {
        match self {
            Binning::Scorecard => "scorecard",
            Binning::Population => "population",
        }
    }

    pub fn parse(text: &str) -> Option<Binning> {
        match text {
            "scorecard" => Some(Binning::Scorecard),
            "population" => Some(Binning::Population),
            _ => None,
        }
    }
}

/// A monitored series: a feature under one of its binnings, with the bins' labels and
/// baseline counts.
#[derive(Debug, Clone)]
pub struct FeatureMeta {
    pub name: String,
    pub binning: Binning,
    pub labels: Vec<String>,
    pub baseline: Vec<f64>,
    /// The development goods and bads per bin (scorecard bins of a baseline built with a
    /// target): the IV that windowed IV is compared with.
    pub development: Option<(Vec<f64>, Vec<f64>)>,
    /// The development IV of those counts at the configured alpha, computed once (each
    /// evaluation compares the windowed IV with it).
    pub development_iv: Option<crate::stats::IvStats>,
}

impl FeatureMeta {
    /// The series' name where one string must tell the binnings apart (fingerprints):
    /// the feature's name, with `/population` appended for population bins.
    pub fn series(&self) -> String {
        self.series_path().join("/")
    }

    /// The series as the state topic's drift keys name it: `[name]`, or `[name,
    /// "population"]` for population bins.
    pub fn series_path(&self) -> Vec<String> {
        match self.binning {
            Binning::Scorecard => vec![self.name.clone()],
            Binning::Population => vec![self.name.clone(), "population".into()],
        }
    }
}

#[derive(Debug, Clone)]
pub struct ModelMeta {
    pub name: String,
    pub baseline_id: String,
    pub baseline_applications: u64,
    pub features: Vec<FeatureMeta>,
    /// The score series back-testing ranks, when the model monitors `score`.
    pub score: Option<super::ScoreMeta>,
    /// The divergences computed beside PSI for every series (`[[models]] divergences`).
    pub divergences: Vec<Measure>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BinDetail {
    pub label: String,
    pub baseline_share: f64,
    pub current_share: f64,
    pub current_count: u64,
    /// The equal-tailed `1 - alpha` Jeffreys interval of the current share (each bin on
    /// its own, not simultaneous); null for an empty window.
    pub current_ci_lower: Option<f64>,
    pub current_ci_upper: Option<f64>,
    /// PSI contribution; null for a bin empty in both (dropped).
    pub contrib: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct FeatureEval {
    pub feature: usize,
    pub applications: u64,
    pub missing_ratio: f64,
    pub psi: Result<PsiStats, StatsError>,
    pub bins: Vec<BinDetail>,
    /// The model's configured divergences of this window, in `Measure::ALL`'s order (empty
    /// when none are configured or the counts give none).
    pub divergences: Vec<DivergenceStats>,
}

/// The Jeffreys interval of a share, `count` of `total`; `None` when `total` is 0.
pub(crate) fn share_interval(count: f64, total: f64, alpha: f64) -> Option<(f64, f64)> {
    (total > 0.0).then(|| crate::stats::jeffreys_interval(total, count, alpha))
}

/// Evaluates every feature of `model` on `counts`.
pub fn evaluate_window(model: &ModelMeta, counts: &CountMatrix, alpha: f64) -> Vec<FeatureEval> {
    let opts = PsiOptions {
        alpha,
        ..PsiOptions::default()
    };
    model
        .features
        .iter()
        .enumerate()
        .map(|(f, meta)| {
            let cur = counts.feature(f);
            let current: Vec<f64> = cur.iter().map(|&c| c as f64).collect();
            let result = psi(&current, &meta.baseline, opts);
            let cur_total: f64 = current.iter().sum();
            let base_total: f64 = meta.baseline.iter().sum();
            let contrib = match &result {
                Ok(p) => per_bin(&p.contrib, &p.dropped_bins, cur.len()),
                Err(_) => vec![None; cur.len()],
            };
            let bins = (0..cur.len())
                .map(|b| {
                    let contrib = contrib[b];
                    let ci = share_interval(current[b], cur_total, alpha);
                    BinDetail {
                        label: meta.labels.get(b).cloned().unwrap_or_default(),
                        current_ci_lower: ci.map(|c| c.0),
                        current_ci_upper: ci.map(|c| c.1),
                        baseline_share: meta.baseline[b] / base_total,
                        current_share: if cur_total > 0.0 {
                            current[b] / cur_total
                        } else {
                            0.0
                        },
                        current_count: cur[b],
                        contrib,
                    }
                })
                .collect();
            let missing = cur.last().copied().unwrap_or(0);
            FeatureEval {
                feature: f,
                applications: counts.applications(),
                missing_ratio: if counts.applications() > 0 {
                    missing as f64 / counts.applications() as f64
                } else {
                    0.0
                },
                psi: result,
                bins,
                divergences: divergences(&model.divergences, &current, &meta.baseline, alpha),
            }
        })
        .collect()
}

/// The `wanted` members of the family of `current` against `baseline` (two samples, as PSI).
fn divergences(
    wanted: &[Measure],
    current: &[f64],
    baseline: &[f64],
    alpha: f64,
) -> Vec<DivergenceStats> {
    if wanted.is_empty() {
        return Vec::new();
    }
    let opts = FamilyOptions {
        alpha,
        second_fixed: false,
    };
    family(current, baseline, opts)
        .map(|all| {
            all.into_iter()
                .filter(|s| wanted.contains(&s.measure))
                .collect()
        })
        .unwrap_or_default()
}

impl FeatureEval {
    /// The bins that moved most: largest PSI contribution first.
    pub fn top_bins(&self, n: usize) -> Vec<&BinDetail> {
        let mut bins: Vec<&BinDetail> = self.bins.iter().filter(|b| b.contrib.is_some()).collect();
        bins.sort_by(|a, b| {
            b.contrib
                .unwrap_or(0.0)
                .total_cmp(&a.contrib.unwrap_or(0.0))
        });
        bins.truncate(n);
        bins
    }
}
