//! Back-testing of a model's score on one outcome window: how well it ranks (AUC, Gini, KS
//! with DeLong's SE, against development: the `gini_decline` state) and whether each score
//! band's bad rate still matches its PD, the development bad rate or the PD of the
//! scorecard's scaling (Jeffreys test per band, Hosmer-Lemeshow). Pure: goods and bads per score bin in, statistics and a state out.
//!
//! Only the score's ranges are ranked: special values and Missing have no place in the
//! order, so their applications are counted as `unranked` and left out.

use serde::Serialize;

use super::DriftState;
use super::drift::{ShareThresholds, with_hysteresis};
use super::scaling::ScoreScaling;
use crate::stats::{
    Adjustment, Calibration, Development, Discrimination, Expected, GiniDecline, StatsError,
    calibration, discrimination, expected, gini_decline,
};

/// What the back-testing of a model knows of its score series.
#[derive(Debug, Clone)]
pub struct ScoreMeta {
    /// Index of the score (scorecard bins) in the model's features.
    pub feature: usize,
    /// The score's ranges at the front of its bins, in ascending score.
    pub ranked: usize,
    /// Whether a higher score means riskier (the development AUC of ascending bins is
    /// below 0.5); scorecards rank safer upwards, the default without development counts.
    pub reversed: bool,
    /// Discrimination of the development goods and bads (a baseline built with a target).
    pub development: Option<Discrimination>,
    /// Each range's PD, the development bad rate or the scaling's (`None` when it is 0 or
    /// 1: no test against it).
    pub pd: Vec<Option<f64>>,
    pub pd_source: PdSource,
}

/// Where the PD of a score band comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PdSource {
    /// The band's bad rate in the development sample.
    Development,
    /// The scorecard's scaling (`ScoreScaling`): the mean PD across the band.
    Scaling,
}

impl PdSource {
    pub fn as_str(self) -> &'static str {
        match self {
            PdSource::Development => "development",
            PdSource::Scaling => "scaling",
        }
    }
}

/// Default shares of the development Gini lost for the `gini_decline` states.
pub const DEFAULT_WARNING_GINI_DECLINE: f64 = 0.1;
pub const DEFAULT_ALERT_GINI_DECLINE: f64 = 0.2;

/// The back-testing of one outcome window.
#[derive(Debug, Clone, Serialize)]
pub struct Backtest {
    /// Applications with outcomes in the special-value and Missing bins (not ranked).
    pub unranked: f64,
    #[serde(serialize_with = "ok_or_null")]
    pub discrimination: Result<Discrimination, StatsError>,
    /// Against development, when the baseline has its goods and bads.
    pub decline: Option<GiniDecline>,
    /// The ranges tested (those with a PD) and their calibration.
    pub bands: Vec<usize>,
    pub pd_source: PdSource,
    #[serde(serialize_with = "ok_or_null")]
    pub calibration: Result<Calibration, StatsError>,
}

fn ok_or_null<T: Serialize, S: serde::Serializer>(
    r: &Result<T, StatsError>,
    s: S,
) -> Result<S::Ok, S::Error> {
    r.as_ref().ok().serialize(s)
}

impl Backtest {
    /// The calibration as `/api/v1/drift` and `report --format json` show it: the
    /// Hosmer-Lemeshow test, the light, and each tested band with its label (`labels`: the
    /// score's bin labels); `None` when there is no calibration.
    pub fn calibration_json(&self, labels: &[String]) -> Option<serde_json::Value> {
        let c = self.calibration.as_ref().ok()?;
        let bands: Vec<serde_json::Value> = self
            .bands
            .iter()
            .zip(&c.bands)
            .map(|(&i, band)| {
                let mut v = serde_json::to_value(band).unwrap_or_default();
                v["label"] = serde_json::json!(labels.get(i));
                v
            })
            .collect();
        Some(serde_json::json!({
            "pd_source": self.pd_source,
            "hosmer_lemeshow": c.hosmer_lemeshow,
            "hl_df": c.hl_df,
            "hl_pvalue": c.hl_pvalue,
            "light": c.light,
            "bands": bands,
        }))
    }
}

impl ScoreMeta {
    /// `goods[i]`, `bads[i]` of the ranges in rank order (safer upwards).
    fn ranked(&self, v: &[f64]) -> Vec<f64> {
        let mut out = v[..self.ranked.min(v.len())].to_vec();
        if self.reversed {
            out.reverse();
        }
        out
    }

    /// What is known of the score from development: the ranges' bad rates and, ranked,
    /// the development discrimination and its direction.
    pub fn from_development(
        feature: usize,
        ranked: usize,
        dev: Option<(&[f64], &[f64])>,
        alpha: f64,
    ) -> Self {
        let mut meta = ScoreMeta {
            feature,
            ranked,
            reversed: false,
            development: None,
            pd: vec![None; ranked],
            pd_source: PdSource::Development,
        };
        let Some((g, b)) = dev else {
            return meta;
        };
        meta.pd = (0..ranked)
            .map(|i| Some(b[i] / (g[i] + b[i])).filter(|p| *p > 0.0 && *p < 1.0))
            .collect();
        if let Ok(up) = discrimination(&g[..ranked], &b[..ranked], alpha) {
            meta.reversed = up.auc < 0.5;
            meta.development = if meta.reversed {
                discrimination(&meta.ranked(g), &meta.ranked(b), alpha).ok()
            } else {
                Some(up)
            };
        }
        meta
    }

    /// The same with each range's PD from the scorecard's scaling (the score binned at
    /// `edges`); without development counts, the scaling also gives the direction.
    pub fn with_scaling(mut self, edges: &[f64], scaling: &ScoreScaling) -> Self {
        let pds = scaling.band_pds(edges);
        debug_assert_eq!(pds.len(), self.ranked);
        self.pd = pds
            .into_iter()
            .map(|p| Some(p).filter(|p| *p > 0.0 && *p < 1.0))
            .collect();
        self.pd_source = PdSource::Scaling;
        if self.development.is_none() {
            self.reversed = scaling.points_to_double_odds < 0.0;
        }
        self
    }
}

/// What the score's `current` counts per bin (all of its bins) are expected to show under
/// the development bad rates of `dev` (goods and bads per bin); `None` without them.
pub fn expected_of(
    score: &ScoreMeta,
    dev: Option<&(Vec<f64>, Vec<f64>)>,
    current: &[f64],
) -> Option<Result<Expected, StatsError>> {
    let (goods, bads) = dev?;
    Some(expected(
        current,
        &Development {
            goods,
            bads,
            ranked: score.ranked,
            reversed: score.reversed,
        },
    ))
}

/// The back-testing of the score's `goods` and `bads` per bin (all of its bins).
pub fn backtest(
    score: &ScoreMeta,
    goods: &[f64],
    bads: &[f64],
    alpha: f64,
    method: Adjustment,
) -> Backtest {
    let unranked: f64 = goods[score.ranked.min(goods.len())..].iter().sum::<f64>()
        + bads[score.ranked.min(bads.len())..].iter().sum::<f64>();
    let now = discrimination(&score.ranked(goods), &score.ranked(bads), alpha);
    let decline = match (&score.development, &now) {
        (Some(d), Ok(n)) => Some(gini_decline(d, n, alpha)),
        _ => None,
    };
    let bands: Vec<usize> = (0..score.ranked)
        .filter(|&i| score.pd[i].is_some())
        .collect();
    let pick = |v: &[f64]| bands.iter().map(|&i| v[i]).collect::<Vec<f64>>();
    let pd: Vec<f64> = bands.iter().filter_map(|&i| score.pd[i]).collect();
    let calibration = calibration(&pick(goods), &pick(bads), &pd, alpha, method);
    Backtest {
        unranked,
        discrimination: now,
        decline,
        bands,
        pd_source: score.pd_source,
        calibration,
    }
}

/// The `gini_decline` state, by the rule of every state: the level is the highest threshold
/// below the one-sided `1 - alpha` lower bound of the share of the development Gini lost
/// (which is the one-sided test of a decline rejecting, and more); up at once, down only
/// once the share itself is below `clear_ratio` x the current state's threshold.
pub fn gini_decline_state(prev: DriftState, d: &GiniDecline, t: ShareThresholds) -> DriftState {
    let (Some(lower), Some(share)) = (d.relative_decline_lower, d.relative_decline) else {
        return DriftState::Ok;
    };
    with_hysteresis(prev, lower, share, t)
}

/// The calibration state by the worst band's adjusted Jeffreys p-value `q`, with the
/// lights' bounds: up at once (warning at `q <= alpha`, alert at `q <= alpha / 10`); down
/// only once `q` is above the held state's bound divided by `clear_ratio`, so a window
/// whose worst band sits at a bound does not flap between lights.
pub fn calibration_state(prev: DriftState, q: f64, alpha: f64, clear_ratio: f64) -> DriftState {
    let level_at = |q: f64| {
        if q <= alpha / 10.0 {
            DriftState::Alert
        } else if q <= alpha {
            DriftState::Warning
        } else {
            DriftState::Ok
        }
    };
    let level = level_at(q);
    if level >= prev {
        return level;
    }
    // The state held is the level of the p-value scaled by the clear ratio, at most prev.
    level_at(q * clear_ratio).min(prev)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_calibration_state_rises_at_once_and_falls_only_clearly() {
        use DriftState::*;
        let state = |prev, q| calibration_state(prev, q, 0.05, 0.8);
        assert_eq!(state(Ok, 0.004), Alert);
        assert_eq!(state(Ok, 0.03), Warning);
        assert_eq!(state(Ok, 0.06), Ok);
        // Red holds until q is above 0.005 / 0.8 = 0.00625, then it is the light's level.
        assert_eq!(state(Alert, 0.006), Alert);
        assert_eq!(state(Alert, 0.007), Warning);
        assert_eq!(state(Alert, 0.5), Ok);
        // Amber holds until q is above 0.05 / 0.8 = 0.0625.
        assert_eq!(state(Warning, 0.06), Warning);
        assert_eq!(state(Warning, 0.07), Ok);
    }

    const T: ShareThresholds = ShareThresholds {
        warning: 0.1,
        alert: 0.2,
        clear_ratio: 0.8,
    };

    /// A score of four ranges plus Missing, developed with a strong ranking.
    fn meta(reversed_bins: bool) -> ScoreMeta {
        let mut g = vec![100.0, 300.0, 600.0, 1000.0, 50.0];
        let mut b = vec![120.0, 80.0, 50.0, 30.0, 10.0];
        if reversed_bins {
            g[..4].reverse();
            b[..4].reverse();
        }
        ScoreMeta::from_development(0, 4, Some((&g, &b)), 0.05)
    }

    #[test]
    fn the_direction_comes_from_development_and_missing_is_unranked() {
        let (up, down) = (meta(false), meta(true));
        assert!(!up.reversed && down.reversed);
        let (du, dd) = (up.development.unwrap(), down.development.unwrap());
        assert!(du.auc > 0.7 && (du.auc - dd.auc).abs() < 1e-15, "{du:?}");
        let bt = backtest(
            &meta(false),
            &[10.0, 30.0, 60.0, 100.0, 7.0],
            &[12.0, 8.0, 5.0, 3.0, 1.0],
            0.05,
            Adjustment::Bh,
        );
        assert_eq!(bt.unranked, 8.0);
        assert_eq!(bt.discrimination.unwrap().goods, 200.0);
        assert_eq!(bt.bands, vec![0, 1, 2, 3]);
    }

    #[test]
    fn a_lost_ranking_alerts_once_shown_and_clears_with_hysteresis() {
        let m = meta(false);
        let dev = m.development.clone().unwrap();
        // Ten times the development sample, the bads spread evenly: the ranking is gone.
        let flat = backtest(
            &m,
            &[1000.0, 3000.0, 6000.0, 10000.0, 0.0],
            &[700.0, 700.0, 700.0, 700.0, 0.0],
            0.05,
            Adjustment::Bh,
        );
        let d = flat.decline.unwrap();
        assert!(d.relative_decline_lower.unwrap() > 0.2, "{d:?}");
        assert_eq!(gini_decline_state(DriftState::Ok, &d, T), DriftState::Alert);
        // The same ranking as development: no decline; an alert clears.
        let same = gini_decline(&dev, &dev, 0.05);
        assert_eq!(gini_decline_state(DriftState::Ok, &same, T), DriftState::Ok);
        assert_eq!(
            gini_decline_state(DriftState::Alert, &same, T),
            DriftState::Ok
        );
        // A share lost above 0.8 x 0.2 whose bound is below 0.1 holds an alert.
        let mut holding = same.clone();
        holding.relative_decline = Some(0.17);
        holding.relative_decline_lower = Some(0.05);
        assert_eq!(
            gini_decline_state(DriftState::Alert, &holding, T),
            DriftState::Alert
        );
        assert_eq!(
            gini_decline_state(DriftState::Ok, &holding, T),
            DriftState::Ok
        );
    }

    #[test]
    fn a_scaling_gives_the_band_pds_and_without_development_the_direction() {
        let scaling = ScoreScaling {
            base_score: 600.0,
            base_odds: 50.0,
            points_to_double_odds: -20.0,
            min_score: Some(300.0),
            max_score: Some(850.0),
        };
        let edges = [550.0, 600.0, 650.0];
        let m = ScoreMeta::from_development(0, 4, None, 0.05).with_scaling(&edges, &scaling);
        assert!(m.reversed, "a negative PDO: a higher score is riskier");
        let pds = scaling.band_pds(&edges);
        assert_eq!(m.pd, pds.iter().map(|&p| Some(p)).collect::<Vec<_>>());
        let bt = backtest(
            &m,
            &[500.0, 500.0, 500.0, 500.0, 9.0],
            &[5.0, 10.0, 20.0, 40.0, 1.0],
            0.05,
            Adjustment::Bh,
        );
        assert_eq!(
            (bt.bands.clone(), bt.pd_source),
            (vec![0, 1, 2, 3], PdSource::Scaling)
        );
        let c = bt.calibration.as_ref().unwrap();
        for (band, pd) in c.bands.iter().zip(&pds) {
            assert_eq!(band.pd, *pd);
        }
        let json = bt.calibration_json(&["a".into(), "b".into(), "c".into(), "d".into()]);
        assert_eq!(json.unwrap()["pd_source"], "scaling");
        // With development counts the direction stays development's.
        let dev = meta(false).with_scaling(&edges, &scaling);
        assert!(!dev.reversed);
    }

    #[test]
    fn calibration_tests_the_ranges_with_a_development_bad_rate() {
        let g = [100.0, 300.0, 0.0, 1000.0, 50.0];
        let b = [120.0, 80.0, 50.0, 30.0, 10.0];
        let m = ScoreMeta::from_development(0, 4, Some((&g, &b)), 0.05);
        assert_eq!(m.pd[2], None);
        let bt = backtest(&m, &g, &b, 0.05, Adjustment::Bh);
        assert_eq!(bt.bands, vec![0, 1, 3]);
        let c = bt.calibration.unwrap();
        assert!(
            c.bands.iter().all(|x| x.pvalue > 0.3 && x.pvalue < 0.7),
            "{c:?}"
        );
    }
}
