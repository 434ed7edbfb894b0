//! Incremental bin counts over sliding windows, kept per input partition. Owns count
//! matrices, time pane rings, count pane rings and their merge across partitions. Pure: time
//! enters as event timestamps; nothing here reads a clock or knows Kafka.

pub mod count_ring;
pub mod matrix;
pub mod partition;
pub mod time_ring;

pub use count_ring::CountRing;
pub use matrix::CountMatrix;
pub use partition::{Counted, PartitionState, WindowSpec};
pub use time_ring::TimeRing;
