//! Automated binning by gradient boosting of depth-1 trees (stumps) on the logistic loss, as
//! XGBoost does with `max_depth = 1` and the histogram method: each feature arrives as
//! ordered candidate cells (quantile cells of a numeric feature, WoE-ordered levels of a
//! categorical one); each round fits one stump on the best feature and cell boundary; a
//! feature's split points are the boundaries its stumps chose. Rows outside the ordered
//! cells (missing, special values, rare levels) have bins of their own; as in XGBoost they
//! follow whichever side of a split gains more. Deterministic: no sampling, ties go to the
//! first feature and the lowest boundary.

/// A feature as candidate cells: `codes[row]` is the row's cell, or `EXCLUDED`.
pub(crate) struct StumpFeature {
    pub codes: Vec<u16>,
    pub cells: usize,
}

pub(crate) const EXCLUDED: u16 = u16::MAX;

#[derive(Debug, Clone, Copy)]
pub(crate) struct StumpParams {
    pub rounds: usize,
    /// Learning rate (XGBoost's eta).
    pub eta: f64,
    /// L2 penalty on leaf weights (XGBoost's lambda).
    pub lambda: f64,
    /// Smallest hessian sum of a leaf (XGBoost's min_child_weight).
    pub min_child_weight: f64,
}

impl Default for StumpParams {
    /// XGBoost's defaults for eta, lambda and min_child_weight; 100 rounds.
    fn default() -> Self {
        Self {
            rounds: 100,
            eta: 0.3,
            lambda: 1.0,
            min_child_weight: 1.0,
        }
    }
}

struct Split {
    feature: usize,
    /// Cells `< at` go left.
    at: usize,
    excluded_left: bool,
    gain: f64,
    left_weight: f64,
    right_weight: f64,
}

/// Runs the boosting; returns, per feature, the sorted cell boundaries its stumps chose.
pub(crate) fn boost_stumps(
    features: &[StumpFeature],
    is_bad: &[bool],
    params: StumpParams,
) -> Vec<Vec<usize>> {
    let n = is_bad.len();
    let mut chosen: Vec<Vec<usize>> = vec![Vec::new(); features.len()];
    if n == 0 {
        return chosen;
    }
    let bads = is_bad.iter().filter(|&&b| b).count() as f64;
    let rate = (bads / n as f64).clamp(1e-6, 1.0 - 1e-6);
    let mut margin = vec![(rate / (1.0 - rate)).ln(); n];
    let mut grad = vec![0.0; n];
    let mut hess = vec![0.0; n];
    let mut hist_g: Vec<f64> = Vec::new();
    let mut hist_h: Vec<f64> = Vec::new();

    for _ in 0..params.rounds {
        for i in 0..n {
            let p = 1.0 / (1.0 + (-margin[i]).exp());
            grad[i] = p - if is_bad[i] { 1.0 } else { 0.0 };
            hess[i] = (p * (1.0 - p)).max(1e-16);
        }
        let mut best: Option<Split> = None;
        for (f, feat) in features.iter().enumerate() {
            hist_g.clear();
            hist_g.resize(feat.cells + 1, 0.0);
            hist_h.clear();
            hist_h.resize(feat.cells + 1, 0.0);
            for (i, &c) in feat.codes.iter().enumerate() {
                let slot = if c == EXCLUDED {
                    feat.cells
                } else {
                    c as usize
                };
                hist_g[slot] += grad[i];
                hist_h[slot] += hess[i];
            }
            if let Some(s) = best_split(f, &hist_g, &hist_h, params)
                && best.as_ref().is_none_or(|b| s.gain > b.gain)
            {
                best = Some(s);
            }
        }
        let Some(split) = best else { break };
        if split.gain <= 1e-9 {
            break;
        }
        let feat = &features[split.feature];
        for (i, &c) in feat.codes.iter().enumerate() {
            let left = if c == EXCLUDED {
                split.excluded_left
            } else {
                (c as usize) < split.at
            };
            margin[i] += params.eta
                * if left {
                    split.left_weight
                } else {
                    split.right_weight
                };
        }
        let list = &mut chosen[split.feature];
        if let Err(pos) = list.binary_search(&split.at) {
            list.insert(pos, split.at);
        }
    }
    chosen
}

/// The best boundary of one feature's histogram (`hist[cells]` holds the excluded rows).
fn best_split(feature: usize, g: &[f64], h: &[f64], p: StumpParams) -> Option<Split> {
    let cells = g.len() - 1;
    let (gx, hx) = (g[cells], h[cells]);
    let g_all: f64 = g.iter().sum();
    let h_all: f64 = h.iter().sum();
    let score = |gs: f64, hs: f64| gs * gs / (hs + p.lambda);
    let parent = score(g_all, h_all);
    let mut best: Option<Split> = None;
    let (mut gl, mut hl) = (0.0, 0.0);
    for at in 1..cells {
        gl += g[at - 1];
        hl += h[at - 1];
        for excluded_left in [false, true] {
            let (gls, hls) = if excluded_left {
                (gl + gx, hl + hx)
            } else {
                (gl, hl)
            };
            let (grs, hrs) = (g_all - gls, h_all - hls);
            if hls < p.min_child_weight || hrs < p.min_child_weight {
                continue;
            }
            let gain = 0.5 * (score(gls, hls) + score(grs, hrs) - parent);
            if best.as_ref().is_none_or(|b| gain > b.gain) {
                best = Some(Split {
                    feature,
                    at,
                    excluded_left,
                    gain,
                    left_weight: -gls / (hls + p.lambda),
                    right_weight: -grs / (hrs + p.lambda),
                });
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_step_in_a_step_function() {
        // Bad rate 5% below cell 6, 40% from cell 6 up; a second feature is noise.
        let mut codes = Vec::new();
        let mut noise = Vec::new();
        let mut is_bad = Vec::new();
        for i in 0..10_000u32 {
            let cell = (i % 10) as u16;
            codes.push(cell);
            noise.push(((i / 10) % 10) as u16);
            let threshold = if cell >= 6 { 40 } else { 5 };
            is_bad.push((i / 10) * 37 % 100 < threshold);
        }
        let feats = [
            StumpFeature { codes, cells: 10 },
            StumpFeature {
                codes: noise,
                cells: 10,
            },
        ];
        let params = StumpParams {
            rounds: 5,
            ..StumpParams::default()
        };
        let chosen = boost_stumps(&feats, &is_bad, params);
        assert_eq!(chosen[0], vec![6]);
    }
}
