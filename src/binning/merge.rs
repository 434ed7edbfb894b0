//! Merging adjacent bins: until each holds a minimum share, until WoE is monotone, and down
//! to a maximum number of bins. Works on segments of ordered pieces (ranges between
//! candidate edges, or levels in order), so numeric and categorical features share it.

/// Adjacent pieces merged into one bin, with their counts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Segment {
    /// Indices of the original pieces, in order.
    pub pieces: Vec<usize>,
    pub count: u64,
    pub goods: u64,
    pub bads: u64,
}

impl Segment {
    pub(crate) fn new(piece: usize, count: u64, goods: u64, bads: u64) -> Self {
        Self {
            pieces: vec![piece],
            count,
            goods,
            bads,
        }
    }

    fn absorb(&mut self, other: Segment) {
        self.pieces.extend(other.pieces);
        self.count += other.count;
        self.goods += other.goods;
        self.bads += other.bads;
    }
}

/// Totals the WoE of a segment is measured against.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Totals {
    pub goods: u64,
    pub bads: u64,
}

/// Smoothed WoE (+0.5, as in the statistics core) so empty cells stay finite.
fn woe(s: &Segment, t: Totals) -> f64 {
    let g = (s.goods as f64 + 0.5) / (t.goods as f64 + 0.5);
    let b = (s.bads as f64 + 0.5) / (t.bads as f64 + 0.5);
    (g / b).ln()
}

fn iv_term(s: &Segment, t: Totals) -> f64 {
    let g = (s.goods as f64 + 0.5) / (t.goods as f64 + 0.5);
    let b = (s.bads as f64 + 0.5) / (t.bads as f64 + 0.5);
    (g - b) * (g / b).ln()
}

/// IV lost by merging segments `i` and `i + 1` (or, without a target, their joint size, so
/// that the smallest neighbours merge first).
fn merge_cost(segs: &[Segment], i: usize, totals: Option<Totals>) -> f64 {
    match totals {
        Some(t) => {
            let mut joint = segs[i].clone();
            joint.absorb(segs[i + 1].clone());
            iv_term(&segs[i], t) + iv_term(&segs[i + 1], t) - iv_term(&joint, t)
        }
        None => (segs[i].count + segs[i + 1].count) as f64,
    }
}

fn merge_at(segs: &mut Vec<Segment>, i: usize) {
    let next = segs.remove(i + 1);
    segs[i].absorb(next);
}

/// Merges until every segment holds at least `min_share` of `total`: the smallest segment
/// goes into the neighbour it costs least to join.
pub(crate) fn enforce_min_share(
    segs: &mut Vec<Segment>,
    total: u64,
    min_share: f64,
    totals: Option<Totals>,
) {
    let min_count = min_share * total as f64;
    while segs.len() > 1 {
        let (i, smallest) = segs
            .iter()
            .enumerate()
            .min_by_key(|(_, s)| s.count)
            .map(|(i, s)| (i, s.count))
            .expect("non-empty");
        if smallest as f64 >= min_count {
            break;
        }
        let left = (i > 0).then(|| merge_cost(segs, i - 1, totals));
        let right = (i + 1 < segs.len()).then(|| merge_cost(segs, i, totals));
        let at = match (left, right) {
            (Some(l), Some(r)) => {
                if l <= r {
                    i - 1
                } else {
                    i
                }
            }
            (Some(_), None) => i - 1,
            _ => i,
        };
        merge_at(segs, at);
    }
}

/// Merges down to at most `max` segments, cheapest pair first.
pub(crate) fn enforce_max_bins(segs: &mut Vec<Segment>, max: usize, totals: Option<Totals>) {
    while segs.len() > max.max(1) {
        let at = (0..segs.len() - 1)
            .min_by(|&a, &b| merge_cost(segs, a, totals).total_cmp(&merge_cost(segs, b, totals)))
            .expect("at least two segments");
        merge_at(segs, at);
    }
}

/// Merges until WoE is strictly monotone, trying both directions and keeping the one that
/// keeps more bins (then the higher IV).
pub(crate) fn enforce_monotone(segs: &mut Vec<Segment>, totals: Totals) {
    let run = |increasing: bool| {
        let mut s = segs.clone();
        loop {
            let violation = (0..s.len().saturating_sub(1)).find(|&i| {
                let (a, b) = (woe(&s[i], totals), woe(&s[i + 1], totals));
                if increasing { a >= b } else { a <= b }
            });
            match violation {
                Some(i) => merge_at(&mut s, i),
                None => break s,
            }
        }
    };
    let up = run(true);
    let down = run(false);
    let iv = |s: &[Segment]| s.iter().map(|x| iv_term(x, totals)).sum::<f64>();
    *segs = if up.len() > down.len() || (up.len() == down.len() && iv(&up) >= iv(&down)) {
        up
    } else {
        down
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(counts: &[(u64, u64)]) -> Vec<Segment> {
        counts
            .iter()
            .enumerate()
            .map(|(i, &(g, b))| Segment::new(i, g + b, g, b))
            .collect()
    }

    #[test]
    fn small_segments_are_merged_and_counts_kept() {
        let mut s = segs(&[(50, 0), (2, 0), (48, 0)]);
        enforce_min_share(&mut s, 100, 0.05, None);
        assert_eq!(s.len(), 2);
        assert_eq!(s.iter().map(|x| x.count).sum::<u64>(), 100);
        // Without a target the smaller neighbour takes it.
        assert_eq!(s[1].pieces, vec![1, 2]);
    }

    #[test]
    fn monotone_woe_after_merging() {
        let totals = Totals {
            goods: 400,
            bads: 100,
        };
        let mut s = segs(&[(50, 30), (100, 20), (90, 25), (160, 25)]);
        enforce_monotone(&mut s, totals);
        let w: Vec<f64> = s.iter().map(|x| woe(x, totals)).collect();
        assert!(w.windows(2).all(|p| p[0] < p[1]), "{w:?}");
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn max_bins_is_respected() {
        let mut s = segs(&[(10, 1), (10, 2), (10, 3), (10, 4), (10, 5)]);
        enforce_max_bins(
            &mut s,
            2,
            Some(Totals {
                goods: 50,
                bads: 15,
            }),
        );
        assert_eq!(s.len(), 2);
        assert_eq!(s.iter().map(|x| x.count).sum::<u64>(), 65);
    }
}
