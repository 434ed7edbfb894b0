//! psimon's durable state, kept the way Kafka Streams keeps it: a compacted state topic
//! (the changelog of every pane, each partition's checkpointed input offset and the
//! published drift states), written in the consumer's transactions and read back by every
//! instance as one global table.
//!
//! - [`series`]: which set of series a record belongs to, typed, and its key segment (pure).
//! - [`codec`]: the records' keys and versioned values (pure).
//! - [`layout`]: what the running config expects (names, shapes, fingerprints; pure).
//! - [`table`]: the global table and restoring a partition from it (pure).
//! - [`merge`]: windows over all partitions from the table (pure).
//! - [`topic`]: creating and checking the state topic (Kafka admin).
//! - [`reader`]: the thread that reads the state topic into the table (Kafka consumer).
//!
//! Owns no counting: the consumer thread counts and checkpoints; this module stores.

pub mod codec;
pub mod layout;
pub(crate) mod merge;
pub(crate) mod reader;
pub(crate) mod series;
pub(crate) mod table;
pub(crate) mod topic;

pub use codec::{PartitionId, StateKey};
pub use layout::StateLayout;
pub use merge::{MergedWindow, merge_window};
pub use series::{SetId, SetKind};
pub use table::GlobalTable;
