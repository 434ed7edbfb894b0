//! Incremental bin counts over sliding windows, kept per input partition. Owns count
//! matrices, panes, time pane rings and count pane rings, and what changed in them since the
//! last checkpoint. Pure: time enters as event timestamps; nothing here reads a clock or
//! knows Kafka. Merging panes across partitions is `state::merge`'s job.

pub(crate) mod count_ring;
pub(crate) mod matrix;
pub(crate) mod pane;
pub(crate) mod partition;
pub(crate) mod time_ring;

pub use count_ring::CountRing;
pub use matrix::CountMatrix;
pub use pane::Pane;
pub use partition::{Counted, PartitionState, WindowSpec};
pub use time_ring::TimeRing;
