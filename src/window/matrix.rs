//! A dense `features x bins` count matrix: the content of one pane.

/// Counts per feature and bin, stored flat; integers, so merges are exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountMatrix {
    offsets: Vec<usize>,
    counts: Vec<u64>,
    applications: u64,
}

impl CountMatrix {
    /// An empty matrix for features with `bins[f]` bins each.
    pub fn new(bins: &[usize]) -> Self {
        let mut offsets = Vec::with_capacity(bins.len() + 1);
        let mut total = 0;
        offsets.push(0);
        for &b in bins {
            total += b;
            offsets.push(total);
        }
        Self {
            offsets,
            counts: vec![0; total],
            applications: 0,
        }
    }

    /// A matrix of shape `bins` from its flat counts (as [`CountMatrix::flat`] gives them);
    /// `None` if the length does not fit the shape.
    pub fn from_flat(bins: &[usize], counts: Vec<u64>, applications: u64) -> Option<Self> {
        let mut m = Self::new(bins);
        if m.counts.len() != counts.len() {
            return None;
        }
        m.counts = counts;
        m.applications = applications;
        Some(m)
    }

    /// Counts one application: `bins[f]` is its bin of feature `f`.
    pub fn add(&mut self, bins: &[u16]) {
        for (f, &b) in bins.iter().enumerate() {
            self.counts[self.offsets[f] + b as usize] += 1;
        }
        self.applications += 1;
    }

    /// Adds another matrix of the same shape.
    pub fn merge(&mut self, other: &CountMatrix) {
        debug_assert_eq!(self.offsets, other.offsets);
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.applications += other.applications;
    }

    pub fn feature(&self, f: usize) -> &[u64] {
        &self.counts[self.offsets[f]..self.offsets[f + 1]]
    }

    /// Every count, feature after feature.
    pub fn flat(&self) -> &[u64] {
        &self.counts
    }

    pub fn applications(&self) -> u64 {
        self.applications
    }
}
