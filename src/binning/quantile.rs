//! Equal-frequency edges from sorted values, with ties handled: every edge is a value of the
//! sample, edges are distinct and none equals the minimum, so with left-closed bins no bin
//! is empty and none is a duplicate.

/// Edges for at most `bins` bins over `sorted` (ascending, finite).
pub(crate) fn quantile_edges(sorted: &[f64], bins: usize) -> Vec<f64> {
    let n = sorted.len();
    if n == 0 || bins < 2 {
        return Vec::new();
    }
    let mut edges: Vec<f64> = Vec::with_capacity(bins - 1);
    for i in 1..bins {
        // The first value of the i-th equal-frequency slice.
        let pos = (i * n).div_ceil(bins);
        if pos >= n {
            break;
        }
        let e = sorted[pos];
        if e > sorted[0] && edges.last().is_none_or(|last| e > *last) {
            edges.push(e);
        }
    }
    edges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deciles_of_distinct_values() {
        let v: Vec<f64> = (0..100).map(f64::from).collect();
        let e = quantile_edges(&v, 10);
        assert_eq!(
            e,
            vec![10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0]
        );
    }

    #[test]
    fn ties_collapse_without_empty_bins() {
        let mut v = vec![0.0; 60];
        v.extend(std::iter::repeat_n(1.0, 30));
        v.extend((0..10).map(|i| 2.0 + f64::from(i)));
        let e = quantile_edges(&v, 10);
        assert_eq!(e, vec![1.0, 2.0]);
        assert!(quantile_edges(&[5.0; 10], 10).is_empty());
    }
}
