//! Bins come from the baseline, never from the current data. This module owns bin specs
//! (`spec`), the baseline file (`baseline`) and the builders that choose bins from a
//! development sample (`quantile`, `stumps`, `merge`, `build`), and the population bins
//! kept next to the scorecard's (`population`).

pub mod baseline;
pub mod build;
pub mod merge;
pub mod population;
pub mod quantile;
pub mod spec;
pub mod stumps;

pub use baseline::{
    BaselineError, BaselineFile, FeatureBaseline, ModelBaseline, PopulationBins, TargetInfo,
};
pub use spec::{BinError, BinSpec, Binner};
