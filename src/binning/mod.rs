//! Bins come from the baseline, never from the current data. This module owns bin specs
//! (`spec`), the baseline file (`baseline`) and the builders that choose bins from a
//! development sample (`quantile`, `stumps`, `merge`, `build`), the population bins kept
//! next to the scorecard's (`population`), the decoder's fast path for numbers (`fast`,
//! with both binnings of a field at once: `pair`), and which categorical levels
//! development saw (`known`).

pub(crate) mod baseline;
pub(crate) mod build;
pub(crate) mod fast;
pub(crate) mod known;
pub(crate) mod merge;
pub(crate) mod pair;
pub(crate) mod population;
pub(crate) mod quantile;
pub(crate) mod spec;
pub(crate) mod stumps;

pub use baseline::{
    BaselineError, BaselineFile, FeatureBaseline, ModelBaseline, PopulationBins, TargetInfo,
};
pub use fast::{FastBins, FastPath};
pub use known::KnownLevels;
pub use pair::PairedBinner;
pub use spec::{BinError, BinSpec, Binner};
