//! A feature's candidate binnings for the frontier: its own bins, then a greedy path of
//! merges of two adjacent ordinary bins (ranges of a numeric feature, groups of a
//! categorical one; never Missing, Other or a special value), each step the merge that
//! gives up the least predictive IV per unit of protected IV it removes. The path stops
//! when no merge removes protected IV or one ordinary bin is left.

use serde::Serialize;

use crate::stats::divergence::{Divergence, jeffreys, per_bin};

use super::{Estimate, Rows};

/// What the candidates need of a feature's bins.
#[derive(Debug, Clone)]
pub struct FeatureBins {
    pub name: String,
    pub labels: Vec<String>,
    /// Bins `0..ordinary` may merge with their neighbours.
    pub ordinary: usize,
}

/// One candidate: a feature under a grouping of its bins, with both IVs and the
/// gradients each row's influence is read from.
#[derive(Debug, Clone, Serialize)]
pub struct Variant {
    pub feature: usize,
    pub name: String,
    /// Per original bin, its group.
    pub groups: Vec<usize>,
    /// Each group's bins' labels joined with " | ".
    pub labels: Vec<String>,
    pub predictive_iv: Estimate,
    pub protected_iv: Estimate,
    /// Per group: the influences of a good and of a bad row on the predictive IV, then of a
    /// protected and of a reference row on the protected IV (`Divergence::grad_x`,
    /// `grad_y`); 0 for a dropped group.
    #[serde(skip)]
    pub gradients: [Vec<f64>; 4],
}

/// Every variant of every feature: per feature its own bins first, then its merge path
/// (at most `max_merges` steps).
pub fn variants(rows: Rows<'_>, features: &[FeatureBins], max_merges: usize) -> Vec<Variant> {
    let mut out = Vec::new();
    for (f, bins) in features.iter().enumerate() {
        let counts = bin_counts(rows, f, bins.labels.len());
        let mut groups: Vec<usize> = (0..bins.labels.len()).collect();
        let Some(first) = variant(f, bins, &groups, &counts) else {
            continue;
        };
        let mut current = first.clone();
        out.push(first);
        for _ in 0..max_merges {
            let Some((next_groups, next)) = best_merge(f, bins, &groups, &counts, &current) else {
                break;
            };
            // Merged down to nothing that predicts: never worth choosing.
            if next.predictive_iv.value <= 0.0 {
                break;
            }
            groups = next_groups;
            current = next.clone();
            out.push(next);
        }
    }
    out
}

/// Goods, bads, protected and reference rows per bin of feature `f`.
fn bin_counts(rows: Rows<'_>, f: usize, bins: usize) -> [Vec<f64>; 4] {
    let mut c = [
        vec![0.0; bins],
        vec![0.0; bins],
        vec![0.0; bins],
        vec![0.0; bins],
    ];
    for (i, row) in rows.bins.iter().enumerate() {
        let b = row[f] as usize;
        c[usize::from(rows.bad[i])][b] += 1.0;
        if let Some(protected) = rows.group[i] {
            c[if protected { 2 } else { 3 }][b] += 1.0;
        }
    }
    c
}

/// The variant of `groups` (per bin its group index, groups numbered from 0 in order).
fn variant(f: usize, bins: &FeatureBins, groups: &[usize], c: &[Vec<f64>; 4]) -> Option<Variant> {
    let n = groups.iter().max().map_or(0, |m| m + 1);
    let merged = |v: &[f64]| -> Vec<f64> {
        let mut out = vec![0.0; n];
        for (b, g) in groups.iter().enumerate() {
            out[*g] += v[b];
        }
        out
    };
    let pred = jeffreys(&merged(&c[0]), &merged(&c[1]), "goods", "bads").ok()?;
    let prot = jeffreys(&merged(&c[2]), &merged(&c[3]), "protected", "reference").ok()?;
    let mut labels = vec![Vec::new(); n];
    for (b, g) in groups.iter().enumerate() {
        labels[*g].push(bins.labels[b].clone());
    }
    let [gp, gq] = gradients(&pred, n);
    let [hp, hq] = gradients(&prot, n);
    Some(Variant {
        feature: f,
        name: bins.name.clone(),
        groups: groups.to_vec(),
        labels: labels.into_iter().map(|l| l.join(" | ")).collect(),
        predictive_iv: estimate(&pred),
        protected_iv: estimate(&prot),
        gradients: [gp, gq, hp, hq],
    })
}

fn estimate(d: &Divergence) -> Estimate {
    Estimate {
        value: d.value,
        se: (d.var_x + d.var_y).sqrt(),
    }
}

/// Each sample's influence per group, 0 at a group dropped as empty (no row is there).
fn gradients(d: &Divergence, n: usize) -> [Vec<f64>; 2] {
    let spread = |g: &[f64]| -> Vec<f64> {
        let all = per_bin(g, &d.dropped_bins, n);
        all.into_iter().map(|v| v.unwrap_or(0.0)).collect()
    };
    [spread(&d.grad_x), spread(&d.grad_y)]
}

/// The merge of two adjacent ordinary groups that loses the least predictive IV per unit
/// of protected IV removed, or `None` when no merge removes any.
fn best_merge(
    f: usize,
    bins: &FeatureBins,
    groups: &[usize],
    c: &[Vec<f64>; 4],
    current: &Variant,
) -> Option<(Vec<usize>, Variant)> {
    let ordinary_groups = groups[..bins.ordinary].iter().max().map_or(0, |m| m + 1);
    let mut best: Option<(f64, Vec<usize>, Variant)> = None;
    for t in 0..ordinary_groups.saturating_sub(1) {
        // Group t + 1 joins group t; the later groups move down by one.
        let merged: Vec<usize> = groups
            .iter()
            .map(|&g| if g > t { g - 1 } else { g })
            .collect();
        let Some(v) = variant(f, bins, &merged, c) else {
            continue;
        };
        let removed = current.protected_iv.value - v.protected_iv.value;
        if removed <= 0.0 {
            continue;
        }
        let cost = (current.predictive_iv.value - v.predictive_iv.value).max(0.0) / removed;
        if best.as_ref().is_none_or(|(b, _, _)| cost < *b) {
            best = Some((cost, merged, v));
        }
    }
    best.map(|(_, g, v)| (g, v))
}
