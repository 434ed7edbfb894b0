//! Bins come from the baseline, never from the current data. This module owns bin specs
//! (`spec`), the baseline file (`baseline`) and the builders that choose bins from a
//! development sample (`quantile`, `stumps`, `merge`, `build`), and the population bins
//! kept next to the scorecard's (`population`).

pub(crate) mod baseline;
pub(crate) mod build;
pub(crate) mod merge;
pub(crate) mod population;
pub(crate) mod quantile;
pub(crate) mod spec;
pub(crate) mod stumps;

pub use baseline::{
    BaselineError, BaselineFile, FeatureBaseline, ModelBaseline, PopulationBins, TargetInfo,
};
pub use spec::{BinError, BinSpec, Binner};
