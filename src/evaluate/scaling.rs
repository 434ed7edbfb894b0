//! A scorecard's scaling, the PD its score promises: the score is affine in the log of the
//! good:bad odds, `score = base_score + pdo / ln 2 * ln(odds / base_odds)`, so
//! `odds(s) = base_odds * 2^((s - base_score) / pdo)` and `PD(s) = 1 / (1 + odds(s))`
//! (Siddiqi, Credit Risk Scorecards, 2006, ch. 6; Anderson, The Credit Scoring Toolkit,
//! 2007). A score band's PD is the mean of `PD(s)` over scores spread evenly across the
//! band, in closed form; this is an approximation (the scores within a band are not evenly
//! spread), close to the PD at the band's midpoint for narrow bands. The open first and
//! last bands are closed at `min_score` and `max_score`, or, without them, one neighbouring
//! band's width beyond their edge (`points_to_double_odds` when there is no neighbour).
//! Pure.

use std::f64::consts::LN_2;

use serde::{Deserialize, Serialize};

/// `[outcomes.scaling]` and `report --scaling`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreScaling {
    /// The score at which the good:bad odds are `base_odds`.
    pub base_score: f64,
    pub base_odds: f64,
    /// Points that double the odds (negative: a higher score is riskier).
    pub points_to_double_odds: f64,
    /// The scorecard's lowest and highest scores, closing the first and last bands.
    #[serde(default)]
    pub min_score: Option<f64>,
    #[serde(default)]
    pub max_score: Option<f64>,
}

/// `ln(1 + e^x)` without overflow or loss for large `|x|`.
fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

impl ScoreScaling {
    /// What is wrong with the numbers themselves, as (field, why).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if !self.base_score.is_finite() {
            out.push(("base_score", "must be a finite number".to_string()));
        }
        if !(self.base_odds.is_finite() && self.base_odds > 0.0) {
            out.push((
                "base_odds",
                "must be a positive number (good:bad odds)".into(),
            ));
        }
        if !(self.points_to_double_odds.is_finite() && self.points_to_double_odds != 0.0) {
            out.push(("points_to_double_odds", "must be a non-zero number".into()));
        }
        if let (Some(lo), Some(hi)) = (self.min_score, self.max_score)
            && lo.partial_cmp(&hi) != Some(std::cmp::Ordering::Less)
        {
            out.push(("max_score", "must be above min_score".into()));
        }
        out
    }

    /// What is wrong with the scaling for a score binned at `edges`, as (field, why): the
    /// score range must hold every edge.
    pub fn edge_problems(&self, edges: &[f64]) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let (Some(lo), Some(&first)) = (self.min_score, edges.first())
            && lo >= first
        {
            out.push((
                "min_score",
                format!("must be below the first bin edge {first}"),
            ));
        }
        if let (Some(hi), Some(&last)) = (self.max_score, edges.last())
            && hi <= last
        {
            out.push((
                "max_score",
                format!("must be above the last bin edge {last}"),
            ));
        }
        out
    }

    /// `ln(odds(s))`.
    fn log_odds(&self, score: f64) -> f64 {
        self.base_odds.ln() + LN_2 * (score - self.base_score) / self.points_to_double_odds
    }

    /// The PD the scaling gives a score.
    pub fn pd(&self, score: f64) -> f64 {
        1.0 / (1.0 + self.log_odds(score).exp())
    }

    /// The mean PD over scores spread evenly on `[lo, hi]`: with `x = ln odds`, linear in
    /// the score, `PD = 1 / (1 + e^x)` integrates to `-softplus(-x)`.
    pub fn mean_pd(&self, lo: f64, hi: f64) -> f64 {
        let (a, b) = (self.log_odds(lo), self.log_odds(hi));
        if (b - a).abs() < 1e-9 {
            return self.pd((lo + hi) / 2.0);
        }
        (softplus(-a) - softplus(-b)) / (b - a)
    }

    /// The PD of each score range of a score binned at `edges`: `edges.len() + 1` ranges,
    /// `(-inf, e0)`, `[e0, e1)`, ..., `[e_last, inf)`.
    pub fn band_pds(&self, edges: &[f64]) -> Vec<f64> {
        let Some((&first, &last)) = edges.first().zip(edges.last()) else {
            return vec![self.pd(self.base_score)];
        };
        // The first and last closed bands' widths (`pdo` when there is only one edge).
        let pdo = self.points_to_double_odds.abs();
        let n = edges.len();
        let (first_w, last_w) = match n {
            1 => (pdo, pdo),
            _ => (edges[1] - first, last - edges[n - 2]),
        };
        let lo = self.min_score.unwrap_or(first - first_w);
        let hi = self.max_score.unwrap_or(last + last_w);
        let mut bounds = Vec::with_capacity(n + 2);
        bounds.push(lo);
        bounds.extend_from_slice(edges);
        bounds.push(hi);
        bounds
            .windows(2)
            .map(|w| self.mean_pd(w[0], w[1]))
            .collect()
    }
}

/// `base_score=600,base_odds=50,points_to_double_odds=20[,min_score=300,max_score=850]`
/// (`report --scaling`); every problem in one message.
impl std::str::FromStr for ScoreScaling {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let mut fields: [Option<f64>; 5] = [None; 5];
        const NAMES: [&str; 5] = [
            "base_score",
            "base_odds",
            "points_to_double_odds",
            "min_score",
            "max_score",
        ];
        let mut problems = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            let Some(i) = NAMES.iter().position(|n| *n == name.trim()) else {
                problems.push(format!(
                    "unknown field \"{}\" (known: {})",
                    name.trim(),
                    NAMES.join(", ")
                ));
                continue;
            };
            match value.trim().parse::<f64>() {
                Ok(v) => fields[i] = Some(v),
                Err(_) => problems.push(format!(
                    "{}: \"{}\" is not a number",
                    NAMES[i],
                    value.trim()
                )),
            }
        }
        for (i, name) in NAMES.iter().enumerate().take(3) {
            if fields[i].is_none() && !problems.iter().any(|p| p.starts_with(name)) {
                problems.push(format!("{name} is missing"));
            }
        }
        let scaling = Self {
            base_score: fields[0].unwrap_or(0.0),
            base_odds: fields[1].unwrap_or(1.0),
            points_to_double_odds: fields[2].unwrap_or(1.0),
            min_score: fields[3],
            max_score: fields[4],
        };
        problems.extend(
            scaling
                .problems()
                .into_iter()
                .map(|(f, why)| format!("{f} {why}")),
        );
        if problems.is_empty() {
            Ok(scaling)
        } else {
            Err(problems.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 600 points at 50:1, 20 points to double the odds.
    const S: ScoreScaling = ScoreScaling {
        base_score: 600.0,
        base_odds: 50.0,
        points_to_double_odds: 20.0,
        min_score: None,
        max_score: None,
    };

    #[test]
    fn the_scaling_gives_the_base_odds_at_the_base_score_and_doubles_them_every_pdo() {
        assert!((S.pd(600.0) - 1.0 / 51.0).abs() < 1e-15);
        assert!((S.pd(620.0) - 1.0 / 101.0).abs() < 1e-15);
        assert!((S.pd(580.0) - 1.0 / 26.0).abs() < 1e-15);
        let reversed = ScoreScaling {
            points_to_double_odds: -20.0,
            ..S
        };
        assert!((reversed.pd(620.0) - 1.0 / 26.0).abs() < 1e-15);
    }

    /// Against the mean of PD(s) on a fine grid (midpoint rule, 200,000 points).
    #[test]
    fn a_band_pd_is_the_mean_pd_across_the_band() {
        for (lo, hi) in [
            (560.0, 600.0),
            (300.0, 500.0),
            (700.0, 850.0),
            (599.0, 600.0),
        ] {
            let n = 200_000;
            let h = (hi - lo) / n as f64;
            let grid: f64 = (0..n).map(|i| S.pd(lo + (i as f64 + 0.5) * h)).sum::<f64>() / n as f64;
            let exact = S.mean_pd(lo, hi);
            assert!(
                (exact - grid).abs() < 1e-9 * grid,
                "[{lo}, {hi}]: {exact} vs {grid}"
            );
        }
        // Far out in the tails the closed form keeps its digits.
        // (there PD = e^-x to 1e-15, whose mean is (e^-a - e^-b) / (b - a)).
        let (a, b) = (S.log_odds(1500.0), S.log_odds(1600.0));
        let tail = ((-a).exp() - (-b).exp()) / (b - a);
        assert!(tail < 1e-15);
        assert!((S.mean_pd(1500.0, 1600.0) - tail).abs() < 1e-9 * tail);
    }

    #[test]
    fn open_bands_close_at_the_score_range_or_a_neighbour_width_beyond_the_edge() {
        let edges = [550.0, 600.0, 650.0];
        let pds = S.band_pds(&edges);
        assert_eq!(pds.len(), 4);
        assert!((pds[0] - S.mean_pd(500.0, 550.0)).abs() < 1e-15);
        assert!((pds[1] - S.mean_pd(550.0, 600.0)).abs() < 1e-15);
        assert!((pds[3] - S.mean_pd(650.0, 700.0)).abs() < 1e-15);
        assert!(
            pds.windows(2).all(|w| w[0] > w[1]),
            "safer upwards: {pds:?}"
        );
        let ranged = ScoreScaling {
            min_score: Some(300.0),
            max_score: Some(850.0),
            ..S
        };
        let pds = ranged.band_pds(&edges);
        assert!((pds[0] - S.mean_pd(300.0, 550.0)).abs() < 1e-15);
        assert!((pds[3] - S.mean_pd(650.0, 850.0)).abs() < 1e-15);
        let one_edge = S.band_pds(&[600.0]);
        assert!((one_edge[0] - S.mean_pd(580.0, 600.0)).abs() < 1e-15);
        assert!((one_edge[1] - S.mean_pd(600.0, 620.0)).abs() < 1e-15);
    }

    #[test]
    fn the_command_line_form_reads_every_field_and_lists_every_problem() {
        let s: ScoreScaling = "base_score=600, base_odds=50,points_to_double_odds=20,max_score=850"
            .parse()
            .unwrap();
        assert_eq!(
            s,
            ScoreScaling {
                max_score: Some(850.0),
                ..S
            }
        );
        let e = "base_score=6o0,pdo=20,base_odds=-1"
            .parse::<ScoreScaling>()
            .unwrap_err();
        assert_eq!(
            e,
            "base_score: \"6o0\" is not a number; unknown field \"pdo\" (known: base_score, base_odds, points_to_double_odds, min_score, max_score); points_to_double_odds is missing; base_odds must be a positive number (good:bad odds)"
        );
    }

    #[test]
    fn bad_numbers_and_a_range_that_cuts_a_bin_are_problems() {
        let bad = ScoreScaling {
            base_score: f64::NAN,
            base_odds: 0.0,
            points_to_double_odds: 0.0,
            min_score: Some(900.0),
            max_score: Some(300.0),
        };
        let fields: Vec<&str> = bad.problems().iter().map(|p| p.0).collect();
        assert_eq!(
            fields,
            [
                "base_score",
                "base_odds",
                "points_to_double_odds",
                "max_score"
            ]
        );
        let cut = ScoreScaling {
            min_score: Some(560.0),
            max_score: Some(640.0),
            ..S
        };
        let fields: Vec<&str> = cut
            .edge_problems(&[550.0, 650.0])
            .iter()
            .map(|p| p.0)
            .collect();
        assert_eq!(fields, ["min_score", "max_score"]);
        assert!(S.problems().is_empty() && S.edge_problems(&[550.0]).is_empty());
    }
}
